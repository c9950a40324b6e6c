/*
 * skiplist.ts -- sorted set: skip list ordered by (score, member bytes) plus member -> node dict,
 * after Redis's t_zset.c (zskiplist + dict), in one structure.
 *
 * Node layout. A node pointer p points into the middle of its allocation: the level array is at
 * negative offsets, so that the fixed header and the member bytes are at constant offsets from p
 * whatever the node's level (the generic dict in dict.ts needs the key at a fixed offset, and
 * this lets the dict thread its chains through the nodes themselves: no separate dict entries).
 *
 *   p - 8*(i+1)  forward u32, span u32 of level i (0 <= i < level)
 *   p + 0   next     u32   dict chain (dict.ts common header)
 *   p + 4   hash     u32
 *   p + 8   len      u32   member length
 *   p + 12  level    u32
 *   p + 16  score    f64
 *   p + 24  backward u32   previous node at level 0 (0 for the first node)
 *   p + 28  member bytes
 *   allocation: [p - 8*level, p + 28 + len), 8-byte aligned base so the score is aligned.
 *
 * The header node has MAXLEVEL levels and no member. Spans count the level-0 steps a forward
 * pointer jumps over, which gives O(log n) rank queries (zslGetRank / zslGetElementByRank).
 *
 * Zset header (ZS_BYTES): dict (DICT_BYTES), head u32, tail u32, length u32, level u32,
 * nodeBytes u32 (bytes of live nodes, for memoryUsage), maxLen u32 and maxCount u32 (high-water
 * marks of member length and cardinality: Redis converts a listpack zset to a skip list when a
 * threshold is crossed and never back, so these decide OBJECT ENCODING and ZSCAN's one-shot reply
 * for small sets).
 *
 * Invariants
 *   - Level-0 list sorted by (score, memcmp(member) then length), no duplicate members.
 *   - For every level i and node x: span[i] = number of level-0 steps from x to forward[i]
 *     (to the end of the list when forward[i] == 0, for nodes on the update path).
 *   - The dict holds exactly the nodes of the list.
 *
 * Complexity: insert, delete, score update, rank, element by rank, range bounds, pop of the
 * last element: O(log n) expected; pop of the first element O(levels) (no descent); score lookup
 * O(1); range output O(log n + m); free O(n) but done in bounded steps.
 */

import { alloc, free, allocSize, copyBytes } from './arena';
import {
  DICT_BYTES, E_NEXT, dictInit, dictFind, dictAdd, dictUnlinkEntry, dictScanStep,
  dictFreeTables, dictTableBytes, hashBytes, bytesCmp, random32,
} from './dict';
import { RES, outReset, outReserve, outCommit, getScratch } from './io';
import { R_F64, R_MISC } from '../src/engine/wasm/abi';

const MAXLEVEL: u32 = 32;
const N_LEN: u32 = 8;
const N_LEVEL: u32 = 12;
const N_SCORE: u32 = 16;
const N_BACK: u32 = 24;
const NODE_HDR: u32 = 28;

const Z_HEAD: u32 = DICT_BYTES;
const Z_TAIL: u32 = DICT_BYTES + 4;
const Z_LEN: u32 = DICT_BYTES + 8;
const Z_LEVEL: u32 = DICT_BYTES + 12;
const Z_NODEBYTES: u32 = DICT_BYTES + 16;
const Z_MAXLEN: u32 = DICT_BYTES + 20;
const Z_MAXCOUNT: u32 = DICT_BYTES + 24;
const ZS_BYTES: u32 = DICT_BYTES + 28;

const LISTPACK_MAX_ENTRIES: u32 = 128;
const LISTPACK_MAX_VALUE: u32 = 64;

const UPDATE: usize = memory.data(MAXLEVEL * 4, 8);
const RANK: usize = memory.data(MAXLEVEL * 4, 8);
/** Second search path of findUpdatePair (a score update's new position). */
const UPDATE2: usize = memory.data(MAXLEVEL * 4, 8);
const RANK2: usize = memory.data(MAXLEVEL * 4, 8);

// @ts-ignore: decorator
@inline function fwd(x: u32, i: u32): u32 { return load<u32>(x - ((i + 1) << 3)); }
// @ts-ignore: decorator
@inline function setFwd(x: u32, i: u32, v: u32): void { store<u32>(x - ((i + 1) << 3), v); }
// @ts-ignore: decorator
@inline function span(x: u32, i: u32): u32 { return load<u32>(x - ((i + 1) << 3), 4); }
// @ts-ignore: decorator
@inline function setSpan(x: u32, i: u32, v: u32): void { store<u32>(x - ((i + 1) << 3), v, 4); }
// @ts-ignore: decorator
@inline function scoreOf(x: u32): f64 { return load<f64>(x, N_SCORE); }
// @ts-ignore: decorator
@inline function lenOf(x: u32): u32 { return load<u32>(x, N_LEN); }
// @ts-ignore: decorator
@inline function nodeAllocSize(level: u32, len: u32): u32 { return (level << 3) + NODE_HDR + len; }

/** (score, member) of x compared with (score, [mp, mp+ml)): <0, 0, >0. */
// @ts-ignore: decorator
@inline function cmpNode(x: u32, score: f64, mp: u32, ml: u32): i32 {
  const s = scoreOf(x);
  if (s < score) return -1;
  if (s > score) return 1;
  return bytesCmp(x + NODE_HDR, lenOf(x), mp, ml);
}

function newNode(level: u32, score: f64, mp: u32, ml: u32): u32 {
  const base = alloc(nodeAllocSize(level, ml));
  if (base == 0) return 0;
  const x = base + (level << 3);
  memory.fill(base, 0, level << 3);
  store<u32>(x, 0, E_NEXT);
  store<u32>(x, ml, N_LEN);
  store<u32>(x, level, N_LEVEL);
  store<f64>(x, score, N_SCORE);
  store<u32>(x, 0, N_BACK);
  if (ml != 0) memory.copy(x + NODE_HDR, mp, ml);
  return x;
}

function freeNode(x: u32): void {
  const level = load<u32>(x, N_LEVEL);
  free(x - (level << 3), nodeAllocSize(level, lenOf(x)));
}

