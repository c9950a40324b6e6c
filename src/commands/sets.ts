/**
 * Set commands (Redis 7.0 t_set.c): SADD/SREM/SMOVE, membership, SCARD, SPOP/SRANDMEMBER with
 * their count strategies, SINTER/SINTERCARD/SUNION/SDIFF and the STORE forms, SSCAN.
 * SMEMBERS is SINTER of one key (as in Redis), so RESP3 replies are sets (~).
 *
 * Encoding: intset while every member is an integer and the size is within set-max-intset-entries,
 * else hashtable (one way). Result sets of SINTERSTORE/SUNIONSTORE/SDIFFSTORE start as intsets,
 * like Redis's createIntsetObject(), so their encoding follows the same rule.
 */
import type { BulkValue, RedisValue, SetValue } from '../engine/types';
import { typeOfValue } from '../engine/types';
import type { Client } from '../server/client';
import type { CommandRow } from './table';
import { fail, SYNTAX, WRONGTYPE } from './errors';
import { isWord, lookupRead, lookupTyped, removeMembers } from './args';
import { parseCursor, parseScanOptions, replyScan } from './keys';
import { positiveLong, rangeLong, LONG_MAX_N } from './lists';
import { JsSet } from '../engine/containers/set';

function maxIntset(c: Client): number {
  return c.server.config.int('set-max-intset-entries');
}

/** Make `add` convert at the live set-max-intset-entries. */
function withLimit(c: Client, s: SetValue): SetValue {
  if (s instanceof JsSet) s.maxIntset = maxIntset(c);
  return s;
}

function newSet(c: Client): SetValue {
  return withLimit(c, c.server.engine.newSet());
}

function checkSet(v: RedisValue | undefined): SetValue | undefined {
  if (v !== undefined && typeOfValue(v) !== 'set') fail(WRONGTYPE);
  return v as SetValue | undefined;
}

function lookupWriteSet(c: Client, key: Buffer): SetValue | undefined {
  return checkSet(c.db.get(key));
}

function toBuf(v: BulkValue): Buffer {
  return typeof v === 'string' ? Buffer.from(v, 'latin1') : v;
}

function members(s: SetValue): BulkValue[] {
  if (s instanceof JsSet) return s.toArray();
  const out: BulkValue[] = [];
  s.forEach((m) => out.push(m));
  return out;
}

function sadd(c: Client, argv: Buffer[]): void {
  const key = argv[1];
  let s = lookupWriteSet(c, key);
  if (!s) {
    s = newSet(c);
    c.db.set(key, s);
  } else withLimit(c, s);
  let added = 0;
  for (let j = 2; j < argv.length; j++) if (s.add(argv[j])) added++;
  if (added) {
    c.server.signalModifiedKey(c.dbIndex, key);
    c.server.keyspace.notify(c.dbIndex, 'sadd', key, 's');
  }
  c.server.dirty(added);
  c.reply.int(added);
}

function srem(c: Client, argv: Buffer[]): void {
  const key = argv[1];
  const s = lookupWriteSet(c, key);
  c.reply.int(s ? removeMembers(c, key, s, argv, 2, (m) => s.delete(m), 'srem', 's') : 0);
}

function smove(c: Client, argv: Buffer[]): void {
  const [, srckey, dstkey, ele] = argv;
  const srcv = c.db.get(srckey);
  const dstv = c.db.get(dstkey);
  if (srcv === undefined) return c.reply.int(0);
  const src = checkSet(srcv)!;
  let dst = checkSet(dstv);
  if ((src as unknown) === (dst as unknown)) return c.reply.int(src.has(ele) ? 1 : 0);
  if (!src.delete(ele)) return c.reply.int(0);
  const server = c.server;
  server.keyspace.notify(c.dbIndex, 'srem', srckey, 's');
  if (src.size === 0) {
    c.db.delete(srckey);
    server.keyspace.notify(c.dbIndex, 'del', srckey, 'g');
  }
  if (!dst) {
    dst = newSet(c);
    c.db.set(dstkey, dst);
  } else withLimit(c, dst);
  server.signalModifiedKey(c.dbIndex, srckey);
  server.dirty(1);
  if (dst.add(ele)) {
    server.dirty(1);
    server.signalModifiedKey(c.dbIndex, dstkey);
    server.keyspace.notify(c.dbIndex, 'sadd', dstkey, 's');
  }
  c.reply.int(1);
}

function sismember(c: Client, argv: Buffer[]): void {
  const s = lookupTyped(c, argv[1], 'set');
  c.reply.int(s && s.has(argv[2]) ? 1 : 0);
}

function smismember(c: Client, argv: Buffer[]): void {
  const s = lookupTyped(c, argv[1], 'set');
  c.reply.array(argv.length - 2);
  for (let j = 2; j < argv.length; j++) c.reply.int(s && s.has(argv[j]) ? 1 : 0);
}

function scard(c: Client, argv: Buffer[]): void {
  const s = lookupTyped(c, argv[1], 'set');
  c.reply.int(s ? s.size : 0);
}

// ---------------------------------------------------------------- SPOP / SRANDMEMBER

