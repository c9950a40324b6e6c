/**
 * Redust embedded in a test process keeps real time while the test fakes timers. Vitest's and
 * Jest's `useFakeTimers` are @sinonjs/fake-timers: they replace the globals setImmediate,
 * setTimeout, setInterval, Date and performance.now. A server that used them would never flush a
 * reply (its writes wait for setImmediate) and would expire keys on the test's fake clock; Redust
 * captures the real ones when it is loaded (src/util/real-timers.ts), as a separate redis-server
 * would ignore the test's clock. Tests move Redust's own clock with advanceTime.
 */
import FakeTimers from '@sinonjs/fake-timers';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import Redis from 'ioredis';
import { enginesUnderTest, startRedust } from './helpers/servers';
import type { RedustServer } from '../src/index';

// What Vitest fakes by default, plus performance and hrtime as Jest does (not nextTick or
// queueMicrotask: Node's own sockets run on them, so no real client works with those faked).
const FAKED: FakeTimers.FakeMethod[] = ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'Date', 'performance', 'hrtime'];

/** `p`, or a failure after 2 s of real time (a server waiting on a faked timer never answers). */
function within<T>(p: Promise<T>): Promise<T> {
  let timer: unknown;
  const limit = new Promise<never>((_, reject) => {
    timer = FakeTimers.timers.setTimeout(() => reject(new Error('no reply within 2 s of real time')), 2000);
  });
  return Promise.race([p, limit]).finally(() => FakeTimers.timers.clearTimeout(timer as never));
}

for (const engine of enginesUnderTest()) {
  const t = suite<{ srv: RedustServer; redis: Redis; clock: ReturnType<typeof FakeTimers.install> | null }>(`fake timers in the test process [${engine}]`);
  t.before.each(async (ctx) => {
    ctx.srv = await startRedust(engine);
    ctx.redis = new Redis(ctx.srv.port, '127.0.0.1', { lazyConnect: true });
    await ctx.redis.connect();
    ctx.clock = FakeTimers.install({ toFake: FAKED });
  });
  t.after.each(async (ctx) => {
    ctx.clock?.uninstall();
    ctx.redis.disconnect();
    await ctx.srv.close();
  });

  t('replies are flushed and keys keep real time while the test\'s clock is fake', async ({ redis, clock }) => {
    assert.is(await within(redis.set('k', 'v', 'EX', 100)), 'OK');
    clock!.tick(500_000);
    assert.is(await within(redis.get('k')), 'v');
    const ttl = await within(redis.ttl('k'));
    assert.ok(ttl >= 98 && ttl <= 100, `TTL ${ttl}: the key did not follow the fake clock`);
    // the wall clock is the real one (fake Date starts at 1970)
    const [sec] = await within(redis.time());
    assert.ok(Math.abs(Number(sec) - Math.floor(clock!.Date.now() / 1000)) > 1000, 'fake clock is in 1970');
    const realNow = Math.floor(FakeTimers.timers.Date.now() / 1000);
    assert.ok(Math.abs(Number(sec) - realNow) <= 2, `TIME ${sec} is the real time ${realNow}`);
    const p = redis.pipeline();
    for (let i = 0; i < 200; i++) p.incr('n');
    const res = await within(p.exec());
    assert.equal(res![199], [null, 200]);
  });

  t('a blocking command times out on real time; advanceTime still moves Redust\'s clock', async ({ srv, redis }) => {
    const t0 = FakeTimers.timers.Date.now();
    assert.is(await within(redis.blpop('nothing', 0.05)), null);
    assert.ok(FakeTimers.timers.Date.now() - t0 >= 40, 'BLPOP waited its timeout');
    await within(redis.set('e', '1', 'PX', 5000));
    srv.advanceTime(6000);
    assert.is(await within(redis.exists('e')), 0);
  });

  t.run();
}