export function zsCreate(): u32 {
  const zs = alloc(ZS_BYTES);
  if (zs == 0) return 0;
  memory.fill(zs, 0, ZS_BYTES);
  const head = newNode(MAXLEVEL, 0, 0, 0);
  if (head == 0) {
    free(zs, ZS_BYTES);
    return 0;
  }
  dictInit(zs, NODE_HDR);
  store<u32>(zs, head, Z_HEAD);
  store<u32>(zs, 1, Z_LEVEL);
  return zs;
}

export function zsLength(zs: u32): u32 {
  return load<u32>(zs, Z_LEN);
}

/** Bytes held by the sorted set (nodes, header node, dict tables, header). O(1). */
export function zsMemory(zs: u32): f64 {
  return <f64>load<u32>(zs, Z_NODEBYTES) + <f64>dictTableBytes(zs) +
    <f64>allocSize(nodeAllocSize(MAXLEVEL, 0)) + <f64>allocSize(ZS_BYTES);
}

/** Level for a new node: 1 + geometric(p = 1/4), as ZSKIPLIST_P in Redis. */
function randomLevel(): u32 {
  let level: u32 = 1;
  while ((random32() & 0xffff) < 0x4000 && level < MAXLEVEL) level++;
  return level;
}

/**
 * Fill UPDATE[i] (rightmost node at level i strictly before (score, member)) and RANK[i] (its
 * rank): the insertion point of a new element, or the predecessors of an existing one.
 */
function findUpdate(zs: u32, score: f64, mp: u32, ml: u32): void {
  let x = load<u32>(zs, Z_HEAD);
  const level = load<u32>(zs, Z_LEVEL);
  let i = <i32>level - 1;
  let rank: u32 = 0;
  while (i >= 0) {
    const ui = <u32>i;
    let f = fwd(x, ui);
    while (f != 0 && cmpNode(f, score, mp, ml) < 0) {
      rank += span(x, ui);
      x = f;
      f = fwd(x, ui);
    }
    store<u32>(UPDATE + (ui << 2), x);
    store<u32>(RANK + (ui << 2), rank);
    i--;
  }
}

/**
 * findUpdate for two keys at once, (s1, member) into UPDATE/RANK and (s2, member) into
 * UPDATE2/RANK2: a score update's old and new positions. The two descents are independent chains
 * of dependent loads, and in a set larger than the cache nearly every step below the top levels is
 * a cache miss; stepping them in turn keeps a miss of each in flight at once. Measured with
 * zsAddFlags's single dict lookup, engine-level ZADD moving random members of a 100k-member set:
 * 2.47 -> 2.24 us of CPU per call (both builds in one process, alternating).
 */
function findUpdatePair(zs: u32, s1: f64, s2: f64, mp: u32, ml: u32): void {
  const head = load<u32>(zs, Z_HEAD);
  let x1 = head;
  let x2 = head;
  let i1 = <i32>load<u32>(zs, Z_LEVEL) - 1;
  let i2 = i1;
  let r1: u32 = 0;
  let r2: u32 = 0;
  while (i1 >= 0 || i2 >= 0) {
    if (i1 >= 0) {
      const ui = <u32>i1;
      const f = fwd(x1, ui);
      if (f != 0 && cmpNode(f, s1, mp, ml) < 0) {
        r1 += span(x1, ui);
        x1 = f;
      } else {
        store<u32>(UPDATE + (ui << 2), x1);
        store<u32>(RANK + (ui << 2), r1);
        i1--;
      }
    }
    if (i2 >= 0) {
      const ui = <u32>i2;
      const f = fwd(x2, ui);
      if (f != 0 && cmpNode(f, s2, mp, ml) < 0) {
        r2 += span(x2, ui);
        x2 = f;
      } else {
        store<u32>(UPDATE2 + (ui << 2), x2);
        store<u32>(RANK2 + (ui << 2), r2);
        i2--;
      }
    }
  }
}

/** Link node x (its level already set) at the position UPDATE/RANK describe. */
function linkNode(zs: u32, x: u32): void {
  linkNodeAt(zs, x, UPDATE, RANK);
}

/** linkNode with the position in the arrays upd/rnk (UPDATE/RANK or UPDATE2/RANK2). */
function linkNodeAt(zs: u32, x: u32, upd: usize, rnk: usize): void {
  const lvl = load<u32>(x, N_LEVEL);
  let level = load<u32>(zs, Z_LEVEL);
  const head = load<u32>(zs, Z_HEAD);
  const length = load<u32>(zs, Z_LEN);
  if (lvl > level) {
    for (let i = level; i < lvl; i++) {
      store<u32>(rnk + (i << 2), 0);
      store<u32>(upd + (i << 2), head);
      setSpan(head, i, length);
    }
    level = lvl;
    store<u32>(zs, level, Z_LEVEL);
  }
  const rank0 = load<u32>(rnk);
  for (let i: u32 = 0; i < lvl; i++) {
    const u = load<u32>(upd + (i << 2));
    const ri = load<u32>(rnk + (i << 2));
    setFwd(x, i, fwd(u, i));
    setFwd(u, i, x);
    setSpan(x, i, span(u, i) - (rank0 - ri));
    setSpan(u, i, rank0 - ri + 1);
  }
  for (let i = lvl; i < level; i++) {
    const u = load<u32>(upd + (i << 2));
    setSpan(u, i, span(u, i) + 1);
  }
  const u0 = load<u32>(upd);
  store<u32>(x, u0 == head ? 0 : u0, N_BACK);
  const f0 = fwd(x, 0);
  if (f0 != 0) store<u32>(f0, x, N_BACK); else store<u32>(zs, x, Z_TAIL);
  store<u32>(zs, length + 1, Z_LEN);
}

/** Unlink x given UPDATE for its position (zslDeleteNode). */
function unlinkNode(zs: u32, x: u32): void {
  let level = load<u32>(zs, Z_LEVEL);
  for (let i: u32 = 0; i < level; i++) {
    const u = load<u32>(UPDATE + (i << 2));
    if (fwd(u, i) == x) {
      setSpan(u, i, span(u, i) + span(x, i) - 1);
      setFwd(u, i, fwd(x, i));
    } else {
      setSpan(u, i, span(u, i) - 1);
    }
  }
  const f0 = fwd(x, 0);
  if (f0 != 0) store<u32>(f0, load<u32>(x, N_BACK), N_BACK);
  else store<u32>(zs, load<u32>(x, N_BACK), Z_TAIL);
  const head = load<u32>(zs, Z_HEAD);
  while (level > 1 && fwd(head, level - 1) == 0) level--;
  store<u32>(zs, level, Z_LEVEL);
  store<u32>(zs, load<u32>(zs, Z_LEN) - 1, Z_LEN);
}

