/*
 * rdbsave.ts -- RDB records serialized in linear memory (SAVE's and BGSAVE's walks, see
 * keyspace.ts dbWalkSave): for each entry the keyspace walk hands over, the whole record
 * ([EXPIRETIME_MS] [IDLE | FREQ] type key value) exactly as src/persistence/rdb-writer.ts writes
 * it: strings int-encoded (<= 11 bytes, an int32) or LZF-compressed (compression on, > 20 bytes,
 * LZF saves at least 4 bytes) as rdbSaveRawString; listpack hashes, hashtable hashes (dict order,
 * as hOut), listpack sorted sets (scores as d2string's text: integers, and "%.17g" where
 * dtoa17.ts computes it exactly), skip-list sorted sets (ZSET_2, binary doubles, greatest first), intsets, hashtable sets, and
 * lists as QUICKLIST_2 of listpack nodes split as the JS writer splits them. Any other value (a JS
 * container, a listpack score outside dtoa17.ts's range, a listpack-encoded hash held in the
 * big representation) is left to the JS writer.
 *
 * Output, per live entry, in the out buffer: [u32 record length, or DEFER][u32 key length][key]
 * [record bytes]. The JS side copies the record into its writer, or serializes a DEFER entry
 * itself. SAVE's walk asks for packed output instead (rdbSavePacked): the records alone, back
 * to back, and the DEFER keys in a side block. Complexity: O(record bytes) per key (LZF is linear).
 */
import { alloc, copyBytes, free } from './arena';
import { RES, outReserve, outCommit } from './io';
import { R_PTR } from '../src/engine/wasm/abi';
import { NC_INFO, NC_COUNT, NC_P, NC_AUX, NK_MASK, NK_HASH, NK_SET, NK_LIST, NK_ZSET, NF_BIG, NF_LPENC, NATIVE_BIT, NATIVE_MASK } from './native';
import { sForEachBig } from './set';
import { hForEachBig } from './hash';
import { zsForEachReverse } from './skiplist';
import { fmt17 } from './dtoa17';
import { lzfCompress } from './lzf';
import { lNodeView } from './list';

export const DEFER: u32 = 0xffffffff;

// Settings of the current walk (rdbSaveBegin).
let compression: bool = false;
let writeIdle: bool = false;
let writeFreq: bool = false;
let refNow: f64 = 0;
let listFill: i32 = -2;
let plainAt: u32 = 1 << 30;

export function rdbSaveSettings(comp: i32, lru: i32, lfu: i32, ref: f64, fill: i32, packedThreshold: u32): void {
  packed = false;
  compression = comp != 0;
  writeIdle = lru != 0;
  writeFreq = lfu != 0;
  refNow = ref;
  listFill = fill;
  plainAt = packedThreshold;
}

/**
 * Packed output (SAVE's walk, set per batch after rdbSaveSettings): the out buffer holds only the
 * records, back to back, so the JS side copies a whole batch at once; the keys left to the JS
 * writer go to a side block as [u32 key length][key] (rdbSaveDeferred).
 */
let packed: bool = false;
let dk: u32 = 0;
let dkCap: u32 = 0;
let dkLen: u32 = 0;
/** Records written to the out buffer by the current packed batch. */
let packedCount: u32 = 0;

export function rdbSavePacked(): void {
  packed = true;
  dkLen = 0;
  packedCount = 0;
}

/** How many records the last packed batch wrote (its keys handed over, deferred ones apart). */
export function rdbSavePackedCount(): u32 {
  return packedCount;
}

/** The side block of deferred keys of the last packed batch: RES R_PTR = where; returns its length. */
export function rdbSaveDeferred(): u32 {
  store<u32>(RES, dk, R_PTR);
  return dkLen;
}

/** A deferred key into the side block; false on OOM. */
function deferKey(kp: u32, kl: u32): bool {
  const need = dkLen + 4 + kl;
  if (need > dkCap) {
    const q = grow(dk, dkCap, need);
    if (q == 0) return false;
    dkCap = grownCap(dkCap, need);
    dk = q;
  }
  store<u32>(dk + dkLen, kl);
  memory.copy(dk + dkLen + 4, kp, kl);
  dkLen = need;
  return true;
}

// ------------------------------------------------------------------------------ buffers

