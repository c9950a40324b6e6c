/**
 * Fuzz of the wasm engine's sorted sets (assembly/zsetpack.ts: packed small form converted to the
 * skip list): random ZADD/ZREM/score/rank/range/count/scan/clone/convert operations on a few keys,
 * with the conversion thresholds changed at random (as CONFIG SET would), checked after every
 * operation against a plain model (Map + sort, and Redis's conversion rule for the encoding).
 * Planted bugs must be caught, and deleting every key gives back exactly the memory of the empty db.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { BulkValue, ZSetValue } from '../src/engine/types';
import { enginesUnderTest } from './helpers/servers';

const str = (v: BulkValue) => (typeof v === 'string' ? v : Buffer.from(v).latin1Slice());
const B = (s: string) => Buffer.from(s, 'latin1');

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

type Mutant = (z: ZSetValue) => ZSetValue;
type ZModel = { m: Map<string, number>; big: boolean };

const SCORES = [0, -0, 1, -1, 31, -32, 63, 64, 8191, -8192, 2 ** 46, -(2 ** 47), 2 ** 47, 1.5, -2.25, Math.PI, Infinity, -Infinity, 1e-300, 1e20];

function cmp(a: [string, number], b: [string, number]): number {
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return Buffer.compare(B(a[0]), B(b[0]));
}

function runZFuzz(seed: number, ops: number, mutate?: Mutant): void {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { WasmEngine } = require('../src/engine/wasm/engine') as typeof import('../src/engine/wasm/engine');
  const engine = new WasmEngine();
  const limits = { entries: 8, value: 12 };
  engine.useConfig({
    int: (n: string) => (n === 'zset-max-listpack-entries' ? limits.entries : limits.value),
    hot: {
      get 'zset-max-listpack-entries'() {
        return limits.entries;
      },
      get 'zset-max-listpack-value'() {
        return limits.value;
      },
    },
  });
  const db = engine.createDb(0, { now: () => 1_000_000 }, () => {});
  db.set(B('warm'), B('x')); // the keyspace's own tables exist before the baseline
  db.delete(B('warm'));
  while (engine.backgroundWork(5)) { /* settle */ }
  const empty = engine.usedMemory();
  const r = rng(seed);
  const keys = ['a', 'b', 'c', 'd'];
  const model = new Map<string, ZModel>();
  const member = () => {
    const x = r();
    if (x < 0.05) return 'L'.repeat(10 + Math.floor(r() * 10)); // around the value limit
    if (x < 0.08) return String.fromCharCode(0, 255, 10, Math.floor(r() * 256));
    return 'm' + Math.floor(r() * 24);
  };
  const score = () => (r() < 0.5 ? SCORES[Math.floor(r() * SCORES.length)] : Math.floor(r() * 40) / 4 - 5);
  const ctx = (i: number, what: string) => `seed ${seed} op ${i}: ${what}`;
  for (let i = 0; i < ops; i++) {
    const k = keys[Math.floor(r() * keys.length)];
    let e = model.get(k);
    const x = r();
    if (x < 0.03) {
      limits.entries = r() < 0.1 ? 0 : 2 + Math.floor(r() * 20);
      limits.value = 6 + Math.floor(r() * 14);
      continue;
    }
    if (x < 0.06) {
      if (e) {
        assert.ok(db.delete(B(k)), ctx(i, 'del'));
        model.delete(k);
      }
      continue;
    }
    let z = db.get(B(k)) as ZSetValue | undefined;
    assert.is(z === undefined, e === undefined, ctx(i, 'exists'));
    if (x < 0.45) {
      const m = member();
      const s = score();
      if (!e) {
        const nz = engine.newZSet();
        db.set(B(k), nz);
        e = { m: new Map(), big: false };
        model.set(k, e);
        z = db.get(B(k)) as ZSetValue;
      }
      if (mutate) z = mutate(z!);
      if (r() < 0.3 && z!.addMany) {
        // ZADD's one-call loop: a few members, random NX / XX / GT / LT (never NX with GT/LT).
        const flags = [0, 1, 2, 4, 8, 2 | 4, 2 | 8][Math.floor(r() * 7)];
        const argv: Buffer[] = [];
        const scores: number[] = [];
        let added = 0;
        let updated = 0;
        for (let j = 0, cnt = 1 + Math.floor(r() * 3); j < cnt; j++) {
          const mm = j === 0 ? m : member();
          const sc = score();
          argv.push(B(String(sc)), B(mm));
          scores.push(sc);
          const cur = e.m.get(mm);
          if (cur !== undefined) {
            if (flags & 1 || (flags & 8 && sc >= cur) || (flags & 4 && sc <= cur) || sc === cur) continue;
            e.m.set(mm, sc);
            updated++;
          } else if (!(flags & 2)) {
            if (!e.big && (e.m.size + 1 > limits.entries || mm.length > limits.value)) e.big = true;
            e.m.set(mm, sc);
            added++;
          }
        }
        assert.equal(z!.addMany(argv, 1, scores, flags), [added, updated], ctx(i, `addMany flags ${flags}`));
        if (e.m.size === 0) {
          // XX on a new key added nothing: drop it, as ZADD would never have created it.
          assert.ok(db.delete(B(k)));
          model.delete(k);
          continue;
        }
      } else {
      const prev = e.m.get(m);
      if (prev === undefined && !e.big && (e.m.size + 1 > limits.entries || m.length > limits.value)) e.big = true;
      const got = z!.add(B(m), s);
      assert.ok(Object.is(got, prev), ctx(i, `zadd ${m} ${s}: ${got} vs ${prev}`));
      if (prev === undefined || prev !== s) e.m.set(m, s);
      }
    } else if (!e || !z) {
      continue;
    } else {
      if (mutate) z = mutate(z);
      const sorted = [...e.m].sort(cmp);
      const fmt = (a: [string, number][]) => a.map(([m, s]) => m + '=' + s);
      const collect = (f: (v: (m: BulkValue, s: number) => void) => void) => {
        const out: string[] = [];
        f((m, s) => out.push(str(m) + '=' + s));
        return out;
      };
      if (x < 0.6) {
        const m = member();
        const had = e.m.delete(m);
        assert.is(z.delete(B(m)), had, ctx(i, 'zrem'));
        if (e.m.size === 0) {
          assert.ok(db.delete(B(k)));
          model.delete(k);
          continue;
        }
      } else if (x < 0.68) {
        const m = member();
        const idx = sorted.findIndex((p) => p[0] === m);
        assert.ok(Object.is(z.score(B(m)), e.m.get(m)), ctx(i, 'zscore'));
        assert.is(z.rank(B(m), false), idx, ctx(i, 'zrank'));
        assert.is(z.rank(B(m), true), idx < 0 ? -1 : sorted.length - 1 - idx, ctx(i, 'zrevrank'));
      } else if (x < 0.78) {
        const a = Math.floor(r() * (sorted.length + 2));
        const b = a + Math.floor(r() * 12);
        const rev = r() < 0.5;
        const src = rev ? [...sorted].reverse() : sorted;
        assert.equal(collect((v) => z!.rangeByRank(a, b, rev, v)), fmt(src.slice(a, b + 1)), ctx(i, 'zrange'));
      } else if (x < 0.88) {
        const lo = score();
        const hi = r() < 0.2 ? lo : score();
        const rg = { min: lo, minEx: r() < 0.3, max: hi, maxEx: r() < 0.3 };
        const inR = sorted.filter(([, s]) => (rg.minEx ? s > rg.min : s >= rg.min) && (rg.maxEx ? s < rg.max : s <= rg.max));
        const rev = r() < 0.5;
        const off = r() < 0.5 ? 0 : Math.floor(r() * 4);
        const lim = r() < 0.5 ? -1 : Math.floor(r() * 6);
        const src = rev ? [...inR].reverse() : inR;
        assert.equal(collect((v) => z!.rangeByScore(rg, rev, off, lim, v)), fmt(src.slice(off, lim < 0 ? undefined : off + lim)), ctx(i, 'zrangebyscore'));
        assert.is(z.countByScore(rg), inR.length, ctx(i, 'zcount'));
      } else if (x < 0.92) {
        const seen = new Map<string, number>();
        let c = 0;
        let calls = 0;
        do {
          c = z.scan(c, 1 + Math.floor(r() * 5), (m, s) => void seen.set(str(m), s));
          calls++;
        } while (c !== 0 && calls < 10000);
        assert.equal([...seen].sort(cmp), sorted, ctx(i, 'zscan'));
      } else if (x < 0.95) {
        const copy = z.clone() as ZSetValue;
        assert.equal(collect((v) => copy.forEach(v)), fmt(sorted), ctx(i, 'clone'));
        assert.is(copy.encoding({} as never), z.encoding({} as never), ctx(i, 'clone encoding'));
      } else if (x < 0.96) {
        z.convertToSkiplist();
        e.big = true;
      } else {
        assert.equal(collect((v) => z!.forEach(v)), fmt(sorted), ctx(i, 'forEach'));
      }
      assert.is(z.size, e.m.size, ctx(i, 'zcard'));
    }
    const now = db.get(B(k)) as ZSetValue | undefined;
    if (now) {
      assert.is(now.encoding({} as never), e!.big ? 'skiplist' : 'listpack', ctx(i, 'encoding'));
      if (e!.big) forms.big++;
      else forms.small++;
      assert.ok(now.memoryUsage() > 0, ctx(i, 'memory'));
    }
    if (r() < 0.02) engine.backgroundWork(1);
  }
  for (const k of model.keys()) db.delete(B(k));
  // Never-stored clones are freed when their views are collected; none is alive past this point
  // only after a GC, so compare after freeing what the keyspace held, clones excluded below.
  while (engine.backgroundWork(5)) { /* free */ }
  const cloned = clonesAlive(engine);
  assert.is(engine.usedMemory() - cloned, empty, `seed ${seed}: memory back to the empty db's`);
}

