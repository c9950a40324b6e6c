/*
 * jsmapscan.ts -- the js-map engine's RDB fast path, its byte work in WASM (called by
 * src/engine/js-map/rdb-scan.ts on a copy of the file in linear memory): walks key records and
 * validates them as src/engine/js-map/rdb-fast.ts does, so JS only makes the strings and packed
 * values and stores them. WASM code runs compiled from the first record (Liftoff, then
 * TurboFan), where the same checks in JS ran in the interpreter for the first thousands of keys.
 *
 * Accepted: exactly a SUBSET of what rdb-fast.ts accepts, described exactly as it would make it
 * (key bytes and MurmurHash3 with the table's seed, value bytes or blob, element count, longest
 * element, memory figure, TTL): strings (raw, int-encoded, LZF); hash and zset listpacks (zsets:
 * integer scores only, strictly ascending); one-node quicklists; 16/32-bit intsets; small
 * hashtable sets. Anything else (string scores, equal scores, other types and opcodes, expired
 * keys, a value past the limits or corrupt, a record running past the chunk) stops the scan at
 * that record, with nothing of it described: rdb-fast.ts (then the JS reader) takes it, so every
 * decision this file does not make keeps its one implementation there.
 *
 * Output per record at DESC (DESC_WORDS i32): type, key ptr, key len, key hash, value ptr,
 * value len, size, maxLen, bytes, record end; its TTL at EXP (f64, -1 none). Decoded bytes (int
 * texts, LZF) go to a buffer of this file, valid until the next call. RES len = why it stopped.
 * jmScanGather then copies the described collections' blobs back to back into a buffer of its
 * own, so JS copies them out of linear memory in one piece per batch.
 *
 * Complexity: O(record bytes) per record; repeats checked pairwise (at most 64 elements).
 */
import { alloc, copyBytes, free } from './arena';
import { RES } from './io';
import { lzfDecompress } from './lzf';
import { R_LEN } from '../src/engine/wasm/abi';

const T_STRING: u32 = 0;
const T_SET: u32 = 2;
const T_SET_INTSET: u32 = 11;
const T_HASH_LISTPACK: u32 = 16;
const T_ZSET_LISTPACK: u32 = 17;
const T_LIST_QUICKLIST_2: u32 = 18;
const OP_EXPIRETIME_MS: u32 = 252;
const QUICKLIST_NODE_CONTAINER_PACKED: i64 = 2;

/** rdb-fast.ts MAX_PACKED_ELEMENTS. */
const MAX_PACKED: u32 = 64;
const MAX_EL: u32 = 2 * MAX_PACKED;
const INTSET_HARD_MAX: f64 = 1073741824;

/** Stop reasons (RES len): a record for rdb-fast.ts, past the chunk, maxRecs described, decoded buffer full. */
const STOP_OTHER: u32 = 0;
const STOP_CHUNK: u32 = 1;
const STOP_BUDGET: u32 = 2;
const STOP_DEC: u32 = 3;

export const JM_BATCH: u32 = 256;
const DESC_WORDS: u32 = 10;
const DESC: usize = memory.data(JM_BATCH * DESC_WORDS * 4, 8);
const EXP: usize = memory.data(JM_BATCH * 8, 8);

// Elements of the collection being checked: position, text length, integer flag and value.
const E_OFF: usize = memory.data(MAX_EL * 4, 4);
const E_LEN: usize = memory.data(MAX_EL * 4, 4);
const E_INT: usize = memory.data(MAX_EL, 1);
const E_VAL: usize = memory.data(MAX_EL * 8, 8);
/** Each element's fingerprint (fp()): equal elements have equal ones. */
const E_FP: usize = memory.data(MAX_EL * 4, 4);

/** A string element's fingerprint: its length and its first, middle and last bytes (rdb-fast.ts strFp). */
// @ts-ignore: decorator
@inline function strFp(p: u32, n: u32): u32 {
  return n == 0 ? 0x51ed27 : (n * 0x9e3779b1) ^ (<u32>load<u8>(p) | (<u32>load<u8>(p + (n >> 1)) << 8) | (<u32>load<u8>(p + n - 1) << 16));
}

/** An integer element's fingerprint. */
// @ts-ignore: decorator
@inline function intFp(v: i64): u32 {
  return (<u32>v * 0x85ebca6b) ^ <u32>(v >> 32) ^ 0x3c6ef372;
}

