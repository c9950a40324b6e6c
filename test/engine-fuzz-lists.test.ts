/**
 * Differential fuzzer for the wasm engine's lists (assembly/list.ts, src/engine/wasm/list.ts):
 * the same seeded random operations run on a WasmList stored in a WasmDb, on the JS container
 * (JsList) and on a plain array model, comparing every result. Elements are binary, from empty to
 * 20 KB (so nodes split, hold one big element, grow and shrink), list-max-listpack-size varies by
 * seed (including positive entry counts), lists are moved (take + set), cloned, deleted and
 * trimmed while background work frees memory; at the end memory is exactly the empty db's.
 * Planted bugs in the view must be caught; a 1M-element delete must stay incremental.
 *
 * Run: npm run build && node scripts/test.js engine-fuzz-lists
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WasmEngine } from '../src/engine/wasm/engine';
import type { BulkValue, ListValue } from '../src/engine/types';
import { jsContainers } from '../src/engine/containers';
import { rng } from './helpers/rng';
import { bind, deleteStalls, rawOf } from './helpers/sinks';

const str = (v: unknown): string | undefined =>
  v === undefined ? undefined : typeof v === 'string' ? v : (v as Buffer).latin1Slice(0, (v as Buffer).length);
const B = (s: string) => Buffer.from(s, 'latin1');
const bulkOf = (x: string) => `$${x.length}\r\n${x}\r\n`;

type Mutant = (l: ListValue) => ListValue;

function randElem(r: () => number): string {
  const x = r();
  if (x < 0.3) return 'e' + Math.floor(r() * 20); // few distinct values: LREM / LPOS / LINSERT find them
  if (x < 0.4) return String(Math.floor((r() - 0.5) * 2 ** 40));
  if (x < 0.45) return '';
  if (x < 0.55) return '\0\xff' + 'b'.repeat(Math.floor(r() * 10));
  if (x < 0.97) return 'v'.repeat(Math.floor(r() * 200));
  return 'L'.repeat(8000 + Math.floor(r() * 12000)); // bigger than a node
}


/** The model's LPOS (JsList.positions written plainly). */
function modelPos(a: string[], v: string, rank: number, count: number, maxlen: number): number[] {
  const out: number[] = [];
  const fromTail = rank < 0;
  const longMin = rank === -Infinity;
  const r = longMin ? 1 : Math.abs(rank);
  let matches = 0;
  for (let k = 0; k < a.length && (maxlen === 0 || k < maxlen); k++) {
    const idx = fromTail ? a.length - 1 - k : k;
    if (a[idx] === v && ++matches >= r) {
      out.push(idx);
      if (!longMin && count > 0 && matches - r + 1 >= count) break;
    }
  }
  return out;
}

/**
 * One fuzz run; returns the longest list reached. `compress`: list-compress-depth (0: off; above
 * 0 the depth also changes at random during the run, to 0 too: the lists created from then on
 * get it, the others keep theirs); `stats.compressed`: the most compressed nodes seen.
 */
