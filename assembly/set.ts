/*
 * set.ts -- Redis sets in linear memory (t_set.c, Redis 7.0: intset or hashtable).
 *
 * Header: the common 24-byte collection header (native.ts), kind NK_SET.
 *
 * Small form ("intset"): NC_P is one block of NC_CAP bytes (an arena size class) holding NC_COUNT
 * integers sorted ascending, each NC_AUX bytes wide (2, 4 or 8, little endian), like intset.c:
 * the width grows (never shrinks) to the smallest that holds every member. A member is an integer
 * when it is string2ll's canonical text (no sign but '-', no leading zero, no "-0", at most 20
 * bytes, within int64); members are written back as that text.
 *
 * Big form ("hashtable", NF_BIG): NC_P is a dict (dict.ts) of entries
 *   +0 next u32, +4 hash u32, +8 len u32, +12 member bytes
 * NC_CAP counts the entries' allocated bytes.
 *
 * sAdd converts one way when a member is not an integer or the intset would exceed maxIntset
 * members (setTypeAdd + setTypeMaybeConvert); sReencode builds the intset again where Redis builds
 * a new set (SPOP with a count).
 *
 * Calls take the member at scratch[0, ml). Complexity: intset O(log n) lookup, O(n) insert/remove
 * (a memmove, n <= set-max-intset-entries); big form O(1) average; scan O(count); free O(n) in
 * bounded steps (lazyfree.ts).
 */
import { alloc, free, allocSize } from './arena';
import {
  DICT_BYTES, E_NEXT, E_HASH, E_KEYLEN, D_T0, D_S0, D_T1, D_S1, dictInit, dictFind, dictAdd, dictUnlink, dictResize,
  dictRandom, dictScanStep, dictForEach, dictFreeTables, dictTableBytes, hashBytes, randomBelow,
} from './dict';
import { RES, outReserve, outCommit, outReset, getScratch } from './io';
import { dbFindNative } from './keyspace';
import { NC_BYTES, NC_INFO, NC_COUNT, NC_P, NC_CAP, NC_AUX, NK_SET, NF_BIG, ncAllocHeader, ncIsBig, outBulk, ncFreeSmall, ncFreeDictSome } from './native';
import { R_PTR, R_LEN, R_MISC } from '../src/engine/wasm/abi';

const SE_HDR: u32 = 12;
const INTSET_HARD_MAX: u32 = 1 << 30;

// ---------------------------------------------------------------------------------------------
// Integers

let parsed: i64 = 0;

/** string2ll: true when [p, p+len) is the canonical text of an int64 (value in `parsed`). */
export function string2ll(p: u32, len: u32): bool {
  if (len == 0 || len > 20) return false;
  let i: u32 = 0;
  let neg = false;
  if (load<u8>(p) == 45) { // '-'
    neg = true;
    i = 1;
    if (len == 1) return false;
  }
  const first = <u32>load<u8>(p + i);
  if (first == 48) { // '0'
    if (len == 1) { parsed = 0; return true; }
    return false;
  }
  if (first < 49 || first > 57) return false;
  let v: u64 = 0;
  for (; i < len; i++) {
    const d = <u32>load<u8>(p + i) - 48;
    if (d > 9) return false;
    if (v > 1844674407370955161) return false; // (2^64-1) / 10
    v = v * 10;
    if (v > 0xffffffffffffffff - <u64>d) return false;
    v += <u64>d;
  }
  if (neg) {
    if (v > 0x8000000000000000) return false;
    parsed = -<i64>v;
  } else {
    if (v > 0x7fffffffffffffff) return false;
    parsed = <i64>v;
  }
  return true;
}

const DIGITS: usize = memory.data(24, 8);

/** Write v's decimal text at w; returns its length. */
function ll2string(w: u32, v: i64): u32 {
  let u: u64 = v < 0 ? <u64>(-(v + 1)) + 1 : <u64>v;
  let k: u32 = 0;
  do {
    store<u8>(DIGITS + k, <u8>(48 + <u32>(u % 10)));
    u /= 10;
    k++;
  } while (u != 0);
  let n: u32 = 0;
  if (v < 0) { store<u8>(w, 45); n = 1; }
  while (k > 0) {
    k--;
    store<u8>(w + n, load<u8>(DIGITS + k));
    n++;
  }
  return n;
}

// @ts-ignore: decorator
@inline function widthFor(v: i64): u32 {
  if (v >= -32768 && v <= 32767) return 2;
  if (v >= -2147483648 && v <= 2147483647) return 4;
  return 8;
}

