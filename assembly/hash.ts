/*
 * hash.ts -- Redis hashes in linear memory (t_hash.c): a packed small form and a dict big form.
 *
 * Header: the common 24-byte collection header (native.ts), kind NK_HASH.
 *
 * Small form ("listpack"): NC_P is one block of NC_CAP bytes (an arena size class), of which the
 * first NC_AUX bytes hold the fields and values in insertion order, each as
 *   [length, LEB128 varint (1 byte below 128)][bytes]
 * field, value, field, value... No per-field allocation: an 8-field hash is the header plus one
 * block. A new field is appended; a changed value is rewritten in place (the tail moves when its
 * length changes), as a listpack does, so HGETALL's order is Redis's.
 *
 * Big form ("hashtable", NF_BIG): NC_P is a dict (dict.ts, its own block) whose entries are
 *   +0 next u32, +4 hash u32, +8 fieldLen u32, +12 valueLen u32, +16 field bytes, value bytes
 * (one allocation per field, the dict chains thread through them). A value whose new length
 * keeps the entry's size class is rewritten in place, otherwise the entry moves
 * (dictReplaceEntry). NC_CAP counts the entries' allocated bytes.
 *
 * Encoding: NF_LPENC is Redis's "listpack" answer. hSet converts one way to the big form when a
 * field or value is longer than maxValue (before setting) or the hash has more than maxEntries
 * fields (after setting, a new field or an updated one), as hashTypeSet. A hash filled without limits (hSet with no limits, for RDB
 * loading) still moves to the big representation past SMALL_MAX_COUNT / SMALL_MAX_BYTES to stay
 * O(1) per operation, keeping NF_LPENC until hConvert (HSCAN then still answers in one call).
 *
 * Calls take the field at scratch[0, fl) and the value at scratch[fl, fl + vl). Results in RES:
 * R_PTR/R_LEN a field or value location, R_HANDLE/R_MISC a second location (see each function).
 *
 * Complexity: small form O(n) per operation with n <= hash-max-listpack-entries (a byte scan);
 * big form O(1) average plus the dict's bounded rehash steps; scan O(count); free O(n) in
 * bounded steps (lazyfree.ts).
 */
import { alloc, free, allocSize } from './arena';
import {
  DICT_BYTES, E_NEXT, E_HASH, E_KEYLEN, D_T0, D_S0, D_T1, D_S1, dictInit, dictFind, dictAdd, dictUnlink, dictReplaceEntry,
  dictRandom, dictScanStep, dictForEach, dictFreeTables, dictTableBytes, hashBytes, bytesEq, randomBelow,
} from './dict';
import { RES, outReserve, outCommit, outReset, getScratch } from './io';
import { dbFindNative } from './keyspace';
import {
  NC_BYTES, NC_INFO, NC_COUNT, NC_P, NC_CAP, NC_AUX, NK_HASH, NF_BIG, NF_LPENC, ncAllocHeader, ncIsBig, outBulk, ncFreeSmall, ncCopySmall, ncFreeDictSome,
} from './native';
import { R_PTR, R_LEN, R_HANDLE, R_MISC } from '../src/engine/wasm/abi';

const HE_VLEN: u32 = 12;
const HE_HDR: u32 = 16;
const SMALL_MAX_COUNT: u32 = 4096;
const SMALL_MAX_BYTES: u32 = 1 << 20;

// ---------------------------------------------------------------------------------------------
// Varints