/** A growable block: the record being built (rec) and a listpack (lp), a list's nodes (sub), LZF output. */
let rec: u32 = 0;
let recCap: u32 = 0;
let recLen: u32 = 0;
let lp: u32 = 0;
let lpCap: u32 = 0;
let lpLen: u32 = 0;
let lpCount: u32 = 0;
let zo: u32 = 0;
let zoCap: u32 = 0;
let oom: bool = false;

/** The capacity grow() gives a buffer of `cap` bytes that must hold `need`. */
function grownCap(cap: u32, need: u32): u32 {
  let n: u32 = cap < 4096 ? 4096 : cap;
  while (n < need) n <<= 1;
  return n;
}

function grow(p: u32, cap: u32, need: u32): u32 {
  const q = alloc(grownCap(cap, need));
  if (q == 0) return 0;
  if (p != 0) {
    memory.copy(q, p, cap);
    free(p, cap);
  }
  return q;
}

// @ts-ignore: decorator
@inline function recRoom(n: u32): bool {
  if (recLen + n <= recCap) return true;
  const need = recLen + n;
  const q = grow(rec, recCap, need);
  if (q == 0) { oom = true; return false; }
  recCap = grownCap(recCap, need);
  rec = q;
  return true;
}

// @ts-ignore: decorator
@inline function lpRoom(n: u32): bool {
  // (the test inline, as recRoom's: it runs once per element)
  return lpLen + n <= lpCap || lpGrow(n);
}

function lpGrow(n: u32): bool {
  const need = lpLen + n;
  const q = grow(lp, lpCap, need);
  if (q == 0) { oom = true; return false; }
  lpCap = grownCap(lpCap, need);
  lp = q;
  return true;
}

function recByte(b: u32): void {
  if (!recRoom(1)) return;
  store<u8>(rec + recLen, <u8>b);
  recLen++;
}

function recBytes(p: u32, n: u32): void {
  if (!recRoom(n)) return;
  // (arena.ts copyBytes: no call into C for the few bytes most keys, elements and listpacks are)
  copyBytes(rec + recLen, p, n);
  recLen += n;
}

/** rdbSaveLen */
function recLenField(n: u64): void {
  if (!recRoom(9)) return;
  const p = rec + recLen;
  if (n < 64) {
    store<u8>(p, <u8>n);
    recLen += 1;
  } else if (n < 16384) {
    store<u8>(p, <u8>(0x40 | <u32>(n >> 8)));
    store<u8>(p + 1, <u8>(n & 0xff));
    recLen += 2;
  } else if (n <= 0xffffffff) {
    store<u8>(p, 0x80);
    store<u32>(p + 1, bswap<u32>(<u32>n));
    recLen += 5;
  } else {
    store<u8>(p, 0x81);
    store<u64>(p + 1, bswap<u64>(n));
    recLen += 9;
  }
}

// ------------------------------------------------------------------------------ integers

let parsed: i64 = 0;

/** string2ll (the JS bytesToInt64): true with `parsed` when [p, p + len) is an int64's canonical text. */
function toInt64(p: u32, len: u32): bool {
  if (len == 0 || len > 20) return false;
  const c0 = <u32>load<u8>(p);
  if (len == 1) {
    if (c0 >= 48 && c0 <= 57) { parsed = <i64>(c0 - 48); return true; }
    return false;
  }
  let i: u32 = 0;
  let neg = false;
  if (c0 == 45) { neg = true; i = 1; }
  const f = <u32>load<u8>(p + i);
  if (f < 49 || f > 57) return false;
  let v: u64 = 0;
  for (let j = i; j < len; j++) {
    const c = <u32>load<u8>(p + j);
    if (c < 48 || c > 57) return false;
    const d = <u64>(c - 48);
    if (v > (0xffffffffffffffff - d) / 10) return false; // u64 overflow
    v = v * 10 + d;
  }
  if (neg) {
    if (v > 0x8000000000000000) return false;
    parsed = <i64>(0 - v);
  } else {
    if (v > 0x7fffffffffffffff) return false;
    parsed = <i64>v;
  }
  return true;
}

// ------------------------------------------------------------------------------ strings

