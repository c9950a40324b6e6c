/**
 * The js-map engine's fast lane (Db.runLane; the server decides when a run may happen and books
 * its stats: src/server/lane.ts): a pipelined run of simple commands read straight from the
 * client's input and run on the KeyTable's rows, without the parser's argument views, the
 * dispatcher and a handler per command. It serves the frames the wasm engine's lane serves
 * (assembly/lane.ts), each one only in the form listed, and stops before the first other one:
 *   GET key                                 a string of up to LANE_MAX_BULK bytes or a missing key
 *   SET key value                           the plain form, over a string or a missing key, the
 *                                           value within maxvalue-bytes
 *   INCR/DECR key, INCRBY/DECRBY key n      a string of a small integer or a missing key, n a
 *                                           plain integer (string2ll's form), the result within
 *                                           2^53 (JsMapDb.incrByAt)
 *   GETBIT key offset                       on a string or a missing key, the offset a plain
 *                                           decimal below proto-max-bulk-len * 8
 *   SETBIT key offset 0|1                   on a string or a missing key (created as the handler
 *                                           creates it: JsMapDb.editStringAt), GETBIT's offsets
 *   BITFIELD key GET|SET|INCRBY type offset [value]
 *                                           one operation (OVERFLOW WRAP), u1..u32 or i1..i32, the
 *                                           offset plain or '#', the value an integer of up to 15
 *                                           digits (bitfieldArgs); on a string or a missing key
 *   PFADD key element [element ...]         on a dense HyperLogLog
 *   LPUSH/RPUSH key element [element ...]   on an existing list
 *   LPOP/RPOP key                           on a list of 2 or more elements, or a missing key
 *   SADD key member [member ...]            on an existing set
 *   HSET key field value [field value ...]  on an existing hash, every field and value within
 *                                           hash-max-listpack-value
 *   SPOP key                                on a set of 2 or more members, or a missing key
 *   ZADD key score member [score member...] on an existing sorted set, every score an integer
 *                                           written as plain digits (an optional '-', leading
 *                                           zeros allowed as strtod reads them; not -0)
 *   ZPOPMIN/ZPOPMAX key                     on a sorted set of 2 or more members, or a missing key
 *   LRANGE/ZRANGE key start stop            plain integers (ZRANGE without options)
 *   SMEMBERS key, HGETALL key               on a value of that type or a missing key
 * While the run's frames are propagated (LaneParams.propagated: the AOF is on) only SET, INCR,
 * DECR, INCRBY, DECRBY, LPUSH, RPUSH and HSET are served (lane-commands.ts VERBATIM_IDS).
 * Stopping means: nothing of the frame was done, its bytes are left to the parser and the
 * general path, which gives Redis's errors, creates what needs creating and expires what has
 * expired. So the lane stops at a frame that is incomplete or not in the accepted RESP subset
 * (counts and lengths plain decimals without sign or leading zero, at most LANE_MAX_ARGS
 * arguments of at most LANE_MAX_BULK bytes: a subset of what protocol/parser.ts accepts), at
 * another command or form, at a key that is expired (lazy expiry and its hooks are the general
 * path's), holds another type, or is missing where the handler would create something other
 * than SET's or INCR's plain string (PFADD, the pushes and adds), at a change that would delete
 * the key (a pop of a collection's last element), and before a frame once its replies reach
 * LANE_MAX_OUT bytes. A snapshot in progress (BGSAVE's copy-on-write hook) leaves the whole run
 * to the general path.
 *
 * Why a served frame is equivalent to its handler (src/commands/strings.ts, bitmaps.ts,
 * hyperloglog.ts, lists.ts, sets.ts, hashes.ts, zsets.ts, zset-add.ts) on this engine: the lane
 * finds the key's row as lookup() does (same hash, KeyTable.findAt over the input's bytes), then
 * makes on that row the engine calls the handler's engine calls make after their own lookup:
 * - the access (JsMapDb.accessSlot, as access() and writeAccess() make it);
 * - SET: setStored's overwrite or add (JsMapDb.setBytesAt), the new-key hook included;
 *   INCR...: the engine's incrBy (incrByAt); PFADD: editRow, then the register updates of the
 *   handler's dense case (util/hyperloglog.ts patLen and denseSet); SETBIT and BITFIELD's writes:
 *   editString's work on that row or its creation (JsMapDb.editStringAt), then the handler's bit
 *   and field writes (BITFIELD's numeric path: util/bitops.ts fieldGet and fieldSet);
 * - the pushes, SADD and HSET: the container calls of the Db's fused writes (listPush, setAdd,
 *   hashSet; JsList.pushBytes, JsSet.addAt and JsHash.setFieldAt store what pushHead/pushTail,
 *   add and setField store); the pops, SPOP and ZPOP*: listPopOne's, the handler's
 *   randomMember and delete, JsZSet.popOne;
 *   ZADD: zsetAddAll's (JsZSet.addMany's steps, addAt, then settleEncoding);
 * - the reads: the handlers' range and forEach walks and JsHash.writeAll.
 * The replies are the bytes RespWriter writes for the same values. What the handlers book
 * besides is returned in `stats` (offsets in src/engine/wasm/abi.ts): calls per lane id, the
 * keyspace hits and misses of the reads (GET, GETBIT, BITFIELD GET, the ranges, SMEMBERS, HGETALL), the dirty
 * count as the handlers add it (1 per SET, INCR and pop; 1 per SETBIT and BITFIELD write that
 * changed a bit or grew the value; PFADD's changed registers, elements
 * pushed, members added, fields set, ZADD's added and updated members), the last command's id.
 * The server's open() has made sure nothing else (notifications, WATCH, tracking, blocked
 * clients, AOF, maxmemory...) could happen.
 *
 * Complexity: O(input bytes) for the parse, plus each command's own cost (one row lookup, then
 * the container's operation; PFADD one hash per element).
 */
