/*
 * lane.ts -- the fast lane: a pipelined run of simple collection commands executed inside linear
 * memory, without a JavaScript call per command.
 *
 * JS (src/server/lane.ts) copies a client's unparsed input to the scratch region and calls
 * laneRun only when nothing a command could trigger needs JavaScript (no keyspace events, WATCH,
 * tracking, blocked clients, MONITOR, AOF, maxmemory, snapshot in progress, ACL limits...: the
 * conditions are listed there). laneRun reads complete RESP multibulk frames one by one and runs
 * each one that is, byte for byte, a form it serves:
 *   LPUSH/RPUSH key element [element ...]   on an existing list
 *   LPOP/RPOP key                           on a list of 2 or more elements, or a missing key
 *   SADD key member [member ...]            on an existing set
 *   HSET key field value [field value ...]  on an existing hash, every field and value within
 *                                           hash-max-listpack-value
 *   SPOP key                                on a set of 2 or more members, or a missing key
 *   GETBIT key offset                       on a string or a missing key, the offset a plain
 *                                           decimal below proto-max-bulk-len * 8
 *   PFADD key element [element ...]         on a dense HyperLogLog
 *   ZADD key score member [score member...] on an existing sorted set, every score an integer
 *                                           written as plain digits (an optional '-', leading
 *                                           zeros allowed as strtod reads them; not -0)
 *   ZPOPMIN/ZPOPMAX key                     on a sorted set of 2 or more members (whose score
 *                                           prints as an integer or through dtoa17.ts fmt17),
 *                                           or a missing key
 *   LRANGE/ZRANGE key start stop            plain integers (ZRANGE without options)
 *   SMEMBERS key, HGETALL key               on a value of that type or a missing key
 *   GET key                                 a string of up to LANE_MAX_BULK bytes or a missing key
 *   SET key value                           the plain form, over a string or a missing key, the
 *                                           value within maxvalue-bytes (when set)
 *   INCR/DECR key, INCRBY/DECRBY key n      an integer string or a missing key, n a plain
 *                                           integer, the result within 2^53 (keyspace.ts dbIncrBy)
 * Its replies (what the command handlers in src/commands write for the same frames) go to the out
 * buffer. It stops before the first frame it does not serve -- incomplete, another command or
 * form, a key missing where the handler would create it, of another type, expired, or a change
 * with side effects JS owns (a pop that empties a list deletes the key) -- leaving that frame
 * untouched, and reports how many input bytes it consumed: JS runs the stopped frame on the
 * general path (which gives Redis's errors) and may call laneRun again after it.
 *
 * The frames it accepts are a subset of what the request parser accepts (protocol/parser.ts):
 * counts and lengths are plain decimals without sign or leading zero, at most LANE_MAX_ARGS
 * arguments and LANE_MAX_BULK bytes each; anything else is left to the parser.
 *
 * Stats for JS (the block at laneStats(), offsets in src/engine/wasm/abi.ts): commands run per
 * lane id, the reads' keyspace hits and misses, whether it stopped at a frame cut by the end of
 * the input (LS_INCOMPLETE: the caller may pass more), the dirty count (elements pushed or popped, members and fields added or set, as the
 * handlers count them; SETBIT and BITFIELD 1 when a bit changed or the value grew), the last command's id, and in LS_OOM the id of a last frame that ran out
 * of memory part-way (SADD/HSET keep what they added, as their general path does): that frame is
 * consumed and not counted, and JS answers it with the OOM error. A failure that changed nothing
 * (a push is taken back whole) just stops the lane: the general path meets the OOM itself.
 *
 * Complexity: O(input bytes) for the parse, plus each command's own cost (list.ts, set.ts, hash.ts).
 */
import { arenaLimit, arenaUsed } from './arena';
import { findNativeAt, keyPresentAt, prefetchAt, stringAt, setStringAt, incrByAt, expiredAt, editStringAt } from './keyspace';
import { outReserve, outCommit, outReset, outKeepReplies, outLength, outTruncate } from './io';
import { NC_COUNT, NK_LIST, NK_SET, NK_HASH, NK_ZSET, outBulk, writeU32, writeU64 } from './native';
import { lPushAt, lUnpush, lPopAppend, lReserve, lReserveDone, lEntrySize, lRange } from './list';
import { sAddAt, sRandom, sDeleteAt, sResp } from './set';
import { hSetAt, hResp } from './hash';
import { hllDenseAdd } from './hyperloglog';
import { addAt, znPopWith, znRangeResp } from './zsetpack';
import { fmt17 } from './dtoa17';
import {
  LANE_LPUSH, LANE_RPUSH, LANE_LPOP, LANE_RPOP, LANE_SADD, LANE_HSET, LANE_SPOP, LANE_GETBIT, LANE_STATS_BYTES,
  LANE_PFADD, LANE_ZADD, LANE_ZPOPMIN, LANE_ZPOPMAX, LANE_LRANGE, LANE_ZRANGE, LANE_SMEMBERS, LANE_HGETALL, LANE_GET, LANE_SET, LANE_INCR, LANE_DECR, LANE_INCRBY, LANE_DECRBY, LANE_SETBIT, LANE_BITFIELD, LS_DIRTY, LS_INCOMPLETE, LS_LAST, LS_OOM, LS_CMDS, LS_HITS, LS_MISSES, LANE_RESP3, LANE_PREFETCH, LANE_NO_STRING_EDIT,
  R_PTR, R_LEN, R_F64, R_MISC, ST_MISSING, ST_STRING, VLEN_HANDLE,
} from '../src/engine/wasm/abi';
import { RES } from './io';

