/**
 * The js-map hash and set in their big form (JsHash / JsSet over a KeyTable, containers/hash.ts
 * and set.ts) against a Map / Set model: fields and members of every length around the 32-byte
 * row limit and binary bytes, values kept in the row or as strings, overwrites that move a value
 * between the two, deletes, clone, random reads, and memory accounting (memoryUsage and the
 * attached account move together, and return to the empty figure once everything is deleted,
 * whatever the conversion from the small form counted before).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { JsHash } from '../src/engine/containers/hash';
import { JsSet } from '../src/engine/containers/set';
import { rng } from './helpers/rng';

const B = (s: string): Buffer => Buffer.from(s, 'latin1');
const str = (v: Buffer | string): string => (typeof v === 'string' ? v : v.latin1Slice(0, v.length));

function randBytes(r: () => number, max: number): string {
  const len = Math.floor(r() * max);
  let s = '';
  for (let i = 0; i < len; i++) {
    const y = r();
    s += String.fromCharCode(y < 0.1 ? 0 : y < 0.2 ? 255 : 97 + Math.floor(r() * 4));
  }
  return s;
}

test('JsHash big form: model, memory accounting back to empty', () => {
  const r = rng(7);
  const h = new JsHash();
  const account = { bytes: 0 };
  h.attach(account);
  const empty = h.memoryUsage();
  const model = new Map<string, string>();
  for (let i = 0; i < 3000; i++) {
    const f = randBytes(r, 40) + ':' + Math.floor(r() * 400);
    const x = r();
    if (x < 0.6) {
      const v = randBytes(r, 60);
      assert.is(h.setField(B(f), B(v), 64, 128), !model.has(f));
      model.set(f, v);
    } else if (x < 0.8) {
      assert.is(h.delete(B(f)), model.delete(f));
    } else {
      const v = h.get(B(f));
      assert.is(v === undefined ? undefined : str(v), model.get(f));
    }
    assert.is(h.size, model.size);
    assert.is(account.bytes, h.memoryUsage() - empty);
  }
  assert.is(h.isListpack(), false);
  const seen = new Map<string, string>();
  h.forEach((f, v) => seen.set(str(f), str(v)));
  assert.equal(seen, model);
  const c = h.clone();
  const cseen = new Map<string, string>();
  c.forEach((f, v) => cseen.set(str(f), str(v)));
  assert.equal(cseen, model);
  assert.is(c.memoryUsage(), h.memoryUsage());
  const e = h.randomEntry()!;
  assert.is(model.get(str(e[0])), str(e[1]));
  for (const f of [...model.keys()]) assert.ok(h.delete(B(f)));
  assert.is(h.size, 0);
  assert.is(h.memoryUsage(), empty);
  assert.is(account.bytes, 0);
});

test('JsSet big form: model, memory accounting back to empty', () => {
  const r = rng(8);
  const s = new JsSet();
  const account = { bytes: 0 };
  s.attach(account);
  const empty = s.memoryUsage();
  const model = new Set<string>();
  // Integers first (intset), then other members convert it.
  for (let i = 0; i < 100; i++) {
    const m = String(i * 7);
    assert.is(s.add(B(m)), !model.has(m));
    model.add(m);
  }
  assert.ok(s.isIntset());
  for (let i = 0; i < 3000; i++) {
    const m = randBytes(r, 40) + ':' + Math.floor(r() * 400);
    const x = r();
    if (x < 0.6) {
      assert.is(s.add(B(m)), !model.has(m));
      model.add(m);
    } else if (x < 0.8) assert.is(s.delete(B(m)), model.delete(m));
    else assert.is(s.has(B(m)), model.has(m));
    assert.is(s.size, model.size);
    assert.is(account.bytes, s.memoryUsage() - empty);
  }
  assert.is(s.isIntset(), false);
  assert.equal(new Set(s.toArray()), model);
  assert.ok(model.has(str(s.randomMember()!)));
  const c = s.clone();
  assert.equal(new Set(c.toArray()), model);
  for (const m of [...model]) assert.ok(s.delete(B(m)));
  assert.is(s.size, 0);
  assert.is(s.memoryUsage(), empty);
  assert.is(account.bytes, 0);
});

test('JsHash.setFieldAt: fields and values at offsets of one buffer, both forms, conversions as Redis makes them', () => {
  const r = rng(10);
  for (const longValue of [false, true]) {
    const h = new JsHash();
    const account = { bytes: 0 };
    h.attach(account);
    const empty = h.memoryUsage();
    const model = new Map<string, string>();
    let listpack = true;
    for (let i = 0; i < 400; i++) {
      const f = randBytes(r, 40) + ':' + Math.floor(r() * 200);
      const v = longValue && i === 50 ? 'v'.repeat(65) : randBytes(r, 50);
      // The frame's bytes: junk, field, junk, value, junk (as an HSET frame's arguments).
      const buf = Buffer.concat([B('\r\n$'), B(f), B('\r\n$3\r\n'), B(v), B('\r\n')]);
      const isNew = h.setFieldAt(buf, 3, f.length, buf, 3 + f.length + 6, v.length, 64, 128);
      assert.is(isNew, !model.has(f));
      model.set(f, v);
      // hashTypeTryConversion (a field or value over 64 bytes), then more than 128 fields.
      if (f.length > 64 || v.length > 64 || model.size > 128) listpack = false;
      assert.is(h.size, model.size);
      assert.is(h.isListpack(), listpack, `step ${i}`);
      assert.is(account.bytes, h.memoryUsage() - empty);
    }
    assert.not.ok(h.isListpack());
    const got = new Map<string, string>();
    h.forEach((f, v) => got.set(str(f), str(v)));
    assert.equal(got, model);
    for (const f of model.keys()) assert.ok(h.delete(B(f)));
    assert.is(account.bytes, 0);
  }
});

test('JsSet: ShardedMap to KeyTable past 128 members (from a growing set and from a big intset), scan, random pops, reencode', () => {
  const r = rng(9);
  // A hashtable set grown member by member: the ShardedMap up to 128, then the KeyTable.
  const s = new JsSet();
  const account = { bytes: 0 };
  s.attach(account);
  const empty = s.memoryUsage();
  const model = new Set<string>();
  for (let i = 0; model.size < 128; i++) {
    const m = randBytes(r, 40) + '\x00' + i;
    assert.ok(s.add(B(m)));
    model.add(m);
  }
  assert.match(String(s.tableStats()), /small JavaScript Maps/);
  const small = s.clone();
  assert.ok(s.addAt(B('..one more..'), 2, 8)); // 'one more'
  model.add('one more');
  assert.ok(Array.isArray(s.tableStats()));
  assert.is(s.size, 129);
  assert.is(account.bytes, s.memoryUsage() - empty);
  assert.equal(new Set(small.toArray()).size, 128);
  for (const m of model) {
    assert.ok(s.has(B(m)) && s.hasString(m));
    assert.not.ok(s.addString(m));
  }
  // SCAN: every member at least once, about COUNT per call.
  const seen = new Set<string>();
  let cursor = 0;
  do cursor = s.scan(cursor, 10, (m) => seen.add(str(m)));
  while (cursor !== 0);
  assert.equal(seen, model);
  // SPOP's steps (randomMember, deleteString) down to one member: the KeyTable form stays.
  while (s.size > 1) {
    const m = str(s.randomMember()!);
    assert.ok(model.delete(m));
    assert.ok(s.deleteString(m));
    assert.not.ok(s.hasString(m));
  }
  assert.ok(Array.isArray(s.tableStats()));
  assert.is(account.bytes, s.memoryUsage() - empty);
  // A set of only integers again: reencode makes it an intset.
  assert.ok(s.deleteString(s.toArray()[0]));
  for (const m of ['5', '-3', '10']) s.addString(m);
  s.reencode(512);
  assert.ok(s.isIntset());
  assert.equal(s.toArray(), ['-3', '5', '10']);
  assert.is(account.bytes, s.memoryUsage() - empty);

  // An intset of 600 members meets a string: straight to the KeyTable.
  const t = new JsSet();
  t.maxIntset = 1000;
  for (let i = 0; i < 600; i++) t.add(B(String(i * 3)));
  assert.ok(t.isIntset());
  assert.ok(t.add(B('\xff\x00str')));
  assert.not.ok(t.isIntset());
  assert.ok(Array.isArray(t.tableStats()));
  assert.is(t.size, 601);
  assert.ok(t.has(B('597')) && t.has(B('\xff\x00str')) && !t.has(B('598')));
  const c = t.clone();
  assert.ok(Array.isArray(c.tableStats()));
  assert.equal(new Set(c.toArray()), new Set(t.toArray()));
  assert.is(c.memoryUsage(), t.memoryUsage());
});

test.run();
