/**
 * JsZSet: the JavaScript sorted set (Redis t_zset.c "skiplist" encoding): a skip list ordered by
 * (score, member bytes) with span counts for O(log n) rank queries, plus a member -> node hash
 * (ShardedMap: no Map size cap and a Redis-style SCAN cursor).
 *
 * Invariants (as in t_zset.c):
 * - Nodes are ordered by score, then by member compared as unsigned bytes (memcmp, then length).
 *   Members are latin1 JS strings (one char per byte), so JS string comparison IS that order.
 *   Scores are never NaN. Members are unique (the hash is checked before inserting).
 * - header.forward[i].span[i] counts the level-0 steps from a node to its level-i successor; the
 *   span of the last node on a level counts the steps to the end of the list (so the sum of spans
 *   along any search path to a node is its 1-based rank).
 * - `level` is the highest level in use (>= 1); header levels above it are null with span 0.
 * - Level-0 `backward` pointers make the list doubly linked (reverse ranges); `tail` is the last node.
 * - `dict` maps every member to its node; dict.size === length.
 *
 * Complexity: add / delete / score update / rank / element-by-rank / first-in-range: O(log n)
 * expected; range visits O(log n + k); count by score or lex O(log n); scan step O(count).
 *
 * OBJECT ENCODING: Redis 7.0 starts small zsets as listpacks and converts them to skiplists, never
 * back, once an insert makes them longer than zset-max-listpack-entries or adds a member longer
 * than zset-max-listpack-value bytes. We record the largest size and the longest member ever
 * inserted, so `encoding(limits)` answers the same one-way way. Sets built from scratch (ZUNIONSTORE,
 * ZRANGESTORE...) therefore report what Redis's zsetConvertToListpackIfNeeded would give.
 */
import type { BulkValue, Bytes, EncodingLimits, LexRange, MemoryAccount, ScoreRange, TableStats, ZSetValue } from '../types';
import { SHARDED_MAP_STATS, ShardedMap } from '../hashing/sharded-map';

const MAX_LEVEL = 32;
/** Probability of one more level (ZSKIPLIST_P). */
const P = 0.25;
/** Estimated bytes per node beyond the member bytes (node object, arrays, dict slot). */
const NODE_OVERHEAD = 88;
const LEVEL_BYTES = 16;
const BASE_BYTES = 120;

class ZNode {
  backward: ZNode | null = null;
  readonly forward: (ZNode | null)[];
  readonly span: number[];
  constructor(
    public member: string,
    public score: number,
    level: number,
  ) {
    this.forward = new Array(level).fill(null);
    this.span = new Array(level).fill(0);
  }
}

function randomLevel(): number {
  let level = 1;
  while (level < MAX_LEVEL && Math.random() < P) level++;
  return level;
}

function nodeBytes(n: ZNode): number {
  return NODE_OVERHEAD + n.member.length + n.forward.length * LEVEL_BYTES;
}

/** (score, member) of a node is before (score, member). */
function before(n: ZNode, score: number, member: string): boolean {
  return n.score < score || (n.score === score && n.member < member);
}

function gteMin(v: number, r: ScoreRange): boolean {
  return r.minEx ? v > r.min : v >= r.min;
}
function lteMax(v: number, r: ScoreRange): boolean {
  return r.maxEx ? v < r.max : v <= r.max;
}

/** Lex bound as Redis's sdscmplex sees it: -inf / +inf sentinels or a member. */
function lexCmpBound(member: string, bound: string | null, inf: -1 | 0 | 1): number {
  if (inf === -1) return 1;
  if (inf === 1) return -1;
  const b = bound as string;
  return member < b ? -1 : member > b ? 1 : 0;
}
function lexGteMin(m: string, r: LexRangeS): boolean {
  const c = lexCmpBound(m, r.min, r.minInf);
  return r.minEx ? c > 0 : c >= 0;
}
function lexLteMax(m: string, r: LexRangeS): boolean {
  const c = lexCmpBound(m, r.max, r.maxInf);
  return r.maxEx ? c < 0 : c <= 0;
}

interface LexRangeS {
  min: string | null;
  minEx: boolean;
  minInf: -1 | 0 | 1;
  max: string | null;
  maxEx: boolean;
  maxInf: -1 | 0 | 1;
}

function toLexS(r: LexRange): LexRangeS {
  return {
    min: r.min === null ? null : r.min.latin1Slice(0, r.min.length),
    minEx: r.minEx,
    minInf: r.minInf,
    max: r.max === null ? null : r.max.latin1Slice(0, r.max.length),
    maxEx: r.maxEx,
    maxInf: r.maxInf,
  };
}

function key(b: Bytes): string {
  return b.latin1Slice(0, b.length);
}