const LANE_MAX_ARGS: u32 = 64;
/** A dense HyperLogLog's length: 16-byte header, 16384 six-bit registers. */
const HLL_DENSE_SIZE: u32 = 12304;
const LANE_MAX_BULK: u32 = 65536;
/**
 * Reply bytes after which a run stops (before its next frame): the out buffer stays small, and
 * the caller's next call goes on from there.
 */
const LANE_MAX_OUT: u32 = 1 << 20;
/** Commands between two prefetch hints (keyspace.ts prefetchAt looks this many ahead). */
const PREFETCH_EVERY: u32 = 16;

const stats: usize = memory.data(LANE_STATS_BYTES, 8);
const argP: usize = memory.data(LANE_MAX_ARGS * 4, 4);
const argL: usize = memory.data(LANE_MAX_ARGS * 4, 4);
/** End of the number parsed by lineInt (the byte after its LF). */
let lineNext: u32 = 0;
/** lineInt failed because the input ended before the line did. */
let lineShort: bool = false;

export function laneStats(): u32 {
  return <u32>stats;
}

/**
 * A decimal of 1 to maxDigits digits (no sign, no leading zero unless it is "0") at p, followed
 * by CR LF before end: its value, with lineNext after the LF; -1 otherwise.
 */
function lineInt(p: u32, end: u32, maxDigits: u32): i32 {
  lineShort = false;
  let v: u32 = 0;
  let i = p;
  while (i < end) {
    const c = <u32>load<u8>(i);
    if (c == 13) break;
    if (c < 48 || c > 57 || i - p >= maxDigits || (i > p && v == 0)) return -1;
    v = v * 10 + (c - 48);
    i++;
  }
  if (i + 1 >= end) {
    lineShort = true;
    return -1;
  }
  if (i == p || load<u8>(i + 1) != 10) return -1;
  lineNext = i + 2;
  return <i32>v;
}

/** argv[0] is `name` (lower case letters), whatever the case it was sent in. */
function nameIs(p: u32, len: u32, name: string): bool {
  if (len != <u32>name.length) return false;
  for (let i: u32 = 0; i < len; i++) {
    if ((<u32>load<u8>(p + i) | 0x20) != <u32>name.charCodeAt(i)) return false;
  }
  return true;
}

/** The lane id of argv[0], 0 when the lane does not run it. */
function laneId(p: u32, len: u32): u32 {
  if (len == 3) {
    if (nameIs(p, len, 'get')) return LANE_GET;
    if (nameIs(p, len, 'set')) return LANE_SET;
  } else if (len == 4) {
    if (nameIs(p, len, 'sadd')) return LANE_SADD;
    if (nameIs(p, len, 'hset')) return LANE_HSET;
    if (nameIs(p, len, 'lpop')) return LANE_LPOP;
    if (nameIs(p, len, 'rpop')) return LANE_RPOP;
    if (nameIs(p, len, 'spop')) return LANE_SPOP;
    if (nameIs(p, len, 'zadd')) return LANE_ZADD;
    if (nameIs(p, len, 'incr')) return LANE_INCR;
    if (nameIs(p, len, 'decr')) return LANE_DECR;
  } else if (len == 5) {
    if (nameIs(p, len, 'pfadd')) return LANE_PFADD;
    if (nameIs(p, len, 'lpush')) return LANE_LPUSH;
    if (nameIs(p, len, 'rpush')) return LANE_RPUSH;
  } else if (len == 6) {
    if (nameIs(p, len, 'getbit')) return LANE_GETBIT;
    if (nameIs(p, len, 'lrange')) return LANE_LRANGE;
    if (nameIs(p, len, 'incrby')) return LANE_INCRBY;
    if (nameIs(p, len, 'decrby')) return LANE_DECRBY;
    if (nameIs(p, len, 'zrange')) return LANE_ZRANGE;
    if (nameIs(p, len, 'setbit')) return LANE_SETBIT;
  } else if (len == 7) {
    if (nameIs(p, len, 'zpopmin')) return LANE_ZPOPMIN;
    if (nameIs(p, len, 'zpopmax')) return LANE_ZPOPMAX;
    if (nameIs(p, len, 'hgetall')) return LANE_HGETALL;
  } else if (len == 8) {
    if (nameIs(p, len, 'smembers')) return LANE_SMEMBERS;
    if (nameIs(p, len, 'bitfield')) return LANE_BITFIELD;
  }
  return 0;
}

