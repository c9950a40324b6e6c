/**
 * JsZSet: the JavaScript sorted set, in two forms (as Redis t_zset.c's listpack and skiplist):
 *
 * - small: two flat parallel arrays sorted by (score, member bytes): `members` (latin1 strings)
 *   and `scores` (numbers). Member lookup is a linear scan (at most SMALL_MAX_ENTRIES members),
 *   positions by binary search on (score, member); no skip list, no hash. Lex ranges and counts
 *   walk linearly from the ends as Redis's zzlFirstInLexRange/zzlLastInLexRange do, so their
 *   answers match a listpack even when scores differ. ZSCAN gets everything with cursor 0.
 * - big: a ZSkipList (zset-skiplist.ts): skip list with spans plus a member -> node hash.
 *
 * A set starts small and moves, one way, to the big form when an insert would make it longer than
 * SMALL_MAX_ENTRIES or adds a member longer than SMALL_MAX_VALUE bytes. These are the defaults of
 * zset-max-listpack-entries / -value: the representation is fixed, the OBJECT ENCODING answer is
 * not (below), so with default limits the two agree.
 *
 * Invariants:
 * - Exactly one form: (members, scores) non-null with equal capacities (array lengths) holding
 *   `n` entries, slots past n holding '' (no stale member kept alive), or `sl` non-null.
 * - small: strictly ascending by (score, member) (member compared as unsigned bytes, which JS
 *   string order is on latin1 strings), no NaN, length <= SMALL_MAX_ENTRIES, every member
 *   <= SMALL_MAX_VALUE bytes. big: see zset-skiplist.ts.
 * - bytes === the sum memoryUsage() describes; an attached account received every change.
 *
 * Complexity: small: lookup O(n) (n <= 128), insert/delete O(n) moves, ranges O(log n + k);
 * big: as the skip list (O(log n) expected).
 *
 * OBJECT ENCODING: Redis 7.0 starts small zsets as listpacks and converts them to skiplists, never
 * back, once an insert makes them longer than zset-max-listpack-entries or adds a member longer
 * than zset-max-listpack-value bytes. We record the largest size and the longest member ever
 * inserted, so `encoding(limits)` answers the same one-way way. Sets built from scratch (ZUNIONSTORE,
 * ZRANGESTORE...) therefore report what Redis's zsetConvertToListpackIfNeeded would give. The
 * limits are those of the last insert (settleEncoding, called by ZADD's and the STOREs' command
 * code): a CONFIG SET changes the answer only from the next insert on, as in Redis.
 */
import type { BulkValue, Bytes, EncodingLimits, LexRange, MemoryAccount, PoppedElement, ScoreRange, TableStats, ZSetValue } from '../types';
import {
  gteMin,
  lexGteMin,
  lexLteMax,
  lexRangeEmpty,
  lteMax,
  scoreRangeEmpty,
  SKIPLIST_BASE_BYTES,
  toLexS,
  NIL,
  ZSkipList,
  type LexRangeS,
} from './zset-skiplist';
import { latin1Slice } from '../js-map/key-table';

/** The small form holds at most this many members (zset-max-listpack-entries' default)... */
export const SMALL_MAX_ENTRIES = 128;
/** ...of at most this many bytes (zset-max-listpack-value's default). */
export const SMALL_MAX_VALUE = 64;

/** The JsZSet object itself. */
const OBJECT_BYTES = 104;
/** Small form: the two arrays' headers. */
const SMALL_ARRAYS_BYTES = 96;
/** Small form per member beyond its bytes: string header, array slot, score slot. */
const SMALL_ENTRY_BYTES = 36;

/** Shared capacity-0 arrays of a new set (never written: any insert first grows). */
const EMPTY_MEMBERS: string[] = [];
const EMPTY_SCORES: number[] = [];
/** Padding appended when a small form grows: packed arrays of '' and of doubles. */
const MEMBER_PAD: string[][] = [];
const SCORE_PAD: number[][] = [];
for (let k = 0; k <= SMALL_MAX_ENTRIES; k++) {
  MEMBER_PAD.push(Array.from({ length: k }, () => ''));
  SCORE_PAD.push(Array.from({ length: k }, () => 0.5));
}

