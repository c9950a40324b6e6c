/*
 * rdbload.ts -- the RDB loader's fast path: key records read straight from the file's bytes
 * (copied into linear memory by src/engine/wasm/rdbload.ts) into one db, many keys per call.
 *
 * Handled records: an optional EXPIRETIME_MS opcode, then a key (raw, int-encoded or LZF) of type
 * string, set (plain or intset), hash (listpack, or field/value pairs), zset (listpack with
 * integer scores or score texts dtoa17.ts reads, or ZSET_2 pairs with binary scores) or
 * quicklist 2 list (packed or plain nodes), with values in any string encoding (LZF blobs
 * decompressed here). Listpack hashes and zsets in order (as Redis writes them) are built in one
 * pass; a set that will be a hashtable gets its table sized once; the keyspace buckets of the
 * next records are loaded together (prefetch) so their cache misses overlap.
 * Each value is validated as deeply as the JS reader does (persistence/listpack.ts, intset.ts:
 * listpack sizes, header counts, back-lengths, terminator; intset width, size and order;
 * duplicate fields and members), then the packed small forms are built directly from the
 * blob's elements (hash.ts, zsetpack.ts, set.ts, list.ts), with no JS object per element.
 *
 * Anything else stops the call at the start of its record, with nothing of that record stored:
 * other opcodes and types, an expired or duplicate key, an empty or corrupt value, a value past
 * the encoding limits, OOM, or a record running past the copied chunk. The JS loader then reads
 * that record itself (and reports an error with Redis's message, or handles the rare case), so
 * every error and edge case keeps one implementation. Returns the bytes consumed; RES misc = keys
 * stored, RES len = why it stopped (STOP_*).
 *
 * Complexity: O(record bytes) per key, plus the containers' own insert costs.
 */
import { alloc, copyBytes, free } from './arena';
import { lzfDecompress } from './lzf';
import { dictFind, hashBytes, bytesEq, bytesCmp, D_T0, D_S0, D_RIDX, E_HASH } from './dict';
import { RES, scratchPtr, scratchReserve } from './io';
import { NC_COUNT, NATIVE_BIT, NATIVE_MASK, ncHandle, ncQueue, ncRef, ncUnref } from './native';
import { dbAddAbsent, dbSetExpire, dbDelete, dbPresize } from './keyspace';
import { hCreate, hSetAt, hFillSmall, hConvert } from './hash';
import { sCreate, sAddAt, sMakeBig, string2ll } from './set';
import { znCreate, addAt as znAddAt, znFillSorted } from './zsetpack';
import { lCreate, lPushTailAt, lReserve, lReserveDone, lEntrySize } from './list';
import { parse17, parsedScore } from './dtoa17';
import { R_PTR, R_LEN, R_MISC, R_HANDLE } from '../src/engine/wasm/abi';

const T_STRING: u32 = 0;
const T_SET: u32 = 2;
const T_ZSET_2: u32 = 5;
const T_HASH: u32 = 4;
const T_SET_INTSET: u32 = 11;
const T_HASH_LISTPACK: u32 = 16;
const T_ZSET_LISTPACK: u32 = 17;
const T_LIST_QUICKLIST_2: u32 = 18;
const OP_EXPIRETIME_MS: u32 = 252;

/** A value type this fast path reads. */
// @ts-ignore: decorator
@inline function handledType(t: u32): bool {
  return t == T_STRING || t == T_SET || t == T_SET_INTSET || t == T_HASH_LISTPACK || t == T_ZSET_LISTPACK ||
    t == T_LIST_QUICKLIST_2 || t == T_HASH || t == T_ZSET_2;
}

/** Stop reasons (RES len). */
const STOP_OTHER: u32 = 0;
const STOP_CHUNK: u32 = 1;
const STOP_BUDGET: u32 = 2;

const NO_LIMIT: u32 = 0xffffffff;

// Reader state for the current call.
let pos: u32 = 0;
let lim: u32 = 0;
/** A read ran past the chunk (the record may be whole in the file). */
let short: bool = false;

// The last string read: [sP, sP + sL).
let sP: u32 = 0;
let sL: u32 = 0;

// Decimal texts of integers: one per string slot, two for listpack elements.
const IB0: usize = memory.data(32);
const IB1: usize = memory.data(32);
const IB2: usize = memory.data(32);
const IBA: usize = memory.data(32);
const IBB: usize = memory.data(32);

// LZF output blocks, one per string slot (kept between calls, released by rdbLoadDone).
let tmp0: u32 = 0;
let tmp0Cap: u32 = 0;
let tmp1: u32 = 0;
let tmp1Cap: u32 = 0;
let tmp2: u32 = 0;
let tmp2Cap: u32 = 0;

