/**
 * ShardedMap.scan (the js-map engine's big hashes, sets and sorted sets): about COUNT keys per
 * call as Redis's dictScan (HSCAN/SSCAN/ZSCAN), and the SCAN guarantee (every key present for
 * the whole iteration is returned at least once) while the map grows and shrinks between calls.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ShardedMap } from '../src/engine/hashing/sharded-map';
import { rng } from './helpers/rng';

test('a call returns about COUNT keys (at least COUNT unless the iteration ends)', () => {
  for (const n of [65, 1000, 100_000]) {
    const m = new ShardedMap<number>();
    for (let i = 0; i < n; i++) m.set('f' + i, i);
    for (const count of [10, 50, 500]) {
      const seen = new Set<string>();
      let c = 0;
      let calls = 0;
      do {
        let got = 0;
        c = m.scan(c, count, (k) => { seen.add(k); got++; });
        calls++;
        if (c !== 0) assert.ok(got >= count && got <= count + 8, `n ${n} COUNT ${count}: ${got} in a call`);
      } while (c !== 0);
      assert.is(seen.size, n);
      if (n > count * 4) assert.ok(calls >= n / (count + 8), `n ${n} COUNT ${count}: ${calls} calls`);
    }
  }
});

test('every key present for the whole iteration is returned while the map grows and shrinks', () => {
  const r = rng(7);
  for (let round = 0; round < 20; round++) {
    const m = new ShardedMap<number>();
    const start = Math.floor(r() * 5000);
    for (let i = 0; i < start; i++) m.set('k' + i, i);
    // Keys below `stable` are never deleted: they must all be seen.
    const stable = Math.floor(start / 2);
    let next = start;
    const seen = new Set<string>();
    let c = 0;
    do {
      c = m.scan(c, 1 + Math.floor(r() * 40), (k) => seen.add(k));
      const grow = r() < 0.5;
      for (let j = 0; j < 200; j++) {
        if (grow) m.set('k' + next++, 0);
        else {
          const victim = stable + Math.floor(r() * Math.max(1, next - stable));
          m.delete('k' + victim);
        }
      }
    } while (c !== 0);
    for (let i = 0; i < stable; i++) assert.ok(seen.has('k' + i), `round ${round}: k${i} missed`);
  }
});

test.run();
