/**
 * Hash commands (Redis 7.0 t_hash.c): HSET/HMSET/HSETNX, reads, HDEL, counters (HINCRBY,
 * HINCRBYFLOAT with long double arithmetic), HRANDFIELD and HSCAN.
 *
 * Encoding conversion (listpack -> hashtable, one way) happens where Redis 7.0 checks it:
 * hashTypeTryConversion on the arguments of HSET/HMSET/HSETNX, and in hashTypeSet (field or value
 * longer than hash-max-listpack-value, then more than hash-max-listpack-entries fields).
 */
import type { BulkValue, HashValue } from '../engine/types';
import type { Client } from '../server/client';
import type { CommandRow } from './table';
import { fail, INCR_NAN, NOT_FLOAT, NOT_INT, OVERFLOW, SYNTAX, VALUE_OUT_OF_RANGE, wrongArgs } from './errors';
import { cursorArg, isWord, LONG_MAX_N, MAX_REPLY_ELEMENTS, rangeIntArg, scanOptionsArg } from './args';
import { bulkSinkOf, lookupRead, lookupWrite, removeMembers, replyScan, written } from './keyspace';
import { propagateAs } from '../server/propagate';
import { addInt64, latin1, parseInt64Exact } from '../util/number';
import { addExactly, addLongDouble, exactDyadic, formatLongDoubleHuman, isNanOrInf, isInfinite, parseLongDouble } from '../util/long-double';
import type { LongDouble } from '../util/long-double';

// Hot settings (config.ts): field loads, not Map lookups by name, on every HSET.
function maxValue(c: Client): number {
  return c.server.config.hot['hash-max-listpack-value'];
}

function maxEntries(c: Client): number {
  return c.server.config.hot['hash-max-listpack-entries'];
}

/** hashTypeLookupWriteOrCreate: the hash at key, created (and stored) when missing. */
function lookupWriteOrCreate(c: Client, key: Buffer): HashValue {
  let h = lookupWrite(c, key, 'hash');
  if (!h) {
    h = c.server.engine.newHash();
    c.db.set(key, h);
  }
  return h;
}

/** hashTypeTryConversion over args[from..to]. */
function tryConversion(c: Client, h: HashValue, args: Buffer[], from: number, to: number): void {
  h.convertIfLonger(maxValue(c), args, from, to);
}

/** hashTypeSet: length check, set, entries check. Returns true when the field is new. */
function hashSet(c: Client, h: HashValue, field: Buffer, value: Buffer, mv = maxValue(c), me = maxEntries(c)): boolean {
  return h.setField(field, value, mv, me);
}

function hsetGeneric(c: Client, argv: Buffer[], okReply: boolean): void {
  if (argv.length % 2 === 1) fail(wrongArgs(c.cmd!.fullname));
  const key = argv[1];
  const mv = maxValue(c);
  const me = maxEntries(c);
  // An existing hash: the lookup and the sets in one engine call.
  let created = c.db.hashSet(key, argv, 2, mv, me);
  if (created < 0) {
    const h = lookupWriteOrCreate(c, key);
    tryConversion(c, h, argv, 2, argv.length - 1);
    created = 0;
    if (h.setMany && argv.length > 4) created = h.setMany(argv, 2, argv.length, mv, me);
    else for (let j = 2; j < argv.length; j += 2) if (hashSet(c, h, argv[j], argv[j + 1], mv, me)) created++;
  }
  if (okReply) c.reply.ok();
  else c.reply.int(created);
  written(c, key, 'hset', 'h', (argv.length - 2) / 2);
}

function hsetnx(c: Client, argv: Buffer[]): void {
  const key = argv[1];
  const h = lookupWriteOrCreate(c, key);
  if (h.has(argv[2])) return c.reply.int(0);
  tryConversion(c, h, argv, 2, 3);
  hashSet(c, h, argv[2], argv[3]);
  c.reply.int(1);
  written(c, key, 'hset', 'h', 1);
}

function hget(c: Client, argv: Buffer[]): void {
  const h = lookupRead(c, argv[1], 'hash');
  // (the value written by the container where it can (wasm): no JS string, see getallGeneric)
  const out = h?.writeGet ? bulkSinkOf(c) : null;
  if (out !== null) {
    if (!h!.writeGet!(argv[2], out)) c.reply.nil();
    return;
  }
  const v = h?.get(argv[2]);
  if (v === undefined) c.reply.nil();
  else c.reply.bulk(v);
}