// @ts-ignore: decorator
@inline export function varLen(n: u32): u32 {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

export function putVar(p: u32, n: u32): u32 {
  let k: u32 = 0;
  while (n >= 0x80) {
    store<u8>(p + k, <u8>((n & 0x7f) | 0x80));
    n >>= 7;
    k++;
  }
  store<u8>(p + k, <u8>n);
  return k + 1;
}

/** Bytes consumed by the last getVar. */
let varBytes: u32 = 0;

// @ts-ignore: decorator
@inline export function getVar(p: u32): u32 {
  let b = <u32>load<u8>(p);
  if (b < 0x80) { varBytes = 1; return b; }
  let n: u32 = b & 0x7f;
  let s: u32 = 7;
  let k: u32 = 1;
  do {
    b = <u32>load<u8>(p + k);
    n |= (b & 0x7f) << s;
    s += 7;
    k++;
  } while (b >= 0x80);
  varBytes = k;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Small form

/** Set by lpFind: the value's varint offset, its length, and where its bytes start. */
let lpValOff: u32 = 0;
let lpValLen: u32 = 0;
let lpValPtr: u32 = 0;

/** Offset of the field's entry in the block, or 0xffffffff. */
function lpFind(c: u32, fp: u32, fl: u32): u32 {
  const b = load<u32>(c, NC_P);
  const used = load<u32>(c, NC_AUX);
  let off: u32 = 0;
  while (off < used) {
    const l = getVar(b + off);
    const fstart = off + varBytes;
    const voff = fstart + l;
    const vl = getVar(b + voff);
    const vstart = voff + varBytes;
    if (l == fl && bytesEq(b + fstart, fp, fl)) {
      lpValOff = voff;
      lpValLen = vl;
      lpValPtr = b + vstart;
      return off;
    }
    off = vstart + vl;
  }
  return 0xffffffff;
}

/** Make the block hold `need` bytes (copying the used part). False on OOM (unchanged). */
function lpReserve(c: u32, need: u32): bool {
  const cap = load<u32>(c, NC_CAP);
  if (need <= cap) return true; // shrinking is lpShrink's job
  const ncap = allocSize(need);
  const nb = alloc(ncap);
  if (nb == 0) return false;
  const ob = load<u32>(c, NC_P);
  const used = load<u32>(c, NC_AUX);
  if (ob != 0) {
    memory.copy(nb, ob, used < need ? used : need);
    free(ob, cap);
  }
  store<u32>(c, nb, NC_P);
  store<u32>(c, ncap, NC_CAP);
  return true;
}

/** After a removal: give back the block's tail when the used part fits a smaller size class. */
function lpShrink(c: u32): void {
  const used = load<u32>(c, NC_AUX);
  const cap = load<u32>(c, NC_CAP);
  if (used == 0) {
    free(load<u32>(c, NC_P), cap);
    store<u32>(c, 0, NC_P);
    store<u32>(c, 0, NC_CAP);
    return;
  }
  if (allocSize(used) >= cap) return;
  const ncap = allocSize(used);
  const nb = alloc(ncap);
  if (nb == 0) return; // keep the bigger block
  const ob = load<u32>(c, NC_P);
  memory.copy(nb, ob, used);
  free(ob, cap);
  store<u32>(c, nb, NC_P);
  store<u32>(c, ncap, NC_CAP);
}

function lpSet(c: u32, fp: u32, fl: u32, vp: u32, vl: u32): i32 {
  const at = lpFind(c, fp, fl);
  const used = load<u32>(c, NC_AUX);
  if (at != 0xffffffff) {
    const oldBytes = varLen(lpValLen) + lpValLen;
    const newBytes = varLen(vl) + vl;
    const voff = lpValOff;
    const tail = voff + oldBytes;
    const nused = used - oldBytes + newBytes;
    if (newBytes > oldBytes && !lpReserve(c, nused)) return -1;
    const b = load<u32>(c, NC_P);
    if (newBytes != oldBytes) memory.copy(b + voff + newBytes, b + tail, used - tail);
    const k = putVar(b + voff, vl);
    memory.copy(b + voff + k, vp, vl);
    store<u32>(c, nused, NC_AUX);
    if (newBytes < oldBytes) lpShrink(c);
    return 0;
  }
  const add = varLen(fl) + fl + varLen(vl) + vl;
  if (!lpReserve(c, used + add)) return -1;
  const b = load<u32>(c, NC_P);
  let w = b + used;
  w += putVar(w, fl);
  memory.copy(w, fp, fl);
  w += fl;
  w += putVar(w, vl);
  memory.copy(w, vp, vl);
  store<u32>(c, used + add, NC_AUX);
  store<u32>(c, load<u32>(c, NC_COUNT) + 1, NC_COUNT);
  return 1;
}

function lpDelete(c: u32, fp: u32, fl: u32): i32 {
  const at = lpFind(c, fp, fl);
  if (at == 0xffffffff) return 0;
  const end = lpValPtr - load<u32>(c, NC_P) + lpValLen;
  const used = load<u32>(c, NC_AUX);
  const b = load<u32>(c, NC_P);
  memory.copy(b + at, b + end, used - end);
  store<u32>(c, used - (end - at), NC_AUX);
  store<u32>(c, load<u32>(c, NC_COUNT) - 1, NC_COUNT);
  lpShrink(c);
  return 1;
}

// ---------------------------------------------------------------------------------------------
// Big form

// @ts-ignore: decorator
@inline function entryBytes(fl: u32, vl: u32): u32 { return HE_HDR + fl + vl; }
// @ts-ignore: decorator
@inline export function hashEntrySize(e: u32): u32 { return entryBytes(load<u32>(e, E_KEYLEN), load<u32>(e, HE_VLEN)); }

function newEntry(h: u32, fp: u32, fl: u32, vp: u32, vl: u32): u32 {
  const e = alloc(entryBytes(fl, vl));
  if (e == 0) return 0;
  store<u32>(e, 0, E_NEXT);
  store<u32>(e, h, E_HASH);
  store<u32>(e, fl, E_KEYLEN);
  store<u32>(e, vl, HE_VLEN);
  memory.copy(e + HE_HDR, fp, fl);
  memory.copy(e + HE_HDR + fl, vp, vl);
  return e;
}

// @ts-ignore: decorator
@inline function addEntryBytes(c: u32, delta: i32): void {
  store<u32>(c, <u32>(<i32>load<u32>(c, NC_CAP) + delta), NC_CAP);
}

function bigSet(c: u32, fp: u32, fl: u32, vp: u32, vl: u32): i32 {
  const d = load<u32>(c, NC_P);
  const h = hashBytes(fp, fl);
  const e = dictFind(d, fp, fl, h);
  if (e != 0) {
    const ovl = load<u32>(e, HE_VLEN);
    const oldSize = allocSize(entryBytes(fl, ovl));
    const newSize = allocSize(entryBytes(fl, vl));
    if (oldSize == newSize) {
      memory.copy(e + HE_HDR + fl, vp, vl);
      store<u32>(e, vl, HE_VLEN);
      return 0;
    }
    const n = newEntry(h, fp, fl, vp, vl);
    if (n == 0) return -1;
    store<u32>(n, load<u32>(e, E_NEXT), E_NEXT);
    dictReplaceEntry(d, e, n);
    free(e, entryBytes(fl, ovl));
    addEntryBytes(c, <i32>newSize - <i32>oldSize);
    return 0;
  }
  const n = newEntry(h, fp, fl, vp, vl);
  if (n == 0) return -1;
  if (!dictAdd(d, n)) {
    free(n, entryBytes(fl, vl));
    return -1;
  }
  addEntryBytes(c, <i32>allocSize(entryBytes(fl, vl)));
  store<u32>(c, load<u32>(c, NC_COUNT) + 1, NC_COUNT);
  return 1;
}

/** Small -> big representation. False on OOM (unchanged). */
function toBig(c: u32): bool {
  if (ncIsBig(c)) return true;
  const d = alloc(DICT_BYTES);
  if (d == 0) return false;
  dictInit(d, HE_HDR);
  const b = load<u32>(c, NC_P);
  const used = load<u32>(c, NC_AUX);
  let bytes: u32 = 0;
  let off: u32 = 0;
  while (off < used) {
    const fl = getVar(b + off);
    const fp = b + off + varBytes;
    const vl = getVar(fp + fl);
    const vp = fp + fl + varBytes;
    const n = newEntry(hashBytes(fp, fl), fp, fl, vp, vl);
    if (n == 0 || !dictAdd(d, n)) {
      if (n != 0) free(n, entryBytes(fl, vl));
      freeDictNow(d);
      return false;
    }
    bytes += allocSize(entryBytes(fl, vl));
    off = vp - b + vl;
  }
  if (b != 0) free(b, load<u32>(c, NC_CAP));
  store<u32>(c, d, NC_P);
  store<u32>(c, bytes, NC_CAP);
  store<u32>(c, 0, NC_AUX);
  store<u32>(c, load<u32>(c, NC_INFO) | NF_BIG, NC_INFO);
  return true;
}

function freeChain(e: u32): u32 {
  let n: u32 = 0;
  while (e != 0) {
    const next = load<u32>(e, E_NEXT);
    free(e, hashEntrySize(e));
    e = next;
    n++;
  }
  return n;
}

function freeDictNow(d: u32): void {
  const t0 = load<u32>(d, D_T0);
  const s0 = load<u32>(d, D_S0);
  for (let i: u32 = 0; i < s0; i++) freeChain(load<u32>(t0 + (i << 2)));
  const t1 = load<u32>(d, D_T1);
  const s1 = load<u32>(d, D_S1);
  for (let i: u32 = 0; i < s1; i++) freeChain(load<u32>(t1 + (i << 2)));
  dictFreeTables(d);
  free(d, DICT_BYTES);
}

// ---------------------------------------------------------------------------------------------
// Exports

export function hCreate(): u32 {
  return ncAllocHeader(NK_HASH | NF_LPENC);
}

export function hLen(c: u32): u32 {
  return load<u32>(c, NC_COUNT);
}

/** 1 while Redis's encoding is listpack. */
export function hIsListpack(c: u32): u32 {
  return (load<u32>(c, NC_INFO) & NF_LPENC) != 0 ? 1 : 0;
}

/** Bytes held in linear memory (header, block or dict, tables and entries). */
export function hMemory(c: u32): f64 {
  let n: f64 = <f64>allocSize(NC_BYTES);
  if (ncIsBig(c)) {
    n += <f64>allocSize(DICT_BYTES) + <f64>dictTableBytes(load<u32>(c, NC_P)) + <f64>load<u32>(c, NC_CAP);
  } else if (load<u32>(c, NC_CAP) != 0) {
    n += <f64>load<u32>(c, NC_CAP);
  }
  return n;
}

/** Field at scratch[0, fl): 1 found (RES ptr/len = the value's bytes), 0 absent. */
export function hGet(c: u32, fl: u32): i32 {
  const fp = getScratch();
  if (ncIsBig(c)) {
    const d = load<u32>(c, NC_P);
    const e = dictFind(d, fp, fl, hashBytes(fp, fl));
    if (e == 0) return 0;
    store<u32>(RES, e + HE_HDR + fl, R_PTR);
    store<u32>(RES, load<u32>(e, HE_VLEN), R_LEN);
    return 1;
  }
  if (lpFind(c, fp, fl) == 0xffffffff) return 0;
  store<u32>(RES, lpValPtr, R_PTR);
  store<u32>(RES, lpValLen, R_LEN);
  return 1;
}

/** Convert to the hashtable encoding (one way). 0 on OOM. */
export function hConvert(c: u32): i32 {
  if (!toBig(c)) return 0;
  store<u32>(c, load<u32>(c, NC_INFO) & ~NF_LPENC, NC_INFO);
  return 1;
}

/**
 * hashTypeSet of scratch[0, fl) = scratch[fl, fl + vl): converts to the hashtable encoding first
 * when the field or value is longer than maxValue, after (the field new or updated) when there
 * are more than maxEntries fields. 1 new field, 0 updated, -1 OOM (nothing changed).
 */
export function hSet(c: u32, fl: u32, vl: u32, maxValue: u32, maxEntries: u32): i32 {
  const fp = getScratch();
  return hSetAt(c, fp, fl, fp + fl, vl, maxValue, maxEntries);
}

/**
 * HSET of n pairs in one call (HSET with many fields, RDB load): scratch holds 2n records
 * [u32 len][bytes], field then value (the JS side's putRecords). Returns how many fields were new, or -1 on OOM (the pairs
 * before the failing one stay set, as each would by itself).
 */
export function hSetMany(c: u32, n: u32, maxValue: u32, maxEntries: u32): i32 {
  return setRecords(c, getScratch(), n, maxValue, maxEntries);
}

/**
 * HSET in one crossing with the key's lookup: the key (klen bytes) at the scratch region, then
 * 2n records as hSetMany takes them (the caller has checked that no argument is longer than
 * maxValue: hashTypeTryConversion would convert before any pair is set). Returns how many fields
 * were new, -1 on OOM (as hSetMany), or -2 with nothing changed when the key does not hold a
 * hash in linear memory (keyspace.ts dbFindNative: the caller takes the general path).
 */
export function dbHashSet(db: u32, klen: u32, now: f64, n: u32, maxValue: u32, maxEntries: u32): i32 {
  const c = dbFindNative(db, klen, now, NK_HASH);
  if (c == 0) return -2;
  return setRecords(c, getScratch() + klen, n, maxValue, maxEntries);
}

function setRecords(c: u32, p: u32, n: u32, maxValue: u32, maxEntries: u32): i32 {
  let added: i32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const fl = load<u32>(p);
    const fp = p + 4;
    const vl = load<u32>(fp + fl);
    const vp = fp + fl + 4;
    const r = hSetAt(c, fp, fl, vp, vl, maxValue, maxEntries);
    if (r < 0) return -1;
    added += r;
    p = vp + vl;
  }
  return added;
}

export function hSetAt(c: u32, fp: u32, fl: u32, vp: u32, vl: u32, maxValue: u32, maxEntries: u32): i32 {
  const info = load<u32>(c, NC_INFO);
  if ((info & NF_LPENC) != 0 && (fl > maxValue || vl > maxValue)) {
    if (hConvert(c) == 0) return -1;
  }
  let r: i32;
  if (ncIsBig(c)) {
    r = bigSet(c, fp, fl, vp, vl);
  } else {
    r = lpSet(c, fp, fl, vp, vl);
    if (r == 1 && (load<u32>(c, NC_COUNT) > SMALL_MAX_COUNT || load<u32>(c, NC_AUX) > SMALL_MAX_BYTES)) {
      toBig(c); // representation only (NF_LPENC kept); on OOM the small form stays valid
    }
  }
  // (After an update too: a listpack left longer than a lowered hash-max-listpack-entries
  // converts at its next set, as hashTypeSet checks the length whether the field was new or not.)
  if (r >= 0 && (load<u32>(c, NC_INFO) & NF_LPENC) != 0 && load<u32>(c, NC_COUNT) > maxEntries) {
    hConvert(c); // on OOM it stays a valid listpack-encoded hash
  }
  return r;
}

/**
 * RDB load: fill an empty small-form hash with n/2 fields at once from `arr`, n records
 * [u32 ptr][u32 len] alternating field, value (in order). The caller checked what hSetAt would:
 * no duplicate fields, within the limits and under SMALL_MAX_COUNT / SMALL_MAX_BYTES. The block
 * is the size class of the final bytes, as field-by-field appends leave it. False on OOM.
 */
export function hFillSmall(c: u32, arr: u32, n: u32): bool {
  let total: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const l = load<u32>(arr + (i << 3), 4);
    total += varLen(l) + l;
  }
  if (!lpReserve(c, total)) return false;
  let w = load<u32>(c, NC_P);
  for (let i: u32 = 0; i < n; i++) {
    const l = load<u32>(arr + (i << 3), 4);
    w += putVar(w, l);
    memory.copy(w, load<u32>(arr + (i << 3)), l);
    w += l;
  }
  store<u32>(c, total, NC_AUX);
  store<u32>(c, n >> 1, NC_COUNT);
  return true;
}