/** Capacity after `cap` (about +25%, at most SMALL_MAX_ENTRIES). */
function nextCap(cap: number): number {
  return Math.min(SMALL_MAX_ENTRIES, cap + (cap >> 2) + 1);
}

function key(b: Bytes): string {
  return b.latin1Slice(0, b.length);
}

/** JsZSet.addAt's results. */
export const ADD_NONE = 0;
export const ADD_ADDED = 1;
export const ADD_UPDATED = 2;

/** DEBUG HTSTATS-KEY of a sorted set still in its small form (no table to describe). */
const NO_TABLE_STATS = 'No stats available: the sorted set is not kept in a hash table';

export class JsZSet implements ZSetValue {
  readonly type = 'zset' as const;
  /**
   * Small form (null when big): members and their scores, sorted by (score, member), in slots
   * [0, n). The arrays are exactly their capacity long (slots from n on hold '' and 0), grown and
   * shrunk by copying, so a small set carries little slack (a pushed-to JS array keeps >= 16 slots).
   */
  private members: string[] | null = EMPTY_MEMBERS;
  private scores: number[] | null = EMPTY_SCORES;
  private n = 0;
  /** Big form (null when small). */
  private sl: ZSkipList | null = null;
  private bytes = OBJECT_BYTES + SMALL_ARRAYS_BYTES;
  private account: MemoryAccount | null = null;
  /** Largest size and longest member ever inserted (one-way listpack -> skiplist conversion). */
  private maxSize = 0;
  private maxMemberLen = 0;
  /** Set by SORT (zsetConvert to skiplist); kept by clone, as zsetDup keeps the encoding. */
  private forcedSkiplist = false;
  /**
   * zset-max-listpack-entries and -value in force when the encoding was last decided
   * (settleEncoding), which encoding() then reads instead of the current ones; -1 before.
   */
  private settledEntries = -1;
  private settledValue = -1;

  get size(): number {
    return this.members !== null ? this.n : (this.sl as ZSkipList).length;
  }

  memoryUsage(): number {
    return this.bytes;
  }

  tableStats(): TableStats {
    return this.sl === null ? NO_TABLE_STATS : [this.sl.stats()];
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
    return this.wasSkiplist(limits.zsetMaxListpackEntries, limits.zsetMaxListpackValue) ? 'skiplist' : 'listpack';
  }

  /** The high-water marks against the settled limits (or, never settled, these). */
  private wasSkiplist(maxEntries: number, maxValue: number): boolean {
    if (this.settledEntries >= 0) {
      maxEntries = this.settledEntries;
      maxValue = this.settledValue;
    }
    return this.maxSize > maxEntries || this.maxMemberLen > maxValue;
  }

  /**
   * ZSetValue.settleEncoding: skiplist when it already was one, or when the set is now longer
   * than `limits` allow or a member just inserted is. Settled before (and so a listpack then,
   * else forcedSkiplist): only the inserts since, made under the limits in force now, count (its
   * high-water marks include them, and would be read against the old limits). Never settled: its
   * marks against these limits. Staying a listpack, the marks restart from the set as it is.
   */
  settleEncoding(maxEntries: number, maxValue: number, insertedMaxLen: number): void {
    if (!this.forcedSkiplist) {
      const was = this.settledEntries < 0 && (this.maxSize > maxEntries || this.maxMemberLen > maxValue);
      if (was || this.size > maxEntries || insertedMaxLen > maxValue) this.forcedSkiplist = true;
      else {
        this.maxSize = this.size;
        this.maxMemberLen = Math.min(this.maxMemberLen, maxValue);
      }
    }
    this.settledEntries = maxEntries;
    this.settledValue = maxValue;
  }

  convertToSkiplist(): void {
    this.forcedSkiplist = true;
  }

  /**
   * The small form's members, sorted, in slots [0, size), and smallScores their scores; null
   * when big. For a loop reading them in place (the js-map RDB stage, js-map/rdb-save.ts: no
   * call per member). Valid until the set changes.
   */
  get smallMembers(): readonly string[] | null {
    return this.members;
  }

  get smallScores(): readonly number[] | null {
    return this.scores;
  }