let pos: u32 = 0;
let lim: u32 = 0;
/** A read ran past the chunk. */
let short: bool = false;
/** The decoded-bytes buffer was too small for the record. */
let decFull: bool = false;
let sP: u32 = 0;
let sL: u32 = 0;

let dec: u32 = 0;
let decCap: u32 = 0;
let decUsed: u32 = 0;
/** Bytes the record that did not fit asked for. */
let decWant: u32 = 0;
/** jmScanGather's buffer. */
let gat: u32 = 0;
let gatCap: u32 = 0;

// The record being described.
let vSize: f64 = 0;
let vSizeCount: u32 = 0;
let vMaxLen: u32 = 0;

// @ts-ignore: decorator
@inline function need(n: u32): bool {
  if (<u64>pos + <u64>n > <u64>lim) {
    short = true;
    return false;
  }
  return true;
}

/** n bytes of the decoded buffer, or 0 (decFull) when it has no room left this call. */
function decTake(n: u32): u32 {
  if (<u64>decUsed + <u64>n > <u64>decCap) {
    decFull = true;
    decWant = decUsed + n;
    return 0;
  }
  const p = dec + decUsed;
  decUsed += n;
  return p;
}

/** i64 as decimal text at dst; returns its length. */
function decimal(dst: u32, v: i64): u32 {
  const neg = v < 0;
  let u: u64 = neg ? <u64>(0 - v) : <u64>v;
  const n = intTextLen(v);
  let q = dst + n;
  do {
    store<u8>(--q, <u8>(48 + <u32>(u % 10)));
    u /= 10;
  } while (u != 0);
  if (neg) store<u8>(dst, 45);
  return n;
}

/** rdb-fast.ts intTextLen: digits of v's decimal text, with the sign. */
function intTextLen(v: i64): u32 {
  let n: u32 = v < 0 ? 2 : 1;
  let a: u64 = v < 0 ? <u64>(0 - v) : <u64>v;
  while (a >= 10) {
    a /= 10;
    n++;
  }
  return n;
}

/** rdb-fast.ts len(): 6-bit, 14-bit and 32-bit lengths; -1 otherwise (or short). */
function len(): i64 {
  if (!need(1)) return -1;
  const c = <u32>load<u8>(pos);
  const t = c >> 6;
  if (t == 0) {
    pos++;
    return <i64>(c & 0x3f);
  }
  if (t == 1) {
    if (!need(2)) return -1;
    const v = ((c & 0x3f) << 8) | <u32>load<u8>(pos + 1);
    pos += 2;
    return <i64>v;
  }
  if (c == 0x80) {
    if (!need(5)) return -1;
    const v = bswap<u32>(load<u32>(pos + 1));
    pos += 5;
    return <i64>v;
  }
  return -1;
}

/** rdb-fast.ts string(): the string's bytes at [sP, sP + sL) (the chunk, or decoded). */
function str(): bool {
  if (!need(1)) return false;
  const c = <u32>load<u8>(pos);
  if (c >> 6 != 3) {
    const n = len();
    if (n < 0 || !need(<u32>n)) return false;
    sP = pos;
    sL = <u32>n;
    pos += <u32>n;
    return true;
  }
  pos++;
  const enc = c & 0x3f;
  let v: i64 = 0;
  if (enc == 0) {
    if (!need(1)) return false;
    v = <i64>load<i8>(pos);
    pos += 1;
  } else if (enc == 1) {
    if (!need(2)) return false;
    v = <i64>load<i16>(pos);
    pos += 2;
  } else if (enc == 2) {
    if (!need(4)) return false;
    v = <i64>load<i32>(pos);
    pos += 4;
  } else if (enc == 3) {
    const clen = len();
    if (clen < 0) return false;
    const l = len();
    if (l < 0 || !need(<u32>clen)) return false;
    if (clen == 0 || l > clen * 300 + 64) return false;
    const out = decTake(<u32>l);
    if (out == 0 && l != 0) return false;
    if (lzfDecompress(pos, pos + <u32>clen, out, <u32>l) != l) return false;
    pos += <u32>clen;
    sP = out;
    sL = <u32>l;
    return true;
  } else return false;
  const out = decTake(20);
  if (out == 0) return false;
  sL = decimal(out, v);
  sP = out;
  decUsed -= 20 - sL;
  return true;
}

