/**
 * Every Redis 7.0 setting is in the schema (CONFIG GET * lists what Redis lists, with Redis's
 * defaults), the stock redis.conf of Debian's redis-server loads unchanged, and the settings that
 * act on the process or the server are honoured: pidfile, the process title, oom-score-adj,
 * dynamic-hz, shutdown-on-sigterm, SHUTDOWN FORCE, maxmemory-eviction-tenacity,
 * activerehashing. Switches of missing features are refused.
 */
import { spawn, ChildProcess } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { enginesUnderTest, freePort, haveRedisServer, startCli, startRedust, startReference, type CliServer } from './helpers/servers';
import { RawConnection, text, items } from './helpers/raw';
import { evictionTimeLimitMs } from '../src/server/evict';
import { WasmEngine } from '../src/engine/wasm/engine';
import { parseConfigFile } from '../src/cli';
import { Config } from '../src/config/config';

const BIN = path.join(__dirname, '..', '..', 'bin', 'redust.js');
const STOCK_CONF = '/etc/redis/redis.conf';

interface Cli extends CliServer {
  port: number;
}

async function startCliOnPort(args: string[], dir?: string): Promise<Cli> {
  const port = await freePort();
  return { ...(await startCli([...args, '--port', String(port)], { dir })), port };
}

async function configMap(port: number): Promise<Map<string, string>> {
  const c = await RawConnection.connect(port);
  const r = items(await c.send('CONFIG', 'GET', '*')).map(text);
  c.close();
  const m = new Map<string, string>();
  for (let i = 0; i < r.length; i += 2) m.set(r[i], r[i + 1]);
  return m;
}

const t = suite('config completeness');

if (haveRedisServer()) {
  t('CONFIG GET * lists every setting Redis 7.0 lists, with the same defaults', async () => {
    const ref = await startReference(['--pidfile', '']);
    const red = await startRedust('wasm', { persistence: true });
    try {
      const a = await configMap(ref.port);
      const b = await configMap(red.port);
      // Set differently by the test servers themselves, or Redust's documented default bind.
      const skip = new Set(['bind', 'port', 'dir', 'logfile', 'daemonize', 'loglevel', 'save', 'appendonly', 'enable-debug-command', 'set-proc-title']);
      const missing = [...a.keys()].filter((k) => !b.has(k));
      assert.equal(missing, [], 'settings Redis lists and Redust does not');
      const extra = [...b.keys()].filter((k) => !a.has(k));
      assert.equal(extra, [], 'settings Redust lists and Redis does not');
      // Hidden settings (and Redust's own) answer their exact names.
      const c = await RawConnection.connect(red.port);
      for (const name of ['key-load-delay', 'rdb-key-save-delay', 'loading-process-events-interval-bytes', 'engine', 'maxvalue-bytes']) {
        assert.is(items(await c.send('CONFIG', 'GET', name)).map(text)[0], name);
      }
      c.close();
      const differ = [...a.entries()].filter(([k, v]) => !skip.has(k) && b.get(k) !== v).map(([k, v]) => `${k}: redis '${v}' redust '${b.get(k)}'`);
      assert.equal(differ, []);
    } finally {
      await ref.stop();
      await red.close();
    }
  });
}

