/*
 * dict.ts -- chained hash table with incremental rehashing, after Redis's dict.c.
 *
 * The table does not own its entries: users (the keyspace in keyspace.ts, the sorted set in
 * skiplist.ts) allocate entries with their own layout and link them here. An entry only has to
 * start with this common header:
 *
 *   +0 next    u32   next entry in the same bucket (0 ends the chain)
 *   +4 hash    u32   hashBytes(key) cached: rehash and mismatching compares never touch the key
 *   +8 keyLen  u32
 *   key bytes at +keyOff, where keyOff is fixed per dict (stored in its header)
 *
 * A dict header (DICT_BYTES) can be embedded in any struct, e.g. inside the sorted-set header.
 *
 *   +0  t0     u32  bucket array of table 0 (u32 entry pointers), size s0 (power of two, or 0)
 *   +4  s0     u32
 *   +8  u0     u32  entries in table 0
 *   +12 t1     u32  table 1, only used while rehashing
 *   +16 s1     u32
 *   +20 u1     u32
 *   +24 ridx   i32  next bucket of t0 to move to t1, -1 when not rehashing
 *   +28 keyOff u32
 *
 * Invariants (as in dict.c)
 *   - Not rehashing: t1 == 0, ridx == -1, every entry is in t0.
 *   - Rehashing: buckets t0[0 .. ridx) are empty; new entries go to t1; lookups search both.
 *   - size = u0 + u1, O(1).
 *
 * Complexity
 *   - find / add / unlink: O(1) average. Each of them also moves REHASH_STEP buckets from t0 to t1
 *     when a rehash is in progress (bounded: at most 10 empty buckets visited per bucket moved).
 *     The idle tick calls dictRehash(d, 100) for more.
 *   - Growth: when size reaches the number of buckets, a table of twice the buckets is allocated
 *     with allocZeroed. Fresh memory.grow pages are already zero, so this is the only O(n) step and
 *     costs only the page commit; entries move incrementally afterwards. Shrink happens when the
 *     fill drops under 10% (on unlink), also incrementally.
 *   - scan: Redis's reverse-binary cursor (dictScan). Every entry present during the whole
 *     iteration is returned at least once, across growth and shrink and while rehashing; entries
 *     may be returned more than once.
 */

import { alloc, allocSize, allocZeroed, arenaLimit, arenaUsed, free } from './arena';
import { STATS_VECTLEN } from '../src/engine/wasm/abi';

export const D_T0: u32 = 0;
export const D_S0: u32 = 4;
export const D_U0: u32 = 8;
export const D_T1: u32 = 12;
export const D_S1: u32 = 16;
export const D_U1: u32 = 20;
export const D_RIDX: u32 = 24;
export const D_KEYOFF: u32 = 28;
export const DICT_BYTES: u32 = 32;

export const E_NEXT: u32 = 0;
export const E_HASH: u32 = 4;
export const E_KEYLEN: u32 = 8;

const INITIAL_SIZE: u32 = 4;
const REHASH_STEP: u32 = 2;

// ---------------------------------------------------------------------------------------------
// Hashing and random numbers

let hashSeed: u64 = 0x9e3779b97f4a7c15;
let rngState: u64 = 0x2545f4914f6cdd1d;

export function setSeeds(a: u32, b: u32): void {
  hashSeed = ((<u64>a) << 32 | <u64>b) ^ 0x9e3779b97f4a7c15;
  rngState = ((<u64>b) << 32 | <u64>a) | 1;
}

// @ts-ignore: decorator
@inline function mix64(x: u64): u64 {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccd;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53;
  x ^= x >> 33;
  return x;
}

/**
 * Seeded 64-bit multiply-xorshift hash over 8-byte words, folded to 32 bits. The seed is random
 * per process (set by the JS side), which is what protects against hash flooding.
 */