/** rdb-fast.ts hashOfBytes (MurmurHash3 x86 32, seeded): the js-map table's hash. */
function murmur(p: u32, n: u32, seed: i32): i32 {
  const blocks = p + (n & ~3);
  let h = seed;
  for (let i = p; i < blocks; i += 4) {
    let k = load<i32>(i);
    k *= <i32>0xcc9e2d51;
    k = rotl<i32>(k, 15);
    h ^= k * <i32>0x1b873593;
    h = rotl<i32>(h, 13);
    h = h * 5 + <i32>0xe6546b64;
  }
  const rest = n & 3;
  if (rest != 0) {
    let k = <i32>load<u8>(blocks);
    if (rest > 1) k |= <i32>load<u8>(blocks + 1) << 8;
    if (rest > 2) k |= <i32>load<u8>(blocks + 2) << 16;
    k *= <i32>0xcc9e2d51;
    k = rotl<i32>(k, 15);
    h ^= k * <i32>0x1b873593;
  }
  h ^= <i32>n;
  h ^= h >>> 16;
  h *= <i32>0x85ebca6b;
  h ^= h >>> 13;
  h *= <i32>0xc2b2ae35;
  h ^= h >>> 16;
  return h;
}

/** Value of the canonical int64 text just checked by canon(). */
let canonVal: i64 = 0;

/** listpack.ts bytesToInt64 !== null: [p, p + n) is the canonical text of an int64 (value in canonVal). */
function canon(p: u32, n: u32): bool {
  if (n == 0 || n > 20) return false;
  const c0 = <u32>load<u8>(p);
  if (n == 1) {
    if (c0 < 48 || c0 > 57) return false;
    canonVal = <i64>(c0 - 48);
    return true;
  }
  let i: u32 = 0;
  const neg = c0 == 45;
  if (neg) i = 1;
  const f = <u32>load<u8>(p + i);
  if (f < 49 || f > 57) return false;
  let v: u64 = 0;
  for (; i < n; i++) {
    const d = <u32>load<u8>(p + i) - 48;
    if (d > 9) return false;
    if (v > 1844674407370955161) return false;
    v = v * 10;
    if (v > 0xffffffffffffffff - <u64>d) return false;
    v += <u64>d;
  }
  if (neg) {
    if (v > 0x8000000000000000) return false;
    canonVal = -<i64>v;
  } else {
    if (v > 0x7fffffffffffffff) return false;
    canonVal = <i64>v;
  }
  return true;
}

/**
 * rdb-fast.ts listpack(): every element of the listpack at [start, start + size) into E_*,
 * with its checks (small element encodings only, one-byte back-lengths, no string entry that is
 * a canonical integer, at most MAX_EL elements). With `scores`, the odd elements must be integer
 * entries (a string score stops the scan: rdb-fast.ts parses it). Returns the count or -1.
 */
function lpWalk(start: u32, size: u32, scores: bool): i32 {
  if (size < 7 || load<u32>(start) != size || load<u8>(start + size - 1) != 0xff) return -1;
  const header = <u32>load<u16>(start + 4);
  const last = start + size - 1;
  let p = start + 6;
  let n: u32 = 0;
  while (p < last) {
    if (n == MAX_EL) return -1;
    const e = <u32>load<u8>(p);
    let l: u32;
    let isInt = true;
    if (e < 0x80) l = 1;
    else if ((e & 0xc0) == 0x80) {
      l = 1 + (e & 0x3f);
      isInt = false;
    } else if ((e & 0xe0) == 0xc0) l = 2;
    else if (e == 0xf1) l = 3;
    else if (e == 0xf2) l = 4;
    else if (e == 0xf3) l = 5;
    else return -1;
    // The entry and its one-byte back-length, inside the entries (checked before the reads).
    if (<u64>p + <u64>l + 1 > <u64>last || <u32>load<u8>(p + l) != l) return -1;
    if (isInt) {
      let v: i64;
      if (e < 0x80) v = <i64>e;
      else if (l == 2) {
        const u = ((e & 0x1f) << 8) | <u32>load<u8>(p + 1);
        v = u >= 4096 ? <i64>u - 8192 : <i64>u;
      } else if (l == 3) v = <i64>load<i16>(p + 1);
      else if (l == 4) v = <i64>((<i32>load<u8>(p + 1) | (<i32>load<u8>(p + 2) << 8) | (<i32>load<u8>(p + 3) << 16)) << 8 >> 8);
      else v = <i64>load<i32>(p + 1);
      store<u32>(E_OFF + (n << 2), 0);
      store<u32>(E_LEN + (n << 2), intTextLen(v));
      store<i64>(E_VAL + (n << 3), v);
      store<u32>(E_FP + (n << 2), intFp(v));
    } else {
      const sl = l - 1;
      const c0 = sl > 0 ? <u32>load<u8>(p + 1) : 0;
      if ((c0 == 45 || (c0 >= 48 && c0 <= 57)) && canon(p + 1, sl)) return -1;
      if (scores && (n & 1) == 1) return -1;
      store<u32>(E_OFF + (n << 2), p + 1);
      store<u32>(E_LEN + (n << 2), sl);
      store<u32>(E_FP + (n << 2), strFp(p + 1, sl));
    }
    store<u8>(E_INT + n, isInt ? 1 : 0);
    p += l + 1;
    n++;
  }
  if (p != last || (header != 65535 && header != n)) return -1;
  if (scores && repeats(n, 2)) return -1;
  return <i32>n;
}