/** A GETBIT offset: 1 to 10 digits, no sign or leading zero (else -1: the general path decides). */
function bitOffset(p: u32, len: u32): i64 {
  if (len == 0 || len > 10 || (len > 1 && load<u8>(p) == 48)) return -1;
  let v: i64 = 0;
  for (let i: u32 = 0; i < len; i++) {
    const c = <u32>load<u8>(p + i);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + <i64>(c - 48);
  }
  return v;
}

/** BITFIELD's operations (bitfieldArgs). */
const BF_GET: i32 = 0;
const BF_SET: i32 = 1;
const BF_INCRBY: i32 = 2;
/** bitfieldArgs' results: the field's width, signedness, bit offset, and SET/INCRBY value. */
let bfBits: u32 = 0;
let bfSigned: bool = false;
let bfOffset: i64 = 0;
let bfValue: i64 = 0;

/**
 * BITFIELD key GET type offset / SET|INCRBY type offset value (n arguments) in the form the lane
 * serves: one operation (so OVERFLOW WRAP, the default), the subcommand in any case, the type u1..u32
 * or i1..i32 (one or two digits, no leading zero: wider fields are the general path's BigInt
 * arithmetic), the offset a plain decimal of up to 10 digits, or '#' and one (times the width),
 * below proto-max-bulk-len bytes; the value a plain integer (rangeArg's form) of up to 15 digits
 * (within 2^52: bitfieldGeneric's numeric path), not negative for an unsigned SET (C reads that as
 * a uint64). The operation (BF_*) with bf* set, or -1: the general path parses it.
 */
function bitfieldArgs(n: u32, maxBulkLen: f64): i32 {
  if (n != 5 && n != 6) return -1;
  const sp = load<u32>(argP + 8);
  const sl = load<u32>(argL + 8);
  let op: i32 = -1;
  if (n == 5 && nameIs(sp, sl, 'get')) op = BF_GET;
  else if (n == 6 && nameIs(sp, sl, 'set')) op = BF_SET;
  else if (n == 6 && nameIs(sp, sl, 'incrby')) op = BF_INCRBY;
  if (op < 0) return -1;
  // The type: 'i' or 'u' (case-sensitive, as getBitfieldTypeFromArgument), 1 to 32.
  const tp = load<u32>(argP + 12);
  const tl = load<u32>(argL + 12);
  if (tl < 2 || tl > 3) return -1;
  const t0 = <u32>load<u8>(tp);
  if (t0 != 105 && t0 != 117) return -1;
  const d1 = <u32>load<u8>(tp + 1) - 48;
  if (d1 < 1 || d1 > 9) return -1;
  let bits = d1;
  if (tl == 3) {
    const d2 = <u32>load<u8>(tp + 2) - 48;
    if (d2 > 9) return -1;
    bits = bits * 10 + d2;
  }
  if (bits > 32) return -1;
  bfBits = bits;
  bfSigned = t0 == 105;
  // The offset: n, or #n meaning n * bits (getBitOffsetFromArgument).
  let op_ = load<u32>(argP + 16);
  let ol = load<u32>(argL + 16);
  const hash = ol > 0 && load<u8>(op_) == 35;
  if (hash) {
    op_++;
    ol--;
  }
  const off = bitOffset(op_, ol);
  if (off < 0) return -1;
  bfOffset = hash ? off * <i64>bits : off;
  if (<f64>(bfOffset >> 3) >= maxBulkLen) return -1;
  if (op != BF_GET) {
    const vp = load<u32>(argP + 20);
    const vl = load<u32>(argL + 20);
    if (vl > 16 || !rangeArg(vp, vl) || (vl > 15 && load<u8>(vp) != 45)) return -1;
    if (op == BF_SET && !bfSigned && rangeV < 0) return -1;
    bfValue = rangeV;
  }
  return op;
}

/** The bits [off, off + bits) (bits <= 32) of the `len` bytes at v, read as unsigned; bytes past len read as zero. */
function bitsGet(v: u32, len: u32, off: i64, bits: u32): u64 {
  const first = <u32>(off >> 3);
  const skip = <u32>(off & 7);
  const nbytes = (skip + bits + 7) >> 3;
  let acc: u64 = 0;
  for (let k: u32 = 0; k < nbytes; k++) acc = (acc << 8) | (first + k < len ? <u64>load<u8>(v + first + k) : 0);
  return (acc >> <u64>(nbytes * 8 - skip - bits)) & ((<u64>1 << <u64>bits) - 1);
}