/** HDEL of scratch[0, fl): 1 removed, 0 absent. */
export function hDelete(c: u32, fl: u32): i32 {
  const fp = getScratch();
  if (!ncIsBig(c)) return lpDelete(c, fp, fl);
  const d = load<u32>(c, NC_P);
  const e = dictUnlink(d, fp, fl, hashBytes(fp, fl));
  if (e == 0) return 0;
  const sz = hashEntrySize(e);
  addEntryBytes(c, -<i32>allocSize(sz));
  free(e, sz);
  store<u32>(c, load<u32>(c, NC_COUNT) - 1, NC_COUNT);
  return 1;
}

// -- output ---------------------------------------------------------------------------------
// Records in the out buffer: [u32 fieldLen][u32 valueLen][field bytes][value bytes], unaligned.

let emitOom: bool = false;
let emitted: u32 = 0;

function emitRecord(fp: u32, fl: u32, vp: u32, vl: u32): void {
  const w = outReserve(8 + fl + vl);
  if (w == 0) { emitOom = true; return; }
  store<u32>(w, fl);
  store<u32>(w, vl, 4);
  memory.copy(w + 8, fp, fl);
  memory.copy(w + 8 + fl, vp, vl);
  outCommit(8 + fl + vl);
  emitted++;
}

function emitEntry(e: u32): void {
  const fl = load<u32>(e, E_KEYLEN);
  emitRecord(e + HE_HDR, fl, e + HE_HDR + fl, load<u32>(e, HE_VLEN));
}