/**
 * rdb-fast.ts noRepeats: any two of elements 0, step, 2*step... equal (ints by value, strings by
 * bytes; an int and a string never are: string entries that are integers were refused)? Pairs
 * are compared by fingerprint first, so only equal fingerprints compare values or bytes.
 */
function repeats(n: u32, step: u32): bool {
  for (let i: u32 = step; i < n; i += step) {
    const f = load<u32>(E_FP + (i << 2));
    for (let j: u32 = 0; j < i; j += step) {
      if (load<u32>(E_FP + (j << 2)) != f) continue;
      const ii = load<u8>(E_INT + i);
      if (load<u8>(E_INT + j) != ii) continue;
      if (ii != 0) {
        if (load<i64>(E_VAL + (i << 3)) == load<i64>(E_VAL + (j << 3))) return true;
      } else {
        const li = load<u32>(E_LEN + (i << 2));
        if (load<u32>(E_LEN + (j << 2)) == li && memory.compare(load<u32>(E_OFF + (i << 2)), load<u32>(E_OFF + (j << 2)), li) == 0) return true;
      }
    }
  }
  return false;
}

// @ts-ignore: decorator
@inline function eLen(i: u32): u32 {
  return load<u32>(E_LEN + (i << 2));
}

/** One collection value of type t: described in vSize (bytes), vSizeCount, vMaxLen, [sP, sP + sL). */
function collection(t: u32, hMaxE: f64, hMaxV: f64, sMaxI: f64): bool {
  if (t == T_HASH_LISTPACK) {
    if (!str()) return false;
    const n = lpWalk(sP, sL, false);
    if (n <= 0 || (n & 1) != 0) return false;
    const fields = <u32>n >> 1;
    if (<f64>fields > hMaxE) return false;
    let bytes: f64 = 48;
    for (let i: u32 = 0; i < <u32>n; i++) {
      if (<f64>eLen(i) > hMaxV) return false;
      bytes += <f64>eLen(i);
    }
    bytes += 16 * <f64>fields;
    if (repeats(<u32>n, 2)) return false;
    vSize = bytes;
    vSizeCount = fields;
    vMaxLen = 0;
    return true;
  }
  if (t == T_ZSET_LISTPACK) {
    if (!str()) return false;
    const n = lpWalk(sP, sL, true);
    if (n <= 0 || (n & 1) != 0) return false;
    const members = <u32>n >> 1;
    let maxLen: u32 = 0;
    let bytes: f64 = 104 + 96;
    let prev: i64 = 0;
    for (let i: u32 = 0; i < members; i++) {
      const ml = eLen(2 * i);
      if (ml > maxLen) maxLen = ml;
      bytes += <f64>ml + 36;
      // Strictly ascending scores (equal ones compare members: rdb-fast.ts decides).
      const s = load<i64>(E_VAL + ((2 * i + 1) << 3));
      if (i > 0 && !(prev < s)) return false;
      prev = s;
    }
    vSize = bytes;
    vSizeCount = members;
    vMaxLen = maxLen;
    return true;
  }
  if (t == T_LIST_QUICKLIST_2) {
    if (len() != 1 || len() != QUICKLIST_NODE_CONTAINER_PACKED) return false;
    if (!str()) return false;
    const n = lpWalk(sP, sL, false);
    if (n <= 0) return false;
    let bytes: f64 = 48 + 8 * <f64>n;
    let maxLen: u32 = 0;
    for (let i: u32 = 0; i < <u32>n; i++) {
      bytes += <f64>eLen(i);
      if (eLen(i) > maxLen) maxLen = eLen(i);
    }
    vSize = bytes;
    vSizeCount = <u32>n;
    vMaxLen = maxLen;
    return true;
  }
  if (t == T_SET_INTSET) {
    if (!str()) return false;
    const o = sP;
    if (sL < 8) return false;
    const width = load<u32>(o);
    const n = load<u32>(o + 4);
    if ((width != 2 && width != 4) || n == 0 || 8 + <u64>n * <u64>width != <u64>sL) return false;
    if (<f64>n > min(sMaxI, INTSET_HARD_MAX)) return false;
    let bytes: f64 = 48 + 8 * <f64>n;
    let prev: i64 = 0;
    for (let i: u32 = 0, p = o + 8; i < n; i++, p += width) {
      const v: i64 = width == 2 ? <i64>load<i16>(p) : <i64>load<i32>(p);
      if (i > 0 && !(prev < v)) return false;
      prev = v;
      bytes += <f64>intTextLen(v);
    }
    vSize = bytes;
    vSizeCount = n;
    vMaxLen = 0;
    return true;
  }
  return smallSet();
}

