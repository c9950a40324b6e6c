/**
 * Client-side caching (CLIENT TRACKING): every scenario runs on Redust and on real Redis 7.0 and
 * the transcripts (replies and invalidation pushes/messages, in arrival order) must be equal.
 */
import * as assert from 'uvu/assert';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { serverPairSuite, diffTest } from './helpers/suite';
import { enginesUnderTest } from './helpers/servers';
import { Arg, RawConnection, text } from './helpers/raw';
import { renderNode } from '../src/protocol/resp-reader';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Everything `c` receives until it has been quiet for `ms`. */
async function drain(c: RawConnection, ms = 40): Promise<string[]> {
  const out: string[] = [];
  while (await c.hasReplyWithin(ms)) out.push(renderNode(await c.next()));
  return out;
}

/** A scenario: named connections, steps [connection, ...command]; transcript of every connection. */
type Step = [string, ...Arg[]] | ['sleep', number] | ['close', string];

async function play(port: number, names: string[], steps: Step[]): Promise<string[]> {
  const conns = new Map<string, RawConnection>();
  const ids = new Map<string, string>();
  for (const n of names) {
    const c = await RawConnection.connect(port);
    conns.set(n, c);
    ids.set(n, renderNode(await c.send('CLIENT', 'ID')).slice(1));
  }
  const log: string[] = [];
  for (const step of steps) {
    if (step[0] === 'sleep') {
      await sleep(step[1] as number);
      continue;
    }
    if (step[0] === 'close') {
      conns.get(step[1] as string)!.close();
      conns.delete(step[1] as string);
      await sleep(30);
      continue;
    }
    const [who, ...args] = step as [string, ...Arg[]];
    // $id:name is replaced by that connection's client id.
    const real = args.map((a) => (typeof a === 'string' && a.startsWith('$id:') ? ids.get(a.slice(4))! : a));
    conns.get(who)!.write(encode(real));
    await sleep(5);
    for (const [n, c] of conns) {
      const got = await drain(c, n === who ? 60 : 25);
      for (const g of got) log.push(`${n}: ${g}`);
    }
    log.push(`-- ${who} ${args.join(' ')}`);
  }
  for (const c of conns.values()) c.close();
  // Client ids differ between the servers: name them where a reply carries one.
  const named = (l: string) => {
    for (const [n, id] of ids) l = l.replace(new RegExp(`^(\\w+): :${id}$`), `$1: :ID_${n}`);
    return l;
  };
  return log.map((l, i) => {
    if (log[i + 1]?.includes('GETREDIR')) l = named(l);
    return l.replace(/("id"|"redirect"|redir-broken")([:,]) :(\d+)/g, (_m, k: string, sep: string, id: string) => {
      for (const [n, v] of ids) if (v === id) return `${k}${sep} :ID_${n}`;
      return `${k}${sep} :${id}`;
    });
  });
}

function encode(args: Arg[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a), 'latin1');
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

