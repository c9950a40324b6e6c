/**
 * Settings say only what is true: every setting whose behaviour Redust lacks is refused (command
 * line, config file, RedustServer.start, CONFIG SET) at a value that asks for it, while defaults
 * and "off" values load; a missing `dir` is a config error; protected mode refuses non-loopback
 * clients as Redis 7.0 does (tested from this machine's own non-loopback address, never off it).
 */
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CliError, parseArgs, parseConfigFile } from '../src/cli';
import { RedustServer } from '../src/index';
import { Config } from '../src/config/config';
import { PROTECTED_MODE_DENIED } from '../src/server/protected-mode';
import { haveRedisServer, startReference } from './helpers/servers';
import { R, RawConnection, text } from './helpers/raw';

const HAVE_REF = haveRedisServer();

/** [setting, a value asking for a missing behaviour] */
const REFUSED: [string, string][] = [
  ['activedefrag', 'yes'],
  ['syslog-enabled', 'yes'],
];

/** What a real redis.conf carries for those settings (defaults and "off" values). */
const ACCEPTED_CONF = `
appendonly no
appendfilename "appendonly.aof"
appendfsync everysec
no-appendfsync-on-rewrite no
save ""
daemonize no
tls-port 0
latency-monitor-threshold 0
list-compress-depth 0
maxmemory-policy noeviction
client-output-buffer-limit normal 0 0 0
protected-mode yes
lazyfree-lazy-user-del no
dir ${os.tmpdir()}
dbfilename dump.rdb
`;

const t = suite('config');

t('settings whose behaviour is missing are refused on the command line and in a config file', () => {
  for (const [name, value] of REFUSED) {
    assert.throws(
      () => parseArgs([`--${name}`, ...value.split(' ')], {}),
      (e: Error) => e instanceof CliError && e.message.includes(`>>> '${name} "`) && /is not supported by Redust yet/.test(e.message),
      `--${name} ${value}`,
    );
    assert.throws(
      () => parseConfigFile(`${name} ${value}\n`, 'test.conf'),
      (e: Error) => e instanceof CliError && /FATAL CONFIG FILE ERROR/.test(e.message) && /is not supported by Redust yet/.test(e.message),
      `${name} ${value} in a config file`,
    );
  }
  // The message says what is missing and what is accepted.
  assert.throws(() => parseArgs(['--activedefrag', 'yes'], {}), /active defragmentation is not implemented \(accepted: 'no'\)/);
});

t('list-compress-depth: honoured by the wasm engine, refused by the js-map engine above 0', () => {
  assert.is(new Config({ 'list-compress-depth': '2' }).int('list-compress-depth'), 2);
  assert.is(new Config({ engine: 'js-map', 'list-compress-depth': '0' }).int('list-compress-depth'), 0);
  assert.throws(() => new Config({ engine: 'js-map', 'list-compress-depth': '2' }), /list-compress-depth '2' is not supported by the js-map engine: list compression is implemented by the wasm engine/);
  assert.throws(() => new Config({ 'list-compress-depth': '1', engine: 'js-map' }), /not supported by the js-map engine/);
});

