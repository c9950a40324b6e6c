/**
 * ZSkipList: the big form of the JavaScript sorted set (Redis t_zset.c "skiplist" encoding): a skip
 * list ordered by (score, member bytes) with span counts for O(log n) rank queries, plus a member ->
 * node hash (ShardedMap: no Map size cap and a Redis-style SCAN cursor). JsZSet (zset.ts) moves a
 * set here once it outgrows its flat small form.
 *
 * Node layout (few objects per node): level 0 is inline (`next`, `backward`; a level-0 span is
 * always 1, so it is not stored); levels 1.. live in ONE array `up` interleaving forward links and
 * spans: up[2i-2] = forward on level i, up[2i-1] = span on level i. A level-1 node (3 in 4) has
 * no array at all (up === null). The header's `up` grows with the list level, never shrinks.
 *
 * Invariants (as in t_zset.c):
 * - Nodes are ordered by score, then by member compared as unsigned bytes (memcmp, then length).
 *   Members are latin1 JS strings (one char per byte), so JS string comparison IS that order.
 *   Scores are never NaN. Members are unique (the hash is checked before inserting).
 * - The span on level i >= 1 counts the level-0 steps from a node to its level-i successor; the
 *   span of the last node on a level counts the steps to the end of the list (so the sum of spans
 *   along any search path to a node is its 1-based rank).
 * - `level` is the highest level in use (>= 1); header levels above it are null with span 0.
 * - `backward` pointers make level 0 doubly linked (reverse ranges); `tail` is the last node.
 * - `dict` maps every member to its node; dict.size === length.
 * - UPD (the module-level update vector reused by every insert/delete) holds no node between
 *   calls, so a dropped list is not kept reachable through it.
 *
 * Complexity: insert / delete / score update / rank / element-by-rank / first-in-range: O(log n)
 * expected; range visits O(log n + k); scan step O(count).
 */
import type { LexRange, ScoreRange } from '../types';
import { ShardedMap } from '../hashing/sharded-map';

export const MAX_LEVEL = 32;
/** Probability of one more level (ZSKIPLIST_P). */
const P = 0.25;
/** Estimated bytes per node beyond the member bytes and its levels (node object, string header, dict slot). */
const NODE_OVERHEAD = 150;
/** Bytes per level above 0 (link + span), and the array's own header when a node has one. */
const LEVEL_BYTES = 16;
const UP_ARRAY_BYTES = 48;
/** The list object, header node and an empty ShardedMap. */
export const SKIPLIST_BASE_BYTES = 400;

export class ZNode {
  member: string;
  score: number;
  backward: ZNode | null;
  /** Level-0 successor. */
  next: ZNode | null;
  /** Levels 1..: [forward1, span1, forward2, span2, ...]; null for a level-1 node. */
  up: (ZNode | null | number)[] | null;
  constructor(member: string, score: number, level: number) {
    this.member = member;
    this.score = score;
    this.backward = null;
    this.next = null;
    if (level > 1) {
      const up: (ZNode | null | number)[] = new Array(2 * (level - 1));
      for (let i = 0; i < up.length; i += 2) {
        up[i] = null;
        up[i + 1] = 0;
      }
      this.up = up;
    } else this.up = null;
  }
}

function nodeLevel(n: ZNode): number {
  return n.up === null ? 1 : (n.up.length >> 1) + 1;
}

function nodeBytes(n: ZNode): number {
  return NODE_OVERHEAD + n.member.length + (n.up === null ? 0 : UP_ARRAY_BYTES + n.up.length * (LEVEL_BYTES >> 1));
}

/** Forward link of x on level i (x has that level). */
function fwd(x: ZNode, i: number): ZNode | null {
  return i === 0 ? x.next : ((x.up as (ZNode | null | number)[])[2 * i - 2] as ZNode | null);
}
/** Span of x on level i >= 1. */
function spanOf(x: ZNode, i: number): number {
  return (x.up as (ZNode | null | number)[])[2 * i - 1] as number;
}

