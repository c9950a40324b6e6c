/**
 * The point-in-time snapshot (src/persistence/snapshot.ts) on both engines: random writes of
 * every kind run between the snapshot's steps, and what the snapshot hands over must be exactly
 * the dataset as it was when it began: every key once, with its value and TTL at that moment,
 * nothing created later, nothing written later.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { BulkValue, Db, Engine, HashValue, KeyInfo, ListValue, RedisValue, SetValue, ZSetValue } from '../src/engine/types';
import { APPEND_MISSING, BitOp, typeOfValue } from '../src/engine/types';
import { createEngine } from '../src/engine';
import { Snapshot } from '../src/persistence/snapshot';
import { enginesUnderTest } from './helpers/servers';
import { rng } from './helpers/rng';

const B = (s: string) => Buffer.from(s, 'latin1');
const s = (v: BulkValue) => (typeof v === 'string' ? v : v.latin1Slice(0, v.length));

/** A value as plain data, serialized now (the snapshot's sinks must copy at once). */
function plain(v: RedisValue): string {
  switch (typeOfValue(v)) {
    case 'string':
      return 's:' + s(v as BulkValue);
    case 'list': {
      const out: string[] = [];
      const l = v as ListValue;
      if (l.size > 0) l.range(0, l.size - 1, (x) => out.push(s(x)));
      return 'l:' + JSON.stringify(out);
    }
    case 'hash': {
      const out: string[] = [];
      (v as HashValue).forEach((f, x) => out.push(s(f) + '=' + s(x)));
      return 'h:' + JSON.stringify(out.sort());
    }
    case 'set': {
      const out: string[] = [];
      (v as SetValue).forEach((m) => out.push(s(m)));
      return 'S:' + JSON.stringify(out.sort());
    }
    case 'zset': {
      const out: string[] = [];
      (v as ZSetValue).forEach((m, sc) => out.push(s(m) + '@' + sc));
      return 'z:' + JSON.stringify(out);
    }
    default:
      return 'x';
  }
}

/** Every live key of every db as "db key => value ttl", read directly (not through a snapshot). */
function dump(dbs: Db[], now: number): string[] {
  const out: string[] = [];
  dbs.forEach((db, i) => {
    const keys: string[] = [];
    db.forEachKey((k) => keys.push(s(k)));
    for (const k of keys) {
      const info = db.info(B(k))!;
      if (info.expireAt !== -1 && info.expireAt <= now) continue;
      out.push(`${i} ${JSON.stringify(k)} => ${plain(db.get(B(k), true)!)} ttl ${info.expireAt}`);
    }
  });
  return out.sort();
}

function randomWrite(r: () => number, engine: Engine, dbs: Db[], keys: string[], now: number, clearRate = 0): void {
  const db = dbs[Math.floor(r() * dbs.length)];
  const k = B(keys[Math.floor(r() * keys.length)]);
  const x = r();
  // Containers are changed in place after a get(), as commands do; the other writes go straight
  // to the Db method, so each method's own hook call is what protects the snapshot.
  const container = <T extends RedisValue>(type: string, make: () => T): T | undefined => {
    const v = db.get(k);
    if (v !== undefined && typeOfValue(v) !== type) return undefined;
    if (v !== undefined) return v as T;
    const n = make();
    db.set(k, n);
    return n;
  };
  if (x < 0.2) db.set(k, B('v' + Math.floor(r() * 1000)));
  else if (x < 0.3) db.delete(k);
  else if (x < 0.4) {
    if (db.append(k, B('+a'), 1 << 20) === APPEND_MISSING) db.set(k, B('new'));
  } else if (x < 0.5) {
    const l = container('list', () => engine.newList());
    if (l) {
      l.pushTail(B('e' + Math.floor(r() * 50)));
      if (l.size > 1 && r() < 0.3) l.popHead();
    }
  } else if (x < 0.6) container('hash', () => engine.newHash())?.set(B('f' + Math.floor(r() * 10)), B('v' + Math.floor(r() * 10)));
  else if (x < 0.7) {
    const st = container('set', () => engine.newSet());
    if (st) {
      st.add(B(String(Math.floor(r() * 20))));
      if (st.size > 1 && r() < 0.3) st.delete(B(String(Math.floor(r() * 20))));
    }
  } else if (x < 0.8) container('zset', () => engine.newZSet())?.add(B('m' + Math.floor(r() * 20)), Math.floor(r() * 100) / 4);
  else if (x < 0.86) db.setExpire(k, now + 1000 + Math.floor(r() * 1e6));
  else if (x < 0.9) db.persist(k);
  else if (x < 0.95) {
    const k2 = B(keys[Math.floor(r() * keys.length)]);
    if (db.has(k) && !k.equals(k2)) {
      db.delete(k2);
      db.renameKey(k, k2);
    }
  } else if (x < 0.96) {
    // SETRANGE inside or past the end of a string (APPEND_MISSING / WRONGTYPE change nothing).
    db.setRange(k, Math.floor(r() * 8), B('R'), 1 << 20);
  } else if (x < 0.97) {
    // SETBIT's in-place write through editString (a number result changed nothing).
    const e = db.editString(k, 1 + Math.floor(r() * 8), 1 << 20);
    if (typeof e !== 'number') e.bytes[e.start + Math.floor(r() * e.length)] ^= 0x40;
  } else if (x < 0.98) {
    const k2 = B(keys[Math.floor(r() * keys.length)]);
    const t = db.get(k2);
    if (t === undefined || typeOfValue(t) === 'string') db.bitop(BitOp.XOR, k2, [k, k2]);
  } else {
    // MOVE as the command does it: take from one db, store in another with the TTL.
    const other = dbs[Math.floor(r() * dbs.length)];
    if (other !== db && !other.has(k)) {
      const moved = db.take(k);
      if (moved) {
        other.set(k, moved.value, false, moved.strEnc);
        if (moved.expireAt !== -1) other.setExpire(k, moved.expireAt);
      }
    }
  }
  if (r() < clearRate) db.clear();
}