// @ts-ignore: decorator
@inline function need(n: u32): bool {
  if (<u64>pos + <u64>n > <u64>lim) {
    short = true;
    return false;
  }
  return true;
}

/** i64 as decimal text at dst; returns its length. */
function decimal(dst: usize, v: i64): u32 {
  let u: u64 = v < 0 ? <u64>(0 - v) : <u64>v;
  let tmp: usize = dst + 31;
  let n: u32 = 0;
  do {
    store<u8>(tmp - n, <u8>(48 + <u32>(u % 10)));
    u /= 10;
    n++;
  } while (u != 0);
  if (v < 0) {
    store<u8>(tmp - n, 45);
    n++;
  }
  memory.copy(dst, tmp - n + 1, n);
  return n;
}

/** Digits of an i64's decimal text. */
function decimalLen(v: i64): u32 {
  let u: u64 = v < 0 ? <u64>(0 - v) : <u64>v;
  let n: u32 = v < 0 ? 2 : 1;
  while (u >= 10) {
    u /= 10;
    n++;
  }
  return n;
}

// Lengths read by readLen.
let lenEncoded: bool = false;
let lenBad: bool = false;

/** rdbLoadLen: sets lenEncoded for the special encodings, lenBad for values past u32. */
function readLen(): u32 {
  lenEncoded = false;
  lenBad = false;
  if (!need(1)) { lenBad = true; return 0; }
  const b = <u32>load<u8>(pos);
  const t = b >> 6;
  if (t == 3) { pos++; lenEncoded = true; return b & 0x3f; }
  if (t == 0) { pos++; return b & 0x3f; }
  if (t == 1) {
    if (!need(2)) { lenBad = true; return 0; }
    const v = ((b & 0x3f) << 8) | <u32>load<u8>(pos + 1);
    pos += 2;
    return v;
  }
  if (b == 0x80) {
    if (!need(5)) { lenBad = true; return 0; }
    const v = bswap<u32>(load<u32>(pos + 1));
    pos += 5;
    return v;
  }
  if (b == 0x81) {
    if (!need(9)) { lenBad = true; return 0; }
    const v = bswap<u64>(load<u64>(pos + 1));
    pos += 9;
    if (v > 0x7fffffff) { lenBad = true; return 0; }
    return <u32>v;
  }
  lenBad = true;
  return 0;
}

/** A plain length (not encoded); false when bad. */
function plainLen(): i64 {
  const v = readLen();
  if (lenBad || lenEncoded) return -1;
  return <i64>v;
}

/** Make slot's (0, 1 or 2) LZF block at least n bytes; 0 on OOM. */
function tmpFor(slot: u32, n: u32): u32 {
  if (slot == 0) {
    if (tmp0Cap < n) {
      if (tmp0 != 0) free(tmp0, tmp0Cap);
      tmp0Cap = n < 256 ? 256 : n;
      tmp0 = alloc(tmp0Cap);
      if (tmp0 == 0) tmp0Cap = 0;
    }
    return tmp0;
  }
  if (slot == 2) {
    if (tmp2Cap < n) {
      if (tmp2 != 0) free(tmp2, tmp2Cap);
      tmp2Cap = n < 4096 ? 4096 : n;
      tmp2 = alloc(tmp2Cap);
      if (tmp2 == 0) tmp2Cap = 0;
    }
    return tmp2;
  }
  if (tmp1Cap < n) {
    if (tmp1 != 0) free(tmp1, tmp1Cap);
    tmp1Cap = n < 4096 ? 4096 : n;
    tmp1 = alloc(tmp1Cap);
    if (tmp1 == 0) tmp1Cap = 0;
  }
  return tmp1;
}

/** rdbGenericLoadStringObject into [sP, sP + sL) (slot 0, 1 or 2 for int and LZF texts). */
function readString(slot: u32): bool {
  const v = readLen();
  if (lenBad) return false;
  if (lenEncoded) {
    const ib = slot == 0 ? IB0 : slot == 1 ? IB1 : IB2;
    if (v == 0) {
      if (!need(1)) return false;
      sP = <u32>ib;
      sL = decimal(ib, <i64>load<i8>(pos));
      pos += 1;
      return true;
    }
    if (v == 1) {
      if (!need(2)) return false;
      sP = <u32>ib;
      sL = decimal(ib, <i64>load<i16>(pos));
      pos += 2;
      return true;
    }
    if (v == 2) {
      if (!need(4)) return false;
      sP = <u32>ib;
      sL = decimal(ib, <i64>load<i32>(pos));
      pos += 4;
      return true;
    }
    if (v != 3) return false;
    const clen = plainLen();
    if (clen < 0) return false;
    const len = plainLen();
    if (len < 0) return false;
    if (!need(<u32>clen)) return false;
    if (clen == 0 || len > clen * 300 + 64) return false;
    const out = tmpFor(slot, <u32>len);
    if (out == 0) return false;
    if (lzfDecompress(pos, pos + <u32>clen, out, <u32>len) != len) return false;
    pos += <u32>clen;
    sP = out;
    sL = <u32>len;
    return true;
  }
  if (!need(v)) return false;
  sP = pos;
  sL = v;
  pos += v;
  return true;
}