  /** True while the set is in its small (flat arrays) form; for tests. */
  isSmall(): boolean {
    return this.members !== null;
  }

  clone(): JsZSet {
    const z = new JsZSet();
    if (this.members !== null) {
      z.members = this.n === 0 ? EMPTY_MEMBERS : this.members.slice(0, this.n);
      z.scores = this.n === 0 ? EMPTY_SCORES : (this.scores as number[]).slice(0, this.n);
      z.n = this.n;
      z.bytes = this.bytes;
    } else {
      const sl = this.sl as ZSkipList;
      z.toBig();
      const zl = z.sl as ZSkipList;
      // Insert from the greatest to the smallest: every insert stops at the header (O(1)), as zsetDup.
      for (let n = sl.tail; n !== NIL; n = sl.prev(n)) zl.insertNew(sl.member(n), sl.score(n));
      z.bytes = OBJECT_BYTES + SKIPLIST_BASE_BYTES + zl.bytes;
    }
    z.maxSize = this.maxSize;
    z.forcedSkiplist = this.forcedSkiplist;
    z.maxMemberLen = this.maxMemberLen;
    z.settledEntries = this.settledEntries;
    z.settledValue = this.settledValue;
    return z;
  }

  score(member: Bytes): number | undefined {
    if (this.members !== null) {
      const i = this.smallFind(key(member));
      return i < 0 ? undefined : (this.scores as number[])[i];
    }
    const sl = this.sl as ZSkipList;
    const blk = sl.findBytes(member, 0, member.length);
    return blk === NIL ? undefined : sl.score(blk);
  }

  add(member: Bytes, score: number): number | undefined {
    if (Number.isNaN(score)) throw new Error('zset: NaN score');
    const m = key(member);
    const ms = this.members;
    if (ms !== null) {
      const i = this.smallFind(m);
      if (i < 0) {
        this.insertNew(m, score);
        return undefined;
      }
      const ss = this.scores as number[];
      const old = ss[i];
      if (old !== score) this.smallMove(i, score);
      else if (!Object.is(old, score)) ss[i] = score; // -0 <-> 0: same position
      return old;
    }
    const sl = this.sl as ZSkipList;
    const node = sl.get(m);
    if (node === NIL) {
      this.insertNew(m, score);
      return undefined;
    }
    const old = sl.score(node);
    if (old !== score) sl.updateScore(node, score);
    else if (!Object.is(old, score)) sl.setSameScore(node, score);
    return old;
  }

  /**
   * ZSetValue.addMany: zsetAdd's loop (ZADD and GEOADD without INCR; flags 1 NX, 2 XX, 4 GT,
   * 8 LT) with one member string and one lookup per member, where score() then add() made two
   * of each. Scores are never NaN or -0 here (the caller keeps those on its own loop).
   */
  addMany(argv: Bytes[], from: number, scores: number[], flags: number): [number, number] {
    let added = 0;
    let updated = 0;
    for (let j = 0; j < scores.length; j++) {
      const arg = argv[from + 2 * j];
      const r = this.addAt(arg, 0, arg.length, scores[j], flags);
      if (r === ADD_ADDED) added++;
      else if (r === ADD_UPDATED) updated++;
    }
    return [added, updated];
  }

  /**
   * One step of addMany: zsetAdd of the member b[off, off + len) with `score` (never NaN or -0
   * here) and addMany's flags. Returns ADD_ADDED, ADD_UPDATED, or ADD_NONE (the same score, or a
   * flag said no). The js-map fast lane's ZADD calls it on the input's bytes (no view of them).
   */
  addAt(b: Uint8Array, off: number, len: number, score: number, flags: number): number {
    if (Number.isNaN(score)) throw new Error('zset: NaN score');
    let m: string | null = null;
    let cur: number;
    let i = -1;
    let blk = -1;
    if (this.members !== null) {
      m = latin1Slice(b, off, len);
      i = this.smallFind(m);
      if (i >= 0) cur = (this.scores as number[])[i];
      else cur = NaN;
    } else {
      // Found from the bytes: no member string unless it is new.
      blk = (this.sl as ZSkipList).findBytes(b, off, len);
      cur = blk === NIL ? NaN : (this.sl as ZSkipList).score(blk);
    }
    if (cur !== cur) {
      if ((flags & 2) !== 0) return ADD_NONE; // XX
      this.insertNew(m ?? latin1Slice(b, off, len), score);
      return ADD_ADDED;
    }
    // NX, the same score, LT, GT
    if ((flags & 1) !== 0 || score === cur || ((flags & 8) !== 0 && score >= cur) || ((flags & 4) !== 0 && score <= cur)) return ADD_NONE;
    if (blk !== NIL) (this.sl as ZSkipList).updateScore(blk, score);
    else this.smallMove(i, score);
    return ADD_UPDATED;
  }

