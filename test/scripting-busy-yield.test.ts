/**
 * A busy script does not make the server deaf (Redis 7.0's processEventsWhileBlocked): while a
 * script runs past busy-reply-threshold, NEW connections are accepted and answered BUSY (SCRIPT
 * KILL, FUNCTION KILL, SHUTDOWN NOSAVE, AUTH, HELLO still work), and signals are handled: a first
 * SIGTERM/SIGINT shuts the server down once the script has ended, a second SIGINT exits at once
 * with code 1. Redust runs as a child process (bin/redust.js); every scenario also runs against
 * real Redis (redis-server) when installed, and the transcripts and exit codes must be identical.
 * Also: a script's effects reach the AOF once, wrapped in MULTI/EXEC, though it yielded; a script
 * inside EXEC yields too (EXEC runs the rest of its queue after it), and under CLIENT REPLY
 * OFF/SKIP (its reply dropped when it ends).
 */
import { spawn, ChildProcess } from 'child_process';
import fs from 'fs';
import path from 'path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { enginesUnderTest, freePort, haveRedisServer } from './helpers/servers';
import { encodeCommand, RawConnection, Arg, waitAccepting } from './helpers/raw';
import { renderNode } from '../src/protocol/resp-reader';

const BIN = path.join(__dirname, '..', '..', 'bin', 'redust.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const HAVE_REF = haveRedisServer();

interface Proc {
  port: number;
  dir: string;
  child: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal). */
  exit: Promise<number | null>;
  exited(): boolean;
  stop(): Promise<void>;
}

