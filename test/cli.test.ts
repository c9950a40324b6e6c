/**
 * The `redust` command line (bin/redust.js): options, config file, environment variables, errors,
 * --help/--version, graceful shutdown on SIGTERM, and the Prometheus endpoint.
 */
import { spawn, spawnSync, execFile, ChildProcess } from 'child_process';
import fs from 'fs';
import http from 'http';
import os from 'os';
import path from 'path';
import { promisify } from 'util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { freePort, haveRedisServer, startCli, startReference } from './helpers/servers';
import { RawConnection, R, text } from './helpers/raw';
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
    assert.throws(() => parseArgs([file], {}), />>> 'port'\nwrong number of arguments/);
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

  /**
   * SIGTERM schedules the shutdown for serverCron (shutdown_asap): DEBUG PAUSE-CRON holds it,
   * SHUTDOWN ABORT cancels it; the same replies from redis-server and Redust (both engines).
   */
  const sigtermAbort = async (port: number): Promise<string[]> => {
    const c = await RawConnection.connect(port);
    const out: string[] = [];
    const say = async (...args: string[]) => out.push(`${args.join(' ')} -> ${JSON.stringify(await c.send(...args))}`);
    try {
      for (const args of [['ABORT'], ['ABORT', 'NOSAVE'], ['NOSAVE', 'ABORT'], ['ABORT', 'FORCE'], ['ABORT', 'ABORT'], ['ABORT', 'x']]) await say('SHUTDOWN', ...args);
      const pid = Number(/process_id:(\d+)/.exec(text(await c.send('INFO', 'server')))![1]);
      await say('DEBUG', 'PAUSE-CRON', '1');
      process.kill(pid, 'SIGTERM');
      await new Promise((r) => setTimeout(r, 300)); // (three cron periods at hz 10)
      await say('PING');
      await say('SHUTDOWN', 'ABORT');
      await say('DEBUG', 'PAUSE-CRON', '0');
      await new Promise((r) => setTimeout(r, 300));
      await say('PING');
      await say('SHUTDOWN', 'ABORT');
      return out;
    } finally {
      c.close();
    }
  };

  t('SIGTERM waits for the cron (DEBUG PAUSE-CRON holds it) and SHUTDOWN ABORT cancels it, as in redis-server', async () => {
    const ref = await startReference();
    let want: string[];
    try {
      want = await sigtermAbort(ref.port);
    } finally {
      await ref.stop();
    }
    assert.ok(want.includes('SHUTDOWN ABORT -> {"t":"simple","v":"OK"}'), want.join('\n'));
    for (const engine of ['js-map', 'wasm']) {
      const port = await freePort();
      const srv = await startCli(['--port', String(port), '--engine', engine, '--enable-debug-command', 'yes']);
      try {
        assert.equal(await sigtermAbort(port), want, engine);
        await srv.waitForOutput(/Received SIGTERM scheduling shutdown\.\.\.[^]*Shutdown manually aborted\./);
        // With the cron running, a SIGTERM shuts down (saving: the CLI has save points).
        srv.child.kill('SIGTERM');
        assert.is(await srv.exited, 0);
        assert.match(srv.out(), /User requested shutdown\.\.\.[^]*Saving the final RDB snapshot before exiting\.[^]*DB saved on disk/);
      } finally {
        srv.child.kill('SIGKILL');
        await srv.exited;
        fs.rmSync(srv.dir, { recursive: true, force: true });
      }
    }
  });

  t('command-line options are config lines as redis-server makes them: the same errors, line numbers and quoting', async () => {
    // `--port <free port>` first: a case that redis-server accepted would not take 6379.
    const port = String(await freePort());
    const cases = [
      ['--port'],
      ['--port', '6380', '--loglevel'],
      ['--port', '6379', '6380'],
      ['--port', '--loglevel', 'verbose'],
      ['--port', '--bla', '--loglevel', 'verbose'],
      ['--logfile', '--my--log--file', '--loglevel', '--bla'],
      ['--shutdown-on-sigint'],
      ['--shutdown-on-sigint', 'now force', '--shutdown-on-sigterm'],
      ['--replicaof', '127.0.0.1', 'abc'],
      ['--replicaof', '--127.0.0.1', '--abc'],
      ['--notify-keyspace-events', 'K', 'E'],
      ['--no-such-option', 'a b', 'c"d\\e'],
      ['--maxmemory "1mb'],
      ['--maxmemory 1mb 2mb'],
    ];
    // The four lines of the FATAL CONFIG FILE ERROR block (Redust adds its hint after them).
    const block = (out: string) => {
      const lines = out.split('\n');
      const at = lines.findIndex((l) => l.startsWith('*** FATAL CONFIG FILE ERROR'));
      return at < 0 ? out : lines.slice(at, at + 4).join('\n');
    };
    for (const args of cases) {
      const r = spawnSync('redis-server', ['--port', port, ...args], { encoding: 'utf8', timeout: 3000 });
      const theirs = block(r.stdout + r.stderr);
      assert.match(theirs, /^\*\*\* FATAL CONFIG FILE ERROR/, args.join(' '));
      let ours = '';
      try {
        parseArgs(['--port', port, ...args], {});
      } catch (e) {
        ours = block((e as Error).message);
      }
      assert.is(ours, theirs, args.join(' '));
    }
  });

  t('command-line options accepted as redis-server accepts them: a value starting with --, a name and value in one argument, --save without a value (CONFIG GET compared)', async () => {
    const cases = [
      ['--maxmemory 700mb', '--maxmemory-policy volatile-lru'],
      ["--maxmemory '700mb'", "--maxmemory-policy 'volatile-lru'"],
      ['--proc-title-template', '--my--title--template', '--loglevel', 'verbose'],
      ['--proc-title-template --my--title--template', '--loglevel verbose'],
      ['--save', '--loglevel', 'verbose'],
      ['--loglevel', 'verbose', '--save'],
      ['--proc-title-template', '--save', '--save', '', '--loglevel', 'verbose'],
      ['--shutdown-on-sigint', 'nosave', 'force', 'now', '--shutdown-on-sigterm', 'nosave force'],
    ];
    const names = ['maxmemory', 'maxmemory-policy', 'proc-title-template', 'loglevel', 'save', 'shutdown-on-sigint', 'shutdown-on-sigterm'];
    // (the settings each case gives: startReference's own options come first)
    const configOf = async (port: number, args: string[]) => {
      const c = await RawConnection.connect(port);
      const out: string[] = [];
      for (const n of names.filter((x) => args.some((a) => a.includes(`--${x}`)))) {
        const r = await c.send('CONFIG', 'GET', n);
        out.push(r.t === 'array' ? r.v.map(text).join('=') : JSON.stringify(r));
      }
      c.close();
      return out;
    };
    for (const args of cases) {
      const ref = await startReference(args);
      let theirs: string[];
      try {
        theirs = await configOf(ref.port, args);
      } finally {
        await ref.stop();
      }
      const port = await freePort();
      const srv = await startCli(['--port', String(port), ...args]);
      try {
        assert.equal(await configOf(port, args), theirs, args.join(' '));
      } finally {
        srv.child.kill('SIGKILL');
        await srv.exited;
        fs.rmSync(srv.dir, { recursive: true, force: true });
      }
    }
  });
} else t.skip('save options and SIGTERM compared with redis-server (no reference redis-server)');

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
  const { child, out, exited } = await startCli(['--port', String(port), ...args]);
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
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
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