/** rdb-fast.ts smallSet(): the blob is the record's payload [sP, sP + sL) in the chunk. */
function smallSet(): bool {
  const start = pos;
  if (!need(1)) return false;
  if (load<u8>(start) >= 0x40) return false;
  const n64 = len();
  if (n64 <= 0 || n64 > <i64>MAX_PACKED) return false;
  const n = <u32>n64;
  let nonInt = false;
  let bytes: f64 = 48;
  for (let i: u32 = 0; i < n; i++) {
    if (!need(1)) return false;
    const c = <u32>load<u8>(pos);
    if (c < 0x40) {
      const l = c;
      if (l > 20) return false;
      if (!need(1 + l)) return false;
      const o = pos + 1;
      if (!canon(o, l)) nonInt = true;
      else if (canonVal >= -2147483648 && canonVal <= 2147483647) return false;
      store<u32>(E_OFF + (i << 2), o);
      store<u32>(E_LEN + (i << 2), l);
      store<u8>(E_INT + i, 0);
      store<u32>(E_FP + (i << 2), strFp(o, l));
      bytes += <f64>l + 16;
      pos = o + l;
    } else {
      let v: i64;
      if (c == 0xc0) {
        if (!need(2)) return false;
        v = <i64>load<i8>(pos + 1);
        pos += 2;
      } else if (c == 0xc1) {
        if (!need(3)) return false;
        v = <i64>load<i16>(pos + 1);
        if (v >= -128 && v <= 127) return false;
        pos += 3;
      } else if (c == 0xc2) {
        if (!need(5)) return false;
        v = <i64>load<i32>(pos + 1);
        if (v >= -32768 && v <= 32767) return false;
        pos += 5;
      } else return false;
      store<u32>(E_OFF + (i << 2), 0);
      store<u32>(E_LEN + (i << 2), 0);
      store<u8>(E_INT + i, 1);
      store<i64>(E_VAL + (i << 3), v);
      store<u32>(E_FP + (i << 2), intFp(v));
      bytes += <f64>intTextLen(v) + 16;
    }
  }
  if (!nonInt) return false;
  if (repeats(n, 1)) return false;
  sP = start;
  sL = pos - start;
  vSize = bytes;
  vSizeCount = n;
  vMaxLen = 0;
  return true;
}

/**
 * Describe the key records at [start, end) (at most maxRecs, at most JM_BATCH) at DESC / EXP.
 * Returns how many; RES len = STOP_* (why it stopped).
 */
