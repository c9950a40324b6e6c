/**
 * Sorted set commands (Redis t_zset.c): ZADD/ZINCRBY, ZREM, ZCARD, ZSCORE/ZMSCORE, ZRANK/ZREVRANK,
 * ZCOUNT/ZLEXCOUNT, the ZRANGE family and ZRANGESTORE, ZREMRANGEBY*, ZPOPMIN/ZPOPMAX, ZMPOP and the
 * blocking BZPOPMIN/BZPOPMAX/BZMPOP, ZRANDMEMBER, ZUNION/ZINTER/ZDIFF(+STORE), ZINTERCARD, ZSCAN.
 *
 * Only the ZSetValue interface is used (engine.newZSet()), so every engine runs the same code.
 * Argument parsing follows t_zset.c step by step, because the ORDER of checks decides which error
 * a bad command gets (syntax before WRONGTYPE for ZADD; WRONGTYPE before option errors for ZUNION...).
 */
import type { BulkValue, LexRange, PoppedElement, ScoreRange, SetValue, ZSetValue } from '../engine/types';
import { typeOfValue } from '../engine/types';
import type { Client } from '../server/client';
import { readyOrder } from '../server/blocking';
import type { CommandRow } from './table';
import { fail, NOT_INT, SYNTAX, VALUE_OUT_OF_RANGE, WRONGTYPE } from './errors';
import { cursorArg, floatArg, intArg, isWord, LONG_MAX_N, MAX_REPLY_ELEMENTS, positiveIntArg, rangeIntArg, scanOptionsArg } from './args';
import { deleteDestination, lookupRead, lookupWrite, removeMembers, replyScan, storeValue } from './keyspace';
import { blockForKeys, canBlock, timeoutArg, TimeoutUnit } from './blocking';
import { toBuffer } from '../util/bytes';
import { propagateEffect } from '../server/propagate';
import { encodingLimits } from '../config/config';
import { addScore, zsetAddAll, ZADD_CH, ZADD_GT, ZADD_INCR, ZADD_LT, ZADD_NX, ZADD_XX } from './zset-add';
import { formatDouble, latin1, parseInt64, parseInt64Exact, strtodAll } from '../util/number';

const RANGE_NOT_FLOAT = 'ERR min or max is not a float';
const LEX_NOT_VALID = 'ERR min or max not valid string range item';

// ---------------------------------------------------------------------------------------------
// Parsing helpers

/** zslParseRange: "(1.5", "-inf"... */
function parseScoreRange(minArg: Buffer, maxArg: Buffer): ScoreRange {
  const one = (a: Buffer): [number, boolean] => {
    const s = latin1(a);
    const ex = s.charCodeAt(0) === 40; // '('
    const v = strtodAll(ex ? s.slice(1) : s);
    if (v === null || Number.isNaN(v)) fail(RANGE_NOT_FLOAT);
    return [v, ex];
  };
  const [min, minEx] = one(minArg);
  const [max, maxEx] = one(maxArg);
  return { min, minEx, max, maxEx };
}

/** zslParseLexRangeItem: '[' / '(' prefix, or exactly '-' / '+'. Returns null when invalid. */
function parseLexItem(a: Buffer): { v: Buffer | null; ex: boolean; inf: -1 | 0 | 1 } | null {
  if (a.length === 0) return null;
  const c0 = a[0];
  if (c0 === 43 || c0 === 45) {
    // C string test c[1] != '\0'
    if (a.length > 1 && a[1] !== 0) return null;
    return { v: null, ex: true, inf: c0 === 43 ? 1 : -1 };
  }
  if (c0 === 40 || c0 === 91) return { v: Buffer.from(a.subarray(1)), ex: c0 === 40, inf: 0 };
  return null;
}

function parseLexRange(minArg: Buffer, maxArg: Buffer): LexRange {
  const min = parseLexItem(minArg);
  const max = parseLexItem(maxArg);
  if (min === null || max === null) fail(LEX_NOT_VALID);
  return { min: min.v, minEx: min.ex, minInf: min.inf, max: max.v, maxEx: max.ex, maxInf: max.inf };
}

// ---------------------------------------------------------------------------------------------
// Keyspace helpers

function signalModified(c: Client, key: BulkValue): void {
  c.server.signalModifiedKey(c.dbIndex, key);
}

function notify(c: Client, event: string, key: BulkValue, cls: 'z' | 'g'): void {
  c.server.keyspace.notify(c.dbIndex, event, key, cls);
}

/** Member + score pair in a reply: RESP3 nests it in a 2-array when `nested`. */
function replyPair(c: Client, member: BulkValue, score: number, withscores: boolean, nested: boolean): void {
  if (nested) c.reply.array(2);
  c.reply.bulk(member);
  if (withscores) c.reply.double(score);
}