t('defaults and off values load from a config file and the command line', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-conf-'));
  const file = path.join(dir, 'redis.conf');
  fs.writeFileSync(file, ACCEPTED_CONF);
  const p = parseArgs([file, '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'allkeys-random'], {});
  assert.is(p.settings.appendonly, 'no');
  assert.is(p.settings.save, '');
  assert.is(p.settings['maxmemory-policy'], 'allkeys-random');
  fs.rmSync(dir, { recursive: true, force: true });
});

t("RedustServer.start refuses them too; CONFIG GET save is Redis's default", async () => {
  for (const [name, value] of REFUSED) {
    try {
      const srv = await RedustServer.start({ logLevel: 'nothing', config: { [name]: value } });
      await srv.close();
      assert.unreachable(`${name} ${value} should be refused`);
    } catch (e) {
      assert.match((e as Error).message, /is not supported by Redust yet/, `${name} ${value}`);
    }
  }
  try {
    await RedustServer.start({ logLevel: 'nothing', config: { daemonize: true } });
    assert.unreachable('daemonize: true');
  } catch (e) {
    assert.match((e as Error).message, /daemonize 'yes' is not supported/);
  }
  const srv = await RedustServer.start({ logLevel: 'nothing' });
  const c = await RawConnection.connect(srv.port);
  assert.equal(await c.send('CONFIG', 'GET', 'save'), R.arr(R.bulk('save'), R.bulk('3600 1 300 100 60 10000')));
  c.close();
  await srv.close();
});

t('CONFIG SET refuses missing behaviours, re-listening and the protected dir; accepts off values', async () => {
  const srv = await RedustServer.start({ logLevel: 'nothing' });
  const c = await RawConnection.connect(srv.port);
  for (const [name, value] of REFUSED) {
    if (name === 'unixsocket' || name === 'syslog-enabled') {
      // Immutable in Redis too.
      assert.equal(await c.send('CONFIG', 'SET', name, value), R.err(`ERR CONFIG SET failed (possibly related to argument '${name}') - can't set immutable config`));
      continue;
    }
    const reply = await c.send('CONFIG', 'SET', name, value);
    assert.is(reply.t, 'error', `CONFIG SET ${name} ${value}`);
    assert.match(text(reply), new RegExp(`^ERR CONFIG SET failed \\(possibly related to argument '${name}'\\) - .*is not supported by Redust yet`));
  }
  for (const [name, value] of [['appendonly', 'no'], ['appendfsync', 'no'], ['save', ''], ['tls-port', '0'], ['latency-monitor-threshold', '0'], ['maxmemory-policy', 'volatile-random'], ['client-output-buffer-limit', 'normal 0 0 0 pubsub 32mb 8mb 60']]) {
    assert.equal(await c.send('CONFIG', 'SET', name, value), R.ok, `CONFIG SET ${name} ${value}`);
  }
  assert.equal(await c.send('CONFIG', 'SET', 'port', String(srv.port)), R.ok);
  assert.equal(await c.send('CONFIG', 'SET', 'bind', '127.0.0.1'), R.ok);
  // (changing them at run time: test/config-listen.test.ts)
  assert.equal(await c.send('CONFIG', 'SET', 'dir', os.tmpdir()), R.err("ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"));
  assert.equal(await c.send('CONFIG', 'SET', 'dbfilename', 'x.rdb'), R.err("ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config"));
  assert.equal(await c.send('CONFIG', 'GET', 'enable-protected-configs'), R.arr(R.bulk('enable-protected-configs'), R.bulk('no')));
  assert.equal(await c.send('CONFIG', 'SET', 'enable-protected-configs', 'yes'), R.err("ERR CONFIG SET failed (possibly related to argument 'enable-protected-configs') - can't set immutable config"));
  // Nothing was applied by the refused calls.
  assert.equal(await c.send('CONFIG', 'GET', 'appendonly'), R.arr(R.bulk('appendonly'), R.bulk('no')));
  c.close();
  await srv.close();
});

t('enable-protected-configs yes (and local, from a loopback client) lets CONFIG SET change dir and dbfilename', async () => {
  for (const mode of ['yes', 'local']) {
    const srv = await RedustServer.start({ logLevel: 'nothing', config: { 'enable-protected-configs': mode } });
    const c = await RawConnection.connect(srv.port);
    assert.equal(await c.send('CONFIG', 'SET', 'dbfilename', 'other.rdb'), R.ok, mode);
    assert.equal(await c.send('CONFIG', 'SET', 'dir', os.tmpdir()), R.ok, mode);
    assert.equal(await c.send('CONFIG', 'GET', 'dbfilename'), R.arr(R.bulk('dbfilename'), R.bulk('other.rdb')));
    c.close();
    await srv.close();
  }
});

t('the unknown-option error does not list refused settings as supported', () => {
  try {
    parseArgs(['--no-such-option', '1'], {});
    assert.unreachable();
  } catch (e) {
    const msg = (e as Error).message;
    const [supported, offOnly] = msg.split('Accepted only at their default');
    assert.ok(offOnly, msg);
    for (const name of ['activedefrag', 'syslog-enabled']) {
      assert.not.match(supported, new RegExp(`[ ,]${name}[,.]`), `${name} listed as supported`);
      assert.match(offOnly, new RegExp(`\\b${name}\\b`));
    }
    assert.match(supported, /maxmemory, /);
    assert.match(supported, /[ ,]list-compress-depth[,.]/);
  }
});

t("a missing dir is a config error, as in Redis ('No such file or directory')", () => {
  const missing = path.join(os.tmpdir(), 'redust-no-such-dir-' + process.pid);
  assert.throws(() => parseArgs(['--dir', missing], {}), (e: Error) => e instanceof CliError && />>> 'dir "[^']*"'\nNo such file or directory/.test(e.message));
  assert.throws(
    () => parseConfigFile(`dir ${missing}\n`, 'x.conf'),
    (e: Error) => /FATAL CONFIG FILE ERROR[\s\S]*>>> 'dir [^']*'\nNo such file or directory/.test(e.message),
  );
  const file = path.join(os.tmpdir(), `redust-file-${process.pid}`);
  fs.writeFileSync(file, '');
  assert.throws(() => parseArgs(['--dir', file], {}), /Not a directory/);
  fs.rmSync(file);
  assert.is(parseArgs(['--dir', os.tmpdir()], {}).settings.dir, os.tmpdir());
});

