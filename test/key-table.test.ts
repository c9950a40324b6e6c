/**
 * KeyTable (the js-map engine's keyspace, src/engine/js-map/key-table.ts) against a Map: keys of
 * every length around the inline limit (INLINE_MAX bytes kept in the row, longer ones as strings),
 * binary bytes (\0, 0x80-0xff), the empty key, rows freed and reused by keys of the other kind,
 * lookups by a slice of a bigger buffer (findAt, as the RDB loader's batches), string values
 * kept inline in the row when they fit after the key (setValue, setValueBytes, setValueInt) or in
 * vals, Buffers never inline, full walks (forEach, walkSlots, SCAN) while the table grows and
 * shrinks, and presize (the RDB loader's RESIZEDB: row chunks made ahead, asked once or twice).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { INLINE_MAX, KeyTable, NONE, hashOfBytes, valueRoom } from '../src/engine/js-map/key-table';
import { StrEnc } from '../src/engine/types';
import { rng } from './helpers/rng';

const B = (s: string) => Buffer.from(s, 'latin1');

function randKey(r: () => number, i: number): string {
  const x = r();
  const len = x < 0.05 ? 0 : x < 0.5 ? Math.floor(r() * 12) : x < 0.8 ? INLINE_MAX - 4 + Math.floor(r() * 9) : 40 + Math.floor(r() * 200);
  let k = '';
  for (let j = 0; j < len; j++) {
    const y = r();
    k += String.fromCharCode(y < 0.1 ? 0 : y < 0.2 ? 255 : y < 0.3 ? 128 + Math.floor(r() * 128) : 97 + Math.floor(r() * 6));
  }
  // Unique (the suffix keeps lengths around the limit too).
  return len === 0 && i === 0 ? '' : k + ':' + i;
}

function randValue(r: () => number): string {
  const len = Math.floor(r() * (INLINE_MAX + 10));
  let v = '';
  for (let j = 0; j < len; j++) v += String.fromCharCode(Math.floor(r() * 256));
  return v;
}

function insert(t: KeyTable, k: string, v: string): number {
  const b = B(k);
  return t.insert(b, 0, b.length, hashOfBytes(b), v, 0, StrEnc.Auto);
}

function find(t: KeyTable, k: string): number {
  const b = B(k);
  return t.findBytes(b, hashOfBytes(b));
}

test('keys of every length and byte round-trip through rows and long-key strings', () => {
  const t = new KeyTable();
  const keys = [''];
  for (let n = 1; n <= INLINE_MAX + 3; n++) keys.push(String.fromCharCode(...Array.from({ length: n }, (_, i) => (i * 37 + n) & 255)));
  keys.push('x'.repeat(1000), '\x00'.repeat(INLINE_MAX), '\xff'.repeat(INLINE_MAX + 1));
  for (const k of keys) insert(t, k, 'v' + k.length);
  assert.is(t.size, keys.length);
  for (const k of keys) {
    const s = find(t, k);
    assert.ok(s !== NONE, `len ${k.length} found`);
    assert.is(t.key(s), k);
    assert.is(t.keyLength(s), k.length);
    assert.is(t.value(s), 'v' + k.length);
  }
  // Same length and hash bucket or not: a near miss is a miss.
  for (const k of keys) if (k.length > 0) assert.is(find(t, k.slice(0, -1) + String.fromCharCode(k.charCodeAt(k.length - 1) ^ 1)), NONE);
  // findAt on a slice of a bigger buffer.
  for (const k of keys) {
    const big = Buffer.concat([B('pre'), B(k), B('post')]);
    assert.ok(t.findAt(big, 3, k.length, hashOfBytes(big, 3, k.length)) !== NONE);
  }
});

test('growInline: an inline value grows in its row, zero-filled, up to valueRoom, never shrinks', () => {
  const t = new KeyTable();
  for (const klen of [0, 1, 12, INLINE_MAX - 1, INLINE_MAX, INLINE_MAX + 5]) {
    const k = 'g'.repeat(klen);
    const s = insert(t, k, 'ab');
    const room = valueRoom(klen);
    if (room < 2) {
      assert.is(t.inlineLength(s), -1, `key of ${klen}: no room for the value`);
      continue;
    }
    const rb = t.rowBytes(s);
    assert.is(t.growInline(s, 1), true); // never shrinks
    assert.is(t.inlineLength(s), 2);
    assert.is(t.growInline(s, room), true);
    assert.is(t.inlineLength(s), room);
    const at = t.inlineStart(s);
    assert.equal([...rb.subarray(at, at + room)], [97, 98, ...new Array(room - 2).fill(0)]);
    rb[at + room - 1] = 7; // written in place, seen by value()
    assert.is(t.value(s), 'ab' + '\0'.repeat(room - 3) + '\x07');
    assert.is(t.growInline(s, room + 1), false);
    assert.is(t.inlineLength(s), room);
    assert.is(t.key(s), k);
  }
});

test('random inserts, removes and reuse of freed rows agree with a Map; walks see every key once', () => {
  const r = rng(11);
  for (let round = 0; round < 4; round++) {
    const t = new KeyTable();
    const model = new Map<string, string>();
    const pool = Array.from({ length: 3000 }, (_, i) => randKey(r, i));
    for (let step = 0; step < 20000; step++) {
      const k = pool[Math.floor(r() * pool.length)];
      const s = find(t, k);
      assert.is(s !== NONE, model.has(k));
      if (s !== NONE) {
        assert.is(t.key(s), k);
        assert.is(t.value(s), model.get(k));
      }
      const grow = step % 5000 < 3000;
      if (s === NONE && (grow || r() < 0.3)) {
        const v = randValue(r);
        const at = insert(t, k, v);
        assert.is(t.inlineLength(at) >= 0, v.length <= valueRoom(k.length));
        if (r() < 0.2) t.setExpireAt(at, 1000 + step);
        model.set(k, v);
      } else if (s !== NONE && r() < 0.3) {
        // Overwrite: a string, bytes, an integer, or a Buffer (never inline).
        const x = r();
        if (x < 0.3) {
          const v = randValue(r);
          t.setValue(s, v);
          model.set(k, v);
        } else if (x < 0.6) {
          const v = randValue(r);
          const b = Buffer.concat([B('..'), B(v)]);
          if (t.setValueBytes(s, b, 2, v.length)) model.set(k, v);
          else assert.ok(v.length > valueRoom(k.length));
        } else if (x < 0.9) {
          const n = Math.floor((r() - 0.5) * 2 ** (1 + Math.floor(r() * 53)));
          if (t.setValueInt(s, n)) model.set(k, String(n));
          else assert.ok(String(n).length > valueRoom(k.length));
        } else {
          const b = B('buf');
          t.setValue(s, b);
          assert.is(t.value(s), b);
          assert.is(t.inlineLength(s), -1);
          t.setValue(s, 'buf');
          model.set(k, 'buf');
        }
        assert.is(t.value(s), model.get(k));
        if (t.inlineLength(s) >= 0) assert.is(B(model.get(k)!).equals(Buffer.from(t.rowBytes(s).subarray(t.inlineStart(s), t.inlineStart(s) + t.inlineLength(s)))), true);
      } else if (s !== NONE && (!grow || r() < 0.3)) {
        t.remove(s);
        model.delete(k);
      }
      assert.is(t.size, model.size);
    }
    const seen = new Map<string, number>();
    t.forEach((k, s) => {
      assert.is(t.value(s), model.get(k));
      seen.set(k, (seen.get(k) ?? 0) + 1);
    });
    assert.is(seen.size, model.size);
    for (const n of seen.values()) assert.is(n, 1);
    const walked = new Set<string>();
    let pos = 0;
    while (pos < t.slotEnd) pos = t.walkSlots(pos, t.slotEnd, 1 + Math.floor(r() * 100), (s) => walked.add(t.key(s)));
    assert.is(walked.size, model.size);
    const scanned = new Set<string>();
    let c = 0;
    do c = t.scan(c, 10, (k) => scanned.add(k));
    while (c !== 0);
    assert.equal([...scanned].sort(), [...model.keys()].sort());
  }
});

test('a table that empties and fills again keeps a small first chunk, and its rows come back clean', () => {
  const r = rng(5);
  const t = new KeyTable();
  // The first chunk grows by doubling (16, 32, 64 rows): to 64 here, more than a cycle needs.
  for (let i = 0; i < 64; i++) insert(t, 'grow' + i, 'v');
  for (let i = 1; i < 64; i++) t.remove(find(t, 'grow' + i));
  const chunk0 = t.rowBytes(find(t, 'grow0'));
  insert(t, 'first', 'v');
  t.remove(find(t, 'grow0'));
  for (let cycle = 0; cycle < 200; cycle++) {
    // Fill with up to 40 keys of every kind (inline, arena-sized and Buffer values, long keys,
    // TTLs), then empty the table in a random order: as a lock's key is set and deleted.
    const model = new Map<string, string | Buffer>();
    const n = 1 + Math.floor(r() * 40);
    for (let i = 0; i < n; i++) {
      const k = randKey(r, cycle * 100 + i);
      if (find(t, k) !== NONE) continue;
      const x = r();
      const v = x < 0.4 ? randValue(r) : x < 0.7 ? 'a'.repeat(40 + Math.floor(r() * 900)) : Buffer.from(randValue(r), 'latin1');
      const at = insert(t, k, 'tmp');
      t.setValue(at, v);
      if (r() < 0.3) t.setExpireAt(at, 5000 + i);
      model.set(k, v);
    }
    for (const [k, v] of model) {
      const s = find(t, k);
      assert.ok(s !== NONE, `${cycle}: ${k} found`);
      assert.is(t.value(s), v);
      assert.is(t.key(s), k);
    }
    if (cycle === 0) {
      t.remove(find(t, 'first'));
    }
    for (const k of [...model.keys()].sort(() => r() - 0.5)) {
      t.remove(find(t, k));
      model.delete(k);
      assert.is(t.size, model.size);
    }
    assert.is(t.size, 0);
    let seen = 0;
    t.forEach(() => seen++);
    assert.is(seen, 0, 'an emptied table walks nothing');
    assert.is(find(t, 'first'), NONE);
    // A fresh row in the kept chunk: no TTL, no stale value, the first chunk's bytes reused.
    const at = insert(t, 'probe', 'p');
    assert.is(t.expireAt(at), -1);
    assert.is(t.value(at), 'p');
    assert.is(t.rowBytes(at), chunk0, 'the first chunk is the same array');
    t.remove(at);
  }
  // presize of the emptied table for more keys than the kept chunk holds: made at the new size.
  t.presize(5000);
  for (let i = 0; i < 5000; i++) insert(t, 'k' + i, 'v' + i);
  for (let i = 0; i < 5000; i += 7) assert.is(t.value(find(t, 'k' + i)), 'v' + i);
  assert.is.not(t.rowBytes(find(t, 'k0')), chunk0);
});

test('presize: rows made ahead for the keys announced, once or twice, fewer or more keys than announced', () => {
  // Chunks are 65,536 rows; presize makes up to 4 ahead. Sizes below, at and past those bounds,
  // then asked again (a second RESIZEDB for the same empty table) larger and smaller.
  for (const [first, second, n] of [
    [100_000, 0, 140_000],
    [10, 100_000, 140_000],
    [70_000, 5, 70_000],
    [300_000, 0, 20],
  ]) {
    const t = new KeyTable();
    t.presize(first);
    if (second > 0) t.presize(second);
    for (let i = 0; i < n; i++) insert(t, 'k' + i, 'v' + i);
    assert.is(t.size, n);
    for (let i = 0; i < n; i += 997) {
      const s = find(t, 'k' + i);
      assert.ok(s !== NONE, `k${i} found (${first}/${second}/${n})`);
      assert.is(t.value(s), 'v' + i);
    }
    let seen = 0;
    t.forEach(() => seen++);
    assert.is(seen, n, `forEach visits ${n}`);
    assert.is(t.walkSlots(0, t.slotEnd, Infinity, () => {}), t.slotEnd);
  }
});

test.run();