  delete(member: Bytes): boolean {
    const m = key(member);
    if (this.members !== null) {
      const i = this.smallFind(m);
      if (i < 0) return false;
      this.smallRemove(i);
      return true;
    }
    const sl = this.sl as ZSkipList;
    const node = sl.get(m);
    if (node === NIL) return false;
    const before = sl.bytes;
    sl.delete(node);
    this.grow(sl.bytes - before);
    return true;
  }

  popOne(reverse: boolean, out: PoppedElement): boolean {
    const ms = this.members;
    if (ms !== null) {
      if (this.n === 0) return false;
      const i = reverse ? this.n - 1 : 0;
      out.member = ms[i];
      out.score = (this.scores as number[])[i];
      this.smallRemove(i);
      return true;
    }
    const sl = this.sl as ZSkipList;
    const node = reverse ? sl.tail : sl.first;
    if (node === NIL) return false;
    out.member = sl.member(node);
    out.score = sl.score(node);
    const before = sl.bytes;
    sl.delete(node);
    this.grow(sl.bytes - before);
    return true;
  }

  rank(member: Bytes, reverse: boolean): number {
    const m = key(member);
    if (this.members !== null) {
      const i = this.smallFind(m);
      if (i < 0) return -1;
      return reverse ? this.n - 1 - i : i;
    }
    const sl = this.sl as ZSkipList;
    const node = sl.get(m);
    if (node === NIL) return -1;
    const r = sl.rankOf(sl.score(node), m);
    return reverse ? sl.length - r : r - 1;
  }

  rangeByRank(start: number, stop: number, reverse: boolean, visit: (member: BulkValue, score: number) => void): void {
    const len = this.size;
    if (start < 0) start = 0;
    if (stop >= len) stop = len - 1;
    if (start > stop) return;
    const ms = this.members;
    if (ms !== null) {
      const ss = this.scores as number[];
      for (let i = start; i <= stop; i++) {
        const j = reverse ? len - 1 - i : i;
        visit(ms[j], ss[j]);
      }
      return;
    }
    const sl = this.sl as ZSkipList;
    let n = reverse ? sl.byRank(len - start) : sl.byRank(start + 1);
    for (let i = start; i <= stop && n !== NIL; i++) {
      const next = reverse ? sl.prev(n) : sl.next(n);
      visit(sl.member(n), sl.score(n));
      n = next;
    }
  }

  rangeByScore(range: ScoreRange, reverse: boolean, offset: number, limit: number, visit: (member: BulkValue, score: number) => void): void {
    const ms = this.members;
    if (ms !== null) {
      const ss = this.scores as number[];
      let i = reverse ? this.smallLastInRange(range) : this.smallFirstInRange(range);
      if (i < 0) return;
      i = reverse ? i - offset : i + offset;
      while (i >= 0 && i < this.n && limit !== 0) {
        const s = ss[i];
        if (reverse ? !gteMin(s, range) : !lteMax(s, range)) break;
        visit(ms[i], s);
        i = reverse ? i - 1 : i + 1;
        if (limit > 0) limit--;
      }
      return;
    }
    const sl = this.sl as ZSkipList;
    let n = reverse ? sl.lastInRange(range) : sl.firstInRange(range);
    while (n !== NIL && offset > 0) {
      n = reverse ? sl.prev(n) : sl.next(n);
      offset--;
    }
    while (n !== NIL && limit !== 0) {
      const s = sl.score(n);
      if (reverse ? !gteMin(s, range) : !lteMax(s, range)) break;
      const next = reverse ? sl.prev(n) : sl.next(n);
      visit(sl.member(n), s);
      n = next;
      if (limit > 0) limit--;
    }
  }