/** rdbSaveRawString of [p, p + len) into rec (ints tried only when `tryInt`, as the JS writer's string vs bytes). */
function saveString(p: u32, len: u32, tryInt: bool): void {
  if (tryInt && len <= 11 && toInt64(p, len) && parsed >= -2147483648 && parsed <= 2147483647) {
    const n = parsed;
    if (!recRoom(5)) return;
    const q = rec + recLen;
    if (n >= -128 && n <= 127) {
      store<u8>(q, 0xc0);
      store<i8>(q + 1, <i8>n);
      recLen += 2;
    } else if (n >= -32768 && n <= 32767) {
      store<u8>(q, 0xc1);
      store<i16>(q + 1, <i16>n);
      recLen += 3;
    } else {
      store<u8>(q, 0xc2);
      store<i32>(q + 1, <i32>n);
      recLen += 5;
    }
    return;
  }
  if (compression && len > 20) {
    const outLen = len - 4;
    if (zoCap < outLen + 1) {
      if (zo != 0) free(zo, zoCap);
      zoCap = outLen + 1 < 4096 ? 4096 : outLen + 1;
      zo = alloc(zoCap);
      if (zo == 0) { zoCap = 0; oom = true; return; }
    }
    const clen = lzfCompress(p, len, zo, outLen);
    if (clen != 0) {
      recByte(0xc3);
      recLenField(clen);
      recLenField(len);
      recBytes(zo, clen);
      return;
    }
  }
  recLenField(len);
  recBytes(p, len);
}

// ------------------------------------------------------------------------------ listpacks (LpWriter)

function lpReset(): void {
  lpLen = 6;
  lpCount = 0;
  lpRoom(6);
}

// @ts-ignore: decorator
@inline function lpBacklen(l: u32): void {
  // (one byte inline: nearly every entry of a small listpack)
  if (l <= 127) {
    store<u8>(lp + lpLen, <u8>l);
    lpLen += 1;
  } else lpBacklenLong(l);
}

function lpBacklenLong(l: u32): void {
  const p = lp + lpLen;
  if (l < 16383) {
    store<u8>(p, <u8>(l >> 7));
    store<u8>(p + 1, <u8>((l & 127) | 128));
    lpLen += 2;
  } else if (l < 2097151) {
    store<u8>(p, <u8>(l >> 14));
    store<u8>(p + 1, <u8>(((l >> 7) & 127) | 128));
    store<u8>(p + 2, <u8>((l & 127) | 128));
    lpLen += 3;
  } else if (l < 268435455) {
    store<u8>(p, <u8>(l >> 21));
    store<u8>(p + 1, <u8>(((l >> 14) & 127) | 128));
    store<u8>(p + 2, <u8>(((l >> 7) & 127) | 128));
    store<u8>(p + 3, <u8>((l & 127) | 128));
    lpLen += 4;
  } else {
    store<u8>(p, <u8>(l >> 28));
    store<u8>(p + 1, <u8>(((l >> 21) & 127) | 128));
    store<u8>(p + 2, <u8>(((l >> 14) & 127) | 128));
    store<u8>(p + 3, <u8>(((l >> 7) & 127) | 128));
    store<u8>(p + 4, <u8>((l & 127) | 128));
    lpLen += 5;
  }
}

function lpInt(v: i64): void {
  if (!lpRoom(16)) return;
  const p = lp + lpLen;
  let n: u32;
  if (v >= 0 && v <= 127) {
    store<u8>(p, <u8>v);
    n = 1;
  } else if (v >= -4096 && v <= 4095) {
    const u = <u32>(v < 0 ? 8192 + v : v);
    store<u8>(p, <u8>((u >> 8) | 0xc0));
    store<u8>(p + 1, <u8>(u & 0xff));
    n = 2;
  } else if (v >= -32768 && v <= 32767) {
    store<u8>(p, 0xf1);
    store<i16>(p + 1, <i16>v);
    n = 3;
  } else if (v >= -8388608 && v <= 8388607) {
    store<u8>(p, 0xf2);
    const u = <u32>v;
    store<u8>(p + 1, <u8>u);
    store<u8>(p + 2, <u8>(u >> 8));
    store<u8>(p + 3, <u8>(u >> 16));
    n = 4;
  } else if (v >= -2147483648 && v <= 2147483647) {
    store<u8>(p, 0xf3);
    store<i32>(p + 1, <i32>v);
    n = 5;
  } else {
    store<u8>(p, 0xf4);
    store<i64>(p + 1, v);
    n = 9;
  }
  lpLen += n;
  lpBacklen(n);
  lpCount++;
}

