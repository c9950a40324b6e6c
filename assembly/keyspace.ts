/*
 * keyspace.ts -- one database's keyspace (Redis's db->dict + db->expires) on top of dict.ts.
 *
 * Entry layout: one allocation per key, entrySize(e) bytes, nothing padded but the arena's rounding.
 *   +0  next    u32   dict chain
 *   +4  hash    u32
 *   +8  keyLen  u32
 *   +12 vinfo   u32   bit 31 F_EXPSLOT: the entry ends with an expires slot;
 *                     bit 30 F_RAWENC: the string was edited in place (APPEND, SETRANGE, SETBIT,
 *                     BITFIELD...) or stored as raw, so OBJECT ENCODING says "raw" even when it
 *                     is short (Redis's dbUnshareStringValue); cleared by any new value;
 *                     bits 0..29: the string's length (< 1 GiB), or VLEN_HANDLE for a container
 *   +16 meta    u32   bits 0..23: LRU clock, Unix seconds mod 2^24 (Redis's 24-bit clock);
 *                     bits 24..31: LFU counter (Redis's logarithmic counter)
 *   +20 key bytes
 *   then the value part:
 *     - a string of at most VAL_EMBED bytes: the bytes themselves (embedded, like embstr);
 *     - a longer string: u32 pointer to its own block, [cap u32][cap bytes] holding the value in
 *       its first bytes: the spare room lets APPEND grow it in place (see dbWriteAt);
 *     - a container: i32 handle, an index into the JS-side array of this db's containers;
 *   then, if F_EXPSLOT: u32 index of the key's record in the expires array, or NO_EXPIRE.
 * A 16-byte key with a short value takes 40 bytes. An entry moves to a new block (the dict chain
 * and its expires record are relinked; nothing else holds entry pointers) when a write changes its
 * size class: a value of another size, or a first TTL. PERSIST leaves the emptied slot in place,
 * so removing a TTL never allocates.
 *
 * Expires: Redis keeps a second dict of keys with a TTL so that active expiry only samples
 * volatile keys. Here it is a dense array of {entry u32, pad u32, expireAt f64} records, split in
 * chunks of EXP_CHUNK records (no copy when it grows), with the back index in the entry's expires
 * slot. Removal swaps the last record into the hole: O(1). Keys that never had a TTL pay nothing.
 *
 * Db header (DB_BYTES): the dict (DICT_BYTES), then expDir u32, expDirCap u32, expCount u32,
 * expCursor u32.
 *
 * Conventions shared with the JS side (src/engine/wasm): the key of an operation is at the start
 * of the scratch region; results beyond the return value go to the RES struct; lists of keys go to
 * the out buffer as [u32 len][bytes] records. Expiry: a key is expired when now > expireAt
 * (keyIsExpired in Redis's db.c). All functions that allocate return a failure code and leave the
 * db unchanged when memory runs out.
 *
 * Complexity: lookup/set/delete O(1) average (plus bounded incremental rehash work); APPEND
 * amortized O(appended bytes), SETRANGE O(written bytes) plus any zero-filled gap; expire
 * set/remove O(1); active expire O(samples); scan O(count) per call; lazy clear O(1) and the
 * detached tables are freed by gcStep in bounded steps.
 */

import { alloc, free, allocSize, arenaUsed } from './arena';
import {
  DICT_BYTES, D_RIDX, dictResize, D_T0, D_S0, D_T1, D_S1, D_KEYOFF, E_HASH, E_NEXT, E_KEYLEN, dictInit, dictSize, dictFind, dictAdd, dictUnlink,
  dictUnlinkEntry, dictReplaceEntry, dictRandom, dictScanStep, dictDetach, dictRehash, dictPauseRehash, hashBytes, random32, randomBelow, bytesEq,
} from './dict';
import { globMatch } from './glob';
import { rdbSaveEntry } from './rdbsave';
import { ncDropHandle, NATIVE_BIT, NATIVE_MASK, NC_INFO, NK_MASK } from './native';
import { RES, scratchPtr, outReserve, outCommit, outReset } from './io';
import {
  R_PTR, R_LEN, R_HANDLE, R_MISC, R_F64, R_LRU, VLEN_HANDLE, ST_MISSING, ST_STRING, ST_HANDLE, ST_EXPIRED, ST_TOOBIG, ST_OOM, NO_PATTERN,
} from '../src/engine/wasm/abi';

// ---------------------------------------------------------------------------------------------
// Entries

export const K_VINFO: u32 = 12;
export const K_META: u32 = 16;
export const ENTRY_HDR: u32 = 20;
/** vinfo bit: the entry ends with a 4-byte expires slot. */
const F_EXPSLOT: u32 = 0x80000000;
/** vinfo bit: the string's encoding is raw whatever its length (see the header). */
const F_RAWENC: u32 = 0x40000000;
/** vinfo length bits; VLEN_HANDLE (abi.ts: all of them) marks a container (an i32 handle). */
const VLEN_MASK: u32 = VLEN_HANDLE;
/**
 * Strings up to this many bytes are embedded in the entry after the key (like Redis's embstr):
 * no second allocation, no pointer, and a GET reads the value from the cache lines it already
 * loaded to compare the key. Longer strings get their own allocation, so that rewriting a big
 * value never copies the key and the entry.
 */
export const VAL_EMBED: u32 = 64;

/** VAL_EMBED for the JS side (dbWriteAt's scratch needs room for the key plus VAL_EMBED bytes). */
export function keyspaceValEmbed(): u32 {
  return VAL_EMBED;
}
/** The expires slot of a key without a TTL (after PERSIST: the slot stays, see the header). */
const NO_EXPIRE: u32 = 0xffffffff;
const LRU_MASK: u32 = 0xffffff;
const LFU_INIT_VAL: u32 = 5;
/** lfu-log-factor and lfu-decay-time (minutes), set by dbSetLfuParams. */
let lfuLogFactor: f64 = 10;
let lfuDecayTime: u32 = 1;

/** CONFIG lfu-log-factor / lfu-decay-time. */
export function dbSetLfuParams(logFactor: f64, decayTime: u32): void {
  lfuLogFactor = logFactor;
  lfuDecayTime = decayTime;
}

// @ts-ignore: decorator
@inline function vlenOf(e: u32): u32 {
  return load<u32>(e, K_VINFO) & VLEN_MASK;
}

// @ts-ignore: decorator
@inline function hasSlot(e: u32): bool {
  return (load<u32>(e, K_VINFO) & F_EXPSLOT) != 0;
}

/** Bytes of the value part for a vinfo length: embedded bytes, or a u32 pointer / i32 handle. */
// @ts-ignore: decorator
@inline function valPartBytes(vl: u32): u32 {
  return vl <= VAL_EMBED ? vl : 4;
}

// @ts-ignore: decorator
@inline function entryBytes(klen: u32, vl: u32, slot: bool): u32 {
  return ENTRY_HDR + klen + valPartBytes(vl) + (slot ? 4 : 0);
}

/** Allocation size of an entry, from its own fields (what free() must be given). */
// @ts-ignore: decorator
@inline function entrySize(e: u32): u32 {
  return entryBytes(load<u32>(e, E_KEYLEN), vlenOf(e), hasSlot(e));
}

/** Address of the value part: right after the key. */
// @ts-ignore: decorator
@inline function valPart(e: u32): u32 {
  return e + ENTRY_HDR + load<u32>(e, E_KEYLEN);
}

/** Address of the expires slot (only meaningful when hasSlot). */
// @ts-ignore: decorator
@inline function slotAddr(e: u32): u32 {
  return valPart(e) + valPartBytes(vlenOf(e));
}

/** The entry's index in the expires array, NO_EXPIRE when it has no TTL. */
// @ts-ignore: decorator
@inline function expIdxOf(e: u32): u32 {
  return hasSlot(e) ? load<u32>(slotAddr(e)) : NO_EXPIRE;
}

/** Address of a string entry's value bytes. */
// @ts-ignore: decorator
@inline function strValPtr(e: u32): u32 {
  const vp = valPart(e);
  return vlenOf(e) <= VAL_EMBED ? vp : load<u32>(vp) + 4;
}

/** An out-of-line string block of capacity cap: [cap u32][cap bytes]. 0 on OOM. */
function blockAlloc(cap: u32): u32 {
  const b = alloc(cap + 4);
  if (b != 0) store<u32>(b, cap);
  return b;
}

// @ts-ignore: decorator
@inline function blockFree(b: u32): void {
  free(b, load<u32>(b) + 4);
}