function markHighWater(zs: u32, ml: u32): void {
  if (ml > load<u32>(zs, Z_MAXLEN)) store<u32>(zs, ml, Z_MAXLEN);
  const n = load<u32>(zs, Z_LEN);
  if (n > load<u32>(zs, Z_MAXCOUNT)) store<u32>(zs, n, Z_MAXCOUNT);
}

/** High-water marks for OBJECT ENCODING: returns max cardinality ever, RES misc = max member length. */
export function zsHighWater(zs: u32): u32 {
  store<u32>(RES, load<u32>(zs, Z_MAXLEN), R_MISC);
  return load<u32>(zs, Z_MAXCOUNT);
}

// @ts-ignore: decorator
@inline function isSmall(zs: u32): bool {
  return load<u32>(zs, Z_MAXCOUNT) <= LISTPACK_MAX_ENTRIES && load<u32>(zs, Z_MAXLEN) <= LISTPACK_MAX_VALUE;
}

// ---------------------------------------------------------------------------------------------
// Member operations (member at scratch[0 .. ml))

/** Score of a member: 1 found (RES f64), 0 absent. */
export function zsScore(zs: u32, ml: u32): i32 {
  const mp = getScratch();
  const x = dictFind(zs, mp, ml, hashBytes(mp, ml));
  if (x == 0) return 0;
  store<f64>(RES, scoreOf(x), R_F64);
  return 1;
}

/**
 * ZADD one member: 0 added, 1 score changed, 2 same score (unchanged), -1 OOM (unchanged).
 * RES f64 = previous score when it existed.
 */
export function zsAdd(zs: u32, ml: u32, score: f64): i32 {
  return zsAddAt(zs, getScratch(), ml, score);
}

/** zsAdd of the member at [mp, mp+ml). */
export function zsAddAt(zs: u32, mp: u32, ml: u32, score: f64): i32 {
  return zsAddFlags(zs, mp, ml, score, 0);
}

/** ZADD's flags for zsAddFlags (zsetpack.ts's znAddMany takes the same bits). */
export const ZA_NX: u32 = 1;
export const ZA_XX: u32 = 2;
export const ZA_GT: u32 = 4;
export const ZA_LT: u32 = 8;

/**
 * zsAdd of the member at [mp, mp+ml) under ZADD's NX / XX / GT / LT (t_zset.c zsetAdd), with one
 * hash and one dict lookup: 0 added, 1 score changed, 2 unchanged (same score, or a flag said no),
 * -1 OOM (unchanged). RES f64 = the previous score when the member existed.
 */
export function zsAddFlags(zs: u32, mp: u32, ml: u32, score: f64, flags: u32): i32 {
  const h = hashBytes(mp, ml);
  const x = dictFind(zs, mp, ml, h);
  if (x != 0) {
    const old = scoreOf(x);
    store<f64>(RES, old, R_F64);
    if ((flags & ZA_NX) != 0) return 2;
    if (((flags & ZA_LT) != 0 && score >= old) || ((flags & ZA_GT) != 0 && score <= old)) return 2;
    if (old == score) return 2;
    updateScore(zs, x, old, score);
    return 1;
  }
  if ((flags & ZA_XX) != 0) return 2;
  const lvl = randomLevel();
  const n = newNode(lvl, score, mp, ml);
  if (n == 0) return -1;
  store<u32>(n, h, 4);
  if (!dictAdd(zs, n)) {
    freeNode(n);
    return -1;
  }
  findUpdate(zs, score, mp, ml);
  linkNode(zs, n);
  store<u32>(zs, load<u32>(zs, Z_NODEBYTES) + allocSize(nodeAllocSize(lvl, ml)), Z_NODEBYTES);
  markHighWater(zs, ml);
  return 0;
}

/**
 * Move node x from score old to score (zslUpdateScore): in place when the order is preserved
 * (zslUpdateScore's test), else unlinked and relinked as the same node (its level and member are
 * kept, so the dict, which threads through the node, stays valid). Redis descends to the old
 * position, deletes, then descends again to insert; here both positions are found in one
 * interleaved pass over the list as it is (findUpdatePair), then the new position's path is
 * corrected for x's removal: a predecessor that is x itself becomes x's own predecessor at that
 * level, and ranks after x drop by one.
 */
function updateScore(zs: u32, x: u32, old: f64, score: f64): void {
  const back = load<u32>(x, N_BACK);
  const next = fwd(x, 0);
  if ((back == 0 || scoreOf(back) < score) && (next == 0 || scoreOf(next) > score)) {
    store<f64>(x, score, N_SCORE);
    return;
  }
  const level = load<u32>(zs, Z_LEVEL);
  findUpdatePair(zs, old, score, x + NODE_HDR, lenOf(x));
  const xr = load<u32>(RANK) + 1; // x's rank (1-based)
  for (let i: u32 = 0; i < level; i++) {
    const u = load<u32>(UPDATE2 + (i << 2));
    if (u == x) {
      store<u32>(UPDATE2 + (i << 2), load<u32>(UPDATE + (i << 2)));
      store<u32>(RANK2 + (i << 2), load<u32>(RANK + (i << 2)));
    } else {
      const r = load<u32>(RANK2 + (i << 2));
      if (r > xr) store<u32>(RANK2 + (i << 2), r - 1);
    }
  }
  unlinkNode(zs, x);
  store<f64>(x, score, N_SCORE);
  linkNodeAt(zs, x, UPDATE2, RANK2);
}

/** ZREM one member: 1 removed, 0 absent. RES f64 = its score. */
export function zsDelete(zs: u32, ml: u32): i32 {
  const mp = getScratch();
  const x = dictFind(zs, mp, ml, hashBytes(mp, ml));
  if (x == 0) return 0;
  store<f64>(RES, scoreOf(x), R_F64);
  findUpdate(zs, scoreOf(x), x + NODE_HDR, ml);
  deleteNode(zs, x);
  return 1;
}