/** LpWriter.appendString: an integer's text as an integer entry. */
function lpStr(p: u32, len: u32): void {
  // (toInt64 called only for text that starts as a number can: a digit or '-')
  if (len <= 20 && len > 0) {
    const c0 = <u32>load<u8>(p);
    if ((c0 - 48 < 10 || c0 == 45) && toInt64(p, len)) return lpInt(parsed);
  }
  if (!lpRoom(len + 16)) return;
  let q = lp + lpLen;
  let hdr: u32;
  if (len < 64) {
    store<u8>(q, <u8>(0x80 | len));
    hdr = 1;
  } else if (len < 4096) {
    store<u8>(q, <u8>(0xe0 | (len >> 8)));
    store<u8>(q + 1, <u8>(len & 0xff));
    hdr = 2;
  } else {
    store<u8>(q, 0xf0);
    store<u32>(q + 1, len);
    hdr = 5;
  }
  copyBytes(q + hdr, p, len);
  lpLen += hdr + len;
  lpBacklen(hdr + len);
  lpCount++;
}

/** Close the listpack: its bytes are [lp, lp + lpLen). */
function lpFinish(): void {
  if (!lpRoom(1)) return;
  store<u8>(lp + lpLen, 0xff);
  lpLen++;
  store<u32>(lp, lpLen);
  store<u16>(lp + 4, <u16>(lpCount < 65535 ? lpCount : 65535));
}

// ------------------------------------------------------------------------------ values

// @ts-ignore: decorator
@inline function getVar(p: u32): u64 {
  // LEB128 (hash.ts / list.ts / zsetpack.ts forward lengths); sets varBytes.
  let b = <u32>load<u8>(p);
  if (b < 0x80) { varBytes = 1; return <u64>b; }
  let n: u64 = <u64>(b & 0x7f);
  let s: u64 = 7;
  let k: u32 = 1;
  do {
    b = <u32>load<u8>(p + k);
    n |= (<u64>(b & 0x7f)) << s;
    s += 7;
    k++;
  } while (b >= 0x80);
  varBytes = k;
  return n;
}
let varBytes: u32 = 0;

/** A listpack hash's small form as a listpack blob (insertion order). */
function hashValue(c: u32): bool {
  lpReset();
  const b = load<u32>(c, NC_P);
  const end = b + load<u32>(c, NC_AUX);
  let p = b;
  while (p < end) {
    const fl = <u32>getVar(p);
    p += varBytes;
    const fp = p;
    p += fl;
    const vl = <u32>getVar(p);
    p += varBytes;
    lpStr(fp, fl);
    lpStr(p, vl);
    p += vl;
  }
  lpFinish();
  if (oom) return false;
  saveString(lp, lpLen, false);
  return true;
}

const SCORE_TEXT: usize = memory.data(32);

/**
 * A score as the listpack entry LpWriter.appendString(d2string(score)) writes (an integer text as
 * an integer entry); false when its text is not one dtoa17.ts computes exactly (-0, inf, integers
 * from 1e17, tiny or huge magnitudes).
 */
function lpScore(score: f64): bool {
  if (Math.floor(score) == score) {
    // d2string prints an integer below 1e17 as its digits: an integer entry.
    if (!(Math.abs(score) < 1e17) || (score == 0 && (reinterpret<u64>(score) >> 63) != 0)) return false;
    lpInt(<i64>score);
    return true;
  }
  const l = fmt17(score, SCORE_TEXT);
  if (l < 0) return false;
  lpStr(<u32>SCORE_TEXT, <u32>l);
  return true;
}

/**
 * A listpack sorted set's blob: members and scores as LpWriter.appendString(d2string(score))
 * writes them (an integer text as an integer entry). False (JS writes it) when a score's text
 * is not one dtoa17.ts computes exactly (-0, inf, integers from 1e17, tiny or huge magnitudes).
 */
function zsetValue(c: u32): bool {
  const b = load<u32>(c, NC_P);
  const end = b + load<u32>(c, NC_AUX);
  lpReset();
  let p = b;
  while (p < end) {
    if (load<u8>(p) == 1) {
      const score = load<f64>(p + 1);
      p += 9;
      const ml = <u32>getVar(p);
      p += varBytes;
      lpStr(p, ml);
      p += ml;
      if (!lpScore(score)) return false;
      continue;
    }
    const zz = getVar(p);
    p += varBytes;
    const score = <i64>((zz >> 1) >> 1) ^ -<i64>((zz >> 1) & 1);
    const ml = <u32>getVar(p);
    p += varBytes;
    lpStr(p, ml);
    lpInt(score);
    p += ml;
  }
  lpFinish();
  if (oom) return false;
  saveString(lp, lpLen, false);
  return true;
}