export function hashBytes(p: u32, len: u32): u32 {
  let h: u64 = hashSeed ^ ((<u64>len) * 0x87c37b91114253d5);
  let i: u32 = 0;
  while (i + 8 <= len) {
    h = (h ^ mix64(load<u64>(p + i) ^ hashSeed)) * 0x9fb21c651e98df25;
    h = rotl<u64>(h, 29);
    i += 8;
  }
  if (i < len) {
    // The last 1-7 bytes in one word, read with loads that stay inside [p, p + len): past 8
    // bytes the word ending at the end (it overlaps bytes already mixed); 4-7 bytes the first and
    // last u32 (overlapping); 1-3 bytes the first, middle and last byte. Each covers every byte
    // of the tail, so for a given length different tails give different words.
    let t: u64;
    if (len >= 8) t = load<u64>(p + len - 8);
    else if (len >= 4) t = <u64>load<u32>(p) | (<u64>load<u32>(p + len - 4) << 32);
    else t = <u64>load<u8>(p) | (<u64>load<u8>(p + (len >> 1)) << 8) | (<u64>load<u8>(p + len - 1) << 16);
    h = (h ^ mix64(t ^ hashSeed ^ 0xa0761d6478bd642f)) * 0x9fb21c651e98df25;
  }
  h = mix64(h);
  return <u32>(h ^ (h >> 32));
}

/** xorshift64* pseudo random number (not cryptographic). */
export function random32(): u32 {
  let x = rngState;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  rngState = x;
  return <u32>((x * 0x2545f4914f6cdd1d) >> 32);
}

/** Uniform-ish random in [0, n), n > 0. */
// @ts-ignore: decorator
@inline export function randomBelow(n: u32): u32 {
  return <u32>(((<u64>random32()) * (<u64>n)) >> 32);
}

// ---------------------------------------------------------------------------------------------
// Byte helpers

/** Byte equality, 8 bytes at a time. */
export function bytesEq(a: u32, b: u32, n: u32): bool {
  let i: u32 = 0;
  while (i + 8 <= n) {
    if (load<u64>(a + i) != load<u64>(b + i)) return false;
    i += 8;
  }
  while (i < n) {
    if (load<u8>(a + i) != load<u8>(b + i)) return false;
    i++;
  }
  return true;
}

/** memcmp then length, like Redis's sdscmp: <0, 0, >0. */
export function bytesCmp(a: u32, alen: u32, b: u32, blen: u32): i32 {
  const n = alen < blen ? alen : blen;
  let i: u32 = 0;
  while (i + 8 <= n) {
    const x = load<u64>(a + i);
    const y = load<u64>(b + i);
    if (x != y) {
      // First differing byte in memory order = lowest differing byte of the little-endian word.
      const sh = <u64>(ctz<u64>(x ^ y) & ~7);
      return <i32>((x >> sh) & 0xff) - <i32>((y >> sh) & 0xff);
    }
    i += 8;
  }
  while (i < n) {
    const x = <i32>load<u8>(a + i);
    const y = <i32>load<u8>(b + i);
    if (x != y) return x - y;
    i++;
  }
  return alen < blen ? -1 : (alen > blen ? 1 : 0);
}

// ---------------------------------------------------------------------------------------------
// Table management

export function dictInit(d: u32, keyOff: u32): void {
  memory.fill(d, 0, DICT_BYTES);
  store<i32>(d, -1, D_RIDX);
  store<u32>(d, keyOff, D_KEYOFF);
}

// @ts-ignore: decorator
@inline export function dictSize(d: u32): u32 {
  return load<u32>(d, D_U0) + load<u32>(d, D_U1);
}

// @ts-ignore: decorator
@inline export function dictIsRehashing(d: u32): bool {
  return load<i32>(d, D_RIDX) >= 0;
}

/** Bytes held by the bucket arrays (for memory accounting of containers). */
export function dictTableBytes(d: u32): u32 {
  return (load<u32>(d, D_S0) + load<u32>(d, D_S1)) << 2;
}


/**
 * dict.c's _dictGetStatsHt counts for table t (0, or 1 while rehashing), written at `out` as u32s:
 * size, used, different slots, max chain length, total chain length, then STATS_VECTLEN counts of
 * buckets by chain length. False (nothing written) when table t has no buckets. O(buckets + used).
 */