export function jmScan(start: u32, end: u32, now: f64, hMaxE: f64, hMaxV: f64, sMaxI: f64, seed: i32, maxRecs: u32): u32 {
  pos = start;
  lim = end;
  decUsed = 0;
  if (maxRecs > JM_BATCH) maxRecs = JM_BATCH;
  let n: u32 = 0;
  let reason = STOP_BUDGET;
  while (n < maxRecs) {
    const rec = pos;
    const decAt = decUsed;
    short = false;
    decFull = false;
    if (pos >= lim) {
      reason = STOP_CHUNK;
      break;
    }
    let t = <u32>load<u8>(pos);
    let expireAt: f64 = -1;
    if (t == OP_EXPIRETIME_MS) {
      if (!need(10)) {
        reason = STOP_CHUNK;
        break;
      }
      expireAt = <f64>load<u32>(pos + 1) + <f64>load<i32>(pos + 5) * 4294967296.0;
      if (expireAt < now) {
        reason = STOP_OTHER;
        break;
      }
      pos += 9;
      t = <u32>load<u8>(pos);
    }
    if (t != T_STRING && t != T_SET && t != T_SET_INTSET && t != T_HASH_LISTPACK && t != T_ZSET_LISTPACK && t != T_LIST_QUICKLIST_2) {
      pos = rec;
      reason = STOP_OTHER;
      break;
    }
    pos++;
    let ok = str();
    const kp = sP;
    const kl = sL;
    if (ok) {
      if (t == T_STRING) {
        ok = str();
        vSize = <f64>sL;
        vSizeCount = 0;
        vMaxLen = 0;
      } else ok = collection(t, hMaxE, hMaxV, sMaxI);
    }
    if (!ok) {
      reason = decFull ? STOP_DEC : short ? STOP_CHUNK : STOP_OTHER;
      pos = rec;
      decUsed = decAt;
      break;
    }
    const d = DESC + n * DESC_WORDS * 4;
    store<u32>(d, t);
    store<u32>(d, kp, 4);
    store<u32>(d, kl, 8);
    store<i32>(d, murmur(kp, kl, seed), 12);
    store<u32>(d, sP, 16);
    store<u32>(d, sL, 20);
    store<u32>(d, vSizeCount, 24);
    store<u32>(d, vMaxLen, 28);
    store<f64>(EXP + (n << 3), expireAt);
    store<u32>(d, <u32>vSize, 32);
    store<u32>(d, pos, 36);
    n++;
  }
  store<u32>(RES, reason, R_LEN);
  return n;
}

/** The descriptors' address (DESC_WORDS i32 per record) and the TTLs' (f64 per record). */
export function jmScanDesc(): u32 {
  return <u32>DESC;
}
export function jmScanExp(): u32 {
  return <u32>EXP;
}

/**
 * Make the decoded buffer hold at least n bytes (after a STOP_DEC: what the record asked for).
 * 0 when that is more than max bytes, or on OOM (the record is then rdb-fast.ts's).
 */
export function jmScanDecGrow(n: u32, max: u32): u32 {
  if (n < decWant) n = decWant;
  if (n <= decCap) return 1;
  if (n > max) return 0;
  let cap = decCap < 4096 ? <u32>4096 : decCap;
  while (cap < n) cap *= 2;
  if (cap > max) cap = max;
  const p = alloc(cap);
  if (p == 0) return 0;
  if (dec != 0) free(dec, decCap);
  dec = p;
  decCap = cap;
  return 1;
}

/**
 * Copy the blobs (value bytes) of the collections among the n records jmScan just described
 * back to back into the gather buffer (grown as needed), and make each one's descriptor value
 * pointer its offset there. Returns the buffer's address, RES len = the bytes copied; 0 when it
 * cannot grow (descriptors unchanged: JS copies each blob where it is). Strings are left alone.
 */
export function jmScanGather(n: u32): u32 {
  let total: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const d = DESC + i * DESC_WORDS * 4;
    if (load<u32>(d) != T_STRING) total += load<u32>(d, 20);
  }
  store<u32>(RES, total, R_LEN);
  if (total > gatCap) {
    let cap = gatCap < 16384 ? <u32>16384 : gatCap;
    while (cap < total) cap *= 2;
    const p = alloc(cap);
    if (p == 0) return 0;
    if (gat != 0) free(gat, gatCap);
    gat = p;
    gatCap = cap;
  }
  let at: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const d = DESC + i * DESC_WORDS * 4;
    if (load<u32>(d) == T_STRING) continue;
    const l = load<u32>(d, 20);
    // (copyBytes: most blobs are a few dozen bytes, where memory.copy is a call into C)
    copyBytes(gat + at, load<u32>(d, 16), l);
    store<u32>(d, at, 16);
    at += l;
  }
  return gat;
}

/** Release the decoded and gather buffers (the load is over). */
export function jmScanDone(): void {
  if (dec != 0) free(dec, decCap);
  dec = decCap = decUsed = 0;
  if (gat != 0) free(gat, gatCap);
  gat = gatCap = 0;
}