function randomLevel(): number {
  let level = 1;
  while (level < MAX_LEVEL && Math.random() < P) level++;
  return level;
}

/** (score, member) of a node is before (score, member). */
export function before(n: ZNode, score: number, member: string): boolean {
  return n.score < score || (n.score === score && n.member < member);
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

/** Update vector and ranks reused by every insert and delete; UPD is cleared after each use. */
const UPD: (ZNode | null)[] = new Array<ZNode | null>(MAX_LEVEL).fill(null);
const RANK: number[] = new Array<number>(MAX_LEVEL).fill(0);

export class ZSkipList {
  private readonly header = new ZNode('', 0, 1);
  tail: ZNode | null = null;
  private level = 1;
  length = 0;
  readonly dict = new ShardedMap<ZNode>();
  /** Bytes of the nodes (not SKIPLIST_BASE_BYTES). */
  bytes = 0;

  constructor() {
    this.header.up = [];
  }

  get first(): ZNode | null {
    return this.header.next;
  }

  get(m: string): ZNode | undefined {
    return this.dict.get(m);
  }

  /** Insert a member known to be absent. */
  insertNew(m: string, score: number): ZNode {
    const n = new ZNode(m, score, randomLevel());
    this.insertNode(n);
    this.dict.set(m, n);
    this.bytes += nodeBytes(n);
    return n;
  }

  delete(n: ZNode): void {
    this.dict.delete(n.member);
    this.unlink(n);
    this.bytes -= nodeBytes(n);
  }

  /** Change the score of a node (zslUpdateScore): in place when its position holds, else moved. */
  updateScore(n: ZNode, score: number): void {
    const prev = n.backward;
    const next = n.next;
    if ((prev === null || prev.score < score) && (next === null || next.score > score)) {
      n.score = score;
      return;
    }
    // The same node object is unlinked and relinked at its new place (its level is kept): no
    // allocation and no dict update.
    this.unlink(n);
    n.score = score;
    this.insertNode(n);
  }

  /** Link node n (its level given by its `up` array) at its place (zslInsert). */
  private insertNode(n: ZNode): void {
    const score = n.score;
    const m = n.member;
    const header = this.header;
    let x = header;
    let rank = 0;
    for (let i = this.level - 1; i >= 1; i--) {
      let u = x.up as (ZNode | null | number)[];
      let f = u[2 * i - 2] as ZNode | null;
      while (f !== null && (f.score < score || (f.score === score && f.member < m))) {
        rank += u[2 * i - 1] as number;
        x = f;
        u = x.up as (ZNode | null | number)[];
        f = u[2 * i - 2] as ZNode | null;
      }
      RANK[i] = rank;
      UPD[i] = x;
    }
    let f = x.next;
    while (f !== null && (f.score < score || (f.score === score && f.member < m))) {
      rank++;
      x = f;
      f = x.next;
    }
    const level = nodeLevel(n);
    if (level > this.level) {
      const hu = header.up as (ZNode | null | number)[];
      while (hu.length < 2 * (level - 1)) hu.push(null, 0);
      for (let i = this.level; i < level; i++) {
        RANK[i] = 0;
        UPD[i] = header;
        hu[2 * i - 1] = this.length;
      }
      this.level = level;
    }
    // Level 0.
    n.next = x.next;
    x.next = n;
    n.backward = x === header ? null : x;
    if (n.next !== null) n.next.backward = n;
    else this.tail = n;
    // Levels 1..level-1.
    const nu = n.up;
    if (nu !== null) {
      for (let i = 1; i < level; i++) {
        const u = (UPD[i] as ZNode).up as (ZNode | null | number)[];
        nu[2 * i - 2] = u[2 * i - 2];
        u[2 * i - 2] = n;
        nu[2 * i - 1] = (u[2 * i - 1] as number) - (rank - RANK[i]);
        u[2 * i - 1] = rank - RANK[i] + 1;
      }
    }
    for (let i = level; i < this.level; i++) {
      const u = (UPD[i] as ZNode).up as (ZNode | null | number)[];
      u[2 * i - 1] = (u[2 * i - 1] as number) + 1;
    }
    for (let i = 1; i < this.level; i++) UPD[i] = null;
    this.length++;
  }

  /** Unlink node x (zslDeleteNode after the search for its predecessors). */
  private unlink(x: ZNode): void {
    const score = x.score;
    const m = x.member;
    const header = this.header;
    let p = header;
    for (let i = this.level - 1; i >= 1; i--) {
      let u = p.up as (ZNode | null | number)[];
      let f = u[2 * i - 2] as ZNode | null;
      while (f !== null && (f.score < score || (f.score === score && f.member < m))) {
        p = f;
        u = p.up as (ZNode | null | number)[];
        f = u[2 * i - 2] as ZNode | null;
      }
      if (f === x) {
        const xu = x.up as (ZNode | null | number)[];
        u[2 * i - 1] = (u[2 * i - 1] as number) + (xu[2 * i - 1] as number) - 1;
        u[2 * i - 2] = xu[2 * i - 2];
      } else u[2 * i - 1] = (u[2 * i - 1] as number) - 1;
    }
    // Level 0: the predecessor is the backward link.
    const prev = x.backward;
    const next = x.next;
    if (prev === null) header.next = next;
    else prev.next = next;
    if (next !== null) next.backward = prev;
    else this.tail = prev;
    x.next = null;
    x.backward = null;
    const hu = header.up as (ZNode | null | number)[];
    while (this.level > 1 && hu[2 * (this.level - 1) - 2] === null) {
      hu[2 * (this.level - 1) - 1] = 0;
      this.level--;
    }
    this.length--;
  }

  /** 1-based rank of an existing (score, member), 0 when absent (zslGetRank). */
  rankOf(score: number, m: string): number {
    let rank = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 1; i--) {
      let u = x.up as (ZNode | null | number)[];
      let f = u[2 * i - 2] as ZNode | null;
      while (f !== null && (f.score < score || (f.score === score && f.member <= m))) {
        rank += u[2 * i - 1] as number;
        x = f;
        u = x.up as (ZNode | null | number)[];
        f = u[2 * i - 2] as ZNode | null;
      }
      if (x !== this.header && x.member === m) return rank;
    }
    let f = x.next;
    while (f !== null && (f.score < score || (f.score === score && f.member <= m))) {
      rank++;
      x = f;
      f = x.next;
    }
    return x !== this.header && x.member === m ? rank : 0;
  }

  /** Node at 1-based rank, or null (zslGetElementByRank). */
  byRank(rank: number): ZNode | null {
    if (rank < 1 || rank > this.length) return null;
    if (rank === 1) return this.header.next;
    if (rank === this.length) return this.tail;
    let traversed = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 1; i--) {
      let f = fwd(x, i);
      while (f !== null && traversed + spanOf(x, i) <= rank) {
        traversed += spanOf(x, i);
        x = f;
        f = fwd(x, i);
      }
      if (traversed === rank) return x;
    }
    while (traversed < rank && x.next !== null) {
      x = x.next;
      traversed++;
    }
    return traversed === rank ? x : null;
  }

  private isInRange(r: ScoreRange): boolean {
    if (scoreRangeEmpty(r)) return false;
    const t = this.tail;
    if (t === null || !gteMin(t.score, r)) return false;
    const h = this.header.next;
    if (h === null || !lteMax(h.score, r)) return false;
    return true;
  }

  firstInRange(r: ScoreRange): ZNode | null {
    if (!this.isInRange(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = fwd(x, i);
      while (f !== null && !gteMin(f.score, r)) {
        x = f;
        f = fwd(x, i);
      }
    }
    const n = x.next;
    return n !== null && lteMax(n.score, r) ? n : null;
  }

  lastInRange(r: ScoreRange): ZNode | null {
    if (!this.isInRange(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = fwd(x, i);
      while (f !== null && lteMax(f.score, r)) {
        x = f;
        f = fwd(x, i);
      }
    }
    return x !== this.header && gteMin(x.score, r) ? x : null;
  }

  private isInLex(r: LexRangeS): boolean {
    if (lexRangeEmpty(r)) return false;
    const t = this.tail;
    if (t === null || !lexGteMin(t.member, r)) return false;
    const h = this.header.next;
    if (h === null || !lexLteMax(h.member, r)) return false;
    return true;
  }

  firstInLex(r: LexRangeS): ZNode | null {
    if (!this.isInLex(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = fwd(x, i);
      while (f !== null && !lexGteMin(f.member, r)) {
        x = f;
        f = fwd(x, i);
      }
    }
    const n = x.next;
    return n !== null && lexLteMax(n.member, r) ? n : null;
  }

  lastInLex(r: LexRangeS): ZNode | null {
    if (!this.isInLex(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = fwd(x, i);
      while (f !== null && lexLteMax(f.member, r)) {
        x = f;
        f = fwd(x, i);
      }
    }
    return x !== this.header && lexGteMin(x.member, r) ? x : null;
  }

  /** Throws on the first violated invariant (see the header comment). O(n * levels). */
  checkInvariants(fail: (msg: string) => never): void {
    const rankOfNode = new Map<ZNode, number>();
    let prev: ZNode | null = null;
    let count = 0;
    let bytes = 0;
    for (let n = this.header.next; n !== null; n = n.next) {
      count++;
      rankOfNode.set(n, count);
      if (n.backward !== prev) fail(`backward link at rank ${count}`);
      if (prev !== null && !before(prev, n.score, n.member)) fail(`order at rank ${count}`);
      if (Number.isNaN(n.score)) fail('NaN score');
      if (this.dict.get(n.member) !== n) fail(`dict entry of ${JSON.stringify(n.member)}`);
      if (nodeLevel(n) > this.level) fail('node level above list level');
      if (n.up !== null && (n.up.length === 0 || n.up.length % 2 !== 0)) fail('node up array length');
      bytes += nodeBytes(n);
      prev = n;
    }
    if (count !== this.length) fail(`length ${this.length} vs ${count} nodes`);
    if (this.dict.size !== this.length) fail(`dict size ${this.dict.size} vs length ${this.length}`);
    if (this.tail !== prev) fail('tail');
    if (bytes !== this.bytes) fail(`bytes ${this.bytes} vs ${bytes}`);
    const hu = this.header.up as (ZNode | null | number)[];
    if (hu.length < 2 * (this.level - 1)) fail('header shorter than the list level');
    if (this.level > 1 && hu[2 * (this.level - 1) - 2] === null) fail('level too high');
    for (let i = this.level; 2 * i - 2 < hu.length; i++) {
      if (hu[2 * i - 2] !== null || hu[2 * i - 1] !== 0) fail(`header level ${i} above list level`);
    }
    for (const u of UPD) if (u !== null) fail('update vector keeps a node');
    // Spans on every level >= 1 (level-0 spans are 1 by construction).
    for (let i = 1; i < this.level; i++) {
      let x: ZNode = this.header;
      let r = 0;
      for (;;) {
        const f = fwd(x, i);
        const target = f === null ? this.length : (rankOfNode.get(f) as number);
        if (f !== null && target === undefined) fail(`level ${i} links a node not on level 0`);
        if (f !== null && nodeLevel(f) <= i) fail(`node linked on level ${i} it does not have`);
        if (f === null) {
          if (x !== this.header && spanOf(x, i) !== target - r) fail(`last span on level ${i}`);
          break;
        }
        if (spanOf(x, i) !== target - r) fail(`span on level ${i} at rank ${r}: ${spanOf(x, i)} vs ${target - r}`);
        r = target;
        x = f;
      }
    }
  }
}