// @ts-ignore: decorator
@inline function isGet(b: u32, w: u32, i: u32): i64 {
  if (w == 2) return <i64>load<i16>(b + (i << 1));
  if (w == 4) return <i64>load<i32>(b + (i << 2));
  return load<i64>(b + (i << 3));
}

// @ts-ignore: decorator
@inline function isPut(b: u32, w: u32, i: u32, v: i64): void {
  if (w == 2) store<i16>(b + (i << 1), <i16>v);
  else if (w == 4) store<i32>(b + (i << 2), <i32>v);
  else store<i64>(b + (i << 3), v);
}

/** Binary search: the index of v, or -(insertion point) - 1. */
function isSearch(c: u32, v: i64): i32 {
  const b = load<u32>(c, NC_P);
  const w = load<u32>(c, NC_AUX);
  let lo: i32 = 0;
  let hi: i32 = <i32>load<u32>(c, NC_COUNT) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const x = isGet(b, w, <u32>mid);
    if (x < v) lo = mid + 1;
    else if (x > v) hi = mid - 1;
    else return mid;
  }
  return -lo - 1;
}

/** Give the block the room for n members of width w (re-encoding to w). False on OOM. */
function isResize(c: u32, n: u32, w: u32): bool {
  const ow = load<u32>(c, NC_AUX);
  const cap = load<u32>(c, NC_CAP);
  const need = n * w;
  if (w == ow && need <= cap && allocSize(need) == cap) return true;
  if (need == 0) {
    if (cap != 0) free(load<u32>(c, NC_P), cap);
    store<u32>(c, 0, NC_P);
    store<u32>(c, 0, NC_CAP);
    store<u32>(c, w, NC_AUX);
    return true;
  }
  const ncap = allocSize(need);
  const nb = alloc(ncap);
  if (nb == 0) return false;
  const ob = load<u32>(c, NC_P);
  const count = load<u32>(c, NC_COUNT);
  const keep = count < n ? count : n;
  if (w == ow) {
    if (keep != 0) memory.copy(nb, ob, keep * w);
  } else {
    for (let i: u32 = 0; i < keep; i++) isPut(nb, w, i, isGet(ob, ow, i));
  }
  if (cap != 0) free(ob, cap);
  store<u32>(c, nb, NC_P);
  store<u32>(c, ncap, NC_CAP);
  store<u32>(c, w, NC_AUX);
  return true;
}

/** Insert v (absent) at its place. False on OOM (unchanged). */
function isInsert(c: u32, v: i64, pos: u32): bool {
  const count = load<u32>(c, NC_COUNT);
  let w = load<u32>(c, NC_AUX);
  const vw = widthFor(v);
  if (vw > w) w = vw;
  if (!isResize(c, count + 1, w)) return false;
  const b = load<u32>(c, NC_P);
  if (pos < count) memory.copy(b + (pos + 1) * w, b + pos * w, (count - pos) * w);
  isPut(b, w, pos, v);
  store<u32>(c, count + 1, NC_COUNT);
  return true;
}

function isRemove(c: u32, pos: u32): void {
  const count = load<u32>(c, NC_COUNT);
  const w = load<u32>(c, NC_AUX);
  const b = load<u32>(c, NC_P);
  memory.copy(b + pos * w, b + (pos + 1) * w, (count - pos - 1) * w);
  store<u32>(c, count - 1, NC_COUNT);
  // Shrink the block to the size class of what is left (or free it); a failed shrink keeps it.
  const need = (count - 1) * w;
  const cap = load<u32>(c, NC_CAP);
  if (need == 0) {
    free(b, cap);
    store<u32>(c, 0, NC_P);
    store<u32>(c, 0, NC_CAP);
    return;
  }
  if (allocSize(need) < cap) {
    const ncap = allocSize(need);
    const nb = alloc(ncap);
    if (nb == 0) return;
    memory.copy(nb, b, need);
    free(b, cap);
    store<u32>(c, nb, NC_P);
    store<u32>(c, ncap, NC_CAP);
  }
}

// ---------------------------------------------------------------------------------------------
// Big form

// @ts-ignore: decorator
@inline export function setEntrySize(e: u32): u32 { return SE_HDR + load<u32>(e, E_KEYLEN); }

function newEntry(h: u32, mp: u32, ml: u32): u32 {
  const e = alloc(SE_HDR + ml);
  if (e == 0) return 0;
  store<u32>(e, 0, E_NEXT);
  store<u32>(e, h, E_HASH);
  store<u32>(e, ml, E_KEYLEN);
  memory.copy(e + SE_HDR, mp, ml);
  return e;
}