/** Capacity of the block for a value of n bytes: at least `want`, plus the size class's slack. */
// @ts-ignore: decorator
@inline function blockCap(n: u32, want: u32): u32 {
  return allocSize((want > n ? want : n) + 4) - 4;
}

/** Room to grow into on APPEND: double up to 1 MiB, then 1 MiB more (sdsMakeRoomFor). */
// @ts-ignore: decorator
@inline function greedyCap(n: u32): u32 {
  return n < 1048576 ? n << 1 : n + 1048576;
}

const DB_EXPDIR: u32 = DICT_BYTES;
const DB_EXPDIRCAP: u32 = DICT_BYTES + 4;
const DB_EXPCOUNT: u32 = DICT_BYTES + 8;
const DB_EXPCURSOR: u32 = DICT_BYTES + 12;
const DB_BYTES: u32 = DICT_BYTES + 16;

const EXP_SHIFT: u32 = 11;
const EXP_CHUNK: u32 = 1 << EXP_SHIFT;    // records per chunk
const EXP_REC: u32 = 16;                  // bytes per record
const EXP_CHUNK_BYTES: u32 = EXP_CHUNK * EXP_REC; // 32 KiB, the largest small class

export function dbCreate(): u32 {
  const db = alloc(DB_BYTES);
  if (db == 0) return 0;
  memory.fill(db, 0, DB_BYTES);
  dictInit(db, ENTRY_HDR);
  return db;
}

export function dbSize(db: u32): u32 {
  return dictSize(db);
}

export function dbExpiresSize(db: u32): u32 {
  return load<u32>(db, DB_EXPCOUNT);
}

/**
 * MEMORY STATS' overhead.hashtable.main for this db: the bucket arrays of both tables plus each
 * entry's header (ENTRY_HDR); key and value bytes are the dataset's.
 */
export function dbMainOverhead(db: u32): f64 {
  return <f64>(load<u32>(db, D_S0) + load<u32>(db, D_S1)) * 4 + <f64>dictSize(db) * <f64>ENTRY_HDR;
}

/** overhead.hashtable.expires: one expires record and one back-index slot per key with a TTL. */
export function dbExpiresOverhead(db: u32): f64 {
  return <f64>load<u32>(db, DB_EXPCOUNT) * <f64>(EXP_REC + 4);
}

// @ts-ignore: decorator
@inline function recAddr(db: u32, idx: u32): u32 {
  return load<u32>(load<u32>(db, DB_EXPDIR) + ((idx >> EXP_SHIFT) << 2)) + ((idx & (EXP_CHUNK - 1)) * EXP_REC);
}

// @ts-ignore: decorator
@inline function expireAtOf(db: u32, e: u32): f64 {
  const idx = expIdxOf(e);
  return idx == NO_EXPIRE ? -1 : load<f64>(recAddr(db, idx), 8);
}

/** dbSetExpiryPaused: while true no key is expired (Redis's keyIsExpired while loading). */
let expiryPaused = false;

export function dbSetExpiryPaused(paused: bool): void {
  expiryPaused = paused;
}

/**
 * dbSetExpiredKept (Engine.setExpiredKept, while clients are paused): a read lookup (dbLookup,
 * dbInfo) of a key past its TTL answers ST_MISSING and leaves the key where it is.
 */
let expiredKept = false;

export function dbSetExpiredKept(kept: bool): void {
  expiredKept = kept;
}

// @ts-ignore: decorator
@inline function isExpired(db: u32, e: u32, now: f64): bool {
  if (!hasSlot(e) || expiryPaused) return false;
  const idx = load<u32>(slotAddr(e));
  return idx != NO_EXPIRE && now > load<f64>(recAddr(db, idx), 8);
}

/**
 * Move entry e to the new block n: copies its first `copy` bytes, puts n in e's place in its dict
 * chain and frees e. The caller relinks the expires record if n keeps one (relinkRecord).
 */
function moveEntry(db: u32, e: u32, n: u32, copy: u32): void {
  memory.copy(n, e, copy);
  dictReplaceEntry(db, e, n);
  free(e, entrySize(e));
}

/** Point the expires record of n (if it has one) back at n, after a move. */
// @ts-ignore: decorator
@inline function relinkRecord(db: u32, n: u32): void {
  const idx = expIdxOf(n);
  if (idx != NO_EXPIRE) store<u32>(recAddr(db, idx), n);
}

/** Make sure the expires array has room for one more record. False on OOM (nothing changed). */
function expReserve(db: u32): bool {
  const n = load<u32>(db, DB_EXPCOUNT);
  const chunk = n >> EXP_SHIFT;
  let dir = load<u32>(db, DB_EXPDIR);
  const cap = load<u32>(db, DB_EXPDIRCAP);
  if (chunk >= cap) {
    const ncap: u32 = cap == 0 ? 8 : cap << 1;
    const nd = alloc(ncap << 2);
    if (nd == 0) return false;
    memory.fill(nd, 0, ncap << 2);
    if (dir != 0) {
      memory.copy(nd, dir, cap << 2);
      free(dir, cap << 2);
    }
    dir = nd;
    store<u32>(db, nd, DB_EXPDIR);
    store<u32>(db, ncap, DB_EXPDIRCAP);
  }
  if (load<u32>(dir + (chunk << 2)) == 0) {
    const c = alloc(EXP_CHUNK_BYTES);
    if (c == 0) return false;
    store<u32>(dir + (chunk << 2), c);
  }
  return true;
}

/**
 * Set or update the TTL of entry e. An entry without an expires slot is grown by 4 bytes, which
 * moves it when that changes its size class. Returns the (possibly moved) entry, 0 on OOM
 * (nothing changed).
 */
function expSet(db: u32, e: u32, at: f64): u32 {
  const idx = expIdxOf(e);
  if (idx != NO_EXPIRE) {
    store<f64>(recAddr(db, idx), at, 8);
    return e;
  }
  if (!expReserve(db)) return 0;
  if (!hasSlot(e)) {
    const size = entrySize(e);
    if (allocSize(size + 4) != allocSize(size)) {
      const n = alloc(size + 4);
      if (n == 0) return 0;
      moveEntry(db, e, n, size);
      e = n;
    }
    store<u32>(e, load<u32>(e, K_VINFO) | F_EXPSLOT, K_VINFO);
  }
  const count = load<u32>(db, DB_EXPCOUNT);
  const r = recAddr(db, count);
  store<u32>(r, e);
  store<f64>(r, at, 8);
  store<u32>(slotAddr(e), count);
  store<u32>(db, count + 1, DB_EXPCOUNT);
  return e;
}

/** Remove the TTL of an entry (swap-with-last in the expires array). Its slot stays, empty. */
function expRemove(db: u32, e: u32): void {
  const idx = expIdxOf(e);
  if (idx == NO_EXPIRE) return;
  const last = load<u32>(db, DB_EXPCOUNT) - 1;
  if (idx != last) {
    const src = recAddr(db, last);
    const dst = recAddr(db, idx);
    const moved = load<u32>(src);
    store<u32>(dst, moved);
    store<f64>(dst, load<f64>(src, 8), 8);
    store<u32>(slotAddr(moved), idx);
  }
  store<u32>(slotAddr(e), NO_EXPIRE);
  store<u32>(db, last, DB_EXPCOUNT);
  // Free the chunk after the one in use once a whole chunk is unused (one spare kept).
  if ((last & (EXP_CHUNK - 1)) == 0) {
    const spare = (last >> EXP_SHIFT) + 1;
    if (spare < load<u32>(db, DB_EXPDIRCAP)) {
      const slot = load<u32>(db, DB_EXPDIR) + (spare << 2);
      const c = load<u32>(slot);
      if (c != 0) {
        free(c, EXP_CHUNK_BYTES);
        store<u32>(slot, 0);
      }
    }
  }
}

function freeAllExpires(db: u32): void {
  const dir = load<u32>(db, DB_EXPDIR);
  const cap = load<u32>(db, DB_EXPDIRCAP);
  if (dir != 0) {
    for (let i: u32 = 0; i < cap; i++) {
      const c = load<u32>(dir + (i << 2));
      if (c != 0) free(c, EXP_CHUNK_BYTES);
    }
    free(dir, cap << 2);
  }
  store<u32>(db, 0, DB_EXPDIR);
  store<u32>(db, 0, DB_EXPDIRCAP);
  store<u32>(db, 0, DB_EXPCOUNT);
  store<u32>(db, 0, DB_EXPCURSOR);
}