// ------------------------------------------------------------------------------ listpacks

let lpP: u32 = 0;
let lpEnd: u32 = 0;
let lpHdr: u32 = 0;
let lpSeen: u32 = 0;
let eInt: bool = false;
let eVal: i64 = 0;
let eP: u32 = 0;
let eL: u32 = 0;

/** Open the listpack at [p, p + len) (LpReader's checks). */
function lpOpen(p: u32, len: u32): bool {
  if (len < 7) return false;
  if (load<u32>(p) != len) return false;
  if (load<u8>(p + len - 1) != 0xff) return false;
  lpHdr = <u32>load<u16>(p + 4);
  lpSeen = 0;
  lpP = p + 6;
  lpEnd = p + len - 1;
  return true;
}

// @ts-ignore: decorator
@inline function lpFits(p: u32, n: u64): bool {
  return <u64>p + n <= <u64>lpEnd;
}

/** LpReader.next: 1 an element, 0 the end (count checked), -1 corrupt. */
function lpNext(): i32 {
  const p = lpP;
  if (p >= lpEnd) {
    if (p != lpEnd) return -1;
    if (lpHdr != 65535 && lpHdr != lpSeen) return -1;
    return 0;
  }
  const e = <u32>load<u8>(p);
  let n: u64;
  eInt = true;
  if (e < 0x80) {
    eVal = <i64>e;
    n = 1;
  } else if ((e & 0xc0) == 0x80) {
    eInt = false;
    eL = e & 0x3f;
    eP = p + 1;
    n = 1 + <u64>eL;
  } else if ((e & 0xe0) == 0xc0) {
    if (!lpFits(p, 2)) return -1;
    const u = ((e & 0x1f) << 8) | <u32>load<u8>(p + 1);
    eVal = u >= 4096 ? <i64>u - 8192 : <i64>u;
    n = 2;
  } else if ((e & 0xf0) == 0xe0) {
    if (!lpFits(p, 2)) return -1;
    eInt = false;
    eL = ((e & 0x0f) << 8) | <u32>load<u8>(p + 1);
    eP = p + 2;
    n = 2 + <u64>eL;
  } else if (e == 0xf0) {
    if (!lpFits(p, 5)) return -1;
    eInt = false;
    eL = load<u32>(p + 1);
    eP = p + 5;
    n = 5 + <u64>eL;
  } else if (e == 0xf1) {
    if (!lpFits(p, 3)) return -1;
    eVal = <i64>load<i16>(p + 1);
    n = 3;
  } else if (e == 0xf2) {
    if (!lpFits(p, 4)) return -1;
    eVal = <i64>(((<i32>load<u8>(p + 1)) | (<i32>load<u8>(p + 2) << 8) | (<i32>load<u8>(p + 3) << 16)) << 8 >> 8);
    n = 4;
  } else if (e == 0xf3) {
    if (!lpFits(p, 5)) return -1;
    eVal = <i64>load<i32>(p + 1);
    n = 5;
  } else if (e == 0xf4) {
    if (!lpFits(p, 9)) return -1;
    eVal = load<i64>(p + 1);
    n = 9;
  } else return -1;
  if (!lpFits(p, n)) return -1;
  const bl: u64 = n <= 127 ? 1 : n < 16383 ? 2 : n < 2097151 ? 3 : n < 268435455 ? 4 : 5;
  if (!lpFits(p, n + bl)) return -1;
  let q = p + <u32>(n + bl) - 1;
  let v: u64 = 0;
  let shift: u64 = 0;
  for (let k: u64 = 0; k < bl; k++, q--) {
    v |= (<u64>load<u8>(q) & 127) << shift;
    shift += 7;
  }
  if (v != n) return -1;
  lpP = p + <u32>(n + bl);
  lpSeen++;
  return 1;
}

/** The current element's length as bytes (an integer's decimal text). */
// @ts-ignore: decorator
@inline function elemLen(): u32 {
  return eInt ? decimalLen(eVal) : eL;
}

/** The current element's bytes: [sP, sP + sL) (integers as text in ib). */
function elem(ib: usize): void {
  if (eInt) {
    sP = <u32>ib;
    sL = decimal(ib, eVal);
  } else {
    sP = eP;
    sL = eL;
  }
}

/**
 * Validate a listpack and count its elements: even-indexed ones at most maxEven bytes, odd ones
 * at most maxOdd bytes and (oddInt) integers. Returns the count, or -1.
 */