const SCENARIOS: Record<string, { names: string[]; steps: Step[] }> = {
  // Found by the differential fuzzer: Redust wrote the null of a flush in the redirect target's
  // protocol; Redis 7.0 writes it in the tracking client's ("_" to a RESP2 subscriber).
  'REDIRECT of a RESP3 client to a RESP2 subscriber: the null of a flush in the client protocol': {
    names: ['c', 'r', 'o'],
    steps: [
      ['r', 'SUBSCRIBE', '__redis__:invalidate'],
      ['c', 'HELLO', '3'],
      ['c', 'CLIENT', 'TRACKING', 'on', 'REDIRECT', '$id:r', 'BCAST'],
      ['c', 'SET', 'a', '1'],
      ['c', 'FLUSHDB'],
      ['o', 'FLUSHALL'],
      ['c', 'HELLO', '2'],
      ['o', 'FLUSHALL'],
    ],
  },
  'RESP3 default mode: reads remembered, own and others writes, MGET, flush, expiry': {
    names: ['c', 'o'],
    steps: [
      ['c', 'HELLO', '3'],
      ['c', 'CLIENT', 'TRACKING', 'on'],
      ['c', 'GET', 'a'],
      ['o', 'SET', 'a', '1'],
      ['o', 'SET', 'a', '2'],
      ['c', 'GET', 'a'],
      ['c', 'SET', 'a', '3'],
      ['c', 'MGET', 'x', 'y', 'z'],
      ['o', 'MSET', 'x', '1', 'y', '2'],
      ['c', 'HGETALL', 'h'],
      ['c', 'EXISTS', 'ex'],
      ['o', 'HSET', 'h', 'f', 'v'],
      ['o', 'SELECT', '3'],
      ['o', 'SET', 'z', '1'],
      ['o', 'SET', 'e', 'v', 'PX', '400'],
      ['c', 'GET', 'e'],
      ['sleep', 900],
      ['o', 'PING'],
      ['c', 'GET', 'q'],
      ['o', 'FLUSHALL'],
      ['c', 'FLUSHDB'],
      ['c', 'MULTI'],
      ['c', 'GET', 'm'],
      ['c', 'SET', 'm', '1'],
      ['c', 'EXEC'],
      ['c', 'EVAL', "return redis.call('get', 'lua1')", '1', 'lua2'],
      ['o', 'SET', 'lua1', '1'],
      ['o', 'SET', 'lua2', '1'],
      ['c', 'CLIENT', 'TRACKINGINFO'],
      ['c', 'CLIENT', 'GETREDIR'],
      ['c', 'CLIENT', 'TRACKING', 'off'],
      ['c', 'GET', 'a'],
      ['o', 'SET', 'a', '9'],
    ],
  },
  'RESP2 REDIRECT to a subscriber of __redis__:invalidate; broken redirect': {
    names: ['c', 'r', 'o'],
    steps: [
      ['r', 'SUBSCRIBE', '__redis__:invalidate'],
      ['c', 'CLIENT', 'TRACKING', 'on', 'REDIRECT', '$id:r'],
      ['c', 'CLIENT', 'GETREDIR'],
      ['c', 'GET', 'k'],
      ['o', 'SET', 'k', '1'],
      ['c', 'SET', 'k', '2'],
      ['c', 'GET', 'k'],
      ['c', 'SET', 'k', '3'],
      ['c', 'GET', 'k2'],
      ['o', 'FLUSHDB'],
      ['c', 'GET', 'k3'],
      ['close', 'r'],
      ['o', 'SET', 'k3', '1'],
      ['c', 'CLIENT', 'TRACKINGINFO'],
      ['c', 'HELLO', '3'],
      ['c', 'GET', 'k4'],
      ['o', 'SET', 'k4', '1'],
      ['c', 'CLIENT', 'TRACKINGINFO'],
    ],
  },
  'BCAST with prefixes, NOLOOP, several prefixes, prefix collisions': {
    names: ['c', 'n', 'o'],
    steps: [
      ['c', 'HELLO', '3'],
      ['n', 'HELLO', '3'],
      ['c', 'CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'user:', 'PREFIX', 'obj:'],
      ['n', 'CLIENT', 'TRACKING', 'on', 'BCAST', 'NOLOOP'],
      ['o', 'SET', 'user:1', 'a'],
      ['o', 'MSET', 'obj:2', 'b', 'user:3', 'c', 'other', 'd'],
      ['n', 'SET', 'user:9', 'x'],
      ['n', 'MSET', 'user:9', 'y', 'zz', '1'],
      ['o', 'SET', 'zz', '2'],
      ['c', 'CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'us'],
      ['c', 'CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'a', 'PREFIX', 'ab'],
      ['c', 'CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'new:'],
      ['c', 'CLIENT', 'TRACKINGINFO'],
      ['o', 'SET', 'new:1', '1'],
      ['o', 'FLUSHALL'],
      ['c', 'CLIENT', 'TRACKING', 'on'],
      ['c', 'CLIENT', 'TRACKING', 'off'],
      ['c', 'CLIENT', 'TRACKINGINFO'],
      ['o', 'SET', 'user:1', 'a'],
    ],
  },
  'OPTIN / OPTOUT with CLIENT CACHING, and the errors': {
    names: ['c', 'o'],
    steps: [
      ['c', 'HELLO', '3'],
      ['c', 'CLIENT', 'CACHING', 'yes'],
      ['c', 'CLIENT', 'TRACKING', 'on', 'OPTIN'],
      ['c', 'CLIENT', 'CACHING', 'no'],
      ['c', 'CLIENT', 'CACHING', 'maybe'],
      ['c', 'GET', 'a'],
      ['c', 'CLIENT', 'CACHING', 'yes'],
      ['c', 'CLIENT', 'TRACKINGINFO'],
      ['c', 'GET', 'b'],
      ['c', 'GET', 'c'],
      ['o', 'MSET', 'a', '1', 'b', '2', 'c', '3'],
      ['c', 'CLIENT', 'CACHING', 'yes'],
      ['c', 'CLIENT', 'GETREDIR'],
      ['c', 'GET', 'd'],
      ['c', 'MULTI'],
      ['c', 'CLIENT', 'CACHING', 'yes'],
      ['c', 'GET', 'e'],
      ['c', 'GET', 'f'],
      ['c', 'EXEC'],
      ['o', 'MSET', 'd', '1', 'e', '2', 'f', '3'],
      ['c', 'CLIENT', 'TRACKING', 'on', 'OPTOUT'],
      ['c', 'CLIENT', 'TRACKING', 'off'],
      ['c', 'CLIENT', 'TRACKING', 'on', 'OPTOUT'],
      ['c', 'GET', 'a'],
      ['c', 'CLIENT', 'CACHING', 'no'],
      ['c', 'GET', 'b'],
      ['o', 'MSET', 'a', '1', 'b', '2'],
      ['c', 'CLIENT', 'TRACKING', 'on', 'OPTIN', 'OPTOUT'],
      ['c', 'CLIENT', 'TRACKING', 'on', 'BCAST', 'OPTIN'],
      ['c', 'CLIENT', 'TRACKING', 'on', 'PREFIX', 'x'],
      ['c', 'CLIENT', 'TRACKING', 'on', 'REDIRECT', '999999'],
      ['c', 'CLIENT', 'TRACKING', 'on', 'REDIRECT', 'abc'],
      ['c', 'CLIENT', 'TRACKING', 'on', 'REDIRECT', '$id:o', 'REDIRECT', '$id:o'],
      ['c', 'CLIENT', 'TRACKING', 'maybe'],
      ['c', 'CLIENT', 'TRACKING', 'on', 'BOGUS'],
      ['c', 'CLIENT', 'TRACKING', 'on', 'PREFIX'],
      ['c', 'CLIENT', 'TRACKING', 'on', 'BCAST'],
      ['c', 'CLIENT', 'TRACKING'],
      ['c', 'CLIENT', 'TRACKING', 'off'],
      ['c', 'CLIENT', 'TRACKING', 'on', 'NOLOOP'],
      ['c', 'GET', 'a'],
      ['c', 'SET', 'a', '1'],
      ['o', 'SET', 'a', '1'],
      ['c', 'GET', 'a'],
      ['o', 'SET', 'a', '1'],
      ['c', 'RESET'],
      ['c', 'CLIENT', 'TRACKINGINFO'],
    ],
  },
  // Redis 7.0's unit/tracking "Unblocked BLMOVE gets notification after response": the served
  // client is the current one while its command completes, so its own invalidation follows its
  // reply (Redust sent it first).
  'a served BLMOVE: the invalidation of its destination after its reply': {
    names: ['c', 'o'],
    steps: [
      ['o', 'RPUSH', 'l2', 'a'],
      ['c', 'HELLO', '3'],
      ['c', 'CLIENT', 'TRACKING', 'on'],
      ['c', 'LRANGE', 'l2', '0', '-1'],
      ['c', 'BLMOVE', 'l1', 'l2', 'LEFT', 'LEFT', '0'],
      ['o', 'RPUSH', 'l1', 'foo'],
      ['c', 'GET', 'l1'],
      ['o', 'SET', 'l1', 'x'],
    ],
  },
};

for (const engine of enginesUnderTest()) {
  const t = serverPairSuite('tracking', engine);

  for (const [name, sc] of Object.entries(SCENARIOS)) {
    diffTest(t, name, async ({ srv, ref }) => {
      const a = await play(srv.port, sc.names, sc.steps);
      const b = await play(ref.port, sc.names, sc.steps);
      assert.equal(a, b);
    });
  }

  diffTest(t, 'CLIENT LIST flags/redir and INFO tracking figures', async ({ srv, ref }) => {
    const run = async (port: number) => {
      const c = await RawConnection.connect(port);
      const r = await RawConnection.connect(port);
      const rid = renderNode(await r.send('CLIENT', 'ID')).slice(1);
      await c.send('FLUSHALL');
      const out: string[] = [];
      const fields = async () => {
        const info = text(await c.send('CLIENT', 'INFO'));
        out.push(/flags=\S+/.exec(info)![0], /redir=\S+/.exec(info)![0].replace(rid, 'RID'));
        const stats = text(await c.send('INFO', 'everything'));
        for (const f of ['tracking_clients', 'tracking_total_keys', 'tracking_total_items', 'tracking_total_prefixes']) out.push(new RegExp(`${f}:\\d+`).exec(stats)![0]);
      };
      await fields();
      await c.send('CLIENT', 'TRACKING', 'on', 'REDIRECT', rid);
      await c.send('MGET', 'a', 'b', 'c');
      await fields();
      r.close();
      await sleep(30);
      await c.send('SET', 'a', '1');
      await fields();
      await c.send('CLIENT', 'TRACKING', 'off');
      await c.send('CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'p1', 'PREFIX', 'p2');
      await fields();
      c.close();
      return out;
    };
    assert.equal(await run(srv.port), await run(ref.port));
  });

  t('tracking-table-max-keys: the table is cut back to the limit with invalidations', async ({ srv }) => {
    const c = await RawConnection.connect(srv.port);
    const admin = await RawConnection.connect(srv.port);
    await c.send('HELLO', '3');
    // Keys earlier tests left in the tracking table would share the evictions: start empty.
    await admin.send('FLUSHALL');
    await admin.send('CONFIG', 'SET', 'tracking-table-max-keys', '3');
    await c.send('CLIENT', 'TRACKING', 'on');
    for (let i = 0; i < 10; i++) c.write(encode(['GET', `k${i}`]));
    await sleep(150);
    const got = await drain(c);
    assert.is(got.filter((g) => g.startsWith('>')).length, 7);
    const info = text(await admin.send('INFO', 'stats'));
    assert.is(/tracking_total_keys:(\d+)/.exec(info)![1], '3');
    await admin.send('CONFIG', 'SET', 'tracking-table-max-keys', '1000000');
    c.close();
    admin.close();
  });

  // Redis 7.0's unit/tracking "Tracking gets notification on tracking table key eviction" and
  // "Regression test for #11715": tracking-table-max-keys is enforced before each command (the
  // client about to run it is the current one, for NOLOOP) and by the cron, which DEBUG PAUSE-CRON
  // stops. Redust cut the table after each command, with that command's client current: under
  // NOLOOP its own keys were dropped without an invalidation, and none reached the redirect target.
  diffTest(t, 'tracking-table-max-keys: cut before the next command and by the cron (DEBUG PAUSE-CRON), NOLOOP + REDIRECT', async ({ srv, ref }) => {
    const run = async (port: number) => {
      const c = await RawConnection.connect(port);
      const r = await RawConnection.connect(port);
      const m = await RawConnection.connect(port);
      const a = await RawConnection.connect(port);
      const out: string[] = [];
      // The key in an invalidation is drawn at random: keep its shape.
      const shape = async (conn: RawConnection, ms: number) => (await drain(conn, ms)).map((l) => l.replace(/k[12]\{t\}/g, 'K'));
      await a.send('FLUSHALL');
      const rid = renderNode(await r.send('CLIENT', 'ID')).slice(1);
      await r.send('SUBSCRIBE', '__redis__:invalidate');
      await c.send('CLIENT', 'TRACKING', 'on', 'REDIRECT', rid, 'NOLOOP');
      await c.send('MSET', 'k1{t}', '1', 'k2{t}', '2');
      await c.send('MGET', 'k1{t}', 'k2{t}');
      out.push('pause-cron', renderNode(await a.send('DEBUG', 'PAUSE-CRON', '1')));
      out.push('max-keys', renderNode(await a.send('CONFIG', 'SET', 'tracking-table-max-keys', '1')));
      // No command runs and the cron stands still: the table stays over the limit.
      out.push('paused', ...(await shape(r, 250)));
      // c's own command cuts it, c being current: NOLOOP leaves the invalidation out.
      out.push('own command', renderNode(await c.send('PING')), ...(await shape(r, 100)));
      await c.send('MGET', 'k1{t}', 'k2{t}');
      out.push('other command', renderNode(await a.send('DEBUG', 'PAUSE-CRON', '0')), ...(await shape(r, 100)));
      await c.send('MGET', 'k1{t}', 'k2{t}');
      out.push('cron', ...(await shape(r, 400)));
      // A RESP3 client in MULTI: the cut comes before its queued command's QUEUED (#11715).
      await m.send('HELLO', '3');
      await m.send('CLIENT', 'TRACKING', 'on');
      await a.send('DEBUG', 'PAUSE-CRON', '1');
      await a.send('CONFIG', 'SET', 'tracking-table-max-keys', '2');
      m.write(encode(['MGET', 'k1{t}', 'k2{t}']));
      m.write(encode(['MULTI']));
      out.push('multi', ...(await shape(m, 100)));
      await a.send('CONFIG', 'SET', 'tracking-table-max-keys', '1');
      m.write(encode(['PING']));
      m.write(encode(['EXEC']));
      out.push('queued', ...(await shape(m, 100)));
      await a.send('DEBUG', 'PAUSE-CRON', '0');
      await a.send('CONFIG', 'SET', 'tracking-table-max-keys', '1000000');
      for (const x of [c, r, m, a]) x.close();
      return out;
    };
    assert.equal(await run(srv.port), await run(ref.port));
  });

  t('ioredis with REDIRECT (RESP2): a local cache stays correct across writes', async ({ srv }) => {
    const sub = new Redis(srv.url);
    const main = new Redis(srv.url);
    const writer = new Redis(srv.url);
    const cache = new Map<string, string | null>();
    await sub.subscribe('__redis__:invalidate');
    sub.on('message', (_ch: string, keys: string[] | string) => {
      for (const k of Array.isArray(keys) ? keys : [keys]) cache.delete(k);
    });
    const subId = await sub.call('CLIENT', 'ID').catch(() => null);
    void subId;
    // CLIENT ID cannot run on a subscribed connection: look it up through CLIENT LIST.
    const list = (await writer.client('LIST')) as string;
    const line = list.split('\n').find((l) => l.includes('cmd=subscribe'))!;
    const id = /id=(\d+)/.exec(line)![1];
    await main.call('CLIENT', 'TRACKING', 'on', 'REDIRECT', id);
    const get = async (k: string) => {
      if (cache.has(k)) return cache.get(k)!;
      const v = await main.get(k);
      cache.set(k, v);
      return v;
    };
    await writer.set('x', '1');
    assert.is(await get('x'), '1');
    await writer.set('x', '2');
    await sleep(50);
    assert.is(await get('x'), '2');
    await writer.del('x');
    await sleep(50);
    assert.is(await get('x'), null);
    sub.disconnect();
    main.disconnect();
    writer.disconnect();
  });

  t('node-redis v4 (RESP2) over REDIRECT: invalidation messages reach a subscriber', async ({ srv }) => {
    const sub = createClient({ url: srv.url });
    const main = createClient({ url: srv.url });
    sub.on('error', () => undefined);
    main.on('error', () => undefined);
    await sub.connect();
    await main.connect();
    const subId = await sub.clientId();
    const got: string[] = [];
    await sub.subscribe('__redis__:invalidate', (msg) => got.push(msg));
    await main.sendCommand(['CLIENT', 'TRACKING', 'on', 'REDIRECT', String(subId)]);
    await main.get('nk');
    await main.set('nk', 'v');
    await sleep(50);
    assert.ok(got.length >= 1, 'an invalidation message arrived');
    await sub.quit();
    await main.quit();
  });
  t.run();
}