export function dictStats(d: u32, t: u32, out: u32): bool {
  // Table 1's three fields sit 12 bytes after table 0's (D_T1 - D_T0).
  const th = d + (t == 0 ? 0 : D_T1 - D_T0);
  const tab = load<u32>(th, D_T0);
  const size = load<u32>(th, D_S0);
  if (tab == 0 || size == 0) return false;
  memory.fill(out, 0, (5 + STATS_VECTLEN) << 2);
  let slots: u32 = 0;
  let maxChain: u32 = 0;
  let total: u32 = 0;
  for (let i: u32 = 0; i < size; i++) {
    let e = load<u32>(tab + (i << 2));
    let chain: u32 = 0;
    while (e != 0) {
      chain++;
      e = load<u32>(e, E_NEXT);
    }
    if (chain != 0) slots++;
    if (chain > maxChain) maxChain = chain;
    total += chain;
    const slot = out + ((5 + (chain < STATS_VECTLEN ? chain : STATS_VECTLEN - 1)) << 2);
    store<u32>(slot, load<u32>(slot) + 1);
  }
  store<u32>(out, size);
  store<u32>(out, load<u32>(th, D_U0), 4);
  store<u32>(out, slots, 8);
  store<u32>(out, maxChain, 12);
  store<u32>(out, total, 16);
  return true;
}

function nextPow2(n: u32): u32 {
  if (n <= INITIAL_SIZE) return INITIAL_SIZE;
  if (n > 0x40000000) return 0x40000000;
  return <u32>1 << (32 - clz(n - 1));
}

/**
 * Start a resize to the power of two >= size. Allocating the new table is the only O(n) step
 * (and only a page commit when the memory is fresh). Returns false on OOM (the dict stays valid).
 */
export function dictResize(d: u32, size: u32): bool {
  if (dictIsRehashing(d)) return false;
  const ns = nextPow2(size);
  const s0 = load<u32>(d, D_S0);
  if (ns == s0) return false;
  const t = allocZeroed(ns << 2);
  if (t == 0) return false;
  if (s0 == 0) {
    store<u32>(d, t, D_T0);
    store<u32>(d, ns, D_S0);
    store<u32>(d, 0, D_U0);
    return true;
  }
  store<u32>(d, t, D_T1);
  store<u32>(d, ns, D_S1);
  store<u32>(d, 0, D_U1);
  store<i32>(d, 0, D_RIDX);
  return true;
}

/**
 * Move up to n buckets from t0 to t1, visiting at most 10*n empty buckets.
 * Returns true when there is more to do.
 */
/**
 * The dict whose rehashing is paused (0: none): a snapshot walks its buckets in order and needs
 * every entry to stay in its bucket until the walk ends (Redis pauses rehashing for its safe
 * iterators the same way). Entries may still be added (to t1 once it exists) and removed.
 */
let rehashPaused: u32 = 0;

export function dictPauseRehash(d: u32): void {
  rehashPaused = d;
}

export function dictRehash(d: u32, n: u32): bool {
  if (d == rehashPaused) return false;
  let ridx = load<i32>(d, D_RIDX);
  if (ridx < 0) return false;
  const t0 = load<u32>(d, D_T0);
  const t1 = load<u32>(d, D_T1);
  const m1 = load<u32>(d, D_S1) - 1;
  let u0 = load<u32>(d, D_U0);
  let u1 = load<u32>(d, D_U1);
  let emptyVisits = n * 10;
  while (n-- > 0 && u0 != 0) {
    let b = t0 + (<u32>ridx << 2);
    let e = load<u32>(b);
    while (e == 0) {
      ridx++;
      b += 4;
      if (--emptyVisits == 0) {
        store<i32>(d, ridx, D_RIDX);
        store<u32>(d, u0, D_U0);
        store<u32>(d, u1, D_U1);
        return true;
      }
      e = load<u32>(b);
    }
    while (e != 0) {
      const next = load<u32>(e, E_NEXT);
      const slot = t1 + ((load<u32>(e, E_HASH) & m1) << 2);
      store<u32>(e, load<u32>(slot), E_NEXT);
      store<u32>(slot, e);
      u0--;
      u1++;
      e = next;
    }
    store<u32>(b, 0);
    ridx++;
  }
  if (u0 == 0) {
    free(t0, load<u32>(d, D_S0) << 2);
    store<u32>(d, t1, D_T0);
    store<u32>(d, load<u32>(d, D_S1), D_S0);
    store<u32>(d, u1, D_U0);
    store<u32>(d, 0, D_T1);
    store<u32>(d, 0, D_S1);
    store<u32>(d, 0, D_U1);
    store<i32>(d, -1, D_RIDX);
    return false;
  }
  store<i32>(d, ridx, D_RIDX);
  store<u32>(d, u0, D_U0);
  store<u32>(d, u1, D_U1);
  return true;
}