  rangeByLex(range: LexRange, reverse: boolean, offset: number, limit: number, visit: (member: BulkValue, score: number) => void): void {
    const r = toLexS(range);
    const ms = this.members;
    if (ms !== null) {
      const ss = this.scores as number[];
      let i = reverse ? this.smallLastInLex(r) : this.smallFirstInLex(r);
      if (i < 0) return;
      i = reverse ? i - offset : i + offset;
      while (i >= 0 && i < this.n && limit !== 0) {
        const m = ms[i];
        if (reverse ? !lexGteMin(m, r) : !lexLteMax(m, r)) break;
        visit(m, ss[i]);
        i = reverse ? i - 1 : i + 1;
        if (limit > 0) limit--;
      }
      return;
    }
    const sl = this.sl as ZSkipList;
    let n = reverse ? sl.lastInLex(r) : sl.firstInLex(r);
    while (n !== NIL && offset > 0) {
      n = reverse ? sl.prev(n) : sl.next(n);
      offset--;
    }
    while (n !== NIL && limit !== 0) {
      const m = sl.member(n);
      if (reverse ? !lexGteMin(m, r) : !lexLteMax(m, r)) break;
      const next = reverse ? sl.prev(n) : sl.next(n);
      visit(m, sl.score(n));
      n = next;
      if (limit > 0) limit--;
    }
  }

  countByScore(range: ScoreRange): number {
    if (this.members !== null) {
      const ss = this.scores as number[];
      const first = this.smallFirstInRange(range);
      if (first < 0) return 0;
      let i = first;
      while (i < this.n && lteMax(ss[i], range)) i++;
      return i - first;
    }
    const sl = this.sl as ZSkipList;
    const first = sl.firstInRange(range);
    if (first === NIL) return 0;
    const last = sl.lastInRange(range);
    return sl.rankOf(sl.score(last), sl.member(last)) - sl.rankOf(sl.score(first), sl.member(first)) + 1;
  }

  countByLex(range: LexRange): number {
    const r = toLexS(range);
    if (this.members !== null) {
      const ms = this.members;
      const first = this.smallFirstInLex(r);
      if (first < 0) return 0;
      let i = first;
      while (i < this.n && lexLteMax(ms[i], r)) i++;
      return i - first;
    }
    const sl = this.sl as ZSkipList;
    const first = sl.firstInLex(r);
    if (first === NIL) return 0;
    const last = sl.lastInLex(r);
    return sl.rankOf(sl.score(last), sl.member(last)) - sl.rankOf(sl.score(first), sl.member(first)) + 1;
  }

  scan(cursor: number, count: number, visit: (member: BulkValue, score: number) => void): number {
    if (this.members !== null) {
      // As Redis scans a listpack: everything in one call, cursor 0.
      this.forEach(visit);
      return 0;
    }
    return (this.sl as ZSkipList).scan(cursor, count, visit);
  }

  forEach(visit: (member: BulkValue, score: number) => void): void {
    const ms = this.members;
    if (ms !== null) {
      const ss = this.scores as number[];
      for (let i = 0; i < this.n; i++) visit(ms[i], ss[i]);
      return;
    }
    const sl = this.sl as ZSkipList;
    for (let n = sl.first; n !== NIL; ) {
      const next = sl.next(n);
      visit(sl.member(n), sl.score(n));
      n = next;
    }
  }

  // ---- both forms ----

  private insertNew(m: string, score: number): void {
    const ms = this.members;
    if (ms !== null) {
      if (this.n < SMALL_MAX_ENTRIES && m.length <= SMALL_MAX_VALUE) {
        this.smallInsert(m, score);
        this.grow(SMALL_ENTRY_BYTES + m.length);
      } else {
        this.toBig();
        this.bigInsert(m, score);
      }
    } else this.bigInsert(m, score);
    const len = this.size;
    if (len > this.maxSize) this.maxSize = len;
    if (m.length > this.maxMemberLen) this.maxMemberLen = m.length;
  }

