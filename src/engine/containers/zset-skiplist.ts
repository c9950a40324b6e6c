/**
 * ZSkipList: the big form of the JavaScript sorted set (Redis t_zset.c "skiplist" encoding): a skip
 * list ordered by (score, member bytes) with span counts for O(log n) rank queries, plus a member ->
 * node index (linear hashing, Redis-style SCAN cursor). JsZSet (zset.ts) moves a set here once it
 * outgrows its flat small form.
 *
 * Layout: a node is a block of the list's own typed-array pool, named by its offset (a number,
 * NIL = -1 for none): no JS object per node, only its member string (in `members`, by node id).
 * The offset b is an even word (4-byte) index; the links are BEFORE b (as the wasm engine's nodes,
 * assembly/skiplist.ts) so that the fields are at fixed offsets whatever the level and a node's low
 * levels share a cache line with its score:
 *   b-2-2i forward node on level i (NIL at the end), b-1-2i its span (levels >= 1; level-0 spans
 *   are 1, that slot is unused), for 0 <= i < level;
 *   b+0..1 score (float64, exactly as given: -0 kept); b+2..5 the member's first 16 bytes as 4
 *   big-endian words (zero padded, top bit flipped so int32 order is byte order); b+6 member
 *   length; b+7 node id (members[id] is the member; the next free block of the same level while
 *   free); b+8 level; b+9 the next node in the member index's bucket; b+10 the member's hash
 *   (hashKey); b+11 the level-0 predecessor (NIL for the first node).
 * A search step reads one block (score and member prefix beside the links) where a node object, its
 * boxed score, its member string and its links array were four memory reads (and the collector has
 * one object per member to trace instead of four): members of up to 16
 * bytes compare without their string (equal zero-padded prefixes: the shorter is first, as memcmp
 * then length does), longer ones with equal prefixes compare their strings. The header is the first
 * block of the pool (MAX_LEVEL levels, no node). Freed blocks go on a free list per level; the pool
 * doubles when full and never shrinks (memoryUsage counts it whole: a set emptied down to a few
 * members keeps its largest pool until it is deleted).
 * The member index chains blocks in buckets by the member's hash, grown and shrunk one bucket at a
 * time by linear hashing (linear-hashing.ts: one member per bucket on average, as a Redis dict), so
 * SCAN has dictScan's cursor and guarantee. findBytes looks a member up from its bytes (hash, length,
 * prefix words; the string only past 16 bytes): ZADD, GEOADD and ZSCORE build no string for a member
 * that is there.
 *
 * Invariants (as in t_zset.c):
 * - Nodes are ordered by score, then by member compared as unsigned bytes (memcmp, then length).
 *   Members are latin1 JS strings (one char per byte), so JS string comparison IS that order.
 *   Scores are never NaN. Members are unique (the hash is checked before inserting).
 * - A node's block holds its member's prefix words, length and hash; level-0 forward and backward
 *   links describe the same order; freed ids hold ''.
 * - The span on level i >= 1 counts the level-0 steps from a node to its level-i successor; the
 *   span of the last node on a level counts the steps to the end of the list (so the sum of spans
 *   along any search path to a node is its 1-based rank).
 * - `level` is the highest level in use (>= 1); header levels above it are NIL with span 0.
 * - Backward links make level 0 doubly linked (reverse ranges); `tail` is the last node.
 * - Every node's block is in exactly one index bucket, lh.bucket(its hash); the buckets hold
 *   `length` blocks; nBuckets === 2^lh.level + lh.split; length === the live entries of `members`.
 *
 * Complexity: insert / delete / score update / rank / element-by-rank / first-in-range: O(log n)
 * expected; member lookup O(1); range visits O(log n + k); scan step O(count); a pool or bucket-head
 * array doubling O(n) (a copy, no rehash), amortized O(1).
 */
import type { HashTableStats, LexRange, ScoreRange } from '../types';
import { LinearHashing } from '../hashing/linear-hashing';
import { hashKey } from '../hashing/sharded-map';

export const MAX_LEVEL = 32;
/** Probability of one more level (ZSKIPLIST_P). */
const P = 0.25;
/** Estimated bytes per member beyond its bytes (string header, its `members` slot); its block is counted in the pool's size. */
const NODE_OVERHEAD = 40;
/** Words of a new list's pool and slots of its first bucket-head array (in SKIPLIST_BASE_BYTES). */
const POOL_WORDS = 4096;
const HEADS = 16;
/** The list object, its arrays, its first pool (POOL_WORDS) and bucket heads. */
export const SKIPLIST_BASE_BYTES = 400 + 4 * 4096 + 4 * 16;