function randomIndex(n: number): number {
  return (Math.random() * n) | 0;
}

function spopWithCount(c: Client, argv: Buffer[]): void {
  const count = positiveLong(argv[2]);
  const key = argv[1];
  const s = lookupWriteSet(c, key);
  if (!s) return c.reply.set(0);
  if (count === 0) return c.reply.set(0);
  const size = s.size;
  const server = c.server;
  server.keyspace.notify(c.dbIndex, 'spop', key, 's');
  server.dirty(count >= size ? size : count);
  if (count >= size) {
    // CASE 1: the whole set (sunionDiffGenericCommand on the key, then delete it).
    const copy = newSet(c);
    s.forEach((m) => copy.add(toBuf(m)));
    c.reply.set(copy.size);
    copy.forEach((m) => c.reply.bulk(m));
    c.db.delete(key);
    server.keyspace.notify(c.dbIndex, 'del', key, 'g');
    server.signalModifiedKey(c.dbIndex, key);
    return;
  }
  c.reply.set(count);
  const remaining = size - count;
  const all = members(s);
  if (remaining * 5 > count) {
    // CASE 2: pop `count` random members.
    for (let i = 0; i < count; i++) {
      const j = i + randomIndex(all.length - i);
      const m = all[j];
      all[j] = all[i];
      all[i] = m;
      c.reply.bulk(m);
      s.delete(toBuf(m));
    }
  } else {
    // CASE 3: keep `remaining` random members, return the rest in iteration order.
    const keep = new Set<BulkValue>();
    for (let i = 0; i < remaining; i++) {
      const j = i + randomIndex(all.length - i);
      const m = all[j];
      all[j] = all[i];
      all[i] = m;
      keep.add(m);
    }
    const out: BulkValue[] = [];
    s.forEach((m) => {
      if (!keep.has(m)) out.push(m);
    });
    for (const m of out) {
      c.reply.bulk(m);
      s.delete(toBuf(m));
    }
    // Redis stores a freshly built set: intset again when the remaining members allow it.
    if (s instanceof JsSet) s.reencode(maxIntset(c));
  }
  server.signalModifiedKey(c.dbIndex, key);
}

function spop(c: Client, argv: Buffer[]): void {
  if (argv.length === 3) return spopWithCount(c, argv);
  if (argv.length > 3) fail(SYNTAX);
  const key = argv[1];
  const s = lookupWriteSet(c, key);
  if (!s) return c.reply.nil();
  const m = s.randomMember()!;
  s.delete(toBuf(m));
  const server = c.server;
  server.keyspace.notify(c.dbIndex, 'spop', key, 's');
  c.reply.bulk(m);
  if (s.size === 0) {
    c.db.delete(key);
    server.keyspace.notify(c.dbIndex, 'del', key, 'g');
  }
  server.signalModifiedKey(c.dbIndex, key);
  server.dirty(1);
}

function srandmemberWithCount(c: Client, argv: Buffer[]): void {
  const l = rangeLong(argv[2], -LONG_MAX_N, LONG_MAX_N, null);
  const uniq = l >= 0;
  let count = Math.abs(l);
  const s = lookupTyped(c, argv[1], 'set');
  if (!s) return c.reply.array(0);
  if (count === 0) return c.reply.array(0);
  const size = s.size;
  if (!uniq || count === 1) {
    c.reply.array(count);
    const sampleArray = !(s instanceof JsSet) || s.isIntset() || size <= 4096 ? members(s) : null;
    while (count-- > 0) c.reply.bulk(sampleArray ? sampleArray[randomIndex(size)] : s.randomMember()!);
    return;
  }
  if (count >= size) {
    c.reply.array(size);
    s.forEach((m) => c.reply.bulk(m));
    return;
  }
  const all = members(s);
  c.reply.array(count);
  for (let i = 0; i < count; i++) {
    const j = i + randomIndex(all.length - i);
    const m = all[j];
    all[j] = all[i];
    all[i] = m;
    c.reply.bulk(m);
  }
}

function srandmember(c: Client, argv: Buffer[]): void {
  if (argv.length === 3) return srandmemberWithCount(c, argv);
  if (argv.length > 3) fail(SYNTAX);
  const s = lookupTyped(c, argv[1], 'set');
  if (!s) return c.reply.nil();
  c.reply.bulk(s.randomMember()!);
}

// ---------------------------------------------------------------- algebra

/** Store a result set at dstkey (setKey) or delete dstkey when empty; reply with the size. */
function storeResult(c: Client, dstkey: Buffer, result: SetValue, event: string): void {
  const server = c.server;
  if (result.size > 0) {
    c.db.set(dstkey, result);
    server.signalModifiedKey(c.dbIndex, dstkey);
    c.reply.int(result.size);
    server.keyspace.notify(c.dbIndex, event, dstkey, 's');
    server.dirty(1);
  } else {
    c.reply.int(0);
    if (c.db.delete(dstkey)) {
      server.dirty(1);
      server.signalModifiedKey(c.dbIndex, dstkey);
      server.keyspace.notify(c.dbIndex, 'del', dstkey, 'g');
    }
  }
}