  private bigInsert(m: string, score: number): void {
    const sl = this.sl as ZSkipList;
    const before = sl.bytes;
    sl.insertNew(m, score);
    this.grow(sl.bytes - before);
  }

  /** Small -> big (zsetConvert): every member moves into a skip list, never back. */
  private toBig(): void {
    const sl = new ZSkipList();
    const ms = this.members;
    if (ms !== null) {
      const ss = this.scores as number[];
      // From the greatest to the smallest: each insert stops at the header.
      for (let i = this.n - 1; i >= 0; i--) sl.insertNew(ms[i], ss[i]);
    }
    this.members = null;
    this.scores = null;
    this.n = 0;
    this.sl = sl;
    this.grow(OBJECT_BYTES + SKIPLIST_BASE_BYTES + sl.bytes - this.bytes);
  }

  // ---- small form internals ----

  /** Index where (score, m) goes: the first entry not before it. */
  private smallPos(score: number, m: string): number {
    const ms = this.members as string[];
    const ss = this.scores as number[];
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const s = ss[mid];
      if (s < score || (s === score && ms[mid] < m)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of member m in the small form, or -1 (linear: at most SMALL_MAX_ENTRIES). */
  private smallFind(m: string): number {
    const ms = this.members as string[];
    const n = this.n;
    for (let i = 0; i < n; i++) if (ms[i] === m) return i;
    return -1;
  }

  private smallInsert(m: string, score: number): void {
    const at = this.smallPos(score, m);
    let ms = this.members as string[];
    let ss = this.scores as number[];
    const n = this.n;
    if (n === ms.length) {
      // Full: copy into arrays of the next capacity (concat allocates them exactly that long).
      const pad = nextCap(n) - n;
      ms = this.members = ms.concat(MEMBER_PAD[pad]);
      ss = this.scores = ss.concat(SCORE_PAD[pad]);
    }
    for (let i = n; i > at; i--) {
      ms[i] = ms[i - 1];
      ss[i] = ss[i - 1];
    }
    ms[at] = m;
    ss[at] = score;
    this.n = n + 1;
  }

  private smallRemove(i: number): void {
    const ms = this.members as string[];
    const ss = this.scores as number[];
    const m = ms[i];
    const n = this.n - 1;
    for (let j = i; j < n; j++) {
      ms[j] = ms[j + 1];
      ss[j] = ss[j + 1];
    }
    ms[n] = ''; // no reference to a removed member
    this.n = n;
    this.grow(-(SMALL_ENTRY_BYTES + m.length));
    // Shrink once half empty (copies of exact length).
    if (n <= ms.length >> 1 && ms.length > 4) {
      const cap = n === 0 ? 0 : nextCap(n);
      this.members = cap === 0 ? EMPTY_MEMBERS : ms.slice(0, cap);
      this.scores = cap === 0 ? EMPTY_SCORES : ss.slice(0, cap);
    }
  }

  /** New score for the member at i (its place may change; nothing is allocated). */
  private smallMove(i: number, score: number): void {
    const ms = this.members as string[];
    const ss = this.scores as number[];
    const m = ms[i];
    const n = this.n;
    let j = i;
    // Slide toward the end while the next entry is before (score, m), or toward the start while
    // (score, m) is before the previous one.
    while (j + 1 < n && (ss[j + 1] < score || (ss[j + 1] === score && ms[j + 1] < m))) {
      ms[j] = ms[j + 1];
      ss[j] = ss[j + 1];
      j++;
    }
    while (j > 0 && (score < ss[j - 1] || (score === ss[j - 1] && m < ms[j - 1]))) {
      ms[j] = ms[j - 1];
      ss[j] = ss[j - 1];
      j--;
    }
    ms[j] = m;
    ss[j] = score;
  }

  /** Index of the first entry in the score range, or -1 (zzlFirstInRange). */
  private smallFirstInRange(r: ScoreRange): number {
    const ss = this.scores as number[];
    const n = this.n;
    if (n === 0 || scoreRangeEmpty(r)) return -1;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (gteMin(ss[mid], r)) hi = mid;
      else lo = mid + 1;
    }
    return lo < n && lteMax(ss[lo], r) ? lo : -1;
  }

  /** Index of the last entry in the score range, or -1 (zzlLastInRange). */
  private smallLastInRange(r: ScoreRange): number {
    const ss = this.scores as number[];
    const n = this.n;
    if (n === 0 || scoreRangeEmpty(r)) return -1;
    // First index past the range's top, minus one.
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (lteMax(ss[mid], r)) lo = mid + 1;
      else hi = mid;
    }
    const i = lo - 1;
    return i >= 0 && gteMin(ss[i], r) ? i : -1;
  }