if (fs.existsSync(STOCK_CONF) && fs.existsSync('/proc/self/oom_score_adj')) {
  t("Debian's stock redis.conf loads; pidfile, process title and oom-score-adj are honoured", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-cfgc-'));
    const pidfile = path.join(dir, 'redis.pid');
    const conf = path.join(dir, 'redis.conf');
    // Only what would touch the machine's own files or daemonize is changed.
    const stock = fs.readFileSync(STOCK_CONF, 'utf8')
      .replace(/^pidfile .*$/m, `pidfile ${pidfile}`)
      .replace(/^logfile .*$/m, 'logfile ""')
      .replace(/^daemonize .*$/m, 'daemonize no')
      .replace(/^supervised .*$/m, '# supervised (not implemented: Redust refuses it)');
    fs.writeFileSync(conf, stock + '\noom-score-adj absolute\noom-score-adj-values "17 200 800"\n');
    const cli = await startCliOnPort([conf], dir);
    try {
      assert.is(fs.readFileSync(pidfile, 'utf8'), `${cli.child.pid}\n`);
      const cmdline = fs.readFileSync(`/proc/${cli.child.pid}/cmdline`, 'utf8');
      assert.ok(cmdline.startsWith(`redust 127.0.0.1:${cli.port}`), cmdline);
      assert.is(fs.readFileSync(`/proc/${cli.child.pid}/oom_score_adj`, 'utf8').trim(), '17');
      const c = await RawConnection.connect(cli.port);
      assert.is(text(await c.send('PING')), 'PONG');
      // oom-score-adj no puts back the value the process started with.
      assert.is(text(await c.send('CONFIG', 'SET', 'oom-score-adj', 'no')), 'OK');
      assert.is(fs.readFileSync(`/proc/${cli.child.pid}/oom_score_adj`, 'utf8').trim(), fs.readFileSync('/proc/self/oom_score_adj', 'utf8').trim());
      assert.is(text(await c.send('CONFIG', 'SET', 'proc-title-template', 'cache {port}')), 'OK');
      assert.ok(fs.readFileSync(`/proc/${cli.child.pid}/cmdline`, 'utf8').startsWith(`cache ${cli.port}`));
      assert.is(text(await c.send('CONFIG', 'SET', 'proc-title-template', '{nope}')), "ERR CONFIG SET failed (possibly related to argument 'proc-title-template') - template format is invalid or contains unknown variables");
      c.close();
      cli.child.kill('SIGTERM');
      assert.is(await cli.exited, 0);
      assert.not.ok(fs.existsSync(pidfile), 'the pid file is removed at shutdown');
    } finally {
      cli.child.kill('SIGKILL');
    }
  });
}

/**
 * CONFIG SET of numeric settings, each value then CONFIG GET, the setting's default put back
 * last: config.c's numericParseString (memory values through memtoull: units, no sign, "" is 0,
 * past 2^64-1 saturated; string2ll for the others: no leading zero), numericBoundaryCheck (the
 * unsigned types: -1 is out of range), values printed exactly past 2^53, the error naming the
 * setting as typed, and latency-tracking-info-percentiles' string2d.
 */
const NUMERIC_CASES: [string, string[]][] = [
  ['maxmemory', ['-1', '-0', '1.5gb', '1g', '1GB', ' 1', '', 'mb', '5B', '+5', '1 kb', '0x10', '18446744073709551615', '18446744073709551616', '9223372036854775808', '0']],
  ['client-query-buffer-limit', ['-1', '1k', '1mb', '2gb', '1gb']],
  ['proto-max-bulk-len', ['-5', '1mb', '9223372036854775807', '9223372036854775808', '512mb']],
  ['hll-sparse-max-bytes', ['-1', '1kb', '3000']],
  ['hash-max-listpack-value', ['-1', '1kb', '64']],
  ['HASH-MAX-ZIPLIST-VALUE', ['-1', '64']],
  ['zset-max-listpack-value', ['1kb', '64']],
  ['stream-node-max-bytes', ['-1', '4kb', '4096']],
  ['hash-max-listpack-entries', ['-1', '007', '512']],
  ['set-max-intset-entries', ['-1', '18446744073709551615', '9223372036854775807', '512']],
  ['maxmemory-samples', ['0', '65', '2147483648', '5']],
  ['timeout', ['-1', '2147483648', '0']],
  ['tcp-keepalive', ['-1', '300']],
  ['maxclients', ['-1', '0', '4294967296', '10000']],
  ['lua-time-limit', ['-1', '5000']],
  ['slowlog-log-slower-than', ['-2', '9223372036854775807', '-0', '10000']],
  ['slowlog-max-len', ['-1', '128']],
  ['list-max-listpack-size', ['-2147483649', '2147483648', '-2']],
  ['hz', ['-1', '007', '10']],
  ['stream-node-max-entries', ['-1', '100']],
  ['latency-tracking-info-percentiles', ['50 200', 'a', 'inf', '1e400', '1e-400', '0x10', '', '50 99 99.9']],
  // (setConfigSaveOption: the value split at each space, words read by strtoll, changes an int)
  ['save', ['', ' ', '3600  1', '3600 ', '+100 -0', '100 4294967296', '9999999999999999999999 1', '1x 1', '\t5 1', '', '3600 1 300 100 60 10000']],
];