/** Free the out-of-line value bytes of an entry; returns its handle or -1. */
function dropValue(e: u32): i32 {
  const vl = vlenOf(e);
  if (vl == VLEN_HANDLE) return load<i32>(valPart(e));
  if (vl > VAL_EMBED) blockFree(load<u32>(valPart(e)));
  return -1;
}

/** Free an unlinked entry; returns the handle it held or -1. */
function freeEntry(db: u32, e: u32): i32 {
  expRemove(db, e);
  const h = dropValue(e);
  free(e, entrySize(e));
  return h;
}

/** Header and key bytes of a new, unlinked entry (its value part is the caller's). */
// @ts-ignore: decorator
@inline function initEntry(n: u32, h: u32, kp: u32, klen: u32, vinfo: u32, meta: u32): void {
  store<u32>(n, 0, E_NEXT);
  store<u32>(n, h, E_HASH);
  store<u32>(n, klen, E_KEYLEN);
  store<u32>(n, vinfo, K_VINFO);
  store<u32>(n, meta, K_META);
  memory.copy(n + ENTRY_HDR, kp, klen);
}

/** Seconds since the entry's LRU stamp (24-bit clock: wraps after 194 days, as in Redis). */
// @ts-ignore: decorator
@inline function idleSeconds(e: u32, nowSec: u32): u32 {
  return (nowSec - load<u32>(e, K_META)) & LRU_MASK;
}

/**
 * An access: LFUDecrAndReturn (one step down per lfu-decay-time minutes elapsed since the last
 * access, counted in whole minutes of the clock as Redis's LFUTimeElapsed), then LFULogIncr
 * (+1 with probability 1 / ((counter - LFU_INIT_VAL) * lfu-log-factor + 1)), then the stamp.
 */
function touch(e: u32, now: f64): void {
  const nowSec = <u32>(now / 1000);
  let freq = load<u32>(e, K_META) >> 24;
  if (lfuDecayTime != 0) {
    const lastSec = nowSec - idleSeconds(e, nowSec);
    const periods = (nowSec / 60 - lastSec / 60) / lfuDecayTime;
    freq = periods > freq ? 0 : freq - periods;
  }
  if (freq < 255) {
    const r = <f64>random32() / 4294967296.0;
    let base = <f64>freq - <f64>LFU_INIT_VAL;
    if (base < 0) base = 0;
    if (r < 1.0 / (base * lfuLogFactor + 1)) freq++;
  }
  store<u32>(e, (freq << 24) | (nowSec & LRU_MASK), K_META);
}

// ---------------------------------------------------------------------------------------------
// Operations (key at scratch[0 .. klen))


/**
 * Lazy expiry shared by every lookup: if e is expired, unlink and free it, report its handle in
 * RES and return true.
 */
function expireIfNeeded(db: u32, e: u32, now: f64): bool {
  if (!isExpired(db, e, now)) return false;
  dictUnlinkEntry(db, e);
  store<i32>(RES, freeEntry(db, e), R_HANDLE);
  return true;
}

function reportValue(e: u32): i32 {
  const vl = vlenOf(e);
  if (vl == VLEN_HANDLE) {
    store<i32>(RES, load<i32>(valPart(e)), R_HANDLE);
    return ST_HANDLE;
  }
  store<u32>(RES, strValPtr(e), R_PTR);
  store<u32>(RES, vl, R_LEN);
  return ST_STRING;
}

/** Lookup with lazy expiry. Returns ST_MISSING, ST_STRING (RES ptr/len), ST_HANDLE (RES handle)
 *  or ST_EXPIRED (deleted now; RES handle = its container handle or -1). */
export function dbLookup(db: u32, klen: u32, now: f64, doTouch: i32): i32 {
  const kp = scratchPtr;
  const e = dictFind(db, kp, klen, hashBytes(kp, klen));
  if (e == 0) return ST_MISSING;
  if (expiredKept && isExpired(db, e, now)) return ST_MISSING;
  if (expireIfNeeded(db, e, now)) return ST_EXPIRED;
  if (doTouch != 0) touch(e, now);
  return reportValue(e);
}

/**
 * A write lookup of the scratch key (klen bytes) for the fused collection commands (list.ts
 * dbListPush/dbListPop): the header of the native collection of kind `kind` it holds, touched as
 * dbLookup touches; 0 with nothing changed when the caller must take the general path (missing,
 * expired -- dbLookup reclaims it --, a string, a JS container, another kind).
 */
export function dbFindNative(db: u32, klen: u32, now: f64, kind: u32): u32 {
  return findNativeAt(db, scratchPtr, klen, now, kind);
}

/** dbFindNative of the key at [kp, kp + klen) (the fast lane's keys are where its input is). */
export function findNativeAt(db: u32, kp: u32, klen: u32, now: f64, kind: u32): u32 {
  const e = dictFind(db, kp, klen, hashBytes(kp, klen));
  if (e == 0 || vlenOf(e) != VLEN_HANDLE || isExpired(db, e, now)) return 0;
  const h = load<i32>(valPart(e));
  if (h < 0 || (<u32>h & NATIVE_BIT) == 0) return 0;
  const c = (<u32>h & NATIVE_MASK) << 3;
  if ((load<u32>(c, NC_INFO) & NK_MASK) != kind) return 0;
  touch(e, now);
  return c;
}

/**
 * A read lookup of the key at [kp, kp + klen) for the fast lane: ST_MISSING; ST_STRING with RES
 * ptr/len, touched as dbLookup touches; or ST_HANDLE for anything else (a container, or an
 * expired key, left as it is for the general path to reclaim).
 */
export function stringAt(db: u32, kp: u32, klen: u32, now: f64): i32 {
  const e = dictFind(db, kp, klen, hashBytes(kp, klen));
  if (e == 0) return ST_MISSING;
  if (vlenOf(e) == VLEN_HANDLE || isExpired(db, e, now)) return ST_HANDLE;
  touch(e, now);
  return reportValue(e);
}

/**
 * The fast lane's plain SET of the key at [kp, kp + klen) to the bytes at [vp, vp + vlen) (vlen
 * below VAL_EMBED's out-of-line limit is embedded, as dbSetStr): 1 when set (TTL dropped, encoding
 * note cleared, accessed as dbSetStr's overwrite); 0 with nothing changed when the key holds a
 * container or is expired (the general path drops the container or reports the expiry);
 * ST_OOM with nothing changed.
 */
export function setStringAt(db: u32, kp: u32, klen: u32, vp: u32, vlen: u32, now: f64): i32 {
  const h = hashBytes(kp, klen);
  const e = dictFind(db, kp, klen, h);
  if (e != 0 && (vlenOf(e) == VLEN_HANDLE || isExpired(db, e, now))) return 0;
  if (putValueAt(db, kp, klen, h, e, vlen, 0, now, 0) == 0) return ST_OOM;
  if (vlen > 0) memory.copy(load<u32>(RES, R_PTR), vp, vlen);
  return 1;
}

/** Whether the key at [kp, kp + klen) has an entry that is expired (left as it is). */
export function expiredAt(db: u32, kp: u32, klen: u32, now: f64): bool {
  const e = dictFind(db, kp, klen, hashBytes(kp, klen));
  return e != 0 && isExpired(db, e, now);
}

/** Whether the key at [kp, kp + klen) has an entry, expired or not (no access, no expiry). */
export function keyPresentAt(db: u32, kp: u32, klen: u32): bool {
  return dictFind(db, kp, klen, hashBytes(kp, klen)) != 0;
}

/**
 * Set the scratch key's access stamp (RDB IDLE/FREQ records, RESTORE IDLETIME/FREQ): idle >= 0
 * puts the LRU clock `idle` seconds in the past; freq >= 0 sets the LFU counter and restarts its
 * decay clock. Returns 1 when the key exists, 0 when not.
 */
export function dbSetAccess(db: u32, klen: u32, now: f64, idle: i32, freq: i32): i32 {
  const kp = scratchPtr;
  const e = dictFind(db, kp, klen, hashBytes(kp, klen));
  if (e == 0) return 0;
  const nowSec = <u32>(now / 1000);
  let meta = load<u32>(e, K_META);
  if (freq >= 0) meta = (<u32>(freq & 255) << 24) | (nowSec & LRU_MASK);
  if (idle >= 0) meta = (meta & ~LRU_MASK) | ((nowSec - <u32>idle) & LRU_MASK);
  store<u32>(e, meta, K_META);
  return 1;
}

/**
 * Metadata: ST_STRING/ST_HANDLE with RES f64 = expireAt (-1 none), RES lru (s), RES misc = freq,
 * RES len = 1 when the string is marked raw-encoded (F_RAWENC), else 0.
 */
