/**
 * The eviction pool (evict.ts): with Redis's 16-entry pool fed by maxmemory-samples per eviction,
 * allkeys-lru evicts almost only the oldest keys and volatile-ttl the soonest to expire.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { enginesUnderTest, startRedust } from './helpers/servers';
import { RawConnection, text } from './helpers/raw';
import type { RedustServer } from '../src/index';

async function usedMemory(c: RawConnection): Promise<number> {
  return Number(/^used_memory:(\d+)/m.exec(text(await c.send('INFO', 'memory')))![1]);
}

for (const engine of enginesUnderTest()) {
  const t = suite<{ srv: RedustServer }>(`eviction-pool [${engine}]`);
  t.before(async (ctx) => {
    ctx.srv = await startRedust(engine);
  });
  t.after(async (ctx) => {
    await ctx.srv.close();
  });

  for (const [policy, ttl] of [
    ['allkeys-lru', false],
    ['volatile-ttl', true],
  ] as const) {
    t(`${policy}: evictions come from the worst 40% of the keys`, async ({ srv }) => {
      const c = await RawConnection.connect(srv.port);
      await c.send('FLUSHALL');
      await c.send('CONFIG', 'SET', 'maxmemory', '0');
      await c.send('CONFIG', 'SET', 'maxmemory-policy', policy);
      await c.send('CONFIG', 'SET', 'maxmemory-samples', '5');
      const value = 'v'.repeat(500);
      for (let i = 0; i < 1000; i++) {
        if (ttl) await c.send('SET', `k${i}`, value, 'EX', String(10000 + i * 10));
        else await c.send('SET', `k${i}`, value);
        if (i % 10 === 9) srv.advanceTime(1000); // the LRU clock may count whole seconds
      }
      // What the previous FLUSHALL left for the background frees would come back first (eviction
      // reclaims it before evicting): let it go, so the limit below needs evictions.
      while (srv.internal.engine.backgroundWork(50)) {
        /* lazy frees */
      }
      const used = await usedMemory(c);
      await c.send('CONFIG', 'SET', 'maxmemory', String(used - 100_000));
      await c.send('SET', 'trigger', 'x');
      const evicted: number[] = [];
      for (let i = 0; i < 1000; i++) if (renderInt(await c.send('EXISTS', `k${i}`)) === 0) evicted.push(i);
      assert.ok(evicted.length >= 100, `evicted ${evicted.length}`);
      const old = evicted.filter((i) => i < 400).length;
      assert.ok(old / evicted.length >= 0.9, `${old} of ${evicted.length} evictions among the oldest 40%`);
      await c.send('CONFIG', 'SET', 'maxmemory', '0');
      await c.send('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
      c.close();
    });
  }
  t.run();
}

function renderInt(n: { t: string; v?: unknown }): number {
  return Number(n.v);
}