function lpCheck(p: u32, len: u32, maxEven: u32, maxOdd: u32, oddInt: bool): i64 {
  if (!lpOpen(p, len)) return -1;
  let n: i64 = 0;
  let bytes: u32 = 0;
  for (;;) {
    const r = lpNext();
    if (r < 0) return -1;
    if (r == 0) break;
    const l = elemLen();
    if ((n & 1) == 0) {
      if (l > maxEven) return -1;
    } else {
      if (oddInt && !eInt) return -1;
      if (l > maxOdd) return -1;
    }
    bytes += lEntrySize(l);
    n++;
  }
  lpBytes = bytes;
  return n;
}

/** Set by lpCheck: what the listpack's elements take as list node entries (list.ts lEntrySize). */
let lpBytes: u32 = 0;

// ------------------------------------------------------------------------------ values

// Elements of one listpack gathered for a one-pass build: records [u32 ptr][u32 len] at EL,
// integers' decimal texts at EL_TXT (24 bytes each), member fingerprints at EL_HASH (anyDuplicate), scores at EL_SCORE.
const EL_MAX: u32 = 256;
const EL: usize = memory.data(EL_MAX * 8, 8);
const EL_TXT: usize = memory.data(EL_MAX * 24, 8);
const EL_HASH: usize = memory.data(EL_MAX * 4, 4);
const EL_SCORE: usize = memory.data(EL_MAX * 8, 8);
/** hash.ts SMALL_MAX_BYTES: a bigger filled hash takes the element-by-element path. */
const HASH_SMALL_MAX_BYTES: u32 = 1 << 20;

/**
 * A fingerprint of [p, p + l): its length and first, middle and last bytes. Equal strings have
 * equal ones; it only spares anyDuplicate a byte compare, so no hash (no loop) is needed.
 */
// @ts-ignore: decorator
@inline function fingerprint(p: u32, l: u32): u32 {
  return l == 0 ? 0x51ed27 : (l * 0x9e3779b1) ^ (<u32>load<u8>(p) | (<u32>load<u8>(p + (l >> 1)) << 8) | (<u32>load<u8>(p + l - 1) << 16));
}

/** Any two of the `n` records at EL (every `step`-th from 0) equal? Fingerprints kept at EL_HASH. */
function anyDuplicate(n: u32, step: u32): bool {
  for (let i: u32 = 0; i < n; i++) {
    const r = EL + ((i * step) << 3);
    const p = load<u32>(r);
    const l = load<u32>(r, 4);
    const h = fingerprint(p, l);
    store<u32>(EL_HASH + (i << 2), h);
    for (let j: u32 = 0; j < i; j++) {
      if (load<u32>(EL_HASH + (j << 2)) != h) continue;
      const q = EL + ((j * step) << 3);
      if (load<u32>(q, 4) == l && bytesEq(load<u32>(q), p, l)) return true;
    }
  }
  return false;
}

/**
 * Gather the listpack at [p, p + len) into EL (at most EL_MAX elements), every element at most
 * maxLen bytes and the odd ones scores when oddInt (integer entries, or texts dtoa17.ts reads;
 * their values at EL_SCORE).
 * Returns the count, -1 when not handled (corrupt, past the limits), -2 when too many to gather.
 */
function lpGather(p: u32, len: u32, maxLen: u32, oddInt: bool): i32 {
  if (!lpOpen(p, len)) return -1;
  let n: u32 = 0;
  for (;;) {
    const r = lpNext();
    if (r < 0) return -1;
    if (r == 0) break;
    if (n == EL_MAX) return -2;
    const rec = EL + (n << 3);
    if ((n & 1) != 0 && oddInt) {
      // A score: an integer entry, or a text d2string writes (dtoa17.ts reads it exactly).
      if (eInt) store<f64>(EL_SCORE + ((n >> 1) << 3), <f64>eVal);
      else if (parse17(eP, eL)) store<f64>(EL_SCORE + ((n >> 1) << 3), parsedScore);
      else return -1;
    } else if (eInt) {
      const t = EL_TXT + n * 24;
      const l = decimal(t, eVal);
      if (l > maxLen) return -1;
      store<u32>(rec, <u32>t);
      store<u32>(rec, l, 4);
    } else {
      if (eL > maxLen) return -1;
      store<u32>(rec, eP);
      store<u32>(rec, eL, 4);
    }
    n++;
  }
  return <i32>n;
}