if (haveRedisServer()) {
  t('numeric settings are read, bounded and printed as config.c does: the same replies as Redis', async () => {
    const ref = await startReference();
    const s = await startRedust('wasm');
    const a = await RawConnection.connect(s.port);
    const b = await RawConnection.connect(ref.port);
    try {
      for (const [name, values] of NUMERIC_CASES) {
        for (const v of values) {
          assert.equal(await a.send('CONFIG', 'SET', name, v), await b.send('CONFIG', 'SET', name, v), `CONFIG SET ${name} '${v}'`);
          assert.equal(await a.send('CONFIG', 'GET', name), await b.send('CONFIG', 'GET', name), `CONFIG GET ${name} after '${v}'`);
        }
      }
      // A name without glob characters is replied as typed; names are one whatever their case;
      // a backslash is not a glob character there.
      // A name and its alias are two settings for CONFIG SET (no duplicate; the later wins); an odd
      // count of arguments is a syntax error.
      for (const args of [['busy-reply-threshold', '5000', 'lua-time-limit', '4000'], ['busy-reply-threshold', '5000', 'busy-reply-threshold', '4000'], ['a', 'b', 'c'], ['busy-reply-threshold', '5000']]) {
        assert.equal(await a.send('CONFIG', 'SET', ...args), await b.send('CONFIG', 'SET', ...args), `CONFIG SET ${args.join(' ')}`);
        assert.equal(await a.send('CONFIG', 'GET', 'busy-reply-threshold'), await b.send('CONFIG', 'GET', 'busy-reply-threshold'));
      }
      for (const names of [['Maxmemory'], ['maxmemory', 'MAXMEMORY'], ['max\\memory'], ['LUA-TIME-LIMIT']]) {
        assert.equal(await a.send('CONFIG', 'GET', ...names), await b.send('CONFIG', 'GET', ...names), `CONFIG GET ${names.join(' ')}`);
      }
    } finally {
      a.close();
      b.close();
      await s.close();
      await ref.stop();
    }
  });
}

t('switches of features Redust does not have are refused; their tunables are accepted', async () => {
  const s = await startRedust('wasm');
  const c = await RawConnection.connect(s.port);
  try {
    const set = async (k: string, v: string) => text(await c.send('CONFIG', 'SET', k, v));
    assert.match(await set('min-replicas-to-write', '1'), /not supported by Redust yet: replication/);
    assert.match(await set('activedefrag', 'yes'), /not supported by Redust yet: active defragmentation/);
    assert.match(await set('maxmemory-clients', '101%'), /percentage argument must be less or equal to 100/);
    assert.is(await set('cluster-enabled', 'yes'), "ERR CONFIG SET failed (possibly related to argument 'cluster-enabled') - can't set immutable config");
    assert.is(await set('io-threads', '4'), "ERR CONFIG SET failed (possibly related to argument 'io-threads') - can't set immutable config");
    for (const [k, v] of [['repl-backlog-size', '64mb'], ['replica-priority', '50'], ['slave-read-only', 'no'], ['cluster-node-timeout', '5000'], ['active-defrag-cycle-max', '50'], ['maxmemory-clients', '0%'], ['shutdown-on-sigint', 'default now']]) {
      assert.is(await set(k, v), 'OK', k);
    }
    assert.equal(items(await c.send('CONFIG', 'GET', 'replica-read-only')).map(text), ['replica-read-only', 'no']);
    assert.equal(items(await c.send('CONFIG', 'GET', 'maxmemory-clients')).map(text), ['maxmemory-clients', '0']);
    assert.equal(items(await c.send('CONFIG', 'GET', 'shutdown-on-sigint')).map(text), ['shutdown-on-sigint', 'now']);
    assert.is(await set('shutdown-on-sigint', 'save nosave'), "ERR CONFIG SET failed (possibly related to argument 'shutdown-on-sigint') - shutdown options SAVE and NOSAVE can't be used simultaneously");
  } finally {
    c.close();
    await s.close();
  }
  for (const line of ['replicaof 127.0.0.1 6380', 'cluster-enabled yes', 'io-threads 4', 'supervised systemd', 'syslog-enabled yes']) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-cfgc-'));
    fs.writeFileSync(path.join(dir, 'r.conf'), line + '\n');
    const child = spawn(process.execPath, [BIN, path.join(dir, 'r.conf'), '--port', String(await freePort())], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stderr!.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((r) => child.on('exit', (x) => r(x)));
    assert.is(code, 1, line);
    assert.match(out, /is not supported by Redust yet/, line);
  }
});