import { HLL_DENSE, HLL_DENSE_SIZE, HLL_HDR_SIZE, denseSet, lastPatIndex, patLen } from '../../util/hyperloglog';
import { formatDouble, writeDigitsBefore } from '../../util/number';
import { writeLatin1 } from '../../util/latin1';
import { copyRange } from '../../util/bytes';
import type { BulkSink, BulkValue, LaneParams, SnapshotHook, StringEdit } from '../types';
import {
  LANE_DECR, LANE_DECRBY, LANE_GET, LANE_GETBIT, LANE_HGETALL, LANE_HSET, LANE_INCRBY, LANE_LPOP, LANE_LPUSH, LANE_LRANGE, LANE_PFADD, LANE_RPOP, LANE_RPUSH, LANE_SADD, LANE_SET, LANE_SMEMBERS, LANE_SPOP,
  LANE_ZADD, LANE_ZPOPMAX, LANE_ZPOPMIN, LANE_ZRANGE, LS_CMDS, LS_DIRTY, LS_HITS, LS_LAST, LS_MISSES,
} from '../wasm/abi';
import { LANE_BITFIELD, LANE_SETBIT } from '../wasm/abi';
import { POW2, fieldGet, fieldSet } from '../../util/bitops';
import { JsList } from '../containers/list';
import { JsSet } from '../containers/set';
import { JsHash } from '../containers/hash';
import { ADD_ADDED, ADD_UPDATED, JsZSet } from '../containers/zset';
import { NONE, hashOfBytes } from './key-table';
import type { KeyTable } from './key-table';
import { LANE_NAMES, VERBATIM_IDS } from '../lane-commands';

/** What the lane uses of a js-map Db (engine.ts JsMapDb): its rows and the row-level steps of its methods. */
export interface LaneDb {
  readonly table: KeyTable;
  /** The db's memory account (what the engine's usedMemory sums). */
  readonly account: { bytes: number };
  readonly snapshotHook: SnapshotHook | null;
  expired(at: number, now: number): boolean;
  accessSlot(s: number, now: number): void;
  setBytesAt(s: number, b: Uint8Array, kOff: number, kLen: number, h: number, vOff: number, vLen: number, now: number): void;
  incrByAt(b: Uint8Array, off: number, len: number, h: number, by: number, now: number): number;
  editRow(s: number, old: BulkValue, minLen: number, now: number): StringEdit;
  editStringAt(s: number, b: Uint8Array, kOff: number, kLen: number, h: number, minLen: number, now: number): StringEdit | number;
}

/** The frames served (see the header): arguments and bytes per argument (assembly/lane.ts's). */
const LANE_MAX_ARGS = 64;
const LANE_MAX_BULK = 65536;
/** Reply bytes after which a run stops before its next frame (the parser goes on from there). */
const LANE_MAX_OUT = 1 << 20;
/**
 * Frames are parsed BATCH at a time (as many as the parser's lookahead hint covers,
 * LOOKAHEAD_COMMANDS), their keys hashed once; on a table of at least PREFETCH_MIN_KEYS keys
 * (below, its rows mostly stay in cache: the wasm engine's threshold) the batch's rows are hinted
 * (KeyTable.touch, what Db.prefetch does for the commands the parser parses) before they run.
 * Measured in process at -P 16 on 200k keys, µs per command without a hint / with Db.prefetch
 * every 16 frames (a second scan and hash of them) / this: GET of random keys 0.55 / 0.51 /
 * 0.38-0.45; GETBIT of one key 0.19 / 0.26 / 0.21.
 */
const BATCH = 16;
const PREFETCH_MIN_KEYS = 65536;
/** Largest |INCRBY| increment and result (2^53 - 1: exact in a double). */
const SAFE = 9007199254740991;

/** The batch's frames: frame k's arguments at [k * LANE_MAX_ARGS, + fArgc[k]), its lane id, key hash, end. */
const argOff = new Int32Array(BATCH * LANE_MAX_ARGS);
const argLen = new Int32Array(BATCH * LANE_MAX_ARGS);
const fArgc = new Int32Array(BATCH);
const fId = new Int32Array(BATCH);
const fHash = new Int32Array(BATCH);
/** 1 when frame k's key has the bytes of the frame before's (in the run, across batches). */
const fSame = new Uint8Array(BATCH);
/** The key of the last frame parsed in the run: its place in the input, length (-1: none) and hash. */
let prevKeyOff = 0;
let prevKeyLen = -1;
let prevKeyHash = 0;
const fEnd = new Int32Array(BATCH);
const fSlot = new Int32Array(BATCH);
/** A ZADD frame's scores (intScore). */
const zScores = new Float64Array(LANE_MAX_ARGS >> 1);
/** After lineInt: the byte after the number's LF. */
let lineNext = 0;

/**
 * The replies of a run, handed to the sink in one piece at its end (a frame's reply is written
 * only once the frame has run, so a stop leaves nothing behind). Grows by doubling.
 */
const OUT_INITIAL = 16 * 1024;
let outBuf = Buffer.allocUnsafe(OUT_INITIAL);
let op = 0;

function reserve(n: number): void {
  if (op + n <= outBuf.length) return;
  let size = outBuf.length * 2;
  while (size < op + n) size *= 2;
  const grown = Buffer.allocUnsafe(size);
  outBuf.copy(grown, 0, 0, op);
  outBuf = grown;
}

/** The digits of a safe integer n (with its '-'), no CRLF. */
function outDigits(n: number): void {
  reserve(24);
  const b = outBuf;
  if (n < 0) {
    b[op++] = 45;
    n = -n;
  }
  if (n < 10) b[op++] = 48 + n;
  else {
    op += digitCount(n);
    writeDigitsBefore(b, op, n);
  }
}

function digitCount(n: number): number {
  let digits = 1;
  for (let t = n; t >= 10; t = Math.floor(t / 10)) digits++;
  return digits;
}

