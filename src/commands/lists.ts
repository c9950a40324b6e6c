/**
 * List commands (Redis 7.0 t_list.c, blocking parts of blocked.c): pushes and pops, ranges,
 * LINDEX/LSET/LINSERT/LREM/LTRIM/LPOS, LMOVE/RPOPLPUSH, LMPOP, and the blocking forms BLPOP,
 * BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP.
 *
 * Blocking: a client blocks only when every key is missing (a key of another type is WRONGTYPE
 * at call time; if a waited-on key later holds another type, the client keeps waiting, as in 7.0).
 * Waiters are served FIFO per key by the server's Blocking registry after the outermost command,
 * so MULTI/EXEC and scripts wake clients once, at the end. Inside EXEC or a script a blocking
 * command acts as its non-blocking form (null array, or null bulk for BLMOVE/BRPOPLPUSH).
 */
import type { BulkValue, ListValue } from '../engine/types';
import { typeOfValue } from '../engine/types';
import type { Client } from '../server/client';
import { readyOrder } from '../server/blocking';
import type { CommandRow } from './table';
import { fail, NOT_INT, NO_SUCH_KEY, INDEX_OUT_OF_RANGE, SYNTAX, WRONGTYPE, wrongArgs } from './errors';
import { clampRange, intArg, isWord, LONG_MAX_N, positiveIntArg, rangeIntArg } from './args';
import { lookupRead, lookupWrite, written } from './keyspace';
import { blockForKeys, canBlock, timeoutArg, TimeoutUnit } from './blocking';
import { parseInt64Exact } from '../util/number';
import { alsoPropagate, propagateAs, propagateEffect } from '../server/propagate';
import type { Arg } from '../server/propagate';

const HEAD = 0;
const TAIL = 1;
type Where = typeof HEAD | typeof TAIL;

function newList(c: Client): ListValue {
  return c.server.engine.newList();
}

/** list-max-listpack-size in force for the node splits of a push or insert (as set-max-intset-entries for sets). */
function withFill(c: Client, l: ListValue): ListValue {
  // A hot setting: a field load, not a Map lookup by name, on every push.
  l.fill = c.server.config.hot['list-max-listpack-size'];
  return l;
}

// ---------------------------------------------------------------- push / pop

function pushGeneric(c: Client, argv: Buffer[], where: Where, xx: boolean): void {
  const key = argv[1];
  // An existing list: the lookup and the pushes in one engine call.
  const pushed = c.db.listPush(key, where === TAIL, argv, 2, c.server.config.hot['list-max-listpack-size']);
  if (pushed >= 0) return pushed_(c, key, where, argv.length - 2, pushed);
  let l = lookupWrite(c, key, 'list');
  if (!l) {
    if (xx) return c.reply.int(0);
    l = newList(c);
    c.db.set(key, l);
  }
  withFill(c, l);
  let len: number;
  // pushAll returns the new length: no second crossing to ask the size.
  if (l.pushAll) len = l.pushAll(where === TAIL, argv, 2);
  else {
    for (let j = 2; j < argv.length; j++) {
      if (where === HEAD) l.pushHead(argv[j]);
      else l.pushTail(argv[j]);
    }
    len = l.size;
  }
  pushed_(c, key, where, argv.length - 2, len);
}

/**
 * After a push of n elements: the reply (the new length) and the write's bookkeeping. Clients
 * blocked on the key wake only when the push created it (db.set's new-key hook, Redis 7.0's
 * dbAdd): a push onto an existing list signals nothing, and a client can wait on one only when a
 * STORE replaced the key it blocked on (storeValue).
 */
function pushed_(c: Client, key: Buffer, where: Where, n: number, len: number): void {
  c.reply.int(len);
  written(c, key, where === HEAD ? 'lpush' : 'rpush', 'l', n);
}

/** listElementsRemoved: pop event, delete when empty. Returns true when the key was deleted. */
function elementsRemoved(c: Client, key: BulkValue, where: Where, l: ListValue, count: number): boolean {
  return removedLeaving(c, key, where, l.size, count);
}