t('config lines: one argument unless the setting takes several; client-output-buffer-limit lines add up', () => {
  assert.throws(() => parseConfigFile('masteruser configuration as such:\n', 'r.conf'), /wrong number of arguments/);
  assert.throws(() => parseConfigFile('client-output-buffer-limit <class> <hard limit> <soft limit> <soft seconds>\n', 'r.conf'), /Wrong number of arguments in buffer limit configuration/);
  const out = parseConfigFile('bind 127.0.0.1 ::1\nclient-output-buffer-limit normal 0 0 0\nclient-output-buffer-limit replica 256mb 64mb 60\nclient-output-buffer-limit pubsub 16mb 4mb 30\n', 'r.conf');
  const config = new Config(out);
  assert.is(config.text('bind'), '127.0.0.1 ::1');
  assert.is(config.text('client-output-buffer-limit'), 'normal 0 0 0 slave 268435456 67108864 60 pubsub 16777216 4194304 30');
  // One quoted word of a multi-argument setting is split again as a line is (Redis's sdssplitargs
  // of it); CONFIG SET splits at single spaces instead (see the CONFIG SET cases above).
  assert.is(new Config(parseConfigFile('save "3600  1"\n', 'r.conf')).text('save'), '3600 1');
  assert.is(new Config(parseConfigFile('bind "127.0.0.1  ::1"\n', 'r.conf')).text('bind'), '127.0.0.1 ::1');
  assert.throws(() => parseConfigFile('save "3600  1 300"\n', 'r.conf'), /Invalid save parameters/);
});