export function dbInfo(db: u32, klen: u32, now: f64): i32 {
  const kp = scratchPtr;
  const e = dictFind(db, kp, klen, hashBytes(kp, klen));
  if (e == 0) return ST_MISSING;
  if (expiredKept && isExpired(db, e, now)) return ST_MISSING;
  if (expireIfNeeded(db, e, now)) return ST_EXPIRED;
  const nowSec = <u32>(now / 1000);
  store<f64>(RES, expireAtOf(db, e), R_F64);
  store<u32>(RES, nowSec - idleSeconds(e, nowSec), R_LRU);
  store<u32>(RES, load<u32>(e, K_META) >> 24, R_MISC);
  store<u32>(RES, (load<u32>(e, K_VINFO) & F_RAWENC) != 0 ? 1 : 0, R_LEN);
  return vlenOf(e) == VLEN_HANDLE ? ST_HANDLE : ST_STRING;
}

/**
 * The write half of SET: give the scratch key (hash h, entry e from dictFind or 0) a value of
 * vinfo length vl (a string length, or VLEN_HANDLE). The entry is created, rewritten in place, or
 * moved to a block of another size class. The old value is released; the TTL is kept when keepTtl
 * and the old key was live. A string longer than VAL_EMBED gets its block here, with room for at
 * least `cap` bytes (the old block is reused when the new one would have the same size class).
 * Returns the entry, whose value part the caller fills
 * at once (RES ptr = where a string's bytes go), or 0 on OOM with the db unchanged.
 * RES handle = handle of the value replaced (-1 if none); RES misc = 0 new key, 1 overwritten,
 * 2 overwrote an expired key (the caller reports it through the expired hook).
 */
function putValue(db: u32, klen: u32, h: u32, e: u32, vl: u32, keepTtl: i32, now: f64, cap: u32): u32 {
  return putValueAt(db, scratchPtr, klen, h, e, vl, keepTtl, now, cap);
}

/** putValue of the key at [kp, kp + klen) (the fast lane's keys are where its input is). */
function putValueAt(db: u32, kp: u32, klen: u32, h: u32, e: u32, vl: u32, keepTtl: i32, now: f64, cap: u32): u32 {
  store<i32>(RES, -1, R_HANDLE);
  store<u32>(RES, 0, R_MISC);
  const outOfLine = vl != VLEN_HANDLE && vl > VAL_EMBED;
  const oldVl: u32 = e != 0 ? vlenOf(e) : 0;
  const newCap: u32 = outOfLine ? blockCap(vl, cap) : 0;
  const reuse = e != 0 && outOfLine && oldVl != VLEN_HANDLE && oldVl > VAL_EMBED && load<u32>(load<u32>(valPart(e))) == newCap;
  let vp: u32 = 0; // the out-of-line block
  if (outOfLine && !reuse) {
    vp = blockAlloc(newCap);
    if (vp == 0) return 0;
  }
  if (e == 0) {
    // A new key: header, key bytes, no expires slot.
    const n = alloc(entryBytes(klen, vl, false));
    if (n == 0) {
      if (vp != 0) blockFree(vp);
      return 0;
    }
    initEntry(n, h, kp, klen, vl, (LFU_INIT_VAL << 24) | (<u32>(now / 1000) & LRU_MASK));
    if (!dictAdd(db, n, true)) {
      free(n, entrySize(n));
      if (vp != 0) blockFree(vp);
      return 0;
    }
    if (outOfLine) store<u32>(valPart(n), vp);
    store<u32>(RES, outOfLine ? vp + 4 : valPart(n), R_PTR);
    return n;
  }
  const expired = isExpired(db, e, now);
  const keep = (keepTtl & 1) != 0 && !expired && expIdxOf(e) != NO_EXPIRE;
  // In place when the new shape has the same size class (keeping the slot if there is one);
  // otherwise a new block, with a slot only if the TTL is kept.
  const size = entrySize(e);
  let n = e;
  let slot = hasSlot(e);
  if (allocSize(entryBytes(klen, vl, slot)) != allocSize(size)) {
    slot = keep;
    n = alloc(entryBytes(klen, vl, slot));
    if (n == 0) {
      if (vp != 0) blockFree(vp);
      return 0;
    }
  }
  // Nothing can fail from here on.
  store<u32>(RES, expired ? 2 : 1, R_MISC);
  if (reuse) vp = load<u32>(valPart(e));
  else store<i32>(RES, dropValue(e), R_HANDLE);
  if (!keep) expRemove(db, e);
  const idx = expIdxOf(e);
  if (n != e) moveEntry(db, e, n, ENTRY_HDR + klen);
  store<u32>(n, vl | (slot ? F_EXPSLOT : 0), K_VINFO);
  // Overwriting is a write access (Redis's lookupKeyWrite, then dbOverwrite keeps the counter);
  // over an expired key the key is new again (LFU_INIT_VAL).
  if (expired) store<u32>(n, (LFU_INIT_VAL << 24) | (<u32>(now / 1000) & LRU_MASK), K_META);
  else touch(n, now);
  if (slot) {
    store<u32>(slotAddr(n), idx);
    if (n != e) relinkRecord(db, n);
  }
  if (outOfLine) store<u32>(valPart(n), vp);
  store<u32>(RES, outOfLine ? vp + 4 : valPart(n), R_PTR);
  return n;
}

/**
 * SET of a string value of vlen bytes. On success returns 1 and RES ptr = where the caller writes
 * the vlen value bytes (right away, before any other call). RES handle = replaced container handle
 * or -1; RES misc = 0 new key, 1 overwritten, 2 overwrote an expired key. ST_OOM on failure.
 * keepTtl: bit 0 keeps the TTL; bit 1 marks the value raw-encoded (F_RAWENC).
 */
export function dbSetStr(db: u32, klen: u32, vlen: u32, keepTtl: i32, now: f64): i32 {
  if (vlen >= VLEN_HANDLE) return ST_OOM; // 1 GiB: twice Redis's 512 MB limit
  const kp = scratchPtr;
  const h = hashBytes(kp, klen);
  const n = putValue(db, klen, h, dictFind(db, kp, klen, h), vlen, keepTtl, now, 0);
  if (n == 0) return ST_OOM;
  if ((keepTtl & 2) != 0) store<u32>(n, load<u32>(n, K_VINFO) | F_RAWENC, K_VINFO);
  store<u32>(RES, vlen, R_LEN);
  return 1;
}

/** SET of a container handle. Same RES conventions as dbSetStr. */
export function dbSetHandle(db: u32, klen: u32, handle: i32, keepTtl: i32, now: f64): i32 {
  const kp = scratchPtr;
  const h = hashBytes(kp, klen);
  const n = putValue(db, klen, h, dictFind(db, kp, klen, h), VLEN_HANDLE, keepTtl, now, 0);
  if (n == 0) return ST_OOM;
  store<i32>(valPart(n), handle);
  return 1;
}

/**
 * APPEND (offset < 0) and SETRANGE (offset >= 0) of len bytes to the string at the scratch key,
 * without copying the value out of linear memory. The value becomes max(its length, offset + len)
 * bytes long (a gap after the old end is zero-filled) and the caller writes the len bytes where
 * RES ptr says. A string stored out of line grows into its block's spare room, or moves to a
 * block with room for about twice its length (greedyCap), so repeated APPEND costs amortized
 * O(appended bytes) as in Redis. An embedded string is rewritten through putValue (at most
 * VAL_EMBED bytes to move; the scratch region must have room for the key plus VAL_EMBED bytes).
 * The TTL is kept and the value becomes raw-encoded (F_RAWENC), as Redis unshares it.
 * Returns 1 (RES ptr, RES len = the new length, RES misc = the old length); ST_MISSING; ST_EXPIRED
 * (reclaimed, RES handle); ST_HANDLE (not a string); ST_TOOBIG (the end of the write, as Redis's
 * checkStringLength counts it, would exceed maxLen); ST_OOM. Nothing changes unless 1 is returned.
 */
export function dbWriteAt(db: u32, klen: u32, offset: f64, len: u32, maxLen: f64, now: f64): i32 {
  const kp = scratchPtr;
  const h = hashBytes(kp, klen);
  const e = dictFind(db, kp, klen, h);
  if (e == 0) return ST_MISSING;
  if (expireIfNeeded(db, e, now)) return ST_EXPIRED;
  if (vlenOf(e) == VLEN_HANDLE) return ST_HANDLE;
  // (the scratch after the key holds an embedded value while its entry is rewritten)
  return writeAtEntry(db, klen, h, e, offset, len, maxLen, now, kp + klen);
}