/** A hash listpack blob at [p, p + len) as a listpack-encoded hash; 0 when not handled. */
function hashFromListpack(p: u32, len: u32, maxEntries: u32, maxValue: u32): u32 {
  const n = lpGather(p, len, maxValue, false);
  if (n == -2) return hashFromListpackEach(p, len, maxEntries, maxValue);
  if (n <= 0 || (n & 1) != 0 || <u32>(n >> 1) > maxEntries) return 0;
  let total: u64 = 0;
  for (let i: u32 = 0; i < <u32>n; i++) total += <u64>load<u32>(EL + (i << 3), 4) + 5;
  if (total > <u64>HASH_SMALL_MAX_BYTES) return hashFromListpackEach(p, len, maxEntries, maxValue);
  if (anyDuplicate(<u32>n >> 1, 2)) return 0; // the JS reader reports it
  const c = hCreate();
  if (c == 0) return 0;
  if (!hFillSmall(c, <u32>EL, <u32>n)) {
    ncQueue(c);
    return 0;
  }
  return c;
}

/** hashFromListpack field by field (listpacks of more than EL_MAX elements or bytes). */
function hashFromListpackEach(p: u32, len: u32, maxEntries: u32, maxValue: u32): u32 {
  const n = lpCheck(p, len, maxValue, maxValue, false);
  if (n <= 0 || (n & 1) != 0 || <u64>(n >> 1) > <u64>maxEntries) return 0;
  const c = hCreate();
  if (c == 0) return 0;
  lpOpen(p, len);
  while (lpNext() == 1) {
    elem(IBA);
    const fp = sP;
    const fl = sL;
    lpNext();
    elem(IBB);
    if (hSetAt(c, fp, fl, sP, sL, NO_LIMIT, NO_LIMIT) != 1) {
      ncQueue(c);
      return 0;
    }
  }
  return c;
}

/**
 * A zset listpack blob (integer scores only) as a listpack sorted set; 0 when not handled. In
 * one pass when the members are in order (as Redis writes them), else member by member.
 */
function zsetFromListpack(p: u32, len: u32, maxEntries: u32, maxValue: u32): u32 {
  const n = lpGather(p, len, maxValue, true);
  if (n == -2) return zsetFromListpackEach(p, len, maxEntries, maxValue);
  if (n <= 0 || (n & 1) != 0 || <u32>(n >> 1) > maxEntries) return 0;
  const m = <u32>n >> 1;
  // Members compacted to EL[0, m): member i was at EL[2i].
  for (let i: u32 = 1; i < m; i++) store<u64>(EL + (i << 3), load<u64>(EL + (i << 4)));
  for (let i: u32 = 1; i < m; i++) {
    const a = load<f64>(EL_SCORE + ((i - 1) << 3));
    const b = load<f64>(EL_SCORE + (i << 3));
    if (a > b) return zsetFromListpackEach(p, len, maxEntries, maxValue);
    if (a == b) {
      const x = EL + ((i - 1) << 3);
      const y = EL + (i << 3);
      if (bytesCmp(load<u32>(x), load<u32>(x, 4), load<u32>(y), load<u32>(y, 4)) >= 0) return zsetFromListpackEach(p, len, maxEntries, maxValue);
    }
  }
  if (anyDuplicate(m, 1)) return 0; // the JS reader reports it
  const c = znCreate();
  if (c == 0) return 0;
  if (!znFillSorted(c, <u32>EL, <u32>EL_SCORE, m)) {
    ncQueue(c);
    return 0;
  }
  return c;
}

/** zsetFromListpack member by member (sorted by the inserts). */
function zsetFromListpackEach(p: u32, len: u32, maxEntries: u32, maxValue: u32): u32 {
  const n = lpCheck(p, len, maxValue, NO_LIMIT, true);
  if (n <= 0 || (n & 1) != 0 || <u64>(n >> 1) > <u64>maxEntries) return 0;
  const c = znCreate();
  if (c == 0) return 0;
  lpOpen(p, len);
  while (lpNext() == 1) {
    elem(IBA);
    const mp = sP;
    const ml = sL;
    lpNext();
    if (znAddAt(c, mp, ml, <f64>eVal, maxEntries, maxValue) != 0) {
      ncQueue(c);
      return 0;
    }
  }
  return c;
}

/** RDB_TYPE_SET: count, then members. 0 when not handled. */
function setFromMembers(maxIntset: u32): u32 {
  const n = plainLen();
  if (n <= 0) return 0;
  const c = sCreate();
  if (c == 0) return 0;
  // A set that will be a hashtable gets its table sized once (at most one member per byte left).
  const at = pos;
  if (!readString(1)) {
    ncQueue(c);
    return 0;
  }
  if ((n > <i64>maxIntset || !string2ll(sP, sL)) && !sMakeBig(c, n < <i64>(lim - pos + 1) ? <u32>n : lim - pos + 1)) {
    ncQueue(c);
    return 0;
  }
  pos = at;
  for (let i: i64 = 0; i < n; i++) {
    if (!readString(1) || sAddAt(c, sP, sL, maxIntset) != 1) {
      ncQueue(c);
      return 0;
    }
  }
  return c;
}