/** Add to the dict d of header c. 1 added, 0 present, -1 OOM. */
function bigAdd(c: u32, mp: u32, ml: u32): i32 {
  const d = load<u32>(c, NC_P);
  const h = hashBytes(mp, ml);
  if (dictFind(d, mp, ml, h) != 0) return 0;
  const e = newEntry(h, mp, ml);
  if (e == 0) return -1;
  if (!dictAdd(d, e)) { free(e, SE_HDR + ml); return -1; }
  store<u32>(c, load<u32>(c, NC_CAP) + allocSize(SE_HDR + ml), NC_CAP);
  store<u32>(c, load<u32>(c, NC_COUNT) + 1, NC_COUNT);
  return 1;
}

const NUMBUF: usize = memory.data(24, 8);

function freeChain(e: u32): u32 {
  let n: u32 = 0;
  while (e != 0) {
    const next = load<u32>(e, E_NEXT);
    free(e, setEntrySize(e));
    e = next;
    n++;
  }
  return n;
}

function freeDictNow(d: u32): void {
  for (let t: u32 = 0; t < 2; t++) {
    const tab = load<u32>(d + (t == 0 ? D_T0 : D_T1));
    const size = load<u32>(d + (t == 0 ? D_S0 : D_S1));
    for (let i: u32 = 0; i < size; i++) freeChain(load<u32>(tab + (i << 2)));
  }
  dictFreeTables(d);
  free(d, DICT_BYTES);
}

/** intset -> hashtable. False on OOM (unchanged). */
function toBig(c: u32): bool {
  if (ncIsBig(c)) return true;
  const d = alloc(DICT_BYTES);
  if (d == 0) return false;
  dictInit(d, SE_HDR);
  const b = load<u32>(c, NC_P);
  const w = load<u32>(c, NC_AUX);
  const count = load<u32>(c, NC_COUNT);
  let bytes: u32 = 0;
  for (let i: u32 = 0; i < count; i++) {
    const ml = ll2string(<u32>NUMBUF, isGet(b, w, i));
    const e = newEntry(hashBytes(<u32>NUMBUF, ml), <u32>NUMBUF, ml);
    if (e == 0 || !dictAdd(d, e)) {
      if (e != 0) free(e, SE_HDR + ml);
      freeDictNow(d);
      return false;
    }
    bytes += allocSize(SE_HDR + ml);
  }
  if (b != 0) free(b, load<u32>(c, NC_CAP));
  store<u32>(c, d, NC_P);
  store<u32>(c, bytes, NC_CAP);
  store<u32>(c, 0, NC_AUX);
  store<u32>(c, load<u32>(c, NC_INFO) | NF_BIG, NC_INFO);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Exports

export function sCreate(): u32 {
  const c = ncAllocHeader(NK_SET);
  if (c != 0) store<u32>(c, 2, NC_AUX);
  return c;
}

/** 1 while the encoding is intset. */
export function sIsIntset(c: u32): u32 {
  return ncIsBig(c) ? 0 : 1;
}

export function sMemory(c: u32): f64 {
  let n: f64 = <f64>allocSize(NC_BYTES);
  if (ncIsBig(c)) n += <f64>allocSize(DICT_BYTES) + <f64>dictTableBytes(load<u32>(c, NC_P)) + <f64>load<u32>(c, NC_CAP);
  else n += <f64>load<u32>(c, NC_CAP);
  return n;
}

/** Convert to hashtable (one way). 0 on OOM. */
export function sConvert(c: u32): i32 {
  return toBig(c) ? 1 : 0;
}

/**
 * RDB load of a set that will be a hashtable (more members than the intset limit, or a first
 * member that is not an integer): an empty set converted now with its table sized for n members,
 * as rdbLoadObject's dictExpand, so the adds do not grow and rehash it. False on OOM.
 */
export function sMakeBig(c: u32, n: u32): bool {
  if (!toBig(c)) return false;
  dictResize(load<u32>(c, NC_P), n);
  return true;
}

/** SADD of scratch[0, ml): 1 added, 0 present, -1 OOM (unchanged). */
export function sAdd(c: u32, ml: u32, maxIntset: u32): i32 {
  return sAddAt(c, getScratch(), ml, maxIntset);
}

/**
 * SADD of n members in one call (SADD with many members, RDB load): scratch holds n records
 * [u32 len][bytes] (the JS side's putRecords). Returns how many were added, or -1 on OOM (the ones before stay added).
 */
export function sAddMany(c: u32, n: u32, maxIntset: u32): i32 {
  return addRecords(c, getScratch(), n, maxIntset);
}

/**
 * SADD in one crossing with the key's lookup: the key (klen bytes) at the scratch region, then n
 * records as sAddMany takes them. Returns how many were added, -1 on OOM (as sAddMany), or -2 with
 * nothing changed when the key does not hold a set in linear memory (keyspace.ts dbFindNative:
 * the caller takes the general path).
 */
export function dbSetAdd(db: u32, klen: u32, now: f64, n: u32, maxIntset: u32): i32 {
  const c = dbFindNative(db, klen, now, NK_SET);
  if (c == 0) return -2;
  return addRecords(c, getScratch() + klen, n, maxIntset);
}

function addRecords(c: u32, p: u32, n: u32, maxIntset: u32): i32 {
  let added: i32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const ml = load<u32>(p);
    const r = sAddAt(c, p + 4, ml, maxIntset);
    if (r < 0) return -1;
    added += r;
    p += 4 + ml;
  }
  return added;
}