/** Operations that ended on each form (both must be exercised). */
const forms = { small: 0, big: 0 };

/** Bytes of never-stored clones still alive (freed when garbage-collected): tracked by the test. */
let cloneBytes = 0;
function clonesAlive(_engine: unknown): number {
  return cloneBytes;
}

const bind = (t: object, p: PropertyKey) => {
  const v = Reflect.get(t, p);
  return typeof v === 'function' ? v.bind(t) : v;
};

if (enginesUnderTest().includes('wasm')) {
  test('zsetpack: random operations against a model, conversions at changing limits, memory back', () => {
    // Clones are measured (memoryUsage) as they are made, to subtract them at the end.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { WasmZSet } = require('../src/engine/wasm/zset') as typeof import('../src/engine/wasm/zset');
    const orig = WasmZSet.prototype.clone;
    WasmZSet.prototype.clone = function (this: InstanceType<typeof WasmZSet>) {
      const c = orig.call(this);
      cloneBytes += c.memoryUsage();
      return c;
    };
    try {
      for (const seed of [1, 2, 3, 4, 5, 6]) {
        cloneBytes = 0;
        runZFuzz(seed, 6000);
      }
      assert.ok(forms.small > 1000 && forms.big > 1000, `both forms exercised (${forms.small} / ${forms.big})`);
    } finally {
      WasmZSet.prototype.clone = orig;
    }
  });

  test('zsetpack: planted bugs are caught', () => {
    const planted: [string, Mutant][] = [
      ['rank off by one past 3', (z) => new Proxy(z, { get: (t, p) => (p === 'rank' ? (m: Buffer, rv: boolean) => { const x = t.rank(m, rv); return x > 3 ? x + 1 : x; } : bind(t, p)) })],
      ['score range drops its last element', (z) => new Proxy(z, {
        get: (t, p) => p === 'rangeByScore'
          ? (rg: never, rv: boolean, off: number, lim: number, visit: (m: BulkValue, s: number) => void) => {
            const all: [BulkValue, number][] = [];
            t.rangeByScore(rg, rv, off, lim, (m, s) => all.push([m, s]));
            all.slice(0, all.length > 2 ? all.length - 1 : all.length).forEach(([m, s]) => visit(m, s));
          }
          : bind(t, p),
      })],
      ['-0 stored as 0', (z) => new Proxy(z, { get: (t, p) => (p === 'add' ? (m: Buffer, s: number) => t.add(m, Object.is(s, -0) ? 0 : s) : bind(t, p)) })],
    ];
    for (const [name, mutant] of planted) {
      let caught = false;
      try {
        runZFuzz(11, 6000, mutant);
      } catch {
        caught = true;
      }
      assert.ok(caught, `planted bug not caught: ${name}`);
    }
  });

  test('zsetpack: a skip list of thousands of members under score moves, in-place updates and pops keeps order, ranks and counts', () => {
    // The small fuzz above keeps sets of a few dozen members (two or three levels); this one
    // reaches 6-7 levels, where a score move's two descents (skiplist.ts findUpdatePair) and
    // ZPOPMIN's descent-free unlink (zsPopOne) have paths of many levels to get right.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { WasmEngine } = require('../src/engine/wasm/engine') as typeof import('../src/engine/wasm/engine');
    const engine = new WasmEngine();
    const z = engine.newZSet();
    const r = rng(7);
    const model = new Map<string, number>();
    const popped = { member: '' as BulkValue, score: 0 };
    for (let round = 0; round < 12; round++) {
      const spread = round % 2 === 0 ? 1e6 : 40; // many ties in odd rounds
      for (let i = 0; i < 4000; i++) {
        const m = 'member:' + Math.floor(r() * 3000);
        const x = r();
        const cur = model.get(m);
        if (x < 0.6) {
          const s = Math.floor(r() * spread);
          const flags = [0, 0, 0, 1, 2, 4, 8][Math.floor(r() * 7)];
          let added = 0;
          let updated = 0;
          if (cur !== undefined) {
            if (!(flags & 1 || (flags & 8 && s >= cur) || (flags & 4 && s <= cur) || s === cur)) {
              model.set(m, s);
              updated = 1;
            }
          } else if (!(flags & 2)) {
            model.set(m, s);
            added = 1;
          }
          assert.equal(z.addMany!([B(m)], 0, [s], flags), [added, updated], `round ${round} op ${i}: addMany`);
        } else if (x < 0.7 && cur !== undefined) {
          const s = cur + (r() - 0.5) / 100; // usually stays in place
          z.add(B(m), s);
          model.set(m, s);
        } else if (x < 0.85) {
          assert.is(z.delete(B(m)), model.delete(m), `round ${round} op ${i}: zrem`);
        } else {
          const rev = r() < 0.5;
          let want: [string, number] | undefined;
          for (const e of model) if (!want || (cmp(e, want) < 0) !== rev) want = e;
          assert.is(z.popOne!(rev, popped), want !== undefined, `round ${round} op ${i}: pop`);
          if (want) {
            assert.equal([str(popped.member), popped.score], want, `round ${round} op ${i}: popped`);
            model.delete(want[0]);
          }
        }
      }
      const sorted = [...model].sort(cmp);
      assert.is(z.size, sorted.length);
      const all: string[] = [];
      z.forEach((m, s) => all.push(str(m) + '=' + s));
      assert.equal(all, sorted.map(([m, s]) => m + '=' + s), `round ${round}: order`);
      sorted.forEach(([m], i) => assert.is(z.rank(B(m), false), i, `round ${round}: rank of ${m}`));
      for (let k = 0; k < 20; k++) {
        const lo = Math.floor(r() * spread);
        const rg = { min: lo, minEx: r() < 0.5, max: lo + Math.floor(r() * spread / 8), maxEx: r() < 0.5 };
        const want = sorted.filter(([, s]) => (rg.minEx ? s > rg.min : s >= rg.min) && (rg.maxEx ? s < rg.max : s <= rg.max)).length;
        assert.is(z.countByScore(rg), want, `round ${round}: zcount`);
      }
    }
  });
}

test.run();