// @ts-ignore: decorator
@inline function stepIfRehashing(d: u32): void {
  if (load<i32>(d, D_RIDX) >= 0) dictRehash(d, REHASH_STEP);
}

// @ts-ignore: decorator
@inline function entryMatches(e: u32, keyOff: u32, kp: u32, kl: u32, h: u32): bool {
  return load<u32>(e, E_HASH) == h && load<u32>(e, E_KEYLEN) == kl && bytesEq(e + keyOff, kp, kl);
}

/** Find the entry with key [kp, kp+kl) and hash h; 0 if absent. */
export function dictFind(d: u32, kp: u32, kl: u32, h: u32): u32 {
  stepIfRehashing(d);
  const keyOff = load<u32>(d, D_KEYOFF);
  let s = load<u32>(d, D_S0);
  if (s == 0) return 0;
  let e = load<u32>(load<u32>(d, D_T0) + ((h & (s - 1)) << 2));
  while (e != 0) {
    if (entryMatches(e, keyOff, kp, kl, h)) return e;
    e = load<u32>(e, E_NEXT);
  }
  if (load<i32>(d, D_RIDX) < 0) return 0;
  s = load<u32>(d, D_S1);
  e = load<u32>(load<u32>(d, D_T1) + ((h & (s - 1)) << 2));
  while (e != 0) {
    if (entryMatches(e, keyOff, kp, kl, h)) return e;
    e = load<u32>(e, E_NEXT);
  }
  return 0;
}

/**
 * Link a new entry (hash already stored at +4, key not present). Grows the table when full;
 * `guarded` (the keyspace): dictExpandAllowed of Redis's dbDictType, a growth whose new table
 * would take used memory past maxmemory (arenaLimit) is put off while the load factor is at most
 * 1.618 (HASHTABLE_MAX_LOAD_FACTOR): chains get longer instead of keys being evicted for it.
 * Returns false only when the dict has no table at all and one cannot be allocated (OOM).
 */
export function dictAdd(d: u32, e: u32, guarded: bool = false): bool {
  stepIfRehashing(d);
  if (!dictIsRehashing(d)) {
    const s0 = load<u32>(d, D_S0);
    const used = load<u32>(d, D_U0);
    if (s0 == 0) {
      if (!dictResize(d, INITIAL_SIZE)) return false;
    } else if (used >= s0) {
      // A failed growth is tolerated: chains get longer, nothing breaks.
      const ns = s0 << 1;
      if (!guarded || <u64>used * 1000 > <u64>s0 * 1618 || arenaUsed() + <f64>allocSize(ns << 2) <= arenaLimit()) dictResize(d, ns);
    }
  }
  const h = load<u32>(e, E_HASH);
  let slot: u32;
  if (dictIsRehashing(d)) {
    slot = load<u32>(d, D_T1) + ((h & (load<u32>(d, D_S1) - 1)) << 2);
    store<u32>(d, load<u32>(d, D_U1) + 1, D_U1);
  } else {
    slot = load<u32>(d, D_T0) + ((h & (load<u32>(d, D_S0) - 1)) << 2);
    store<u32>(d, load<u32>(d, D_U0) + 1, D_U0);
  }
  store<u32>(e, load<u32>(slot), E_NEXT);
  store<u32>(slot, e);
  return true;
}

function maybeShrink(d: u32): void {
  if (dictIsRehashing(d)) return;
  const s0 = load<u32>(d, D_S0);
  const used = load<u32>(d, D_U0);
  if (s0 > INITIAL_SIZE && used * 10 < s0) dictResize(d, used);
}