/**
 * Every (field, value) as records in the out buffer (small form: in order). Returns the number
 * written; fewer than hLen means the out buffer could not grow (OOM).
 */
export function hOut(c: u32): u32 {
  outReset();
  emitOom = false;
  emitted = 0;
  if (!ncIsBig(c)) {
    const b = load<u32>(c, NC_P);
    const used = load<u32>(c, NC_AUX);
    let off: u32 = 0;
    while (off < used && !emitOom) {
      const fl = getVar(b + off);
      const fp = b + off + varBytes;
      const vl = getVar(fp + fl);
      const vp = fp + fl + varBytes;
      emitRecord(fp, fl, vp, vl);
      off = vp - b + vl;
    }
    return emitted;
  }
  hForEachBig(c, emitPair);
  return emitted;
}

function emitPair(fp: u32, fl: u32, vp: u32, vl: u32): bool {
  emitRecord(fp, fl, vp, vl);
  return !emitOom;
}

/**
 * Every (field, value) of a big-form hash in dict order (table 0 then table 1, bucket by bucket,
 * each chain from its head), until fn returns false: HGETALL's order (hOut) and the RDB writer's
 * (rdbsave.ts), which must match. Returns false when fn stopped it.
 */
export function hForEachBig(c: u32, fn: (fp: u32, fl: u32, vp: u32, vl: u32) => bool): bool {
  // AssemblyScript closures cannot capture fn: the entry callback finds it in a module global.
  hEachFn = fn;
  return dictForEach(load<u32>(c, NC_P), hEachEntry);
}