function runListFuzz(seed: number, steps: number, fill: number, mutant?: Mutant, grow = false, compress = 0, stats = { compressed: 0 }): number {
  const r = rng(seed);
  const engine = new WasmEngine();
  engine.w.x.lSetFill(fill);
  engine.w.x.lSetCompress(compress);
  const db = engine.createDb(0, { now: () => 1000 }, () => undefined);
  while (engine.backgroundWork(10)) { /* drain */ }
  const empty = engine.usedMemory();
  const keys = Array.from({ length: 8 }, (_, i) => 'k' + i);
  const model = new Map<string, string[]>();
  const js = new Map<string, ListValue>();
  const get = (k: string): ListValue | undefined => {
    const v = db.get(B(k));
    return v === undefined ? undefined : mutant ? mutant(v as ListValue) : (v as ListValue);
  };
  let longest = 0;
  const dropIfEmpty = (k: string) => {
    if (model.get(k)!.length === 0) { db.delete(B(k)); model.delete(k); js.delete(k); }
  };
  for (let step = 0; step < steps; step++) {
    const k = keys[Math.floor(r() * keys.length)];
    const ctx = `seed ${seed} fill ${fill} step ${step} key ${k}`;
    const x = r();
    let l = get(k);
    const a = model.get(k);
    const j = js.get(k);
    if (x < 0.25) {
      // LPUSH / RPUSH of 1..6 elements (one crossing), or one element through pushHead/pushTail
      if (!l) {
        l = engine.newList();
        db.set(B(k), l);
        l = get(k)!;
        model.set(k, []);
        js.set(k, jsContainers.newList());
      }
      const m = model.get(k)!;
      const jl = js.get(k)!;
      const n = 1 + Math.floor(r() * (grow ? 80 : 6));
      const els = Array.from({ length: n }, () => randElem(r));
      const tail = r() < 0.5;
      if (r() < 0.7) {
        assert.is(l.pushAll!(tail, [B('x'), ...els.map(B)], 1), m.length + n, ctx + ' push length');
      } else {
        for (const e of els) if (tail) l.pushTail(B(e)); else l.pushHead(B(e));
      }
      for (const e of els) {
        if (tail) { m.push(e); jl.pushTail(B(e)); } else { m.unshift(e); jl.pushHead(B(e)); }
      }
      assert.is(l.size, m.length, ctx + ' llen');
      longest = Math.max(longest, m.length);
    } else if (!l || !a || !j) {
      continue;
    } else if (x < 0.37) {
      // LPOP / RPOP, with or without count
      const tail = r() < 0.5;
      if (r() < 0.5) {
        const v = str(tail ? l.popTail() : l.popHead());
        assert.is(v, tail ? a.pop() : a.shift(), ctx + ' pop');
        if (tail) j.popTail(); else j.popHead();
      } else {
        const count = 1 + Math.floor(r() * 8);
        let n = 0;
        const raw = rawOf((o) => { n = l!.popResp!(o, tail, count); });
        const want = tail ? a.splice(Math.max(0, a.length - count)).reverse() : a.splice(0, count);
        for (let i = 0; i < want.length; i++) if (tail) j.popTail(); else j.popHead();
        assert.is(n, want.length, ctx + ' pop count');
        assert.is(raw, want.map(bulkOf).join(''), ctx + ' pop reply');
      }
      assert.is(l.size, a.length, ctx + ' llen after pop');
      dropIfEmpty(k);
    } else if (x < 0.5) {
      // LRANGE (both paths), LINDEX
      const s = Math.floor(r() * (a.length + 2));
      const e = s + Math.floor(r() * 30);
      const got: string[] = [];
      const idx: number[] = [];
      l.range(s, e, (v, i) => { got.push(str(v)!); idx.push(i); });
      const want = a.slice(s, e + 1);
      assert.equal(got, want, ctx + ' range');
      assert.equal(idx, want.map((_, i) => s + i), ctx + ' range indexes');
      const jgot: string[] = [];
      j.range(s, e, (v) => jgot.push(str(v)!));
      assert.equal(got, jgot, ctx + ' range vs JsList');
      if (s < a.length) assert.is(rawOf((o) => l!.writeRange!(o, s, Math.min(e, a.length - 1))), want.map(bulkOf).join(''), ctx + ' writeRange');
      const i = Math.floor((r() - 0.5) * 2.2 * a.length);
      assert.is(str(l.at(i)), i < 0 ? a[a.length + i] : a[i], ctx + ' lindex ' + i);
    } else if (x < 0.58) {
      // LSET
      const i = Math.floor(r() * a.length);
      const v = randElem(r);
      l.setAt(i, B(v));
      j.setAt(i, B(v));
      a[i] = v;
      assert.is(str(l.at(i)), v, ctx + ' lset');
    } else if (x < 0.66) {
      // LINSERT
      const pivot = r() < 0.8 && a.length > 0 ? a[Math.floor(r() * a.length)] : randElem(r);
      const v = randElem(r);
      const after = r() < 0.5;
      const at = a.indexOf(pivot);
      const got = l.insert(B(pivot), B(v), after);
      assert.is(j.insert(B(pivot), B(v), after), got, ctx + ' linsert vs JsList');
      if (at === -1) assert.is(got, -1, ctx + ' linsert no pivot');
      else {
        a.splice(after ? at + 1 : at, 0, v);
        assert.is(got, a.length, ctx + ' linsert length');
      }
    } else if (x < 0.73) {
      // LREM
      const v = r() < 0.8 && a.length > 0 ? a[Math.floor(r() * a.length)] : randElem(r);
      const count = Math.floor((r() - 0.5) * 6);
      const got = l.remove(B(v), count);
      assert.is(j.remove(B(v), count), got, ctx + ' lrem vs JsList');
      let removed = 0;
      if (count >= 0) {
        for (let i = 0; i < a.length; i++) {
          if (a[i] === v && (count === 0 || removed < count)) { a.splice(i--, 1); removed++; }
        }
      } else {
        for (let i = a.length - 1; i >= 0; i--) {
          if (a[i] === v && removed < -count) { a.splice(i, 1); removed++; }
        }
      }
      assert.is(got, removed, ctx + ' lrem count');
      assert.is(l.size, a.length, ctx + ' llen after lrem');
      dropIfEmpty(k);
    } else if (x < 0.78) {
      // LTRIM (already normalized as the handler does)
      const s = Math.floor(r() * (a.length + 1));
      const e = r() < 0.1 ? s - 1 : s + Math.floor(r() * a.length);
      l.trim(s, e);
      j.trim(s, e);
      const keep = s > e || s >= a.length ? [] : a.slice(s, e + 1);
      model.set(k, keep);
      assert.is(l.size, keep.length, ctx + ' ltrim');
      dropIfEmpty(k);
    } else if (x < 0.85) {
      // LPOS
      const v = r() < 0.8 && a.length > 0 ? a[Math.floor(r() * a.length)] : randElem(r);
      const rank = r() < 0.05 ? -Infinity : (r() < 0.5 ? 1 : -1) * (1 + Math.floor(r() * 3));
      const count = Math.floor(r() * 4);
      const maxlen = r() < 0.7 ? 0 : Math.floor(r() * a.length);
      const got = l.positions(B(v), rank, count, maxlen);
      assert.equal(got, modelPos(a, v, rank, count, maxlen), ctx + ' lpos');
      assert.equal(got, j.positions(B(v), rank, count, maxlen), ctx + ' lpos vs JsList');
    } else if (x < 0.9) {
      // Full content vs model and JsList, clone (COPY) stored and dropped
      const all: string[] = [];
      l.range(0, l.size - 1, (v) => all.push(str(v)!));
      assert.equal(all, a, ctx + ' content');
      const jall: string[] = [];
      j.range(0, j.size - 1, (v) => jall.push(str(v)!));
      assert.equal(all, jall, ctx + ' content vs JsList');
      assert.is(l.encoding({} as never), 'quicklist', ctx + ' encoding');
      const cl = l.clone() as ListValue;
      const call: string[] = [];
      cl.range(0, cl.size - 1, (v) => call.push(str(v)!));
      assert.equal(call, a, ctx + ' clone');
      assert.ok(cl.memoryUsage() > 0 && l.memoryUsage() > 0, ctx + ' memory usage');
      db.set(B('copy'), cl);
      db.delete(B('copy'));
    } else if (x < 0.94) {
      // RENAME-like move (take + set): the list lives on across the free queue
      const to = keys[Math.floor(r() * keys.length)];
      if (to === k) continue;
      const t = db.take(B(k))!;
      db.set(B(to), t.value);
      model.set(to, a);
      model.delete(k);
      js.set(to, j);
      js.delete(k);
    } else if (x < 0.96) {
      db.delete(B(k));
      model.delete(k);
      js.delete(k);
    } else {
      engine.backgroundWork(r() * 2);
      if (compress > 0 && r() < 0.2) engine.w.x.lSetCompress(Math.floor(r() * 4));
    }
    if (compress > 0 && l && model.has(k)) stats.compressed = Math.max(stats.compressed, (get(k) as ListValue & { compressedNodes(): number }).compressedNodes());
  }
  for (const k of keys) if (r() < 0.5) db.delete(B(k));
  db.clear(true);
  while (engine.backgroundWork(10)) { /* drain */ }
  assert.is(engine.usedMemory(), empty, `seed ${seed}: memory back to the empty db's`);
  return longest;
}