// ------------------------------------------------------------------ protected mode

/** This machine's own non-loopback IPv4 address (e.g. eth0), if it has one. */
function localNonLoopback(): string | undefined {
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

/**
 * Connect from `ip` to `ip:port`, send PING, collect everything until the server closes, `lines`
 * reply lines have arrived, or 2 s have passed.
 */
function exchange(ip: string, port: number, send = '*1\r\n$4\r\nPING\r\n', lines = Infinity): Promise<{ data: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect({ host: ip, port, localAddress: ip });
    let data = '';
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ data, closed: false });
    }, 2000);
    s.on('connect', () => s.write(send));
    s.on('data', (d) => {
      data += d.toString('latin1');
      if (data.split('\r\n').length - 1 >= lines) s.end();
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ data, closed: true });
    });
  });
}

const IP = localNonLoopback();

if (!IP) {
  console.log('config: no non-loopback local address on this machine: protected-mode tests skipped');
  t.skip('protected mode (no non-loopback local address)');
} else {
  const ip = IP;
  t(`protected mode: a client from ${ip} gets Redis's DENIED text and is closed; loopback and passwords pass`, async () => {
    const srv = await RedustServer.start({ host: '0.0.0.0', logLevel: 'nothing' });
    const denied = await exchange(ip, srv.port);
    assert.is(denied.data, PROTECTED_MODE_DENIED);
    assert.ok(denied.closed, 'connection closed after DENIED');
    const c = await RawConnection.connect(srv.port);
    assert.equal(await c.send('PING'), R.simple('PONG'));
    assert.match(text(await c.send('INFO', 'stats')), /rejected_connections:1\r\n/);
    // A password for the default user lifts it (Redis: DefaultUser not nopass).
    assert.equal(await c.send('CONFIG', 'SET', 'requirepass', 'pw'), R.ok);
    const withPass = await exchange(ip, srv.port, '*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n*1\r\n$4\r\nPING\r\n', 2);
    assert.is(withPass.data, '+OK\r\n+PONG\r\n');
    assert.equal(await c.send('AUTH', 'pw'), R.ok);
    assert.equal(await c.send('CONFIG', 'SET', 'requirepass', ''), R.ok);
    assert.equal(await c.send('CONFIG', 'SET', 'protected-mode', 'no'), R.ok);
    assert.is((await exchange(ip, srv.port, undefined, 1)).data, '+PONG\r\n');
    c.close();
    await srv.close();
    // Bound to that address only, protected mode still applies (7.0 has no bind condition).
    const only = await RedustServer.start({ host: ip, logLevel: 'nothing' });
    assert.is((await exchange(ip, only.port)).data, PROTECTED_MODE_DENIED);
    await only.close();
  });

  if (HAVE_REF) {
    t(`protected mode: the DENIED bytes are Redis 7.0's (reference bound to 0.0.0.0, client from ${ip})`, async () => {
      const ref = await startReference(['--bind', '0.0.0.0', '--protected-mode', 'yes']);
      const srv = await RedustServer.start({ host: '0.0.0.0', logLevel: 'nothing' });
      try {
        const [ours, theirs] = await Promise.all([exchange(ip, srv.port), exchange(ip, ref.port)]);
        assert.is(ours.data, theirs.data);
        assert.is(ours.closed, theirs.closed);
      } finally {
        await srv.close();
        await ref.stop();
      }
    });
  } else t.skip('protected mode compared with Redis (no reference redis-server)');
}

t.run();