/**
 * RDB_TYPE_HASH: count, then field, value pairs, as the JS reader builds it (rdb-reader.ts: the
 * pairs set without limits, then fitEncoding: hashtable past hash-max-listpack-entries fields or
 * with a field or value longer than hash-max-listpack-value). A hash that will be a hashtable
 * is converted first, so its fields go straight to the dict. 0 when not handled.
 */
function hashFromPairs(maxEntries: u32, maxValue: u32): u32 {
  const n = plainLen();
  if (n <= 0) return 0;
  const c = hCreate();
  if (c == 0) return 0;
  const big = n > <i64>maxEntries;
  let long = false;
  let ok = !big || hConvert(c) == 1;
  for (let i: i64 = 0; ok && i < n; i++) {
    ok = readString(2);
    if (!ok) break;
    const fp = sP;
    const fl = sL;
    ok = readString(1);
    if (!ok) break;
    if (fl > maxValue || sL > maxValue) long = true;
    ok = hSetAt(c, fp, fl, sP, sL, NO_LIMIT, NO_LIMIT) == 1;
  }
  if (ok && !big && long) ok = hConvert(c) == 1;
  if (!ok) {
    ncQueue(c);
    return 0;
  }
  return c;
}

/**
 * RDB_TYPE_ZSET_2: count, then member and binary double pairs, added one by one with the zset
 * limits as the JS reader's add does (listpack until a limit is crossed). A NaN score or a
 * repeated member is the JS reader's error. 0 when not handled.
 */
function zsetFromPairs(maxEntries: u32, maxValue: u32): u32 {
  const n = plainLen();
  if (n <= 0) return 0;
  const c = znCreate();
  if (c == 0) return 0;
  for (let i: i64 = 0; i < n; i++) {
    let ok = readString(1) && need(8);
    if (ok) {
      const score = load<f64>(pos);
      pos += 8;
      ok = score == score && znAddAt(c, sP, sL, score, maxEntries, maxValue) == 0;
    }
    if (!ok) {
      ncQueue(c);
      return 0;
    }
  }
  return c;
}

/** RDB_TYPE_SET_INTSET: the blob at [p, p + len) (intsetDecode's checks). 0 when not handled. */
function setFromIntset(p: u32, len: u32, maxIntset: u32): u32 {
  if (len < 8) return 0;
  const w = load<u32>(p);
  if (w != 2 && w != 4 && w != 8) return 0;
  const n = load<u32>(p + 4);
  if (n == 0 || 8 + <u64>n * <u64>w != <u64>len) return 0;
  let prev: i64 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const q = p + 8 + i * w;
    const v: i64 = w == 2 ? <i64>load<i16>(q) : w == 4 ? <i64>load<i32>(q) : load<i64>(q);
    if (i > 0 && !(prev < v)) return 0;
    prev = v;
  }
  const c = sCreate();
  if (c == 0) return 0;
  for (let i: u32 = 0; i < n; i++) {
    const q = p + 8 + i * w;
    const v: i64 = w == 2 ? <i64>load<i16>(q) : w == 4 ? <i64>load<i32>(q) : load<i64>(q);
    if (sAddAt(c, <u32>IBA, decimal(IBA, v), maxIntset) != 1) {
      ncQueue(c);
      return 0;
    }
  }
  return c;
}

/** RDB_TYPE_LIST_QUICKLIST_2: nodes of packed listpacks or plain elements. 0 when not handled. */
function listFromQuicklist2(): u32 {
  const nodes = plainLen();
  if (nodes <= 0) return 0;
  const c = lCreate();
  if (c == 0) return 0;
  for (let i: i64 = 0; i < nodes; i++) {
    const container = plainLen();
    let ok = container == 1 || container == 2;
    if (ok) ok = readString(1);
    if (ok && container == 1) {
      ok = lPushTailAt(c, sP, sL);
    } else if (ok) {
      const bp = sP;
      const bl = sL;
      ok = lpCheck(bp, bl, NO_LIMIT, NO_LIMIT, false) >= 0;
      if (ok && lpBytes > 0) ok = lReserve(c, 1, lpBytes);
      if (ok) {
        lpOpen(bp, bl);
        while (ok && lpNext() == 1) {
          elem(IBA);
          ok = lPushTailAt(c, sP, sL);
        }
      }
      lReserveDone();
    }
    if (!ok) {
      ncQueue(c);
      return 0;
    }
  }
  if (load<u32>(c, NC_COUNT) == 0) {
    ncQueue(c);
    return 0;
  }
  return c;
}

/** The key at [kp, kp + kl) into the scratch region; false on OOM. */
function keyToScratch(kp: u32, kl: u32): bool {
  if (scratchReserve(kl) == 0) return false;
  memory.copy(scratchPtr, kp, kl);
  return true;
}