/** Remove node x from the dict and the list (UPDATE holds its predecessors) and free it. */
function deleteNode(zs: u32, x: u32): void {
  dictUnlinkEntry(zs, x);
  unlinkNode(zs, x);
  store<u32>(zs, load<u32>(zs, Z_NODEBYTES) - allocSize(nodeAllocSize(load<u32>(x, N_LEVEL), lenOf(x))), Z_NODEBYTES);
  freeNode(x);
}

/**
 * ZPOPMIN / ZPOPMAX of one element: the lowest (highest when reverse) is written to the out buffer
 * as one zsRangeOut record [f64 score][u32 len][bytes], then removed. 1 done, 0 empty, -1 on
 * out-buffer OOM (nothing removed). The lowest element's predecessors are the header at every
 * level, so ZPOPMIN needs no descent (Redis's zsetDel descends from the top); ZPOPMAX descends.
 */
export function zsPopOne(zs: u32, reverse: i32): i32 {
  outReset();
  return zsPopWith(zs, reverse, emitRecord);
}

/** An element as one record [f64 score][u32 len][bytes] (8-aligned) in the out buffer. */
function emitRecord(score: f64, mp: u32, ml: u32): bool {
  const rs = align8(12 + ml);
  const w = outReserve(rs);
  if (w == 0) return false;
  store<f64>(w, score);
  store<u32>(w, ml, 8);
  memory.copy(w + 12, mp, ml);
  outCommit(rs);
  return true;
}

/**
 * Remove the lowest (reverse: highest) element after handing it to emit (score, member bytes,
 * length) while it is still stored. 1; 0 when empty; -1 when emit returned false (nothing
 * removed). zsPopOne emits a record; the fast lane (lane.ts) a RESP reply.
 */
export function zsPopWith(zs: u32, reverse: i32, emit: (score: f64, mp: u32, ml: u32) => bool): i32 {
  const head = load<u32>(zs, Z_HEAD);
  const x = reverse != 0 ? load<u32>(zs, Z_TAIL) : fwd(head, 0);
  if (x == 0) return 0;
  const ml = lenOf(x);
  if (!emit(scoreOf(x), x + NODE_HDR, ml)) return -1;
  if (reverse != 0) {
    findUpdate(zs, scoreOf(x), x + NODE_HDR, ml);
  } else {
    const level = load<u32>(zs, Z_LEVEL);
    for (let i: u32 = 0; i < level; i++) {
      store<u32>(UPDATE + (i << 2), head);
      store<u32>(RANK + (i << 2), 0);
    }
  }
  deleteNode(zs, x);
  return 1;
}

/** 0-based rank from the lowest (or from the highest when reverse), -1 when absent. */
export function zsRank(zs: u32, ml: u32, reverse: i32): i32 {
  const mp = getScratch();
  const node = dictFind(zs, mp, ml, hashBytes(mp, ml));
  if (node == 0) return -1;
  const score = scoreOf(node);
  let x = load<u32>(zs, Z_HEAD);
  let rank: u32 = 0;
  let i = <i32>load<u32>(zs, Z_LEVEL) - 1;
  while (i >= 0) {
    const ui = <u32>i;
    let f = fwd(x, ui);
    while (f != 0 && cmpNode(f, score, node + NODE_HDR, ml) <= 0) {
      rank += span(x, ui);
      x = f;
      f = fwd(x, ui);
    }
    if (x == node) break;
    i--;
  }
  // rank is 1-based here.
  return reverse != 0 ? <i32>(load<u32>(zs, Z_LEN) - rank) : <i32>(rank - 1);
}

// ---------------------------------------------------------------------------------------------
// Range output
//
// A range is written in three steps: a descent fills UPDATE/RANK with the predecessors, at every
// level, of the first element of the window (descendRank / descendGteMin); gather() then collects
// the window's nodes into SLOTS in list order; writeSlots() encodes them into the out buffer.
//
// Why gather() does not simply follow level 0: the nodes of a large set sit in memory in insertion
// order, so walking the level-0 list costs one dependent cache (and TLB) miss per element, about
// 150 ns each at 1M members, while the machine can have more than ten independent misses in
// flight. gather() reaches the nodes through the upper levels instead, many at a time. It works in
// rounds; a round visits every node found in the previous round. Visiting node x, reached at level
// j, reads all of x's forward pointers at levels j .. 0 (adjacent words): fwd(x, j) is the next node
// at level j, and for i < j, fwd(x, i) is the first node of the gap (x, fwd(x, i+1)), when that gap
// is not empty. Each is visited in the next round and stored at its position in the window (known
// from the spans, so no sorting). A node's round is the number of forward steps on its search path
// from the window's start, not its distance in the list (measured at 1M members: 19 rounds for
// 100 elements), and the misses of one round overlap. Work: the window's nodes plus O(log n).
// For sets that fit in cache, walk() follows level 0 instead (fewer instructions, no misses).

/** Most nodes gathered in one pass; longer windows are written in several passes. */
const GMAX: u32 = 1024;
/**
 * Gathered nodes by position in the window, plus one dummy slot (GMAX) that absorbs the stores of
 * nodes outside the window.
 */
const SLOTS: usize = memory.data((GMAX + 1) * 4, 8);
/**
 * Visit lists, 16 bytes a visit: node u32, level u32 (reached at), position i32, end i32 (position
 * where its level stops: the next node of a higher level, or OPEN); one is read and the other
 * written each round. A visit is queued only for a newly found node, so at most `want` a round,
 * plus one dummy entry for the writes that are not kept.
 */
const VCAP: u32 = GMAX + 2;
const VISIT_A: usize = memory.data(VCAP * 16, 16);
const VISIT_B: usize = memory.data(VCAP * 16, 16);
/**
 * Sets of at most this many members (~1 MiB of nodes) are walked at level 0 (see walk()).
 * Measured with 100-element windows: the walk wins below ~10k members, gather() from ~100k
 * (2.5x at 300k, 2x at 1M); in between they are even.
 */
const WALK_MAX: u32 = 16384;
/** End of a level that runs to the window's bound (count, list end, score bound). */
const OPEN: i32 = 0x7fffffff;
/** Sink for the loads gather() makes to bring member bytes into cache before writeSlots(). */
let touched: u32 = 0;