function run(engineName: 'js-map' | 'wasm', seed: number): void {
  const r = rng(seed);
  const engine = createEngine(engineName);
  const clock = { t: 1_700_000_000_000, now() { return this.t; } };
  const dbs = [0, 1, 2].map((i) => engine.createDb(i, clock, () => {}));
  const keys = Array.from({ length: 3000 }, (_, i) => `k${i}:` + (i % 7 === 0 ? '\x00\xff' : ''));
  for (let i = 0; i < 6000; i++) randomWrite(r, engine, dbs, keys, clock.t);
  // Many keys with a TTL (so PERSIST and EXPIRE during the snapshot matter), some already
  // expired at T (left out) and some expiring later (kept, with their TTL).
  for (const db of dbs) for (let i = 0; i < keys.length; i += 2) db.setExpire(B(keys[i]), clock.t + 10_000 + i);
  for (let i = 0; i < 200; i++) dbs[i % 3].setExpire(B(keys[i]), clock.t - 1 + (i % 2) * 5000);
  clock.t += 1;
  const T = clock.t;
  const expected = dump(dbs, T);
  const got: string[] = [];
  const seen = new Set<string>();
  const snap = new Snapshot(dbs, T, {
    key(dbIndex: number, key: Buffer, value: RedisValue, info: KeyInfo) {
      const id = dbIndex + ' ' + JSON.stringify(s(key));
      assert.not.ok(seen.has(id), `seed ${seed}: ${id} handed over twice`);
      seen.add(id);
      got.push(`${id} => ${plain(value)} ttl ${info.expireAt}`);
    },
  });
  let steps = 0;
  while (!snap.step(0)) {
    for (let i = 0; i < 25; i++) randomWrite(r, engine, dbs, keys, clock.t, 0.0005);
    engine.backgroundWork(1);
    steps++;
  }
  assert.ok(steps > 5, 'the snapshot ran across many steps with writes between them');
  assert.ok(snap.earlyCopies > 0, 'some keys were copied early, before a write');
  assert.equal(got.sort(), expected, `seed ${seed}: the snapshot is the dataset at T`);
  for (const db of dbs) assert.is(db.snapshotHook, null, 'detached when done');
}

for (const engine of enginesUnderTest()) {
  test(`snapshot [${engine}]: exactly the dataset at its start, with writes of every kind during it`, () => {
    for (const seed of [1, 2, 3, 4]) run(engine, seed);
  });
}

for (const engine of enginesUnderTest()) {
  test(`snapshot [${engine}]: the keyspace grows past several table sizes during the walk`, () => {
    // On the wasm engine the walk pauses rehashing: new keys land in the growing table while the
    // walk still reads the old one (js-map: new keys take rows the slot-order walk may still
    // reach); every key of T must come out once, and none created after.
    const r = rng(9);
    const eng = createEngine(engine);
    const clock = { t: 1_700_000_000_000, now() { return this.t; } };
    const dbs = [eng.createDb(0, clock, () => {})];
    const db = dbs[0];
    for (let i = 0; i < 3000; i++) db.set(B('old:' + i), B('v' + i));
    const T = clock.t;
    const expected = dump(dbs, T);
    const got: string[] = [];
    const snap = new Snapshot(dbs, T, {
      key(_dbIndex: number, key: Buffer, value: RedisValue) {
        got.push(`0 ${JSON.stringify(s(key))} => ${plain(value)} ttl -1`);
      },
    });
    let created = 0;
    // (js-map's walk takes ~100 keys per step: 800 new keys per step grow its table past 20,000
    // keys; the wasm walk takes far fewer per step while the table grows, and 400 per step
    // already does: 800 there made ~4M keys and minutes of test.)
    const perStep = engine === 'js-map' ? 800 : 400;
    while (!snap.step(0)) {
      for (let i = 0; i < perStep; i++) db.set(B('new:' + created++), B('x'));
      for (let i = 0; i < 20; i++) {
        const k = B('old:' + Math.floor(r() * 3000));
        if (r() < 0.5) db.set(k, B('changed'));
        else db.delete(k);
      }
      eng.backgroundWork(1);
    }
    assert.ok(created > 20000, `the table grew during the walk (${created} keys created)`);
    assert.equal(got.sort(), expected.filter((l) => l.startsWith('0 ')).sort());
    // Rehashing resumed: the db still answers for every key.
    for (let i = 0; i < created; i += 997) assert.ok(db.has(B('new:' + i)));
  });
}

test('snapshot: abort detaches it from every db', () => {
  const engine = createEngine('js-map');
  const clock = { now: () => 1 };
  const dbs = [0, 1].map((i) => engine.createDb(i, clock, () => {}));
  for (let i = 0; i < 100; i++) dbs[i % 2].set(B('k' + i), B('v'));
  const snap = new Snapshot(dbs, 1, { key() {} });
  snap.step(0);
  snap.abort();
  assert.ok(snap.finished);
  for (const db of dbs) assert.is(db.snapshotHook, null);
});

test.run();