/** lookupKeyRead + checkType for every key (missing keys are null). */
function readSets(c: Client, keys: Buffer[]): (SetValue | null)[] {
  const sets: (SetValue | null)[] = [];
  for (const k of keys) {
    const v = lookupRead(c, k);
    sets.push(v === undefined ? null : checkSet(v)!);
  }
  return sets;
}

function sinterGeneric(c: Client, keys: Buffer[], dstkey: Buffer | null, cardOnly: boolean, limit: number): void {
  const maybe = readSets(c, keys);
  if (maybe.some((s) => s === null)) {
    if (dstkey) {
      const server = c.server;
      if (c.db.delete(dstkey)) {
        server.signalModifiedKey(c.dbIndex, dstkey);
        server.keyspace.notify(c.dbIndex, 'del', dstkey, 'g');
        server.dirty(1);
      }
      c.reply.int(0);
    } else if (cardOnly) c.reply.int(0);
    else c.reply.set(0);
    return;
  }
  const sets = (maybe as SetValue[]).slice().sort((a, b) => a.size - b.size);
  const first = sets[0];
  const out: BulkValue[] = [];
  let cardinality = 0;
  let stop = false;
  first.forEach((m) => {
    if (stop) return;
    const b = toBuf(m);
    for (let j = 1; j < sets.length; j++) {
      if (sets[j] === first) continue;
      if (!sets[j].has(b)) return;
    }
    cardinality++;
    if (cardOnly) {
      if (limit && cardinality >= limit) stop = true;
    } else out.push(m);
  });
  if (cardOnly) return c.reply.int(cardinality);
  if (dstkey) {
    const result = newSet(c);
    for (const m of out) result.add(toBuf(m));
    return storeResult(c, dstkey, result, 'sinterstore');
  }
  c.reply.set(out.length);
  for (const m of out) c.reply.bulk(m);
}

const UNION = 0;
const DIFF = 1;

function sunionDiffGeneric(c: Client, keys: Buffer[], dstkey: Buffer | null, op: number): void {
  const sets = readSets(c, keys);
  const result = newSet(c);
  if (op === UNION) {
    for (const s of sets) if (s) s.forEach((m) => result.add(toBuf(m)));
  } else if (sets[0]) {
    const first = sets[0];
    first.forEach((m) => {
      const b = toBuf(m);
      for (let j = 1; j < sets.length; j++) {
        const s = sets[j];
        if (!s) continue;
        if (s === first || s.has(b)) return;
      }
      result.add(b);
    });
  }
  if (dstkey) return storeResult(c, dstkey, result, op === UNION ? 'sunionstore' : 'sdiffstore');
  c.reply.set(result.size);
  result.forEach((m) => c.reply.bulk(m));
}

function sintercard(c: Client, argv: Buffer[]): void {
  const numkeys = rangeLong(argv[1], 1n, LONG_MAX_N, 'numkeys should be greater than 0');
  if (numkeys > argv.length - 2) fail("ERR Number of keys can't be greater than number of args");
  let limit = 0;
  for (let j = 2 + numkeys; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (isWord(argv[j], 'limit') && more) limit = positiveLong(argv[++j], "LIMIT can't be negative");
    else fail(SYNTAX);
  }
  sinterGeneric(c, argv.slice(2, 2 + numkeys), null, true, limit);
}

function sscan(c: Client, argv: Buffer[]): void {
  const cursor = parseCursor(argv[2]);
  const s = lookupTyped(c, argv[1], 'set');
  if (!s) {
    replyScan(c, 0, []);
    return;
  }
  const opts = parseScanOptions(argv, 3, false);
  const found: BulkValue[] = [];
  const next = s.scan(cursor, opts.count, (m) => {
    if (opts.pattern && !c.server.engine.globMatch(opts.pattern, m, false)) return;
    found.push(m);
  });
  replyScan(c, next, found);
}

export const commands: CommandRow[] = [
  { name: 'sadd', handler: sadd },
  { name: 'srem', handler: srem },
  { name: 'smove', handler: smove },
  { name: 'sismember', handler: sismember },
  { name: 'smismember', handler: smismember },
  { name: 'scard', handler: scard },
  { name: 'spop', handler: spop },
  { name: 'srandmember', handler: srandmember },
  { name: 'smembers', handler: (c, a) => sinterGeneric(c, a.slice(1), null, false, 0) },
  { name: 'sinter', handler: (c, a) => sinterGeneric(c, a.slice(1), null, false, 0) },
  { name: 'sintercard', handler: sintercard },
  { name: 'sinterstore', handler: (c, a) => sinterGeneric(c, a.slice(2), a[1], false, 0) },
  { name: 'sunion', handler: (c, a) => sunionDiffGeneric(c, a.slice(1), null, UNION) },
  { name: 'sunionstore', handler: (c, a) => sunionDiffGeneric(c, a.slice(2), a[1], UNION) },
  { name: 'sdiff', handler: (c, a) => sunionDiffGeneric(c, a.slice(1), null, DIFF) },
  { name: 'sdiffstore', handler: (c, a) => sunionDiffGeneric(c, a.slice(2), a[1], DIFF) },
  { name: 'sscan', handler: sscan },
];