// @ts-ignore: decorator
@inline function isGet(b: u32, w: u32, i: u32): i64 {
  if (w == 2) return <i64>load<i16>(b + (i << 1));
  if (w == 4) return <i64>load<i32>(b + (i << 2));
  return load<i64>(b + (i << 3));
}

/**
 * An intset's blob as intset.ts's intsetEncode writes it: [u32 width][u32 count][members
 * ascending, little-endian] with the smallest width that holds them (set.ts's small form may be
 * wider after removals).
 */
function intsetValue(c: u32): void {
  const w = load<u32>(c, NC_AUX);
  const n = load<u32>(c, NC_COUNT);
  const b = load<u32>(c, NC_P);
  let need: u32 = 2;
  for (let i: u32 = 0; i < n; i++) {
    const v = isGet(b, w, i);
    if (v < -2147483648 || v > 2147483647) { need = 8; break; }
    if (v < -32768 || v > 32767) need = 4;
  }
  lpLen = 0;
  if (!lpRoom(8 + n * need)) return;
  store<u32>(lp, need);
  store<u32>(lp, n, 4);
  if (need == w) {
    if (n > 0) memory.copy(lp + 8, b, n * w);
  } else {
    for (let i: u32 = 0; i < n; i++) {
      const v = isGet(b, w, i);
      const q = lp + 8 + i * need;
      if (need == 2) store<i16>(q, <i16>v);
      else if (need == 4) store<i32>(q, <i32>v);
      else store<i64>(q, v);
    }
  }
  lpLen = 8 + n * need;
  saveString(lp, lpLen, false);
}

/** A hashtable set: count, then each member in sOut's order (the dict's tables, bucket by bucket). */
function setBigValue(c: u32): void {
  recLenField(load<u32>(c, NC_COUNT));
  sForEachBig(c, saveMember);
}

function saveMember(p: u32, len: u32): bool {
  saveString(p, len, true);
  return true;
}

/** A hashtable hash: count, then each field and value in hOut's order (hForEachBig). */
function hashBigValue(c: u32): void {
  recLenField(load<u32>(c, NC_COUNT));
  hForEachBig(c, savePair);
}

function savePair(fp: u32, fl: u32, vp: u32, vl: u32): bool {
  saveString(fp, fl, true);
  saveString(vp, vl, true);
  return true;
}

/** A skip-list sorted set as ZSET_2: count, then members greatest first with binary doubles. */
function zsetBigValue(c: u32): void {
  recLenField(load<u32>(c, NC_COUNT));
  zsForEachReverse(load<u32>(c, NC_P), saveScored);
}

function saveScored(mp: u32, ml: u32, score: f64): bool {
  saveString(mp, ml, true);
  if (recRoom(8)) {
    store<f64>(rec + recLen, score);
    recLen += 8;
  }
  return true;
}

// QUICKLIST_2 as RdbWriter.list: listpack nodes split by list-max-listpack-size; big elements
// PLAIN. listBegin, then listElem per element, then listEnd (the state of the list being written).
let lFill: i32 = 0;
let lSizeLimit: u32 = 0;
let lMaxCount: u32 = 0;
let lCountAt: u32 = 0;
let lNodesAt: u32 = 0;
let lNodes: u32 = 0;
let lCount: u32 = 0;

function listBegin(): void {
  const fill = listFill;
  const f = fill < 0 ? (-fill < 5 ? -fill : 5) : 0;
  lFill = fill;
  lSizeLimit = fill < 0 ? (f == 1 ? 4096 : f == 2 ? 8192 : f == 3 ? 16384 : f == 4 ? 32768 : 65536) : 8192;
  lMaxCount = fill > 1 ? <u32>fill : 1;
  // The node count comes first: nodes go to rec after a placeholder, counted, then moved.
  lCountAt = recLen;
  recLenField(0xffffffff); // 5 bytes reserved
  lNodesAt = recLen;
  lNodes = 0;
  lCount = 0;
  lpReset();
}

/** The listpack so far becomes a PACKED node. */
function listCloseNode(): void {
  lpFinish();
  recLenField(2);
  saveString(lp, lpLen, false);
  lNodes++;
  lpReset();
  lCount = 0;
}