export function sAddAt(c: u32, mp: u32, ml: u32, maxIntset: u32): i32 {
  if (!ncIsBig(c)) {
    if (string2ll(mp, ml)) {
      const pos = isSearch(c, parsed);
      if (pos >= 0) return 0;
      const limit = maxIntset < INTSET_HARD_MAX ? maxIntset : INTSET_HARD_MAX;
      if (load<u32>(c, NC_COUNT) + 1 <= limit) {
        return isInsert(c, parsed, <u32>(-pos - 1)) ? 1 : -1;
      }
    }
    if (!toBig(c)) return -1;
  }
  return bigAdd(c, mp, ml);
}

/** SISMEMBER: 1 / 0. */
export function sHas(c: u32, ml: u32): i32 {
  const mp = getScratch();
  if (!ncIsBig(c)) return string2ll(mp, ml) && isSearch(c, parsed) >= 0 ? 1 : 0;
  return dictFind(load<u32>(c, NC_P), mp, ml, hashBytes(mp, ml)) != 0 ? 1 : 0;
}

/** SREM: 1 removed, 0 absent. */
export function sDelete(c: u32, ml: u32): i32 {
  return sDeleteAt(c, getScratch(), ml);
}

/** sDelete of the member at [mp, mp + ml) (which may be the member's own bytes in the set). */
export function sDeleteAt(c: u32, mp: u32, ml: u32): i32 {
  if (!ncIsBig(c)) {
    if (!string2ll(mp, ml)) return 0;
    const pos = isSearch(c, parsed);
    if (pos < 0) return 0;
    isRemove(c, <u32>pos);
    return 1;
  }
  const e = dictUnlink(load<u32>(c, NC_P), mp, ml, hashBytes(mp, ml));
  if (e == 0) return 0;
  const sz = setEntrySize(e);
  store<u32>(c, load<u32>(c, NC_CAP) - allocSize(sz), NC_CAP);
  free(e, sz);
  store<u32>(c, load<u32>(c, NC_COUNT) - 1, NC_COUNT);
  return 1;
}

// -- output ---------------------------------------------------------------------------------
// Records in the out buffer: [u32 len][bytes], unaligned.

let emitOom: bool = false;
let emitted: u32 = 0;

function emitBytes(p: u32, len: u32): void {
  const w = outReserve(4 + len);
  if (w == 0) { emitOom = true; return; }
  store<u32>(w, len);
  memory.copy(w + 4, p, len);
  outCommit(4 + len);
  emitted++;
}

function emitEntry(e: u32): void {
  emitBytes(e + SE_HDR, load<u32>(e, E_KEYLEN));
}

function emitChainAll(e: u32): void {
  while (e != 0) {
    emitEntry(e);
    e = load<u32>(e, E_NEXT);
  }
}

/** Every member as records (intset: ascending). Returns the count written (< size: OOM). */
export function sOut(c: u32): u32 {
  outReset();
  emitOom = false;
  emitted = 0;
  if (!ncIsBig(c)) {
    const count = load<u32>(c, NC_COUNT);
    const b = load<u32>(c, NC_P);
    const w = load<u32>(c, NC_AUX);
    for (let i: u32 = 0; i < count; i++) {
      const o = outReserve(24);
      if (o == 0) return emitted;
      const n = ll2string(o + 4, isGet(b, w, i));
      store<u32>(o, n);
      outCommit(4 + n);
      emitted++;
    }
    return emitted;
  }
  const d = load<u32>(c, NC_P);
  for (let t: u32 = 0; t < 2; t++) {
    const tab = load<u32>(d + (t == 0 ? D_T0 : D_T1));
    const size = load<u32>(d + (t == 0 ? D_S0 : D_S1));
    for (let i: u32 = 0; i < size && !emitOom; i++) emitChainAll(load<u32>(tab + (i << 2)));
  }
  return emitted;
}