export class JsZSet implements ZSetValue {
  readonly type = 'zset' as const;
  private readonly header = new ZNode('', 0, MAX_LEVEL);
  private tail: ZNode | null = null;
  private level = 1;
  private length = 0;
  private dict = new ShardedMap<ZNode>();
  private bytes = BASE_BYTES;
  private account: MemoryAccount | null = null;
  /** Largest size and longest member ever inserted (one-way listpack -> skiplist conversion). */
  private maxSize = 0;
  private maxMemberLen = 0;

  get size(): number {
    return this.length;
  }

  memoryUsage(): number {
    return this.bytes;
  }

  tableStats(): TableStats {
    return SHARDED_MAP_STATS;
  }

  attach(account: MemoryAccount | null): void {
    this.account = account;
  }

  private grow(delta: number): void {
    this.bytes += delta;
    if (this.account) this.account.bytes += delta;
  }

  encoding(limits: EncodingLimits): string {
    if (this.forcedSkiplist) return 'skiplist';
    return this.maxSize > limits.zsetMaxListpackEntries || this.maxMemberLen > limits.zsetMaxListpackValue ? 'skiplist' : 'listpack';
  }

  /** Set by SORT (zsetConvert to skiplist); kept by clone, as zsetDup keeps the encoding. */
  private forcedSkiplist = false;

  convertToSkiplist(): void {
    this.forcedSkiplist = true;
  }

  clone(): JsZSet {
    const z = new JsZSet();
    // Insert from the greatest to the smallest: every insert stops at the header (O(1)), as zsetDup.
    for (let n = this.tail; n !== null; n = n.backward) z.insertNew(n.member, n.score);
    z.maxSize = this.maxSize;
    z.forcedSkiplist = this.forcedSkiplist;
    z.maxMemberLen = this.maxMemberLen;
    return z;
  }

  score(member: Bytes): number | undefined {
    return this.dict.get(key(member))?.score;
  }

  add(member: Bytes, score: number): number | undefined {
    if (Number.isNaN(score)) throw new Error('zset: NaN score');
    const m = key(member);
    const node = this.dict.get(m);
    if (node === undefined) {
      this.insertNew(m, score);
      return undefined;
    }
    const old = node.score;
    if (old !== score) this.updateScore(node, score);
    else if (!Object.is(old, score)) node.score = score; // -0 <-> 0: same position
    return old;
  }

  delete(member: Bytes): boolean {
    const m = key(member);
    const node = this.dict.get(m);
    if (node === undefined) return false;
    this.dict.delete(m);
    this.unlink(node);
    this.grow(-nodeBytes(node));
    return true;
  }

  rank(member: Bytes, reverse: boolean): number {
    const m = key(member);
    const node = this.dict.get(m);
    if (node === undefined) return -1;
    const r = this.rankOf(node.score, m);
    return reverse ? this.length - r : r - 1;
  }

  rangeByRank(start: number, stop: number, reverse: boolean, visit: (member: BulkValue, score: number) => void): void {
    if (start < 0) start = 0;
    if (stop >= this.length) stop = this.length - 1;
    if (start > stop) return;
    let n = reverse ? this.byRank(this.length - start) : this.byRank(start + 1);
    for (let i = start; i <= stop && n !== null; i++) {
      const next: ZNode | null = reverse ? n.backward : n.forward[0];
      visit(n.member, n.score);
      n = next;
    }
  }

  rangeByScore(range: ScoreRange, reverse: boolean, offset: number, limit: number, visit: (member: BulkValue, score: number) => void): void {
    let n = reverse ? this.lastInRange(range) : this.firstInRange(range);
    while (n !== null && offset > 0) {
      n = reverse ? n.backward : n.forward[0];
      offset--;
    }
    while (n !== null && limit !== 0) {
      if (reverse ? !gteMin(n.score, range) : !lteMax(n.score, range)) break;
      const next: ZNode | null = reverse ? n.backward : n.forward[0];
      visit(n.member, n.score);
      n = next;
      if (limit > 0) limit--;
    }
  }

  rangeByLex(range: LexRange, reverse: boolean, offset: number, limit: number, visit: (member: BulkValue, score: number) => void): void {
    const r = toLexS(range);
    let n = reverse ? this.lastInLex(r) : this.firstInLex(r);
    while (n !== null && offset > 0) {
      n = reverse ? n.backward : n.forward[0];
      offset--;
    }
    while (n !== null && limit !== 0) {
      if (reverse ? !lexGteMin(n.member, r) : !lexLteMax(n.member, r)) break;
      const next: ZNode | null = reverse ? n.backward : n.forward[0];
      visit(n.member, n.score);
      n = next;
      if (limit > 0) limit--;
    }
  }

  countByScore(range: ScoreRange): number {
    const first = this.firstInRange(range);
    if (first === null) return 0;
    const last = this.lastInRange(range) as ZNode;
    return this.rankOf(last.score, last.member) - this.rankOf(first.score, first.member) + 1;
  }

