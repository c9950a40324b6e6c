/**
 * Reply ordering: every reply goes to the connection that sent the command, in the order the
 * commands were sent, exactly once. Redis does not read a blocked client's later commands until
 * it is unblocked, so a later command's reply can never overtake the blocked command's (clients
 * match replies to commands by position). Scenarios with raw connections are compared with real
 * Redis 7.0; a bounded stress test with ioredis clients (which abort on a reply no command is
 * waiting for: "Command queue state error") mixes blocking commands, pipelines, MULTI and a
 * connection that pipelines FLUSHALL, SCRIPT FLUSH and CLIENT KILL while the others work.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'net';
import Redis from 'ioredis';
import { enginesUnderTest, haveRedisServer, startRedust, startReference, ReferenceServer } from './helpers/servers';
import { Arg, RawConnection, encodeCommand } from './helpers/raw';
import { renderNode } from '../src/protocol/resp-reader';
import type { RedustServer } from '../src/index';

const HAVE_REF = haveRedisServer();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(cond: () => boolean, ms = 10000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(5);
  }
}

/**
 * One blocked-client scenario: `blocked` sends `block`, then (in a later write) `later`; after a
 * pause `other` runs `wake` (or nothing). Returns what `blocked` received, in order.
 */
async function blockedThenLater(port: number, block: Arg[], later: Arg[][], wake: Arg[][], waitMs = 400): Promise<string[]> {
  const blocked = await RawConnection.connect(port);
  const other = await RawConnection.connect(port);
  try {
    await other.send('FLUSHALL');
    await other.send('XGROUP', 'CREATE', 'st', 'g', '$', 'MKSTREAM');
    const out: string[] = [];
    blocked.write(encodeCommand(block));
    await sleep(30);
    // Separate writes: each arrives in its own read while the client is blocked.
    for (const cmd of later) {
      blocked.write(encodeCommand(cmd));
      await sleep(20);
    }
    // Nothing may be answered while the client is blocked.
    out.push((await blocked.hasReplyWithin(100)) ? 'early reply' : '(nothing while blocked)');
    for (const cmd of wake) {
      if (cmd[0] === 'CLIENT' && cmd[1] === 'UNBLOCK') {
        const id = renderNode(await other.send('CLIENT', 'LIST', 'TYPE', 'normal'));
        const m = /id=(\d+)[^\n]*cmd=(blpop|bzpopmin|xread|xreadgroup|blmove|brpoplpush|blmpop)/.exec(id);
        await other.send('CLIENT', 'UNBLOCK', m ? m[1] : '0', ...cmd.slice(3));
      } else await other.send(...cmd);
    }
    for (let i = 0; i < 1 + later.length; i++) {
      try {
        out.push(renderNode(await blocked.next(waitMs + 1000)));
      } catch {
        out.push('(no reply)');
      }
    }
    return out;
  } finally {
    blocked.close();
    other.close();
  }
}