function hmget(c: Client, argv: Buffer[]): void {
  const h = lookupRead(c, argv[1], 'hash');
  c.reply.array(argv.length - 2);
  const out = h?.writeGet ? bulkSinkOf(c) : null;
  for (let j = 2; j < argv.length; j++) {
    if (out !== null) {
      if (!h!.writeGet!(argv[j], out)) c.reply.nil();
      continue;
    }
    const v = h?.get(argv[j]);
    if (v === undefined) c.reply.nil();
    else c.reply.bulk(v);
  }
}

function hdel(c: Client, argv: Buffer[]): void {
  const key = argv[1];
  const h = lookupWrite(c, key, 'hash');
  c.reply.int(h ? removeMembers(c, key, h, argv, 2, (f) => h.delete(f), 'hdel', 'h') : 0);
}

function hlen(c: Client, argv: Buffer[]): void {
  const h = lookupRead(c, argv[1], 'hash');
  c.reply.int(h ? h.size : 0);
}

function hstrlen(c: Client, argv: Buffer[]): void {
  const h = lookupRead(c, argv[1], 'hash');
  const v = h?.get(argv[2]);
  c.reply.int(v === undefined ? 0 : v.length);
}

function hexists(c: Client, argv: Buffer[]): void {
  const h = lookupRead(c, argv[1], 'hash');
  c.reply.int(h && h.has(argv[2]) ? 1 : 0);
}

const KEYS = 1;
const VALUES = 2;

function getallGeneric(c: Client, argv: Buffer[], what: number): void {
  const both = what === (KEYS | VALUES);
  const h = lookupRead(c, argv[1], 'hash');
  if (!h) return both ? c.reply.map(0) : c.reply.array(0);
  if (both) c.reply.map(h.size);
  else c.reply.array(h.size);
  // Written by the container itself where it can (wasm): no JS string per element (also into
  // Lua's redis.call reply: LuaReply takes the bulk strings as bytes).
  const out = h.writeAll ? bulkSinkOf(c) : null;
  if (out !== null) return h.writeAll!(out, (what & KEYS) !== 0, (what & VALUES) !== 0);
  h.forEach((f, v) => {
    if (what & KEYS) c.reply.bulk(f);
    if (what & VALUES) c.reply.bulk(v);
  });
}

function hincrby(c: Client, argv: Buffer[]): void {
  const incr = parseInt64Exact(argv[3]);
  if (incr === null) fail(NOT_INT);
  const key = argv[1];
  const h = lookupWriteOrCreate(c, key);
  const cur = h.get(argv[2]);
  let value: number | bigint = 0;
  if (cur !== undefined) {
    const p = parseInt64Exact(cur);
    if (p === null) fail('ERR hash value is not an integer');
    value = p;
  }
  const sum = addInt64(value, incr);
  if (sum === null) fail(OVERFLOW);
  const text = String(sum);
  hashSet(c, h, argv[2], Buffer.from(text, 'latin1'));
  c.reply.int(sum);
  written(c, key, 'hincrby', 'h', 1);
}

function hincrbyfloat(c: Client, argv: Buffer[]): void {
  const incrText = argv[3].length < 5120 ? latin1(argv[3]) : null;
  // An increment the double fast path takes (addExactly) is valid and finite; others are checked here.
  let incr: LongDouble | null = null;
  if (incrText === null || Number.isNaN(exactDyadic(incrText))) {
    incr = incrText === null ? null : parseLongDouble(incrText);
    if (incr === null) fail(NOT_FLOAT);
    if (isInfinite(incr)) fail('ERR value is NaN or Infinity');
  }
  const key = argv[1];
  const h = lookupWriteOrCreate(c, key);
  const cur = h.get(argv[2]);
  const curText = cur === undefined ? '0' : cur.length < 5120 ? latin1(cur) : null;
  // Values like 1.5 or 10.25 add exactly in doubles (long-double.ts); others take the exact path.
  let text = curText === null || incr !== null ? null : addExactly(curText, incrText!);
  if (text === null) {
    const value = curText === null ? null : parseLongDouble(curText);
    if (value === null) fail('ERR hash value is not a float');
    const sum = addLongDouble(value, incr ?? parseLongDouble(incrText!)!);
    if (isNanOrInf(sum)) fail(INCR_NAN);
    text = formatLongDoubleHuman(sum);
  }
  hashSet(c, h, argv[2], Buffer.from(text, 'latin1'));
  c.reply.bulk(text);
  written(c, key, 'hincrbyfloat', 'h', 1);
  propagateAs(c, 'HSET', key, argv[2], text); // the exact result replays, not the arithmetic
}

// ---------------------------------------------------------------- HRANDFIELD

