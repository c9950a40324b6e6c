/*
 * native.ts -- what every collection kept in linear memory (hash.ts, set.ts) has in common: its
 * 24-byte header, the keyspace handle that points at it, its reference count and the queue of
 * collections waiting to be freed in bounded steps (lazy free).
 *
 * Header (NC_BYTES = 24), at a fixed address for the collection's whole life:
 *   +0  info   u32   bits 0..3 kind (NK_HASH, NK_SET, NK_LIST, NK_ZSET); bits 4..7 NF_* flags; bits 8..23 refs,
 *                    the keyspace slots holding it (0 for a temporary or a removed value); bits
 *                    24..31 a list's compress depth (list.ts), 0 for the other kinds
 *   +4  qnext  u32   next collection in the free queue (while NF_QUEUED)
 *   +8  count  u32   elements (fields, members)
 *   +12 p      u32   the small form's packed block, or the big form's dict (its own DICT_BYTES block)
 *   +16 cap    u32   small: bytes allocated for the block; big: entry bytes (for memory usage)
 *   +20 aux    u32   hash small: bytes used in the block; set small: integer width (2, 4, 8);
 *                    while being freed: the next bucket to free
 *
 * Keyspace handle: the keyspace stores an i32 handle for every container value. Handles with bit
 * NATIVE_BIT set designate a collection in linear memory: (handle & NATIVE_MASK) * 8 is the header
 * address (headers are 8-aligned and below 4 GiB, so 29 bits hold it). Other handles index the JS
 * side's array of JS containers.
 *
 * Lifetime: `refs` counts keyspace slots. When it drops to 0 (DEL, overwrite, expiry, FLUSHDB) the
 * collection is queued (NF_QUEUED, threaded through qnext) and freed later, in bounded steps, by
 * ncFreeStep (lazyfree.ts) -- unless it was stored again meanwhile (RENAME and MOVE remove then
 * store), which the dequeue re-checks. A collection that was never stored is queued by the JS side
 * when its wrapper is garbage-collected (a collection is never freed while refs > 0).
 */

export const NC_INFO: u32 = 0;
export const NC_QNEXT: u32 = 4;
export const NC_COUNT: u32 = 8;
export const NC_P: u32 = 12;
export const NC_CAP: u32 = 16;
export const NC_AUX: u32 = 20;
export const NC_BYTES: u32 = 24;
/** One reference in the info word (refs live in bits 8..23: a value is held by a few slots at most). */
const REF_ONE: u32 = 256;
const REFS_MASK: u32 = 0x00ffff00;

export const NK_MASK: u32 = 15;
export const NK_HASH: u32 = 1;
export const NK_SET: u32 = 2;
export const NK_LIST: u32 = 3;
export const NK_ZSET: u32 = 4;
/** In the free queue. */
export const NF_QUEUED: u32 = 16;
/** Big form (a dict); otherwise the packed small form. */
export const NF_BIG: u32 = 32;
/** Hash: Redis's encoding is listpack (may be set while the representation is big, see hash.ts). */
export const NF_LPENC: u32 = 64;

export const NATIVE_BIT: u32 = 0x40000000;
export const NATIVE_MASK: u32 = 0x1fffffff;

// @ts-ignore: decorator
@inline export function ncInfo(c: u32): u32 { return load<u32>(c, NC_INFO); }
// @ts-ignore: decorator
@inline export function ncIsBig(c: u32): bool { return (load<u32>(c, NC_INFO) & NF_BIG) != 0; }
// @ts-ignore: decorator
@inline export function ncCount(c: u32): u32 { return load<u32>(c, NC_COUNT); }

/** The dict of a collection in its big form (hash, set, or a sorted set's skip list, whose header starts with its dict); 0 for a packed form or a list. */
export function ncBigDict(c: u32): u32 {
  const kind = load<u32>(c, NC_INFO) & NK_MASK;
  return kind != NK_LIST && ncIsBig(c) ? load<u32>(c, NC_P) : 0;
}

/** Head of the free queue (collections with refs 0 to free unless stored again). */
let ncQueueHead: u32 = 0;

/** Take the next queued collection (its NF_QUEUED cleared), 0 when the queue is empty. */
export function ncDequeue(): u32 {
  const c = ncQueueHead;
  if (c == 0) return 0;
  ncQueueHead = load<u32>(c, NC_QNEXT);
  store<u32>(c, load<u32>(c, NC_INFO) & ~NF_QUEUED, NC_INFO);
  return c;
}

/** True when nothing is queued. */
export function ncQueueEmpty(): bool {
  return ncQueueHead == 0;
}

/** Keyspace slots holding c. */
// @ts-ignore: decorator
@inline export function ncRefs(c: u32): u32 { return (load<u32>(c, NC_INFO) & REFS_MASK) >> 8; }

/** A keyspace slot now holds c. */
export function ncRef(c: u32): void {
  store<u32>(c, load<u32>(c, NC_INFO) + REF_ONE, NC_INFO);
}

/** Queue c for freeing (no-op if already queued). */
export function ncQueue(c: u32): void {
  const info = load<u32>(c, NC_INFO);
  if ((info & NF_QUEUED) != 0) return;
  store<u32>(c, info | NF_QUEUED, NC_INFO);
  store<u32>(c, ncQueueHead, NC_QNEXT);
  ncQueueHead = c;
}

