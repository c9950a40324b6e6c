/**
 * redlock (v4, CommonJS, the npm `latest`) against Redust on every engine: acquire, extend,
 * release, contention between two clients, expiry (moved with advanceTime instead of sleeping),
 * multi-resource locks and a 3-node quorum; plus redlock's own Lua scripts and the lock-release
 * script from the Redis docs compared reply by reply with real Redis.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import Redis from 'ioredis';
import { enginesUnderTest, haveRedisServer, startRedust, startReference, ReferenceServer } from './helpers/servers';
import { Differential } from './helpers/diff';
import { diffTest } from './helpers/suite';
import type { RedustServer } from '../src/index';

// redlock@4 ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const Redlock = require('redlock');

interface Lock {
  resource: string | string[];
  value: string;
  expiration: number;
  unlock(): Promise<void>;
  extend(ttl: number): Promise<Lock>;
}
interface RedlockApi {
  lock(resource: string | string[], ttl: number): Promise<Lock>;
  unlock(lock: Lock): Promise<void>;
  extend(lock: Lock, ttl: number): Promise<Lock>;
  on(ev: string, fn: (e: Error) => void): void;
}

const HAVE_REF = haveRedisServer();

/** The lock-release script from https://redis.io/docs/manual/patterns/distributed-locks/ */
const RELEASE = 'if redis.call("get",KEYS[1]) == ARGV[1] then return redis.call("del",KEYS[1]) else return 0 end';

// redlock@4's scripts (node_modules/redlock/redlock.js), for the differential test.
const LOCK_SCRIPT = `
	for i, key in ipairs(KEYS) do
		if redis.call("exists", key) == 1 then
			return 0
		end
	end
	for i, key in ipairs(KEYS) do
		redis.call("set", key, ARGV[1], "PX", ARGV[2])
	end
	return #KEYS
`;
const UNLOCK_SCRIPT = `
	local count = 0
	for i, key in ipairs(KEYS) do
		if redis.call("get", key) == ARGV[1] then
			redis.pcall("del", key)
			count = count + 1
		end
	end
	return count
`;
const EXTEND_SCRIPT = `
	for i, key in ipairs(KEYS) do
		if redis.call("get", key) ~= ARGV[1] then
			return 0
		end
	end
	for i, key in ipairs(KEYS) do
		redis.call("set", key, ARGV[1], "PX", ARGV[2])
	end
	return #KEYS
`;

function client(srv: RedustServer): Redis {
  return new Redis(srv.port, '127.0.0.1', { maxRetriesPerRequest: 1, retryStrategy: () => null, enableOfflineQueue: true });
}

async function rejects(p: Promise<unknown>, re: RegExp): Promise<Error> {
  try {
    await p;
  } catch (e) {
    assert.match((e as Error).message, re);
    return e as Error;
  }
  assert.unreachable('expected a rejection');
  throw new Error('unreachable');
}