/** elementsRemoved for a list left with `left` elements. */
function removedLeaving(c: Client, key: BulkValue, where: Where, left: number, count: number): boolean {
  const server = c.server;
  server.keyspace.notify(c.dbIndex, where === HEAD ? 'lpop' : 'rpop', key, 'l');
  let deleted = false;
  if (left === 0) {
    c.db.delete(typeof key === 'string' ? Buffer.from(key, 'latin1') : key);
    server.keyspace.notify(c.dbIndex, 'del', key, 'g');
    deleted = true;
  }
  server.signalModifiedKey(c.dbIndex, key);
  server.dirty(count);
  return deleted;
}

/** addListRangeReply for a pop of up to `count` elements from one end, then delete them. */
function popRangeReply(c: Client, l: ListValue, count: number, where: Where): number {
  const n = Math.min(count, l.size);
  c.reply.array(n);
  if (l.popResp && c.reply === c.writer) l.popResp(c.writer, where === TAIL, n);
  else for (let i = 0; i < n; i++) c.reply.bulk(where === HEAD ? l.popHead()! : l.popTail()!);
  return n;
}

/** listPopRangeAndReplyWithKey: [key, [elements...]]. */
/** LMPOP/BLMPOP's pop; propagated as LPOP/RPOP key <popped>, as Redis 7.0 does. */
function popRangeWithKey(c: Client, l: ListValue, key: Buffer, where: Where, count: number, served = false): void {
  c.reply.array(2);
  c.reply.bulk(key);
  const n = popRangeReply(c, l, count, where);
  elementsRemoved(c, key, where, l, n);
  propagateEffect(c, served, where === HEAD ? 'LPOP' : 'RPOP', key, n);
}

/** BLPOP/BRPOP's pop of one element, propagated as LPOP/RPOP key. */
function popOneWithKey(c: Client, l: ListValue, key: Buffer, where: Where, served: boolean): void {
  const value = where === HEAD ? l.popHead()! : l.popTail()!;
  c.reply.array(2);
  c.reply.bulk(key);
  c.reply.bulk(value);
  elementsRemoved(c, key, where, l, 1);
  propagateEffect(c, served, where === HEAD ? 'LPOP' : 'RPOP', key);
}

function popGeneric(c: Client, argv: Buffer[], where: Where): void {
  const hasCount = argv.length === 3;
  let count = 0;
  if (argv.length > 3) fail(wrongArgs(c.cmd!.fullname));
  if (hasCount) count = positiveIntArg(argv[2]);
  const key = argv[1];
  if (!hasCount && c.reply === c.writer) {
    // An existing list: the lookup and the pop in one engine call, written straight to the reply.
    const left = c.db.listPopOne(key, where === TAIL, c.writer);
    if (left >= 0) {
      removedLeaving(c, key, where, left, 1);
      return;
    }
  }
  const l = lookupWrite(c, key, 'list');
  if (!l) return hasCount ? c.reply.nilArray() : c.reply.nil();
  if (hasCount && count === 0) return c.reply.array(0);
  if (!hasCount) {
    if (l.popResp && c.reply === c.writer) l.popResp(c.writer, where === TAIL, 1);
    else c.reply.bulk(where === HEAD ? l.popHead()! : l.popTail()!);
    elementsRemoved(c, key, where, l, 1);
  } else {
    const n = popRangeReply(c, l, count, where);
    elementsRemoved(c, key, where, l, n);
  }
}

// ---------------------------------------------------------------- read commands

function llen(c: Client, argv: Buffer[]): void {
  const l = lookupRead(c, argv[1], 'list');
  c.reply.int(l ? l.size : 0);
}

function lrange(c: Client, argv: Buffer[]): void {
  const start = intArg(argv[2]);
  const end = intArg(argv[3]);
  const l = lookupRead(c, argv[1], 'list');
  if (!l) return c.reply.array(0);
  const r = clampRange(start, end, l.size);
  if (!r) return c.reply.array(0);
  c.reply.array(r[1] - r[0] + 1);
  if (l.writeRange && c.reply === c.writer) l.writeRange(c.writer, r[0], r[1]);
  else l.range(r[0], r[1], (v) => c.reply.bulk(v));
}

function lindex(c: Client, argv: Buffer[]): void {
  const l = lookupRead(c, argv[1], 'list');
  if (!l) return c.reply.nil();
  const index = intArg(argv[2]);
  const v = l.at(index);
  if (v === undefined) c.reply.nil();
  else c.reply.bulk(v);
}