// ---------------------------------------------------------------------------------------------
// ZADD / ZINCRBY

function zaddGeneric(c: Client, argv: Buffer[], incrCmd: boolean): void {
  const key = argv[1];
  let nx = false,
    xx = false,
    gt = false,
    lt = false,
    ch = false,
    incr = incrCmd;
  let idx = 2;
  for (; idx < argv.length; idx++) {
    const a = argv[idx];
    if (isWord(a, 'nx')) nx = true;
    else if (isWord(a, 'xx')) xx = true;
    else if (isWord(a, 'ch')) ch = true;
    else if (isWord(a, 'incr')) incr = true;
    else if (isWord(a, 'gt')) gt = true;
    else if (isWord(a, 'lt')) lt = true;
    else break;
  }
  let elements = argv.length - idx;
  if (elements % 2 !== 0 || elements === 0) fail(SYNTAX);
  elements /= 2;
  if (nx && xx) fail('ERR XX and NX options at the same time are not compatible');
  if ((gt && nx) || (lt && nx) || (gt && lt)) fail('ERR GT, LT, and/or NX options at the same time are not compatible');
  if (incr && elements > 1) fail('ERR INCR option supports a single increment-element pair');
  const scores: number[] = new Array(elements);
  for (let j = 0; j < elements; j++) scores[j] = floatArg(argv[idx + j * 2]);
  const flags = (nx ? ZADD_NX : 0) | (xx ? ZADD_XX : 0) | (gt ? ZADD_GT : 0) | (lt ? ZADD_LT : 0) | (incr ? ZADD_INCR : 0) | (ch ? ZADD_CH : 0);
  zsetAddAll(c, key, argv, idx + 1, scores, flags);
}

/** ZADD (GEOADD shares its back end, zsetAddAll). */
function zadd(c: Client, argv: Buffer[]): void {
  zaddGeneric(c, argv, false);
}

function zincrby(c: Client, argv: Buffer[]): void {
  zaddGeneric(c, argv, true);
}

// ---------------------------------------------------------------------------------------------
// ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK, ZCOUNT, ZLEXCOUNT

function zrem(c: Client, argv: Buffer[]): void {
  const key = argv[1];
  const z = lookupWrite(c, key, 'zset');
  c.reply.int(z ? removeMembers(c, key, z, argv, 2, (m) => z.delete(m), 'zrem', 'z') : 0);
}

function zcard(c: Client, argv: Buffer[]): void {
  const z = lookupRead(c, argv[1], 'zset');
  c.reply.int(z === undefined ? 0 : z.size);
}

function zscore(c: Client, argv: Buffer[]): void {
  const z = lookupRead(c, argv[1], 'zset');
  const s = z?.score(argv[2]);
  if (s === undefined) c.reply.nil();
  else c.reply.double(s);
}

function zmscore(c: Client, argv: Buffer[]): void {
  const z = lookupRead(c, argv[1], 'zset');
  c.reply.array(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    const s = z?.score(argv[j]);
    if (s === undefined) c.reply.nil();
    else c.reply.double(s);
  }
}

function zrankGeneric(c: Client, argv: Buffer[], reverse: boolean): void {
  const z = lookupRead(c, argv[1], 'zset');
  if (z === undefined) {
    c.reply.nil();
    return;
  }
  const r = z.rank(argv[2], reverse);
  if (r >= 0) c.reply.int(r);
  else c.reply.nil();
}

function zcount(c: Client, argv: Buffer[]): void {
  const range = parseScoreRange(argv[2], argv[3]);
  const z = lookupRead(c, argv[1], 'zset');
  c.reply.int(z === undefined ? 0 : z.countByScore(range));
}

function zlexcount(c: Client, argv: Buffer[]): void {
  const range = parseLexRange(argv[2], argv[3]);
  const z = lookupRead(c, argv[1], 'zset');
  c.reply.int(z === undefined ? 0 : z.countByLex(range));
}

// ---------------------------------------------------------------------------------------------
// ZRANGE family (zrangeGenericCommand)

const enum RangeType {
  AUTO,
  RANK,
  SCORE,
  LEX,
}
const enum Dir {
  AUTO,
  FORWARD,
  REVERSE,
}

/** Where range results go: the client (reply) or a new zset (ZRANGESTORE). */
interface RangeSink {
  emit(member: BulkValue, score: number): void;
  finish(count: number): void;
}