/** `:n\r\n` for a safe integer. */
function outInt(n: number): void {
  reserve(24);
  outBuf[op++] = 58; // ':'
  outDigits(n);
  outBuf[op++] = 13;
  outBuf[op++] = 10;
}

/** The null bulk reply: `$-1` in RESP2, `_` in RESP3 (RespWriter.nil). */
function outNull(resp3: boolean): void {
  reserve(5);
  const b = outBuf;
  if (resp3) b[op++] = 95;
  else {
    b[op++] = 36;
    b[op++] = 45;
    b[op++] = 49;
  }
  b[op++] = 13;
  b[op++] = 10;
}

/** `$len\r\n` (the bytes and CRLF follow). */
function outBulkHeader(len: number): void {
  reserve(len + 16);
  const b = outBuf;
  // (short elements of LRANGE, SMEMBERS, HGETALL replies: their one or two digits by plain stores)
  if (len < 100) {
    b[op++] = 36; // '$'
    if (len >= 10) b[op++] = 48 + ((len / 10) | 0);
    b[op++] = 48 + (len % 10);
    b[op++] = 13;
    b[op++] = 10;
  } else outHeader(36, len);
}

function outBulkBytes(src: Uint8Array, start: number, len: number): void {
  outBulkHeader(len);
  copyRange(outBuf, op, src, start, len);
  op += len;
  outBuf[op++] = 13;
  outBuf[op++] = 10;
}

function outBulkString(s: string): void {
  outBulkHeader(s.length);
  op += writeLatin1(outBuf, op, s);
  outBuf[op++] = 13;
  outBuf[op++] = 10;
}

function outBulk(v: BulkValue): void {
  if (typeof v === 'string') outBulkString(v);
  else outBulkBytes(v, 0, v.length);
}

/** An aggregate header (`*`, `~`, `%`) of n. */
function outHeader(type: number, n: number): void {
  reserve(24);
  outBuf[op++] = type;
  outDigits(n);
  outBuf[op++] = 13;
  outBuf[op++] = 10;
}

/** RespWriter.double of a score: an integral one as its digits, else formatDouble's %.17g text. */
function outDouble(d: number, resp3: boolean): void {
  if (d !== 0 && Number.isSafeInteger(d)) {
    if (resp3) {
      reserve(4);
      outBuf[op++] = 44; // ','
    } else outBulkHeader((d < 0 ? 1 : 0) + digitCount(Math.abs(d)));
    outDigits(d);
    reserve(2);
    outBuf[op++] = 13;
    outBuf[op++] = 10;
    return;
  }
  const text = formatDouble(d);
  if (!resp3) return outBulkString(text);
  reserve(text.length + 3);
  outBuf[op++] = 44;
  op += writeLatin1(outBuf, op, text);
  outBuf[op++] = 13;
  outBuf[op++] = 10;
}

/** The reply buffer as a BulkSink, for container methods that write their elements themselves (JsHash.writeAll). */
const laneSink: BulkSink = {
  bulk: outBulk,
  bulkBytes: outBulkBytes,
  rawBytes(src: Uint8Array, start: number, len: number): void {
    reserve(len);
    copyRange(outBuf, op, src, start, len);
    op += len;
  },
};

/** ZPOPMIN/ZPOPMAX's popped element (JsZSet.popOne). */
const popped = { member: '' as BulkValue, score: 0 };

/**
 * A decimal of 1 to maxDigits digits (no sign, no leading zero unless it is "0") at b[p], followed
 * by CR LF before end: its value, with lineNext after the LF; -1 otherwise.
 */
function lineInt(b: Buffer, p: number, end: number, maxDigits: number): number {
  let v = 0;
  let i = p;
  while (i < end) {
    const c = b[i];
    if (c === 13) break;
    if (c < 48 || c > 57 || i - p >= maxDigits || (i > p && v === 0)) return -1;
    v = v * 10 + (c - 48);
    i++;
  }
  if (i === p || i + 1 >= end || b[i + 1] !== 10) return -1;
  lineNext = i + 2;
  return v;
}

/** Whether the last parseBatch found more than one key hash. */
let batchKeys = false;

/**
 * Up to BATCH frames from input[p] on, each complete, in the accepted RESP subset and of a lane
 * command (laneId), into the batch arrays; stops before the first other one. Returns how many.
 */
function parseBatch(input: Buffer, p: number, end: number): number {
  let n = 0;
  batchKeys = false;
  while (n < BATCH && p < end && input[p] === 42 /* '*' */) {
    // Counts and lengths of one or two digits (nearly all) are read in place, others by lineInt:
    // the same numbers accepted (no sign, no leading zero).
    let argc: number;
    let q: number;
    if (p + 3 < end && input[p + 2] === 13 && input[p + 3] === 10) {
      argc = input[p + 1] - 48;
      if (argc < 2 || argc > 9) break;
      q = p + 4;
    } else {
      argc = lineInt(input, p + 1, end, 2);
      if (argc < 2 || argc > LANE_MAX_ARGS) break;
      q = lineNext;
    }
    const ab = n * LANE_MAX_ARGS;
    let i = 0;
    for (; i < argc; i++) {
      if (q + 4 >= end || input[q] !== 36 /* '$' */) break;
      let l: number;
      let a: number;
      if (input[q + 2] === 13) {
        l = input[q + 1] - 48;
        if (l < 0 || l > 9 || input[q + 3] !== 10) break;
        a = q + 4;
      } else if (input[q + 3] === 13) {
        const d = input[q + 1] - 48;
        const e = input[q + 2] - 48;
        if (d < 1 || d > 9 || e < 0 || e > 9 || input[q + 4] !== 10) break;
        l = d * 10 + e;
        a = q + 5;
      } else {
        l = lineInt(input, q + 1, end, 5);
        if (l < 0 || l > LANE_MAX_BULK) break;
        a = lineNext;
      }
      if (a + l + 2 > end || input[a + l] !== 13 || input[a + l + 1] !== 10) break;
      argOff[ab + i] = a;
      argLen[ab + i] = l;
      q = a + l + 2;
    }
    if (i < argc) break;
    const id = laneId(input, argOff[ab], argLen[ab]);
    if (id === 0) break;
    fArgc[n] = argc;
    fId[n] = id;
    // The key: the frame before's again (a pipeline on one bitmap or HLL) costs a comparison,
    // made from the last byte (where keys of a numbered series differ), instead of its hash.
    const kOff = argOff[ab + 1];
    const kLen = argLen[ab + 1];
    if (kLen === prevKeyLen && sameArgFromEnd(input, kOff, prevKeyOff, kLen)) {
      fHash[n] = prevKeyHash;
      fSame[n] = 1;
    } else {
      fHash[n] = prevKeyHash = hashOfBytes(input, kOff, kLen);
      fSame[n] = 0;
      prevKeyLen = kLen;
    }
    prevKeyOff = kOff;
    if (fHash[n] !== fHash[0]) batchKeys = true;
    fEnd[n] = q;
    p = q;
    n++;
  }
  return n;
}