  countByLex(range: LexRange): number {
    const r = toLexS(range);
    const first = this.firstInLex(r);
    if (first === null) return 0;
    const last = this.lastInLex(r) as ZNode;
    return this.rankOf(last.score, last.member) - this.rankOf(first.score, first.member) + 1;
  }

  scan(cursor: number, count: number, visit: (member: BulkValue, score: number) => void): number {
    return this.dict.scan(cursor, count, (m, n) => visit(m, n.score));
  }

  forEach(visit: (member: BulkValue, score: number) => void): void {
    for (let n = this.header.forward[0]; n !== null; ) {
      const next: ZNode | null = n.forward[0];
      visit(n.member, n.score);
      n = next;
    }
  }

  // ---- skip list internals (zslInsert, zslDeleteNode, zslUpdateScore, zslGetRank...) ----

  private insertNew(m: string, score: number): void {
    const node = this.insert(score, m);
    this.dict.set(m, node);
    if (this.length > this.maxSize) this.maxSize = this.length;
    if (m.length > this.maxMemberLen) this.maxMemberLen = m.length;
    this.grow(nodeBytes(node));
  }

  private insert(score: number, m: string): ZNode {
    const update: ZNode[] = new Array(MAX_LEVEL);
    const rank: number[] = new Array(MAX_LEVEL);
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      rank[i] = i === this.level - 1 ? 0 : rank[i + 1];
      let f = x.forward[i];
      while (f !== null && before(f, score, m)) {
        rank[i] += x.span[i];
        x = f;
        f = x.forward[i];
      }
      update[i] = x;
    }
    const level = randomLevel();
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rank[i] = 0;
        update[i] = this.header;
        this.header.span[i] = this.length;
      }
      this.level = level;
    }
    const n = new ZNode(m, score, level);
    for (let i = 0; i < level; i++) {
      n.forward[i] = update[i].forward[i];
      update[i].forward[i] = n;
      n.span[i] = update[i].span[i] - (rank[0] - rank[i]);
      update[i].span[i] = rank[0] - rank[i] + 1;
    }
    for (let i = level; i < this.level; i++) update[i].span[i]++;
    n.backward = update[0] === this.header ? null : update[0];
    const f0 = n.forward[0];
    if (f0 !== null) f0.backward = n;
    else this.tail = n;
    this.length++;
    return n;
  }

  /** Update vector (predecessors on every level) of an existing node. */
  private predecessors(score: number, m: string): ZNode[] {
    const update: ZNode[] = new Array(this.level);
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = x.forward[i];
      while (f !== null && before(f, score, m)) {
        x = f;
        f = x.forward[i];
      }
      update[i] = x;
    }
    return update;
  }

  private deleteNode(x: ZNode, update: ZNode[]): void {
    for (let i = 0; i < this.level; i++) {
      if (update[i].forward[i] === x) {
        update[i].span[i] += x.span[i] - 1;
        update[i].forward[i] = x.forward[i];
      } else update[i].span[i] -= 1;
    }
    const f0 = x.forward[0];
    if (f0 !== null) f0.backward = x.backward;
    else this.tail = x.backward;
    while (this.level > 1 && this.header.forward[this.level - 1] === null) {
      this.header.span[this.level - 1] = 0;
      this.level--;
    }
    this.length--;
  }

  private unlink(node: ZNode): void {
    this.deleteNode(node, this.predecessors(node.score, node.member));
  }

  private updateScore(node: ZNode, score: number): void {
    const prev = node.backward;
    const next = node.forward[0];
    // Same position after the update: change the score in place (zslUpdateScore).
    if ((prev === null || prev.score < score) && (next === null || next.score > score)) {
      node.score = score;
      return;
    }
    this.unlink(node);
    const bytes = nodeBytes(node);
    const fresh = this.insert(score, node.member);
    this.dict.set(node.member, fresh);
    this.grow(nodeBytes(fresh) - bytes);
  }

  /** 1-based rank of an existing (score, member), 0 when absent (zslGetRank). */
  private rankOf(score: number, m: string): number {
    let rank = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = x.forward[i];
      while (f !== null && (f.score < score || (f.score === score && f.member <= m))) {
        rank += x.span[i];
        x = f;
        f = x.forward[i];
      }
      if (x !== this.header && x.member === m) return rank;
    }
    return 0;
  }

  /** Node at 1-based rank, or null (zslGetElementByRank). */
  private byRank(rank: number): ZNode | null {
    if (rank < 1 || rank > this.length) return null;
    if (rank === 1) return this.header.forward[0];
    if (rank === this.length) return this.tail;
    let traversed = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = x.forward[i];
      while (f !== null && traversed + x.span[i] <= rank) {
        traversed += x.span[i];
        x = f;
        f = x.forward[i];
      }
      if (traversed === rank) return x;
    }
    return null;
  }

  private isInRange(r: ScoreRange): boolean {
    if (r.min > r.max || (r.min === r.max && (r.minEx || r.maxEx))) return false;
    const t = this.tail;
    if (t === null || !gteMin(t.score, r)) return false;
    const h = this.header.forward[0];
    if (h === null || !lteMax(h.score, r)) return false;
    return true;
  }

  private firstInRange(r: ScoreRange): ZNode | null {
    if (!this.isInRange(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = x.forward[i];
      while (f !== null && !gteMin(f.score, r)) {
        x = f;
        f = x.forward[i];
      }
    }
    const n = x.forward[0];
    return n !== null && lteMax(n.score, r) ? n : null;
  }

  private lastInRange(r: ScoreRange): ZNode | null {
    if (!this.isInRange(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = x.forward[i];
      while (f !== null && lteMax(f.score, r)) {
        x = f;
        f = x.forward[i];
      }
    }
    return x !== this.header && gteMin(x.score, r) ? x : null;
  }

  private isInLex(r: LexRangeS): boolean {
    // sdscmplex(min, max) with the -inf / +inf sentinels.
    let cmp: number;
    if (r.minInf !== 0 || r.maxInf !== 0) {
      const a = r.minInf === 0 ? 0 : r.minInf;
      const b = r.maxInf === 0 ? 0 : r.maxInf;
      if (a === b) cmp = 0;
      else if (a === -1 || b === 1) cmp = -1;
      else cmp = 1;
    } else cmp = (r.min as string) < (r.max as string) ? -1 : (r.min as string) > (r.max as string) ? 1 : 0;
    if (cmp > 0 || (cmp === 0 && (r.minEx || r.maxEx))) return false;
    const t = this.tail;
    if (t === null || !lexGteMin(t.member, r)) return false;
    const h = this.header.forward[0];
    if (h === null || !lexLteMax(h.member, r)) return false;
    return true;
  }

  private firstInLex(r: LexRangeS): ZNode | null {
    if (!this.isInLex(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = x.forward[i];
      while (f !== null && !lexGteMin(f.member, r)) {
        x = f;
        f = x.forward[i];
      }
    }
    const n = x.forward[0];
    return n !== null && lexLteMax(n.member, r) ? n : null;
  }

  private lastInLex(r: LexRangeS): ZNode | null {
    if (!this.isInLex(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = x.forward[i];
      while (f !== null && lexLteMax(f.member, r)) {
        x = f;
        f = x.forward[i];
      }
    }
    return x !== this.header && lexGteMin(x.member, r) ? x : null;
  }

  /**
   * Test hook: checks every invariant (order, spans, backward links, tail, level, dict) and
   * throws on the first violation. O(n * levels).
   */
  checkInvariants(): void {
    const fail = (msg: string): never => {
      throw new Error('JsZSet invariant: ' + msg);
    };
    // Level-0 walk: order, backward links, ranks.
    const rankOfNode = new Map<ZNode, number>();
    let prev: ZNode | null = null;
    let count = 0;
    for (let n = this.header.forward[0]; n !== null; n = n.forward[0]) {
      count++;
      rankOfNode.set(n, count);
      if (n.backward !== prev) fail(`backward link at rank ${count}`);
      if (prev !== null && !before(prev, n.score, n.member)) fail(`order at rank ${count}`);
      if (Number.isNaN(n.score)) fail('NaN score');
      if (this.dict.get(n.member) !== n) fail(`dict entry of ${JSON.stringify(n.member)}`);
      if (n.forward.length > this.level) fail('node level above list level');
      prev = n;
    }
    if (count !== this.length) fail(`length ${this.length} vs ${count} nodes`);
    if (this.dict.size !== this.length) fail(`dict size ${this.dict.size} vs length ${this.length}`);
    if (this.tail !== prev) fail('tail');
    if (this.level > 1 && this.header.forward[this.level - 1] === null) fail('level too high');
    for (let i = this.level; i < MAX_LEVEL; i++) if (this.header.forward[i] !== null) fail(`header level ${i} above list level`);
    // Spans on every level.
    for (let i = 0; i < this.level; i++) {
      let x: ZNode = this.header;
      let r = 0;
      for (;;) {
        const f = x.forward[i];
        const target = f === null ? this.length : (rankOfNode.get(f) as number);
        if (f !== null && f.forward.length <= i) fail(`node linked on level ${i} it does not have`);
        if (f === null) {
          if (x !== this.header && x.span[i] !== target - r) fail(`last span on level ${i}`);
          break;
        }
        if (x.span[i] !== target - r) fail(`span on level ${i} at rank ${r}: ${x.span[i]} vs ${target - r}`);
        r = target;
        x = f;
      }
    }
  }
}