/** Block fields (word offsets from a block's start), the end-of-level link and the header block. */
const B_P = 2;
const B_LEN = 6;
const B_ID = 7;
const B_LEVEL = 8;
/** The next block in the member index's bucket (NIL: last), and the member's hash (hashKey, as int32). */
const B_CHAIN = 9;
const B_HASH = 10;
/** The level-0 predecessor (NIL for the first node). */
const B_BACK = 11;
/** No node. */
export const NIL = -1;
/** Level i's forward link is at b + B_LINKS - 2i, its span right after it (links before the block's fields). */
const B_LINKS = -2;
/** The header block (MAX_LEVEL levels, at the start of the pool). */
const HEADER = 2 * MAX_LEVEL;

/** Words of a block of `level` levels (even). */
function blockWords(level: number): number {
  return 12 + 2 * level;
}

function nodeBytes(member: string): number {
  return NODE_OVERHEAD + member.length;
}

function randomLevel(): number {
  let level = 1;
  while (level < MAX_LEVEL && Math.random() < P) level++;
  return level;
}

/**
 * Word k (0..3) of a member's zero-padded 16-byte prefix, big-endian, with its top bit flipped so
 * that int32 order is the bytes' unsigned order.
 */
function prefixWord(m: string, k: number): number {
  const n = m.length;
  let w = 0;
  for (let j = 4 * k; j < 4 * k + 4; j++) w = (w << 8) | (j < n ? m.charCodeAt(j) : 0);
  return w ^ 0x80000000;
}