/**
 * dbWriteAt's work on the live string entry e (key klen bytes, hash h): `tmp` is where an
 * embedded value waits (VAL_EMBED bytes) while putValue rewrites its entry.
 */
function writeAtEntry(db: u32, klen: u32, h: u32, e: u32, offset: f64, len: u32, maxLen: f64, now: f64, tmp: u32): i32 {
  const vl = vlenOf(e);
  const at: f64 = offset < 0 ? <f64>vl : offset;
  const writeEnd = at + <f64>len;
  if (writeEnd > maxLen || writeEnd >= <f64>VLEN_HANDLE) return ST_TOOBIG;
  const off = <u32>at;
  const end = <u32>writeEnd;
  const n = end > vl ? end : vl;
  let data: u32;
  if (vl > VAL_EMBED) {
    const vp = valPart(e);
    let b = load<u32>(vp);
    if (n > load<u32>(b)) {
      const nb = blockAlloc(blockCap(n, greedyCap(n)));
      if (nb == 0) return ST_OOM;
      memory.copy(nb + 4, b + 4, vl);
      blockFree(b);
      store<u32>(vp, nb);
      b = nb;
    }
    store<u32>(e, (load<u32>(e, K_VINFO) & F_EXPSLOT) | F_RAWENC | n, K_VINFO);
    touch(e, now);
    data = b + 4;
  } else {
    memory.copy(tmp, valPart(e), vl);
    const ne = putValue(db, klen, h, e, n, 1, now, n > VAL_EMBED ? greedyCap(n) : 0);
    if (ne == 0) return ST_OOM;
    store<u32>(ne, load<u32>(ne, K_VINFO) | F_RAWENC, K_VINFO);
    data = load<u32>(RES, R_PTR);
    memory.copy(data, tmp, vl);
  }
  if (off > vl) memory.fill(data + vl, 0, off - vl);
  store<u32>(RES, data + off, R_PTR);
  store<u32>(RES, n, R_LEN);
  store<u32>(RES, vl, R_MISC);
  return 1;
}

/** Where editStringAt keeps an embedded value while its entry is rewritten (writeAtEntry's tmp). */
const EDIT_TMP: usize = memory.data(VAL_EMBED);

/**
 * The fast lane's lookupStringForBitCommand (SETBIT, BITFIELD; the JS side's Db.editString) of the
 * key at [kp, kp + klen): a string made at least minLen bytes long (zero-filled), raw-encoded, TTL
 * kept, one write access (dbWriteAt of no bytes at offset minLen); a missing key is created
 * holding minLen zero bytes, raw-encoded (WasmDb.createZeroed's dbSetStr). The caller keeps
 * minLen within proto-max-bulk-len. Returns 1 with RES ptr = the value's first byte, RES len = its
 * length, RES misc = its length before (0 when created); 0 with nothing changed when the general
 * path must decide (a container, an expired key); ST_OOM with nothing changed.
 */
export function editStringAt(db: u32, kp: u32, klen: u32, minLen: u32, now: f64): i32 {
  if (minLen >= VLEN_HANDLE) return 0; // (1 GiB: dbSetStr's and dbWriteAt's limit, the general path's)
  const h = hashBytes(kp, klen);
  const e = dictFind(db, kp, klen, h);
  if (e == 0) {
    const n = putValueAt(db, kp, klen, h, 0, minLen, 0, now, 0);
    if (n == 0) return ST_OOM;
    store<u32>(n, load<u32>(n, K_VINFO) | F_RAWENC, K_VINFO);
    memory.fill(load<u32>(RES, R_PTR), 0, minLen);
    store<u32>(RES, minLen, R_LEN);
    store<u32>(RES, 0, R_MISC);
    return 1;
  }
  if (vlenOf(e) == VLEN_HANDLE || isExpired(db, e, now)) return 0;
  const r = writeAtEntry(db, klen, h, e, <f64>minLen, 0, <f64>minLen, now, <u32>EDIT_TMP);
  if (r != 1) return r;
  store<u32>(RES, load<u32>(RES, R_PTR) - minLen, R_PTR);
  return 1;
}

/** Largest integer a JS number holds exactly (dbIncrBy hands its result back as an f64). */
const SAFE_INT: i64 = 9007199254740991;

/**
 * The value of a string of len bytes at p if it is a canonical int64 as string2ll accepts it
 * ('-' allowed, no '+', no leading zero, no spaces) and within +-SAFE_INT; else sets ok = false.
 * (Values past 2^53 are rare and go to the JS path, which has the exact bigint arithmetic.)
 */
let parsedOk: bool = false;
function parseSafeInt(p: u32, len: u32): i64 {
  parsedOk = false;
  if (len == 0 || len > 17) return 0;
  let i: u32 = 0;
  const neg = load<u8>(p) == 45;
  if (neg) {
    if (len == 1) return 0;
    i = 1;
  }
  const first = <u32>load<u8>(p + i) - 48;
  if (first > 9 || (first == 0 && len != 1)) return 0; // "-0" and leading zeros refused, "0" accepted
  let v: i64 = 0;
  for (; i < len; i++) {
    const d = <u32>load<u8>(p + i) - 48;
    if (d > 9) return 0;
    v = v * 10 + <i64>d;
  }
  if (v > SAFE_INT) return 0;
  parsedOk = true;
  return neg ? -v : v;
}

/** Decimal digits (with the sign) of v. */
function decimalLen(v: i64): u32 {
  let u: u64 = v < 0 ? <u64>(-v) : <u64>v;
  let n: u32 = v < 0 ? 2 : 1;
  while (u >= 10) {
    u /= 10;
    n++;
  }
  return n;
}

/** Write v's n decimal characters (decimalLen) at p. */
function writeDecimal(p: u32, v: i64, n: u32): void {
  let u: u64 = v < 0 ? <u64>(-v) : <u64>v;
  if (v < 0) store<u8>(p, 45);
  let q = p + n;
  do {
    q--;
    store<u8>(q, <u8>(48 + <u32>(u % 10)));
    u /= 10;
  } while (u != 0);
}

/**
 * INCRBY in linear memory (Redis's incrDecrCommand): the scratch key's string, when it is a
 * canonical integer, becomes its value plus `by` (an integer, |by| <= 2^53 - 1), its digits
 * rewritten in place (another length: putValue), TTL kept, one write access; a missing key is
 * created holding `by`. Avoids what the JS path pays per INCR: the value copied out as a JS
 * string, parsed, formatted, copied into a Buffer and looked up again to be stored.
 * Returns 1 (overwritten) or ST_MISSING (created), RES f64 = the new value, RES misc as
 * putValue; ST_EXPIRED (reclaimed, RES handle; nothing else done); ST_HANDLE when the JS path
 * must decide, nothing changed: not a string, not an integer, or a result past +-(2^53 - 1)
 * (WRONGTYPE, "not an integer", overflow and big values keep their one exact implementation);
 * ST_OOM.
 */
export function dbIncrBy(db: u32, klen: u32, by: f64, now: f64): i32 {
  return incrByAt(db, scratchPtr, klen, by, now);
}

/** dbIncrBy of the key at [kp, kp + klen) (the fast lane's keys are where its input is). */
export function incrByAt(db: u32, kp: u32, klen: u32, by: f64, now: f64): i32 {
  const h = hashBytes(kp, klen);
  const e = dictFind(db, kp, klen, h);
  let v: i64 = <i64>by;
  if (e != 0) {
    if (expireIfNeeded(db, e, now)) return ST_EXPIRED;
    const vl = vlenOf(e);
    if (vl > VAL_EMBED) return ST_HANDLE; // a container, or too long to be an integer
    const old = parseSafeInt(valPart(e), vl);
    if (!parsedOk) return ST_HANDLE;
    v += old;
    if (v > SAFE_INT || v < -SAFE_INT) return ST_HANDLE;
    const n = decimalLen(v);
    if (n == vl) {
      // Same length: the digits are rewritten where they are (Redis updates an int in place too).
      // The result is a new integer value: int-encoded again (no F_RAWENC).
      store<u32>(e, load<u32>(e, K_VINFO) & ~F_RAWENC, K_VINFO);
      touch(e, now);
      store<i32>(RES, -1, R_HANDLE);
      store<u32>(RES, 1, R_MISC);
      writeDecimal(valPart(e), v, n);
    } else {
      if (putValueAt(db, kp, klen, h, e, n, 1, now, 0) == 0) return ST_OOM;
      writeDecimal(load<u32>(RES, R_PTR), v, n);
    }
    store<f64>(RES, <f64>v, R_F64);
    return 1;
  }
  const n = decimalLen(v);
  if (putValueAt(db, kp, klen, h, 0, n, 0, now, 0) == 0) return ST_OOM;
  writeDecimal(load<u32>(RES, R_PTR), v, n);
  store<f64>(RES, <f64>v, R_F64);
  return ST_MISSING;
}