/** UPDATE/RANK := predecessors of the element at 1-based rank r1 (1 <= r1 <= length). O(log n). */
function descendRank(zs: u32, r1: u32): void {
  let x = load<u32>(zs, Z_HEAD);
  let rank: u32 = 0;
  for (let i = <i32>load<u32>(zs, Z_LEVEL) - 1; i >= 0; i--) {
    const ui = <u32>i;
    let f = fwd(x, ui);
    while (f != 0 && rank + span(x, ui) < r1) {
      rank += span(x, ui);
      x = f;
      f = fwd(x, ui);
    }
    store<u32>(UPDATE + (ui << 2), x);
    store<u32>(RANK + (ui << 2), rank);
  }
}

/**
 * Collect the nodes at positions 0 .. want-1 of the window that starts after UPDATE[0] (RANK[0]
 * is its rank) into SLOTS, stopping before the first node whose score is above the range's max
 * when checkMax (rMax / rMaxEx). Returns how many, n: SLOTS[0 .. n) are all set (a node is reached
 * only through nodes before it, which are inside the window too). want <= GMAX.
 *
 * Each round has two loops. The first only loads from every node of the round (its lowest forward
 * pointer and its last member byte): a few instructions per node, so the out-of-order core keeps
 * many of these misses in flight (the visit loop is ~100 instructions per node, and when it met
 * the misses itself only 2-3 overlapped: measured 66 ns per element instead of ~15). The second
 * loop then visits them from cache. It is branch-free where the data decides (select, and
 * visit-list writes kept or overwritten by `m += ok`), so mispredictions do not stall it either.
 * A node is stored (and its score checked) when it is visited, not when it is found.
 */
function gather(zs: u32, want: u32, checkMax: bool): u32 {
  if (load<u32>(zs, Z_LEN) <= WALK_MAX || want <= 2) return walk(want, checkMax);
  const top = load<u32>(zs, Z_LEVEL) - 1;
  const base = <i32>load<u32>(RANK) + 1; // 1-based rank of position 0
  let bound = <i32>want; // positions >= bound are outside the window
  let filled: i32 = -1; // highest position set
  let dst = VISIT_A;
  let m: u32 = 0;
  // Round 0: from the predecessors (cached by the descent). At level j the window's nodes run
  // from fwd(UPDATE[j], j) to the first node with a higher level (found from UPDATE[j+1]).
  let end = OPEN;
  for (let j = <i32>top; j >= 0; j--) {
    const uj = <u32>j;
    const u = load<u32>(UPDATE + (uj << 2));
    const y = fwd(u, uj);
    const p = <i32>(load<u32>(RANK + (uj << 2)) + span(u, uj)) - base;
    const d = dst + (m << 4);
    store<u32>(d, y);
    store<u32>(d, uj, 4);
    store<i32>(d, p, 8);
    store<i32>(d, end, 12);
    m += <u32>(y != 0) & <u32>(p < end) & <u32>(p < bound);
    end = select<i32>(p, OPEN, y != 0);
  }
  let src = VISIT_B;
  let prev: u32 = 0; // nodes of the previous round, whose member bytes are still to be touched
  while (m > 0) {
    const t = src;
    src = dst;
    dst = t;
    const n = m;
    m = 0;
    // Loop 1: start the misses of the whole round: the node's lowest forward pointer and its
    // header; and the member bytes of the previous round's nodes (still listed in dst), whose
    // length is in cache by now, so this second miss is not on the path from round to round.
    let acc: u32 = 0;
    for (let k: u32 = 0; k < n; k++) {
      const x = load<u32>(src + (k << 4));
      acc += load<u32>(x - 8) + load<u32>(x + N_LEN);
    }
    for (let k: u32 = 0; k < prev; k++) acc += touchMember(load<u32>(dst + (k << 4)));
    touched += acc;
    prev = n;
    // Loop 2: visit. Node x (reached at level lv, position pos, its level ends at e) is kept when
    // inside the window; then each fwd(x, i), i = lv .. 0, is a node to visit next round when it
    // lies before e, e being for i < lv the position of fwd(x, i + 1).
    for (let k: u32 = 0; k < n; k++) {
      const c = src + (k << 4);
      const x = load<u32>(c);
      const pos = load<i32>(c, 8);
      let e = load<i32>(c, 12);
      let keep = <u32>(pos < bound);
      if (checkMax) {
        const over = keep & <u32>!lteMax(scoreOf(x));
        bound = select<i32>(pos, bound, over != 0); // the window ends before x
        keep &= over ^ 1;
      }
      store<u32>(SLOTS + (select<u32>(<u32>pos, GMAX, keep != 0) << 2), x);
      filled = select<i32>(pos, filled, (keep & <u32>(pos > filled)) != 0);
      for (let i = <i32>load<u32>(c, 4); i >= 0; i--) {
        const ui = <u32>i;
        const y = fwd(x, ui);
        const p = pos + <i32>span(x, ui);
        const d = dst + (m << 4);
        store<u32>(d, y);
        store<u32>(d, ui, 4);
        store<i32>(d, p, 8);
        store<i32>(d, e, 12);
        m += keep & <u32>(y != 0) & <u32>(p < e) & <u32>(p < bound);
        e = select<i32>(p, OPEN, y != 0); // the gap below ends at y
      }
    }
  }
  // The last round's nodes are in src (that round found nothing to put in dst).
  let acc: u32 = 0;
  for (let k: u32 = 0; k < prev; k++) acc += touchMember(load<u32>(src + (k << 4)));
  touched += acc;
  return <u32>(filled + 1);
}

/**
 * gather() for sets small enough to stay in cache: following level 0 costs no misses there, and
 * about half the instructions of gather's rounds.
 */
function walk(want: u32, checkMax: bool): u32 {
  let x = fwd(load<u32>(UPDATE), 0);
  let n: u32 = 0;
  while (x != 0 && n < want && (!checkMax || lteMax(scoreOf(x)))) {
    store<u32>(SLOTS + (n << 2), x);
    n++;
    x = fwd(x, 0);
  }
  return n;
}

/** Load the last member byte of x (so writeSlots finds it in cache); len 0 reads a header byte. */
// @ts-ignore: decorator
@inline function touchMember(x: u32): u32 {
  return <u32>load<u8>(x + NODE_HDR - 1 + lenOf(x));
}

// @ts-ignore: decorator
@inline function align8(n: u32): u32 { return (n + 7) & ~7; }


