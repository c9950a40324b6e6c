/**
 * The `redust` command line (bin/redust.js): options, config file, environment variables, errors,
 * --help/--version, graceful shutdown on SIGTERM, and the Prometheus endpoint.
 */
import { spawn, execFile, ChildProcess } from 'child_process';
import fs from 'fs';
import http from 'http';
import os from 'os';
import path from 'path';
import { promisify } from 'util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { freePort, haveRedisServer, startCli, startReference } from './helpers/servers';
import { RawConnection, R } from './helpers/raw';
import { parseArgs, envSettings, CliError } from '../src/cli';

const BIN = path.join(__dirname, '..', '..', 'bin', 'redust.js');
const run = promisify(execFile);


function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

const t = suite('cli');

t('--help and --version exit 0', async () => {
  const help = await run(process.execPath, [BIN, '--help']);
  assert.match(help.stdout, /Usage: redust/);
  const ver = await run(process.execPath, [BIN, '--version']);
  assert.match(ver.stdout, /redis_version=7\.0\.\d+/);
});

t('a bad option or value is a clear error and exit code 1', async () => {
  for (const args of [['--nope', '1'], ['--port', 'abc'], ['--engine', 'postgres'], ['/no/such/file.conf']]) {
    try {
      await run(process.execPath, [BIN, ...args]);
      assert.unreachable(`redust ${args.join(' ')} should fail`);
    } catch (e) {
      const err = e as { code: number; stderr: string };
      assert.is(err.code, 1, args.join(' '));
      assert.match(err.stderr, /redust: /);
    }
  }
});

t('settings: env < config file < command line', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-cli-'));
  const file = path.join(dir, 'redis.conf');
  fs.writeFileSync(file, '# comment\nport 7001\nmaxmemory 10mb\nrequirepass "from file"\nnotify-keyspace-events KEA\n');
  const p = parseArgs([file, '--port', '7002'], { REDUST_ADDR: '0.0.0.0:7000', REDUST_MAXMEMORY_BYTES: '5MB', REDUST_AUTH_PASSWORD: 'env' });
  assert.is(p.settings.port, '7002');
  assert.is(p.settings.bind, '0.0.0.0');
  assert.is(p.settings.maxmemory, '10mb');
  assert.is(p.settings.requirepass, 'from file');
  assert.is(p.configFile, file);
  fs.writeFileSync(file, 'port notanumber\n');
  assert.throws(() => parseArgs([file], {}), (e: Error) => e instanceof CliError && /FATAL CONFIG FILE ERROR[\s\S]*line 1/.test(e.message));
  assert.equal(envSettings({ REDUST_RDB_PATH: '/var/lib/redust/data.rdb', REDUST_MAXVALUE_BYTES: '1KB' }), { dir: '/var/lib/redust', dbfilename: 'data.rdb', 'maxvalue-bytes': '1KB' });
  assert.throws(() => envSettings({ REDUST_MAXMEMORY_BYTES: 'lots' }), /REDUST_MAXMEMORY_BYTES/);
});