/**
 * RENAME within one db, O(key length): the value (embedded bytes, out-of-line block or container
 * handle), its TTL and its LRU/LFU stamp move to a new entry under the new key, as Redis moves the
 * same value object. Source key at scratch[0, klen), new key at scratch[klen, klen + nklen).
 * The caller has made sure the source exists and the new key does not: returns 1, ST_MISSING if
 * the source is absent, ST_HANDLE if the new key exists (nothing changed), ST_OOM.
 */
export function dbRename(db: u32, klen: u32, nklen: u32, now: f64): i32 {
  const kp = scratchPtr;
  const e = dictFind(db, kp, klen, hashBytes(kp, klen));
  if (e == 0 || isExpired(db, e, now)) return ST_MISSING;
  const np = kp + klen;
  const nh = hashBytes(np, nklen);
  if (dictFind(db, np, nklen, nh) != 0) return ST_HANDLE;
  const vl = vlenOf(e);
  const slot = hasSlot(e);
  const n = alloc(entryBytes(nklen, vl, slot));
  if (n == 0) return ST_OOM;
  initEntry(n, nh, np, nklen, load<u32>(e, K_VINFO), load<u32>(e, K_META));
  // The value part and the expires slot follow the key in both entries.
  memory.copy(valPart(n), valPart(e), valPartBytes(vl) + (slot ? 4 : 0));
  if (!dictAdd(db, n, true)) {
    free(n, entrySize(n));
    return ST_OOM;
  }
  dictUnlinkEntry(db, e);
  relinkRecord(db, n);
  free(e, entrySize(e)); // not freeEntry: the value and the TTL record now belong to n
  return 1;
}

/** DEL: ST_MISSING, 1 deleted, ST_EXPIRED (was expired: reclaimed). RES handle as usual. */
export function dbDelete(db: u32, klen: u32, now: f64): i32 {
  const kp = scratchPtr;
  const e = dictUnlink(db, kp, klen, hashBytes(kp, klen));
  if (e == 0) return ST_MISSING;
  const expired = isExpired(db, e, now);
  store<i32>(RES, freeEntry(db, e), R_HANDLE);
  return expired ? ST_EXPIRED : 1;
}

/** Set the TTL of an existing key: 1 ok, ST_MISSING, ST_EXPIRED, ST_OOM. */
export function dbSetExpire(db: u32, klen: u32, at: f64, now: f64): i32 {
  const kp = scratchPtr;
  const e = dictFind(db, kp, klen, hashBytes(kp, klen));
  if (e == 0) return ST_MISSING;
  if (expireIfNeeded(db, e, now)) return ST_EXPIRED;
  return expSet(db, e, at) != 0 ? 1 : ST_OOM;
}

/** PERSIST: 1 TTL removed, 2 no TTL, ST_MISSING, ST_EXPIRED. */
export function dbPersist(db: u32, klen: u32, now: f64): i32 {
  const kp = scratchPtr;
  const e = dictFind(db, kp, klen, hashBytes(kp, klen));
  if (e == 0) return ST_MISSING;
  if (expireIfNeeded(db, e, now)) return ST_EXPIRED;
  if (expIdxOf(e) == NO_EXPIRE) return 2;
  expRemove(db, e);
  return 1;
}

/**
 * A random key: 0 when empty, 1 live, ST_EXPIRED when the picked key is expired (not deleted:
 * the JS side deletes it through the normal path so the hook fires). RES ptr/len = key bytes.
 */
export function dbRandom(db: u32, now: f64): i32 {
  const e = dictRandom(db);
  if (e == 0) return 0;
  store<u32>(RES, e + ENTRY_HDR, R_PTR);
  store<u32>(RES, load<u32>(e, E_KEYLEN), R_LEN);
  return isExpired(db, e, now) ? ST_EXPIRED : 1;
}

/**
 * A random key with a TTL (the volatile-* eviction policies' draw, Redis's dictGetRandomKey over
 * db->expires): a uniform pick among the TTL records. Same result convention as dbRandom.
 */
export function dbRandomVolatile(db: u32, now: f64): i32 {
  const n = load<u32>(db, DB_EXPCOUNT);
  if (n == 0) return 0;
  const e = load<u32>(recAddr(db, randomBelow(n)));
  store<u32>(RES, e + ENTRY_HDR, R_PTR);
  store<u32>(RES, load<u32>(e, E_KEYLEN), R_LEN);
  return isExpired(db, e, now) ? ST_EXPIRED : 1;
}

// ---------------------------------------------------------------------------------------------
// Scan and active expiry

let scanDb: u32 = 0;
let scanNow: f64 = 0;
let scanVisited: u32 = 0;
let scanOom: bool = false;
let scanPatLen: u32 = 0;
let scanNocase: i32 = 0;

function emitKey(e: u32): void {
  scanVisited++;
  if (isExpired(scanDb, e, scanNow)) return;
  const klen = load<u32>(e, E_KEYLEN);
  if (scanPatLen != NO_PATTERN && globMatch(scratchPtr, scanPatLen, e + ENTRY_HDR, klen, scanNocase) == 0) return;
  const w = outReserve(4 + klen);
  if (w == 0) { scanOom = true; return; }
  store<u32>(w, klen);
  memory.copy(w + 4, e + ENTRY_HDR, klen);
  outCommit(4 + klen);
}

/**
 * SCAN: visit buckets from `cursor` until about `count` entries were seen (at most 10*count
 * buckets, like Redis). Live keys go to the out buffer as [u32 len][bytes]. Returns the next cursor
 * (0 = done) or, on OOM of the out buffer, the same cursor with RES misc = 1.
 * With patLen != NO_PATTERN, only keys matching the glob pattern at scratch are output (matched
 * inside WASM: no copy per key); `count` still counts keys before filtering, as in Redis.
 */
export function dbScan(db: u32, cursor: u32, count: u32, now: f64, patLen: u32, nocase: i32): u32 {
  scanPatLen = patLen;
  scanNocase = nocase;
  return scanInto(db, cursor, count, now, emitKey);
}

/**
 * The walk dbScan and dbScanEntries share: dictScanStep from `cursor` until about `count` entries
 * were visited (at most count * 10 steps), each written to the out buffer by `emit`. When the out
 * buffer cannot grow, RES misc is 1 and the start cursor is returned (the caller retries).
 */
/** Start a scan batch: empty out buffer, no entries visited, RES misc 0. */
function scanBegin(db: u32, now: f64): void {
  outReset();
  scanDb = db;
  scanNow = now;
  scanVisited = 0;
  scanOom = false;
  store<u32>(RES, 0, R_MISC);
}

function scanInto(db: u32, cursor: u32, count: u32, now: f64, emit: (e: u32) => void): u32 {
  scanBegin(db, now);
  let maxIter = count * 10;
  const start = cursor;
  do {
    cursor = dictScanStep(db, cursor, emit);
  } while (cursor != 0 && maxIter-- > 0 && scanVisited < count && !scanOom);
  if (scanOom) {
    store<u32>(RES, 1, R_MISC);
    return start;
  }
  return cursor;
}

function emitEntry(e: u32): void {
  scanVisited++;
  if (isExpired(scanDb, e, scanNow)) return;
  const klen = load<u32>(e, E_KEYLEN);
  const vl = vlenOf(e);
  const sbytes: u32 = vl == VLEN_HANDLE ? 0 : vl;
  const w = outReserve(24 + klen + sbytes);
  if (w == 0) { scanOom = true; return; }
  const nowSec = <u32>(scanNow / 1000);
  store<u32>(w, klen);
  store<u32>(w, vl, 4);
  store<i32>(w, vl == VLEN_HANDLE ? load<i32>(valPart(e)) : 0, 8);
  store<u32>(w, (load<u32>(e, K_META) & ~LRU_MASK) | ((nowSec - idleSeconds(e, nowSec)) & LRU_MASK), 12);
  store<f64>(w, expireAtOf(scanDb, e), 16);
  memory.copy(w + 24, e + ENTRY_HDR, klen);
  if (sbytes > 0) memory.copy(w + 24 + klen, strValPtr(e), sbytes);
  outCommit(24 + klen + sbytes);
}