/** Whether b[p, p + len) and b[q, q + len) have the same bytes (compared from the last). */
function sameArgFromEnd(b: Uint8Array, p: number, q: number, len: number): boolean {
  for (let i = len - 1; i >= 0; i--) if (b[p + i] !== b[q + i]) return false;
  return true;
}

/** Whether b[p, p + len) is `name` (lower case letters) in any case. */
function nameIs(b: Buffer, p: number, len: number, name: string): boolean {
  if (len !== name.length) return false;
  for (let i = 0; i < len; i++) if ((b[p + i] | 0x20) !== name.charCodeAt(i)) return false;
  return true;
}

/**
 * Bytes p..p + n - 1 (n <= 4) of a command name, each ORed with 0x20 (nameIs's case folding),
 * little-endian in one int: laneId compares a name in at most three such words instead of byte
 * by byte per candidate (the name match was the parse's largest cost).
 */
function nameWord(b: Uint8Array, p: number, n: number): number {
  let w = 0;
  for (let i = n - 1; i >= 0; i--) w = (w << 8) | (b[p + i] | 0x20);
  return w;
}

/** The lane's command names by length (LANE_NAMES): per length, each name's id and its three nameWords. */
const BY_LENGTH: { ids: number[]; words: Int32Array }[] = Array.from({ length: 10 }, () => ({ ids: [], words: new Int32Array(0) }));
for (let len = 1; len < BY_LENGTH.length; len++) {
  const names = Object.entries(LANE_NAMES).filter(([, name]) => name.length === len);
  const words = new Int32Array(names.length * 3);
  names.forEach(([id, name], i) => {
    const b = Buffer.from(name, 'latin1');
    BY_LENGTH[len].ids.push(Number(id));
    words[i * 3] = nameWord(b, 0, Math.min(len, 4));
    words[i * 3 + 1] = len > 4 ? nameWord(b, 4, Math.min(len - 4, 4)) : 0;
    words[i * 3 + 2] = len > 8 ? nameWord(b, 8, len - 8) : 0;
  });
  BY_LENGTH[len].words = words;
}

/** The lane id of the command name b[p, p + len), 0 when this lane does not run it. */
function laneId(b: Buffer, p: number, len: number): number {
  if (len === 0 || len >= BY_LENGTH.length) return 0;
  const { ids, words } = BY_LENGTH[len];
  const w0 = nameWord(b, p, len < 4 ? len : 4);
  const w1 = len > 4 ? nameWord(b, p + 4, len < 8 ? len - 4 : 4) : 0;
  const w2 = len > 8 ? nameWord(b, p + 8, len - 8) : 0;
  for (let i = 0; i < ids.length; i++) {
    if (words[i * 3] === w0 && words[i * 3 + 1] === w1 && words[i * 3 + 2] === w2) return ids[i];
  }
  return 0;
}

/**
 * A plain integer as string2ll reads it (optional '-', no '+', no leading zero, not "-0") of 1 to
 * 18 digits at b[p, p + len); NaN otherwise (the general path parses it).
 */