/** Write the low `bits` bits of u at bit offset off of the value at v (long enough). */
function bitsSet(v: u32, off: i64, bits: u32, u: u64): void {
  const first = v + <u32>(off >> 3);
  const skip = <u32>(off & 7);
  const nbytes = (skip + bits + 7) >> 3;
  let acc: u64 = 0;
  for (let k: u32 = 0; k < nbytes; k++) acc = (acc << 8) | <u64>load<u8>(first + k);
  const shift = <u64>(nbytes * 8 - skip - bits);
  const mask = ((<u64>1 << <u64>bits) - 1) << shift;
  acc = (acc & ~mask) | ((u << shift) & mask);
  for (let k: i32 = <i32>nbytes - 1; k >= 0; k--) {
    store<u8>(first + <u32>k, <u8>acc);
    acc >>= 8;
  }
}

/** The unsigned field u (bits wide) as bfSigned reads it. */
function fieldValue(u: u64, bits: u32): i64 {
  return bfSigned && (u >> <u64>(bits - 1)) != 0 ? <i64>u - (<i64>1 << <i64>bits) : <i64>u;
}

/** intScore's value. */
let scoreValue: f64 = 0;

/**
 * A ZADD score that is an integer in plain digits: an optional '-', then 1 to 15 digits (leading
 * zeros allowed, as strtod reads them), not a negative zero. Sets scoreValue and returns len;
 * anything else returns a different number (the general path parses it).
 */
function intScore(p: u32, len: u32): u32 {
  let i: u32 = 0;
  const neg = len > 0 && load<u8>(p) == 45;
  if (neg) i = 1;
  if (len == i || len - i > 15) return 0;
  let v: f64 = 0;
  for (; i < len; i++) {
    const c = <u32>load<u8>(p + i);
    if (c < 48 || c > 57) return 0;
    v = v * 10 + <f64>(c - 48);
  }
  if (neg && v == 0) return 0;
  scoreValue = neg ? -v : v;
  return len;
}

/** The protocol emitPopped writes for. */
let popResp3: bool = false;
const SCORE_TEXT: usize = memory.data(32);

/**
 * ZPOPMIN/ZPOPMAX's reply for one element: `*2`, the member, the score as %.17g prints it (RESP2
 * bulk, RESP3 double). False, with nothing written, for a score this file does not print (-0,
 * an exact tie fmt17 leaves to JS, a huge or tiny one): the lane stops and the pop is not made.
 */
function emitPopped(score: f64, mp: u32, ml: u32): bool {
  let sl: u32;
  const a = Math.abs(score);
  if (Math.floor(a) == a && a < 9007199254740992.0) {
    if (score == 0 && (reinterpret<u64>(score) >> 63) != 0) return false; // -0
    let p = <u32>SCORE_TEXT;
    if (score < 0) store<u8>(p++, 45);
    sl = p - <u32>SCORE_TEXT + writeU64(p, <u64>a);
  } else {
    const r = fmt17(score, SCORE_TEXT);
    if (r < 0) return false;
    sl = <u32>r;
  }
  // Room for the whole reply first: the writes below then cannot fail half-way.
  if (outReserve(ml + sl + 64) == 0) return false;
  outHeader(42 /* '*' */, 2);
  outBulk(mp, ml);
  if (!popResp3) {
    outBulk(SCORE_TEXT, sl);
  } else {
    const w = outReserve(sl + 3);
    store<u8>(w, 44); // ','
    memory.copy(w + 1, SCORE_TEXT, sl);
    store<u16>(w + 1 + sl, 0x0a0d);
    outCommit(sl + 3);
  }
  return true;
}

/** rangeArg's value. */
let rangeV: i64 = 0;

/** A plain integer as string2ll reads it (optional '-', no '+', no leading zero, not "-0"), 1 to 18 digits, into rangeV. */
function rangeArg(p: u32, len: u32): bool {
  let i: u32 = 0;
  const neg = len > 0 && load<u8>(p) == 45;
  if (neg) i = 1;
  if (len == i || len - i > 18) return false;
  if (load<u8>(p + i) == 48 && (len - i > 1 || neg)) return false;
  let v: i64 = 0;
  for (; i < len; i++) {
    const c = <u32>load<u8>(p + i);
    if (c < 48 || c > 57) return false;
    v = v * 10 + <i64>(c - 48);
  }
  rangeV = neg ? -v : v;
  return true;
}

/** An aggregate header: the type byte, then n. */
function outHeader(type: u32, n: u32): bool {
  const w = outReserve(16);
  if (w == 0) return false;
  store<u8>(w, <u8>type);
  const digits = writeU32(w + 1, n);
  store<u16>(w + 1 + digits, 0x0a0d);
  outCommit(digits + 3);
  return true;
}

/** `:n\r\n` of a signed n (within 2^53) to the out buffer. */
function outI64(n: i64): bool {
  const w = outReserve(24);
  if (w == 0) return false;
  store<u8>(w, 58); // ':'
  let o = w + 1;
  if (n < 0) store<u8>(o++, 45);
  o += writeU64(o, <u64>(n < 0 ? -n : n));
  store<u16>(o, 0x0a0d);
  outCommit(o + 2 - w);
  return true;
}