/**
 * Append SLOTS[0 .. n) (from n-1 down to 0 when reverse) to the out buffer.
 * resp: each member as a RESP bulk string ("$<len>\r\n<bytes>\r\n") and nothing else, so the host
 * copies a whole batch into its reply buffer with one call (ZRANGE without WITHSCORES);
 * otherwise 8-aligned records [f64 score][u32 len][bytes]. False on out-buffer OOM.
 */
function writeSlots(n: u32, reverse: bool, resp: bool): bool {
  for (let j: u32 = 0; j < n; j++) {
    const x = load<u32>(SLOTS + ((reverse ? n - 1 - j : j) << 2));
    const ml = lenOf(x);
    if (resp) {
      let digits: u32 = ml < 10 ? 1 : ml < 100 ? 2 : 3;
      for (let v = ml / 1000; v != 0; v /= 10) digits++;
      const rs = 1 + digits + 2 + ml + 2;
      const w = outReserve(rs);
      if (w == 0) return false;
      store<u8>(w, 36); // '$'
      let v = ml;
      for (let i = digits; i > 0; i--) {
        const q = v / 10;
        store<u8>(w + i, <u8>(48 + v - q * 10));
        v = q;
      }
      store<u16>(w + 1 + digits, 0x0a0d); // "\r\n" (little-endian)
      copyBytes(w + 3 + digits, x + NODE_HDR, ml);
      store<u16>(w + 3 + digits + ml, 0x0a0d);
      outCommit(rs);
    } else {
      const rs = align8(12 + ml);
      const w = outReserve(rs);
      if (w == 0) return false;
      store<f64>(w, scoreOf(x));
      store<u32>(w, ml, 8);
      copyBytes(w + 12, x + NODE_HDR, ml);
      outCommit(rs);
    }
  }
  return true;
}

/**
 * Append the elements at 0-based ranks lo .. lo+count-1 (all must exist) in ascending order, or
 * descending when reverse, in passes of GMAX. `ready` = lo when UPDATE/RANK already hold the
 * predecessors of rank lo (saves a descent), else 0xffffffff. Returns false on out-buffer OOM.
 */
function writeRanks(zs: u32, lo: u32, count: u32, reverse: bool, resp: bool, ready: u32): bool {
  let done: u32 = 0;
  while (done < count) {
    const c = count - done < GMAX ? count - done : GMAX;
    // Descending output takes the passes from the top of the window down.
    const from = reverse ? lo + count - done - c : lo + done;
    if (from != ready) descendRank(zs, from + 1);
    ready = 0xffffffff; // UPDATE/RANK hold this pass's start only
    const n = gather(zs, c, false);
    if (!writeSlots(n, reverse, resp)) return false;
    if (n < c) break; // cannot happen when the ranks exist
    done += n;
  }
  return true;
}

/**
 * Write up to `count` elements starting at 0-based rank `start`, moving forward or backward,
 * to the out buffer as 8-aligned records [f64 score][u32 len][bytes]. Returns how many were
 * written (0 on out-buffer OOM, which the JS side reports).
 */
export function zsRangeOut(zs: u32, start: u32, count: u32, reverse: i32): u32 {
  return rangeWrite(zs, start, count, reverse != 0, false);
}

/**
 * Like zsRangeOut, but each member is written as a RESP bulk string (see writeSlots). Returns how
 * many members were written (0 on OOM); RES outlen = bytes.
 */
export function zsRangeResp(zs: u32, start: u32, count: u32, reverse: i32): u32 {
  return rangeWrite(zs, start, count, reverse != 0, true);
}

function rangeWrite(zs: u32, start: u32, count: u32, reverse: bool, resp: bool): u32 {
  outReset();
  const len = load<u32>(zs, Z_LEN);
  if (start >= len || count == 0) return 0;
  const avail = reverse ? start + 1 : len - start;
  if (count > avail) count = avail;
  const lo = reverse ? start + 1 - count : start;
  return writeRanks(zs, lo, count, reverse, resp, 0xffffffff) ? count : 0;
}

// ---------------------------------------------------------------------------------------------
// Score ranges

let rMin: f64 = 0;
let rMax: f64 = 0;
let rMinEx: bool = false;
let rMaxEx: bool = false;

// @ts-ignore: decorator
@inline function gteMin(v: f64): bool { return rMinEx ? v > rMin : v >= rMin; }
// @ts-ignore: decorator
@inline function lteMax(v: f64): bool { return rMaxEx ? v < rMax : v <= rMax; }

/** UPDATE/RANK := predecessors of the first element >= min (zslFirstInRange). O(log n). */
function descendGteMin(zs: u32): void {
  let x = load<u32>(zs, Z_HEAD);
  let rank: u32 = 0;
  for (let i = <i32>load<u32>(zs, Z_LEVEL) - 1; i >= 0; i--) {
    const ui = <u32>i;
    let f = fwd(x, ui);
    while (f != 0 && !gteMin(scoreOf(f))) {
      rank += span(x, ui);
      x = f;
      f = fwd(x, ui);
    }
    store<u32>(UPDATE + (ui << 2), x);
    store<u32>(RANK + (ui << 2), rank);
  }
}

/** 1-based rank of the last element <= max (zslLastInRange), 0 when none. O(log n). */
function lastLteMaxRank(zs: u32): u32 {
  let x = load<u32>(zs, Z_HEAD);
  let rank: u32 = 0;
  for (let i = <i32>load<u32>(zs, Z_LEVEL) - 1; i >= 0; i--) {
    const ui = <u32>i;
    let f = fwd(x, ui);
    while (f != 0 && lteMax(scoreOf(f))) {
      rank += span(x, ui);
      x = f;
      f = fwd(x, ui);
    }
  }
  return rank;
}

/**
 * Elements with a score in the range [min, max] (exclusive ends when minEx / maxEx).
 *
 * write == 0: returns how many, and RES misc = 0-based rank of the first (ZCOUNT; two descents,
 * O(log n)). Other arguments are ignored.
 *
 * write != 0 (ZRANGEBYSCORE / ZREVRANGEBYSCORE ... LIMIT offset count): skips `offset` elements
 * of the range from its low end (its high end when reverse) and writes up to `count` of the next
 * ones to the out buffer, descending when reverse: RESP bulk strings when write == 2, records
 * (see zsRangeOut) when write == 1. Returns how many, -1 on out-buffer OOM. Ascending output costs
 * one descent (two when offset > 0) plus gather; descending, two or three. O(log n + m).
 */