t('tls-replication yes needs the TLS files, as in Redis', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-cfgc-'));
  fs.writeFileSync(path.join(dir, 'r.conf'), 'tls-replication yes\n');
  const child = spawn(process.execPath, [BIN, path.join(dir, 'r.conf'), '--port', String(await freePort()), '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((r) => child.on('exit', (x) => r(x)));
  assert.is(code, 1);
  assert.match(out, /No tls-cert-file configured!/);
});

for (const engine of enginesUnderTest()) {
  t(`[${engine}] INFO hz follows hz and dynamic-hz (doubled while clients outnumber 200 per tick)`, async () => {
    const s = await startRedust(engine);
    const c = await RawConnection.connect(s.port);
    const conns: RawConnection[] = [];
    const hz = async () => /\r\nhz:(\d+)/.exec(text(await c.send('INFO', 'server')))![1];
    try {
      assert.is(text(await c.send('CONFIG', 'SET', 'hz', '1')), 'OK');
      await new Promise((r) => setTimeout(r, 1100)); // one tick at the old rate
      assert.is(await hz(), '1');
      for (let i = 0; i < 250; i++) conns.push(await RawConnection.connect(s.port));
      await new Promise((r) => setTimeout(r, 1100));
      assert.is(await hz(), '2', '251 clients at hz 1: 2 ticks a second');
      assert.is(text(await c.send('CONFIG', 'SET', 'dynamic-hz', 'no')), 'OK');
      await new Promise((r) => setTimeout(r, 600));
      assert.is(await hz(), '1');
    } finally {
      for (const x of conns) x.close();
      c.close();
      await s.close();
    }
  });

  t(`[${engine}] maxmemory-eviction-tenacity: a short eviction goes on between commands`, async () => {
    assert.is(evictionTimeLimitMs(10), 0.5);
    assert.is(evictionTimeLimitMs(0), 0);
    assert.is(evictionTimeLimitMs(100), Infinity);
    const s = await startRedust(engine);
    const c = await RawConnection.connect(s.port);
    try {
      for (let i = 0; i < 20; i++) {
        const args = ['MSET'];
        for (let j = 0; j < 500; j++) args.push(`k${i}:${j}`, 'x'.repeat(100));
        await c.send(...args);
      }
      const used = () => c.send('INFO', 'memory').then((r) => Number(/used_memory:(\d+)/.exec(text(r))![1]));
      const before = await used();
      await c.send('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-random');
      await c.send('CONFIG', 'SET', 'maxmemory-eviction-tenacity', '0');
      const limit = Math.floor(before * 0.6);
      await c.send('CONFIG', 'SET', 'maxmemory', String(limit));
      // The write is not refused: eviction ran out of its (zero) time and goes on afterwards.
      assert.is(text(await c.send('SET', 'new', 'v')), 'OK');
      for (let i = 0; i < 100 && (await used()) > limit; i++) await new Promise((r) => setTimeout(r, 20));
      assert.ok((await used()) <= limit, 'back under maxmemory');
      const stats = text(await c.send('INFO', 'stats'));
      assert.ok(Number(/evicted_keys:(\d+)/.exec(stats)![1]) > 16);
    } finally {
      c.close();
      await s.close();
    }
  });
}

t('shutdown-on-sigterm nosave skips the save; SHUTDOWN FORCE exits although the save fails', async () => {
  const cli = await startCliOnPort(['--save', '3600 1', '--shutdown-on-sigterm', 'nosave']);
  const c = await RawConnection.connect(cli.port);
  await c.send('SET', 'k', 'v');
  c.close();
  cli.child.kill('SIGTERM');
  assert.is(await cli.exited, 0);
  assert.not.ok(fs.existsSync(path.join(cli.dir, 'dump.rdb')), 'no save with nosave');

  const cli2 = await startCliOnPort(['--save', '3600 1']);
  const c2 = await RawConnection.connect(cli2.port);
  await c2.send('SET', 'k', 'v');
  fs.rmSync(cli2.dir, { recursive: true, force: true }); // the save cannot create its file now
  assert.is(text(await c2.send('SHUTDOWN')), 'ERR Errors trying to SHUTDOWN. Check logs.');
  await cli2.waitForOutput(/Error trying to save the DB, can't exit/);
  await c2.send('SHUTDOWN', 'FORCE').catch(() => undefined);
  assert.is(await cli2.exited, 0);
  assert.match(cli2.out(), /Error trying to save the DB\. Exit anyway\./);
});

t('activerehashing no: the idle work leaves a rehash to the operations (wasm)', () => {
  const engine = new WasmEngine();
  const db = engine.createDb(0, { now: () => 1000 }, () => undefined) as unknown as { rehashStep(n: number): boolean; set(k: Buffer, v: string): void };
  let i = 0;
  // Grow until a rehash is in progress.
  while (!db.rehashStep(0) && i < 1_000_000) db.set(Buffer.from(`key:${i++}`), 'v');
  assert.ok(db.rehashStep(0), 'a rehash started');
  engine.backgroundWork(20, false);
  assert.ok(db.rehashStep(0), 'still rehashing after idle work without active rehash');
  engine.backgroundWork(50, true);
  assert.not.ok(db.rehashStep(0), 'the idle work finished it');
});

t.run();