function listElem(data: u32, len: u32): void {
  if (len >= plainAt) {
    // A large element is a node of its own, and no later element joins it (isLargeElement).
    if (lCount > 0) listCloseNode();
    recLenField(1);
    saveString(data, len, true);
    lNodes++;
    return;
  }
  if (lCount > 0) {
    // Redis 7.0 estimates the entry at its length + SIZE_ESTIMATE_OVERHEAD (8); fill 0 is 1.
    const newSz: u32 = lpLen + 1 + len + 8;
    const ok = lFill < 0 ? newSz <= lSizeLimit : newSz <= lSizeLimit && lCount < lMaxCount;
    if (!ok) listCloseNode();
  }
  lpStr(data, len);
  lCount++;
}

function listEnd(): void {
  if (lCount > 0) {
    lpFinish();
    recLenField(2);
    saveString(lp, lpLen, false);
    lNodes++;
  }
  if (oom) return;
  // Put the real node count where the placeholder is (it may take fewer bytes: move the nodes).
  const nodesLen = recLen - lNodesAt;
  recLen = lCountAt;
  recLenField(lNodes);
  const at = recLen;
  if (at != lNodesAt) memory.copy(rec + at, rec + lNodesAt, nodesLen);
  recLen = at + nodesLen;
}

/** A native list (list.ts nodes: [prev u32][next u32][cap][start][end][count] then entries [LEB128 len][bytes][backward len]). */
function listValue(c: u32): void {
  listBegin();
  let n = load<u32>(c, NC_P);
  while (n != 0) {
    // (a compressed node through a decompressed copy, list.ts readable)
    const v = lNodeView(n);
    if (v == 0) {
      oom = true;
      return;
    }
    let p = v + load<u32>(v, N_START);
    const end = v + load<u32>(v, N_END);
    while (p < end) {
      const len = <u32>getVar(p);
      const k = varBytes;
      const data = p + k;
      p = data + len + k;
      listElem(data, len);
    }
    n = load<u32>(v, N_NEXT);
  }
  listEnd();
}

const N_NEXT: u32 = 4;
const N_START: u32 = 12;
const N_END: u32 = 16;

const T_STRING: u32 = 0;
const T_LIST_QUICKLIST_2: u32 = 18;
const T_SET: u32 = 2;
const T_SET_INTSET: u32 = 11;
const T_HASH_LISTPACK: u32 = 16;
const T_ZSET_LISTPACK: u32 = 17;
const T_HASH: u32 = 4;
const T_ZSET_2: u32 = 5;

/**
 * One entry: the record into the out buffer as [u32 record length | DEFER][u32 key length][key]
 * [record]. handle < 0 for a string at [vp, vp + vl). False on OOM.
 */
export function rdbSaveEntry(kp: u32, kl: u32, vp: u32, vl: u32, handle: i32, expireAt: f64, lruSec: u32, freq: u32): bool {
  recLen = 0;
  oom = false;
  let ok = true;
  if (expireAt != -1) {
    recByte(0xfc);
    if (recRoom(8)) {
      store<i64>(rec + recLen, <i64>expireAt);
      recLen += 8;
    }
  }
  if (writeIdle) {
    const idle = Math.floor((refNow - <f64>lruSec * 1000) / 1000);
    recByte(0xf8);
    recLenField(idle > 0 ? <u64>idle : 0);
  }
  if (writeFreq) {
    recByte(0xf9);
    recByte(freq > 255 ? 255 : freq);
  }
  if (handle < 0) {
    recByte(T_STRING);
    saveString(kp, kl, true);
    saveString(vp, vl, true);
  } else if ((<u32>handle & NATIVE_BIT) == 0) {
    ok = false;
  } else {
    const c = (<u32>handle & NATIVE_MASK) << 3;
    const info = load<u32>(c, NC_INFO);
    const kind = info & NK_MASK;
    const big = (info & NF_BIG) != 0;
    const typeAt = recLen;
    if (kind == NK_HASH) {
      if ((info & NF_LPENC) != 0 && !big) {
        recByte(T_HASH_LISTPACK);
        saveString(kp, kl, true);
        ok = hashValue(c);
      } else if ((info & NF_LPENC) == 0 && big) {
        recByte(T_HASH);
        saveString(kp, kl, true);
        hashBigValue(c);
      } else ok = false; // listpack-encoded in the big representation: the JS writer
    } else if (kind == NK_ZSET) {
      if (big) {
        recByte(T_ZSET_2);
        saveString(kp, kl, true);
        zsetBigValue(c);
      } else {
        recByte(T_ZSET_LISTPACK);
        saveString(kp, kl, true);
        ok = zsetValue(c);
      }
    } else if (kind == NK_SET) {
      recByte(big ? T_SET : T_SET_INTSET);
      saveString(kp, kl, true);
      if (big) setBigValue(c);
      else intsetValue(c);
    } else if (kind == NK_LIST) {
      recByte(T_LIST_QUICKLIST_2);
      saveString(kp, kl, true);
      listValue(c);
    } else ok = false;
    if (!ok) recLen = typeAt;
  }
  if (oom) return false;
  if (packed) {
    if (!ok) return deferKey(kp, kl);
    const o = outReserve(recLen);
    if (o == 0) return false;
    memory.copy(o, rec, recLen);
    outCommit(recLen);
    packedCount++;
    return true;
  }
  const size = ok ? recLen : 0;
  const w = outReserve(8 + kl + size);
  if (w == 0) return false;
  store<u32>(w, ok ? recLen : DEFER);
  store<u32>(w, kl, 4);
  memory.copy(w + 8, kp, kl);
  if (ok) memory.copy(w + 8 + kl, rec, recLen);
  outCommit(8 + kl + size);
  return true;
}

