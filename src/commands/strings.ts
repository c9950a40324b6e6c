/**
 * String commands (Redis t_string.c): SET and friends, GET/GETEX/GETDEL/GETSET, MGET/MSET/MSETNX,
 * APPEND/STRLEN/GETRANGE/SETRANGE, counters (INCR.../INCRBYFLOAT) and LCS.
 */
import type { BulkValue } from '../engine/types';
import { APPEND_MISSING, APPEND_TOO_BIG, APPEND_WRONGTYPE, StrEnc } from '../engine/types';
import type { Client } from '../server/client';
import type { CommandRow } from './table';
import { fail, INCR_NAN, INVALID_EXPIRE, NOT_FLOAT, NOT_INT, OVERFLOW, STRING_TOO_LONG, SYNTAX, wrongArgs, WRONGTYPE } from './errors';
import { intArg, isWord } from './args';
import { checkType, inspectKey, lookupRead, lookupWrite, peekCopy, peekStringRead, tryWriteBulk, written } from './keyspace';
import type { StringHead } from './keyspace';
import { toBuffer } from '../util/bytes';
import { propagateAs } from '../server/propagate';
import { addInt64, INT64_MAX, latin1, parseInt64, parseInt64Exact, smallUint } from '../util/number';
import { addExactly, addLongDouble, formatLongDoubleHuman, isNanOrInf, parseLongDouble } from '../util/long-double';

const enum SetFlag {
  NX = 1,
  XX = 2,
  GET = 4,
  KEEPTTL = 8,
  PERSIST = 16,
  EX = 32,
  PX = 64,
  EXAT = 128,
  PXAT = 256,
}
const ANY_EXPIRE = SetFlag.EX | SetFlag.PX | SetFlag.EXAT | SetFlag.PXAT;

interface ExtendedArgs {
  flags: number;
  expire: Buffer | null;
}

/** parseExtendedStringArgumentsOrReply for SET (isSet) and GETEX. */
function parseExtended(argv: Buffer[], from: number, isSet: boolean): ExtendedArgs {
  let flags = 0;
  let expire: Buffer | null = null;
  for (let j = from; j < argv.length; j++) {
    const opt = argv[j];
    const hasNext = j < argv.length - 1;
    if (isSet && isWord(opt, 'nx') && !(flags & SetFlag.XX)) flags |= SetFlag.NX;
    else if (isSet && isWord(opt, 'xx') && !(flags & SetFlag.NX)) flags |= SetFlag.XX;
    else if (isSet && isWord(opt, 'get')) flags |= SetFlag.GET;
    else if (isSet && isWord(opt, 'keepttl') && !(flags & (SetFlag.PERSIST | ANY_EXPIRE))) flags |= SetFlag.KEEPTTL;
    else if (!isSet && isWord(opt, 'persist') && !(flags & (ANY_EXPIRE | SetFlag.KEEPTTL))) flags |= SetFlag.PERSIST;
    else {
      let f = 0;
      if (isWord(opt, 'ex')) f = SetFlag.EX;
      else if (isWord(opt, 'px')) f = SetFlag.PX;
      else if (isWord(opt, 'exat')) f = SetFlag.EXAT;
      else if (isWord(opt, 'pxat')) f = SetFlag.PXAT;
      if (f !== 0 && hasNext && !(flags & (SetFlag.KEEPTTL | SetFlag.PERSIST | (ANY_EXPIRE & ~f)))) {
        flags |= f;
        expire = argv[++j];
      } else fail(SYNTAX);
    }
  }
  return { flags, expire };
}

/** getExpireMillisecondsOrReply: absolute expire time in ms. */
function expireMs(c: Client, expire: Buffer, flags: number): number {
  let ms = intArg(expire);
  const seconds = (flags & (SetFlag.EX | SetFlag.EXAT)) !== 0;
  // The usual TTL (EX 3600, PX 30000): a positive integer read exactly (below 2^53) whose sum
  // with the clock cannot pass 2^53 either, so the int64 checks below cannot fail. Their BigInts
  // cost ~100 ns per SET.
  if (ms > 0 && ms < 1e12) {
    if (seconds) ms *= 1000;
    return flags & (SetFlag.EX | SetFlag.PX) ? ms + c.server.clock.now() : ms;
  }
  // Exact int64 checks (past 2^53 a double cannot tell 9223372036854775 from ...776).
  const exact = BigInt(parseInt64Exact(expire)!);
  if (exact <= 0n || (seconds && exact > 9223372036854775n)) fail(INVALID_EXPIRE(c.cmd!.fullname));
  if (seconds) ms *= 1000;
  if (flags & (SetFlag.EX | SetFlag.PX)) {
    const now = c.server.clock.now();
    // Redis adds in int64 and the sum wraps negative on overflow, which it then rejects.
    if (exact * (seconds ? 1000n : 1n) > INT64_MAX - BigInt(now)) fail(INVALID_EXPIRE(c.cmd!.fullname));
    ms += now;
  }
  if (ms <= 0) fail(INVALID_EXPIRE(c.cmd!.fullname));
  return ms;
}