t('save: the first save of the config file and options replaces the default, later ones add up, save "" clears them (the options are read as more lines of the file)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-cli-'));
  const file = path.join(dir, 'redis.conf');
  fs.writeFileSync(file, 'save 900 1\n');
  try {
    assert.is(parseArgs([file], {}).settings.save, '900 1');
    assert.is(parseArgs([file, '--save', '100', '100'], {}).settings.save, '900 1 100 100');
    assert.is(parseArgs([file, '--save', ''], {}).settings.save, '');
    assert.is(parseArgs([file, '--save', '', '--save', '100', '100'], {}).settings.save, '100 100');
    assert.is(parseArgs(['--save', '900', '1', '--save', '100', '100'], {}).settings.save, '900 1 100 100');
    assert.is(parseArgs(['--save', '100', '100'], { REDUST_RDB_PATH: '/tmp/x.rdb' }).settings.save, '100 100');
    // A bare `save` line (loadServerConfigFromString passes no arguments to setConfigSaveOption).
    fs.writeFileSync(file, 'save\n');
    assert.is(parseArgs([file], {}).settings.save, '');
    fs.writeFileSync(file, 'save 900 1\nsave\n');
    assert.is(parseArgs([file], {}).settings.save, '900 1');
    fs.writeFileSync(file, 'port\n');
    assert.throws(() => parseArgs([file], {}), /Bad directive or wrong number of arguments/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

if (haveRedisServer()) {
  t('save options add up as in redis-server (CONFIG GET save compared)', async () => {
    // startReference passes --save "" first, then these.
    const extra = ['--save', '900', '1', '--save', '100', '100'];
    const ref = await startReference(extra);
    const port = await freePort();
    const srv = await startCli(['--port', String(port), '--save', '', ...extra]);
    try {
      const [a, b] = [await RawConnection.connect(ref.port), await RawConnection.connect(port)];
      const theirs = await a.send('CONFIG', 'GET', 'save');
      assert.equal(await b.send('CONFIG', 'GET', 'save'), theirs);
      assert.equal(theirs, R.arr(R.bulk('save'), R.bulk('900 1 100 100')));
      a.close();
      b.close();
    } finally {
      await ref.stop();
      srv.child.kill('SIGKILL');
      await srv.exited;
      fs.rmSync(srv.dir, { recursive: true, force: true });
    }
  });
} else t.skip('save options compared with redis-server (no reference redis-server)');

t('starts from env and flags, serves, exports metrics, stops on SIGTERM', async () => {
  const port = await freePort();
  const mport = await freePort();
  const { child } = await startCli(['--engine', 'js-map', '--requirepass', 'pw'], { env: { REDUST_ADDR: `127.0.0.1:${port}`, REDUST_METRICS_ADDR: `127.0.0.1:${mport}` } });
  const c = await RawConnection.connect(port);
  assert.equal(await c.send('GET', 'x'), R.err('NOAUTH Authentication required.'));
  assert.equal(await c.send('AUTH', 'pw'), R.ok);
  await c.send('SET', 'metric-key', 'v');
  const m = await httpGet(`http://127.0.0.1:${mport}/metrics`);
  assert.is(m.status, 200);
  assert.match(m.body, /redust_db_keys\{db="0"\} 1/);
  assert.match(m.body, /redust_command_calls_total\{cmd="set"\} 1/);
  c.close();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  assert.is(await exited, 0);
});

t('SHUTDOWN stops the process', async () => {
  const port = await freePort();
  const { child } = await startCli(['--port', String(port)]);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const c = await RawConnection.connect(port);
  c.write('*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n');
  assert.is(await exited, 0);
  assert.ok(await c.waitClosed());
});

t('--help offers only log levels that are accepted', async () => {
  const help = (await run(process.execPath, [BIN, '--help'])).stdout;
  assert.not.match(help, /nothing/);
  const line = /--loglevel LEVEL\s+(.*)/.exec(help)![1];
  const levels = line.replace(/\(.*\)/, '').split(/,\s*|\s+or\s+/).map((s) => s.trim()).filter(Boolean);
  assert.equal(levels, ['debug', 'verbose', 'notice', 'warning']);
  for (const l of levels) assert.is(parseArgs(['--loglevel', l], {}).settings.loglevel, l);
  assert.throws(() => parseArgs(['--loglevel', 'nothing'], {}), /must be one of the following: debug, verbose, notice, warning/);
});

/** Log lines (JSON, one per line) of a CLI run that connects once, disconnects, and stops. */
async function logOf(args: string[]): Promise<{ lines: Record<string, unknown>[]; raw: string; port: number }> {
  const port = await freePort();
  const { child, out } = await startCli(['--port', String(port), ...args]);
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  try {
    const c = await RawConnection.connect(port);
    await c.send('PING');
    c.close();
    await new Promise((r) => setTimeout(r, 100));
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  const raw = out();
  return { raw, port, lines: raw.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)) };
}

t('start-up log: listening addresses and whether data survives a restart; pid once per JSON line', async () => {
  const { lines, raw, port } = await logOf([]);
  const msgs = lines.map((l) => l.msg);
  // The default bind, "* -::*": every IPv4 address, and every IPv6 one when the host has IPv6.
  assert.ok(msgs.some((m) => m === `Listening on 0.0.0.0:${port}` || m === `Listening on 0.0.0.0:${port}, [::]:${port}`), raw);
  const lo = await logOf(['--bind', '127.0.0.1']);
  assert.ok(lo.lines.some((l) => l.msg === `Listening on 127.0.0.1:${lo.port}`), lo.raw);
  assert.ok(msgs.some((m) => /^Persistence: RDB file .*dump\.rdb, saved on shutdown and by the save points "3600 1 300 100 60 10000"/.test(String(m))), raw);
  const off = await logOf(['--save', '']);
  assert.ok(off.lines.some((l) => /^Persistence: no save points and no AOF: .*lost when the server stops/.test(String(l.msg))), off.raw);
  const aof = await logOf(['--appendonly', 'yes']);
  assert.ok(aof.lines.some((l) => /^Persistence: AOF in .*appendonlydir \(appendfsync everysec\)/.test(String(l.msg))), aof.raw);
  for (const l of raw.split('\n').filter((x) => x.startsWith('{'))) assert.is(l.split('"pid"').length, 2, l);
  // notice: no per-connection lines.
  assert.not.ok(msgs.some((m) => /^Accepted /.test(String(m))));
});

t('verbose logs client connects and disconnects; debug adds the configuration', async () => {
  const verbose = await logOf(['--loglevel', 'verbose', '--requirepass', 'secret-pw']);
  assert.ok(verbose.lines.some((l) => /^Accepted 127\.0\.0\.1:\d+$/.test(String(l.msg))), verbose.raw);
  assert.ok(verbose.lines.some((l) => l.msg === 'Client closed connection'), verbose.raw);
  assert.not.ok(verbose.lines.some((l) => l.msg === 'Configuration'));
  const debug = await logOf(['--loglevel', 'debug', '--requirepass', 'secret-pw']);
  const conf = debug.lines.find((l) => l.msg === 'Configuration') as { config: Record<string, string> } | undefined;
  assert.ok(conf, debug.raw);
  assert.is(conf!.config.port, String(debug.port));
  assert.is(conf!.config.requirepass, '(set)');
  assert.not.match(debug.raw, /secret-pw/);
  assert.ok(debug.lines.some((l) => /^Accepted /.test(String(l.msg))));
});

t('start-up banner: the logo with the port and pid under always-show-logo yes, else the "Running mode" line of Redis', async () => {
  const logo = await logOf(['--always-show-logo', 'yes', '--save', '']);
  const art = logo.lines.find((l) => /PID: \d+/.test(String(l.msg)));
  assert.ok(art, logo.raw);
  const pid = (art as { pid: number }).pid;
  assert.match(String(art!.msg), new RegExp(` PID: ${pid}\n`));
  assert.match(String(art!.msg), new RegExp(`Port: ${logo.port}\n`));
  assert.match(String(art!.msg), /Redis 7\.0\.\d+ compatible/);
  const plain = await logOf(['--save', '']);
  assert.ok(plain.lines.some((l) => l.msg === `Running mode=standalone, port=${plain.port}.`), plain.raw);
  assert.not.match(plain.raw, /PID: /);
});

t('logfile: the log goes to that file (appended), not to stdout; an unwritable path is an error', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-log-'));
  const file = path.join(dir, 'redust.log');
  fs.writeFileSync(file, 'previous line\n');
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, '--port', String(port), '--logfile', file, '--loglevel', 'verbose', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  const deadline = Date.now() + 10_000;
  while (!fs.readFileSync(file, 'utf8').includes('Ready to accept connections')) {
    if (Date.now() > deadline) throw new Error('no Ready line in the log file');
    await new Promise((r) => setTimeout(r, 50));
  }
  const c = await RawConnection.connect(port);
  await c.send('PING');
  c.close();
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
  const log = fs.readFileSync(file, 'utf8');
  assert.match(log, /^previous line\n\{/);
  assert.match(log, /"msg":"Accepted 127\.0\.0\.1:\d+"/);
  assert.match(log, /ready to exit/);
  assert.is(out, '');
  fs.rmSync(dir, { recursive: true, force: true });
  try {
    await run(process.execPath, [BIN, '--port', '0', '--logfile', path.join(dir, 'gone', 'x.log')]);
    assert.unreachable('unwritable logfile');
  } catch (e) {
    const err = e as { code: number; stderr: string };
    assert.is(err.code, 1);
    assert.match(err.stderr, /Can't open the log file: No such file or directory/);
  }
});

t('a missing dir or a refused setting stops the binary with exit code 1', async () => {
  for (const args of [['--dir', '/no/such/redust/dir'], ['--list-compress-depth', '1'], ['--daemonize', 'yes']]) {
    try {
      await run(process.execPath, [BIN, '--port', '0', ...args]);
      assert.unreachable(args.join(' '));
    } catch (e) {
      const err = e as { code: number; stderr: string };
      assert.is(err.code, 1, args.join(' '));
      assert.match(err.stderr, /No such file or directory|is not supported by Redust yet/);
    }
  }
});

t("an AOF that cannot load: exit code 1, Redis's error as the log's last line", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-cli-'));
  try {
    fs.mkdirSync(path.join(dir, 'appendonlydir'));
    fs.writeFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof'), '*3\r\n$3\r\nset\r\n$3\r\nfoo\r\n$5\r\nhello\r\n!!!');
    fs.writeFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.manifest'), 'file appendonly.aof.1.incr.aof seq 1 type i\n');
    await run(process.execPath, [BIN, '--port', '0', '--dir', dir, '--appendonly', 'yes', '--aof-load-truncated', 'yes']);
    assert.unreachable('started');
  } catch (e) {
    const err = e as { code: number; stdout: string };
    assert.is(err.code, 1);
    const last = err.stdout.trim().split('\n').pop()!;
    assert.match(last, 'Bad file format reading the append only file appendonly.aof.1.incr.aof');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

t.run();