// ------------------------------------------------------------------------------ staged records (js-map)

/*
 * The js-map engine keeps collections in JS containers. Its writer (src/engine/js-map/rdb-save.ts)
 * copies a batch of records into a stage in linear memory, and rdbSaveStagedBatch writes them
 * back to back from there as the functions above write a native one, i.e. as rdb-writer.ts would:
 * the listpacks, LZF and integer encodings run as compiled code from the first key instead of JS
 * still warming up, and one call (and one copy out) serves a whole batch instead of one a key.
 *
 * A staged record starts 8-aligned (the JS writes its head through Int32Array and Float64Array
 * views): [u32 kind][u32 count][f64 expireAt (-1: none)][i32 idleSecs][i32 freq] (< 0: no IDLE /
 * FREQ opcode), then the key as a staged string: its length in one byte when below 255, else
 * 255 and a u32, then its bytes (one store for the length of nearly every element instead of
 * four). Then per kind: a string's value, a staged string; `count` elements (pairs for hashes),
 * staged strings; a sorted set's `count` members, then, 8-aligned, their `count` f64 scores in
 * the same order (one typed store each). A packed value (a collection the js-map engine still
 * holds as the blob it loaded, containers/packed.ts): `count` is the RDB type byte, then,
 * 8-aligned, [u32 form][u32 length][blob], the form as RdbWriter.packedForm says (a string
 * without the integer attempt, the bytes as they are, or a one-node quicklist of that string).
 * The next record starts at the next multiple of 8.
 */
export const STAGED_HASH_LISTPACK: u32 = 1;
export const STAGED_HASH: u32 = 2;
export const STAGED_SET: u32 = 3;
export const STAGED_ZSET_LISTPACK: u32 = 4;
export const STAGED_ZSET_2: u32 = 5;
export const STAGED_LIST: u32 = 6;
export const STAGED_STRING: u32 = 7;
export const STAGED_PACKED: u32 = 8;
/** rdb-writer.ts PACKED_* (a STAGED_PACKED record's form). */
const PACKED_STRING: u32 = 0;
const PACKED_RAW: u32 = 1;
/** Bytes of a staged record's head (kind, count, expireAt, idleSecs, freq). */
const STAGED_HEAD: u32 = 24;

/** Where the bytes of the staged string stagedLen last read start. */
let sBytes: u32 = 0;

/** The length of the staged string at p (one byte below 255, else 255 and a u32); its bytes are at sBytes. */
@inline function stagedLen(p: u32): u32 {
  const b = <u32>load<u8>(p);
  if (b < 255) {
    sBytes = p + 1;
    return b;
  }
  sBytes = p + 5;
  return load<u32>(p, 1);
}

@inline function align8(p: u32): u32 {
  return (p + 7) & ~(<u32>7);
}

/**
 * Records [st, ...) of the stage, at most n, written back to back in rec: returns how many
 * were written; RES R_PTR = where rec is (valid until the next call), ends[i] (u32) = where
 * record i ends in it. Fewer than n: the next record is left to the JS writer (a listpack score
 * dtoa17.ts does not print, OOM); it wrote nothing of it.
 */
export function rdbSaveStagedBatch(st: u32, n: u32, ends: u32): u32 {
  recLen = 0;
  let p = st;
  let i: u32 = 0;
  for (; i < n; i++) {
    const start = recLen;
    oom = false;
    p = stagedRecord(p);
    if (p == 0 || oom) {
      recLen = start;
      break;
    }
    store<u32>(ends + (i << 2), recLen);
  }
  store<u32>(RES, rec, R_PTR);
  return i;
}