/** getGenericCommand: reply with the string value or nil. */
function replyGet(c: Client, key: Buffer): void {
  const v = lookupRead(c, key, 'string');
  if (v === undefined) c.reply.nil();
  else c.reply.bulk(v);
}

function checkMaxValue(c: Client, len: number): void {
  const max = c.server.config.hot['maxvalue-bytes'];
  if (max > 0 && len > max) fail(`ERR value exceeds maxvalue-bytes (${max})`);
}

/** setGenericCommand */
function setGeneric(c: Client, flags: number, key: Buffer, value: Buffer, expire: Buffer | null, okReply: boolean): void {
  const at = expire ? expireMs(c, expire, flags) : 0;
  checkMaxValue(c, value.length);
  if (flags & SetFlag.GET) replyGet(c, key);
  // Only NX/XX need to know whether the key exists: a plain SET does a single lookup (in set()).
  if (flags & (SetFlag.NX | SetFlag.XX)) {
    const found = c.db.has(key);
    if ((flags & SetFlag.NX && found) || (flags & SetFlag.XX && !found)) {
      if (!(flags & SetFlag.GET)) {
        if (okReply) c.reply.nil();
        else c.reply.int(0);
      }
      return;
    }
  }
  c.db.set(key, value, (flags & SetFlag.KEEPTTL) !== 0);
  written(c, key, 'set', '$');
  if (expire) {
    c.db.setExpire(key, at);
    c.server.keyspace.notify(c.dbIndex, 'expire', key, 'g');
  }
  if (!(flags & SetFlag.GET)) {
    if (okReply) c.reply.ok();
    else c.reply.int(1);
  }
  if (c.server.propagation.active) {
    // As Redis 7.0.15: any expiry (PXAT too) replays as `SET key value PXAT ms`, dropping NX/XX/GET.
    if (expire) propagateAs(c, 'SET', key, value, 'PXAT', at);
    else if (flags & SetFlag.GET && !expire) propagateAs(c, ...c.argv.filter((a, j) => j < 3 || !isWord(a, 'get')));
  }
}

/** Plain `SET key value` (also its table row's fast path, Dispatcher.fastCommand). */
export function setKeyValue(c: Client, key: Buffer, value: Buffer): void {
  setGeneric(c, 0, key, value, null, true);
}

function set(c: Client, argv: Buffer[]): void {
  const { flags, expire } = parseExtended(argv, 3, true);
  setGeneric(c, flags, argv[1], argv[2], expire, true);
}

function setnx(c: Client, argv: Buffer[]): void {
  setGeneric(c, SetFlag.NX, argv[1], argv[2], null, false);
}

function setex(c: Client, argv: Buffer[]): void {
  setGeneric(c, SetFlag.EX, argv[1], argv[3], argv[2], true);
}

function psetex(c: Client, argv: Buffer[]): void {
  setGeneric(c, SetFlag.PX, argv[1], argv[3], argv[2], true);
}

/** `GET key` (also its table row's fast path, Dispatcher.fastCommand). */
export function getKey(c: Client, key: Buffer): void {
  if (!tryWriteBulk(c, key)) replyGet(c, key);
}

function get(c: Client, argv: Buffer[]): void {
  getKey(c, argv[1]);
}

function getex(c: Client, argv: Buffer[]): void {
  const { flags, expire } = parseExtended(argv, 2, false);
  const key = argv[1];
  const v = lookupRead(c, key, 'string');
  if (v === undefined) {
    c.reply.nil();
    return;
  }
  const at = expire ? expireMs(c, expire, flags) : 0;
  c.reply.bulk(v);
  if (flags & (SetFlag.PXAT | SetFlag.EXAT) && at <= c.server.clock.now()) {
    c.db.delete(key);
    written(c, key, 'del', 'g');
    propagateAs(c, 'DEL', key);
  } else if (expire) {
    c.db.setExpire(key, at);
    written(c, key, 'expire', 'g');
    propagateAs(c, 'PEXPIREAT', key, at);
  } else if (flags & SetFlag.PERSIST) {
    if (c.db.persist(key)) {
      written(c, key, 'persist', 'g');
      propagateAs(c, 'PERSIST', key);
    }
  }
}