function lpos(c: Client, argv: Buffer[]): void {
  let rank = 1;
  let count = -1;
  let maxlen = 0;
  for (let j = 3; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (isWord(argv[j], 'rank') && more) {
      const r = parseInt64Exact(argv[++j]);
      if (r === null) fail(NOT_INT);
      // LONG_MIN: Redis negates it with overflow (see JsList.positions).
      rank = r === -9223372036854775808n ? -Infinity : Number(r);
      if (rank === 0) {
        fail('ERR RANK can\'t be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list');
      }
    } else if (isWord(argv[j], 'count') && more) {
      count = positiveIntArg(argv[++j], "COUNT can't be negative");
    } else if (isWord(argv[j], 'maxlen') && more) {
      maxlen = positiveIntArg(argv[++j], "MAXLEN can't be negative");
    } else fail(SYNTAX);
  }
  const l = lookupRead(c, argv[1], 'list');
  if (!l) return count !== -1 ? c.reply.array(0) : c.reply.nil();
  const found = l.positions(argv[2], rank, count === -1 ? 1 : count, maxlen);
  if (count !== -1) {
    c.reply.array(found.length);
    for (const i of found) c.reply.int(i);
  } else if (found.length > 0) c.reply.int(found[0]);
  else c.reply.nil();
}

// ---------------------------------------------------------------- edits

function lset(c: Client, argv: Buffer[]): void {
  const key = argv[1];
  const l = lookupWrite(c, key, 'list');
  if (!l) fail(NO_SUCH_KEY);
  let index = intArg(argv[2]);
  if (index < 0) index += l.size;
  if (index < 0 || index >= l.size) fail(INDEX_OUT_OF_RANGE);
  l.setAt(index, argv[3]);
  c.reply.ok();
  written(c, key, 'lset', 'l', 1);
}

function linsert(c: Client, argv: Buffer[]): void {
  let after: boolean;
  if (isWord(argv[2], 'after')) after = true;
  else if (isWord(argv[2], 'before')) after = false;
  else fail(SYNTAX);
  const key = argv[1];
  const l = lookupWrite(c, key, 'list');
  if (!l) return c.reply.int(0);
  const n = withFill(c, l).insert(argv[3], argv[4], after);
  if (n === -1) return c.reply.int(-1);
  written(c, key, 'linsert', 'l', 1);
  c.reply.int(n);
}

function lrem(c: Client, argv: Buffer[]): void {
  const toremove = intArg(argv[2]);
  const key = argv[1];
  const l = lookupWrite(c, key, 'list');
  if (!l) return c.reply.int(0);
  const removed = l.remove(argv[3], toremove);
  const server = c.server;
  if (removed) {
    server.signalModifiedKey(c.dbIndex, key);
    server.keyspace.notify(c.dbIndex, 'lrem', key, 'l');
  }
  if (l.size === 0) {
    c.db.delete(key);
    server.keyspace.notify(c.dbIndex, 'del', key, 'g');
  }
  server.dirty(removed);
  c.reply.int(removed);
}

function ltrim(c: Client, argv: Buffer[]): void {
  let start = intArg(argv[2]);
  let end = intArg(argv[3]);
  const key = argv[1];
  const l = lookupWrite(c, key, 'list');
  if (!l) return c.reply.ok();
  const len = l.size;
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  let removed: number;
  if (start > end || start >= len) {
    removed = len;
    l.trim(1, 0);
  } else {
    if (end >= len) end = len - 1;
    removed = start + (len - end - 1);
    l.trim(start, end);
  }
  const server = c.server;
  server.keyspace.notify(c.dbIndex, 'ltrim', key, 'l');
  if (l.size === 0) {
    c.db.delete(key);
    server.keyspace.notify(c.dbIndex, 'del', key, 'g');
  }
  server.signalModifiedKey(c.dbIndex, key);
  server.dirty(removed);
  c.reply.ok();
}

// ---------------------------------------------------------------- LMOVE family

function parseWhere(arg: Buffer): Where {
  if (isWord(arg, 'left')) return HEAD;
  if (isWord(arg, 'right')) return TAIL;
  fail(SYNTAX);
}

