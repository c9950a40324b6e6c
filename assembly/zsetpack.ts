/*
 * zsetpack.ts -- Redis sorted sets in linear memory as a native collection (native.ts, kind
 * NK_ZSET): a packed small form ("listpack") converted one way to the skip list of skiplist.ts
 * ("skiplist"), at Redis 7.0's points (t_zset.c zsetAdd / zsetConvert).
 *
 * Header: the common 24-byte collection header (native.ts). NC_COUNT is the member count in both
 * forms, so the JS side reads ZCARD without a call.
 *
 * Small form: NC_P is one block of NC_CAP bytes (an arena size class), of which the first NC_AUX
 * bytes hold the members in (score, member bytes) order, as Redis's listpack, each entry as
 *   [score][member length, LEB128 varint][member bytes]
 * The score is a LEB128 varint of zigzag(i) << 1 when it is an integer i with |i| < 2^47 (not -0):
 * 1 byte for -32..31, 2 bytes up to +-8191, so small integer scores cost what listpack's do;
 * otherwise the byte 0x01 (a varint with the low bit set, which the integer form never starts
 * with) followed by the 8 bytes of the f64, unaligned. -0 and NaN-free doubles round-trip exactly.
 *
 * Big form (NF_BIG): NC_P is a skip list (skiplist.ts zsCreate), NC_CAP/NC_AUX unused; the skip
 * list is marked big (zsForceBig) so its ZSCAN walks the dict.
 *
 * Conversion (one way): znAdd converts before inserting a NEW member when the set would then have
 * more than maxEntries members or the member is longer than maxValue (zsetAdd's listpack branch;
 * a new set thereby starts as a skip list exactly when ZADD's creation rule says so: entries 0 or
 * a first member longer than the value limit). Updating an existing member never converts, and
 * nothing converts back (Redis 7.0 converts back only the results of ZUNIONSTORE & co, which
 * Redust builds from their final contents, so add-time conversion gives the same answer).
 * znConvert is SORT's explicit conversion.
 *
 * Calls take a member at scratch[0, ml) (lex bounds: see znLexRange); results in RES (R_F64 a
 * score, R_MISC a rank) and in the out buffer in skiplist.ts's formats (8-aligned records
 * [f64 score][u32 len][bytes], or RESP bulk strings), so the JS side decodes both forms alike.
 *
 * Complexity: small form O(n) per operation with n <= zset-max-listpack-entries (a byte scan);
 * big form as skiplist.ts; free O(n) in bounded steps (lazyfree.ts).
 */
import { alloc, free, allocSize } from './arena';
import { bytesEq, bytesCmp } from './dict';
import { RES, outReset, outReserve, outCommit, getScratch, scratchReserve } from './io';
import { NC_BYTES, NC_INFO, NC_COUNT, NC_P, NC_CAP, NC_AUX, NF_BIG, NK_ZSET, ncAllocHeader, ncIsBig, outBulk, ncFreeSmall, ncCopySmall } from './native';
import {
  zsCreate, zsMemory, zsScore, zsAdd, zsDelete, zsRank, zsRangeOut, zsRangeResp, zsScoreRange, zsLexRange,
  zsScan, zsClone, zsFreeSome, zsInsertRaw, zsForceBig, zsDestroy, zsAddAt, zsAddFlags, zsPopOne, zsPopWith,
  ZA_NX, ZA_XX, ZA_GT, ZA_LT,
} from './skiplist';
import { R_F64, R_MISC, R_OUTPTR } from '../src/engine/wasm/abi';

// NK_ZSET (this structure's kind in the native header) is defined with the others in native.ts.
const NONE: u32 = 0xffffffff;

// ---------------------------------------------------------------------------------------------
// Entry encoding

/** Set by readEntry: the entry's score, member address and length, and its end offset. */
let eScore: f64 = 0;
let eMp: u32 = 0;
let eMl: u32 = 0;
let eEnd: u32 = 0;

// @ts-ignore: decorator
@inline function isCompactInt(score: f64): bool {
  return Math.abs(score) < 140737488355328.0 && Math.floor(score) == score &&
    !(score == 0 && (reinterpret<u64>(score) >> 63) != 0);
}