function noPair(fp: u32, fl: u32, vp: u32, vl: u32): bool {
  return false;
}
let hEachFn: (fp: u32, fl: u32, vp: u32, vl: u32) => bool = noPair;

function hEachEntry(e: u32): bool {
  const fl = load<u32>(e, E_KEYLEN);
  return hEachFn(e + HE_HDR, fl, e + HE_HDR + fl, load<u32>(e, HE_VLEN));
}

let respWhat: u32 = 3;

function respEntry(e: u32): void {
  const fl = load<u32>(e, E_KEYLEN);
  if ((respWhat & 1) != 0 && !outBulk(e + HE_HDR, fl)) emitOom = true;
  if ((respWhat & 2) != 0 && !outBulk(e + HE_HDR + fl, load<u32>(e, HE_VLEN))) emitOom = true;
}

/**
 * HGETALL / HKEYS / HVALS reply body written from linear memory: every field (what & 1) and/or
 * value (what & 2) as RESP bulk strings in the out buffer, in hOut's order. 0 on out-buffer OOM.
 */
export function hResp(c: u32, what: u32): i32 {
  outReset();
  emitOom = false;
  respWhat = what;
  if (!ncIsBig(c)) {
    const b = load<u32>(c, NC_P);
    const used = load<u32>(c, NC_AUX);
    let off: u32 = 0;
    while (off < used && !emitOom) {
      const fl = getVar(b + off);
      const fp = b + off + varBytes;
      const vl = getVar(fp + fl);
      const vp = fp + fl + varBytes;
      if ((what & 1) != 0 && !outBulk(fp, fl)) return 0;
      if ((what & 2) != 0 && !outBulk(vp, vl)) return 0;
      off = vp - b + vl;
    }
    return 1;
  }
  const d = load<u32>(c, NC_P);
  for (let t: u32 = 0; t < 2; t++) {
    const tab = load<u32>(d + (t == 0 ? D_T0 : D_T1));
    const size = load<u32>(d + (t == 0 ? D_S0 : D_S1));
    for (let i: u32 = 0; i < size && !emitOom; i++) {
      let e = load<u32>(tab + (i << 2));
      while (e != 0) {
        respEntry(e);
        e = load<u32>(e, E_NEXT);
      }
    }
  }
  return emitOom ? 0 : 1;
}