export function zsScoreRange(zs: u32, min: f64, minEx: i32, max: f64, maxEx: i32,
  write: i32, reverse: i32, offset: u32, count: u32): i32 {
  rMin = min; rMax = max; rMinEx = minEx != 0; rMaxEx = maxEx != 0;
  if (write != 0) return scoreRangeWrite(zs, reverse != 0, offset, count, write == 2);
  store<u32>(RES, 0, R_MISC);
  if (min > max || (min == max && (rMinEx || rMaxEx))) return 0;
  const tail = load<u32>(zs, Z_TAIL);
  if (tail == 0 || !gteMin(scoreOf(tail))) return 0;
  if (!lteMax(scoreOf(fwd(load<u32>(zs, Z_HEAD), 0)))) return 0;
  descendGteMin(zs);
  const firstRank = load<u32>(RANK); // 0-based
  const lastRank1 = lastLteMaxRank(zs); // 1-based
  if (lastRank1 <= firstRank) return 0;
  store<u32>(RES, firstRank, R_MISC);
  return <i32>(lastRank1 - firstRank);
}

function scoreRangeWrite(zs: u32, reverse: bool, offset: u32, count: u32, resp: bool): i32 {
  outReset();
  if (rMin > rMax || (rMin == rMax && (rMinEx || rMaxEx))) return 0;
  const len = load<u32>(zs, Z_LEN);
  if (count == 0 || len == 0) return 0;
  if (!reverse) {
    descendGteMin(zs);
    let lo = load<u32>(RANK); // 0-based rank of the first element >= min
    if (<u64>lo + <u64>offset >= <u64>len) return 0;
    lo += offset;
    if (offset != 0) descendRank(zs, lo + 1);
    // gather stops at the first element above max; a full pass means there may be more.
    let done: u32 = 0;
    while (done < count) {
      const c = count - done < GMAX ? count - done : GMAX;
      if (done != 0) descendRank(zs, lo + done + 1);
      const n = gather(zs, c, true);
      if (!writeSlots(n, false, resp)) return -1;
      done += n;
      if (n < c) break;
    }
    return <i32>done;
  }
  const hi1 = lastLteMaxRank(zs); // 1-based rank of the last element <= max
  if (hi1 <= offset) return 0;
  const hi = hi1 - 1 - offset; // 0-based rank of the first element to write
  descendGteMin(zs);
  const lo = load<u32>(RANK);
  if (hi < lo) return 0;
  const avail = hi - lo + 1;
  const n = count < avail ? count : avail;
  const from = hi + 1 - n;
  return writeRanks(zs, from, n, true, resp, from == lo ? lo : 0xffffffff) ? <i32>n : -1;
}

// ---------------------------------------------------------------------------------------------
// Lex ranges. Bounds are at scratch: min at [0, minLen), max at [minLen, minLen + maxLen).
// inf: -1 = "-" (below everything), 1 = "+" (above everything), 0 = the bytes.

let lMinP: u32 = 0;
let lMinL: u32 = 0;
let lMinEx: bool = false;
let lMinInf: i32 = 0;
let lMaxP: u32 = 0;
let lMaxL: u32 = 0;
let lMaxEx: bool = false;
let lMaxInf: i32 = 0;

function lexGteMin(x: u32): bool {
  if (lMinInf < 0) return true;
  if (lMinInf > 0) return false;
  const c = bytesCmp(x + NODE_HDR, lenOf(x), lMinP, lMinL);
  return lMinEx ? c > 0 : c >= 0;
}

function lexLteMax(x: u32): bool {
  if (lMaxInf > 0) return true;
  if (lMaxInf < 0) return false;
  const c = bytesCmp(x + NODE_HDR, lenOf(x), lMaxP, lMaxL);
  return lMaxEx ? c < 0 : c <= 0;
}

/** sdscmplex(min, max) of Redis with its shared minstring / maxstring sentinels. */
function lexBoundsCmp(): i32 {
  if (lMinInf != 0 && lMinInf == lMaxInf) return 0;
  if (lMinInf < 0 || lMaxInf > 0) return -1;
  if (lMinInf > 0 || lMaxInf < 0) return 1;
  return bytesCmp(lMinP, lMinL, lMaxP, lMaxL);
}

/** Like zsScoreRange for ZRANGEBYLEX-style bounds. Returns count; RES misc = first rank. */
export function zsLexRange(zs: u32, minLen: u32, minEx: i32, minInf: i32, maxLen: u32, maxEx: i32, maxInf: i32): u32 {
  const sp = getScratch();
  lMinP = sp; lMinL = minLen; lMinEx = minEx != 0; lMinInf = minInf;
  lMaxP = sp + minLen; lMaxL = maxLen; lMaxEx = maxEx != 0; lMaxInf = maxInf;
  store<u32>(RES, 0, R_MISC);
  const c = lexBoundsCmp();
  if (c > 0 || (c == 0 && (lMinEx || lMaxEx))) return 0;
  const tail = load<u32>(zs, Z_TAIL);
  const head = load<u32>(zs, Z_HEAD);
  if (tail == 0 || !lexGteMin(tail)) return 0;
  if (!lexLteMax(fwd(head, 0))) return 0;
  const level = load<u32>(zs, Z_LEVEL);
  let x = head;
  let rank: u32 = 0;
  for (let i = <i32>level - 1; i >= 0; i--) {
    const ui = <u32>i;
    while (fwd(x, ui) != 0 && !lexGteMin(fwd(x, ui))) {
      rank += span(x, ui);
      x = fwd(x, ui);
    }
  }
  x = fwd(x, 0);
  if (x == 0 || !lexLteMax(x)) return 0;
  const firstRank = rank;
  x = head;
  rank = 0;
  for (let i = <i32>level - 1; i >= 0; i--) {
    const ui = <u32>i;
    while (fwd(x, ui) != 0 && lexLteMax(fwd(x, ui))) {
      rank += span(x, ui);
      x = fwd(x, ui);
    }
  }
  if (x == head || !lexGteMin(x)) return 0;
  const lastRank = rank - 1;
  if (lastRank < firstRank) return 0;
  store<u32>(RES, firstRank, R_MISC);
  return lastRank - firstRank + 1;
}

// ---------------------------------------------------------------------------------------------
// Scan, clone, free