/**
 * SAVE's one-pass walk: like dbScan without a pattern, but each live entry goes to the out buffer
 * with its value and metadata: [u32 klen][u32 vlen or VLEN_HANDLE][i32 handle][u32 meta with the
 * LRU clock in seconds mod 2^24 | freq << 24][f64 expireAt][key bytes][string value bytes].
 */
export function dbScanEntries(db: u32, cursor: u32, count: u32, now: f64): u32 {
  return scanInto(db, cursor, count, now, emitEntry);
}

/**
 * Bucket-order walks (SAVE's dbWalkEntries, a snapshot's dbWalkKeys): positions [0, s0) are table
 * 0's buckets, then [s0, s0 + s1) table 1's (present while rehashing). The scan cursor's
 * reverse-binary order touches the bucket array at random (a cache and TLB miss per bucket on a
 * big table); these read it front to back. Valid only while no entry changes bucket: SAVE runs
 * to the end without yielding, a snapshot pauses the dict's rehashing (dictPauseRehash).
 * Each call covers buckets until at least `count` entries were visited; returns the next position,
 * or 0xffffffff when done; on a full out buffer RES misc = 1 and `pos` is returned.
 */
function walkBuckets(db: u32, pos: u32, count: u32, now: f64, emit: (e: u32) => void): u32 {
  scanBegin(db, now);
  const start = pos;
  for (;;) {
    const s0 = load<u32>(db, D_S0);
    const s1 = load<u32>(db, D_S1);
    if (pos >= s0 + s1 || scanVisited >= count) break;
    let e = pos < s0 ? load<u32>(load<u32>(db, D_T0) + (pos << 2)) : load<u32>(load<u32>(db, D_T1) + ((pos - s0) << 2));
    while (e != 0) {
      emit(e);
      e = load<u32>(e, E_NEXT);
    }
    if (scanOom) {
      store<u32>(RES, 1, R_MISC);
      return start;
    }
    pos++;
  }
  return pos >= load<u32>(db, D_S0) + load<u32>(db, D_S1) ? 0xffffffff : pos;
}

/** SAVE's walk: entries in dbScanEntries's record format, in bucket order (see walkBuckets). */
export function dbWalkEntries(db: u32, pos: u32, count: u32, now: f64): u32 {
  return walkBuckets(db, pos, count, now, emitEntry);
}

/** A snapshot's walk: keys as dbScan writes them ([u32 len][bytes]), in bucket order. */
export function dbWalkKeys(db: u32, pos: u32, count: u32, now: f64): u32 {
  scanPatLen = NO_PATTERN;
  return walkBuckets(db, pos, count, now, emitKey);
}

/**
 * Where the scratch key sits in walk order (see walkBuckets): its bucket in table 0, or s0 + its
 * bucket in table 1; 0xffffffff when it is not in the db. No rehash step (a lookup would take
 * one, and the snapshot asking has paused it anyway).
 */
export function dbWalkPos(db: u32, klen: u32): u32 {
  const kp = scratchPtr;
  const h = hashBytes(kp, klen);
  const s0 = load<u32>(db, D_S0);
  if (s0 == 0) return 0xffffffff;
  const b0 = h & (s0 - 1);
  for (let e = load<u32>(load<u32>(db, D_T0) + (b0 << 2)); e != 0; e = load<u32>(e, E_NEXT)) {
    if (load<u32>(e, E_HASH) == h && load<u32>(e, E_KEYLEN) == klen && bytesEq(e + ENTRY_HDR, kp, klen)) return b0;
  }
  const s1 = load<u32>(db, D_S1);
  if (s1 == 0) return 0xffffffff;
  const b1 = h & (s1 - 1);
  for (let e = load<u32>(load<u32>(db, D_T1) + (b1 << 2)); e != 0; e = load<u32>(e, E_NEXT)) {
    if (load<u32>(e, E_HASH) == h && load<u32>(e, E_KEYLEN) == klen && bytesEq(e + ENTRY_HDR, kp, klen)) return s0 + b1;
  }
  return 0xffffffff;
}

/** Pause (1) or resume (0) the incremental rehashing of this db's keyspace dict (a snapshot's walk). */
export function dbPauseRehash(db: u32, on: i32): void {
  dictPauseRehash(on != 0 ? db : 0);
}

/**
 * Active expiry: look at up to maxSamples TTL records from a rotating cursor, delete the expired
 * ones. Deleted keys go to the out buffer as [u32 len][i32 handle][bytes]. Returns the number
 * expired; RES misc = records sampled.
 */
export function dbExpireCycle(db: u32, now: f64, maxSamples: u32): u32 {
  outReset();
  let n = load<u32>(db, DB_EXPCOUNT);
  if (maxSamples > n) maxSamples = n; // never sample a record twice in one cycle (as Redis)
  let cur = load<u32>(db, DB_EXPCURSOR);
  let sampled: u32 = 0;
  let expired: u32 = 0;
  while (sampled < maxSamples && n > 0) {
    if (cur >= n) cur = 0;
    const r = recAddr(db, cur);
    sampled++;
    if (now > load<f64>(r, 8)) {
      const e = load<u32>(r);
      const klen = load<u32>(e, E_KEYLEN);
      const w = outReserve(8 + klen);
      if (w == 0) break; // cannot report it: leave it for lazy expiry
      dictUnlinkEntry(db, e);
      store<u32>(w, klen);
      memory.copy(w + 8, e + ENTRY_HDR, klen);
      store<i32>(w, freeEntry(db, e), 4); // moves the last record into `cur`: do not advance
      outCommit(8 + klen);
      expired++;
      n--;
    } else {
      cur++;
    }
  }
  store<u32>(db, cur, DB_EXPCURSOR);
  store<u32>(RES, sampled, R_MISC);
  return expired;
}