/** lmoveHandlePush: create the destination if needed, push, event, reply with the value. */
function lmoveHandlePush(c: Client, dstkey: Buffer, dst: ListValue | undefined, value: BulkValue, where: Where): void {
  if (!dst) {
    dst = newList(c);
    c.db.set(dstkey, dst);
  }
  c.server.signalModifiedKey(c.dbIndex, dstkey);
  const b = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
  withFill(c, dst);
  if (where === HEAD) dst.pushHead(b);
  else dst.pushTail(b);
  c.server.keyspace.notify(c.dbIndex, where === HEAD ? 'lpush' : 'rpush', dstkey, 'l');
  // (Wakes blocked clients only as a new key, as pushed_.)
  c.reply.bulk(value);
}

/** lmoveGenericCommand on a non-empty source (destination type already checked). */
function doMove(c: Client, src: Buffer, s: ListValue, dstkey: Buffer, d: ListValue | undefined, from: Where, to: Where): void {
  const value = from === HEAD ? s.popHead()! : s.popTail()!;
  lmoveHandlePush(c, dstkey, d, value, to);
  const server = c.server;
  server.keyspace.notify(c.dbIndex, from === HEAD ? 'lpop' : 'rpop', src, 'l');
  if (s.size === 0) {
    c.db.delete(src);
    server.keyspace.notify(c.dbIndex, 'del', src, 'g');
  }
  server.signalModifiedKey(c.dbIndex, src);
  server.dirty(1);
}

function lmoveGeneric(c: Client, src: Buffer, dst: Buffer, from: Where, to: Where): void {
  const s = lookupWrite(c, src, 'list');
  if (!s || s.size === 0) return c.reply.nil();
  const d = lookupWrite(c, dst, 'list');
  doMove(c, src, s, dst, d, from, to);
}

function lmove(c: Client, argv: Buffer[]): void {
  const from = parseWhere(argv[3]);
  const to = parseWhere(argv[4]);
  lmoveGeneric(c, argv[1], argv[2], from, to);
}

function rpoplpush(c: Client, argv: Buffer[]): void {
  lmoveGeneric(c, argv[1], argv[2], TAIL, HEAD);
}

/** BLMOVE / BRPOPLPUSH as they replay: LMOVE / RPOPLPUSH (Redis 7.0 rewrites them so). */
function moveArgv(c: Client, src: Buffer, dst: Buffer, from: Where, to: Where): Arg[] {
  if (c.cmd!.name === 'brpoplpush') return ['RPOPLPUSH', src, dst];
  return ['LMOVE', src, dst, from === HEAD ? 'LEFT' : 'RIGHT', to === HEAD ? 'LEFT' : 'RIGHT'];
}

function blmoveGeneric(c: Client, src: Buffer, dst: Buffer, from: Where, to: Where, timeoutArgv: Buffer): void {
  const timeout = timeoutArg(timeoutArgv, TimeoutUnit.SECONDS);
  const s = lookupWrite(c, src, 'list');
  if (s) {
    lmoveGeneric(c, src, dst, from, to);
    propagateAs(c, ...moveArgv(c, src, dst, from, to));
    return;
  }
  if (!canBlock(c)) return c.reply.nil();
  const srcKey = Buffer.from(src);
  const dstKey = Buffer.from(dst);
  const replayed = moveArgv(c, srcKey, dstKey, from, to);
  blockForKeys(c, [srcKey], timeout, () => {
    const v = c.db.get(srcKey, true);
    if (v === undefined || typeOfValue(v) !== 'list' || (v as ListValue).size === 0) return false;
    const dv = c.db.get(dstKey, true);
    if (dv !== undefined && typeOfValue(dv) !== 'list') {
      // serveClientBlockedOnList: checkType on the destination replies WRONGTYPE and unblocks.
      c.reply.error(WRONGTYPE);
      return true;
    }
    doMove(c, srcKey, v as ListValue, dstKey, dv as ListValue | undefined, from, to);
    alsoPropagate(c, ...replayed);
    return true;
  });
}

function blmove(c: Client, argv: Buffer[]): void {
  const from = parseWhere(argv[3]);
  const to = parseWhere(argv[4]);
  blmoveGeneric(c, argv[1], argv[2], from, to, argv[5]);
}

function brpoplpush(c: Client, argv: Buffer[]): void {
  blmoveGeneric(c, argv[1], argv[2], TAIL, HEAD, argv[3]);
}

// ---------------------------------------------------------------- blocking pops and LMPOP