/** redust (engine name) or real Redis, with busy-reply-threshold 100 ms. */
async function start(kind: string, extra: string[] = []): Promise<Proc> {
  const port = await freePort();
  const dir = fs.mkdtempSync('/tmp/redust-busyyield-');
  const common = ['--port', String(port), '--save', '', '--busy-reply-threshold', '100', '--dir', dir, ...extra];
  const child =
    kind === 'redis'
      ? spawn('redis-server', [...common, '--bind', '127.0.0.1', '--logfile', '', '--loglevel', 'warning', '--daemonize', 'no'], { stdio: 'ignore' })
      : spawn(process.execPath, [BIN, ...common, '--engine', kind, '--loglevel', 'warning'], { stdio: 'ignore' });
  let done = false;
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => ((done = true), resolve(code))));
  await waitAccepting(port);
  return {
    port,
    dir,
    child,
    exit,
    exited: () => done,
    stop: async () => {
      if (!done) {
        child.kill('SIGKILL');
        await exit;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

type Scenario = (p: Proc, log: string[]) => Promise<void>;

function recorder(log: string[]) {
  return async (who: string, c: RawConnection, ...args: Arg[]) => {
    log.push(`${who}> ${args.join(' ')} => ${renderNode(await c.send(...args))}`);
  };
}

/** Exit code within ms, or 'running'. */
async function exitWithin(p: Proc, ms: number): Promise<number | null | 'running'> {
  return Promise.race([p.exit, sleep(ms).then(() => 'running' as const)]);
}

const SPIN = 'local i = 0 while true do i = i + 1 end';

const scenarios: Record<string, Scenario> = {
  async 'a new connection gets BUSY, AUTH/HELLO work, its SCRIPT KILL ends the script; data intact'(p, log) {
    const rec = recorder(log);
    const a = await RawConnection.connect(p.port);
    await rec('a', a, 'SET', 'k', 'v');
    await rec('a', a, 'RPUSH', 'l', '1', '2');
    // (The caller pipelines a PING: it runs after the script's reply.)
    a.write(Buffer.concat([encodeCommand(['EVAL', SPIN, '0']), encodeCommand(['PING'])]));
    await sleep(400);
    const n = await RawConnection.connect(p.port);
    await rec('n', n, 'GET', 'k');
    await rec('n', n, 'PING');
    await rec('n', n, 'AUTH', 'nobody');
    log.push(`n> HELLO 2 => ${renderNode(await n.send('HELLO', '2')).replace(/"id", :\d+/, '"id", :ID')}`);
    await rec('n', n, 'FUNCTION', 'KILL');
    await rec('n', n, 'SHUTDOWN');
    await rec('n', n, 'SCRIPT', 'KILL');
    log.push(`a< ${renderNode(await a.next(5000))}`);
    log.push(`a< ${renderNode(await a.next(5000))}`);
    await rec('a', a, 'GET', 'k');
    await rec('n', n, 'LRANGE', 'l', '0', '-1');
    await rec('n', n, 'SCRIPT', 'KILL');
    a.close();
    n.close();
  },

  async "a blocked client's timeout that passes during a busy script is answered after it"(p, log) {
    const rec = recorder(log);
    const b = await RawConnection.connect(p.port);
    b.write(encodeCommand(['BLPOP', 'q', '0.3']));
    await sleep(50);
    const a = await RawConnection.connect(p.port);
    a.write(encodeCommand(['EVAL', SPIN, '0']));
    await sleep(800);
    log.push(`b answered during the script: ${await b.hasReplyWithin(200)}`);
    const n = await RawConnection.connect(p.port);
    await rec('n', n, 'SCRIPT', 'KILL');
    log.push(`a< ${renderNode(await a.next(5000))}`);
    log.push(`b< ${renderNode(await b.next(5000))}`);
    await rec('b', b, 'PING');
    a.close();
    b.close();
    n.close();
  },

  async 'FUNCTION KILL from a new connection ends a busy function'(p, log) {
    const rec = recorder(log);
    const a = await RawConnection.connect(p.port);
    await rec('a', a, 'FUNCTION', 'LOAD', `#!lua name=spinlib\nredis.register_function('spin', function() ${SPIN} end)`);
    a.write(encodeCommand(['FCALL', 'spin', '0']));
    await sleep(400);
    const n = await RawConnection.connect(p.port);
    await rec('n', n, 'GET', 'k');
    await rec('n', n, 'SCRIPT', 'KILL');
    await rec('n', n, 'FUNCTION', 'KILL');
    log.push(`a< ${renderNode(await a.next(5000))}`);
    await rec('a', a, 'PING');
    await rec('n', n, 'FUNCTION', 'KILL');
    a.close();
    n.close();
  },

  async 'a busy script that wrote is UNKILLABLE; SHUTDOWN NOSAVE from a new connection stops the server'(p, log) {
    const rec = recorder(log);
    const a = await RawConnection.connect(p.port);
    a.write(encodeCommand(['EVAL', `redis.call('set', 'x', '1') ${SPIN}`, '0']));
    await sleep(400);
    const n = await RawConnection.connect(p.port);
    await rec('n', n, 'GET', 'x');
    await rec('n', n, 'SCRIPT', 'KILL');
    n.write(encodeCommand(['SHUTDOWN', 'NOSAVE']));
    log.push(`n closed: ${await n.waitClosed(5000)}`);
    log.push(`a closed: ${await a.waitClosed(5000)}`);
    log.push(`exit: ${await exitWithin(p, 5000)}`);
  },

  async 'the caller disconnects: a new connection can still kill the script'(p, log) {
    const rec = recorder(log);
    const a = await RawConnection.connect(p.port);
    a.write(encodeCommand(['EVAL', SPIN, '0']));
    await sleep(300);
    a.close();
    await sleep(100);
    const n = await RawConnection.connect(p.port);
    await rec('n', n, 'GET', 'k');
    await rec('n', n, 'SCRIPT', 'KILL');
    await sleep(100);
    await rec('n', n, 'PING');
    n.close();
  },

  async 'a second SIGINT during a busy script exits at once with code 1'(p, log) {
    const rec = recorder(log);
    const a = await RawConnection.connect(p.port);
    a.write(encodeCommand(['EVAL', SPIN, '0']));
    await sleep(300);
    p.child.kill('SIGINT');
    await sleep(300);
    log.push(`after 1st SIGINT: ${await exitWithin(p, 10)}`);
    const n = await RawConnection.connect(p.port);
    await rec('n', n, 'GET', 'k');
    p.child.kill('SIGINT');
    log.push(`after 2nd SIGINT: ${await exitWithin(p, 5000)}`);
  },

  async 'SIGTERM during a busy script: the shutdown waits for the script, then happens'(p, log) {
    const rec = recorder(log);
    const a = await RawConnection.connect(p.port);
    a.write(encodeCommand(['EVAL', SPIN, '0']));
    await sleep(300);
    p.child.kill('SIGTERM');
    await sleep(300);
    log.push(`after SIGTERM: ${await exitWithin(p, 10)}`);
    const n = await RawConnection.connect(p.port);
    await rec('n', n, 'GET', 'k');
    await rec('n', n, 'SCRIPT', 'KILL');
    log.push(`after SCRIPT KILL: ${await exitWithin(p, 5000)}`);
    // The killed script's error reply is not written: the server exits first (as Redis).
    log.push(`a got a reply: ${await a.hasReplyWithin(200)}`);
  },

  async 'inside MULTI/EXEC (no yield) existing clients still get BUSY and SCRIPT KILL works'(p, log) {
    const rec = recorder(log);
    const a = await RawConnection.connect(p.port);
    const b = await RawConnection.connect(p.port);
    await rec('a', a, 'MULTI');
    await rec('a', a, 'EVAL', SPIN, '0');
    a.write(encodeCommand(['EXEC']));
    await sleep(400);
    await rec('b', b, 'GET', 'k');
    await rec('b', b, 'SCRIPT', 'KILL');
    log.push(`a< ${renderNode(await a.next(5000))}`);
    await rec('b', b, 'PING');
    a.close();
    b.close();
  },

  async 'inside EXEC: a new connection gets BUSY, its SCRIPT KILL ends the script, EXEC runs the rest of its queue'(p, log) {
    const rec = recorder(log);
    const a = await RawConnection.connect(p.port);
    await rec('a', a, 'MULTI');
    await rec('a', a, 'SET', 'x', '1');
    await rec('a', a, 'EVAL', SPIN, '0');
    await rec('a', a, 'INCR', 'x');
    // (The caller pipelines a GET: it runs after EXEC's reply.)
    a.write(Buffer.concat([encodeCommand(['EXEC']), encodeCommand(['GET', 'x'])]));
    await sleep(400);
    const n = await RawConnection.connect(p.port);
    await rec('n', n, 'GET', 'x');
    await rec('n', n, 'PING');
    await rec('n', n, 'SCRIPT', 'KILL');
    log.push(`a< ${renderNode(await a.next(5000))}`);
    log.push(`a< ${renderNode(await a.next(5000))}`);
    await rec('n', n, 'GET', 'x');
    a.close();
    n.close();
  },

  async "under CLIENT REPLY OFF and SKIP the yielded script's reply is dropped when it ends"(p, log) {
    const rec = recorder(log);
    const a = await RawConnection.connect(p.port);
    a.write(Buffer.concat([encodeCommand(['CLIENT', 'REPLY', 'OFF']), encodeCommand(['EVAL', SPIN, '0']), encodeCommand(['CLIENT', 'REPLY', 'ON'])]));
    await sleep(400);
    const n = await RawConnection.connect(p.port);
    await rec('n', n, 'GET', 'k');
    await rec('n', n, 'SCRIPT', 'KILL');
    log.push(`a< ${renderNode(await a.next(5000))}`);
    a.write(Buffer.concat([encodeCommand(['CLIENT', 'REPLY', 'SKIP']), encodeCommand(['EVAL', SPIN, '0']), encodeCommand(['PING'])]));
    await sleep(400);
    await rec('n', n, 'GET', 'k');
    await rec('n', n, 'SCRIPT', 'KILL');
    log.push(`a< ${renderNode(await a.next(5000))}`);
    log.push(`a more: ${await a.hasReplyWithin(200)}`);
    a.close();
    n.close();
  },

  async 'inside EXEC, a script that yielded and wrote: the transaction reaches the AOF once, in one MULTI/EXEC'(p, log) {
    const rec = recorder(log);
    const a = await RawConnection.connect(p.port);
    const script = "redis.call('set', 'ya', '1') for i = 1, 100000000 do end redis.call('set', 'yb', '2') return redis.call('get', 'ya')";
    await rec('a', a, 'MULTI');
    await rec('a', a, 'SET', 'q', '0');
    await rec('a', a, 'EVAL', script, '0');
    await rec('a', a, 'SET', 'q', '1');
    a.write(encodeCommand(['EXEC']));
    await sleep(200);
    const n = await RawConnection.connect(p.port);
    await rec('n', n, 'GET', 'ya');
    await rec('n', n, 'SCRIPT', 'KILL');
    log.push(`a< ${renderNode(await a.next(30000))}`);
    await rec('n', n, 'MGET', 'q', 'ya', 'yb');
    await sleep(200);
    const dir = path.join(p.dir, 'appendonlydir');
    const incr = fs.readdirSync(dir).find((f) => f.endsWith('.incr.aof'))!;
    const aof = fs.readFileSync(path.join(dir, incr), 'latin1').replace(/\r\n/g, ' ');
    log.push(`aof: ${/MULTI .*set \$1 q \$1 0 .*set \$2 ya \$1 1 .*set \$2 yb \$1 2 .*set \$1 q \$1 1 .*EXEC/i.test(aof)}, MULTI blocks: ${aof.match(/MULTI/gi)?.length ?? 0}`);
    a.close();
    n.close();
  },

  async 'a script that yielded: others never see half of it; its effects reach the AOF once, in MULTI/EXEC'(p, log) {
    const rec = recorder(log);
    const a = await RawConnection.connect(p.port);
    // (Long enough on both servers: ~0.6 s on Redis, ~1.5 s on Redust.)
    const script = "redis.call('set', 'ya', '1') for i = 1, 100000000 do end redis.call('set', 'yb', '2') return redis.call('get', 'ya')";
    a.write(encodeCommand(['EVAL', script, '0']));
    await sleep(200);
    const n = await RawConnection.connect(p.port);
    await rec('n', n, 'GET', 'ya');
    log.push(`a< ${renderNode(await a.next(30000))}`);
    await rec('n', n, 'MGET', 'ya', 'yb');
    await sleep(200);
    const dir = path.join(p.dir, 'appendonlydir');
    const incr = fs.readdirSync(dir).find((f) => f.endsWith('.incr.aof'))!;
    const aof = fs.readFileSync(path.join(dir, incr), 'latin1').replace(/\r\n/g, ' ');
    log.push(`aof: ${/MULTI .*set \$2 ya \$1 1 .*set \$2 yb \$1 2 .*EXEC/i.test(aof)}`);
    a.close();
    n.close();
  },
};

const EXTRA: Record<string, string[]> = {
  'inside EXEC, a script that yielded and wrote: the transaction reaches the AOF once, in one MULTI/EXEC': ['--appendonly', 'yes'],
  'a script that yielded: others never see half of it; its effects reach the AOF once, in MULTI/EXEC': ['--appendonly', 'yes'],
};

async function transcript(kind: string, name: string): Promise<string[]> {
  const p = await start(kind, EXTRA[name] ?? []);
  const log: string[] = [];
  try {
    await scenarios[name](p, log);
  } finally {
    await p.stop();
  }
  return log;
}

/** What Redust must show without a reference server (key lines of each transcript). */
const EXPECT: Record<string, RegExp[]> = {
  'a new connection gets BUSY, AUTH/HELLO work, its SCRIPT KILL ends the script; data intact': [
    /^n> GET k => -BUSY Redis is busy running a script\. You can only call SCRIPT KILL or SHUTDOWN NOSAVE\.$/,
    /^n> SCRIPT KILL => \+OK$/,
    /^a< -ERR Script killed by user with SCRIPT KILL\.\.\./,
    /^a> GET k => "v"$/,
  ],
  "a blocked client's timeout that passes during a busy script is answered after it": [/^b answered during the script: false$/, /^b< \(nil\)|^b< \*-1/],
  'FUNCTION KILL from a new connection ends a busy function': [/^n> FUNCTION KILL => \+OK$/, /^a> PING => \+PONG$/],
  'a busy script that wrote is UNKILLABLE; SHUTDOWN NOSAVE from a new connection stops the server': [/^n> SCRIPT KILL => -UNKILLABLE/, /^exit: 0$/],
  'the caller disconnects: a new connection can still kill the script': [/^n> SCRIPT KILL => \+OK$/, /^n> PING => \+PONG$/],
  'a second SIGINT during a busy script exits at once with code 1': [/^after 1st SIGINT: running$/, /^n> GET k => -BUSY/, /^after 2nd SIGINT: 1$/],
  'SIGTERM during a busy script: the shutdown waits for the script, then happens': [/^after SIGTERM: running$/, /^n> GET k => -BUSY/, /^after SCRIPT KILL: 0$/, /^a got a reply: false$/],
  'inside MULTI/EXEC (no yield) existing clients still get BUSY and SCRIPT KILL works': [/^b> GET k => -BUSY/, /^b> SCRIPT KILL => \+OK$/],
  'a script that yielded: others never see half of it; its effects reach the AOF once, in MULTI/EXEC': [/^n> GET ya => -BUSY/, /^a< "1"$/, /^aof: true$/],
  "under CLIENT REPLY OFF and SKIP the yielded script's reply is dropped when it ends": [/^n> GET k => -BUSY/, /^n> SCRIPT KILL => \+OK$/, /^a< \+OK$/, /^a< \+PONG$/, /^a more: false$/],
  'inside EXEC: a new connection gets BUSY, its SCRIPT KILL ends the script, EXEC runs the rest of its queue': [
    /^n> GET x => -BUSY/,
    /^n> SCRIPT KILL => \+OK$/,
    /^a< \[\+OK, -ERR Script killed by user with SCRIPT KILL\.\.\..*, :2\]$/,
    /^a< "2"$/,
  ],
  'inside EXEC, a script that yielded and wrote: the transaction reaches the AOF once, in one MULTI/EXEC': [
    /^n> GET ya => -BUSY/,
    /^n> SCRIPT KILL => -UNKILLABLE/,
    /^a< \[\+OK, "1", \+OK\]$/,
    /^aof: true, MULTI blocks: 1$/,
  ],
};

for (const engine of enginesUnderTest()) {
  const t = suite(`busy scripts yield to the event loop [${engine}]`);
  for (const name of Object.keys(scenarios)) {
    t(name, async () => {
      const mine = await transcript(engine, name);
      if (process.env.SHOW_TRANSCRIPT) console.log(mine.join('\n'));
      for (const re of EXPECT[name]) assert.ok(mine.some((l) => re.test(l)), `${re} in:\n${mine.join('\n')}`);
      if (HAVE_REF) assert.equal(mine, await transcript('redis', name));
    });
  }
  t('the suspended EVAL is accounted once, with its whole duration (commandstats, SLOWLOG)', async () => {
    const p = await start(engine);
    try {
      const a = await RawConnection.connect(p.port);
      await a.send('CONFIG', 'RESETSTAT');
      a.write(encodeCommand(['EVAL', SPIN, '0']));
      await sleep(400);
      const n = await RawConnection.connect(p.port);
      assert.equal(renderNode(await n.send('SCRIPT', 'KILL')), '+OK');
      await a.next(5000);
      const info = renderNode(await a.send('INFO', 'commandstats'));
      assert.match(info, /cmdstat_eval:calls=1,usec=\d+,usec_per_call=[\d.]+,rejected_calls=0,failed_calls=1/);
      const usec = Number(/cmdstat_eval:calls=1,usec=(\d+)/.exec(info)![1]);
      assert.ok(usec >= 350000, info);
      assert.match(info, /cmdstat_script\|kill:calls=1/);
      const slow = renderNode(await a.send('SLOWLOG', 'GET', '1'));
      assert.match(slow, /"EVAL", "local i = 0/);
      const dur = Number(/^\[\[:\d+, :\d+, :(\d+)/.exec(slow)![1]);
      assert.ok(dur >= 350000 && dur <= usec, slow);
      a.close();
      n.close();
    } finally {
      await p.stop();
    }
  });

  t.run();
}