/** `:n\r\n` to the out buffer. */
function outInt(n: u32): bool {
  const w = outReserve(16);
  if (w == 0) return false;
  store<u8>(w, 58); // ':'
  const digits = writeU32(w + 1, n);
  store<u16>(w + 1 + digits, 0x0a0d);
  outCommit(digits + 3);
  return true;
}

/** The null bulk reply: `$-1` in RESP2, `_` in RESP3. */
function outNull(resp3: bool): bool {
  const w = outReserve(8);
  if (w == 0) return false;
  if (resp3) {
    store<u8>(w, 95); // '_'
    store<u16>(w + 1, 0x0a0d);
    outCommit(3);
  } else {
    store<u8>(w, 36); // '$'
    store<u8>(w + 1, 45); // '-'
    store<u8>(w + 2, 49); // '1'
    store<u16>(w + 3, 0x0a0d);
    outCommit(5);
  }
  return true;
}

/**
 * Run the frames at [base, base + len) (in the scratch region) on db (see the header). Returns the bytes
 * consumed; the replies are in the out buffer (reset first), the stats in the stats block.
 */
export function laneRun(db: u32, base: u32, len: u32, now: f64, flags: u32, maxIntset: u32, hashMaxValue: u32, hashMaxEntries: u32, maxBulkLen: f64, zsetMaxEntries: u32, zsetMaxValue: u32, maxValue: u32): u32 {
  memory.fill(stats, 0, LANE_STATS_BYTES);
  outReset();
  outKeepReplies(true);
  // Out-buffer length after the last frame run: a frame the lane gives up on part-way through its
  // reply leaves nothing behind (see the end).
  let done: u32 = 0;
  const end = base + len;
  const resp3 = (flags & LANE_RESP3) != 0;
  const prefetch = (flags & LANE_PREFETCH) != 0;
  let p = base;
  let ran: u32 = 0;
  let dirty: u32 = 0;
  let last: u32 = 0;
  let oomAt: u32 = 0;
  // The run stopped at a frame cut by the end of the input (the caller may have more of it).
  let incomplete = false;
  let hits: u32 = 0;
  let misses: u32 = 0;
  // (Past maxmemory, the next frame goes through the server, which evicts first: arenaLimit.)
  while (p < end && load<u8>(p) == 42 /* '*' */ && done < LANE_MAX_OUT && arenaUsed() <= arenaLimit()) {
    if (prefetch && ran % PREFETCH_EVERY == 0) prefetchAt(db, p, end - p, PREFETCH_EVERY);
    // The frame: every argument complete, or stop here.
    const argc = lineInt(p + 1, end, 2);
    if (argc < 2 || <u32>argc > LANE_MAX_ARGS) {
      incomplete = lineShort;
      break;
    }
    let q = lineNext;
    let i: u32 = 0;
    for (; i < <u32>argc; i++) {
      if (q >= end) {
        incomplete = true;
        break;
      }
      if (load<u8>(q) != 36 /* '$' */) break;
      const l = lineInt(q + 1, end, 5);
      if (l < 0 || <u32>l > LANE_MAX_BULK) {
        incomplete = lineShort;
        break;
      }
      const a = lineNext;
      if (<u64>a + <u64>l + 2 > <u64>end) {
        incomplete = true;
        break;
      }
      if (load<u16>(a + <u32>l) != 0x0a0d) break;
      store<u32>(argP + (i << 2), a);
      store<u32>(argL + (i << 2), <u32>l);
      q = a + <u32>l + 2;
    }
    if (i < <u32>argc) break;
    const id = laneId(load<u32>(argP), load<u32>(argL));
    if (id == 0) break;
    const kp = load<u32>(argP + 4);
    const kl = load<u32>(argL + 4);
    const n = <u32>argc;
    let changes: u32 = 0;
    // Keyspace hits/misses of this frame, added once it has run.
    let fHits: u32 = 0;
    let fMisses: u32 = 0;
    if (id == LANE_LPUSH || id == LANE_RPUSH) {
      if (n < 3) break;
      const c = findNativeAt(db, kp, kl, now, NK_LIST);
      if (c == 0) break;
      const where: u32 = id == LANE_LPUSH ? 0 : 1;
      if (n > 3) {
        let bytes: u32 = 0;
        for (let j: u32 = 2; j < n; j++) bytes += lEntrySize(load<u32>(argL + (j << 2)));
        if (!lReserve(c, where, bytes)) break;
      }
      let j: u32 = 2;
      for (; j < n; j++) {
        if (!lPushAt(c, where, load<u32>(argP + (j << 2)), load<u32>(argL + (j << 2)))) break;
      }
      lReserveDone();
      if (j < n) {
        lUnpush(c, where, j - 2);
        break;
      }
      if (!outInt(load<u32>(c, NC_COUNT))) { lUnpush(c, where, n - 2); break; }
      changes = n - 2;
    } else if (id == LANE_LPOP || id == LANE_RPOP) {
      if (n != 2) break;
      const c = findNativeAt(db, kp, kl, now, NK_LIST);
      if (c == 0) {
        // A missing key answers null; anything else (another type, expired) is JS's.
        if (keyPresentAt(db, kp, kl) || !outNull(resp3)) break;
      } else {
        if (load<u32>(c, NC_COUNT) < 2) break; // the pop would delete the key
        if (lPopAppend(c, id == LANE_LPOP ? 0 : 1, 1, 1) != 1) break;
        changes = 1;
      }
    } else if (id == LANE_SADD) {
      if (n < 3) break;
      const c = findNativeAt(db, kp, kl, now, NK_SET);
      if (c == 0) break;
      let added: u32 = 0;
      let oom = false;
      for (let j: u32 = 2; j < n; j++) {
        const r = sAddAt(c, load<u32>(argP + (j << 2)), load<u32>(argL + (j << 2)), maxIntset);
        if (r < 0) { oom = true; break; }
        added += <u32>r;
      }
      if (oom || !outInt(added)) { oomAt = id; p = q; break; }
      changes = added;
    } else if (id == LANE_SPOP) {
      if (n != 2) break;
      const c = findNativeAt(db, kp, kl, now, NK_SET);
      if (c == 0) {
        if (keyPresentAt(db, kp, kl) || !outNull(resp3)) break;
      } else {
        if (load<u32>(c, NC_COUNT) < 2) break; // the pop would delete the key
        sRandom(c);
        // The reply first: the member's bytes may be its own entry, freed by the delete.
        const mp = load<u32>(RES, R_PTR);
        const ml = load<u32>(RES, R_LEN);
        if (!outBulk(mp, ml)) break;
        sDeleteAt(c, mp, ml);
        changes = 1;
      }
    } else if (id == LANE_GETBIT) {
      if (n != 3) break;
      const off = bitOffset(load<u32>(argP + 8), load<u32>(argL + 8));
      if (off < 0 || <f64>(off >> 3) >= maxBulkLen) break;
      const st = stringAt(db, kp, kl, now);
      let bit: u32 = 0;
      if (st == ST_STRING) {
        const byte = <u64>off >> 3;
        if (byte < <u64>load<u32>(RES, R_LEN)) bit = (<u32>load<u8>(load<u32>(RES, R_PTR) + <u32>byte) >> (7 - <u32>(off & 7))) & 1;
      } else if (st != ST_MISSING) break;
      if (!outInt(bit)) break;
      if (st == ST_STRING) fHits = 1;
      else fMisses = 1;
    } else if (id == LANE_PFADD) {
      if (n < 3 || (flags & LANE_NO_STRING_EDIT) != 0) break;
      // A dense HLL (checkHll: the magic, encoding 0, its one length); anything else is JS's.
      if (stringAt(db, kp, kl, now) != ST_STRING || load<u32>(RES, R_LEN) != HLL_DENSE_SIZE) break;
      const v = load<u32>(RES, R_PTR);
      if (load<u32>(v) != 0x4c4c5948 /* "HYLL" */ || load<u8>(v, 4) != 0) break;
      let updated: u32 = 0;
      for (let j: u32 = 2; j < n; j++) updated += hllDenseAdd(v + 16, load<u32>(argP + (j << 2)), load<u32>(argL + (j << 2)));
      if (updated != 0) store<u8>(v, load<u8>(v, 15) | 0x80, 15); // the cached cardinality is stale
      if (!outInt(updated != 0 ? 1 : 0)) { oomAt = id; p = q; break; }
      changes = updated;
    } else if (id == LANE_ZADD) {
      if (n < 4 || (n & 1) != 0) break;
      let plain = true;
      for (let j: u32 = 2; j < n; j += 2) {
        if (intScore(load<u32>(argP + (j << 2)), load<u32>(argL + (j << 2))) != load<u32>(argL + (j << 2))) plain = false;
      }
      if (!plain) break; // flags, other numbers, errors: the general path
      const c = findNativeAt(db, kp, kl, now, NK_ZSET);
      if (c == 0) break;
      let added: u32 = 0;
      let updated: u32 = 0;
      let oom = false;
      for (let j: u32 = 2; j < n; j += 2) {
        intScore(load<u32>(argP + (j << 2)), load<u32>(argL + (j << 2)));
        const r = addAt(c, load<u32>(argP + ((j + 1) << 2)), load<u32>(argL + ((j + 1) << 2)), scoreValue, zsetMaxEntries, zsetMaxValue);
        if (r < 0) { oom = true; break; }
        if (r == 0) added++;
        else if (r == 1) updated++;
      }
      if (oom || !outInt(added)) { oomAt = id; p = q; break; }
      changes = added + updated;
    } else if (id == LANE_ZPOPMIN || id == LANE_ZPOPMAX) {
      if (n != 2) break;
      const c = findNativeAt(db, kp, kl, now, NK_ZSET);
      if (c == 0) {
        // A missing key: an empty array in both protocols.
        if (keyPresentAt(db, kp, kl)) break;
        const w = outReserve(4);
        if (w == 0) break;
        store<u32>(w, 0x0a0d302a); // "*0\r\n"
        outCommit(4);
      } else {
        if (load<u32>(c, NC_COUNT) < 2) break; // the pop would delete the key
        popResp3 = resp3;
        if (znPopWith(c, id == LANE_ZPOPMAX ? 1 : 0, emitPopped) != 1) break;
        changes = 1;
      }
    } else if (id == LANE_LRANGE || id == LANE_ZRANGE) {
      if (n != 4 || !rangeArg(load<u32>(argP + 8), load<u32>(argL + 8))) break;
      let start = rangeV;
      if (!rangeArg(load<u32>(argP + 12), load<u32>(argL + 12))) break;
      let end = rangeV;
      const c = findNativeAt(db, kp, kl, now, id == LANE_LRANGE ? NK_LIST : NK_ZSET);
      let llen: i64 = 0;
      if (c == 0) {
        if (keyPresentAt(db, kp, kl)) break;
        fMisses = 1;
      } else {
        llen = <i64>load<u32>(c, NC_COUNT);
        fHits = 1;
      }
      // (zrangeGenericCommand / lrangeCommand's normalization)
      if (start < 0) start += llen;
      if (end < 0) end += llen;
      if (start < 0) start = 0;
      let count: u32 = 0;
      if (start <= end && start < llen) {
        if (end >= llen) end = llen - 1;
        count = <u32>(end - start + 1);
      }
      if (!outHeader(42 /* '*' */, count)) break;
      if (count > 0) {
        if (id == LANE_LRANGE) {
          if (lRange(c, <u32>start, <u32>end, 1) != <i32>count) break;
        } else if (znRangeResp(c, <u32>start, count, 0) != count) break;
      }
    } else if (id == LANE_SMEMBERS || id == LANE_HGETALL) {
      if (n != 2) break;
      const c = findNativeAt(db, kp, kl, now, id == LANE_SMEMBERS ? NK_SET : NK_HASH);
      let count: u32 = 0;
      if (c == 0) {
        if (keyPresentAt(db, kp, kl)) break;
        fMisses = 1;
      } else {
        count = load<u32>(c, NC_COUNT);
        fHits = 1;
      }
      // RESP3: a set (~) or a map (%, counted in pairs); RESP2: arrays.
      const ok = id == LANE_SMEMBERS ? outHeader(resp3 ? 126 : 42, count) : outHeader(resp3 ? 37 : 42, resp3 ? count : count * 2);
      if (!ok) break;
      if (count > 0) {
        if (id == LANE_SMEMBERS ? sResp(c) == 0 : hResp(c, 3) == 0) break;
      }
    } else if (id == LANE_SET) {
      // (a value over maxvalue-bytes, when set: the general path's error)
      if (n != 3 || (flags & LANE_NO_STRING_EDIT) != 0 || (maxValue != 0 && load<u32>(argL + 8) > maxValue)) break;
      const r = setStringAt(db, kp, kl, load<u32>(argP + 8), load<u32>(argL + 8), now);
      if (r != 1) break; // a container or an expired key to replace, or OOM: nothing changed
      const w = outReserve(5);
      if (w == 0) { oomAt = id; p = q; break; }
      store<u32>(w, 0x0d4b4f2b); // "+OK\r"
      store<u8>(w + 4, 10);
      outCommit(5);
      changes = 1;
    } else if (id == LANE_INCR || id == LANE_DECR || id == LANE_INCRBY || id == LANE_DECRBY) {
      const withArg = id == LANE_INCRBY || id == LANE_DECRBY;
      if (n != (withArg ? 3 : 2) || (flags & LANE_NO_STRING_EDIT) != 0) break;
      let by: i64 = 1;
      if (withArg) {
        if (!rangeArg(load<u32>(argP + 8), load<u32>(argL + 8))) break;
        by = rangeV;
        // (Past 2^53 the general path computes in 64-bit integers.)
        if (by > 9007199254740991 || by < -9007199254740991) break;
      }
      if (id == LANE_DECR || id == LANE_DECRBY) by = -by;
      // An expired key is the general path's to reclaim (dbIncrBy would reclaim it here).
      if (expiredAt(db, kp, kl, now)) break;
      const r = incrByAt(db, kp, kl, <f64>by, now);
      if (r != 1 && r != ST_MISSING) break; // not an integer, past 2^53, a container, OOM: unchanged
      if (!outI64(<i64>load<f64>(RES, R_F64))) { oomAt = id; p = q; break; }
      changes = 1;
    } else if (id == LANE_GET) {
      if (n != 2) break;
      const st = stringAt(db, kp, kl, now);
      if (st == ST_STRING) {
        // (A longer value is written by the general path straight from linear memory: one copy.)
        const vl = load<u32>(RES, R_LEN);
        if (vl > LANE_MAX_BULK || !outBulk(load<u32>(RES, R_PTR), vl)) break;
        fHits = 1;
      } else {
        if (st != ST_MISSING || !outNull(resp3)) break;
        fMisses = 1;
      }
    } else if (id == LANE_SETBIT) {
      // SETBIT key offset 0|1: the offset as GETBIT's, the bit a single '0' or '1'.
      if (n != 4 || (flags & LANE_NO_STRING_EDIT) != 0 || load<u32>(argL + 12) != 1) break;
      const on = <u32>load<u8>(load<u32>(argP + 12)) - 48;
      if (on > 1) break;
      const off = bitOffset(load<u32>(argP + 8), load<u32>(argL + 8));
      if (off < 0 || <f64>(off >> 3) >= maxBulkLen) break;
      // (room for the reply first: nothing can fail once the value changed)
      if (outReserve(16) == 0) break;
      if ((off >> 3) + 1 >= <i64>VLEN_HANDLE) break; // (editStringAt's limit: the general path)
      const byte = <u32>(off >> 3);
      if (editStringAt(db, kp, kl, byte + 1, now) != 1) break;
      const at = load<u32>(RES, R_PTR) + byte;
      const shift = 7 - <u32>(off & 7);
      const old = <u32>load<u8>(at);
      const bit = (old >> shift) & 1;
      // (Redis counts a change when the bit flips or the value grew)
      if (bit != on || load<u32>(RES, R_MISC) < load<u32>(RES, R_LEN)) {
        store<u8>(at, <u8>((old & ~(<u32>1 << shift)) | (on << shift)));
        changes = 1;
      }
      outInt(bit);
    } else if (id == LANE_BITFIELD) {
      const op = bitfieldArgs(n, maxBulkLen);
      if (op < 0) break;
      const bits = bfBits;
      if (outReserve(40) == 0) break;
      let reply: i64 = 0;
      if (op == BF_GET) {
        const st = stringAt(db, kp, kl, now);
        if (st == ST_STRING) {
          reply = fieldValue(bitsGet(load<u32>(RES, R_PTR), load<u32>(RES, R_LEN), bfOffset, bits), bits);
          fHits = 1;
        } else {
          if (st != ST_MISSING) break;
          fMisses = 1;
        }
      } else {
        if ((flags & LANE_NO_STRING_EDIT) != 0) break;
        const minLen = ((bfOffset + <i64>bits - 1) >> 3) + 1;
        if (minLen >= <i64>VLEN_HANDLE || editStringAt(db, kp, kl, <u32>minLen, now) != 1) break;
        const v = load<u32>(RES, R_PTR);
        const grew = load<u32>(RES, R_MISC) < load<u32>(RES, R_LEN);
        const oldval = fieldValue(bitsGet(v, load<u32>(RES, R_LEN), bfOffset, bits), bits);
        // OVERFLOW WRAP (checkUnsignedBitfieldOverflow / checkSignedBitfieldOverflow's wrap):
        // the low bits of the exact sum, read back as the field's type.
        const sum = op == BF_INCRBY ? oldval + bfValue : bfValue;
        const u = <u64>sum & ((<u64>1 << <u64>bits) - 1);
        const newval = fieldValue(u, bits);
        reply = op == BF_INCRBY ? newval : oldval;
        bitsSet(v, bfOffset, bits, u);
        if (grew || oldval != newval) changes = 1;
      }
      const w = outReserve(40);
      store<u32>(w, 0x0a0d312a); // "*1\r\n"
      outCommit(4);
      outI64(reply);
    } else {
      // HSET
      if (n < 4 || (n & 1) != 0) break;
      let small = true;
      for (let j: u32 = 2; j < n; j++) if (load<u32>(argL + (j << 2)) > hashMaxValue) small = false;
      if (!small) break; // hashTypeTryConversion first: the general path
      const c = findNativeAt(db, kp, kl, now, NK_HASH);
      if (c == 0) break;
      let created: u32 = 0;
      let oom = false;
      for (let j: u32 = 2; j < n; j += 2) {
        const r = hSetAt(c, load<u32>(argP + (j << 2)), load<u32>(argL + (j << 2)), load<u32>(argP + ((j + 1) << 2)), load<u32>(argL + ((j + 1) << 2)), hashMaxValue, hashMaxEntries);
        if (r < 0) { oom = true; break; }
        created += <u32>r;
      }
      if (oom || !outInt(created)) { oomAt = id; p = q; break; }
      changes = (n - 2) >> 1;
    }
    p = q;
    done = outLength();
    hits += fHits;
    misses += fMisses;
    ran++;
    dirty += changes;
    last = id;
    store<u32>(stats + (id << 2), load<u32>(stats + (id << 2)) + 1);
  }
  outKeepReplies(false);
  outTruncate(done);
  store<u32>(stats, dirty, LS_DIRTY);
  store<u32>(stats, last, LS_LAST);
  store<u32>(stats, oomAt, LS_OOM);
  store<u32>(stats, hits, LS_HITS);
  store<u32>(stats, misses, LS_MISSES);
  store<u32>(stats, incomplete ? 1 : 0, LS_INCOMPLETE);
  store<u32>(stats, ran, LS_CMDS);
  return p - base;
}