function plainInt(b: Buffer, p: number, len: number): number {
  const neg = len > 0 && b[p] === 45;
  const i0 = neg ? 1 : 0;
  if (len === i0 || len - i0 > 18) return NaN;
  if (b[p + i0] === 48 && (len - i0 > 1 || neg)) return NaN;
  let v = 0;
  for (let i = i0; i < len; i++) {
    const d = b[p + i] - 48;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  return neg ? -v : v;
}

/** A GETBIT offset: 1 to 10 digits, no sign or leading zero; -1 otherwise (the general path decides). */
function bitOffset(b: Buffer, p: number, len: number): number {
  if (len === 0 || len > 10 || (len > 1 && b[p] === 48)) return -1;
  let v = 0;
  for (let i = 0; i < len; i++) {
    const d = b[p + i] - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/**
 * A ZADD score that is an integer in plain digits: an optional '-', then 1 to 15 digits (leading
 * zeros allowed, as strtod reads them), not a negative zero; NaN otherwise (the general path
 * parses it, and its flags).
 */
function intScore(b: Buffer, p: number, len: number): number {
  const neg = len > 0 && b[p] === 45;
  const i0 = neg ? 1 : 0;
  if (len === i0 || len - i0 > 15) return NaN;
  let v = 0;
  for (let i = i0; i < len; i++) {
    const d = b[p + i] - 48;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  if (neg && v === 0) return NaN;
  return neg ? -v : v;
}

/** Byte i of a stored string value (a latin1 JS string or bytes). */
function byteOf(v: BulkValue, i: number): number {
  return typeof v === 'string' ? v.charCodeAt(i) : v[i];
}

/** Whether the stored string v is a dense HyperLogLog (checkHll's tests for that case). */
function isDenseHll(v: BulkValue): boolean {
  // "HYLL", encoding byte HLL_DENSE, the dense length
  return v.length === HLL_DENSE_SIZE && byteOf(v, 0) === 72 && byteOf(v, 1) === 89 && byteOf(v, 2) === 76 && byteOf(v, 3) === 76 && byteOf(v, 4) === HLL_DENSE;
}

/** BITFIELD's operations (bitfieldArgs). */
const BF_GET = 0;
const BF_SET = 1;
const BF_INCRBY = 2;
/** bitfieldArgs' results: the field's width, signedness, bit offset, and SET/INCRBY value. */
let bfBits = 0;
let bfSigned = false;
let bfOffset = 0;
let bfValue = 0;

/**
 * BITFIELD key GET type offset / SET|INCRBY type offset value (frame k of argc arguments) in the
 * form the lane serves (assembly/lane.ts bitfieldArgs's): one operation (so OVERFLOW WRAP, the
 * default), the subcommand in any case, the type u1..u32 or i1..i32 (one or two digits, no leading
 * zero: wider fields are the handler's BigInt path), the offset GETBIT's or '#' and one (times the
 * width), below proto-max-bulk-len bytes; the value a plain integer of up to 15 digits (the
 * handler's numeric path), not negative for an unsigned SET. The operation (BF_*) with bf* set,
 * or -1: the general path parses it.
 */
function bitfieldArgs(b: Buffer, ab: number, argc: number, maxBulkLen: number): number {
  if (argc !== 5 && argc !== 6) return -1;
  const sp = argOff[ab + 2];
  const sl = argLen[ab + 2];
  const op = argc === 5 && nameIs(b, sp, sl, 'get') ? BF_GET : argc === 6 && nameIs(b, sp, sl, 'set') ? BF_SET : argc === 6 && nameIs(b, sp, sl, 'incrby') ? BF_INCRBY : -1;
  if (op < 0) return -1;
  // The type: 'i' or 'u' (case-sensitive, as getBitfieldTypeFromArgument), 1 to 32.
  const tp = argOff[ab + 3];
  const tl = argLen[ab + 3];
  if (tl < 2 || tl > 3) return -1;
  const t0 = b[tp];
  if (t0 !== 105 && t0 !== 117) return -1;
  const d1 = b[tp + 1] - 48;
  if (d1 < 1 || d1 > 9) return -1;
  let bits = d1;
  if (tl === 3) {
    const d2 = b[tp + 2] - 48;
    if (d2 < 0 || d2 > 9) return -1;
    bits = bits * 10 + d2;
  }
  if (bits > 32) return -1;
  bfBits = bits;
  bfSigned = t0 === 105;
  // The offset: n, or #n meaning n * bits (getBitOffsetFromArgument).
  const hash = argLen[ab + 4] > 0 && b[argOff[ab + 4]] === 35;
  const off = hash ? bitOffset(b, argOff[ab + 4] + 1, argLen[ab + 4] - 1) : bitOffset(b, argOff[ab + 4], argLen[ab + 4]);
  if (off < 0) return -1;
  bfOffset = hash ? off * bits : off;
  if (Math.floor(bfOffset / 8) >= maxBulkLen) return -1;
  if (op !== BF_GET) {
    const vp = argOff[ab + 5];
    const vl = argLen[ab + 5];
    const v = vl > 16 || (vl > 15 && b[vp] !== 45) ? NaN : plainInt(b, vp, vl);
    if (v !== v || (op === BF_SET && !bfSigned && v < 0)) return -1;
    bfValue = v;
  }
  return op;
}

/** The unsigned field u (bfBits wide) as bfSigned reads it. */
function fieldValue(u: number): number {
  return bfSigned && u >= POW2[bfBits - 1] ? u - POW2[bfBits] : u;
}

/** `*1` and `:n` (BITFIELD's reply for one operation). */
function outOneInt(n: number): void {
  reserve(28);
  outBuf[op++] = 42; // '*'
  outBuf[op++] = 49; // '1'
  outBuf[op++] = 13;
  outBuf[op++] = 10;
  outInt(n);
}

/** Db.runLane for db at `now` (see the header). Returns the input bytes consumed. */
export function runLane(db: LaneDb, input: Buffer, start: number, params: LaneParams, out: BulkSink, stats: Uint32Array, now: number): number {
  stats.fill(0);
  if (db.snapshotHook !== null) return 0;
  const t = db.table;
  const end = input.length;
  const resp3 = params.resp3;
  const maxValue = params.maxValue;
  // (all ids while nothing is propagated: see LaneParams.propagated)
  const served = params.propagated ? VERBATIM_IDS : -1;
  // (Past maxmemory the next frame goes through the server, which evicts first: only this db's
  // bytes change during the run.)
  const account = db.account;
  const memLimit = account.bytes + params.headroom;
  const memChecked = params.headroom !== Infinity;
  const prefetch = t.size >= PREFETCH_MIN_KEYS;
  op = 0;
  let p = start;
  let ran = 0;
  prevKeyLen = -1;
  let dirty = 0;
  let last = 0;
  let hits = 0;
  let misses = 0;
  // The last PFADD served: its frame number (ran's value then), row and register bytes.
  let pfRan = -2;
  let pfSlot = NONE;
  let pfBytes: Uint8Array = outBuf;
  let pfRegs = 0;
  run: for (;;) {
    // A batch of up to BATCH complete frames of the lane's commands (see parseBatch), their
    // keys' rows hinted on a big table, then run one by one.
    const n = parseBatch(input, p, end);
    if (n === 0) break;
    // (one key throughout, as a pipeline on one bitmap or HLL: its row stays in cache anyway)
    if (prefetch && batchKeys) t.touch(fHash, fSlot, n);
    for (let k = 0; k < n; k++) {
      if (op >= LANE_MAX_OUT || (memChecked && account.bytes > memLimit)) break run;
      const ab = k * LANE_MAX_ARGS;
      const argc = fArgc[k];
      const id = fId[k];
      if (((served >>> id) & 1) === 0) break run;
      const h = fHash[k];
      const kOff = argOff[ab + 1];
      const kLen = argLen[ab + 1];
      let changes = 0;
      if (id === LANE_GET || id === LANE_GETBIT) {
        let bit = -1;
        if (id === LANE_GETBIT) {
          if (argc !== 3) break run;
          bit = bitOffset(input, argOff[ab + 2], argLen[ab + 2]);
          if (bit < 0 || Math.floor(bit / 8) >= params.maxBulkLen) break run;
        } else if (argc !== 2) break run;
        const s = t.findAt(input, kOff, kLen, h);
        if (s === NONE) {
          if (bit < 0) outNull(resp3);
          else outInt(0);
          misses++;
        } else {
          if (db.expired(t.expireAt(s), now)) break run;
          // The value's bytes: in the row, in the table's arena, or a JS string or Buffer.
          let bytes: Uint8Array | null = null;
          let str: string | null = null;
          let at = 0;
          let len = t.inlineLength(s);
          if (len >= 0) {
            bytes = t.rowBytes(s);
            at = t.inlineStart(s);
          } else if ((len = t.arenaLength(s)) >= 0) {
            bytes = t.arenaSlab(s);
            at = t.arenaStart(s);
          } else {
            const v = t.value(s);
            if (typeof v === 'string') str = v;
            else if (v instanceof Uint8Array) bytes = v;
            else break run; // another type
            len = v.length;
          }
          if (bit < 0) {
            // (a longer value: the general path writes it without the copy into outBuf)
            if (len > LANE_MAX_BULK) break run;
            db.accessSlot(s, now);
            if (str !== null) outBulkString(str);
            else outBulkBytes(bytes!, at, len);
          } else {
            db.accessSlot(s, now);
            const byte = Math.floor(bit / 8);
            outInt(byte < len ? ((str !== null ? str.charCodeAt(byte) : bytes![at + byte]) >> (7 - (bit & 7))) & 1 : 0);
          }
          hits++;
        }
      } else if (id === LANE_SET) {
        if (argc !== 3) break run;
        const vOff = argOff[ab + 2];
        const vLen = argLen[ab + 2];
        if (maxValue > 0 && vLen > maxValue) break run;
        const s = t.findAt(input, kOff, kLen, h);
        if (s !== NONE) {
          if (db.expired(t.expireAt(s), now)) break run;
          if (t.inlineLength(s) < 0 && t.arenaLength(s) < 0) {
            const v = t.value(s);
            if (typeof v !== 'string' && !(v instanceof Uint8Array)) break run; // a container to replace
          }
        }
        db.setBytesAt(s, input, kOff, kLen, h, vOff, vLen, now);
        reserve(5);
        outBuf[op++] = 43; // "+OK\r\n"
        outBuf[op++] = 79;
        outBuf[op++] = 75;
        outBuf[op++] = 13;
        outBuf[op++] = 10;
        changes = 1;
      } else if (id === LANE_PFADD) {
        if (argc < 3) break run;
        let b: Uint8Array;
        let regs: number;
        if (pfRan === ran - 1 && fSame[k] === 1) {
          // The frame before was a PFADD on this key: its row is the same dense HLL, already a
          // Buffer of its own (editRow made it one), so only the access is left to count.
          db.accessSlot(pfSlot, now);
          b = pfBytes;
          regs = pfRegs;
        } else {
          const s = t.findAt(input, kOff, kLen, h);
          // A dense HLL is longer than any value kept in the row or the arena.
          if (s === NONE || db.expired(t.expireAt(s), now) || t.inlineLength(s) >= 0 || t.arenaLength(s) >= 0) break run;
          const v = t.value(s);
          if ((typeof v !== 'string' && !(v instanceof Uint8Array)) || !isDenseHll(v)) break run;
          const e = db.editRow(s, v, HLL_DENSE_SIZE, now);
          b = pfBytes = e.bytes;
          regs = pfRegs = e.start + HLL_HDR_SIZE;
          pfSlot = s;
        }
        pfRan = ran;
        let updated = 0;
        for (let j = 2; j < argc; j++) {
          const count = patLen(input, argOff[ab + j], argLen[ab + j]);
          updated += denseSet(b, regs, lastPatIndex(), count);
        }
        if (updated !== 0) b[regs - HLL_HDR_SIZE + 15] |= 0x80; // the cached cardinality is stale
        outInt(updated !== 0 ? 1 : 0);
        changes = updated;
      } else if (id === LANE_LPUSH || id === LANE_RPUSH || id === LANE_SADD || id === LANE_HSET) {
        // Writes into an existing container: the Db's listPush, setAdd and hashSet.
        if (argc < 3) break run;
        const hset = id === LANE_HSET;
        if (hset) {
          if (argc < 4 || (argc & 1) !== 0) break run;
          // (hashTypeTryConversion first: the general path)
          let small = true;
          for (let j = 2; j < argc; j++) if (argLen[ab + j] > params.hashMaxValue) small = false;
          if (!small) break run;
        }
        const s = t.findAt(input, kOff, kLen, h);
        if (s === NONE || db.expired(t.expireAt(s), now) || t.inlineLength(s) >= 0 || t.arenaLength(s) >= 0) break run;
        const v = t.value(s);
        if (id === LANE_SADD) {
          if (!(v instanceof JsSet)) break run;
          db.accessSlot(s, now);
          v.maxIntset = params.maxIntset;
          let added = 0;
          for (let j = 2; j < argc; j++) if (v.addAt(input, argOff[ab + j], argLen[ab + j])) added++;
          outInt(added);
          changes = added;
        } else if (hset) {
          if (!(v instanceof JsHash)) break run;
          db.accessSlot(s, now);
          let created = 0;
          // (setField on the input's bytes: no views of them)
          for (let j = 2; j < argc; j += 2) {
            if (v.setFieldAt(input, argOff[ab + j], argLen[ab + j], input, argOff[ab + j + 1], argLen[ab + j + 1], params.hashMaxValue, params.hashMaxEntries)) created++;
          }
          outInt(created);
          changes = (argc - 2) >> 1;
        } else {
          if (!(v instanceof JsList)) break run;
          db.accessSlot(s, now);
          const tail = id === LANE_RPUSH;
          for (let j = 2; j < argc; j++) v.pushBytes(tail, input, argOff[ab + j], argLen[ab + j]);
          outInt(v.size);
          changes = argc - 2;
        }
      } else if (id === LANE_LPOP || id === LANE_RPOP) {
        if (argc !== 2) break run;
        const s = t.findAt(input, kOff, kLen, h);
        if (s === NONE) outNull(resp3);
        else {
          if (db.expired(t.expireAt(s), now) || t.inlineLength(s) >= 0 || t.arenaLength(s) >= 0) break run;
          const v = t.value(s);
          // (a pop that empties the list deletes the key: the general path)
          if (!(v instanceof JsList) || v.size < 2) break run;
          db.accessSlot(s, now);
          const e = id === LANE_RPOP ? v.popTail()! : v.popHead()!;
          if (typeof e === 'string') outBulkString(e);
          else outBulkBytes(e, 0, e.length);
          changes = 1;
        }
      } else if (id === LANE_ZADD) {
        if (argc < 4 || (argc & 1) !== 0) break run;
        const elements = (argc - 2) >> 1;
        for (let j = 0; j < elements; j++) {
          const sc = intScore(input, argOff[ab + 2 + 2 * j], argLen[ab + 2 + 2 * j]);
          if (sc !== sc) break run; // flags, other numbers, errors: the general path
          zScores[j] = sc;
        }
        const s = t.findAt(input, kOff, kLen, h);
        if (s === NONE || db.expired(t.expireAt(s), now) || t.inlineLength(s) >= 0 || t.arenaLength(s) >= 0) break run;
        const z = t.value(s);
        if (!(z instanceof JsZSet)) break run;
        db.accessSlot(s, now);
        // zsetAddAll: the adds (addMany's steps, on the input's bytes), then settleEncoding with
        // the longest member inserted past zset-max-listpack-value (zsetAddAll looks members up
        // before its adds; without flags, the members absent then are those this loop adds).
        let added = 0;
        let updated = 0;
        let longInserted = 0;
        for (let j = 0; j < elements; j++) {
          const at = argOff[ab + 3 + 2 * j];
          const len = argLen[ab + 3 + 2 * j];
          const r = z.addAt(input, at, len, zScores[j], 0);
          if (r === ADD_ADDED) {
            added++;
            if (len > params.zsetMaxValue && len > longInserted) longInserted = len;
          } else if (r === ADD_UPDATED) updated++;
        }
        if (added > 0) z.settleEncoding(params.zsetMaxEntries, params.zsetMaxValue, longInserted);
        outInt(added);
        changes = added + updated;
      } else if (id === LANE_SPOP || id === LANE_ZPOPMIN || id === LANE_ZPOPMAX) {
        if (argc !== 2) break run;
        const s = t.findAt(input, kOff, kLen, h);
        if (s === NONE) {
          // (SPOP: null; ZPOPMIN/ZPOPMAX: an empty array in both protocols)
          if (id === LANE_SPOP) outNull(resp3);
          else outHeader(42, 0);
        } else {
          if (db.expired(t.expireAt(s), now) || t.inlineLength(s) >= 0 || t.arenaLength(s) >= 0) break run;
          const v = t.value(s);
          // (a pop that empties the value deletes the key: the general path)
          if (id === LANE_SPOP) {
            if (!(v instanceof JsSet) || v.size < 2) break run;
            db.accessSlot(s, now);
            const m = v.randomMember()!;
            if (typeof m === 'string') v.deleteString(m);
            else v.delete(m as Buffer);
            outBulk(m);
          } else {
            if (!(v instanceof JsZSet) || v.size < 2) break run;
            db.accessSlot(s, now);
            v.popOne(id === LANE_ZPOPMAX, popped);
            outHeader(42, 2);
            outBulk(popped.member);
            outDouble(popped.score, resp3);
          }
          changes = 1;
        }
      } else if (id === LANE_LRANGE || id === LANE_ZRANGE) {
        if (argc !== 4) break run;
        let start = plainInt(input, argOff[ab + 2], argLen[ab + 2]);
        let stop = plainInt(input, argOff[ab + 3], argLen[ab + 3]);
        if (start !== start || stop !== stop) break run;
        const s = t.findAt(input, kOff, kLen, h);
        let v: unknown = null;
        let len = 0;
        if (s !== NONE) {
          if (db.expired(t.expireAt(s), now) || t.inlineLength(s) >= 0 || t.arenaLength(s) >= 0) break run;
          v = t.value(s);
          if (!(id === LANE_LRANGE ? v instanceof JsList : v instanceof JsZSet)) break run;
          db.accessSlot(s, now);
          len = (v as JsList | JsZSet).size;
          hits++;
        } else misses++;
        // (clampRange, as lrange and zrangeGeneric normalize)
        if (start < 0) start += len;
        if (stop < 0) stop += len;
        if (start < 0) start = 0;
        let count = 0;
        if (start <= stop && start < len) {
          if (stop >= len) stop = len - 1;
          count = stop - start + 1;
        }
        outHeader(42, count);
        if (count > 0) {
          if (v instanceof JsList) for (let j = start; j <= stop; j++) outBulk(v.at(j)!);
          else (v as JsZSet).rangeByRank(start, stop, false, outBulk);
        }
      } else if (id === LANE_SMEMBERS || id === LANE_HGETALL) {
        if (argc !== 2) break run;
        const s = t.findAt(input, kOff, kLen, h);
        const smembers = id === LANE_SMEMBERS;
        if (s === NONE) {
          // RESP3: a set (~) or a map (%); RESP2: arrays.
          outHeader(resp3 ? (smembers ? 126 : 37) : 42, 0);
          misses++;
        } else {
          if (db.expired(t.expireAt(s), now) || t.inlineLength(s) >= 0 || t.arenaLength(s) >= 0) break run;
          const v = t.value(s);
          if (!(smembers ? v instanceof JsSet : v instanceof JsHash)) break run;
          db.accessSlot(s, now);
          if (v instanceof JsSet) {
            outHeader(resp3 ? 126 : 42, v.size);
            v.forEach(outBulk);
          } else {
            const hv = v as JsHash;
            outHeader(resp3 ? 37 : 42, resp3 ? hv.size : hv.size * 2);
            hv.writeAll(laneSink, true, true);
          }
          hits++;
        }
      } else if (id === LANE_SETBIT) {
        // SETBIT key offset 0|1: the offset as GETBIT's, the bit a single '0' or '1'.
        if (argc !== 4 || argLen[ab + 3] !== 1) break run;
        const on = input[argOff[ab + 3]] - 48;
        if (on !== 0 && on !== 1) break run;
        const bit = bitOffset(input, argOff[ab + 2], argLen[ab + 2]);
        const byte = Math.floor(bit / 8);
        if (bit < 0 || byte >= params.maxBulkLen) break run;
        const s = t.findAt(input, kOff, kLen, h);
        if (s !== NONE && db.expired(t.expireAt(s), now)) break run;
        const e = db.editStringAt(s, input, kOff, kLen, h, byte + 1, now);
        if (typeof e === 'number') break run; // another type
        const at = e.start + byte;
        const shift = 7 - (bit & 7);
        const old = e.bytes[at];
        const was = (old >> shift) & 1;
        // (Redis counts a change when the bit flips or the value grew)
        if (was !== on || e.oldLength < e.length) {
          e.bytes[at] = (old & ~(1 << shift)) | (on << shift);
          changes = 1;
        }
        outInt(was);
      } else if (id === LANE_BITFIELD) {
        const bop = bitfieldArgs(input, ab, argc, params.maxBulkLen);
        if (bop < 0) break run;
        const bits = bfBits;
        const s = t.findAt(input, kOff, kLen, h);
        if (s !== NONE && db.expired(t.expireAt(s), now)) break run;
        if (bop === BF_GET) {
          let u = 0;
          if (s === NONE) misses++;
          else {
            // The value's bytes: in the row, in the table's arena, or a JS string or Buffer.
            const il = t.inlineLength(s);
            const al = il >= 0 ? -1 : t.arenaLength(s);
            if (il >= 0) u = fieldGet(t.rowBytes(s), t.inlineStart(s), il, bfOffset, bits);
            else if (al >= 0) u = fieldGet(t.arenaSlab(s), t.arenaStart(s), al, bfOffset, bits);
            else {
              const v = t.value(s);
              if (typeof v !== 'string' && !(v instanceof Uint8Array)) break run; // another type
              u = fieldGet(v, 0, v.length, bfOffset, bits);
            }
            db.accessSlot(s, now);
            hits++;
          }
          outOneInt(fieldValue(u));
        } else {
          const e = db.editStringAt(s, input, kOff, kLen, h, Math.floor((bfOffset + bits - 1) / 8) + 1, now);
          if (typeof e === 'number') break run; // another type
          const oldval = fieldValue(fieldGet(e.bytes, e.start, e.length, bfOffset, bits));
          // OVERFLOW WRAP (checkOverflowNum's): the exact sum modulo 2^bits (every step exact
          // below 2^53), read back as the field's type.
          const span = POW2[bits];
          let u = bop === BF_INCRBY ? oldval + bfValue : bfValue;
          if (u < 0 || u >= span) u -= Math.floor(u / span) * span;
          const newval = fieldValue(u);
          fieldSet(e.bytes, e.start, bfOffset, bits, u);
          outOneInt(bop === BF_INCRBY ? newval : oldval);
          if (e.oldLength < e.length || oldval !== newval) changes = 1;
        }
      } else {
        // INCR, DECR, INCRBY, DECRBY
        const withArg = id === LANE_INCRBY || id === LANE_DECRBY;
        if (argc !== (withArg ? 3 : 2)) break run;
        let by = 1;
        if (withArg) {
          by = plainInt(input, argOff[ab + 2], argLen[ab + 2]);
          // (NaN, or past 2^53: the general path computes in 64-bit integers)
          if (!(by >= -SAFE && by <= SAFE)) break run;
        }
        if (id === LANE_DECR || id === LANE_DECRBY) by = -by;
        const r = db.incrByAt(input, kOff, kLen, h, by, now);
        if (r !== r) break run; // NaN: nothing changed (expired, not a small integer, past 2^53, another type)
        outInt(r);
        changes = 1;
      }
      p = fEnd[k];
      ran++;
      dirty += changes;
      last = id;
      stats[id]++;
    }
    if (n < BATCH) break;
  }
  if (op > 0) out.rawBytes(outBuf, 0, op);
  // (a run that answered a big LRANGE or HGETALL does not keep its buffer)
  if (outBuf.length > 2 * LANE_MAX_OUT) outBuf = Buffer.allocUnsafe(OUT_INITIAL);
  stats[LS_DIRTY >> 2] = dirty;
  stats[LS_LAST >> 2] = last;
  stats[LS_HITS >> 2] = hits;
  stats[LS_MISSES >> 2] = misses;
  stats[LS_CMDS >> 2] = ran;
  return p - start;
}