function unlinkFrom(d: u32, table: u32, size: u32, usedOff: u32, kp: u32, kl: u32, h: u32, target: u32): u32 {
  const keyOff = load<u32>(d, D_KEYOFF);
  let prevSlot = table + ((h & (size - 1)) << 2);
  let e = load<u32>(prevSlot);
  while (e != 0) {
    if (target != 0 ? e == target : entryMatches(e, keyOff, kp, kl, h)) {
      store<u32>(prevSlot, load<u32>(e, E_NEXT));
      store<u32>(d + usedOff, load<u32>(d + usedOff) - 1);
      return e;
    }
    prevSlot = e + E_NEXT;
    e = load<u32>(e, E_NEXT);
  }
  return 0;
}

function unlinkImpl(d: u32, kp: u32, kl: u32, h: u32, target: u32): u32 {
  stepIfRehashing(d);
  const s0 = load<u32>(d, D_S0);
  if (s0 == 0) return 0;
  let e = unlinkFrom(d, load<u32>(d, D_T0), s0, D_U0, kp, kl, h, target);
  if (e == 0 && dictIsRehashing(d)) {
    e = unlinkFrom(d, load<u32>(d, D_T1), load<u32>(d, D_S1), D_U1, kp, kl, h, target);
  }
  if (e != 0) maybeShrink(d);
  return e;
}

/** Unlink the entry with this key; returns it (caller frees) or 0. */
export function dictUnlink(d: u32, kp: u32, kl: u32, h: u32): u32 {
  return unlinkImpl(d, kp, kl, h, 0);
}

/** Unlink a known entry by identity. Returns it, or 0 if it was not linked. */
export function dictUnlinkEntry(d: u32, e: u32): u32 {
  return unlinkImpl(d, 0, 0, load<u32>(e, E_HASH), e);
}

/** In the chain of bucket `slot`, make the link that points at e point at n instead. */
function replaceIn(slot: u32, e: u32, n: u32): bool {
  let x = load<u32>(slot);
  while (x != 0) {
    if (x == e) {
      store<u32>(slot, n);
      return true;
    }
    slot = x + E_NEXT;
    x = load<u32>(slot);
  }
  return false;
}

/**
 * Put entry n where the linked entry e is (same hash and key, n's next already copied from e),
 * for an entry that moved to another block. No rehash step and no resize: the tables are as
 * before, so SCAN cursors and the rehash index stay valid.
 */
export function dictReplaceEntry(d: u32, e: u32, n: u32): void {
  const h = load<u32>(e, E_HASH);
  const s0 = load<u32>(d, D_S0);
  if (replaceIn(load<u32>(d, D_T0) + ((h & (s0 - 1)) << 2), e, n)) return;
  const s1 = load<u32>(d, D_S1);
  if (s1 != 0) replaceIn(load<u32>(d, D_T1) + ((h & (s1 - 1)) << 2), e, n);
}

/**
 * A random entry (dictGetRandomKey): a random non-empty bucket, then a random chain element.
 * Not perfectly uniform for long chains, like Redis. 0 when empty.
 */
export function dictRandom(d: u32): u32 {
  if (dictSize(d) == 0) return 0;
  stepIfRehashing(d);
  let e: u32 = 0;
  const t0 = load<u32>(d, D_T0);
  const s0 = load<u32>(d, D_S0);
  const ridx = load<i32>(d, D_RIDX);
  if (ridx >= 0) {
    const t1 = load<u32>(d, D_T1);
    const s1 = load<u32>(d, D_S1);
    const span = s0 + s1 - <u32>ridx;
    do {
      const i = <u32>ridx + randomBelow(span);
      e = i >= s0 ? load<u32>(t1 + ((i - s0) << 2)) : load<u32>(t0 + (i << 2));
    } while (e == 0);
  } else {
    const m = s0 - 1;
    do {
      e = load<u32>(t0 + ((random32() & m) << 2));
    } while (e == 0);
  }
  let len: u32 = 0;
  let x = e;
  while (x != 0) { len++; x = load<u32>(x, E_NEXT); }
  let k = randomBelow(len);
  while (k-- > 0) e = load<u32>(e, E_NEXT);
  return e;
}

/**
 * Detach both tables from the dict (for a lazy clear) and reset it to empty. The caller walks and
 * frees the detached tables' entries incrementally. Returns via the two out-params.
 */