/** Bytes the score takes in an entry. */
function scoreLen(score: f64): u32 {
  if (!isCompactInt(score)) return 9;
  const i = <i64>score;
  let v: u64 = (<u64>((i << 1) ^ (i >> 63))) << 1;
  let k: u32 = 1;
  while (v >= 0x80) { v >>= 7; k++; }
  return k;
}

function putScore(p: u32, score: f64): u32 {
  if (!isCompactInt(score)) {
    store<u8>(p, 1);
    store<f64>(p, score, 1);
    return 9;
  }
  const i = <i64>score;
  let v: u64 = (<u64>((i << 1) ^ (i >> 63))) << 1;
  let k: u32 = 0;
  while (v >= 0x80) {
    store<u8>(p + k, <u8>((v & 0x7f) | 0x80));
    v >>= 7;
    k++;
  }
  store<u8>(p + k, <u8>v);
  return k + 1;
}

// @ts-ignore: decorator
@inline function varLen(n: u32): u32 {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

function putVar(p: u32, n: u32): u32 {
  let k: u32 = 0;
  while (n >= 0x80) {
    store<u8>(p + k, <u8>((n & 0x7f) | 0x80));
    n >>= 7;
    k++;
  }
  store<u8>(p + k, <u8>n);
  return k + 1;
}

/** Decode the entry at block address p (offset off): sets eScore, eMp, eMl, eEnd (offset). */
function readEntry(p: u32, off: u32): void {
  let q = p + off;
  let b = <u32>load<u8>(q);
  if (b == 1) {
    eScore = load<f64>(q, 1);
    q += 9;
  } else if (b < 0x80) {
    const zz = b >> 1;
    eScore = <f64>(<i32>(zz >> 1) ^ -<i32>(zz & 1));
    q += 1;
  } else {
    let v: u64 = <u64>(b & 0x7f);
    let s: u64 = 7;
    q++;
    do {
      b = <u32>load<u8>(q);
      v |= (<u64>(b & 0x7f)) << s;
      s += 7;
      q++;
    } while (b >= 0x80);
    const zz = v >> 1;
    eScore = <f64>(<i64>(zz >> 1) ^ -<i64>(zz & 1));
  }
  b = <u32>load<u8>(q);
  if (b < 0x80) {
    eMl = b;
    q++;
  } else {
    let n: u32 = b & 0x7f;
    let s: u32 = 7;
    q++;
    do {
      b = <u32>load<u8>(q);
      n |= (b & 0x7f) << s;
      s += 7;
      q++;
    } while (b >= 0x80);
    eMl = n;
  }
  eMp = q;
  eEnd = q + eMl - p;
}

// ---------------------------------------------------------------------------------------------
// Small form: block management

/** Rank of the entry found by findMember. */
let fRank: u32 = 0;

/**
 * Offset of the member's entry (readEntry state left on it), or NONE. The scan skips the scores
 * without decoding them and compares the first byte before calling bytesEq.
 */
function findMember(c: u32, mp: u32, ml: u32): u32 {
  const b = load<u32>(c, NC_P);
  const end = b + load<u32>(c, NC_AUX);
  const first = ml != 0 ? <u32>load<u8>(mp) : 0;
  let q = b;
  let r: u32 = 0;
  while (q < end) {
    const e = q;
    // Skip the score: tag 1 + f64, or a varint.
    if (load<u8>(q) == 1) q += 9;
    else {
      while (load<u8>(q) >= 0x80) q++;
      q++;
    }
    let l = <u32>load<u8>(q);
    q++;
    if (l >= 0x80) {
      l &= 0x7f;
      let s: u32 = 7;
      let x: u32;
      do {
        x = <u32>load<u8>(q);
        l |= (x & 0x7f) << s;
        s += 7;
        q++;
      } while (x >= 0x80);
    }
    if (l == ml && (ml == 0 || <u32>load<u8>(q) == first) && bytesEq(q, mp, ml)) {
      fRank = r;
      readEntry(b, e - b);
      return e - b;
    }
    q += l;
    r++;
  }
  return NONE;
}

/** Offset where (score, member) belongs: before the first entry ordered after it. */
function insertPos(c: u32, score: f64, mp: u32, ml: u32): u32 {
  const b = load<u32>(c, NC_P);
  const used = load<u32>(c, NC_AUX);
  let off: u32 = 0;
  while (off < used) {
    readEntry(b, off);
    if (eScore > score || (eScore == score && bytesCmp(eMp, eMl, mp, ml) > 0)) return off;
    off = eEnd;
  }
  return used;
}

/** Make the block hold `need` bytes (copying the used part). False on OOM (unchanged). */
function reserve(c: u32, need: u32): bool {
  const cap = load<u32>(c, NC_CAP);
  if (need <= cap) return true;
  const ncap = allocSize(need);
  const nb = alloc(ncap);
  if (nb == 0) return false;
  const ob = load<u32>(c, NC_P);
  if (ob != 0) {
    memory.copy(nb, ob, load<u32>(c, NC_AUX));
    free(ob, cap);
  }
  store<u32>(c, nb, NC_P);
  store<u32>(c, ncap, NC_CAP);
  return true;
}

/** Give back the block's tail when the used part fits a smaller size class (best effort). */
function shrink(c: u32): void {
  const used = load<u32>(c, NC_AUX);
  const cap = load<u32>(c, NC_CAP);
  const ob = load<u32>(c, NC_P);
  if (used == 0) {
    if (cap != 0) free(ob, cap);
    store<u32>(c, 0, NC_P);
    store<u32>(c, 0, NC_CAP);
    return;
  }
  const ncap = allocSize(used);
  if (ncap >= cap) return;
  const nb = alloc(ncap);
  if (nb == 0) return;
  memory.copy(nb, ob, used);
  free(ob, cap);
  store<u32>(c, nb, NC_P);
  store<u32>(c, ncap, NC_CAP);
}

/** Write an entry at offset off (room already reserved): moves the tail up. */
function insertAt(c: u32, off: u32, score: f64, mp: u32, ml: u32): void {
  const b = load<u32>(c, NC_P);
  const used = load<u32>(c, NC_AUX);
  const sl = scoreLen(score);
  const el = sl + varLen(ml) + ml;
  if (off < used) memory.copy(b + off + el, b + off, used - off);
  let q = b + off;
  q += putScore(q, score);
  q += putVar(q, ml);
  memory.copy(q, mp, ml);
  store<u32>(c, used + el, NC_AUX);
}

/** Remove the entry [off, end). */
function removeAt(c: u32, off: u32, end: u32): void {
  const b = load<u32>(c, NC_P);
  const used = load<u32>(c, NC_AUX);
  if (end < used) memory.copy(b + off, b + end, used - end);
  store<u32>(c, used - (end - off), NC_AUX);
}

/** Small -> big. False on OOM (unchanged). */
function convert(c: u32): bool {
  const zs = zsCreate();
  if (zs == 0) return false;
  const b = load<u32>(c, NC_P);
  const used = load<u32>(c, NC_AUX);
  let off: u32 = 0;
  while (off < used) {
    readEntry(b, off);
    if (!zsInsertRaw(zs, eMp, eMl, eScore)) {
      zsDestroy(zs);
      return false;
    }
    off = eEnd;
  }
  zsForceBig(zs);
  const cap = load<u32>(c, NC_CAP);
  if (cap != 0) free(b, cap);
  store<u32>(c, zs, NC_P);
  store<u32>(c, 0, NC_CAP);
  store<u32>(c, 0, NC_AUX);
  store<u32>(c, load<u32>(c, NC_INFO) | NF_BIG, NC_INFO);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Exports

export function znCreate(): u32 {
  return ncAllocHeader(NK_ZSET);
}

/** 1 while the small form (Redis's listpack encoding). */
export function znIsListpack(c: u32): i32 {
  return ncIsBig(c) ? 0 : 1;
}

/** SORT's conversion to the skip list. 1 done (or already big), 0 OOM. */
export function znConvert(c: u32): i32 {
  if (ncIsBig(c)) return 1;
  return convert(c) ? 1 : 0;
}

/** Bytes held (header, block or skip list). O(1). */
export function znMemory(c: u32): f64 {
  const h = <f64>allocSize(NC_BYTES);
  if (ncIsBig(c)) return h + zsMemory(load<u32>(c, NC_P));
  return h + <f64>load<u32>(c, NC_CAP);
}

/** Score of the member at scratch[0, ml): 1 found (RES f64), 0 absent. */
export function znScore(c: u32, ml: u32): i32 {
  if (ncIsBig(c)) return zsScore(load<u32>(c, NC_P), ml);
  if (findMember(c, getScratch(), ml) == NONE) return 0;
  store<f64>(RES, eScore, R_F64);
  return 1;
}

/**
 * Set the member at scratch[0, ml) to `score`: 0 added, 1 score changed, 2 same score
 * (unchanged), -1 OOM (unchanged). RES f64 = the previous score when it existed. A new member
 * converts the small form first when it would exceed maxEntries / maxValue (see the header).
 */
export function znAdd(c: u32, ml: u32, score: f64, maxEntries: u32, maxValue: u32): i32 {
  return addAt(c, getScratch(), ml, score, maxEntries, maxValue);
}

export function addAt(c: u32, mp: u32, ml: u32, score: f64, maxEntries: u32, maxValue: u32): i32 {
  if (!ncIsBig(c)) {
    const off = findMember(c, mp, ml);
    if (off != NONE) {
      const old = eScore;
      store<f64>(RES, old, R_F64);
      if (old == score) return 2;
      const end = eEnd;
      const used = load<u32>(c, NC_AUX);
      const need = used - (end - off) + scoreLen(score) + varLen(ml) + ml;
      if (!reserve(c, need)) return -1;
      removeAt(c, off, end);
      insertAt(c, insertPos(c, score, mp, ml), score, mp, ml);
      shrink(c);
      return 1;
    }
    const count = load<u32>(c, NC_COUNT);
    if (count + 1 > maxEntries || ml > maxValue) {
      if (!convert(c)) return -1;
    } else {
      const used = load<u32>(c, NC_AUX);
      if (!reserve(c, used + scoreLen(score) + varLen(ml) + ml)) return -1;
      insertAt(c, insertPos(c, score, mp, ml), score, mp, ml);
      store<u32>(c, count + 1, NC_COUNT);
      return 0;
    }
  }
  const st = zsAddAt(load<u32>(c, NC_P), mp, ml, score);
  if (st == 0) store<u32>(c, load<u32>(c, NC_COUNT) + 1, NC_COUNT);
  return st;
}

/**
 * RDB load: fill an empty small-form sorted set at once with m members from `arr` (records
 * [u32 ptr][u32 len]) and their scores (f64s at `scores`). The caller checked that they are in
 * (score, member) order without ties or duplicate members, and within the limits. The block is the
 * size class of the final bytes, as member-by-member inserts leave it. False on OOM.
 */
export function znFillSorted(c: u32, arr: u32, scores: u32, m: u32): bool {
  let total: u32 = 0;
  for (let i: u32 = 0; i < m; i++) {
    const l = load<u32>(arr + (i << 3), 4);
    total += scoreLen(load<f64>(scores + (i << 3))) + varLen(l) + l;
  }
  if (!reserve(c, total)) return false;
  let w = load<u32>(c, NC_P);
  for (let i: u32 = 0; i < m; i++) {
    const l = load<u32>(arr + (i << 3), 4);
    w += putScore(w, load<f64>(scores + (i << 3)));
    w += putVar(w, l);
    memory.copy(w, load<u32>(arr + (i << 3)), l);
    w += l;
  }
  store<u32>(c, total, NC_AUX);
  store<u32>(c, m, NC_COUNT);
  return true;
}

/**
 * ZADD's loop in one call: n records at scratch, each 8-aligned [f64 score][u32 len][bytes],
 * applied in order with NX / XX / GT / LT (skiplist.ts's ZA_* bits; INCR stays on the JS side:
 * one member, and its NaN error) as t_zset.c zsetAdd. Returns the members added, RES misc = the
 * scores changed; -1 on OOM (the records before it applied, as one at a time).
 */
export function znAddMany(c: u32, n: u32, flags: u32, maxEntries: u32, maxValue: u32): i32 {
  let p = getScratch();
  let added: u32 = 0;
  let updated: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const score = load<f64>(p);
    const ml = load<u32>(p, 8);
    const mp = p + 12;
    p += align8(12 + ml);
    if (ncIsBig(c)) {
      // One dict lookup for the test and the change.
      const st = zsAddFlags(load<u32>(c, NC_P), mp, ml, score, flags);
      if (st < 0) return -1;
      if (st == 0) {
        store<u32>(c, load<u32>(c, NC_COUNT) + 1, NC_COUNT);
        added++;
      } else if (st == 1) updated++;
      continue;
    }
    const has = findMember(c, mp, ml) != NONE;
    if (has) {
      const cur = eScore;
      if ((flags & ZA_NX) != 0) continue;
      if (((flags & ZA_LT) != 0 && score >= cur) || ((flags & ZA_GT) != 0 && score <= cur)) continue;
      if (score == cur) continue;
      if (addAt(c, mp, ml, score, maxEntries, maxValue) < 0) return -1;
      updated++;
    } else if ((flags & ZA_XX) == 0) {
      if (addAt(c, mp, ml, score, maxEntries, maxValue) < 0) return -1;
      added++;
    }
  }
  store<u32>(RES, updated, R_MISC);
  return <i32>added;
}

/** Remove the member at scratch[0, ml): 1 removed (RES f64 = its score), 0 absent. */
export function znDelete(c: u32, ml: u32): i32 {
  let r: i32;
  if (ncIsBig(c)) {
    r = zsDelete(load<u32>(c, NC_P), ml);
  } else {
    const off = findMember(c, getScratch(), ml);
    if (off == NONE) return 0;
    store<f64>(RES, eScore, R_F64);
    removeAt(c, off, eEnd);
    shrink(c);
    r = 1;
  }
  if (r == 1) store<u32>(c, load<u32>(c, NC_COUNT) - 1, NC_COUNT);
  return r;
}

/**
 * ZPOPMIN / ZPOPMAX of one element in one call: the lowest (reverse: highest) element is written
 * to the out buffer as one znRangeOut record [f64 score][u32 len][bytes], then removed (the big
 * form by node, skiplist.ts zsPopOne; the small form copies the member to scratch for znDelete:
 * scratch may grow, JS re-reads it). Returns 1; 0 when empty; -1 on OOM with nothing removed.
 * Replaces three crossings per popped element (range out, then delete by member after JS copied
 * the member into a Buffer).
 */
export function znPopOne(c: u32, reverse: i32): i32 {
  const n = load<u32>(c, NC_COUNT);
  if (n == 0) return 0;
  if (ncIsBig(c)) {
    const r = zsPopOne(load<u32>(c, NC_P), reverse);
    if (r == 1) store<u32>(c, n - 1, NC_COUNT);
    return r;
  }
  if (znRangeOut(c, reverse != 0 ? n - 1 : 0, 1, reverse) != 1) return -1;
  const rec = load<u32>(RES, R_OUTPTR);
  const ml = load<u32>(rec, 8);
  if (scratchReserve(ml) == 0) return -1;
  memory.copy(getScratch(), rec + 12, ml);
  znDelete(c, ml);
  return 1;
}

/**
 * The fast lane's ZPOPMIN / ZPOPMAX of one element (lane.ts): emit(score, member bytes, length)
 * with the lowest (reverse: highest) element while it is still stored, then remove it. 1; 0 when
 * empty; -1 when emit returned false (nothing removed). Uses neither scratch nor the out buffer.
 */
export function znPopWith(c: u32, reverse: i32, emit: (score: f64, mp: u32, ml: u32) => bool): i32 {
  const n = load<u32>(c, NC_COUNT);
  if (n == 0) return 0;
  if (ncIsBig(c)) {
    const r = zsPopWith(load<u32>(c, NC_P), reverse, emit);
    if (r == 1) store<u32>(c, n - 1, NC_COUNT);
    return r;
  }
  const b = load<u32>(c, NC_P);
  let off: u32 = 0;
  readEntry(b, off);
  if (reverse != 0) {
    // The last entry: walk the (at most zset-max-listpack-entries) entries.
    const used = load<u32>(c, NC_AUX);
    while (eEnd < used) {
      off = eEnd;
      readEntry(b, off);
    }
  }
  if (!emit(eScore, eMp, eMl)) return -1;
  removeAt(c, off, eEnd);
  shrink(c);
  store<u32>(c, n - 1, NC_COUNT);
  return 1;
}

/** 0-based rank (from the highest when reverse), -1 when absent. */
export function znRank(c: u32, ml: u32, reverse: i32): i32 {
  if (ncIsBig(c)) return zsRank(load<u32>(c, NC_P), ml, reverse);
  if (findMember(c, getScratch(), ml) == NONE) return -1;
  return reverse != 0 ? <i32>(load<u32>(c, NC_COUNT) - 1 - fRank) : <i32>fRank;
}

// -- range output (small form) -----------------------------------------------------------------

// @ts-ignore: decorator
@inline function align8(n: u32): u32 { return (n + 7) & ~7; }

/** Append the entry last read (readEntry) to the out buffer. False on OOM. */
function emitEntry(resp: bool): bool {
  if (resp) return outBulk(eMp, eMl);
  const rs = align8(12 + eMl);
  const w = outReserve(rs);
  if (w == 0) return false;
  store<f64>(w, eScore);
  store<u32>(w, eMl, 8);
  memory.copy(w + 12, eMp, eMl);
  outCommit(rs);
  return true;
}

/** Offsets of the entries of a descending window, written from the last. */
const OFFS_CAP: u32 = 1024;
const OFFS: usize = memory.data(OFFS_CAP * 4, 8);

/**
 * Write `count` entries from 0-based rank lo upward (all exist), in descending order when reverse.
 * False on OOM.
 */
function writeRanks(c: u32, lo: u32, count: u32, reverse: bool, resp: bool): bool {
  const b = load<u32>(c, NC_P);
  let off: u32 = 0;
  for (let r: u32 = 0; r < lo; r++) {
    readEntry(b, off);
    off = eEnd;
  }
  if (!reverse) {
    for (let k: u32 = 0; k < count; k++) {
      readEntry(b, off);
      if (!emitEntry(resp)) return false;
      off = eEnd;
    }
    return true;
  }
  let offs = <u32>OFFS;
  if (count > OFFS_CAP) {
    offs = alloc(count << 2);
    if (offs == 0) return false;
  }
  for (let k: u32 = 0; k < count; k++) {
    store<u32>(offs + (k << 2), off);
    readEntry(b, off);
    off = eEnd;
  }
  let ok = true;
  for (let k = <i32>count - 1; k >= 0 && ok; k--) {
    readEntry(b, load<u32>(offs + (<u32>k << 2)));
    ok = emitEntry(resp);
  }
  if (offs != <u32>OFFS) free(offs, count << 2);
  return ok;
}

/** Like zsRangeOut / zsRangeResp: up to count from forward rank start, moving forward or back. */
function rangeWrite(c: u32, start: u32, count: u32, reverse: bool, resp: bool): u32 {
  outReset();
  const len = load<u32>(c, NC_COUNT);
  if (start >= len || count == 0) return 0;
  const avail = reverse ? start + 1 : len - start;
  if (count > avail) count = avail;
  const lo = reverse ? start + 1 - count : start;
  return writeRanks(c, lo, count, reverse, resp) ? count : 0;
}

/** Records [f64][u32 len][bytes] (zsRangeOut's format). Returns how many (0 on OOM). */
export function znRangeOut(c: u32, start: u32, count: u32, reverse: i32): u32 {
  if (ncIsBig(c)) return zsRangeOut(load<u32>(c, NC_P), start, count, reverse);
  return rangeWrite(c, start, count, reverse != 0, false);
}

/** RESP bulk strings (zsRangeResp's format). */
export function znRangeResp(c: u32, start: u32, count: u32, reverse: i32): u32 {
  if (ncIsBig(c)) return zsRangeResp(load<u32>(c, NC_P), start, count, reverse);
  return rangeWrite(c, start, count, reverse != 0, true);
}

/**
 * zsScoreRange's contract (see skiplist.ts): write == 0 counts (RES misc = first rank);
 * otherwise skips `offset` from the low end (high end when reverse) and writes up to `count`.
 */
export function znScoreRange(c: u32, min: f64, minEx: i32, max: f64, maxEx: i32,
  write: i32, reverse: i32, offset: u32, count: u32): i32 {
  if (ncIsBig(c)) return zsScoreRange(load<u32>(c, NC_P), min, minEx, max, maxEx, write, reverse, offset, count);
  if (write != 0) outReset();
  store<u32>(RES, 0, R_MISC);
  if (min > max || (min == max && (minEx != 0 || maxEx != 0))) return 0;
  const b = load<u32>(c, NC_P);
  const used = load<u32>(c, NC_AUX);
  let off: u32 = 0;
  let r: u32 = 0;
  let lo: u32 = NONE;
  let n: u32 = 0;
  while (off < used) {
    readEntry(b, off);
    const s = eScore;
    if (maxEx != 0 ? s >= max : s > max) break;
    if (lo == NONE && (minEx != 0 ? s > min : s >= min)) lo = r;
    if (lo != NONE) n++;
    off = eEnd;
    r++;
  }
  if (n == 0) return 0;
  if (write == 0) {
    store<u32>(RES, lo, R_MISC);
    return <i32>n;
  }
  if (count == 0 || offset >= n) return 0;
  const avail = n - offset;
  const k = count < avail ? count : avail;
  const from = reverse != 0 ? lo + avail - k : lo + offset;
  return writeRanks(c, from, k, reverse != 0, write == 2) ? <i32>k : -1;
}

/**
 * zsLexRange's contract: bounds at scratch (min [0, minLen), max [minLen, minLen + maxLen)), inf
 * -1 "-", 1 "+", 0 the bytes. Returns the count, RES misc = first rank. Small form as Redis's
 * listpack: the first member >= min from the head, then the members <= max that follow it; with
 * `reverse`, the walk ZREVRANGEBYLEX takes (zzlLastInLexRange): the last member <= max from the
 * tail, then the members >= min before it. The two differ only when the scores are not all equal.
 */
export function znLexRange(c: u32, minLen: u32, minEx: i32, minInf: i32, maxLen: u32, maxEx: i32, maxInf: i32, reverse: i32): u32 {
  if (ncIsBig(c)) return zsLexRange(load<u32>(c, NC_P), minLen, minEx, minInf, maxLen, maxEx, maxInf);
  const sp = getScratch();
  store<u32>(RES, 0, R_MISC);
  // sdscmplex(min, max) with the shared minstring / maxstring sentinels.
  let bc: i32;
  if (minInf != 0 && minInf == maxInf) bc = 0;
  else if (minInf < 0 || maxInf > 0) bc = -1;
  else if (minInf > 0 || maxInf < 0) bc = 1;
  else bc = bytesCmp(sp, minLen, sp + minLen, maxLen);
  if (bc > 0 || (bc == 0 && (minEx != 0 || maxEx != 0))) return 0;
  lxMin = sp; lxMinL = minLen; lxMinEx = minEx != 0; lxMinInf = minInf;
  lxMax = sp + minLen; lxMaxL = maxLen; lxMaxEx = maxEx != 0; lxMaxInf = maxInf;
  const b = load<u32>(c, NC_P);
  const used = load<u32>(c, NC_AUX);
  if (used == 0) return 0;
  // zzlIsInLexRange: the last member must be >= min and the first <= max.
  readEntry(b, 0);
  if (!lexLte()) return 0;
  let off: u32 = 0;
  while (eEnd < used) { off = eEnd; readEntry(b, off); }
  if (!lexGte()) return 0;
  off = 0;
  let r: u32 = 0;
  let lo: u32 = NONE;
  let n: u32 = 0;
  if (reverse != 0) {
    // One forward pass: hi = the last member <= max; lo = just after the last member < min before it.
    let hi: u32 = NONE;
    let lastNotGte: i32 = -1;
    while (off < used) {
      readEntry(b, off);
      const gte = lexGte();
      if (lexLte()) {
        hi = r;
        lo = gte ? <u32>(lastNotGte + 1) : NONE;
      }
      if (!gte) lastNotGte = <i32>r;
      off = eEnd;
      r++;
    }
    if (hi == NONE || lo == NONE) return 0;
    store<u32>(RES, lo, R_MISC);
    return hi - lo + 1;
  }
  while (off < used) {
    readEntry(b, off);
    if (lo == NONE && lexGte()) {
      lo = r;
      // zzlFirstInLexRange: the first member >= min must also be <= max.
      if (!lexLte()) return 0;
    }
    if (lo != NONE) {
      if (!lexLte()) break;
      n++;
    }
    off = eEnd;
    r++;
  }
  if (n == 0) return 0;
  store<u32>(RES, lo, R_MISC);
  return n;
}

let lxMin: u32 = 0;
let lxMinL: u32 = 0;
let lxMinEx: bool = false;
let lxMinInf: i32 = 0;
let lxMax: u32 = 0;
let lxMaxL: u32 = 0;
let lxMaxEx: bool = false;
let lxMaxInf: i32 = 0;

/** The entry last read is >= the lex range's min. */
function lexGte(): bool {
  if (lxMinInf < 0) return true;
  if (lxMinInf > 0) return false;
  const k = bytesCmp(eMp, eMl, lxMin, lxMinL);
  return lxMinEx ? k > 0 : k >= 0;
}

/** The entry last read is <= the lex range's max. */
function lexLte(): bool {
  if (lxMaxInf > 0) return true;
  if (lxMaxInf < 0) return false;
  const k = bytesCmp(eMp, eMl, lxMax, lxMaxL);
  return lxMaxEx ? k < 0 : k <= 0;
}

/** ZSCAN step (zsScan's contract); the small form is returned whole with cursor 0. */
export function znScan(c: u32, cursor: u32, count: u32): u32 {
  if (ncIsBig(c)) return zsScan(load<u32>(c, NC_P), cursor, count);
  store<u32>(RES, 0, R_MISC);
  const n = load<u32>(c, NC_COUNT);
  if (rangeWrite(c, 0, n, false, false) < n) {
    store<u32>(RES, 1, R_MISC);
    return cursor;
  }
  return 0;
}

/** Deep copy (COPY, the snapshot), same form. 0 on OOM. */
export function znClone(c: u32): u32 {
  const n = ncAllocHeader(NK_ZSET);
  if (n == 0) return 0;
  if (ncIsBig(c)) {
    const zs = zsClone(load<u32>(c, NC_P));
    if (zs == 0) { free(n, NC_BYTES); return 0; }
    store<u32>(n, NK_ZSET | NF_BIG, NC_INFO);
    store<u32>(n, zs, NC_P);
  } else if (!ncCopySmall(c, n)) {
    free(n, NC_BYTES);
    return 0;
  }
  store<u32>(n, load<u32>(c, NC_COUNT), NC_COUNT);
  return n;
}

/**
 * Free up to about `budget` members of an unreferenced sorted set (lazyfree.ts). Returns the
 * work done; RES misc = 1 once everything, header included, is freed.
 */
export function znFreeSome(c: u32, budget: u32): u32 {
  if (!ncIsBig(c)) return ncFreeSmall(c);
  if (budget == 0) budget = 1;
  if (zsFreeSome(load<u32>(c, NC_P), budget) != 0) {
    store<u32>(RES, 0, R_MISC);
    return budget;
  }
  free(c, NC_BYTES);
  store<u32>(RES, 1, R_MISC);
  return budget;
}