let zscanVisited: u32 = 0;
let zscanOom: bool = false;

function emitMember(x: u32): void {
  zscanVisited++;
  const ml = lenOf(x);
  const rs = align8(12 + ml);
  const w = outReserve(rs);
  if (w == 0) { zscanOom = true; return; }
  store<f64>(w, scoreOf(x));
  store<u32>(w, ml, 8);
  memory.copy(w + 12, x + NODE_HDR, ml);
  outCommit(rs);
}

/**
 * ZSCAN step: records like zsRangeOut. Small sets (what Redis keeps as a listpack) are returned
 * whole with cursor 0, as Redis does. RES misc = 1 on out-buffer OOM (cursor unchanged).
 */
export function zsScan(zs: u32, cursor: u32, count: u32): u32 {
  store<u32>(RES, 0, R_MISC);
  if (isSmall(zs)) {
    const n = zsRangeOut(zs, 0, load<u32>(zs, Z_LEN), 0);
    if (n < load<u32>(zs, Z_LEN)) { store<u32>(RES, 1, R_MISC); return cursor; }
    return 0;
  }
  outReset();
  zscanVisited = 0;
  zscanOom = false;
  let maxIter = count * 10;
  const start = cursor;
  do {
    cursor = dictScanStep(zs, cursor, emitMember);
  } while (cursor != 0 && maxIter-- > 0 && zscanVisited < count && !zscanOom);
  if (zscanOom) { store<u32>(RES, 1, R_MISC); return start; }
  return cursor;
}

/** Deep copy (COPY). 0 on OOM (nothing leaked). */
export function zsClone(zs: u32): u32 {
  const c = zsCreate();
  if (c == 0) return 0;
  let x = fwd(load<u32>(zs, Z_HEAD), 0);
  while (x != 0) {
    // zsAdd reads the member from scratch: insert directly instead.
    const ml = lenOf(x);
    const lvl = randomLevel();
    const n = newNode(lvl, scoreOf(x), x + NODE_HDR, ml);
    if (n == 0) { zsFreeAll(c); return 0; }
    store<u32>(n, load<u32>(x, 4), 4);
    if (!dictAdd(c, n)) { freeNode(n); zsFreeAll(c); return 0; }
    findUpdate(c, scoreOf(n), n + NODE_HDR, ml);
    linkNode(c, n);
    store<u32>(c, load<u32>(c, Z_NODEBYTES) + allocSize(nodeAllocSize(lvl, ml)), Z_NODEBYTES);
    x = fwd(x, 0);
  }
  store<u32>(c, load<u32>(zs, Z_MAXLEN), Z_MAXLEN);
  store<u32>(c, load<u32>(zs, Z_MAXCOUNT), Z_MAXCOUNT);
  return c;
}

/**
 * Free up to maxNodes nodes of a sorted set that is no longer referenced; the level-0 pointer of
 * the header serves as the cursor. Returns 1 while nodes remain; on the final call frees the dict
 * tables, the header node and the header, and returns 0.
 */
export function zsFreeSome(zs: u32, maxNodes: u32): i32 {
  const head = load<u32>(zs, Z_HEAD);
  let x = fwd(head, 0);
  while (x != 0 && maxNodes > 0) {
    const next = fwd(x, 0);
    freeNode(x);
    x = next;
    maxNodes--;
  }
  setFwd(head, 0, x);
  if (x != 0) return 1;
  dictFreeTables(zs);
  freeNode(head);
  free(zs, ZS_BYTES);
  return 0;
}

function zsFreeAll(zs: u32): void {
  while (zsFreeSome(zs, 0xffffffff) != 0) {}
}

// ---------------------------------------------------------------------------------------------
// For the packed small form (zsetpack.ts): conversion into a skip list.

/** Insert a member known to be absent, from [mp, mp+ml) anywhere in memory. False on OOM. */
export function zsInsertRaw(zs: u32, mp: u32, ml: u32, score: f64): bool {
  const lvl = randomLevel();
  const n = newNode(lvl, score, mp, ml);
  if (n == 0) return false;
  store<u32>(n, hashBytes(mp, ml), 4);
  if (!dictAdd(zs, n)) { freeNode(n); return false; }
  findUpdate(zs, score, n + NODE_HDR, ml);
  linkNode(zs, n);
  store<u32>(zs, load<u32>(zs, Z_NODEBYTES) + allocSize(nodeAllocSize(lvl, ml)), Z_NODEBYTES);
  markHighWater(zs, ml);
  return true;
}


/**
 * Every member from the greatest to the smallest (the RDB writer's ZSET_2 order), until fn
 * returns false: fn(member ptr, member len, score). Returns false when fn stopped it. O(n).
 */
export function zsForEachReverse(zs: u32, fn: (mp: u32, ml: u32, score: f64) => bool): bool {
  for (let x = load<u32>(zs, Z_TAIL); x != 0; x = load<u32>(x, N_BACK)) {
    if (!fn(x + NODE_HDR, load<u32>(x, N_LEN), load<f64>(x, N_SCORE))) return false;
  }
  return true;
}
/** The skip list is Redis's skiplist encoding whatever its size (ZSCAN walks the dict). */
export function zsForceBig(zs: u32): void {
  store<u32>(zs, 0xffffffff, Z_MAXCOUNT);
}

/** Free a whole skip list at once (a failed conversion). */
export function zsDestroy(zs: u32): void {
  zsFreeAll(zs);
}


// ---------------------------------------------------------------------------------------------
// Node walk for geo.ts (GEOSEARCH's box scans): the first node >= min, then level-0 successors.

/** The first node with a score >= min (zslFirstInRange's inclusive min), 0 when none. O(log n). */
export function zsFirstGte(zs: u32, min: f64): u32 {
  rMin = min;
  rMinEx = false;
  descendGteMin(zs);
  return fwd(load<u32>(UPDATE), 0);
}

// @ts-ignore: decorator
@inline export function zsNodeNext(x: u32): u32 { return fwd(x, 0); }
// @ts-ignore: decorator
@inline export function zsNodeScore(x: u32): f64 { return scoreOf(x); }
// @ts-ignore: decorator
@inline export function zsNodeLen(x: u32): u32 { return lenOf(x); }
// @ts-ignore: decorator
@inline export function zsNodeMember(x: u32): u32 { return x + NODE_HDR; }