function zrangeGeneric(c: Client, argv: Buffer[], argStart: number, dst: Buffer | null, rangeType: RangeType, dir: Dir): void {
  const key = argv[argStart];
  let minIdx = argStart + 1;
  let maxIdx = argStart + 2;
  let withscores = false;
  let offset = 0;
  let limit = -1;
  for (let j = argStart + 3; j < argv.length; j++) {
    const left = argv.length - j - 1;
    const a = argv[j];
    if (!dst && isWord(a, 'withscores')) withscores = true;
    else if (isWord(a, 'limit') && left >= 2) {
      offset = intArg(argv[j + 1]);
      limit = intArg(argv[j + 2]);
      j += 2;
    } else if (dir === Dir.AUTO && isWord(a, 'rev')) dir = Dir.REVERSE;
    else if (rangeType === RangeType.AUTO && isWord(a, 'bylex')) rangeType = RangeType.LEX;
    else if (rangeType === RangeType.AUTO && isWord(a, 'byscore')) rangeType = RangeType.SCORE;
    else fail(SYNTAX);
  }
  if (dir === Dir.AUTO) dir = Dir.FORWARD;
  if (rangeType === RangeType.AUTO) rangeType = RangeType.RANK;
  if (limit !== -1 && rangeType === RangeType.RANK) fail('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
  if (withscores && rangeType === RangeType.LEX) fail('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
  const reverse = dir === Dir.REVERSE;
  if (reverse && rangeType !== RangeType.RANK) [minIdx, maxIdx] = [maxIdx, minIdx];

  let start = 0,
    end = 0;
  let scoreRange: ScoreRange | null = null;
  let lexRange: LexRange | null = null;
  if (rangeType === RangeType.RANK) {
    start = intArg(argv[minIdx]);
    end = intArg(argv[maxIdx]);
  } else if (rangeType === RangeType.SCORE) scoreRange = parseScoreRange(argv[minIdx], argv[maxIdx]);
  else lexRange = parseLexRange(argv[minIdx], argv[maxIdx]);

  const v = lookupRead(c, key);
  if (v !== undefined && typeOfValue(v) !== 'zset') fail(WRONGTYPE);
  let sink: RangeSink;
  if (dst) {
    const out = c.server.engine.newZSet();
    const dkey = dst;
    sink = {
      emit: (m, s) => addScore(c, out, toBuffer(m), s),
      finish: (n) => {
        if (n > 0) {
          storeValue(c, dkey, out);
          c.reply.int(n);
          notify(c, 'zrangestore', dkey, 'z');
          c.server.dirty(1);
        } else {
          c.reply.int(0);
          deleteDestination(c, dkey);
        }
      },
    };
  } else {
    const nested = withscores && c.resp === 3;
    const d = c.reply.deferred();
    sink = {
      emit: (m, s) => replyPair(c, m, s, withscores, nested),
      finish: (n) => c.reply.setArrayLen(d, withscores && c.resp === 2 ? n * 2 : n),
    };
  }
  if (v === undefined) {
    sink.finish(0);
    return;
  }
  const z = v as ZSetValue;
  let count = 0;
  let emit = (m: BulkValue, s: number): void => {
    count++;
    sink.emit(m, s);
  };
  // Plain member replies written by the container itself where it can (ZSetValue.writingTo): no JS string per member.
  if (!dst && !withscores && z.writingTo && c.reply === c.writer) {
    emit = NO_VISIT;
    count = z.writingTo(c.writer, () => visitRange(z));
  } else visitRange(z);
  sink.finish(count);

  function visitRange(z: ZSetValue): void {
    if (rangeType === RangeType.RANK) {
      const llen = z.size;
      if (start < 0) start = llen + start;
      if (end < 0) end = llen + end;
      if (start < 0) start = 0;
      if (!(start > end || start >= llen)) {
        if (end >= llen) end = llen - 1;
        z.rangeByRank(start, end, reverse, emit);
      }
    } else if (rangeType === RangeType.SCORE) {
      // Offset: negative walks off the end (empty); past the size is empty too.
      if (offset >= 0 && !(offset > 0 && offset >= z.size)) z.rangeByScore(scoreRange!, reverse, offset, limit < 0 ? -1 : limit, emit);
    } else {
      if (offset >= 0) z.rangeByLex(lexRange!, reverse, offset, limit < 0 ? -1 : limit, emit);
    }
  }
}

const NO_VISIT = (): void => undefined;

function zrange(c: Client, argv: Buffer[]): void {
  zrangeGeneric(c, argv, 1, null, RangeType.AUTO, Dir.AUTO);
}
function zrangestore(c: Client, argv: Buffer[]): void {
  zrangeGeneric(c, argv, 2, argv[1], RangeType.AUTO, Dir.AUTO);
}
function zrevrange(c: Client, argv: Buffer[]): void {
  zrangeGeneric(c, argv, 1, null, RangeType.RANK, Dir.REVERSE);
}
function zrangebyscore(c: Client, argv: Buffer[]): void {
  zrangeGeneric(c, argv, 1, null, RangeType.SCORE, Dir.FORWARD);
}
function zrevrangebyscore(c: Client, argv: Buffer[]): void {
  zrangeGeneric(c, argv, 1, null, RangeType.SCORE, Dir.REVERSE);
}
function zrangebylex(c: Client, argv: Buffer[]): void {
  zrangeGeneric(c, argv, 1, null, RangeType.LEX, Dir.FORWARD);
}
function zrevrangebylex(c: Client, argv: Buffer[]): void {
  zrangeGeneric(c, argv, 1, null, RangeType.LEX, Dir.REVERSE);
}

// ---------------------------------------------------------------------------------------------
// ZREMRANGEBYRANK / SCORE / LEX

function zremrangeGeneric(c: Client, argv: Buffer[], type: RangeType): void {
  const key = argv[1];
  let start = 0,
    end = 0;
  let scoreRange: ScoreRange | null = null;
  let lexRange: LexRange | null = null;
  let event: string;
  if (type === RangeType.RANK) {
    event = 'zremrangebyrank';
    start = intArg(argv[2]);
    end = intArg(argv[3]);
  } else if (type === RangeType.SCORE) {
    event = 'zremrangebyscore';
    scoreRange = parseScoreRange(argv[2], argv[3]);
  } else {
    event = 'zremrangebylex';
    lexRange = parseLexRange(argv[2], argv[3]);
  }
  const z = lookupWrite(c, key, 'zset');
  if (z === undefined) {
    c.reply.int(0);
    return;
  }
  const victims: Buffer[] = [];
  const collect = (m: BulkValue): void => void victims.push(toBuffer(m));
  if (type === RangeType.RANK) {
    const llen = z.size;
    if (start < 0) start = llen + start;
    if (end < 0) end = llen + end;
    if (start < 0) start = 0;
    if (start > end || start >= llen) {
      c.reply.int(0);
      return;
    }
    if (end >= llen) end = llen - 1;
    z.rangeByRank(start, end, false, collect);
  } else if (type === RangeType.SCORE) z.rangeByScore(scoreRange!, false, 0, -1, collect);
  else z.rangeByLex(lexRange!, false, 0, -1, collect);
  for (const m of victims) z.delete(m);
  const deleted = victims.length;
  let keyRemoved = false;
  if (z.size === 0) {
    c.db.delete(key);
    keyRemoved = true;
  }
  if (deleted) {
    signalModified(c, key);
    notify(c, event, key, 'z');
    if (keyRemoved) notify(c, 'del', key, 'g');
  }
  c.server.dirty(deleted);
  c.reply.int(deleted);
}

function zremrangebyrank(c: Client, argv: Buffer[]): void {
  zremrangeGeneric(c, argv, RangeType.RANK);
}
function zremrangebyscore(c: Client, argv: Buffer[]): void {
  zremrangeGeneric(c, argv, RangeType.SCORE);
}
function zremrangebylex(c: Client, argv: Buffer[]): void {
  zremrangeGeneric(c, argv, RangeType.LEX);
}

// ---------------------------------------------------------------------------------------------
// Pops (genericZpopCommand) and blocking pops

const enum Where {
  MIN,
  MAX,
}

/**
 * genericZpopCommand. `count` -1 = plain single pop. `nested`: member/score pairs as 2-arrays;
 * `emitKey`: the key name leads the reply. Returns false (nothing written) only when no key
 * holds a zset and `silentWhenEmpty` is set.
 */
/** How a pop is propagated: as sent (ZPOPMIN/ZPOPMAX), rewritten in place, or after a wake-up. */
const enum Replay {
  AS_SENT,
  REWRITE,
  SERVED,
}

/**
 * genericZpopCommand. BZPOPMIN/BZPOPMAX replay as ZPOPMIN/ZPOPMAX key, ZMPOP/BZMPOP (`nested`)
 * as ZPOPMIN/ZPOPMAX key <popped>, as Redis 7.0 rewrites them.
 */
/** genericZpop's holder for ZSetValue.popOne (reused: no allocation per element). */
const popped1: PoppedElement = { member: '', score: 0 };

function genericZpop(c: Client, keys: Buffer[], where: Where, emitKey: boolean, count: number, nested: boolean, nilWhenEmpty: boolean, replay = Replay.AS_SENT): void {
  let key: Buffer | null = null;
  let z: ZSetValue | undefined;
  for (const k of keys) {
    z = lookupWrite(c, k, 'zset');
    if (z !== undefined) {
      key = k;
      break;
    }
  }
  if (z === undefined || key === null) {
    if (nilWhenEmpty) c.reply.nilArray();
    else c.reply.array(0);
    return;
  }
  if (count === 0) {
    c.reply.array(0);
    return;
  }
  if (count === -1) count = 1;
  const llen = z.size;
  let rangelen = count > llen ? llen : count;
  if (!nested && !emitKey) c.reply.array(rangelen * 2);
  else if (nested && !emitKey) c.reply.array(rangelen);
  else if (!nested && emitKey) {
    c.reply.array(rangelen * 2 + 1);
    c.reply.bulk(key);
  } else {
    c.reply.array(2);
    c.reply.bulk(key);
    c.reply.array(rangelen);
  }
  const reverse = where === Where.MAX;
  let first = true;
  const popped = rangelen;
  while (rangelen-- > 0) {
    let m: BulkValue;
    let score = 0;
    if (z.popOne !== undefined) {
      // One engine call per element (wasm): no member Buffer made to delete it by name.
      z.popOne(reverse, popped1);
      m = popped1.member;
      score = popped1.score;
    } else {
      let member: Buffer | null = null;
      z.rangeByRank(0, 0, reverse, (mm, s) => {
        member = toBuffer(mm);
        score = s;
      });
      m = member as unknown as Buffer;
      z.delete(m as Buffer);
    }
    c.server.dirty(1);
    if (first) {
      notify(c, where === Where.MAX ? 'zpopmax' : 'zpopmin', key, 'z');
      signalModified(c, key);
      first = false;
    }
    if (nested) c.reply.array(2);
    c.reply.bulk(m);
    c.reply.double(score);
  }
  if (z.size === 0) {
    c.db.delete(key);
    notify(c, 'del', key, 'g');
  }
  if (replay !== Replay.AS_SENT && popped > 0) {
    const name = where === Where.MAX ? 'ZPOPMAX' : 'ZPOPMIN';
    if (nested) propagateEffect(c, replay === Replay.SERVED, name, key, popped);
    else propagateEffect(c, replay === Replay.SERVED, name, key);
  }
}

function zpopMinMax(c: Client, argv: Buffer[], where: Where): void {
  if (argv.length > 3) fail(SYNTAX);
  let count = -1;
  if (argv.length === 3) count = positiveIntArg(argv[2]);
  const nested = c.resp > 2 && count !== -1;
  genericZpop(c, [argv[1]], where, false, count, nested, false);
}

function zpopmin(c: Client, argv: Buffer[]): void {
  zpopMinMax(c, argv, Where.MIN);
}
function zpopmax(c: Client, argv: Buffer[]): void {
  zpopMinMax(c, argv, Where.MAX);
}

/** blockingGenericZpopCommand */
function blockingZpop(c: Client, keys: Buffer[], where: Where, timeoutArgv: Buffer, count: number, nested: boolean): void {
  const timeoutMs = timeoutArg(timeoutArgv, TimeoutUnit.SECONDS);
  for (const k of keys) {
    const z = lookupWrite(c, k, 'zset');
    if (z === undefined || z.size === 0) continue;
    genericZpop(c, [k], where, true, count, nested, nested, Replay.REWRITE);
    return;
  }
  if (!canBlock(c)) {
    c.reply.nilArray();
    return;
  }
  const waitKeys = keys.map((k) => Buffer.from(k));
  blockForKeys(c, waitKeys, timeoutMs, (ready) => {
    for (const i of readyOrder(waitKeys, ready)) {
      const k = waitKeys[i];
      const v = c.db.get(k);
      if (v === undefined || typeOfValue(v) !== 'zset' || (v as ZSetValue).size === 0) continue;
      genericZpop(c, [k], where, true, count, nested, nested, Replay.SERVED);
      return true;
    }
    return false;
  });
}

function bzpopmin(c: Client, argv: Buffer[]): void {
  blockingZpop(c, argv.slice(1, -1), Where.MIN, argv[argv.length - 1], -1, false);
}
function bzpopmax(c: Client, argv: Buffer[]): void {
  blockingZpop(c, argv.slice(1, -1), Where.MAX, argv[argv.length - 1], -1, false);
}

/** zmpopGenericCommand */
function zmpopGeneric(c: Client, argv: Buffer[], numkeysIdx: number, block: boolean): void {
  const numkeys = rangeIntArg(argv[numkeysIdx], 1n, LONG_MAX_N, 'numkeys should be greater than 0');
  const whereIdx = numkeysIdx + numkeys + 1;
  if (whereIdx >= argv.length) fail(SYNTAX);
  let where: Where;
  if (isWord(argv[whereIdx], 'min')) where = Where.MIN;
  else if (isWord(argv[whereIdx], 'max')) where = Where.MAX;
  else fail(SYNTAX);
  let count = -1;
  for (let j = whereIdx + 1; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (count === -1 && isWord(argv[j], 'count') && more) {
      j++;
      count = rangeIntArg(argv[j], 1n, LONG_MAX_N, 'count should be greater than 0');
    } else fail(SYNTAX);
  }
  if (count === -1) count = 1;
  const keys = argv.slice(numkeysIdx + 1, numkeysIdx + 1 + numkeys);
  if (block) blockingZpop(c, keys, where, argv[1], count, true);
  else genericZpop(c, keys, where, true, count, true, true, Replay.REWRITE);
}

function zmpop(c: Client, argv: Buffer[]): void {
  zmpopGeneric(c, argv, 1, false);
}
function bzmpop(c: Client, argv: Buffer[]): void {
  zmpopGeneric(c, argv, 2, true);
}

// ---------------------------------------------------------------------------------------------
// ZRANDMEMBER

const LONG_MAX = 9223372036854775807n;

function randomPick(z: ZSetValue): [BulkValue, number] {
  const i = Math.floor(Math.random() * z.size);
  let out: [BulkValue, number] = ['', 0];
  z.rangeByRank(i, i, false, (m, s) => (out = [m, s]));
  return out;
}

function zrandmember(c: Client, argv: Buffer[]): void {
  if (argv.length >= 3) {
    const exact = parseInt64Exact(argv[2]);
    if (exact === null) fail(NOT_INT);
    if (BigInt(exact) < -LONG_MAX) fail('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807');
    if (argv.length > 4 || (argv.length === 4 && !isWord(argv[3], 'withscores'))) fail(SYNTAX);
    const withscores = argv.length === 4;
    if (withscores && BigInt(exact) < -(LONG_MAX / 2n)) fail(VALUE_OUT_OF_RANGE);
    zrandmemberWithCount(c, argv[1], Number(exact), withscores);
    return;
  }
  const z = lookupRead(c, argv[1], 'zset');
  if (z === undefined) {
    c.reply.nil();
    return;
  }
  c.reply.bulk(randomPick(z)[0]);
}

function zrandmemberWithCount(c: Client, key: Buffer, l: number, withscores: boolean): void {
  const z = lookupRead(c, key, 'zset');
  if (z === undefined) {
    c.reply.array(0);
    return;
  }
  const size = z.size;
  const uniq = l >= 0;
  const count = Math.abs(l);
  if (count === 0) {
    c.reply.array(0);
    return;
  }
  const nested = withscores && c.resp === 3;
  if (!uniq || count === 1) {
    if (count * (withscores ? 2 : 1) > MAX_REPLY_ELEMENTS) fail(VALUE_OUT_OF_RANGE);
    c.reply.array(withscores && c.resp === 2 ? count * 2 : count);
    for (let i = 0; i < count; i++) {
      const [m, s] = randomPick(z);
      replyPair(c, m, s, withscores, nested);
    }
    return;
  }
  const replySize = count < size ? count : size;
  c.reply.array(withscores && c.resp === 2 ? replySize * 2 : replySize);
  if (count >= size) {
    // zuiNext walks from the tail.
    z.rangeByRank(0, size - 1, true, (m, s) => replyPair(c, m, s, withscores, nested));
    return;
  }
  // Pick `count` distinct ranks (CASE 3 removes from the whole set, CASE 4 samples until enough).
  const ranks = new Set<number>();
  if (count * 3 > size) {
    const all: number[] = [];
    for (let i = 0; i < size; i++) all.push(i);
    for (let n = size; n > count; n--) {
      const j = Math.floor(Math.random() * n);
      all[j] = all[n - 1];
    }
    for (let i = 0; i < count; i++) ranks.add(all[i]);
  } else {
    while (ranks.size < count) ranks.add(Math.floor(Math.random() * size));
  }
  for (const r of ranks) z.rangeByRank(r, r, false, (m, s) => replyPair(c, m, s, withscores, nested));
}

// ---------------------------------------------------------------------------------------------
// ZUNION / ZINTER / ZDIFF (+STORE), ZINTERCARD

const enum SetOp {
  UNION,
  INTER,
  DIFF,
}
const enum Aggr {
  SUM,
  MIN,
  MAX,
}

interface OpSrc {
  value: ZSetValue | SetValue | null;
  weight: number;
}

function srcSize(s: OpSrc): number {
  return s.value === null ? 0 : s.value.size;
}

function srcForEach(s: OpSrc, visit: (m: string, score: number) => void): void {
  const v = s.value;
  if (v === null) return;
  if (v.type === 'zset') v.forEach((m, sc) => visit(latin1(m), sc));
  else v.forEach((m) => visit(latin1(m), 1));
}

function srcFind(s: OpSrc, m: string): number | undefined {
  const v = s.value;
  if (v === null) return undefined;
  const b = Buffer.from(m, 'latin1');
  if (v.type === 'zset') return v.score(b);
  return v.has(b) ? 1 : undefined;
}

function aggregate(target: number, val: number, aggr: Aggr): number {
  if (aggr === Aggr.SUM) {
    const r = target + val;
    return Number.isNaN(r) ? 0 : r;
  }
  if (aggr === Aggr.MIN) return val < target ? val : target;
  return val > target ? val : target;
}

function zsetOpGeneric(c: Client, argv: Buffer[], dst: Buffer | null, numkeysIdx: number, op: SetOp, cardinalityOnly: boolean): void {
  const setnum = intArg(argv[numkeysIdx]);
  if (setnum < 1) fail(`ERR at least 1 input key is needed for '${c.cmd!.fullname}' command`);
  if (setnum > argv.length - (numkeysIdx + 1)) fail(SYNTAX);
  const src: OpSrc[] = [];
  let j = numkeysIdx + 1;
  for (let i = 0; i < setnum; i++, j++) {
    const v = lookupRead(c, argv[j]);
    if (v !== undefined) {
      const t = typeOfValue(v);
      if (t !== 'zset' && t !== 'set') fail(WRONGTYPE);
      src.push({ value: v as ZSetValue | SetValue, weight: 1 });
    } else src.push({ value: null, weight: 1 });
  }
  let aggr = Aggr.SUM;
  let withscores = false;
  let limit = 0;
  let remaining = argv.length - j;
  while (remaining > 0) {
    const a = argv[j];
    if (op !== SetOp.DIFF && !cardinalityOnly && remaining >= setnum + 1 && isWord(a, 'weights')) {
      j++;
      remaining--;
      for (let i = 0; i < setnum; i++, j++, remaining--) src[i].weight = floatArg(argv[j], 'ERR weight value is not a float');
    } else if (op !== SetOp.DIFF && !cardinalityOnly && remaining >= 2 && isWord(a, 'aggregate')) {
      j++;
      remaining--;
      const b = argv[j];
      if (isWord(b, 'sum')) aggr = Aggr.SUM;
      else if (isWord(b, 'min')) aggr = Aggr.MIN;
      else if (isWord(b, 'max')) aggr = Aggr.MAX;
      else fail(SYNTAX);
      j++;
      remaining--;
    } else if (remaining >= 1 && !dst && !cardinalityOnly && isWord(a, 'withscores')) {
      j++;
      remaining--;
      withscores = true;
    } else if (cardinalityOnly && remaining >= 2 && isWord(a, 'limit')) {
      j++;
      remaining--;
      const n = parseInt64(argv[j]);
      if (Number.isNaN(n) || n < 0) fail("ERR LIMIT can't be negative");
      limit = n;
      j++;
      remaining--;
    } else fail(SYNTAX);
  }
  // Smallest first (stable, as glibc's merge-sort qsort).
  if (op !== SetOp.DIFF) src.sort((a, b) => srcSize(a) - srcSize(b));

  const result = new Map<string, number>();
  let cardinality = 0;
  if (op === SetOp.INTER) {
    if (srcSize(src[0]) > 0) {
      // Collect first: visitors must not run lookups into the set being iterated on every engine.
      const first: [string, number][] = [];
      srcForEach(src[0], (m, s) => void first.push([m, s]));
      for (const [m, s0] of first) {
        let score = src[0].weight * s0;
        if (Number.isNaN(score)) score = 0;
        let k = 1;
        for (; k < setnum; k++) {
          let value: number | undefined;
          if (src[k].value === src[0].value) value = s0;
          else value = srcFind(src[k], m);
          if (value === undefined) break;
          score = aggregate(score, value * src[k].weight, aggr);
        }
        if (k === setnum) {
          if (cardinalityOnly) {
            cardinality++;
            if (limit && cardinality >= limit) break;
          } else result.set(m, score);
        }
      }
    }
  } else if (op === SetOp.UNION) {
    for (const s of src) {
      srcForEach(s, (m, sc) => {
        let score = s.weight * sc;
        if (Number.isNaN(score)) score = 0;
        const cur = result.get(m);
        result.set(m, cur === undefined ? score : aggregate(cur, score, aggr));
      });
    }
  } else {
    if (srcSize(src[0]) > 0) {
      let same = false;
      for (let k = 1; k < setnum; k++) if (src[k].value === src[0].value) same = true;
      if (!same) {
        srcForEach(src[0], (m, sc) => {
          for (let k = 1; k < setnum; k++) if (srcFind(src[k], m) !== undefined) return;
          result.set(m, sc);
        });
      }
    }
  }

  if (cardinalityOnly) {
    c.reply.int(cardinality);
    return;
  }
  const sorted = [...result.entries()].sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  if (dst) {
    if (sorted.length > 0) {
      const z = c.server.engine.newZSet();
      for (const [m, s] of sorted) addScore(c, z, Buffer.from(m, 'latin1'), s);
      storeValue(c, dst, z);
      c.reply.int(sorted.length);
      notify(c, op === SetOp.UNION ? 'zunionstore' : op === SetOp.INTER ? 'zinterstore' : 'zdiffstore', dst, 'z');
      c.server.dirty(1);
    } else {
      c.reply.int(0);
      deleteDestination(c, dst);
    }
    return;
  }
  const nested = withscores && c.resp === 3;
  c.reply.array(withscores && c.resp === 2 ? sorted.length * 2 : sorted.length);
  for (const [m, s] of sorted) replyPair(c, m, s, withscores, nested);
}

function zunionstore(c: Client, argv: Buffer[]): void {
  zsetOpGeneric(c, argv, argv[1], 2, SetOp.UNION, false);
}
function zinterstore(c: Client, argv: Buffer[]): void {
  zsetOpGeneric(c, argv, argv[1], 2, SetOp.INTER, false);
}
function zdiffstore(c: Client, argv: Buffer[]): void {
  zsetOpGeneric(c, argv, argv[1], 2, SetOp.DIFF, false);
}
function zunion(c: Client, argv: Buffer[]): void {
  zsetOpGeneric(c, argv, null, 1, SetOp.UNION, false);
}
function zinter(c: Client, argv: Buffer[]): void {
  zsetOpGeneric(c, argv, null, 1, SetOp.INTER, false);
}
function zdiff(c: Client, argv: Buffer[]): void {
  zsetOpGeneric(c, argv, null, 1, SetOp.DIFF, false);
}
function zintercard(c: Client, argv: Buffer[]): void {
  zsetOpGeneric(c, argv, null, 1, SetOp.INTER, true);
}

// ---------------------------------------------------------------------------------------------
// ZSCAN

function zscan(c: Client, argv: Buffer[]): void {
  const cursor = cursorArg(argv[2]);
  const z = lookupRead(c, argv[1], 'zset');
  if (z === undefined) {
    replyScan(c, 0, []);
    return;
  }
  const opts = scanOptionsArg(argv, 3, false);
  const out: [BulkValue, number][] = [];
  let next = 0;
  if (z.encoding(encodingLimits(c.server.config)) === 'skiplist') next = z.scan(cursor, opts.count, (m, s) => void out.push([m, s]));
  else z.rangeByRank(0, z.size - 1, false, (m, s) => void out.push([m, s]));
  const engine = c.server.engine;
  const keep = opts.pattern ? out.filter(([m]) => engine.globMatch(opts.pattern!, m, false)) : out;
  replyScan(c, next, keep.flatMap(([m, s]) => [m, formatDouble(s)]));
}

// ---------------------------------------------------------------------------------------------

export const commands: CommandRow[] = [
  { name: 'zadd', handler: zadd },
  { name: 'zincrby', handler: zincrby },
  { name: 'zrem', handler: zrem },
  { name: 'zcard', handler: zcard },
  { name: 'zscore', handler: zscore },
  { name: 'zmscore', handler: zmscore },
  { name: 'zrank', handler: (c, a) => zrankGeneric(c, a, false) },
  { name: 'zrevrank', handler: (c, a) => zrankGeneric(c, a, true) },
  { name: 'zcount', handler: zcount },
  { name: 'zlexcount', handler: zlexcount },
  { name: 'zrange', handler: zrange },
  { name: 'zrangestore', handler: zrangestore },
  { name: 'zrevrange', handler: zrevrange },
  { name: 'zrangebyscore', handler: zrangebyscore },
  { name: 'zrevrangebyscore', handler: zrevrangebyscore },
  { name: 'zrangebylex', handler: zrangebylex },
  { name: 'zrevrangebylex', handler: zrevrangebylex },
  { name: 'zremrangebyrank', handler: zremrangebyrank },
  { name: 'zremrangebyscore', handler: zremrangebyscore },
  { name: 'zremrangebylex', handler: zremrangebylex },
  { name: 'zpopmin', handler: zpopmin },
  { name: 'zpopmax', handler: zpopmax },
  { name: 'bzpopmin', handler: bzpopmin },
  { name: 'bzpopmax', handler: bzpopmax },
  { name: 'zmpop', handler: zmpop },
  { name: 'bzmpop', handler: bzmpop },
  { name: 'zrandmember', handler: zrandmember },
  { name: 'zunionstore', handler: zunionstore },
  { name: 'zinterstore', handler: zinterstore },
  { name: 'zdiffstore', handler: zdiffstore },
  { name: 'zunion', handler: zunion },
  { name: 'zinter', handler: zinter },
  { name: 'zdiff', handler: zdiff },
  { name: 'zintercard', handler: zintercard },
  { name: 'zscan', handler: zscan },
];