for (const engine of enginesUnderTest()) {
  const t = suite<{ srv: RedustServer; ref?: ReferenceServer; d?: Differential; r1: Redis; r2: Redis }>(`redlock [${engine}]`);

  t.before(async (ctx) => {
    ctx.srv = await startRedust(engine);
    ctx.r1 = client(ctx.srv);
    ctx.r2 = client(ctx.srv);
    if (HAVE_REF) {
      ctx.ref = await startReference();
      ctx.d = await Differential.connect(ctx.srv.port, ctx.ref.port);
    }
  });

  t.after(async (ctx) => {
    ctx.r1.disconnect();
    ctx.r2.disconnect();
    ctx.d?.close();
    await ctx.srv.close();
    await ctx.ref?.stop();
  });

  t.before.each(async (ctx) => {
    await ctx.r1.flushall();
    if (ctx.d) await ctx.d.reference.send('FLUSHALL');
  });

  t('acquire, extend, release (EVALSHA with NOSCRIPT fallback to EVAL)', async ({ r1, srv }) => {
    await r1.script('FLUSH');
    const redlock: RedlockApi = new Redlock([r1], { retryCount: 0 });
    const lock = await redlock.lock('res:a', 1000);
    assert.is(await r1.get('res:a'), lock.value);
    const pttl = await r1.pttl('res:a');
    assert.ok(pttl > 0 && pttl <= 1000, `pttl ${pttl}`);
    // the NOSCRIPT fallback loaded the script: the next call is a plain EVALSHA hit
    assert.equal(await r1.script('EXISTS', '6e4dd6127da8c50ad5cc7c1f2d3a0a9e3e5bd7e9'), [0]);
    const extended = await lock.extend(5000);
    assert.is(extended.value, lock.value);
    const pttl2 = await r1.pttl('res:a');
    assert.ok(pttl2 > 1000 && pttl2 <= 5000, `pttl after extend ${pttl2}`);
    srv.advanceTime(2000); // past the original TTL, within the extended one
    assert.is(await r1.get('res:a'), lock.value);
    await extended.unlock();
    assert.is(await r1.exists('res:a'), 0);
    // releasing again: the value is gone, redlock reports it cannot fully release
    await rejects(extended.unlock(), /Unable to fully release the lock/);
  });

  t('contention: the second client fails while the lock is held, succeeds after release', async ({ r1, r2 }) => {
    const a: RedlockApi = new Redlock([r1], { retryCount: 0 });
    const b: RedlockApi = new Redlock([r2], { retryCount: 0 });
    const la = await a.lock('res:c', 10000);
    await rejects(b.lock('res:c', 10000), /exceeded 0 attempts|Exceeded 0 attempts|attempts to lock/i);
    // b cannot release or extend a's lock: its value does not match
    await rejects(b.unlock({ ...la, value: 'not-the-owner', resource: 'res:c' } as Lock), /Unable to fully release/);
    assert.is(await r1.get('res:c'), la.value);
    await la.unlock();
    const lb = await b.lock('res:c', 10000);
    assert.is(await r2.get('res:c'), lb.value);
    assert.is.not(lb.value, la.value);
    await rejects(a.extend(la, 10000), /already expired/); // released locks are invalidated client-side
    await rejects(a.extend({ ...la, expiration: Date.now() + 10000 } as Lock, 10000), /attempts/i); // and the server refuses it
    await lb.unlock();
  });

  t('contention: the second client succeeds once the holder lets the lock expire', async ({ r1, r2, srv }) => {
    const a: RedlockApi = new Redlock([r1], { retryCount: 0 });
    const b: RedlockApi = new Redlock([r2], { retryCount: 0 });
    const la = await a.lock('res:e', 3000);
    await rejects(b.lock('res:e', 3000), /attempts/i);
    srv.advanceTime(2000);
    await rejects(b.lock('res:e', 3000), /attempts/i);
    srv.advanceTime(1500);
    const lb = await b.lock('res:e', 3000);
    assert.is(await r2.get('res:e'), lb.value);
    // a's stale unlock must not delete b's lock
    await rejects(a.unlock(la), /Unable to fully release/);
    assert.is(await r2.get('res:e'), lb.value);
    await lb.unlock();
  });

  t('retries: a waiting client acquires the lock once the holder releases it', async ({ r1, r2 }) => {
    const a: RedlockApi = new Redlock([r1], { retryCount: 0 });
    const b: RedlockApi = new Redlock([r2], { retryCount: 20, retryDelay: 20, retryJitter: 0 });
    const la = await a.lock('res:w', 10000);
    const waiting = b.lock('res:w', 10000);
    setTimeout(() => void la.unlock(), 60);
    const lb = await waiting;
    assert.is(await r2.get('res:w'), lb.value);
    await lb.unlock();
  });

  t('multi-resource locks are all-or-nothing', async ({ r1, r2 }) => {
    const a: RedlockApi = new Redlock([r1], { retryCount: 0 });
    const b: RedlockApi = new Redlock([r2], { retryCount: 0 });
    const la = await a.lock(['m:1', 'm:2', 'm:3'], 10000);
    assert.equal(await r1.mget('m:1', 'm:2', 'm:3'), [la.value, la.value, la.value]);
    await rejects(b.lock(['m:3', 'm:4'], 10000), /attempts/i);
    assert.is(await r1.exists('m:4'), 0);
    await la.unlock();
    assert.is(await r1.exists('m:1', 'm:2', 'm:3'), 0);
    const lb = await b.lock(['m:3', 'm:4'], 10000);
    await lb.unlock();
  });

  t('quorum over three Redust nodes: one node already holding the key does not prevent the lock', async ({ srv }) => {
    const extra = [await startRedust(engine), await startRedust(engine)];
    const clients = [client(srv), client(extra[0]), client(extra[1])];
    try {
      await clients[2].set('q:res', 'someone-else', 'PX', 10000);
      const rl: RedlockApi = new Redlock(clients, { retryCount: 0 });
      const lock = await rl.lock('q:res', 5000);
      assert.is(await clients[0].get('q:res'), lock.value);
      assert.is(await clients[1].get('q:res'), lock.value);
      assert.is(await clients[2].get('q:res'), 'someone-else');
      // a second contender only gets at most the remaining node: no quorum
      const rl2: RedlockApi = new Redlock([clients[0], clients[1], clients[2]], { retryCount: 0 });
      await rejects(rl2.lock('q:res', 5000), /attempts/i);
      await lock.unlock(); // 2 of 3 released: a quorum
      assert.is(await clients[0].exists('q:res'), 0);
      assert.is(await clients[2].get('q:res'), 'someone-else');
    } finally {
      for (const c of clients) c.disconnect();
      for (const s of extra) await s.close();
    }
  });

  diffTest(t, "redlock's scripts and the Redis docs' release script reply like Redis", async ({ d }) => {
    const ev = (script: string, keys: string[], args: string[]) => ['EVAL', script, String(keys.length), ...keys, ...args];
    await d.all([
      ['SET', 'lock', 'token1'],
      ev(RELEASE, ['lock'], ['other']),
      ['GET', 'lock'],
      ev(RELEASE, ['lock'], ['token1']),
      ['EXISTS', 'lock'],
      ev(RELEASE, ['lock'], ['token1']),
      ev(RELEASE, ['nolock'], ['']),
      ['HSET', 'wrongtype', 'f', 'v'],
      ev(RELEASE, ['wrongtype'], ['x']),
      ev(LOCK_SCRIPT, ['r1', 'r2'], ['v1', '100000']),
      ['GET', 'r1'],
      ev(LOCK_SCRIPT, ['r2', 'r3'], ['v2', '100000']),
      ['EXISTS', 'r3'],
      ev(LOCK_SCRIPT, ['r9'], ['v', 'notanumber']),
      ev(LOCK_SCRIPT, ['r9'], ['v', '0']),
      ev(LOCK_SCRIPT, ['r9'], ['v', '-5']),
      ev(EXTEND_SCRIPT, ['r1', 'r2'], ['v1', '200000']),
      ev(EXTEND_SCRIPT, ['r1', 'r2'], ['other', '200000']),
      ev(EXTEND_SCRIPT, ['wrongtype'], ['v1', '200000']),
      ev(UNLOCK_SCRIPT, ['r1', 'r2', 'r3'], ['v1']),
      ['EXISTS', 'r1', 'r2'],
      ev(UNLOCK_SCRIPT, ['wrongtype'], ['v1']),
    ]);
    // and through EVALSHA, as redlock sends them
    const sha = (await d.check(['SCRIPT', 'LOAD', RELEASE])) as { v: Buffer };
    await d.all([
      ['SET', 'lock', 'tok'],
      ['EVALSHA', sha.v.toString(), '1', 'lock', 'tok'],
      ['EVALSHA', sha.v.toString(), '1', 'lock', 'tok'],
      ['EVALSHA', 'ffffffffffffffffffffffffffffffffffffffff', '1', 'lock', 'tok'],
    ]);
  });

  t.run();
}