function getdel(c: Client, argv: Buffer[]): void {
  const key = argv[1];
  const v = lookupRead(c, key, 'string');
  if (v === undefined) {
    c.reply.nil();
    return;
  }
  c.reply.bulk(v);
  c.db.delete(key);
  written(c, key, 'del', 'g');
  propagateAs(c, 'DEL', key);
}

function getset(c: Client, argv: Buffer[]): void {
  replyGet(c, argv[1]);
  checkMaxValue(c, argv[2].length);
  c.db.set(argv[1], argv[2]);
  written(c, argv[1], 'set', '$');
}

function mget(c: Client, argv: Buffer[]): void {
  c.reply.array(argv.length - 1);
  for (let i = 1; i < argv.length; i++) {
    const v = lookupRead(c, argv[i]);
    if (v === undefined || !(typeof v === 'string' || v instanceof Uint8Array)) c.reply.nil();
    else c.reply.bulk(v);
  }
}

function msetGeneric(c: Client, argv: Buffer[], nx: boolean): void {
  if (argv.length % 2 === 0) fail(wrongArgs(c.cmd!.fullname));
  if (nx) {
    for (let j = 1; j < argv.length; j += 2) {
      if (c.db.has(argv[j])) {
        c.reply.int(0);
        return;
      }
    }
  }
  for (let j = 1; j < argv.length; j += 2) checkMaxValue(c, argv[j + 1].length);
  for (let j = 1; j < argv.length; j += 2) {
    c.db.set(argv[j], argv[j + 1]);
    written(c, argv[j], 'set', '$');
  }
  if (nx) c.reply.int(1);
  else c.reply.ok();
}

function mset(c: Client, argv: Buffer[]): void {
  msetGeneric(c, argv, false);
}

function msetnx(c: Client, argv: Buffer[]): void {
  msetGeneric(c, argv, true);
}

function checkStringLength(c: Client, size: number, append: number): void {
  if (size + append > c.server.config.hot['proto-max-bulk-len']) fail(STRING_TOO_LONG);
}

/**
 * The reply to a Db.append / Db.setRange result: the new length (after the write's bookkeeping),
 * or the error. False when the key was missing: the caller creates it the ordinary way.
 */
function writtenInPlace(c: Client, key: Buffer, r: number, event: string): boolean {
  if (r === APPEND_WRONGTYPE) fail(WRONGTYPE);
  if (r === APPEND_TOO_BIG) fail(STRING_TOO_LONG);
  if (r === APPEND_MISSING) return false;
  written(c, key, event, '$');
  c.reply.int(r);
  return true;
}

function append(c: Client, argv: Buffer[]): void {
  const key = argv[1];
  // The engine appends in place: the old value is never copied out.
  if (writtenInPlace(c, key, c.db.append(key, argv[2], c.server.config.hot['proto-max-bulk-len']), 'append')) return;
  c.db.set(key, argv[2]);
  written(c, key, 'append', '$');
  c.reply.int(argv[2].length);
}

function strlen(c: Client, argv: Buffer[]): void {
  // Answered from the engine's own bytes: no copy of a possibly huge value.
  const p = peekStringRead(c, argv[1]);
  c.reply.int(p === null ? 0 : p.length);
}

function getrange(c: Client, argv: Buffer[]): void {
  let start = intArg(argv[2]);
  let end = intArg(argv[3]);
  const p = peekStringRead(c, argv[1]);
  if (p === null) {
    c.reply.bulk('');
    return;
  }
  const len = p.length;
  if (start < 0 && end < 0 && start > end) {
    c.reply.bulk('');
    return;
  }
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) c.reply.bulk('');
  else c.reply.bulk(peekCopy(p, start, end + 1)); // a copy of the range only
}