/** Serve a blocked pop from the first non-empty list among `keys` (count -1: BLPOP shape). */
function servePop(c: Client, keys: Buffer[], where: Where, count: number): boolean {
  for (const key of keys) {
    const v = c.db.get(key, true);
    if (v === undefined || typeOfValue(v) !== 'list') continue;
    const l = v as ListValue;
    if (l.size === 0) continue;
    if (count !== -1) popRangeWithKey(c, l, key, where, count, true);
    else popOneWithKey(c, l, key, where, true);
    return true;
  }
  return false;
}

/** blockingPopGenericCommand. `count` -1 for BLPOP/BRPOP, else BLMPOP's count. */
function blockingPop(c: Client, keys: Buffer[], where: Where, timeoutArgv: Buffer, count: number): void {
  const timeout = timeoutArg(timeoutArgv, TimeoutUnit.SECONDS);
  for (const key of keys) {
    const l = lookupWrite(c, key, 'list');
    if (!l || l.size === 0) continue;
    if (count !== -1) return popRangeWithKey(c, l, key, where, count);
    return popOneWithKey(c, l, key, where, false);
  }
  if (!canBlock(c)) return c.reply.nilArray();
  const own = keys.map((k) => Buffer.from(k));
  blockForKeys(c, own, timeout, (ready) => servePop(c, readyOrder(own, ready).map((i) => own[i]), where, count));
}

function blpop(c: Client, argv: Buffer[]): void {
  blockingPop(c, argv.slice(1, -1), HEAD, argv[argv.length - 1], -1);
}

function brpop(c: Client, argv: Buffer[]): void {
  blockingPop(c, argv.slice(1, -1), TAIL, argv[argv.length - 1], -1);
}

/** lmpopGenericCommand: numkeys at `numkeysIdx`. */
function lmpopGeneric(c: Client, argv: Buffer[], numkeysIdx: number, block: boolean): void {
  const numkeys = rangeIntArg(argv[numkeysIdx], 1n, LONG_MAX_N, 'numkeys should be greater than 0');
  const whereIdx = numkeysIdx + numkeys + 1;
  if (whereIdx >= argv.length) fail(SYNTAX);
  const where = parseWhere(argv[whereIdx]);
  let count = -1;
  for (let j = whereIdx + 1; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (count === -1 && isWord(argv[j], 'count') && more) {
      count = rangeIntArg(argv[++j], 1n, LONG_MAX_N, 'count should be greater than 0');
    } else fail(SYNTAX);
  }
  if (count === -1) count = 1;
  const keys = argv.slice(numkeysIdx + 1, numkeysIdx + 1 + numkeys);
  if (block) return blockingPop(c, keys, where, argv[1], count);
  for (const key of keys) {
    const l = lookupWrite(c, key, 'list');
    if (!l || l.size === 0) continue;
    return popRangeWithKey(c, l, key, where, count);
  }
  c.reply.nilArray();
}

function lmpop(c: Client, argv: Buffer[]): void {
  lmpopGeneric(c, argv, 1, false);
}

function blmpop(c: Client, argv: Buffer[]): void {
  lmpopGeneric(c, argv, 2, true);
}

export const commands: CommandRow[] = [
  { name: 'lpush', handler: (c, a) => pushGeneric(c, a, HEAD, false) },
  { name: 'rpush', handler: (c, a) => pushGeneric(c, a, TAIL, false) },
  { name: 'lpushx', handler: (c, a) => pushGeneric(c, a, HEAD, true) },
  { name: 'rpushx', handler: (c, a) => pushGeneric(c, a, TAIL, true) },
  { name: 'lpop', handler: (c, a) => popGeneric(c, a, HEAD) },
  { name: 'rpop', handler: (c, a) => popGeneric(c, a, TAIL) },
  { name: 'llen', handler: llen },
  { name: 'lrange', handler: lrange },
  { name: 'lindex', handler: lindex },
  { name: 'lset', handler: lset },
  { name: 'linsert', handler: linsert },
  { name: 'lrem', handler: lrem },
  { name: 'ltrim', handler: ltrim },
  { name: 'lpos', handler: lpos },
  { name: 'lmove', handler: lmove },
  { name: 'rpoplpush', handler: rpoplpush },
  { name: 'lmpop', handler: lmpop },
  { name: 'blpop', handler: blpop },
  { name: 'brpop', handler: brpop },
  { name: 'blmove', handler: blmove },
  { name: 'brpoplpush', handler: brpoplpush },
  { name: 'blmpop', handler: blmpop },
];