/** One key record (type byte read): stored, or false with nothing stored. */
function loadKey(db: u32, t: u32, expireAt: f64, now: f64, hMaxE: u32, hMaxV: u32, zMaxE: u32, zMaxV: u32, sMaxI: u32): bool {
  if (!readString(0)) return false;
  const kp = sP;
  const kl = sL;
  // The prefetch hashed this key already when it is the next one it looked at, at this address.
  let h: u32;
  if (pfNext < pfCount && load<u32>(PF_KEY + (pfNext << 2)) == kp) {
    h = load<u32>(PF_HASH + (pfNext << 2));
    pfNext++;
  } else h = hashBytes(kp, kl);
  if (dictFind(db, kp, kl, h) != 0) return false; // duplicate (or a key to expire): JS decides
  // From here to the store nothing changes the keyspace, so dbAddAbsent needs no second lookup.
  if (t == T_STRING) {
    if (!readString(1)) return false;
    if (!keyToScratch(kp, kl)) return false;
    if (dbAddAbsent(db, kl, h, sL, -1, now) != 1) return false;
    memory.copy(load<u32>(RES, R_PTR), sP, sL);
  } else {
    let c: u32 = 0;
    if (t == T_SET) c = setFromMembers(sMaxI);
    else if (t == T_LIST_QUICKLIST_2) c = listFromQuicklist2();
    else if (t == T_HASH) c = hashFromPairs(hMaxE, hMaxV);
    else if (t == T_ZSET_2) c = zsetFromPairs(zMaxE, zMaxV);
    else {
      if (!readString(1)) return false;
      if (t == T_HASH_LISTPACK) c = hashFromListpack(sP, sL, hMaxE, hMaxV);
      // (A zset listpack converts by its number of members only, as Redis 7.0's rdbLoadObject:
      // a member longer than zset-max-listpack-value stays in the listpack.)
      else if (t == T_ZSET_LISTPACK) c = zsetFromListpack(sP, sL, zMaxE, NO_LIMIT);
      else c = setFromIntset(sP, sL, sMaxI);
    }
    if (c == 0) return false;
    if (!keyToScratch(kp, kl) || dbAddAbsent(db, kl, h, 0, ncHandle(c), now) != 1) {
      ncQueue(c);
      return false;
    }
    ncRef(c);
  }
  if (expireAt != -1 && dbSetExpire(db, kl, expireAt, now) != 1) {
    // OOM: take the key back out (the JS reader then meets the same OOM and reports it).
    if (dbDelete(db, kl, now) > 0) {
      const h = load<i32>(RES, R_HANDLE);
      if (h >= 0 && (<u32>h & NATIVE_BIT) != 0) ncUnref((<u32>h & NATIVE_MASK) << 3);
    }
    return false;
  }
  return true;
}

// ------------------------------------------------------------------------------ prefetch

/** Records looked ahead per prefetch (their bucket and first entry loaded together). */
const PF_MAX: u32 = 32;
const PF_BUF: usize = memory.data(PF_MAX * 4, 4);
/** The prefetched records' key addresses and hashes, for loadKey (PF_KEY[i], PF_HASH[i], i < pfCount). */
const PF_KEY: usize = memory.data(PF_MAX * 4, 4);
const PF_HASH: usize = memory.data(PF_MAX * 4, 4);
let pfCount: u32 = 0;
/** The next prefetched record loadKey expects. */
let pfNext: u32 = 0;
/** Records before this position were prefetched already. */
let pfEnd: u32 = 0;
let pfSink: u32 = 0;

/** Skip a string (any encoding) without decoding it. */
function skipString(): bool {
  const v = readLen();
  if (lenBad) return false;
  if (lenEncoded) {
    if (v == 0) return skipBytes(1);
    if (v == 1) return skipBytes(2);
    if (v == 2) return skipBytes(4);
    if (v != 3) return false;
    const clen = plainLen();
    if (clen < 0 || plainLen() < 0) return false;
    return skipBytes(<u32>clen);
  }
  return skipBytes(v);
}

// @ts-ignore: decorator
@inline function skipBytes(n: u32): bool {
  if (!need(n)) return false;
  pos += n;
  return true;
}

/** Skip a value of type t (one of the handled types). */
function skipValue(t: u32): bool {
  if (t == T_SET) {
    const n = plainLen();
    if (n < 0) return false;
    for (let i: i64 = 0; i < n; i++) if (!skipString()) return false;
    return true;
  }
  if (t == T_LIST_QUICKLIST_2) {
    const n = plainLen();
    if (n < 0) return false;
    for (let i: i64 = 0; i < n; i++) if (plainLen() < 0 || !skipString()) return false;
    return true;
  }
  if (t == T_HASH) {
    const n = plainLen();
    if (n < 0) return false;
    for (let i: i64 = 0; i < n; i++) if (!skipString() || !skipString()) return false;
    return true;
  }
  if (t == T_ZSET_2) {
    const n = plainLen();
    if (n < 0) return false;
    for (let i: i64 = 0; i < n; i++) if (!skipString() || !skipBytes(8)) return false;
    return true;
  }
  return skipString();
}