/**
 * HSCAN step (records as hOut). A listpack-encoded hash is returned whole with cursor 0, as Redis
 * does. Otherwise dictScan steps until at least `count` fields were emitted, the iteration ends,
 * or count*10 buckets were visited (scanGenericCommand). RES misc = 1 on out-buffer OOM (cursor
 * unchanged).
 */
export function hScan(c: u32, cursor: u32, count: u32): u32 {
  store<u32>(RES, 0, R_MISC);
  if ((load<u32>(c, NC_INFO) & NF_LPENC) != 0) {
    const n = hOut(c);
    if (n < load<u32>(c, NC_COUNT)) { store<u32>(RES, 1, R_MISC); return cursor; }
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

/**
 * A random field: RES ptr/len = field, RES handle/misc = value ptr/len. 0 when empty.
 * Small form: uniform; big form: dictGetRandomKey's (not perfectly uniform), as Redis.
 */
export function hRandom(c: u32): i32 {
  const n = load<u32>(c, NC_COUNT);
  if (n == 0) return 0;
  if (ncIsBig(c)) {
    const e = dictRandom(load<u32>(c, NC_P));
    const fl = load<u32>(e, E_KEYLEN);
    store<u32>(RES, e + HE_HDR, R_PTR);
    store<u32>(RES, fl, R_LEN);
    store<u32>(RES, e + HE_HDR + fl, R_HANDLE);
    store<u32>(RES, load<u32>(e, HE_VLEN), R_MISC);
    return 1;
  }
  let k = randomBelow(n);
  const b = load<u32>(c, NC_P);
  let off: u32 = 0;
  while (true) {
    const fl = getVar(b + off);
    const fp = b + off + varBytes;
    const vl = getVar(fp + fl);
    const vp = fp + fl + varBytes;
    if (k == 0) {
      store<u32>(RES, fp, R_PTR);
      store<u32>(RES, fl, R_LEN);
      store<u32>(RES, vp, R_HANDLE);
      store<u32>(RES, vl, R_MISC);
      return 1;
    }
    k--;
    off = vp - b + vl;
  }
  return 0;
}

/** Deep copy (COPY), same encoding. 0 on OOM (nothing leaked). */
export function hClone(c: u32): u32 {
  const n = ncAllocHeader(NK_HASH);
  if (n == 0) return 0;
  store<u32>(n, load<u32>(c, NC_INFO) & (NK_HASH | NF_LPENC), NC_INFO);
  if (!ncIsBig(c)) {
    if (!ncCopySmall(c, n)) { free(n, NC_BYTES); return 0; }
    store<u32>(n, load<u32>(c, NC_COUNT), NC_COUNT);
    return n;
  }
  const d = alloc(DICT_BYTES);
  if (d == 0) { free(n, NC_BYTES); return 0; }
  dictInit(d, HE_HDR);
  store<u32>(n, d, NC_P);
  store<u32>(n, load<u32>(n, NC_INFO) | NF_BIG, NC_INFO);
  const sd = load<u32>(c, NC_P);
  for (let t: u32 = 0; t < 2; t++) {
    const tab = load<u32>(sd + (t == 0 ? D_T0 : D_T1));
    const size = load<u32>(sd + (t == 0 ? D_S0 : D_S1));
    for (let i: u32 = 0; i < size; i++) {
      let e = load<u32>(tab + (i << 2));
      while (e != 0) {
        const sz = hashEntrySize(e);
        const x = alloc(sz);
        if (x == 0 || !dictAdd(d, copyEntry(x, e, sz))) {
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

function copyEntry(x: u32, e: u32, sz: u32): u32 {
  memory.copy(x, e, sz);
  store<u32>(x, 0, E_NEXT);
  return x;
}

/**
 * Free up to `budget` entries of an unreferenced hash (lazyfree.ts); the bucket cursor is kept in
 * NC_AUX. Returns the entries freed, with the header freed too when done (RES misc = 1 done).
 */
export function hFreeSome(c: u32, budget: u32): u32 {
  if (!ncIsBig(c)) return ncFreeSmall(c);
  return ncFreeDictSome(c, budget, freeChain);
}