function setrange(c: Client, argv: Buffer[]): void {
  const key = argv[1];
  const value = argv[3];
  const offset = intArg(argv[2]);
  if (offset < 0) fail('ERR offset is out of range');
  if (value.length === 0) {
    // Nothing to write: the current length (no copy of the value), WRONGTYPE as Redis checks it.
    const v = inspectKey(c, key, false);
    if (v !== undefined && v.type !== 'string') fail(WRONGTYPE);
    c.reply.int(v === undefined ? 0 : (v as StringHead).length);
    return;
  }
  // The engine writes in place: only the written range is touched.
  if (writtenInPlace(c, key, c.db.setRange(key, offset, value, c.server.config.hot['proto-max-bulk-len']), 'setrange')) return;
  checkStringLength(c, offset, value.length);
  const next = Buffer.alloc(offset + value.length);
  value.copy(next, offset);
  c.db.set(key, next, true, StrEnc.Raw);
  written(c, key, 'setrange', '$');
  c.reply.int(next.length);
}

const EMPTY = Buffer.alloc(0);

/** incrDecrCommand: exact 64-bit arithmetic (bigint past 2^53). */
function incrDecr(c: Client, key: Buffer, incr: number | bigint): void {
  // The common case in one engine call (Db.incrBy) instead of get, parse, format, Buffer.from
  // and set (a second lookup): INCR 2.1-2.2x per CPU-second on both engines (docs/benchmarks.md).
  // NaN: nothing done, the exact path below gives the reply or error.
  if (typeof incr === 'number') {
    const r = c.db.incrBy(key, incr);
    if (r === r) {
      written(c, key, 'incrby', '$');
      c.reply.int(r);
      return;
    }
  }
  // No access here: the set below is the key's one write access (LFU counts it once, as Redis).
  const old = checkType(c.db.get(key, true), 'string') as BulkValue | undefined;
  let value: number | bigint = 0;
  if (old !== undefined) {
    const parsed = parseInt64Exact(old);
    if (parsed === null) fail(NOT_INT);
    value = parsed;
  }
  const next = addInt64(value, incr);
  if (next === null) fail(OVERFLOW);
  c.db.set(key, Buffer.from(String(next)), true);
  written(c, key, 'incrby', '$');
  c.reply.int(next);
}

function incrArg(arg: Buffer): number | bigint {
  const n = smallUint(arg); // the usual small positive increment, read from the bytes
  if (n >= 0) return n;
  const v = parseInt64Exact(arg);
  if (v === null) fail(NOT_INT);
  return v;
}

function incr(c: Client, argv: Buffer[]): void {
  incrDecr(c, argv[1], 1);
}

function decr(c: Client, argv: Buffer[]): void {
  incrDecr(c, argv[1], -1);
}

function incrby(c: Client, argv: Buffer[]): void {
  incrDecr(c, argv[1], incrArg(argv[2]));
}

function decrby(c: Client, argv: Buffer[]): void {
  const v = incrArg(argv[2]);
  if (typeof v === 'bigint' && v === -9223372036854775808n) fail('ERR decrement would overflow');
  incrDecr(c, argv[1], typeof v === 'bigint' ? -v : -v);
}

function incrbyfloat(c: Client, argv: Buffer[]): void {
  const key = argv[1];
  // No access here: the set below is the key's one write access (LFU counts it once, as Redis).
  const old = checkType(c.db.get(key, true), 'string') as BulkValue | undefined;
  const oldText = old === undefined ? '0' : latin1(old);
  const incrText = latin1(argv[2]);
  // Values like 1.5 or 10.25 add exactly in doubles (long-double.ts); others take the exact path.
  let text = addExactly(oldText, incrText);
  if (text === null) {
    const value = parseLongDouble(oldText);
    const incr = parseLongDouble(incrText);
    if (value === null || incr === null) fail(NOT_FLOAT);
    const sum = addLongDouble(value, incr);
    if (isNanOrInf(sum)) fail(INCR_NAN);
    text = formatLongDoubleHuman(sum);
  }
  c.db.set(key, text, true, StrEnc.Plain);
  written(c, key, 'incrbyfloat', '$');
  c.reply.bulk(text);
  // Replayed as the exact result: long double arithmetic must not be redone elsewhere.
  propagateAs(c, 'SET', key, text, 'KEEPTTL');
}