/** A keyspace slot stopped holding c: queue it when no slot holds it any more. */
export function ncUnref(c: u32): void {
  const info = load<u32>(c, NC_INFO);
  if ((info & REFS_MASK) >> 8 > 1) {
    store<u32>(c, info - REF_ONE, NC_INFO);
    return;
  }
  store<u32>(c, info & ~REFS_MASK, NC_INFO);
  ncQueue(c);
}

/** The keyspace dropped a value with this handle (keyspace.ts, FLUSHDB's incremental free). */
export function ncDropHandle(h: i32): void {
  if (h >= 0 && (<u32>h & NATIVE_BIT) != 0) ncUnref((<u32>h & NATIVE_MASK) << 3);
}

/** Handle of collection c for the keyspace. */
export function ncHandle(c: u32): i32 {
  return <i32>(NATIVE_BIT | (c >> 3));
}

/** A fresh header of the given kind (count 0, refs 0), 0 on OOM. */
export function ncAllocHeader(kind: u32): u32 {
  const c = alloc(NC_BYTES);
  if (c == 0) return 0;
  memory.fill(c, 0, NC_BYTES);
  store<u32>(c, kind, NC_INFO);
  return c;
}

import { alloc, allocSize, free } from './arena';
import { RES } from './io';
import { DICT_BYTES, D_S0, D_S1, D_T0, D_T1, dictFreeTables } from './dict';
import { R_MISC } from '../src/engine/wasm/abi';

/**
 * A packed small form copied into the new header `n` (COPY of a hash or sorted set): its NC_AUX
 * used bytes in a block of their own size class (none when empty). False on OOM (n unchanged).
 */
export function ncCopySmall(c: u32, n: u32): bool {
  const used = load<u32>(c, NC_AUX);
  if (used == 0) return true;
  const cap = allocSize(used);
  const b = alloc(cap);
  if (b == 0) return false;
  memory.copy(b, load<u32>(c, NC_P), used);
  store<u32>(n, b, NC_P);
  store<u32>(n, cap, NC_CAP);
  store<u32>(n, used, NC_AUX);
  return true;
}

/**
 * The big form's part of a *FreeSome (hash.ts, set.ts): free the entries of up to `budget`
 * chains of the value's dict (and visit at most 8 buckets per budget unit, so a sparse table is
 * not walked at once), the bucket cursor kept in NC_AUX; once every bucket is done, the tables,
 * the dict and the header. `freeChain` frees one chain and returns its entry count. Returns the
 * work done, with RES misc = 1 when everything is freed.
 */
export function ncFreeDictSome(c: u32, budget: u32, freeChain: (e: u32) => u32): u32 {
  const d = load<u32>(c, NC_P);
  const s0 = load<u32>(d, D_S0);
  const s1 = load<u32>(d, D_S1);
  let i = load<u32>(c, NC_AUX);
  const i0 = i;
  let n: u32 = 0;
  const end = s0 + s1 - i > budget * 8 ? i + budget * 8 : s0 + s1;
  while (i < end && n < budget) {
    const slot = i < s0 ? load<u32>(d, D_T0) + (i << 2) : load<u32>(d, D_T1) + ((i - s0) << 2);
    n += freeChain(load<u32>(slot));
    store<u32>(slot, 0);
    i++;
  }
  store<u32>(c, i, NC_AUX);
  if (i < s0 + s1) {
    store<u32>(RES, 0, R_MISC);
    return n + ((i - i0) >> 3);
  }
  dictFreeTables(d);
  free(d, DICT_BYTES);
  free(c, NC_BYTES);
  store<u32>(RES, 1, R_MISC);
  return n + ((i - i0) >> 3);
}

/**
 * The end of a *FreeSome (lazyfree.ts) for a value in its packed small form: the one block and the
 * header freed at once. Returns 1 (one step of work) with RES misc = 1 (done).
 */
export function ncFreeSmall(c: u32): u32 {
  const cap = load<u32>(c, NC_CAP);
  if (cap != 0) free(load<u32>(c, NC_P), cap);
  free(c, NC_BYTES);
  store<u32>(RES, 1, R_MISC);
  return 1;
}

/**
 * Append a RESP bulk string ("$<len>\r\n<bytes>\r\n") of [p, p+len) to the out buffer. False on
 * out-buffer OOM. Used by the replies written from linear memory (HGETALL, SMEMBERS).
 */
/** The decimal digits of n at w (up to 10 bytes); returns how many. */
export function writeU32(w: u32, n: u32): u32 {
  return writeU64(w, <u64>n);
}

/** The decimal digits of n at w (up to 20 bytes); returns how many. */
export function writeU64(w: u32, n: u64): u32 {
  let digits: u32 = 1;
  let x = n;
  while (x >= 10) { x /= 10; digits++; }
  x = n;
  for (let i = digits; i > 0; i--) {
    store<u8>(w + i - 1, <u8>(48 + <u32>(x % 10)));
    x /= 10;
  }
  return digits;
}

export function outBulk(p: u32, len: u32): bool {
  const w = outReserve(len + 16);
  if (w == 0) return false;
  store<u8>(w, 36); // '$'
  let o = w + 1 + writeU32(w + 1, len);
  store<u16>(o, 0x0a0d);
  o += 2;
  memory.copy(o, p, len);
  o += len;
  store<u16>(o, 0x0a0d);
  outCommit(o + 2 - w);
  return true;
}

import { outReserve, outCommit } from './io';