const SCENARIOS: [string, Arg[], Arg[][], Arg[][]][] = [
  ['BLPOP, later SET, then LPUSH', ['BLPOP', 'q', '0'], [['SET', 'k', 'v']], [['LPUSH', 'q', 'x']]],
  ['BLPOP, later SET + GET + PING, then LPUSH', ['BLPOP', 'q', '0'], [['SET', 'k', 'v'], ['GET', 'k'], ['PING']], [['LPUSH', 'q', 'x']]],
  ['BLPOP, later a second BLPOP, then two pushes', ['BLPOP', 'q', '0'], [['BLPOP', 'q', '0']], [['RPUSH', 'q', 'a'], ['RPUSH', 'q', 'b']]],
  ['BLPOP times out, later SET', ['BLPOP', 'q', '0.3'], [['SET', 'k', 'v']], []],
  ['BZPOPMIN, later INCR, then ZADD', ['BZPOPMIN', 'z', '0'], [['INCR', 'n']], [['ZADD', 'z', '1', 'm']]],
  ['BLMOVE, later GET, then RPUSH', ['BLMOVE', 'q', 'd', 'LEFT', 'RIGHT', '0'], [['GET', 'k']], [['RPUSH', 'q', 'x']]],
  ['XREAD BLOCK, later PING, then XADD', ['XREAD', 'BLOCK', '0', 'STREAMS', 'st', '$'], [['PING', 'p']], [['XADD', 'st', '1-1', 'f', 'v']]],
  ['XREADGROUP BLOCK, later ECHO, then XADD', ['XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 'st', '>'], [['ECHO', 'e']], [['XADD', 'st', '1-1', 'f', 'v']]],
  ['BLPOP, later MULTI/SET/EXEC, then CLIENT UNBLOCK', ['BLPOP', 'q', '0'], [['MULTI'], ['SET', 'k', 'v'], ['EXEC']], [['CLIENT', 'UNBLOCK', 'id']]],
  ['BLPOP, later QUIT, then CLIENT UNBLOCK ERROR', ['BLPOP', 'q', '0'], [['QUIT']], [['CLIENT', 'UNBLOCK', 'id', 'ERROR']]],
];

/** What a worker saw that is wrong: a queue-state error, or a reply that is not its command's. */
interface StressReport {
  wrong: string[];
  commands: number;
}

/**
 * Bounded stress (loopback only): `workers` ioredis clients loop over tagged commands whose replies
 * identify them (ECHO tag, SET → OK, INCR → integer, BLPOP with a short timeout then a SET sent in a
 * later tick, MULTI/EXEC), while a fresh connection now and then pipelines FLUSHALL, SCRIPT FLUSH,
 * CLIENT KILL normal (old form: no such client) and CLIENT KILL TYPE normal (kills the others,
 * which reconnect and resend). Any reply routed to the wrong command is reported.
 */
async function stress(port: number, ms: number, workers = 6): Promise<StressReport> {
  const wrong: string[] = [];
  let commands = 0;
  const deadline = Date.now() + ms;
  const clients: Redis[] = [];
  const onError = (e: Error) => {
    if (/queue state/i.test(e.message)) wrong.push(e.message);
  };
  const expect = async (what: string, p: Promise<unknown>, ok: (v: unknown) => boolean) => {
    try {
      const v = await p;
      commands++;
      if (!ok(v)) wrong.push(`${what} got ${JSON.stringify(v)}`);
    } catch (e) {
      const msg = (e as Error).message;
      // Connection loss from CLIENT KILL is expected; anything else is a wrong reply.
      if (!/Connection is closed|Stream isn't writeable|ECONNRESET|EPIPE|UNBLOCKED/.test(msg)) wrong.push(`${what} failed: ${msg}`);
    }
  };
  const worker = async (i: number) => {
    const r = new Redis({ port, host: '127.0.0.1', lazyConnect: false, maxRetriesPerRequest: null, retryStrategy: () => 5, enableOfflineQueue: true });
    r.on('error', onError);
    clients.push(r);
    let n = 0;
    while (Date.now() < deadline) {
      const tag = `w${i}-${n++}`;
      const jobs: Promise<void>[] = [];
      jobs.push(expect('ECHO', r.echo(tag), (v) => v === tag));
      jobs.push(expect('SET', r.set(`k${i}`, tag), (v) => v === 'OK'));
      jobs.push(expect('INCR', r.incr(`n${i}`), (v) => typeof v === 'number'));
      if (n % 3 === 0) {
        // A blocking pop that times out (or is served), then commands in a later tick.
        jobs.push(expect('BLPOP', r.blpop(`q${i % 2}`, 0.02), (v) => v === null || (Array.isArray(v) && v.length === 2)));
        await sleep(1);
        jobs.push(expect('SET after BLPOP', r.set(`a${i}`, tag), (v) => v === 'OK'));
        jobs.push(expect('ECHO after BLPOP', r.echo(tag + 'b'), (v) => v === tag + 'b'));
      }
      if (n % 4 === 0) jobs.push(expect('LPUSH', r.lpush(`q${(i + 1) % 2}`, tag), (v) => typeof v === 'number'));
      if (n % 5 === 0) {
        jobs.push(
          expect('MULTI', r.multi().echo(tag + 'm').incr(`n${i}`).exec(), (v) => v === null || (Array.isArray(v) && Array.isArray(v[0]) && v[0][1] === tag + 'm')),
        );
      }
      await Promise.all(jobs);
    }
  };
  const hook = async () => {
    while (Date.now() < deadline) {
      await sleep(60);
      const h = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1, retryStrategy: () => null });
      h.on('error', onError);
      try {
        const res = await h.pipeline().flushall().script('FLUSH').client('KILL', 'normal').client('KILL', 'TYPE', 'normal').exec();
        commands += 4;
        const got = (res ?? []).map(([e, v]) => (e ? `ERR:${(e as Error).message}` : v));
        if (got[0] !== 'OK' || got[1] !== 'OK' || got[2] !== 'ERR:ERR No such client' || typeof got[3] !== 'number') wrong.push(`hook pipeline got ${JSON.stringify(got)}`);
      } catch (e) {
        wrong.push(`hook failed: ${(e as Error).message}`);
      } finally {
        h.disconnect();
      }
    }
  };
  try {
    await Promise.all([...Array.from({ length: workers }, (_, i) => worker(i)), hook()]);
  } finally {
    for (const c of clients) c.disconnect();
  }
  return { wrong, commands };
}

for (const engine of enginesUnderTest()) {
  const t = suite<{ srv: RedustServer; ref?: ReferenceServer }>(`ordering [${engine}]`);
  t.before(async (ctx) => {
    ctx.srv = await startRedust(engine);
    if (HAVE_REF) ctx.ref = await startReference();
  });
  t.after(async (ctx) => {
    await ctx.srv.close();
    await ctx.ref?.stop();
  });

  t("a blocked client's later commands are answered after the blocked command (BLPOP then SET)", async ({ srv }) => {
    const got = await blockedThenLater(srv.port, ['BLPOP', 'q', '0'], [['SET', 'k', 'v']], [['LPUSH', 'q', 'x']]);
    assert.equal(got, ['(nothing while blocked)', '["q", "x"]', '+OK']);
  });

  if (HAVE_REF) {
    for (const [title, block, later, wake] of SCENARIOS) {
      t(`same order as Redis: ${title}`, async ({ srv, ref }) => {
        const ours = await blockedThenLater(srv.port, block, later, wake);
        assert.equal(ours, await blockedThenLater(ref!.port, block, later, wake));
      });
    }
  }

  t('replies bigger than the socket buffer stay whole and in order (direct writes, then the stream)', async ({ srv }) => {
    // An 8 MB reply does not fit the kernel's socket buffer while the client is not reading: the
    // direct write takes part of it, the stream the rest, and later replies queue behind it.
    const big = Buffer.alloc(8 << 20, 'x');
    const sock = net.connect(srv.port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    const chunks: Buffer[] = [];
    sock.on('data', (d) => chunks.push(d));
    sock.write(encodeCommand(['SET', 'big', big]));
    await waitFor(() => Buffer.concat(chunks).toString() === '+OK\r\n');
    chunks.length = 0;
    sock.pause();
    sock.write(Buffer.concat([encodeCommand(['GET', 'big']), encodeCommand(['PING']), encodeCommand(['GET', 'big']), encodeCommand(['ECHO', 'tail'])]));
    await sleep(300);
    sock.resume();
    const bulk = Buffer.concat([Buffer.from(`$${big.length}\r\n`), big, Buffer.from('\r\n')]);
    const want = Buffer.concat([bulk, Buffer.from('+PONG\r\n'), bulk, Buffer.from('$4\r\ntail\r\n')]);
    await waitFor(() => chunks.reduce((n, c) => n + c.length, 0) >= want.length);
    sock.destroy();
    assert.ok(Buffer.concat(chunks).equals(want), 'replies differ from what was sent, in order');
  });

  t('stress: replies never misrouted or extra with kills, blocking pops and pipelines (Redust)', async ({ srv }) => {
    const r = await stress(srv.port, 2500);
    assert.ok(r.commands > 500, `only ${r.commands} commands ran`);
    assert.equal(r.wrong, []);
  });

  if (HAVE_REF) {
    t('stress: the same invariants hold on Redis (the test itself is sound)', async ({ ref }) => {
      const r = await stress(ref!.port, 1500);
      assert.equal(r.wrong, []);
    });
  }

  t.run();
}