test('wasm lists vs model and JsList, several seeds and list-max-listpack-size values', () => {
  const fills = [-2, -1, 3, 1, -5, 0];
  for (let i = 0; i < fills.length; i++) runListFuzz(31 + i, 5000, fills[i]);
  // Long lists: many nodes, so LINSERT splits, LRANGE/LINDEX cross nodes and LTRIM drops nodes.
  for (const [seed, fill] of [[41, -1], [42, -2], [43, 7]]) {
    const longest = runListFuzz(seed, 6000, fill, undefined, true);
    assert.ok(longest > 300, `long lists reached (${longest})`);
  }
});

test('compressed lists (list-compress-depth 1..3, changed during the run) vs model and JsList', () => {
  const stats = { compressed: 0 };
  for (const [seed, fill, depth] of [[51, -2, 1], [52, 2, 2], [53, 1, 1], [54, -1, 3], [55, 0, 2]]) runListFuzz(seed, 4000, fill, undefined, true, depth, stats);
  assert.ok(stats.compressed >= 5, `nodes were compressed (at most ${stats.compressed} at once)`);
});

test('planted bugs in list views are caught', () => {
  const planted: [string, Mutant][] = [
    ['size off by one', (l) => new Proxy(l, { get: (t, p) => (p === 'size' && t.size > 5 ? t.size + 1 : bind(t, p)) })],
    ['range drops the last element', (l) => new Proxy(l, {
      get: (t, p) => p === 'range'
        ? (s: number, e: number, visit: (v: BulkValue, i: number) => void) => { const all: [BulkValue, number][] = []; t.range(s, e, (v, i) => all.push([v, i])); all.slice(0, all.length > 3 ? all.length - 1 : all.length).forEach(([v, i]) => visit(v, i)); }
        : bind(t, p),
    })],
    ['insert puts the element on the wrong side', (l) => new Proxy(l, {
      get: (t, p) => p === 'insert' ? (pv: Buffer, v: Buffer, after: boolean) => t.insert(pv, v, !after) : bind(t, p),
    })],
  ];
  for (const [name, mutant] of planted) {
    let caught = false;
    try {
      runListFuzz(31, 3000, -2, mutant);
    } catch {
      caught = true;
    }
    assert.ok(caught, `planted bug not caught: ${name}`);
  }
});