function replyPair(c: Client, f: BulkValue, v: BulkValue, withvalues: boolean): void {
  if (withvalues && c.resp === 3) c.reply.array(2);
  c.reply.bulk(f);
  if (withvalues) c.reply.bulk(v);
}

function hrandfieldWithCount(c: Client, key: Buffer, l: number, withvalues: boolean): void {
  const h = lookupRead(c, key, 'hash');
  if (!h) return c.reply.array(0);
  const size = h.size;
  const uniq = l >= 0;
  let count = Math.abs(l);
  if (count === 0) return c.reply.array(0);
  const entries = size <= 4096 || !uniq ? h.entries() : null;
  // CASE 1: negative count (or 1): independent samples, with repetition.
  if (!uniq || count === 1) {
    if (count * (withvalues ? 2 : 1) > MAX_REPLY_ELEMENTS) fail(VALUE_OUT_OF_RANGE);
    c.reply.array(withvalues && c.resp === 2 ? count * 2 : count);
    while (count-- > 0) {
      if (entries === null) {
        const [f, v] = h.randomEntry()!;
        replyPair(c, f, v, withvalues);
      } else {
        const e = entries![(Math.random() * size) | 0];
        replyPair(c, e[0], e[1], withvalues);
      }
    }
    return;
  }
  const n = Math.min(count, size);
  c.reply.array(withvalues && c.resp === 2 ? n * 2 : n);
  // CASE 2: the whole hash, in iteration order.
  if (count >= size) {
    h.forEach((f, v) => replyPair(c, f, v, withvalues));
    return;
  }
  // CASE 3/4: distinct random fields (partial Fisher-Yates).
  const all = entries ?? h.entries();
  for (let i = 0; i < n; i++) {
    const j = i + ((Math.random() * (all.length - i)) | 0);
    const t = all[i];
    all[i] = all[j];
    all[j] = t;
    replyPair(c, all[i][0], all[i][1], withvalues);
  }
}

function hrandfield(c: Client, argv: Buffer[]): void {
  if (argv.length >= 3) {
    const l = rangeIntArg(argv[2], -LONG_MAX_N, LONG_MAX_N, null);
    let withvalues = false;
    if (argv.length > 4 || (argv.length === 4 && !isWord(argv[3], 'withvalues'))) fail(SYNTAX);
    else if (argv.length === 4) {
      withvalues = true;
      const b = BigInt(latin1(argv[2]));
      if (b < -LONG_MAX_N / 2n || b > LONG_MAX_N / 2n) fail(VALUE_OUT_OF_RANGE);
    }
    return hrandfieldWithCount(c, argv[1], l, withvalues);
  }
  const h = lookupRead(c, argv[1], 'hash');
  if (!h) return c.reply.nil();
  c.reply.bulk(h.randomField()!);
}

// ---------------------------------------------------------------- HSCAN

function hscan(c: Client, argv: Buffer[]): void {
  const cursor = cursorArg(argv[2]);
  const h = lookupRead(c, argv[1], 'hash');
  if (!h) {
    replyScan(c, 0, []);
    return;
  }
  const opts = scanOptionsArg(argv, 3, false);
  const found: BulkValue[] = [];
  // Redis 7.0 doubles COUNT for hashes (count *= 2: field and value) and stops at 2*COUNT items.
  const next = h.scan(cursor, opts.count, (f, v) => {
    if (opts.pattern && !c.server.engine.globMatch(opts.pattern, f, false)) return;
    found.push(f, v);
  });
  replyScan(c, next, found);
}

export const commands: CommandRow[] = [
  { name: 'hset', handler: (c, a) => hsetGeneric(c, a, false) },
  { name: 'hmset', handler: (c, a) => hsetGeneric(c, a, true) },
  { name: 'hsetnx', handler: hsetnx },
  { name: 'hget', handler: hget },
  { name: 'hmget', handler: hmget },
  { name: 'hdel', handler: hdel },
  { name: 'hlen', handler: hlen },
  { name: 'hstrlen', handler: hstrlen },
  { name: 'hexists', handler: hexists },
  { name: 'hkeys', handler: (c, a) => getallGeneric(c, a, KEYS) },
  { name: 'hvals', handler: (c, a) => getallGeneric(c, a, VALUES) },
  { name: 'hgetall', handler: (c, a) => getallGeneric(c, a, KEYS | VALUES) },
  { name: 'hincrby', handler: hincrby },
  { name: 'hincrbyfloat', handler: hincrbyfloat },
  { name: 'hrandfield', handler: hrandfield },
  { name: 'hscan', handler: hscan },
];