function lcs(c: Client, argv: Buffer[]): void {
  const oa = lookupRead(c, argv[1]);
  const ob = lookupRead(c, argv[2]);
  const isStr = (v: unknown) => v === undefined || typeof v === 'string' || v instanceof Uint8Array;
  if (!isStr(oa) || !isStr(ob)) fail('ERR The specified keys must contain string values');
  const a = oa === undefined ? EMPTY : toBuffer(oa as BulkValue);
  const b = ob === undefined ? EMPTY : toBuffer(ob as BulkValue);
  let getlen = false;
  let getidx = false;
  let withmatchlen = false;
  let minmatchlen = 0;
  for (let j = 3; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (isWord(argv[j], 'idx')) getidx = true;
    else if (isWord(argv[j], 'len')) getlen = true;
    else if (isWord(argv[j], 'withmatchlen')) withmatchlen = true;
    else if (isWord(argv[j], 'minmatchlen') && more > 0) {
      minmatchlen = intArg(argv[j + 1]);
      if (minmatchlen < 0) minmatchlen = 0;
      j++;
    } else fail(SYNTAX);
  }
  if (getidx && getlen) fail('ERR If you want both the length and indexes, please just use IDX.');
  const alen = a.length;
  const blen = b.length;
  const cells = (alen + 1) * (blen + 1);
  if (cells * 4 > c.server.config.hot['proto-max-bulk-len']) fail('ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len');
  const table = new Uint32Array(cells);
  const W = blen + 1;
  for (let i = 1; i <= alen; i++) {
    for (let j = 1; j <= blen; j++) {
      if (a[i - 1] === b[j - 1]) table[i * W + j] = table[(i - 1) * W + j - 1] + 1;
      else {
        const l1 = table[(i - 1) * W + j];
        const l2 = table[i * W + j - 1];
        table[i * W + j] = l1 > l2 ? l1 : l2;
      }
    }
  }
  let idx = table[alen * W + blen];
  const total = idx;
  const computelcs = getidx || !getlen;
  const result = computelcs ? Buffer.alloc(idx) : EMPTY;
  const r = c.reply;
  let deferred = null;
  let arraylen = 0;
  if (getidx) {
    r.map(2);
    r.bulk('matches');
    deferred = r.deferred();
  }
  let i = alen;
  let j = blen;
  let aStart = alen;
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  while (computelcs && i > 0 && j > 0) {
    let emit = false;
    if (a[i - 1] === b[j - 1]) {
      result[idx - 1] = a[i - 1];
      if (aStart === alen) {
        aStart = i - 1;
        aEnd = i - 1;
        bStart = j - 1;
        bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else emit = true;
      if (aStart === 0 || bStart === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      const l1 = table[(i - 1) * W + j];
      const l2 = table[i * W + j - 1];
      if (l1 > l2) i--;
      else j--;
      if (aStart !== alen) emit = true;
    }
    const matchLen = aEnd - aStart + 1;
    if (emit) {
      if (minmatchlen === 0 || matchLen >= minmatchlen) {
        if (deferred) {
          r.array(withmatchlen ? 3 : 2);
          r.array(2);
          r.int(aStart);
          r.int(aEnd);
          r.array(2);
          r.int(bStart);
          r.int(bEnd);
          if (withmatchlen) r.int(matchLen);
          arraylen++;
        }
      }
      aStart = alen;
    }
  }
  if (deferred) {
    r.setArrayLen(deferred, arraylen);
    r.bulk('len');
    r.int(total);
  } else if (getlen) r.int(idx);
  else r.bulk(result);
}

export const commands: CommandRow[] = [
  { name: 'set', handler: set, fast: (c, key, value) => setKeyValue(c, key, value!) },
  { name: 'setnx', handler: setnx },
  { name: 'setex', handler: setex },
  { name: 'psetex', handler: psetex },
  { name: 'get', handler: get, fast: (c, key) => getKey(c, key) },
  { name: 'getex', handler: getex },
  { name: 'getdel', handler: getdel },
  { name: 'getset', handler: getset },
  { name: 'mget', handler: mget },
  { name: 'mset', handler: mset },
  { name: 'msetnx', handler: msetnx },
  { name: 'append', handler: append },
  { name: 'strlen', handler: strlen },
  { name: 'getrange', handler: getrange },
  { name: 'substr', handler: getrange },
  { name: 'setrange', handler: setrange },
  { name: 'incr', handler: incr },
  { name: 'decr', handler: decr },
  { name: 'incrby', handler: incrby },
  { name: 'decrby', handler: decrby },
  { name: 'incrbyfloat', handler: incrbyfloat },
  { name: 'lcs', handler: lcs },
];

export { parseInt64 };