/** The staged record at p appended to rec; returns where the next one starts (8-aligned), 0 when it is left to JS. */
function stagedRecord(st: u32): u32 {
  const kind = load<u32>(st);
  const count = load<u32>(st, 4);
  const expireAt = load<f64>(st, 8);
  const idleSecs = load<i32>(st, 16);
  const freq = load<i32>(st, 20);
  if (expireAt != -1) {
    recByte(0xfc);
    if (recRoom(8)) {
      store<i64>(rec + recLen, <i64>expireAt);
      recLen += 8;
    }
  }
  if (idleSecs >= 0) {
    recByte(0xf8);
    recLenField(<u64>idleSecs);
  }
  if (freq >= 0) {
    recByte(0xf9);
    recByte(<u32>freq);
  }
  recByte(kind == STAGED_PACKED ? count : kind == STAGED_STRING ? T_STRING : kind == STAGED_HASH_LISTPACK ? T_HASH_LISTPACK : kind == STAGED_HASH ? T_HASH : kind == STAGED_SET ? T_SET : kind == STAGED_ZSET_LISTPACK ? T_ZSET_LISTPACK : kind == STAGED_ZSET_2 ? T_ZSET_2 : T_LIST_QUICKLIST_2);
  let p = st + STAGED_HEAD;
  const kl = stagedLen(p);
  saveString(sBytes, kl, true);
  p = sBytes + kl;
  if (kind == STAGED_STRING) {
    const vl = stagedLen(p);
    saveString(sBytes, vl, true);
    p = sBytes + vl;
  } else if (kind == STAGED_PACKED) {
    p = align8(p);
    const form = load<u32>(p);
    const bl = load<u32>(p, 4);
    if (form == PACKED_RAW) recBytes(p + 8, bl);
    else {
      if (form != PACKED_STRING) {
        // PACKED_QUICKLIST_NODE: one node, packed.
        recLenField(1);
        recLenField(2);
      }
      saveString(p + 8, bl, false);
    }
    p += 8 + bl;
  } else if (kind == STAGED_HASH_LISTPACK) {
    lpReset();
    for (let i: u32 = 0; i < count; i++) {
      const fl = stagedLen(p);
      lpStr(sBytes, fl);
      p = sBytes + fl;
      const vl = stagedLen(p);
      lpStr(sBytes, vl);
      p = sBytes + vl;
    }
    lpFinish();
    if (oom) return 0;
    saveString(lp, lpLen, false);
  } else if (kind == STAGED_HASH) {
    recLenField(count);
    for (let i: u32 = 0; i < count; i++) {
      const fl = stagedLen(p);
      saveString(sBytes, fl, true);
      p = sBytes + fl;
      const vl = stagedLen(p);
      saveString(sBytes, vl, true);
      p = sBytes + vl;
    }
  } else if (kind == STAGED_SET) {
    recLenField(count);
    for (let i: u32 = 0; i < count; i++) {
      const ml = stagedLen(p);
      saveString(sBytes, ml, true);
      p = sBytes + ml;
    }
  } else if (kind == STAGED_ZSET_LISTPACK || kind == STAGED_ZSET_2) {
    // The scores follow the members, 8-aligned.
    let q = p;
    for (let i: u32 = 0; i < count; i++) {
      const ml = stagedLen(q);
      q = sBytes + ml;
    }
    q = align8(q);
    if (kind == STAGED_ZSET_LISTPACK) {
      lpReset();
      for (let i: u32 = 0; i < count; i++) {
        const ml = stagedLen(p);
        lpStr(sBytes, ml);
        p = sBytes + ml;
        if (!lpScore(load<f64>(q))) return 0;
        q += 8;
      }
      lpFinish();
      if (oom) return 0;
      saveString(lp, lpLen, false);
    } else {
      recLenField(count);
      for (let i: u32 = 0; i < count; i++) {
        const ml = stagedLen(p);
        saveString(sBytes, ml, true);
        p = sBytes + ml;
        if (recRoom(8)) {
          store<f64>(rec + recLen, load<f64>(q));
          recLen += 8;
        }
        q += 8;
      }
    }
    p = q;
  } else {
    listBegin();
    for (let i: u32 = 0; i < count; i++) {
      const el = stagedLen(p);
      listElem(sBytes, el);
      p = sBytes + el;
    }
    listEnd();
  }
  return oom ? 0 : align8(p);
}