/** SMEMBERS reply body from linear memory: every member as a RESP bulk string, sOut's order. 0 on OOM. */
export function sResp(c: u32): i32 {
  outReset();
  if (!ncIsBig(c)) {
    const count = load<u32>(c, NC_COUNT);
    const b = load<u32>(c, NC_P);
    const w = load<u32>(c, NC_AUX);
    for (let i: u32 = 0; i < count; i++) {
      if (!outBulk(<u32>NUMBUF, ll2string(<u32>NUMBUF, isGet(b, w, i)))) return 0;
    }
    return 1;
  }
  return sForEachBig(c, outBulk) ? 1 : 0;
}

/**
 * Every member of a set in its big form, in sOut's order (the dict's tables, bucket by bucket):
 * fn(member ptr, len), stopping early when it returns false (then false). SMEMBERS and the RDB
 * serializer (rdbsave.ts) both walk through here.
 */
export function sForEachBig(c: u32, fn: (p: u32, len: u32) => bool): bool {
  // AssemblyScript closures cannot capture fn: the entry callback finds it in a module global.
  sEachFn = fn;
  return dictForEach(load<u32>(c, NC_P), sEachEntry);
}

function noMember(p: u32, len: u32): bool {
  return false;
}
let sEachFn: (p: u32, len: u32) => bool = noMember;

function sEachEntry(e: u32): bool {
  return sEachFn(e + SE_HDR, load<u32>(e, E_KEYLEN));
}

/**
 * SSCAN step: an intset is returned whole with cursor 0 (as Redis); otherwise dictScan steps until
 * `count` members were emitted, the iteration ends or count*10 buckets were visited. RES misc = 1
 * on out-buffer OOM (cursor unchanged).
 */
export function sScan(c: u32, cursor: u32, count: u32): u32 {
  store<u32>(RES, 0, R_MISC);
  if (!ncIsBig(c)) {
    if (sOut(c) < load<u32>(c, NC_COUNT)) { store<u32>(RES, 1, R_MISC); return cursor; }
    return 0;
  }
  outReset();
  emitOom = false;
  emitted = 0;
  const d = load<u32>(c, NC_P);
  let maxIter = count * 10;
  const start = cursor;
  do {
    cursor = dictScanStep(d, cursor, emitEntry);
  } while (cursor != 0 && maxIter-- > 0 && emitted < count && !emitOom);
  if (emitOom) { store<u32>(RES, 1, R_MISC); return start; }
  return cursor;
}

/** A random member: RES ptr/len (intset: its text in a static buffer). 0 when empty. */
export function sRandom(c: u32): i32 {
  const n = load<u32>(c, NC_COUNT);
  if (n == 0) return 0;
  if (ncIsBig(c)) {
    const e = dictRandom(load<u32>(c, NC_P));
    store<u32>(RES, e + SE_HDR, R_PTR);
    store<u32>(RES, load<u32>(e, E_KEYLEN), R_LEN);
    return 1;
  }
  const v = isGet(load<u32>(c, NC_P), load<u32>(c, NC_AUX), randomBelow(n));
  store<u32>(RES, <u32>NUMBUF, R_PTR);
  store<u32>(RES, ll2string(<u32>NUMBUF, v), R_LEN);
  return 1;
}