test('big lists: nodes bounded by list-max-listpack-size, memory exact, back to empty', () => {
  const engine = new WasmEngine();
  const db = engine.createDb(0, { now: () => 1000 }, () => undefined);
  while (engine.backgroundWork(10)) { /* drain */ }
  const empty = engine.usedMemory();
  const l = engine.newList() as ListValue & { nodes(): number };
  db.set(B('l'), l);
  const els = Array.from({ length: 10000 }, (_, i) => B('element:' + i));
  l.pushAll!(true, els, 0);
  assert.is(l.size, 10000);
  // ~16 bytes per entry, 8 KiB nodes.
  const nodes = l.nodes();
  assert.ok(nodes >= 15 && nodes <= 25, `nodes ${nodes}`);
  const used = engine.usedMemory() - empty;
  // used_memory is the list's bytes plus the key's keyspace entry.
  assert.ok(used >= l.memoryUsage() && used <= l.memoryUsage() + 96, `used_memory ${used} vs list ${l.memoryUsage()}`);
  assert.ok(l.memoryUsage() < 10000 * 20, `compact: ${l.memoryUsage()} bytes`);
  engine.w.x.lSetFill(128);
  const l2 = engine.newList() as ListValue & { nodes(): number };
  db.set(B('l2'), l2);
  l2.pushAll!(false, els, 0);
  assert.is(l2.nodes(), Math.ceil(10000 / 128), 'fill 128: entries per node');
  engine.w.x.lSetFill(-2);
  db.delete(B('l'));
  db.delete(B('l2'));
  db.clear(true);
  while (engine.backgroundWork(10)) { /* drain */ }
  assert.is(engine.usedMemory(), empty, 'memory back to the empty db');
});

test('OOM (linear memory cap) during a push of N elements changes nothing', () => {
  const engine = new WasmEngine();
  const db = engine.createDb(0, { now: () => 1000 }, () => undefined);
  const l = engine.newList();
  db.set(B('l'), l);
  l.pushAll!(true, [B('a'), B('b'), B('c')], 0);
  engine.w.reserveScratch(64 * 30004); // the scratch region is in place: the cap hits the nodes
  engine.w.sync();
  engine.w.x.arenaSetMaxPages(engine.w.u8.length / 65536);
  const big = Array.from({ length: 64 }, (_, i) => Buffer.alloc(30000, 65 + (i % 26)));
  let failed = false;
  for (let round = 0; round < 200 && !failed; round++) {
    const before = l.size;
    try {
      l.pushAll!(round % 2 === 0, big, 0);
    } catch (e) {
      failed = true;
      assert.is((e as Error).name, 'EngineOutOfMemoryError');
      assert.is(l.size, before, 'nothing pushed');
      const first: string[] = [];
      l.range(0, 2, (v) => first.push(str(v)!.slice(0, 1)));
      assert.ok(first.length === 3, 'still readable');
    }
  }
  assert.ok(failed, 'the cap was reached');
  engine.w.x.arenaSetMaxPages(65536);
  l.pushTail(B('after'));
  assert.is(str(l.at(-1)), 'after');
});

test('deleting a 1M-element list frees it in bounded steps', () => {
  const engine = new WasmEngine();
  const db = engine.createDb(0, { now: () => 1000 }, () => undefined);
  while (engine.backgroundWork(10)) { /* drain */ }
  const empty = engine.usedMemory();
  const l = engine.newList();
  db.set(B('big'), l);
  const batch = Array.from({ length: 1000 }, (_, i) => B('value:' + i));
  for (let i = 0; i < 1000; i++) l.pushAll!(true, batch, 0);
  assert.is(l.size, 1_000_000);
  assert.ok(engine.usedMemory() - empty > 1_000_000 * 8, 'used_memory counts the elements');
  const stalls = deleteStalls(engine, db, B('big'));
  // Nodes hold ~600 elements each: freeing is O(nodes), so a few steps suffice. Steps are judged on
  // CPU time (deleteStalls); a GC pause can still land inside one: judge the third worst.
  const sorted = stalls.sort((a, b) => b - a);
  const judged = sorted[Math.min(2, sorted.length - 1)];
  assert.ok(judged <= 15, `longest stalls ${sorted.slice(0, 3).map((s) => s.toFixed(1)).join(' / ')} ms`);
  db.clear(true);
  while (engine.backgroundWork(10)) { /* drain */ }
  assert.is(engine.usedMemory(), empty);
});

test.run();