/** hashKey (sharded-map.ts) of the latin1 string of bytes[off, off + n), computed on the bytes. */
function hashBytes(b: Uint8Array, off: number, n: number): number {
  let h = 0x811c9dc5;
  if (n <= 128) {
    for (let i = off; i < off + n; i++) h = Math.imul(h ^ b[i], 0x01000193);
  } else {
    for (let i = off; i < off + 64; i++) h = Math.imul(h ^ b[i], 0x01000193);
    for (let i = off + n - 64; i < off + n; i++) h = Math.imul(h ^ b[i], 0x01000193);
    h = Math.imul(h ^ n, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

/** prefixWord of the bytes[off, off + n) member. */
function prefixWordBytes(b: Uint8Array, off: number, n: number, k: number): number {
  let w = 0;
  for (let j = 4 * k; j < 4 * k + 4; j++) w = (w << 8) | (j < n ? b[off + j] : 0);
  return w ^ 0x80000000;
}

/** Bytes 16.. of member m equal b[off + 16, off + n) (m.length === n). */
function sameTail(m: string, b: Uint8Array, off: number, n: number): boolean {
  for (let j = 16; j < n; j++) if (m.charCodeAt(j) !== b[off + j]) return false;
  return true;
}

/** The (score, member) searched for (setKey), compared with blocks by ZSkipList.cmp: typed arrays, so reading them costs no boxed number. */
const KEY_SCORE = new Float64Array(1);
/** Prefix words 0..3 (flipped as in blocks), then the length. */
const KEY = new Int32Array(5);
let KSTR = '';
function setKey(score: number, m: string): void {
  KEY_SCORE[0] = score;
  KSTR = m;
  KEY[0] = prefixWord(m, 0);
  KEY[1] = prefixWord(m, 1);
  KEY[2] = prefixWord(m, 2);
  KEY[3] = prefixWord(m, 3);
  KEY[4] = m.length;
}

/** (score, member) of a node is before (score, member). */
export function before(s1: number, m1: string, score: number, member: string): boolean {
  return s1 < score || (s1 === score && m1 < member);
}

export function gteMin(v: number, r: ScoreRange): boolean {
  return r.minEx ? v > r.min : v >= r.min;
}
export function lteMax(v: number, r: ScoreRange): boolean {
  return r.maxEx ? v < r.max : v <= r.max;
}

/** A LexRange with its bounds as latin1 strings. */
export interface LexRangeS {
  min: string | null;
  minEx: boolean;
  minInf: -1 | 0 | 1;
  max: string | null;
  maxEx: boolean;
  maxInf: -1 | 0 | 1;
}

export function toLexS(r: LexRange): LexRangeS {
  return {
    min: r.min === null ? null : r.min.latin1Slice(0, r.min.length),
    minEx: r.minEx,
    minInf: r.minInf,
    max: r.max === null ? null : r.max.latin1Slice(0, r.max.length),
    maxEx: r.maxEx,
    maxInf: r.maxInf,
  };
}

/** Lex bound as Redis's sdscmplex sees it: -inf / +inf sentinels or a member. */
function lexCmpBound(member: string, bound: string | null, inf: -1 | 0 | 1): number {
  if (inf === -1) return 1;
  if (inf === 1) return -1;
  const b = bound as string;
  return member < b ? -1 : member > b ? 1 : 0;
}
export function lexGteMin(m: string, r: LexRangeS): boolean {
  const c = lexCmpBound(m, r.min, r.minInf);
  return r.minEx ? c > 0 : c >= 0;
}
export function lexLteMax(m: string, r: LexRangeS): boolean {
  const c = lexCmpBound(m, r.max, r.maxInf);
  return r.maxEx ? c < 0 : c <= 0;
}

/** The range can hold something at all (zslIsInRange's first test). */
export function scoreRangeEmpty(r: ScoreRange): boolean {
  return r.min > r.max || (r.min === r.max && (r.minEx || r.maxEx));
}

/** sdscmplex(min, max) with the -inf / +inf sentinels says the range is empty. */
export function lexRangeEmpty(r: LexRangeS): boolean {
  let cmp: number;
  if (r.minInf !== 0 || r.maxInf !== 0) {
    const a = r.minInf;
    const b = r.maxInf;
    if (a === b) cmp = 0;
    else if (a === -1 || b === 1) cmp = -1;
    else cmp = 1;
  } else cmp = (r.min as string) < (r.max as string) ? -1 : (r.min as string) > (r.max as string) ? 1 : 0;
  return cmp > 0 || (cmp === 0 && (r.minEx || r.maxEx));
}


/** Update vector (blocks) and ranks reused by every insert and delete; UPD2/RANK2: a score update's new position (findPair). */
const UPD = new Int32Array(MAX_LEVEL);
const RANK = new Float64Array(MAX_LEVEL);
const UPD2 = new Int32Array(MAX_LEVEL);
const RANK2 = new Float64Array(MAX_LEVEL);

export class ZSkipList {
  /** The pool: one buffer, two views. */
  private f64: Float64Array;
  private i32: Int32Array;
  /** Words in use from the start of the pool (free blocks included). */
  private top: number;
  /** Head of each level's free-block list (NIL: none). */
  private readonly free = new Int32Array(MAX_LEVEL + 1).fill(NIL);
  /** Members by node id ('' in a freed slot); freed ids are reused. */
  private readonly members: string[] = [];
  private readonly freeIds: number[] = [];
  /** The last node (NIL when empty). */
  tail = NIL;
  private level = 1;
  length = 0;
  /**
   * The member index: buckets of blocks chained through B_CHAIN, by linear hashing on the member's
   * hash (one bucket split per insert past one member per bucket on average, one merge per delete
   * below a quarter: never a whole rehash); heads[i] is bucket i's first block.
   */
  private heads = new Int32Array(HEADS).fill(NIL);
  private readonly lh = new LinearHashing();
  private nBuckets = 1;
  /**
   * Bytes beyond SKIPLIST_BASE_BYTES: the members (nodeBytes) plus the pool and bucket heads past
   * their first size (the pool keeps its size when members go, and is counted so).
   */
  bytes = 0;

  constructor() {
    const buf = new ArrayBuffer(4 * POOL_WORDS);
    this.f64 = new Float64Array(buf);
    this.i32 = new Int32Array(buf);
    const h = this.i32;
    h[HEADER + B_LEVEL] = MAX_LEVEL;
    h[HEADER + B_ID] = NIL;
    for (let i = 0; i < MAX_LEVEL; i++) {
      h[HEADER + B_LINKS - 2 * i] = NIL;
      h[HEADER + B_LINKS - 2 * i + 1] = 0;
    }
    this.top = blockWords(MAX_LEVEL);
  }

  // ---- nodes (blocks) ----

  /** The first node, NIL when empty. */
  get first(): number {
    return this.i32[HEADER + B_LINKS];
  }

  /** The node after n (level 0), NIL at the end. */
  next(n: number): number {
    return this.i32[n + B_LINKS];
  }

  /** The node before n, NIL at the start. */
  prev(n: number): number {
    return this.i32[n + B_BACK];
  }

  member(n: number): string {
    return this.members[this.i32[n + B_ID]];
  }

  score(n: number): number {
    return this.f64[n >> 1];
  }

  /** The node of member m, or NIL. */
  get(m: string): number {
    const h = hashKey(m) | 0;
    const n = m.length;
    const i32 = this.i32;
    for (let b = this.heads[this.lh.bucket(h)]; b !== NIL; b = i32[b + B_CHAIN]) {
      if (i32[b + B_HASH] === h && i32[b + B_LEN] === n && this.members[i32[b + B_ID]] === m) return b;
    }
    return NIL;
  }

  /**
   * The node of the member whose bytes are b[off, off + n), or NIL: found from the bytes (hash,
   * length and 16-byte prefix in the block; the string only beyond 16 bytes), so a lookup builds no
   * string.
   */
  findBytes(b: Uint8Array, off: number, n: number): number {
    const h = hashBytes(b, off, n) | 0;
    const i32 = this.i32;
    let blk = this.heads[this.lh.bucket(h)];
    if (blk === NIL) return NIL;
    const w0 = prefixWordBytes(b, off, n, 0);
    const w1 = prefixWordBytes(b, off, n, 1);
    const w2 = prefixWordBytes(b, off, n, 2);
    const w3 = prefixWordBytes(b, off, n, 3);
    for (; blk !== NIL; blk = i32[blk + B_CHAIN]) {
      if (i32[blk + B_HASH] !== h || i32[blk + B_LEN] !== n) continue;
      if (i32[blk + B_P] !== w0 || i32[blk + B_P + 1] !== w1 || i32[blk + B_P + 2] !== w2 || i32[blk + B_P + 3] !== w3) continue;
      if (n <= 16 || sameTail(this.members[i32[blk + B_ID]], b, off, n)) return blk;
    }
    return NIL;
  }

  /** A score equal to the node's (0 <-> -0): same place, stored as given. */
  setSameScore(n: number, score: number): void {
    this.f64[n >> 1] = score;
  }

  /** Block b's (score, member) against the key set by setKey: < 0 before, 0 same, > 0 after. */
  private cmp(b: number): number {
    return this.cmpScore(b, KEY_SCORE[0]);
  }

  /** cmp against the key's member with score ks. */
  private cmpScore(b: number, ks: number): number {
    const s = this.f64[b >> 1];
    if (s !== ks) return s < ks ? -1 : 1;
    const i32 = this.i32;
    // Differences of int32s, exact as numbers.
    let d = i32[b + B_P] - KEY[0];
    if (d !== 0) return d;
    d = i32[b + B_P + 1] - KEY[1];
    if (d !== 0) return d;
    d = i32[b + B_P + 2] - KEY[2];
    if (d !== 0) return d;
    d = i32[b + B_P + 3] - KEY[3];
    if (d !== 0) return d;
    const len = i32[b + B_LEN];
    const klen = KEY[4];
    if (len <= 16 || klen <= 16) return len - klen;
    const m = this.members[i32[b + B_ID]];
    return m < KSTR ? -1 : m > KSTR ? 1 : 0;
  }

  // ---- the member index ----

  private indexInsert(b: number): void {
    const i = this.lh.bucket(this.i32[b + B_HASH]);
    this.i32[b + B_CHAIN] = this.heads[i];
    this.heads[i] = b;
    if (this.length > this.nBuckets) this.splitBucket();
  }

  private indexRemove(b: number): void {
    const i32 = this.i32;
    const i = this.lh.bucket(i32[b + B_HASH]);
    let p = this.heads[i];
    if (p === b) this.heads[i] = i32[b + B_CHAIN];
    else {
      while (i32[p + B_CHAIN] !== b) p = i32[p + B_CHAIN];
      i32[p + B_CHAIN] = i32[b + B_CHAIN];
    }
    if (this.nBuckets > 1 && this.length < this.nBuckets / 4) this.mergeBucket();
  }

  /** LinearHashing's split of bucket `split`: its blocks with the split bit set move to a new last bucket. */
  private splitBucket(): void {
    const i32 = this.i32;
    const bit = this.lh.splitBit;
    const src = this.lh.split;
    const dst = this.nBuckets;
    if (dst >= this.heads.length) {
      const heads = new Int32Array(this.heads.length * 2).fill(NIL);
      heads.set(this.heads);
      this.bytes += 4 * this.heads.length;
      this.heads = heads;
    }
    let stay = NIL;
    let move = NIL;
    for (let b = this.heads[src]; b !== NIL; ) {
      const next = i32[b + B_CHAIN];
      if (i32[b + B_HASH] & bit) {
        i32[b + B_CHAIN] = move;
        move = b;
      } else {
        i32[b + B_CHAIN] = stay;
        stay = b;
      }
      b = next;
    }
    this.heads[src] = stay;
    this.heads[dst] = move;
    this.nBuckets++;
    this.lh.didSplit();
  }

  /** LinearHashing's merge: the last bucket's blocks go back to the bucket it was split from. */
  private mergeBucket(): void {
    const i32 = this.i32;
    const into = this.lh.willMerge();
    const last = --this.nBuckets;
    for (let b = this.heads[last]; b !== NIL; ) {
      const next = i32[b + B_CHAIN];
      i32[b + B_CHAIN] = this.heads[into];
      this.heads[into] = b;
      b = next;
    }
    this.heads[last] = NIL;
  }

  /** DEBUG HTSTATS-KEY: the member index's chains, counted as dict.c's _dictGetStatsHt. O(buckets + members). */
  stats(): HashTableStats {
    const VECTLEN = 50;
    const chains: number[] = new Array(VECTLEN).fill(0);
    let slots = 0;
    let maxChain = 0;
    for (let i = 0; i < this.nBuckets; i++) {
      let n = 0;
      for (let b = this.heads[i]; b !== NIL; b = this.i32[b + B_CHAIN]) n++;
      chains[n < VECTLEN ? n : VECTLEN - 1]++;
      if (n > 0) slots++;
      if (n > maxChain) maxChain = n;
    }
    return { size: this.nBuckets, used: this.length, slots, maxChain, totalChain: this.length, chains };
  }

  /**
   * One SCAN step (LinearHashing.scan over the buckets: about one member each, as a Redis dict):
   * Redis's reverse-binary cursor and its guarantee. Returns the next cursor, 0 when done. The
   * visitor must not insert or delete.
   */
  scan(cursor: number, count: number, visit: (member: string, score: number) => void): number {
    const i32 = this.i32;
    return this.lh.scan(cursor, count, this.nBuckets, (phys, idx, mask, filter) => {
      let k = 0;
      for (let b = this.heads[phys]; b !== NIL; b = i32[b + B_CHAIN]) {
        if (filter && (i32[b + B_HASH] & mask) >>> 0 !== idx) continue;
        visit(this.members[i32[b + B_ID]], this.f64[b >> 1]);
        k++;
      }
      return k;
    });
  }

  // ---- the pool ----

  /** A block of `level` levels, its links NIL and spans 0 (from the free list or the pool's end). */
  private allocBlock(level: number): number {
    let b = this.free[level];
    if (b !== NIL) this.free[level] = this.i32[b + B_ID];
    else {
      const words = blockWords(level);
      if (this.top + words > this.i32.length) this.growPool(this.top + words);
      b = this.top + 2 * level;
      this.top += words;
    }
    const i32 = this.i32;
    i32[b + B_LEVEL] = level;
    for (let i = 0; i < level; i++) {
      i32[b + B_LINKS - 2 * i] = NIL;
      i32[b + B_LINKS - 2 * i + 1] = 0;
    }
    return b;
  }

  private growPool(words: number): void {
    let cap = this.i32.length * 2;
    while (cap < words) cap *= 2;
    const buf = new ArrayBuffer(4 * cap);
    new Int32Array(buf).set(this.i32.subarray(0, this.top));
    this.bytes += 4 * (cap - this.i32.length);
    this.f64 = new Float64Array(buf);
    this.i32 = new Int32Array(buf);
  }

  // ---- the list ----

  /** Insert a member known to be absent; returns its node. */
  insertNew(m: string, score: number): number {
    const level = randomLevel();
    const b = this.allocBlock(level);
    const id = this.freeIds.length > 0 ? (this.freeIds.pop() as number) : this.members.length;
    if (id === this.members.length) this.members.push(m);
    else this.members[id] = m;
    const i32 = this.i32;
    this.f64[b >> 1] = score;
    i32[b + B_P] = prefixWord(m, 0);
    i32[b + B_P + 1] = prefixWord(m, 1);
    i32[b + B_P + 2] = prefixWord(m, 2);
    i32[b + B_P + 3] = prefixWord(m, 3);
    i32[b + B_LEN] = m.length;
    i32[b + B_ID] = id;
    i32[b + B_HASH] = hashKey(m) | 0;
    this.insertNode(b);
    this.indexInsert(b);
    this.bytes += nodeBytes(m);
    return b;
  }

  /** Remove node n; n is invalid afterwards. */
  delete(n: number): void {
    this.unlink(n);
    this.indexRemove(n);
    const i32 = this.i32;
    const level = i32[n + B_LEVEL];
    const id = i32[n + B_ID];
    this.bytes -= nodeBytes(this.members[id]);
    this.members[id] = '';
    this.freeIds.push(id);
    i32[n + B_ID] = this.free[level];
    this.free[level] = n;
  }

  /**
   * Change the score of a node (zslUpdateScore): in place when its position holds, else moved.
   * Redis descends to the old position, deletes, then descends again to insert; here both
   * positions are found in one interleaved pass over the list as it is (findPair, as the wasm
   * engine's findUpdatePair, assembly/skiplist.ts), then the new position's path is corrected for
   * the node's removal: a predecessor that is the node itself becomes the node's own predecessor
   * at that level, and ranks after the node drop by one.
   */
  updateScore(n: number, score: number): void {
    const i32 = this.i32;
    const f64 = this.f64;
    const prev = i32[n + B_BACK];
    const next = i32[n + B_LINKS];
    if ((prev === NIL || f64[prev >> 1] < score) && (next === NIL || f64[next >> 1] > score)) {
      f64[n >> 1] = score;
      return;
    }
    // The same block (its level kept) is unlinked and relinked at its new place.
    setKey(f64[n >> 1], this.members[i32[n + B_ID]]);
    this.findPair(score);
    const level = this.level;
    const xr = RANK[0] + 1; // n's rank (1-based)
    for (let i = 0; i < level; i++) {
      if (UPD2[i] === n) {
        UPD2[i] = UPD[i];
        RANK2[i] = RANK[i];
      } else if (RANK2[i] > xr) RANK2[i]--;
    }
    this.unlinkAt(n);
    f64[n >> 1] = score;
    this.link(n, UPD2, RANK2);
  }

  /**
   * The search paths of the key set by setKey (into UPD/RANK: the last block strictly before it
   * on each level, and its rank) and of the same member with score s2 (into UPD2/RANK2), stepped
   * in turn: two independent chains of dependent loads, so that on a list larger than the cache
   * a miss of each is in flight at once.
   */
  private findPair(s2: number): void {
    const i32 = this.i32;
    const s1 = KEY_SCORE[0];
    let x1 = HEADER;
    let x2 = HEADER;
    let i1 = this.level - 1;
    let i2 = i1;
    let r1 = 0;
    let r2 = 0;
    while (i1 >= 0 || i2 >= 0) {
      if (i1 >= 0) {
        const at = B_LINKS - 2 * i1;
        const f = i32[x1 + at];
        if (f !== NIL && this.cmpScore(f, s1) < 0) {
          r1 += i1 === 0 ? 1 : i32[x1 + at + 1];
          x1 = f;
        } else {
          UPD[i1] = x1;
          RANK[i1] = r1;
          i1--;
        }
      }
      if (i2 >= 0) {
        const at = B_LINKS - 2 * i2;
        const f = i32[x2 + at];
        if (f !== NIL && this.cmpScore(f, s2) < 0) {
          r2 += i2 === 0 ? 1 : i32[x2 + at + 1];
          x2 = f;
        } else {
          UPD2[i2] = x2;
          RANK2[i2] = r2;
          i2--;
        }
      }
    }
  }

  /** Unlink block b given UPD, its predecessors on every level (zslDeleteNode); the block is kept. */
  private unlinkAt(b: number): void {
    const i32 = this.i32;
    for (let i = 1; i < this.level; i++) {
      const at = B_LINKS - 2 * i;
      const p = UPD[i];
      if (i32[p + at] === b) {
        i32[p + at + 1] += i32[b + at + 1] - 1;
        i32[p + at] = i32[b + at];
      } else i32[p + at + 1]--;
    }
    this.unlinkLevel0(b);
  }

  /** Link block b (filled in) at its place (zslInsert). */
  private insertNode(b: number): void {
    const i32 = this.i32;
    setKey(this.f64[b >> 1], this.members[i32[b + B_ID]]);
    let x = HEADER;
    let rank = 0;
    for (let i = this.level - 1; i >= 1; i--) {
      const at = B_LINKS - 2 * i;
      let f = i32[x + at];
      while (f !== NIL && this.cmp(f) < 0) {
        rank += i32[x + at + 1];
        x = f;
        f = i32[x + at];
      }
      RANK[i] = rank;
      UPD[i] = x;
    }
    let f = i32[x + B_LINKS];
    while (f !== NIL && this.cmp(f) < 0) {
      rank++;
      x = f;
      f = i32[x + B_LINKS];
    }
    RANK[0] = rank;
    UPD[0] = x;
    this.link(b, UPD, RANK);
  }

  /** Link block b at the place upd/rank describe (each level's predecessor and its rank). */
  private link(b: number, upd: Int32Array, ranks: Float64Array): void {
    const i32 = this.i32;
    const level = i32[b + B_LEVEL];
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        ranks[i] = 0;
        upd[i] = HEADER;
        i32[HEADER + B_LINKS - 2 * i + 1] = this.length;
      }
      this.level = level;
    }
    // Level 0, both ways.
    const x = upd[0];
    const f = i32[x + B_LINKS];
    const rank = ranks[0];
    i32[b + B_LINKS] = f;
    i32[x + B_LINKS] = b;
    i32[b + B_BACK] = x === HEADER ? NIL : x;
    if (f !== NIL) i32[f + B_BACK] = b;
    else this.tail = b;
    // Levels 1..level-1.
    for (let i = 1; i < level; i++) {
      const at = B_LINKS - 2 * i;
      const u = upd[i];
      i32[b + at] = i32[u + at];
      i32[u + at] = b;
      i32[b + at + 1] = i32[u + at + 1] - (rank - ranks[i]);
      i32[u + at + 1] = rank - ranks[i] + 1;
    }
    for (let i = level; i < this.level; i++) i32[upd[i] + B_LINKS - 2 * i + 1]++;
    this.length++;
  }

  /** Unlink block b (zslDeleteNode after the search for its predecessors); the block is kept. */
  private unlink(b: number): void {
    const i32 = this.i32;
    setKey(this.f64[b >> 1], this.members[i32[b + B_ID]]);
    let p = HEADER;
    for (let i = this.level - 1; i >= 1; i--) {
      const at = B_LINKS - 2 * i;
      let f = i32[p + at];
      while (f !== NIL && f !== b && this.cmp(f) < 0) {
        p = f;
        f = i32[p + at];
      }
      if (f === b) {
        i32[p + at + 1] += i32[b + at + 1] - 1;
        i32[p + at] = i32[b + at];
      } else i32[p + at + 1]--;
    }
    this.unlinkLevel0(b);
  }

  /** unlink's level 0 (the predecessor is the backward link), the list's level and length. */
  private unlinkLevel0(b: number): void {
    const i32 = this.i32;
    const prev = i32[b + B_BACK];
    const next = i32[b + B_LINKS];
    i32[(prev === NIL ? HEADER : prev) + B_LINKS] = next;
    if (next !== NIL) i32[next + B_BACK] = prev;
    else this.tail = prev;
    while (this.level > 1 && i32[HEADER + B_LINKS - 2 * (this.level - 1)] === NIL) {
      i32[HEADER + B_LINKS - 2 * (this.level - 1) + 1] = 0;
      this.level--;
    }
    this.length--;
  }

  /** 1-based rank of an existing (score, member), 0 when absent (zslGetRank). */
  rankOf(score: number, m: string): number {
    const i32 = this.i32;
    setKey(score, m);
    let rank = 0;
    let x = HEADER;
    // Returns on stepping onto the block equal to the key (Redis checks x's member after each level).
    for (let i = this.level - 1; i >= 1; i--) {
      const at = B_LINKS - 2 * i;
      let f = i32[x + at];
      while (f !== NIL) {
        const c = this.cmp(f);
        if (c > 0) break;
        rank += i32[x + at + 1];
        if (c === 0) return rank;
        x = f;
        f = i32[x + at];
      }
    }
    let f = i32[x + B_LINKS];
    while (f !== NIL) {
      const c = this.cmp(f);
      if (c > 0) break;
      rank++;
      if (c === 0) return rank;
      f = i32[f + B_LINKS];
    }
    return 0;
  }

  /** Node at 1-based rank, or NIL (zslGetElementByRank). */
  byRank(rank: number): number {
    if (rank < 1 || rank > this.length) return NIL;
    if (rank === 1) return this.first;
    if (rank === this.length) return this.tail;
    const i32 = this.i32;
    let traversed = 0;
    let x = HEADER;
    for (let i = this.level - 1; i >= 1; i--) {
      const at = B_LINKS - 2 * i;
      let f = i32[x + at];
      while (f !== NIL && traversed + i32[x + at + 1] <= rank) {
        traversed += i32[x + at + 1];
        x = f;
        f = i32[x + at];
      }
      if (traversed === rank) return x;
    }
    while (traversed < rank && i32[x + B_LINKS] !== NIL) {
      x = i32[x + B_LINKS];
      traversed++;
    }
    return traversed === rank && x !== HEADER ? x : NIL;
  }

  private isInRange(r: ScoreRange): boolean {
    if (scoreRangeEmpty(r)) return false;
    const t = this.tail;
    if (t === NIL || !gteMin(this.f64[t >> 1], r)) return false;
    const h = this.first;
    if (h === NIL || !lteMax(this.f64[h >> 1], r)) return false;
    return true;
  }

  firstInRange(r: ScoreRange): number {
    if (!this.isInRange(r)) return NIL;
    const i32 = this.i32;
    const f64 = this.f64;
    let x = HEADER;
    for (let i = this.level - 1; i >= 0; i--) {
      const at = B_LINKS - 2 * i;
      let f = i32[x + at];
      while (f !== NIL && !gteMin(f64[f >> 1], r)) {
        x = f;
        f = i32[x + at];
      }
    }
    const b = i32[x + B_LINKS];
    return b !== NIL && lteMax(f64[b >> 1], r) ? b : NIL;
  }

  lastInRange(r: ScoreRange): number {
    if (!this.isInRange(r)) return NIL;
    const i32 = this.i32;
    const f64 = this.f64;
    let x = HEADER;
    for (let i = this.level - 1; i >= 0; i--) {
      const at = B_LINKS - 2 * i;
      let f = i32[x + at];
      while (f !== NIL && lteMax(f64[f >> 1], r)) {
        x = f;
        f = i32[x + at];
      }
    }
    return x !== HEADER && gteMin(f64[x >> 1], r) ? x : NIL;
  }

  private isInLex(r: LexRangeS): boolean {
    if (lexRangeEmpty(r)) return false;
    const t = this.tail;
    if (t === NIL || !lexGteMin(this.member(t), r)) return false;
    const h = this.first;
    if (h === NIL || !lexLteMax(this.member(h), r)) return false;
    return true;
  }

  firstInLex(r: LexRangeS): number {
    if (!this.isInLex(r)) return NIL;
    const i32 = this.i32;
    let x = HEADER;
    for (let i = this.level - 1; i >= 0; i--) {
      const at = B_LINKS - 2 * i;
      let f = i32[x + at];
      while (f !== NIL && !lexGteMin(this.member(f), r)) {
        x = f;
        f = i32[x + at];
      }
    }
    const b = i32[x + B_LINKS];
    return b !== NIL && lexLteMax(this.member(b), r) ? b : NIL;
  }

  lastInLex(r: LexRangeS): number {
    if (!this.isInLex(r)) return NIL;
    const i32 = this.i32;
    let x = HEADER;
    for (let i = this.level - 1; i >= 0; i--) {
      const at = B_LINKS - 2 * i;
      let f = i32[x + at];
      while (f !== NIL && lexLteMax(this.member(f), r)) {
        x = f;
        f = i32[x + at];
      }
    }
    return x !== HEADER && lexGteMin(this.member(x), r) ? x : NIL;
  }

  /** Throws on the first violated invariant (see the header comment). O(n * levels). */
  checkInvariants(fail: (msg: string) => never): void {
    const i32 = this.i32;
    const f64 = this.f64;
    const rankOfBlock = new Map<number, number>();
    let prev = NIL;
    let count = 0;
    let bytes = 0;
    for (let n = this.first; n !== NIL; n = i32[n + B_LINKS]) {
      count++;
      rankOfBlock.set(n, count);
      const m = this.member(n);
      const score = f64[n >> 1];
      if (i32[n + B_BACK] !== prev) fail(`backward link at rank ${count}`);
      if (prev !== NIL && !before(f64[prev >> 1], this.member(prev), score, m)) fail(`order at rank ${count}`);
      if (Number.isNaN(score)) fail('NaN score');
      for (let k = 0; k < 4; k++) if (i32[n + B_P + k] !== prefixWord(m, k)) fail(`block prefix at rank ${count}`);
      if (i32[n + B_LEN] !== m.length) fail(`block length at rank ${count}`);
      if (i32[n + B_HASH] !== (hashKey(m) | 0)) fail(`block hash at rank ${count}`);
      if (this.get(m) !== n) fail(`index entry of ${JSON.stringify(m)}`);
      if (this.findBytes(Buffer.from(m, 'latin1'), 0, m.length) !== n) fail(`findBytes of ${JSON.stringify(m)}`);
      const level = i32[n + B_LEVEL];
      if (level < 1 || level > this.level) fail('node level out of range');
      bytes += nodeBytes(m);
      prev = n;
    }
    if (count !== this.length) fail(`length ${this.length} vs ${count} nodes`);
    if (this.members.length - this.freeIds.length !== this.length) fail('live node ids vs length');
    for (const id of this.freeIds) if (this.members[id] !== '') fail('a freed id keeps its member');
    if (this.tail !== prev) fail('tail');
    bytes += 4 * (i32.length - POOL_WORDS) + 4 * (this.heads.length - HEADS);
    if (bytes !== this.bytes) fail(`bytes ${this.bytes} vs ${bytes}`);
    let indexed = 0;
    if (this.nBuckets !== (1 << this.lh.level) + this.lh.split) fail('bucket count');
    for (let i = 0; i < this.heads.length; i++) {
      for (let b = this.heads[i]; b !== NIL; b = i32[b + B_CHAIN]) {
        if (i >= this.nBuckets || this.lh.bucket(i32[b + B_HASH]) !== i) fail(`block in bucket ${i}`);
        if (!rankOfBlock.has(b)) fail(`index bucket ${i} holds a block not in the list`);
        indexed++;
      }
    }
    if (indexed !== this.length) fail(`index holds ${indexed} blocks vs length ${this.length}`);
    if (this.level > 1 && i32[HEADER + B_LINKS - 2 * (this.level - 1)] === NIL) fail('level too high');
    for (let i = this.level; i < MAX_LEVEL; i++) {
      if (i32[HEADER + B_LINKS - 2 * i] !== NIL || i32[HEADER + B_LINKS - 2 * i + 1] !== 0) fail(`header level ${i} above list level`);
    }
    // Spans on every level >= 1 (level-0 spans are 1 by construction).
    for (let i = 1; i < this.level; i++) {
      const at = B_LINKS - 2 * i;
      let x = HEADER;
      let r = 0;
      for (;;) {
        const f = i32[x + at];
        const target = f === NIL ? this.length : (rankOfBlock.get(f) as number);
        if (f !== NIL && target === undefined) fail(`level ${i} links a node not on level 0`);
        if (f !== NIL && i32[f + B_LEVEL] <= i) fail(`node linked on level ${i} it does not have`);
        if (f === NIL) {
          if (x !== HEADER && i32[x + at + 1] !== target - r) fail(`last span on level ${i}`);
          break;
        }
        if (i32[x + at + 1] !== target - r) fail(`span on level ${i} at rank ${r}: ${i32[x + at + 1]} vs ${target - r}`);
        r = target;
        x = f;
      }
    }
  }
}