export function dictDetach(d: u32, out: u32): void {
  store<u32>(out, load<u32>(d, D_T0), 0);
  store<u32>(out, load<u32>(d, D_S0), 4);
  store<u32>(out, load<u32>(d, D_T1), 8);
  store<u32>(out, load<u32>(d, D_S1), 12);
  const keyOff = load<u32>(d, D_KEYOFF);
  dictInit(d, keyOff);
}

/** Free the bucket arrays (entries must have been freed or detached already). */
export function dictFreeTables(d: u32): void {
  const s0 = load<u32>(d, D_S0);
  if (s0 != 0) free(load<u32>(d, D_T0), s0 << 2);
  const s1 = load<u32>(d, D_S1);
  if (s1 != 0) free(load<u32>(d, D_T1), s1 << 2);
  dictInit(d, load<u32>(d, D_KEYOFF));
}

// ---------------------------------------------------------------------------------------------
// Scan

// @ts-ignore: decorator
@inline function rev(v: u32): u32 {
  // Bit reversal; AS has no builtin, this is the classic swap ladder.
  v = ((v >> 1) & 0x55555555) | ((v & 0x55555555) << 1);
  v = ((v >> 2) & 0x33333333) | ((v & 0x33333333) << 2);
  v = ((v >> 4) & 0x0f0f0f0f) | ((v & 0x0f0f0f0f) << 4);
  v = ((v >> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
  return (v >> 16) | (v << 16);
}

function emitChain(e: u32, fn: (e: u32) => void): void {
  while (e != 0) {
    const next = load<u32>(e, E_NEXT); // read first: the callback must not free, but be safe
    fn(e);
    e = next;
  }
}

/**
 * Every entry of d in dict order (table 0, then table 1 while rehashing; bucket by bucket, each
 * chain from its head) until fn returns false; returns false when fn stopped it. The order of
 * HGETALL / SMEMBERS and of the RDB writer, which must match; fn must not modify the dict.
 */
export function dictForEach(d: u32, fn: (e: u32) => bool): bool {
  for (let t: u32 = 0; t < 2; t++) {
    const tab = load<u32>(d + (t == 0 ? D_T0 : D_T1));
    const size = load<u32>(d + (t == 0 ? D_S0 : D_S1));
    for (let i: u32 = 0; i < size; i++) {
      let e = load<u32>(tab + (i << 2));
      while (e != 0) {
        if (!fn(e)) return false;
        e = load<u32>(e, E_NEXT);
      }
    }
  }
  return true;
}

/**
 * One step of Redis's dictScan: emits the entries of the bucket(s) the cursor designates and
 * returns the next cursor (0 = iteration complete).
 *
 * The cursor is incremented in reverse-bit order, so the high bits (which a bigger table adds)
 * vary fastest: a bucket already visited in a small table corresponds to buckets of the bigger
 * table that are all visited too, and vice versa when the table shrinks. While rehashing, both
 * tables are visited: the bucket of the smaller one, then all its expansions in the bigger one.
 * The callback must not modify the dict.
 */
export function dictScanStep(d: u32, v: u32, fn: (e: u32) => void): u32 {
  if (dictSize(d) == 0) return 0;
  if (!dictIsRehashing(d)) {
    const m0 = load<u32>(d, D_S0) - 1;
    emitChain(load<u32>(load<u32>(d, D_T0) + ((v & m0) << 2)), fn);
    v |= ~m0;
    v = rev(v);
    v++;
    v = rev(v);
    return v;
  }
  let ta = load<u32>(d, D_T0);
  let sa = load<u32>(d, D_S0);
  let tb = load<u32>(d, D_T1);
  let sb = load<u32>(d, D_S1);
  if (sa > sb) {
    const t = ta; ta = tb; tb = t;
    const s = sa; sa = sb; sb = s;
  }
  const m0 = sa - 1;
  const m1 = sb - 1;
  emitChain(load<u32>(ta + ((v & m0) << 2)), fn);
  do {
    emitChain(load<u32>(tb + ((v & m1) << 2)), fn);
    v |= ~m1;
    v = rev(v);
    v++;
    v = rev(v);
  } while ((v & (m0 ^ m1)) != 0);
  return v;
}
