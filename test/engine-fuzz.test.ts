/**
 * Differential fuzzer for the wasm engine: the same seeded random operations run on a WasmDb /
 * WasmZSet and on a plain in-test reference model (Map + sorted arrays, with Redis's expiry
 * rules), comparing every result, the expired-hook calls, size() and expiresSize() after every
 * operation, and full SCANs now and then. Keys are binary (\0, 0xff), values from empty to a few
 * hundred bytes, TTLs run on a fake clock, the tables grow and shrink, keys holding sorted sets
 * get overwritten and expire, dbs get cleared while background work frees memory.
 *
 * A second test runs the keyspace operations against the js-map engine too (when it is present)
 * and compares its answers with the same model.
 *
 * Run: npx tsc -p tsconfig.json && npx uvu dist/test engine-fuzz
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WasmEngine } from '../src/engine/wasm/engine';
import type { BulkValue, Db, Engine, HashValue, SetValue, StringPeek, ZSetValue } from '../src/engine/types';
import { jsContainers } from '../src/engine/containers';
import { APPEND_MISSING, APPEND_TOO_BIG, APPEND_WRONGTYPE } from '../src/engine/types';
import { rng } from './helpers/rng';
import { bind, deleteStalls, rawOf } from './helpers/sinks';

const str = (v: unknown): string | undefined =>
  v === undefined ? undefined : typeof v === 'string' ? v : (v as Buffer).latin1Slice(0, (v as Buffer).length);
const B = (s: string) => Buffer.from(s, 'latin1');
/** The bytes a Db.peekString view shows, as latin1 text. */
const peeked = (p: StringPeek): string =>
  typeof p.bytes === 'string' ? p.bytes.slice(p.start, p.start + p.length) : Buffer.from(p.bytes.subarray(p.start, p.start + p.length)).latin1Slice();

type ZModel = Map<string, number>;
type MEntry = { s?: string; z?: ZModel; zobj?: ZSetValue; expireAt: number };

/** The reference keyspace: Redis rules, written as plainly as possible. */
class Model {
  map = new Map<string, MEntry>();
  hooks: string[] = [];
  constructor(public now: () => number) {}
  private live(k: string): MEntry | undefined {
    const e = this.map.get(k);
    if (e && e.expireAt !== -1 && this.now() > e.expireAt) {
      this.map.delete(k);
      this.hooks.push(k);
      return undefined;
    }
    return e;
  }
  get(k: string) { return this.live(k); }
  has(k: string) { return this.live(k) !== undefined; }
  set(k: string, e: Omit<MEntry, 'expireAt'>, keepTtl: boolean) {
    const old = this.live(k);
    this.map.set(k, { ...e, expireAt: keepTtl && old ? old.expireAt : -1 });
  }
  /** set() without the hook for an overwritten expired key (js-map's behaviour). */
  setQuiet(k: string, e: Omit<MEntry, 'expireAt'>, keepTtl: boolean) {
    const old = this.map.get(k);
    const alive = old && !(old.expireAt !== -1 && this.now() > old.expireAt);
    this.map.set(k, { ...e, expireAt: keepTtl && alive ? old!.expireAt : -1 });
  }
  delete(k: string) { const e = this.live(k); if (e) this.map.delete(k); return e !== undefined; }
  getExpire(k: string) { const e = this.live(k); return e ? e.expireAt : -2; }
  setExpire(k: string, at: number) { const e = this.live(k); if (!e) return false; e.expireAt = at; return true; }
  persist(k: string) { const e = this.live(k); if (!e || e.expireAt === -1) return false; e.expireAt = -1; return true; }
  size() { return this.map.size; }
  expiresSize() { let n = 0; for (const e of this.map.values()) if (e.expireAt !== -1) n++; return n; }
  liveKeys() { const out: string[] = []; for (const [k, e] of this.map) if (!(e.expireAt !== -1 && this.now() > e.expireAt)) out.push(k); return out.sort(); }
  isExpired(k: string, now: number) { const e = this.map.get(k); return !!e && e.expireAt !== -1 && now > e.expireAt; }
}

function sortedZ(z: ZModel): [string, number][] {
  return [...z].sort((a, b) => (a[1] !== b[1] ? a[1] - b[1] : Buffer.compare(B(a[0]), B(b[0]))));
}

function makeKeyPool(r: () => number, n: number): string[] {
  const pool = new Set<string>();
  while (pool.size < n) {
    const len = Math.floor(r() * 12);
    let k = '';
    for (let i = 0; i < len; i++) {
      const x = r();
      k += String.fromCharCode(x < 0.1 ? 0 : x < 0.2 ? 255 : 97 + Math.floor(r() * 6));
    }
    pool.add(k + ':' + pool.size);
  }
  return [...pool];
}

function randValue(r: () => number): string {
  // Mostly short values, some around the wasm keyspace's embedding limit (VAL_EMBED = 64, where
  // an overwrite moves the entry to another block), some long ones stored out of line.
  const x = r();
  const len = x < 0.05 ? 100 + Math.floor(r() * 400) : x < 0.15 ? 56 + Math.floor(r() * 16) : Math.floor(r() * 40);
  let v = '';
  for (let i = 0; i < len; i++) v += String.fromCharCode(Math.floor(r() * 256));
  return v;
}