export function dbRehash(db: u32, n: u32): i32 {
  return dictRehash(db, n) ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Clear and incremental free of detached tables

/** Garbage records: [next u32][table u32][size u32][cursor u32]. */
const GARBAGE_REC: u32 = 16;
let garbage: u32 = 0;
const DETACH: usize = memory.data(16, 8);

function queueTable(t: u32, size: u32): bool {
  if (t == 0) return true;
  const g = alloc(GARBAGE_REC);
  if (g == 0) return false;
  store<u32>(g, garbage);
  store<u32>(g, t, 4);
  store<u32>(g, size, 8);
  store<u32>(g, 0, 12);
  garbage = g;
  return true;
}

/**
 * Remove every key in O(1) (plus freeing the TTL chunks): the tables are detached and their
 * entries freed later by gcStep. JS container handles are not reported: the JS side drops this db's
 * whole handle array. Falls back to freeing synchronously if even a garbage record cannot be
 * allocated.
 */
export function dbClear(db: u32): void {
  freeAllExpires(db);
  dictDetach(db, <u32>DETACH);
  const t0 = load<u32>(DETACH, 0);
  const s0 = load<u32>(DETACH, 4);
  const t1 = load<u32>(DETACH, 8);
  const s1 = load<u32>(DETACH, 12);
  if (!queueTable(t0, s0)) { freeTableNow(t0, s0); }
  if (!queueTable(t1, s1)) { freeTableNow(t1, s1); }
}

function freeChainNoExp(e: u32): void {
  while (e != 0) {
    const next = load<u32>(e, E_NEXT);
    // A collection in linear memory loses this slot (JS containers: the JS side sweeps its array).
    ncDropHandle(dropValue(e));
    free(e, entrySize(e));
    e = next;
  }
}

function freeTableNow(t: u32, size: u32): void {
  if (t == 0) return;
  for (let i: u32 = 0; i < size; i++) freeChainNoExp(load<u32>(t + (i << 2)));
  free(t, size << 2);
}

/** Free up to ~maxBuckets buckets of detached tables. Returns 1 while garbage remains. */
export function gcStep(maxBuckets: u32): i32 {
  while (garbage != 0 && maxBuckets > 0) {
    const g = garbage;
    const t = load<u32>(g, 4);
    const size = load<u32>(g, 8);
    let i = load<u32>(g, 12);
    while (i < size && maxBuckets > 0) {
      freeChainNoExp(load<u32>(t + (i << 2)));
      i++;
      maxBuckets--;
    }
    if (i >= size) {
      free(t, size << 2);
      garbage = load<u32>(g);
      free(g, GARBAGE_REC);
    } else {
      store<u32>(g, i, 12);
    }
  }
  return garbage != 0 ? 1 : 0;
}

export function gcPending(): i32 {
  return garbage != 0 ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Prefetch for pipelined batches

const PF_MAX: u32 = 32;
const pfHash: usize = memory.data(PF_MAX * 4, 4);
const pfKey: usize = memory.data(PF_MAX * 4, 4);
const pfLen: usize = memory.data(PF_MAX * 4, 4);

/** Parse a RESP integer at p (after its type byte) up to CR; -1 when malformed or incomplete. */
function respInt(p: u32, end: u32): i64 {
  let v: i64 = 0;
  let i = p;
  while (i < end) {
    const c = load<u8>(i);
    if (c == 13) return i == p ? -1 : v;
    if (c < 48 || c > 57 || i - p > 10) return -1;
    v = v * 10 + <i64>(c - 48);
    i++;
  }
  return -1;
}

/** Index of the CR ending the line at p, or end. */
function lineEnd(p: u32, end: u32): u32 {
  while (p < end && load<u8>(p) != 13) p++;
  return p;
}

/**
 * A hint before a pipelined batch runs: the scratch region holds `len` bytes of RESP requests;
 * for up to `max` complete multibulk commands, the second argument (the first key of most
 * commands) is hashed and its bucket, then its chain head entry, then a separately allocated
 * string value are loaded. WASM has no prefetch instruction, but these loads do not depend on each
 * other across commands, so the CPU keeps many cache misses in flight at once instead of paying
 * them one after another inside each command's lookup (the dominant cost of a lookup in a table
 * much larger than the caches). Only reads; a wrong guess (an argument that is not a key, another
 * db after SELECT) costs a few loads. Returns a checksum of the loads so they are not removed as
 * dead code.
 */
export function dbPrefetch(db: u32, len: u32, max: u32): u32 {
  return prefetchAt(db, scratchPtr, len, max);
}

/** dbPrefetch of the requests at [base, base + len) (the fast lane's input, assembly/lane.ts). */
export function prefetchAt(db: u32, base: u32, len: u32, max: u32): u32 {
  if (max > PF_MAX) max = PF_MAX;
  const s0 = load<u32>(db, D_S0);
  if (s0 == 0) return 0;
  const end = base + len;
  let p = base;
  let n: u32 = 0;
  while (n < max && p < end && load<u8>(p) == 42 /* '*' */) {
    const argc = respInt(p + 1, end);
    if (argc < 2 || argc > 1024) break;
    p = lineEnd(p + 1, end) + 2;
    let keyPtr: u32 = 0;
    let keyLen: u32 = 0;
    let i: i64 = 0;
    for (; i < argc; i++) {
      if (p >= end || load<u8>(p) != 36 /* '$' */) break;
      const l = respInt(p + 1, end);
      if (l < 0) break;
      p = lineEnd(p + 1, end) + 2;
      if (<i64>p + l + 2 > <i64>end) break;
      if (i == 1) {
        keyPtr = p;
        keyLen = <u32>l;
      }
      p += <u32>l + 2;
    }
    if (i < argc) break; // incomplete or malformed: stop here
    store<u32>(pfKey + (n << 2), keyPtr);
    store<u32>(pfLen + (n << 2), keyLen);
    n++;
  }
  const t0 = load<u32>(db, D_T0);
  const mask = s0 - 1;
  const keyOff = load<u32>(db, D_KEYOFF);
  let acc: u32 = 0;
  // Pass 1: hash every key and load its bucket.
  for (let j: u32 = 0; j < n; j++) {
    const h = hashBytes(load<u32>(pfKey + (j << 2)), load<u32>(pfLen + (j << 2)));
    store<u32>(pfHash + (j << 2), h);
    acc ^= load<u32>(t0 + ((h & mask) << 2));
  }
  // Pass 2: the chain head entries (header and the end of the key, which may be on the next line).
  for (let j: u32 = 0; j < n; j++) {
    const e = load<u32>(t0 + ((load<u32>(pfHash + (j << 2)) & mask) << 2));
    const kl = load<u32>(pfLen + (j << 2));
    if (e != 0) acc ^= load<u32>(e, E_HASH) ^ <u32>load<u8>(e + keyOff + (kl > 0 ? kl - 1 : 0));
  }
  // Pass 3: string values (GET copies them): the last byte of an embedded one, which may be on
  // the entry's next cache line, or the first of one stored out of line.
  for (let j: u32 = 0; j < n; j++) {
    const e = load<u32>(t0 + ((load<u32>(pfHash + (j << 2)) & mask) << 2));
    if (e != 0 && load<u32>(e, E_HASH) == load<u32>(pfHash + (j << 2))) {
      const vl = vlenOf(e);
      if (vl == 0 || vl == VLEN_HANDLE) continue;
      acc ^= <u32>load<u8>(vl <= VAL_EMBED ? valPart(e) + vl - 1 : load<u32>(valPart(e)) + 4);
    }
  }
  return acc;
}

/**
 * The RDB fast path (rdbload.ts): store the scratch key, known absent (the caller's dictFind
 * with hash h found nothing and the db has not changed since), without a second lookup. handle
 * >= 0: a container; otherwise a string of vlen bytes, RES ptr = where its bytes go. 1, or
 * ST_OOM with the db unchanged.
 */
export function dbAddAbsent(db: u32, klen: u32, h: u32, vlen: u32, handle: i32, now: f64): i32 {
  if (handle < 0 && vlen >= VLEN_HANDLE) return ST_OOM;
  const n = putValue(db, klen, h, 0, handle >= 0 ? VLEN_HANDLE : vlen, 0, now, 0);
  if (n == 0) return ST_OOM;
  if (handle >= 0) store<i32>(valPart(n), handle);
  else store<u32>(RES, vlen, R_LEN);
  return 1;
}

/** RESIZEDB at load (rdbLoad's dictExpand): size an empty db's table for `size` keys at once. */
export function dbPresize(db: u32, size: u32): void {
  if (dictSize(db) == 0 && load<i32>(db, D_RIDX) < 0 && size > 0) dictResize(db, size);
}

function emitSave(e: u32): void {
  scanVisited++;
  if (isExpired(scanDb, e, scanNow)) return;
  const klen = load<u32>(e, E_KEYLEN);
  const vl = vlenOf(e);
  const nowSec = <u32>(scanNow / 1000);
  const str = vl != VLEN_HANDLE;
  const ok = rdbSaveEntry(
    e + ENTRY_HDR, klen, str ? strValPtr(e) : 0, str ? vl : 0, str ? -1 : load<i32>(valPart(e)),
    expireAtOf(scanDb, e), nowSec - idleSeconds(e, nowSec), load<u32>(e, K_META) >> 24,
  );
  if (!ok) scanOom = true;
}

/**
 * SAVE's and a snapshot's serializing walk (rdbsave.ts): each live entry of the next buckets as
 * an RDB record (or DEFER for the JS writer) in the out buffer; positions as dbWalkEntries.
 */
export function dbWalkSave(db: u32, pos: u32, count: u32, now: f64): u32 {
  scanBegin(db, now);
  const start = pos;
  // Entries are gathered WALK_BATCH at a time before any is serialized: the bucket loads and the
  // first load of each entry do not depend on each other, so the CPU overlaps their cache misses
  // (entries lie all over the arena) instead of meeting them one by one while serializing.
  for (;;) {
    const s0 = load<u32>(db, D_S0);
    const s1 = load<u32>(db, D_S1);
    if (pos >= s0 + s1 || scanVisited >= count) break;
    let n: u32 = 0;
    while (pos < s0 + s1 && n < WALK_BATCH - 16) {
      const head = pos < s0 ? load<u32>(load<u32>(db, D_T0) + (pos << 2)) : load<u32>(load<u32>(db, D_T1) + ((pos - s0) << 2));
      const mark = n;
      let e = head;
      while (e != 0 && n < WALK_BATCH) {
        store<u32>(walkBatch + (n << 2), e);
        n++;
        e = load<u32>(e, E_NEXT);
      }
      if (e != 0) {
        // The chain does not fit in the room left: this bucket goes in the next round, or, when it
        // does not fit in a whole batch, is serialized directly now.
        n = mark;
        if (n == 0) {
          for (let x = head; x != 0; x = load<u32>(x, E_NEXT)) emitSave(x);
          pos++;
        }
        break;
      }
      pos++;
    }
    for (let i: u32 = 0; i < n; i++) emitSave(load<u32>(walkBatch + (i << 2)));
    if (scanOom) {
      store<u32>(RES, 1, R_MISC);
      return start;
    }
  }
  return pos >= load<u32>(db, D_S0) + load<u32>(db, D_S1) ? 0xffffffff : pos;
}

const WALK_BATCH: u32 = 64;
const walkBatch: usize = memory.data(WALK_BATCH * 4, 4);