t('daemonize yes: the command exits 0 at once; the server runs detached, writes its pidfile, and removes it at SHUTDOWN', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-daemon-'));
  const port = await freePort();
  const log = path.join(dir, 'redust.log');
  try {
    const r = spawnSync(process.execPath, [BIN, '--port', String(port), '--daemonize', 'yes', '--dir', dir, '--pidfile', 'redust.pid', '--logfile', log, '--save', ''], { encoding: 'utf8', timeout: 10_000 });
    assert.is(r.status, 0, r.stderr);
    const pidFile = path.join(dir, 'redust.pid');
    let c: RawConnection | null = null;
    for (let i = 0; i < 100 && c === null; i++) {
      await new Promise((res) => setTimeout(res, 50));
      if (fs.existsSync(pidFile)) c = await RawConnection.connect(port).catch(() => null);
    }
    assert.ok(c, 'the daemon serves');
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    assert.ok(pid > 0 && pid !== r.pid, `the daemon's own pid (${pid})`);
    process.kill(pid, 0);
    assert.equal(await c!.send('PING'), R.simple('PONG'));
    assert.equal(await c!.send('CONFIG', 'GET', 'daemonize'), R.arr(R.bulk('daemonize'), R.bulk('yes')));
    await c!.send('SHUTDOWN', 'NOSAVE').catch(() => undefined);
    let gone = false;
    for (let i = 0; i < 100 && !gone; i++) {
      await new Promise((res) => setTimeout(res, 50));
      try {
        process.kill(pid, 0);
      } catch {
        gone = true;
      }
    }
    assert.ok(gone, 'the daemon exited');
    assert.not.ok(fs.existsSync(pidFile), 'pidfile removed');
    assert.match(fs.readFileSync(log, 'utf8'), /Ready to accept connections/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

t('a missing dir or a refused setting stops the binary with exit code 1', async () => {
  for (const args of [['--dir', '/no/such/redust/dir'], ['--engine', 'js-map', '--list-compress-depth', '1'], ['--activedefrag', 'yes']]) {
    try {
      await run(process.execPath, [BIN, '--port', '0', ...args]);
      assert.unreachable(args.join(' '));
    } catch (e) {
      const err = e as { code: number; stderr: string };
      assert.is(err.code, 1, args.join(' '));
      assert.match(err.stderr, /No such file or directory|is not supported by Redust yet|is not supported by the js-map engine/);
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