function runFuzz(seed: number, ops: number) {
  const r = rng(seed);
  const engine = new WasmEngine();
  const clock = { t: 1_700_000_000_000, now() { return this.t; } };
  const hooks: string[] = [];
  const db: Db = engine.createDb(0, clock, (_d, k) => hooks.push(str(k)!));
  // The wasm Db skips its prefetch below 65,536 keys: make it run here, on whatever bytes.
  if ('prefetchMinKeys' in db) (db as { prefetchMinKeys: number }).prefetchMinKeys = 0;
  const emptyDbMemory = engine.usedMemory();
  let sideSets = 0;
  const model = new Model(() => clock.t);
  // Key pool sized so that the table grows to several thousand keys and shrinks back.
  const keys = makeKeyPool(r, 4000);
  const zkeys = ['Z\x00a', 'Z\xffb', 'Zc', 'Zd', 'Ze'];
  const members = makeKeyPool(r, 300);
  let phase = 0; // 0 fill, 1 drain
  const ctx = (i: number, what: string) => `seed ${seed} op ${i} ${what}`;

  const checkHooks = (i: number, what: string) => {
    assert.equal(hooks, model.hooks, ctx(i, what + ' hooks'));
    hooks.length = 0;
    model.hooks.length = 0;
  };

  for (let i = 0; i < ops; i++) {
    if (i % 3000 === 0) phase = 1 - phase;
    const x = r();
    const k = keys[Math.floor(r() * (phase ? keys.length : keys.length / 2 + (i % 2000)))];
    let what = '';
    if (x < 0.06) {
      // APPEND (in place on wasm): grows embedded values past VAL_EMBED and out-of-line blocks past
      // their capacity; keeps the TTL.
      // Mostly a few hot keys, so that values grow through many appends.
      what = 'append';
      const key = r() < 0.7 ? keys[Math.floor(r() * 16)] : k;
      const suffix = r() < 0.1 ? randValue(r).repeat(20) : randValue(r);
      const e = model.get(key);
      const limit = r() < 0.05 ? 60 : 1 << 30;
      // Half of them SETRANGE at an offset inside the value or a little past its end.
      const cur = e && e.s !== undefined ? e.s.length : 0;
      const offset = r() < 0.5 ? -1 : Math.floor(r() * (cur + 20));
      if (offset >= 0) what = 'setRange';
      const got = offset < 0 ? db.append(B(key), B(suffix), limit) : db.setRange(B(key), offset, B(suffix || 'x'), limit);
      const add = offset < 0 ? suffix : suffix || 'x';
      if (!e) {
        assert.is(got, APPEND_MISSING, ctx(i, what));
        db.set(B(key), B(suffix), false);
        model.set(key, { s: suffix }, false);
      } else if (e.s === undefined) assert.is(got, APPEND_WRONGTYPE, ctx(i, what));
      else if ((offset < 0 ? e.s.length : offset) + add.length > limit) assert.is(got, APPEND_TOO_BIG, ctx(i, what));
      else {
        if (offset < 0) e.s += add;
        else {
          const base = e.s.length < offset ? e.s + '\x00'.repeat(offset - e.s.length) : e.s;
          e.s = base.slice(0, offset) + add + base.slice(offset + add.length);
        }
        assert.is(got, e.s.length, ctx(i, what));
        assert.is(str(db.get(B(key), true)), e.s, ctx(i, what + ' value'));
        const p = db.peekString(B(key), true);
        assert.ok(typeof p === 'object' && peeked(p) === e.s, ctx(i, what + ' peek'));
      }
    } else if (x < 0.08) {
      // RENAME as the command does it: the source exists, the destination is deleted first.
      what = 'rename';
      const k2 = keys[Math.floor(r() * keys.length)];
      const has = db.has(B(k));
      assert.is(has, model.has(k), ctx(i, what));
      if (has && k !== k2) {
        const has2 = db.has(B(k2));
        assert.is(has2, model.has(k2), ctx(i, what));
        if (has2) {
          db.delete(B(k2));
          model.delete(k2);
        }
        db.renameKey(B(k), B(k2));
        const e = model.map.get(k)!;
        model.map.delete(k);
        model.map.set(k2, e);
        assert.is(db.has(B(k)), false, ctx(i, what + ' source gone'));
        assert.is(str(db.get(B(k2), true)), e.s, ctx(i, what + ' value'));
        assert.is(db.getExpire(B(k2)), e.expireAt, ctx(i, what + ' ttl'));
      }
    } else if (x < 0.28) {
      what = 'set';
      const v = randValue(r);
      const keep = r() < 0.2;
      const key = r() < 0.02 ? zkeys[Math.floor(r() * zkeys.length)] : k;
      db.set(B(key), r() < 0.5 ? B(v) : v, keep);
      model.set(key, { s: v }, keep);
    } else if (x < 0.4) {
      what = 'get';
      const got = db.get(B(k), r() < 0.5);
      const e = model.get(k);
      assert.is(str(got), e ? e.s : undefined, ctx(i, what));
    } else if (x < 0.45) {
      what = 'has';
      assert.is(db.has(B(k)), model.has(k), ctx(i, what));
    } else if (x < (phase ? 0.62 : 0.5)) {
      what = 'delete';
      assert.is(db.delete(B(k)), model.delete(k), ctx(i, what));
    } else if (x < 0.66) {
      what = 'setExpire';
      const at = clock.t + Math.floor(r() * 3000) - 200;
      assert.is(db.setExpire(B(k), at), model.setExpire(k, at), ctx(i, what));
    } else if (x < 0.68) {
      what = 'persist';
      assert.is(db.persist(B(k)), model.persist(k), ctx(i, what));
    } else if (x < 0.72) {
      what = 'getExpire';
      assert.is(db.getExpire(B(k)), model.getExpire(k), ctx(i, what));
    } else if (x < 0.75) {
      what = 'tick';
      clock.t += Math.floor(r() * 200);
    } else if (x < 0.76) {
      // The pipelining hint must change nothing, whatever the bytes (truncated, garbage, huge
      // lengths); the checks after every op compare size and hooks with the model.
      what = 'prefetch';
      if (db.prefetch) {
        let batch = '';
        const n = Math.floor(r() * 40);
        for (let j = 0; j < n; j++) {
          const kk = keys[Math.floor(r() * keys.length)];
          batch += r() < 0.9 ? `*2\r\n$3\r\nGET\r\n$${kk.length}\r\n${kk}\r\n` : `*${Math.floor(r() * 5) - 1}\r\n$${Math.floor(r() * 1e9)}\r\n`;
        }
        const bytes = B(batch);
        const cut = r() < 0.5 ? bytes.length : Math.floor(r() * bytes.length);
        db.prefetch(bytes.subarray(0, cut), Math.floor(r() * 3), 1 + Math.floor(r() * 40));
      }
    } else if (x < 0.78) {
      what = 'activeExpire';
      const before = model.expiresSize();
      const st = db.activeExpireCycle(clock.t, 1 + Math.floor(r() * 30));
      assert.ok(st.sampled <= before && st.expired === hooks.length, ctx(i, what));
      for (const h of hooks) {
        assert.ok(model.isExpired(h, clock.t), ctx(i, 'active expired a live key'));
        model.map.delete(h);
      }
      hooks.length = 0;
    } else if (x < 0.785) {
      what = 'randomKey';
      const rk = db.randomKey();
      for (const h of hooks) {
        assert.ok(model.isExpired(h, clock.t), ctx(i, 'randomKey reclaimed a live key'));
        model.map.delete(h);
      }
      hooks.length = 0;
      if (rk === null) assert.is(model.size(), 0, ctx(i, what));
      else assert.ok(model.map.has(str(rk)!), ctx(i, what));
    } else if (x < 0.79) {
      what = 'scan';
      const seen = new Set<string>();
      let c = 0;
      do c = db.scan(c, 1 + Math.floor(r() * 100), (key) => seen.add(str(key)!)); while (c !== 0);
      assert.equal([...seen].sort(), model.liveKeys(), ctx(i, what));
    } else if (x < 0.7905) {
      what = 'clear';
      db.clear(r() < 0.5);
      model.map.clear();
    } else if (x < 0.8) {
      what = 'background';
      engine.backgroundWork(1);
    } else {
      // Sorted-set operations on a few keys.
      const zk = zkeys[Math.floor(r() * zkeys.length)];
      let e = model.get(zk);
      if (!e || !e.z) {
        const zobj = engine.newZSet();
        const keep = r() < 0.3;
        db.set(B(zk), zobj, keep);
        model.set(zk, { z: new Map(), zobj }, keep);
        e = model.get(zk)!;
        assert.ok(e !== undefined);
      }
      checkHooks(i, 'zset create');
      const got = db.get(B(zk)) as ZSetValue;
      // The same sorted set: the same object (js-map) or a view of the same native collection (wasm).
      const addr = (v: unknown) => (v as { ptr?: number }).ptr;
      assert.ok(got === e.zobj || (addr(got) !== undefined && addr(got) === addr(e.zobj)), ctx(i, 'zset identity'));
      const z = e.z!;
      const m = members[Math.floor(r() * members.length)];
      const y = r();
      if (y < 0.4) {
        what = 'zadd';
        const score = r() < 0.1 ? (r() < 0.5 ? -Infinity : Infinity) : Math.floor(r() * 40) / 4 - 5;
        assert.is(got.add(B(m), score), z.get(m), ctx(i, what));
        z.set(m, score);
      } else if (y < 0.55) {
        what = 'zrem';
        assert.is(got.delete(B(m)), z.delete(m), ctx(i, what));
      } else if (y < 0.62) {
        what = 'zscore/zrank';
        const s = sortedZ(z);
        const idx = s.findIndex((p) => p[0] === m);
        assert.is(got.score(B(m)), z.get(m), ctx(i, what));
        assert.is(got.rank(B(m), false), idx, ctx(i, what));
        assert.is(got.rank(B(m), true), idx < 0 ? -1 : s.length - 1 - idx, ctx(i, what));
      } else if (y < 0.75) {
        what = 'zrange';
        const s = sortedZ(z);
        const a = Math.floor(r() * (s.length + 3));
        const b = a + Math.floor(r() * 20);
        const rev = r() < 0.5;
        const out: string[] = [];
        got.rangeByRank(a, b, rev, (mm, sc) => out.push(str(mm)! + '=' + sc));
        const src = rev ? [...s].reverse() : s;
        assert.equal(out, src.slice(a, b + 1).map((p) => p[0] + '=' + p[1]), ctx(i, what));
        assert.is(got.size, z.size, ctx(i, 'zcard'));
      } else if (y < 0.88) {
        what = 'zrangebyscore';
        const s = sortedZ(z);
        const lo = Math.floor(r() * 48) / 4 - 6;
        const hi = lo + Math.floor(r() * 20) / 4 - 1;
        const rg = { min: r() < 0.1 ? -Infinity : lo, minEx: r() < 0.3, max: r() < 0.1 ? Infinity : hi, maxEx: r() < 0.3 };
        const inR = s.filter(([, sc]) => (rg.minEx ? sc > rg.min : sc >= rg.min) && (rg.maxEx ? sc < rg.max : sc <= rg.max));
        const rev = r() < 0.5;
        const off = r() < 0.5 ? 0 : Math.floor(r() * 5);
        const lim = r() < 0.5 ? -1 : Math.floor(r() * 8);
        const out: string[] = [];
        got.rangeByScore(rg, rev, off, lim, (mm, sc) => out.push(str(mm)! + '=' + sc));
        const src = rev ? [...inR].reverse() : inR;
        assert.equal(out, src.slice(off, lim < 0 ? undefined : off + lim).map((p) => p[0] + '=' + p[1]), ctx(i, what));
        assert.is(got.countByScore(rg), inR.length, ctx(i, what));
      } else {
        what = 'zrangebylex';
        // Lex ranges are only specified when all scores are equal: use a side set with score 0.
        // (Never stored, so only the FinalizationRegistry frees it: not while this synchronous
        // loop runs. Its bytes are left out of the final memory check.)
        const before = engine.usedMemory();
        const lz = engine.newZSet();
        const names = [...z.keys()];
        for (const n of names) lz.add(B(n), 0);
        sideSets += engine.usedMemory() - before;
        const sorted = names.sort((p, q) => Buffer.compare(B(p), B(q)));
        const pick = () => (sorted.length && r() < 0.7 ? sorted[Math.floor(r() * sorted.length)] : members[Math.floor(r() * members.length)]);
        const lo = pick();
        const hi = pick();
        const minInf = r() < 0.15 ? -1 : 0;
        const maxInf = r() < 0.15 ? 1 : 0;
        const range = { min: minInf ? null : B(lo), minEx: r() < 0.3, minInf: minInf as -1 | 0 | 1, max: maxInf ? null : B(hi), maxEx: r() < 0.3, maxInf: maxInf as -1 | 0 | 1 };
        const inR = sorted.filter((n) => {
          const c1 = Buffer.compare(B(n), B(lo));
          const c2 = Buffer.compare(B(n), B(hi));
          const okMin = minInf ? true : range.minEx ? c1 > 0 : c1 >= 0;
          const okMax = maxInf ? true : range.maxEx ? c2 < 0 : c2 <= 0;
          return okMin && okMax;
        });
        const rev = r() < 0.5;
        const out: string[] = [];
        lz.rangeByLex(range, rev, 0, -1, (mm) => out.push(str(mm)!));
        assert.equal(out, rev ? [...inR].reverse() : inR, ctx(i, what));
        assert.is(lz.countByLex(range), inR.length, ctx(i, what));
      }
    }
    checkHooks(i, what);
    assert.is(db.size(), model.size(), ctx(i, what + ' size'));
    assert.is(db.expiresSize(), model.expiresSize(), ctx(i, what + ' expiresSize'));
  }
  // Everything freed once the keyspace is cleared and background work ran.
  db.clear(true);
  while (engine.backgroundWork(10)) { /* drain */ }
  // Exact: a block freed with another size than it was allocated with would show here.
  assert.is(engine.usedMemory() - sideSets, emptyDbMemory, `seed ${seed}: memory back to the empty db's`);
  return engine;
}