/**
 * The keyspace buckets (and their first entries) of the next PF_MAX records' keys, loaded in a
 * row: those loads do not depend on each other, so the CPU overlaps their cache misses instead of
 * meeting them one by one in each record's dictFind. Only a hint: reads nothing it keeps, and the
 * reader's state is as before.
 */
function prefetch(db: u32, from: u32): void {
  const s0 = load<u32>(db, D_S0);
  pfCount = pfNext = 0;
  if (s0 == 0 || load<i32>(db, D_RIDX) >= 0) { pfEnd = 0xffffffff; return; }
  const t0 = load<u32>(db, D_T0);
  const savePos = pos;
  const saveShort = short;
  pos = from;
  let n: u32 = 0;
  let at = pos;
  while (n < PF_MAX && pos < lim) {
    at = pos;
    let t = <u32>load<u8>(pos);
    if (t == OP_EXPIRETIME_MS) {
      if (!need(10)) break;
      pos += 9;
      t = <u32>load<u8>(pos);
    }
    if (!handledType(t)) break;
    pos++;
    const kl = readLen();
    if (lenBad || lenEncoded || !need(kl)) break;
    const h = hashBytes(pos, kl);
    store<u32>(PF_KEY + (n << 2), pos);
    store<u32>(PF_HASH + (n << 2), h);
    store<u32>(PF_BUF + (n << 2), t0 + ((h & (s0 - 1)) << 2));
    n++;
    pos += kl;
    if (!skipValue(t)) break;
  }
  // Next time: after the last record looked at (or just after the one that stopped the look).
  pfEnd = n == PF_MAX ? pos : at + 1;
  pfCount = n;
  for (let i: u32 = 0; i < n; i++) store<u32>(PF_BUF + (i << 2), load<u32>(load<u32>(PF_BUF + (i << 2))));
  let acc: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const e = load<u32>(PF_BUF + (i << 2));
    if (e != 0) acc += load<u32>(e, E_HASH);
  }
  pfSink += acc;
  pos = savePos;
  short = saveShort;
}

/**
 * Load key records from [start, end) into db, at most maxKeys. Returns the bytes consumed;
 * RES misc = keys stored; RES len = STOP_OTHER (a record for the JS reader), STOP_CHUNK (the next
 * record runs past end) or STOP_BUDGET (maxKeys stored).
 */
export function rdbLoadRun(
  db: u32, start: u32, end: u32, now: f64, hMaxE: u32, hMaxV: u32, zMaxE: u32, zMaxV: u32, sMaxI: u32, maxKeys: u32,
): u32 {
  pos = start;
  lim = end;
  let keys: u32 = 0;
  let reason = STOP_BUDGET;
  pfEnd = 0;
  pfCount = pfNext = 0;
  while (keys < maxKeys) {
    const rec = pos;
    if (rec >= pfEnd) prefetch(db, rec);
    short = false;
    if (pos >= lim) { reason = STOP_CHUNK; break; }
    let t = <u32>load<u8>(pos);
    let expireAt: f64 = -1;
    if (t == OP_EXPIRETIME_MS) {
      if (!need(10)) { reason = STOP_CHUNK; break; }
      expireAt = <f64>load<i64>(pos + 1);
      pos += 9;
      t = <u32>load<u8>(pos);
      if (expireAt < now) { pos = rec; reason = STOP_OTHER; break; } // expired at load: JS drops it
    }
    if (!handledType(t)) {
      pos = rec;
      reason = STOP_OTHER;
      break;
    }
    pos++;
    if (!loadKey(db, t, expireAt, now, hMaxE, hMaxV, zMaxE, zMaxV, sMaxI)) {
      reason = short ? STOP_CHUNK : STOP_OTHER;
      pos = rec;
      break;
    }
    keys++;
  }
  store<u32>(RES, keys, R_MISC);
  store<u32>(RES, reason, R_LEN);
  return pos - start;
}

/** RESIZEDB: size an empty db's keyspace table for `size` keys (no rehashing during the load). */
export function rdbLoadResize(db: u32, size: u32): void {
  dbPresize(db, size);
}

/** Release the LZF blocks (the load is over). */
export function rdbLoadDone(): void {
  if (tmp0 != 0) free(tmp0, tmp0Cap);
  if (tmp1 != 0) free(tmp1, tmp1Cap);
  if (tmp2 != 0) free(tmp2, tmp2Cap);
  tmp0 = tmp1 = tmp2 = 0;
  tmp0Cap = tmp1Cap = tmp2Cap = 0;
}