  /** zzlIsInLexRange: the range is not empty and overlaps [first member, last member]. */
  private smallInLex(r: LexRangeS): boolean {
    const ms = this.members as string[];
    if (this.n === 0 || lexRangeEmpty(r)) return false;
    return lexGteMin(ms[this.n - 1], r) && lexLteMax(ms[0], r);
  }

  /** zzlFirstInLexRange: walk from the start to the first member >= min; -1 unless it is <= max. */
  private smallFirstInLex(r: LexRangeS): number {
    if (!this.smallInLex(r)) return -1;
    const ms = this.members as string[];
    for (let i = 0; i < this.n; i++) {
      if (lexGteMin(ms[i], r)) return lexLteMax(ms[i], r) ? i : -1;
    }
    return -1;
  }

  /** zzlLastInLexRange: walk from the end to the last member <= max; -1 unless it is >= min. */
  private smallLastInLex(r: LexRangeS): number {
    if (!this.smallInLex(r)) return -1;
    const ms = this.members as string[];
    for (let i = this.n - 1; i >= 0; i--) {
      if (lexLteMax(ms[i], r)) return lexGteMin(ms[i], r) ? i : -1;
    }
    return -1;
  }

  /**
   * Test hook: checks every invariant (order, spans, backward links, tail, level, dict, small
   * form bounds, byte count) and throws on the first violation. O(n * levels).
   */
  checkInvariants(): void {
    const fail = (msg: string): never => {
      throw new Error('JsZSet invariant: ' + msg);
    };
    const ms = this.members;
    const ss = this.scores;
    if ((ms === null) !== (ss === null) || (ms === null) === (this.sl === null)) fail('not exactly one form');
    if (ms !== null && ss !== null) {
      if (ms.length !== ss.length) fail(`members capacity ${ms.length} vs scores ${ss.length}`);
      if (this.n > ms.length) fail(`${this.n} members in a capacity of ${ms.length}`);
      if (this.n > SMALL_MAX_ENTRIES || ms.length > SMALL_MAX_ENTRIES) fail(`small form with ${this.n} members, capacity ${ms.length}`);
      for (let i = this.n; i < ms.length; i++) if (ms[i] !== '') fail(`slot ${i} past the end holds a member`);
      if (this.n === 0 && ms.length === 0 && (ms !== EMPTY_MEMBERS || ss !== EMPTY_SCORES)) fail('capacity-0 arrays not the shared ones');
      if (EMPTY_MEMBERS.length !== 0 || EMPTY_SCORES.length !== 0) fail('shared empty arrays written');
      let bytes = OBJECT_BYTES + SMALL_ARRAYS_BYTES;
      for (let i = 0; i < this.n; i++) {
        const m = ms[i];
        const s = ss[i];
        if (typeof m !== 'string') fail(`member ${i} is not a string`);
        if (typeof s !== 'number' || Number.isNaN(s)) fail(`score ${i}`);
        if (m.length > SMALL_MAX_VALUE) fail(`small form member of ${m.length} bytes`);
        if (i > 0 && !(ss[i - 1] < s || (ss[i - 1] === s && ms[i - 1] < m))) fail(`order at rank ${i}`);
        bytes += SMALL_ENTRY_BYTES + m.length;
      }
      if (bytes !== this.bytes) fail(`bytes ${this.bytes} vs ${bytes}`);
    } else {
      const sl = this.sl as ZSkipList;
      sl.checkInvariants(fail);
      if (this.bytes !== OBJECT_BYTES + SKIPLIST_BASE_BYTES + sl.bytes) fail(`bytes ${this.bytes} vs skip list`);
    }
    if (this.size > this.maxSize) fail('size above its high-water mark');
  }
}