test('wasm engine vs reference model: keyspace + sorted sets, several seeds', () => {
  for (const seed of [1, 2, 3, 4, 5]) runFuzz(seed, 12000);
});

test('wasm engine vs reference model: one long run', () => {
  runFuzz(20240601, 40000);
});

/** Optional third party: the js-map engine, on the keyspace operations. */
function loadJsMap(): Engine | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const mod = require('../src/engine/js-map/engine');
    return mod.JsMapEngine ? new mod.JsMapEngine() : undefined;
  } catch {
    return undefined;
  }
}

test('js-map and wasm agree with the model on keyspace operations', () => {
  const jsEngine = loadJsMap();
  const engines: Engine[] = [new WasmEngine()];
  if (jsEngine) engines.push(jsEngine);
  for (const engine of engines) {
    const r = rng(77);
    const clock = { t: 1_000_000, now() { return this.t; } };
    const db = engine.createDb(0, clock, () => undefined);
    const model = new Model(() => clock.t);
    const keys = makeKeyPool(r, 1500);
    for (let i = 0; i < 20000; i++) {
      const k = keys[Math.floor(r() * keys.length)];
      const x = r();
      const label = `${engine.name} op ${i}`;
      let scanned = false;
      if (x < 0.35) {
        const v = randValue(r);
        const keep = r() < 0.2;
        db.set(B(k), B(v), keep);
        model.setQuiet(k, { s: v }, keep);
      } else if (x < 0.55) assert.is(str(db.get(B(k))), model.get(k)?.s, label + ' get');
      else if (x < 0.65) assert.is(db.delete(B(k)), model.delete(k), label + ' delete');
      else if (x < 0.75) {
        const at = clock.t + Math.floor(r() * 2000) - 100;
        assert.is(db.setExpire(B(k), at), model.setExpire(k, at), label + ' setExpire');
      } else if (x < 0.8) assert.is(db.persist(B(k)), model.persist(k), label + ' persist');
      else if (x < 0.88) assert.is(db.getExpire(B(k)), model.getExpire(k), label + ' getExpire');
      else if (x < 0.97) clock.t += Math.floor(r() * 100);
      else {
        const seen = new Set<string>();
        let c = 0;
        do c = db.scan(c, 50, (key: BulkValue) => seen.add(str(key)!)); while (c !== 0);
        assert.equal([...seen].sort(), model.liveKeys(), label + ' scan');
        scanned = true;
      }
      if (!scanned) assert.is(db.size(), model.size(), label + ' size');
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Hashes and sets in linear memory (assembly/hash.ts, set.ts): the same random operations on the
// wasm engine's containers and on the JS containers (js-map's, the reference behaviour), checked
// against a plain model after every operation; memory must come back to exactly the empty db's.

type Collections = { hash: HashValue; set: SetValue };
/** A deliberate bug to plant in a container view (the fuzzer must catch each one). */
type Mutant = (c: HashValue | SetValue) => HashValue | SetValue;

const HASH_LIMITS = { maxValue: 12, maxEntries: 24 };
const INTSET_MAX = 40;
const LIMITS = {
  listMaxListpackSize: -2, hashMaxListpackEntries: HASH_LIMITS.maxEntries, hashMaxListpackValue: HASH_LIMITS.maxValue,
  setMaxIntsetEntries: INTSET_MAX, zsetMaxListpackEntries: 128, zsetMaxListpackValue: 64,
};

function randField(r: () => number, wide: boolean): string {
  const n = wide ? Math.floor(r() * 300) : Math.floor(r() * 40);
  return String.fromCharCode(...Array.from({ length: 1 + Math.floor(r() * (wide ? 20 : 4)) }, () => (r() < 0.1 ? 0 : r() < 0.1 ? 255 : 97 + Math.floor(r() * 8)))) + n;
}

function randMember(r: () => number): string {
  const x = r();
  if (x < 0.55) return String(Math.floor(r() * 200) - 100);
  if (x < 0.65) return String(Math.floor((r() - 0.5) * 2 ** 40)); // 64-bit width
  if (x < 0.7) return ['9223372036854775807', '-9223372036854775808', '32767', '-32768', '2147483648', '0'][Math.floor(r() * 6)];
  if (x < 0.78) return ['-0', '01', '+1', '9223372036854775808', ' 1', '1.5', ''][Math.floor(r() * 7)];
  return 'm' + Math.floor(r() * 300);
}

/** Drive a wasm and a JS container of each kind with the same operations; compare with a model. */
function runCollectionsFuzz(seed: number, steps: number, mutant?: Mutant): void {
  const r = rng(seed);
  const engine = new WasmEngine();
  const clock = { t: 1_000_000, now() { return this.t; } };
  const db = engine.createDb(0, clock, () => undefined);
  while (engine.backgroundWork(10)) { /* drain */ }
  const empty = engine.usedMemory();
  const keys = Array.from({ length: 12 }, (_, i) => 'k' + i);
  const hm = new Map<string, Map<string, string>>();
  const hlp = new Map<string, boolean>();
  const sm = new Map<string, Set<string>>();
  const js = new Map<string, Collections>();
  const view = <T extends HashValue | SetValue>(v: T): T => (mutant ? (mutant(v) as T) : v);
  const wasmHash = (k: string): HashValue | undefined => { const v = db.get(B('h' + k)); return v === undefined ? undefined : view(v as HashValue); };
  const wasmSet = (k: string): SetValue | undefined => { const v = db.get(B('s' + k)); return v === undefined ? undefined : view(v as SetValue); };
  const isInt = (m: string) => /^(0|-?[1-9][0-9]{0,18})$/.test(m) && BigInt(m) >= -(2n ** 63n) && BigInt(m) < 2n ** 63n;
  for (let i = 0; i < steps; i++) {
    const k = keys[Math.floor(r() * keys.length)];
    const x = r();
    const ctxs = `seed ${seed} op ${i} key ${k}`;
    if (x < 0.3) {
      // HSET (hashTypeSet with the limits)
      let h = wasmHash(k);
      if (!h) { h = view(engine.newHash()); db.set(B('h' + k), h); hm.set(k, new Map()); hlp.set(k, true); js.set(k, { ...(js.get(k) ?? {}), hash: jsContainers.newHash() } as Collections); }
      const f = randField(r, r() < 0.1);
      const v = r() < 0.05 ? 'v'.repeat(20) : 'v' + Math.floor(r() * 1000);
      const m = hm.get(k)!;
      const isNew = !m.has(f);
      if (f.length > HASH_LIMITS.maxValue || v.length > HASH_LIMITS.maxValue) hlp.set(k, false);
      m.set(f, v);
      if (m.size > HASH_LIMITS.maxEntries) hlp.set(k, false);
      assert.is(h.setField(B(f), B(v), HASH_LIMITS.maxValue, HASH_LIMITS.maxEntries), isNew, ctxs + ' hset');
      js.get(k)!.hash.setField(B(f), B(v), HASH_LIMITS.maxValue, HASH_LIMITS.maxEntries);
    } else if (x < 0.42) {
      const h = wasmHash(k);
      const m = hm.get(k);
      if (!h || !m) continue;
      const f = r() < 0.7 && m.size > 0 ? [...m.keys()][Math.floor(r() * m.size)] : randField(r, false);
      assert.is(h.delete(B(f)), m.delete(f), ctxs + ' hdel');
      js.get(k)!.hash.delete(B(f));
      if (m.size === 0) { db.delete(B('h' + k)); hm.delete(k); }
    } else if (x < 0.5) {
      const h = wasmHash(k);
      const m = hm.get(k);
      if (!h || !m) continue;
      for (let j = 0; j < 3; j++) {
        const f = r() < 0.7 && m.size > 0 ? [...m.keys()][Math.floor(r() * m.size)] : randField(r, false);
        assert.is(str(h.get(B(f))), m.get(f), ctxs + ' hget');
        assert.is(h.has(B(f)), m.has(f), ctxs + ' hexists');
      }
    } else if (x < 0.56) {
      // Whole content, encoding, HSCAN, random, clone.
      const h = wasmHash(k);
      const m = hm.get(k);
      if (!h || !m) continue;
      const jh = js.get(k)!.hash;
      assert.is(h.size, m.size, ctxs + ' hlen');
      assert.is(h.encoding(LIMITS), hlp.get(k) ? 'listpack' : 'hashtable', ctxs + ' encoding');
      assert.is(h.encoding(LIMITS), jh.encoding(LIMITS), ctxs + ' encoding vs JsHash');
      const all: [string, string][] = [];
      h.forEach((f, v) => all.push([str(f)!, str(v)!]));
      if (hlp.get(k)) {
        // Listpack: insertion order, as the JS container (and Redis's listpack).
        assert.equal(all, [...m], ctxs + ' hgetall order');
        const ja: [string, string][] = [];
        jh.forEach((f, v) => ja.push([str(f)!, str(v)!]));
        assert.equal(all, ja, ctxs + ' hgetall vs JsHash');
      } else assert.equal(new Map(all), m, ctxs + ' hgetall');
      assert.is(all.length, m.size, ctxs + ' hgetall count');
      // HGETALL written from linear memory: the same elements, in forEach's order, as RESP.
      assert.is(rawOf((o) => h.writeAll!(o, true, true)), all.map(([f, v]) => bulkOf(f) + bulkOf(v)).join(''), ctxs + ' writeAll');
      assert.is(rawOf((o) => h.writeAll!(o, false, true)), all.map(([, v]) => bulkOf(v)).join(''), ctxs + ' writeAll values');
      const seen = new Map<string, string>();
      let c = 0;
      let calls = 0;
      const count = 1 + Math.floor(r() * 20);
      do {
        let got = 0;
        c = h.scan(c, count, (f, v) => { seen.set(str(f)!, str(v)!); got++; });
        calls++;
        if (hlp.get(k)) assert.is(c, 0, ctxs + ' listpack HSCAN in one call');
        else if (c !== 0) assert.ok(got >= count || calls > 0, ctxs + ' HSCAN count');
      } while (c !== 0);
      assert.equal(seen, m, ctxs + ' hscan');
      const rf = h.randomField();
      assert.ok(rf !== undefined && m.has(str(rf)!), ctxs + ' hrandfield');
      const re = h.randomEntry()!;
      assert.is(m.get(str(re[0])!), str(re[1]), ctxs + ' hrandfield withvalues');
      const cl = h.clone() as HashValue;
      const ca: [string, string][] = [];
      cl.forEach((f, v) => ca.push([str(f)!, str(v)!]));
      if (hlp.get(k)) assert.equal(ca, all, ctxs + ' clone');
      else assert.equal(new Map(ca), m, ctxs + ' clone');
      assert.is(cl.encoding(LIMITS), h.encoding(LIMITS), ctxs + ' clone encoding');
      db.set(B('copy'), cl); // COPY stores it; deleting it frees it (a never-stored one waits for GC)
      db.delete(B('copy'));
    } else if (x < 0.78) {
      // SADD (setTypeAdd with set-max-intset-entries)
      let s = wasmSet(k);
      if (!s) { s = view(engine.newSet()); db.set(B('s' + k), s); sm.set(k, new Set()); js.set(k, { ...(js.get(k) ?? {}), set: jsContainers.newSet() } as Collections); }
      s.maxIntset = INTSET_MAX;
      const js1 = js.get(k)!.set;
      js1.maxIntset = INTSET_MAX;
      const mem = randMember(r);
      const ms = sm.get(k)!;
      assert.is(s.add(B(mem)), !ms.has(mem), ctxs + ' sadd ' + mem);
      js1.add(B(mem));
      ms.add(mem);
    } else if (x < 0.86) {
      const s = wasmSet(k);
      const ms = sm.get(k);
      if (!s || !ms) continue;
      const mem = r() < 0.7 && ms.size > 0 ? [...ms][Math.floor(r() * ms.size)] : randMember(r);
      assert.is(s.has(B(mem)), ms.has(mem), ctxs + ' sismember');
      assert.is(s.delete(B(mem)), ms.delete(mem), ctxs + ' srem ' + mem);
      js.get(k)!.set.delete(B(mem));
      if (ms.size === 0) { db.delete(B('s' + k)); sm.delete(k); }
    } else if (x < 0.93) {
      const s = wasmSet(k);
      const ms = sm.get(k);
      if (!s || !ms) continue;
      const js1 = js.get(k)!.set;
      assert.is(s.size, ms.size, ctxs + ' scard');
      assert.is(s.isIntset(), js1.isIntset(), ctxs + ' intset vs JsSet');
      assert.is(s.isIntset(), [...ms].every(isInt) && ms.size <= INTSET_MAX && s.isIntset(), ctxs + ' intset');
      const arr = s.toArray().map((v) => str(v)!);
      if (s.isIntset()) assert.equal(arr, js1.toArray().map((v) => str(v)!), ctxs + ' intset order vs JsSet');
      assert.equal(new Set(arr), ms, ctxs + ' smembers');
      assert.is(arr.length, ms.size, ctxs + ' smembers count');
      assert.is(rawOf((o) => s.writeMembers!(o)), arr.map(bulkOf).join(''), ctxs + ' writeMembers');
      const seen = new Set<string>();
      let c = 0;
      const count = 1 + Math.floor(r() * 20);
      do {
        c = s.scan(c, count, (mm) => seen.add(str(mm)!));
        if (s.isIntset()) assert.is(c, 0, ctxs + ' intset SSCAN in one call');
      } while (c !== 0);
      assert.equal(seen, ms, ctxs + ' sscan');
      const rm = s.randomMember();
      assert.ok(rm !== undefined && ms.has(str(rm)!), ctxs + ' srandmember');
      const cl = s.clone() as SetValue;
      assert.equal(new Set(cl.toArray().map((v) => str(v)!)), ms, ctxs + ' clone');
      assert.is(cl.isIntset(), s.isIntset(), ctxs + ' clone encoding');
      db.set(B('copy'), cl);
      db.delete(B('copy'));
      if (r() < 0.3) {
        s.reencode(INTSET_MAX);
        js1.reencode(INTSET_MAX);
        assert.is(s.isIntset(), js1.isIntset(), ctxs + ' reencode');
        assert.equal(new Set(s.toArray().map((v) => str(v)!)), ms, ctxs + ' reencode content');
      }
    } else if (x < 0.96) {
      // RENAME-like move (take + set), keeps the collection alive across the free queue.
      const from = (r() < 0.5 ? 'h' : 's') + k;
      const to = from[0] + keys[Math.floor(r() * keys.length)];
      if (from === to) continue;
      const t = db.take(B(from));
      if (!t) continue;
      db.set(B(to), t.value);
      const mm = from[0] === 'h' ? hm : sm;
      const src = mm.get(from.slice(1));
      mm.delete(from.slice(1));
      (mm as Map<string, unknown>).set(to.slice(1), src);
      if (from[0] === 'h') { hlp.set(to.slice(1), hlp.get(from.slice(1))!); }
      const jsFrom = js.get(from.slice(1))!;
      const jsTo = js.get(to.slice(1)) ?? ({} as Collections);
      if (from[0] === 'h') jsTo.hash = jsFrom.hash; else jsTo.set = jsFrom.set;
      js.set(to.slice(1), jsTo);
    } else {
      // Background work (the lazy free of removed collections) between commands.
      engine.backgroundWork(r() * 2);
    }
  }
  // Every key gone (one by one, then a FLUSHDB for the rest) and the background work drained:
  // memory exactly as the empty db's (a block freed with a wrong size would show here).
  for (const k of keys) if (r() < 0.5) { db.delete(B('h' + k)); db.delete(B('s' + k)); }
  db.clear(true);
  while (engine.backgroundWork(10)) { /* drain */ }
  assert.is(engine.usedMemory(), empty, `seed ${seed}: memory back to the empty db's`);
}

test('wasm hashes and sets vs model and JS containers, several seeds', () => {
  for (const seed of [11, 12, 13, 14]) runCollectionsFuzz(seed, 6000);
});

test('wasm hashes and sets: big values, lazy free in bounded steps, memory back to empty', () => {
  const engine = new WasmEngine();
  const db = engine.createDb(0, { now: () => 1000 }, () => undefined);
  while (engine.backgroundWork(10)) { /* drain */ }
  const empty = engine.usedMemory();
  const h = engine.newHash();
  db.set(B('h'), h);
  const s = engine.newSet();
  db.set(B('s'), s);
  for (let i = 0; i < 20000; i++) {
    h.setField(B('f' + i), B('v' + i), 64, 128);
    s.add(B('m' + i));
  }
  assert.is(h.size, 20000);
  assert.is(h.encoding(LIMITS), 'hashtable');
  assert.ok(engine.usedMemory() - empty > 20000 * 24, 'used_memory counts the entries');
  // HSCAN / SSCAN return about COUNT elements per call (dictScan), with the SCAN guarantee.
  for (const [v, count] of [[h, 50], [s, 50], [h, 7]] as const) {
    const seen = new Set<string>();
    let c = 0;
    let calls = 0;
    do {
      let got = 0;
      c = (v as SetValue).scan(c, count, (m: BulkValue) => { seen.add(str(m)!); got++; });
      calls++;
      if (c !== 0) assert.ok(got >= count && got < count + 16, `scan returned ${got} for COUNT ${count}`);
    } while (c !== 0);
    assert.is(seen.size, 20000);
    assert.ok(calls > 20000 / (count + 16), 'several calls');
  }
  db.delete(B('h'));
  db.delete(B('s'));
  let steps = 0;
  while (engine.backgroundWork(0)) steps++;
  assert.ok(steps > 3, `freed in bounded steps (${steps})`);
  db.clear(true); // the keyspace's own (empty) bucket array
  while (engine.backgroundWork(10)) { /* drain */ }
  assert.is(engine.usedMemory(), empty, 'memory back to the empty db');
});

test('deleting a 1M-field hash frees it in bounded steps (longest stall <= 15 ms)', () => {
  const engine = new WasmEngine();
  const db = engine.createDb(0, { now: () => 1000 }, () => undefined);
  while (engine.backgroundWork(10)) { /* drain */ }
  const empty = engine.usedMemory();
  const h = engine.newHash();
  db.set(B('big'), h);
  // One reused buffer: little JS garbage, so a GC pause of the test's own making is unlikely below.
  const fb = Buffer.alloc(32);
  for (let i = 0; i < 1_000_000; i++) {
    const n = fb.write('field:' + i, 'latin1');
    h.setField(fb.subarray(0, n), fb.subarray(0, 5), 64, 128);
  }
  while (engine.backgroundWork(10)) { /* finish the rehash */ }
  const stalls = deleteStalls(engine, db, B('big'));
  const worst = Math.max(...stalls);
  // (~55-65 ms of freeing in all, in 1 ms ticks: 50-56 ticks measured, 46 with a build whose
  // memory was shared, so `> 50` failed now and then; a one-shot free is 1)
  assert.ok(stalls.length > 20, `freed over many ticks (${stalls.length})`);
  // Steps are judged on CPU time (deleteStalls), so the machine's load does not count; a GC pause
  // can still land inside a tick (measured alone, the worst step is ~1.6 ms): judge the third worst.
  const sorted = stalls.sort((a, b) => b - a);
  assert.ok(sorted[2] <= 15, `longest stalls ${worst.toFixed(1)} / ${sorted[1].toFixed(1)} / ${sorted[2].toFixed(1)} ms`);
  db.clear(true);
  while (engine.backgroundWork(10)) { /* drain */ }
  assert.is(engine.usedMemory(), empty);
});

test('planted bugs in hash and set views are caught', () => {
  const planted: [string, Mutant][] = [
    ['size off by one', (c) => new Proxy(c, { get: (t, p) => (p === 'size' && t.size > 5 ? t.size + 1 : bind(t, p)) })],
    ['forEach drops the last element', (c) => new Proxy(c, {
      get: (t, p) => p === 'forEach'
        ? (visit: (a: BulkValue, b?: BulkValue) => void) => { const all: [BulkValue, BulkValue | undefined][] = []; (t.forEach as (f: (a: BulkValue, b?: BulkValue) => void) => void)((a, b) => all.push([a, b])); all.slice(0, Math.max(0, all.length > 3 ? all.length - 1 : all.length)).forEach(([a, b]) => visit(a, b)); }
        : bind(t, p),
    })],
    ['scan skips the first element of a call', (c) => new Proxy(c, {
      get: (t, p) => p === 'scan'
        ? (cur: number, n: number, visit: (a: BulkValue, b?: BulkValue) => void) => { let first = true; return (t.scan as (c: number, n: number, f: (a: BulkValue, b?: BulkValue) => void) => number)(cur, n, (a, b) => { if (first && cur !== 0) { first = false; return; } visit(a, b); }); }
        : bind(t, p),
    })],
  ];
  for (const [name, mutant] of planted) {
    let caught = false;
    try {
      runCollectionsFuzz(11, 6000, mutant);
    } catch {
      caught = true;
    }
    assert.ok(caught, `planted bug not caught: ${name}`);
  }
});

const bulkOf = (x: string) => `$${x.length}\r\n${x}\r\n`;


test.run();