/** Deep copy, same encoding. 0 on OOM (nothing leaked). */
export function sClone(c: u32): u32 {
  const n = ncAllocHeader(NK_SET);
  if (n == 0) return 0;
  if (!ncIsBig(c)) {
    const cap = load<u32>(c, NC_CAP);
    if (cap != 0) {
      const b = alloc(cap);
      if (b == 0) { free(n, NC_BYTES); return 0; }
      memory.copy(b, load<u32>(c, NC_P), cap);
      store<u32>(n, b, NC_P);
    }
    store<u32>(n, cap, NC_CAP);
    store<u32>(n, load<u32>(c, NC_AUX), NC_AUX);
    store<u32>(n, load<u32>(c, NC_COUNT), NC_COUNT);
    return n;
  }
  const d = alloc(DICT_BYTES);
  if (d == 0) { free(n, NC_BYTES); return 0; }
  dictInit(d, SE_HDR);
  store<u32>(n, d, NC_P);
  store<u32>(n, NK_SET | NF_BIG, NC_INFO);
  const sd = load<u32>(c, NC_P);
  for (let t: u32 = 0; t < 2; t++) {
    const tab = load<u32>(sd + (t == 0 ? D_T0 : D_T1));
    const size = load<u32>(sd + (t == 0 ? D_S0 : D_S1));
    for (let i: u32 = 0; i < size; i++) {
      let e = load<u32>(tab + (i << 2));
      while (e != 0) {
        const sz = setEntrySize(e);
        const x = alloc(sz);
        if (x != 0) { memory.copy(x, e, sz); store<u32>(x, 0, E_NEXT); }
        if (x == 0 || !dictAdd(d, x)) {
          if (x != 0) free(x, sz);
          freeDictNow(d);
          free(n, NC_BYTES);
          return 0;
        }
        store<u32>(n, load<u32>(n, NC_CAP) + allocSize(sz), NC_CAP);
        store<u32>(n, load<u32>(n, NC_COUNT) + 1, NC_COUNT);
        e = load<u32>(e, E_NEXT);
      }
    }
  }
  return n;
}

/**
 * Redis builds a fresh set (SPOP with count): intset again when every member is an integer and
 * there are at most maxIntset of them; an intset over the limit converts. 0 on OOM (unchanged).
 */
export function sReencode(c: u32, maxIntset: u32): i32 {
  const limit = maxIntset < INTSET_HARD_MAX ? maxIntset : INTSET_HARD_MAX;
  const count = load<u32>(c, NC_COUNT);
  if (!ncIsBig(c)) return count > limit ? sConvert(c) : 1;
  if (count > limit) return 1;
  const d = load<u32>(c, NC_P);
  // All integers? Find the width at the same time.
  let w: u32 = 2;
  for (let t: u32 = 0; t < 2; t++) {
    const tab = load<u32>(d + (t == 0 ? D_T0 : D_T1));
    const size = load<u32>(d + (t == 0 ? D_S0 : D_S1));
    for (let i: u32 = 0; i < size; i++) {
      let e = load<u32>(tab + (i << 2));
      while (e != 0) {
        if (!string2ll(e + SE_HDR, load<u32>(e, E_KEYLEN))) return 1;
        const vw = widthFor(parsed);
        if (vw > w) w = vw;
        e = load<u32>(e, E_NEXT);
      }
    }
  }
  // Build the sorted block (insertion sort by binary search into a fresh temporary header).
  const tmp = ncAllocHeader(NK_SET);
  if (tmp == 0) return 0;
  store<u32>(tmp, w, NC_AUX);
  if (count != 0 && !isResize(tmp, count, w)) { free(tmp, NC_BYTES); return 0; }
  const b = load<u32>(tmp, NC_P);
  let k: u32 = 0;
  for (let t: u32 = 0; t < 2; t++) {
    const tab = load<u32>(d + (t == 0 ? D_T0 : D_T1));
    const size = load<u32>(d + (t == 0 ? D_S0 : D_S1));
    for (let i: u32 = 0; i < size; i++) {
      let e = load<u32>(tab + (i << 2));
      while (e != 0) {
        string2ll(e + SE_HDR, load<u32>(e, E_KEYLEN));
        store<u32>(tmp, k, NC_COUNT);
        const pos = <u32>(-isSearch(tmp, parsed) - 1);
        if (pos < k) memory.copy(b + (pos + 1) * w, b + pos * w, (k - pos) * w);
        isPut(b, w, pos, parsed);
        k++;
        e = load<u32>(e, E_NEXT);
      }
    }
  }
  freeDictNow(d);
  store<u32>(c, b, NC_P);
  store<u32>(c, load<u32>(tmp, NC_CAP), NC_CAP);
  store<u32>(c, w, NC_AUX);
  store<u32>(c, count, NC_COUNT);
  store<u32>(c, load<u32>(c, NC_INFO) & ~NF_BIG, NC_INFO);
  free(tmp, NC_BYTES);
  return 1;
}

/** Free up to `budget` members of an unreferenced set (see hFreeSome). RES misc = 1 when done. */
export function sFreeSome(c: u32, budget: u32): u32 {
  if (!ncIsBig(c)) return ncFreeSmall(c);
  return ncFreeDictSome(c, budget, freeChain);
}
