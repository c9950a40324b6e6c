/**
 * JsSet: the set container shared by both engines.
 *
 * Encoding follows Redis 7.0 (which has no listpack sets; those came in 7.2):
 * - "intset" while every member is an integer (string2ll rules) and there are at most
 *   set-max-intset-entries (capped at 2^30) members. Members are kept in a JS Set of their
 *   canonical decimal text; iteration (SMEMBERS, SSCAN, SINTER...) is in ascending numeric order,
 *   as the intset's, and SSCAN returns everything with cursor 0.
 * - "hashtable" otherwise (one way: a set never goes back to intset, except where Redis builds a
 *   new set, which the command layer does with `reencode`). Members live in a ShardedMap while
 *   the set has at most BIG_MIN of them, then (representation only, one way) in a KeyTable
 *   (js-map/key-table.ts, as JsHash's big form): a member of up to 32 bytes lives in its 64-byte
 *   row, so a lookup hashes and compares the argument's bytes in place (SADD of a member that is
 *   there builds no string), and a big set holds no JS object per member. (SADD on a 100k-member
 *   ShardedMap spent its time building the member's string, hashing it twice (hashKey, then V8's
 *   own hash for the Map) and in the Map probe's cache misses.) Both cursors give SSCAN the SCAN
 *   guarantee.
 *
 * Members are stored as latin1 JS strings (1 char = 1 byte) in the Set and the ShardedMap; in
 * the KeyTable as the row's bytes (or, past 32 bytes, a latin1 string), built as strings on demand
 * (forEach, scan, randomMember).
 */
import type { Bytes, BulkValue, EncodingLimits, MemoryAccount, SetValue, TableStats } from '../types';
import { SHARDED_MAP_STATS, ShardedMap } from '../hashing/sharded-map';
import { parseInt64 } from '../../util/number';
import { KeyTable, NONE, hashOfBytes, latin1Slice } from '../js-map/key-table';
import { StrEnc } from '../types';

/**
 * Memory estimate (used_memory, maxmemory): per member beyond its bytes, V8's cost of a Set or
 * ShardedMap entry with its table slack and of a latin1 string's header; per set, the objects.
 * Calibrated against V8's heap after a full collection (100,000 sets of 8 members, 8 integers,
 * and 5,000 of 200 members: within 10%). A KeyTable member is counted the same (its 64-byte row,
 * value slot and bucket-head share; measured 5,000 sets of 200 members: within 3%), but its row
 * chunks grow by doubling: 100 sets of 10,000 members hold ~25% more than counted.
 */
const ENTRY_OVERHEAD = 76;
const INT_OVERHEAD = 44;
const BASE_OVERHEAD = 100;
const INTSET_HARD_MAX = 1 << 30;
/**
 * A hashtable set of more than this many members moves from its ShardedMap to a KeyTable, whose
 * first rows (16 of 64 bytes, and their arrays) would cost a small set more than its Maps.
 */
const BIG_MIN = 128;

/** isSdsRepresentableAsLongLong. */
export function isIntMember(s: string): boolean {
  return s.length <= 20 && !Number.isNaN(parseInt64(s));
}

/** forEach's map callback: `this` is the visitor (no closure per forEach call, e.g. per key saved). */
function visitMember(this: (member: BulkValue) => void, _v: true, k: string): void {
  this(k);
}

function compareInts(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (Number.isSafeInteger(x) && Number.isSafeInteger(y)) return x - y;
  const bx = BigInt(a);
  const by = BigInt(b);
  return bx < by ? -1 : bx > by ? 1 : 0;
}

export class JsSet implements SetValue {
  readonly type = 'set' as const;
  /** intset members (canonical integer text). */
  private ints: Set<string> | null = new Set();
  private sorted: string[] | null = null;
  private ht: ShardedMap<true> | null = null;
  /** The hashtable form past BIG_MIN members (ints and ht null then). */
  private big: KeyTable | null = null;
  private bytes = BASE_OVERHEAD;
  private account: MemoryAccount | null = null;
  /** set-max-intset-entries used by `add` (the command layer passes the live config value). */
  maxIntset = 512;

  get size(): number {
    return this.ints ? this.ints.size : this.ht ? this.ht.size : this.big!.size;
  }

  memoryUsage(): number {
    return this.bytes;
  }

  tableStats(): TableStats {
    return this.big !== null ? [this.big.stats()] : SHARDED_MAP_STATS;
  }

  attach(a: MemoryAccount | null): void {
    this.account = a;
  }

  encoding(_limits: EncodingLimits): string {
    return this.ints ? 'intset' : 'hashtable';
  }

  isIntset(): boolean {
    return this.ints !== null;
  }

  clone(): JsSet {
    const s = new JsSet();
    s.maxIntset = this.maxIntset;
    if (this.ints) {
      for (const m of this.ints) s.ints!.add(m);
      s.addBytes(this.bytes - BASE_OVERHEAD);
    } else {
      s.toHashtable();
      if (this.big !== null) s.toBig();
      this.forEach((m) => s.put(m as string));
      s.addBytes(this.bytes - BASE_OVERHEAD);
    }
    return s;
  }

  private addBytes(n: number): void {
    this.bytes += n;
    if (this.account) this.account.bytes += n;
  }

  /** setTypeConvert(OBJ_ENCODING_HT). */
  toHashtable(): void {
    if (!this.ints) return;
    const ht = new ShardedMap<true>();
    let extra = 0;
    for (const m of this.ints) {
      ht.set(m, true);
      extra += ENTRY_OVERHEAD - INT_OVERHEAD;
    }
    this.ht = ht;
    this.ints = null;
    this.sorted = null;
    this.addBytes(extra);
    if (ht.size > BIG_MIN) this.toBig();
  }

  /** The hashtable form's ShardedMap to a KeyTable (representation only; the members are counted already). */
  private toBig(): void {
    const big = new KeyTable();
    this.big = big;
    const ht = this.ht;
    this.ht = null;
    if (ht !== null) ht.forEach((_v, k) => this.put(k));
  }

  /** Insert the absent member m into the hashtable form, without accounting (toBig, clone). */
  private put(m: string): void {
    if (this.big === null) this.ht!.set(m, true);
    else {
      const b = Buffer.from(m, 'latin1');
      this.big.insert(b, 0, b.length, hashOfBytes(b), '', 0, StrEnc.Auto);
    }
  }

  /** Redis builds a fresh set (SPOP count case 3): intset again when the members allow it. */
  reencode(maxIntset: number): void {
    const limit = Math.min(maxIntset, INTSET_HARD_MAX);
    if (this.ints) {
      if (this.ints.size > limit) this.toHashtable();
      return;
    }
    if (this.size > limit) return;
    let allInts = true;
    this.forEach((k) => {
      if (allInts && !isIntMember(k as string)) allInts = false;
    });
    if (!allInts) return;
    const ints = new Set<string>();
    this.forEach((k) => ints.add(k as string));
    this.ints = ints;
    this.ht = null;
    this.big = null;
    this.sorted = null;
    this.addBytes(-(ENTRY_OVERHEAD - INT_OVERHEAD) * ints.size);
  }

  /** Whole-content check (RDB load, RESTORE). */
  fitEncoding(limits: EncodingLimits): void {
    if (this.ints && this.ints.size > Math.min(limits.setMaxIntsetEntries, INTSET_HARD_MAX)) this.toHashtable();
  }

  add(member: Bytes): boolean {
    return this.addAt(member, 0, member.length);
  }

  /**
   * add() of the member b[off, off + len), without a view of it (also the js-map fast lane's
   * SADD): the KeyTable form looks it up from the bytes (no string).
   */
  addAt(b: Uint8Array, off: number, len: number): boolean {
    const t = this.big;
    if (t === null) return this.addString(latin1Slice(b, off, len));
    const h = hashOfBytes(b, off, len);
    if (t.findAt(b, off, len, h) !== NONE) return false;
    t.insert(b, off, len, h, '', 0, StrEnc.Auto);
    this.addBytes(len + ENTRY_OVERHEAD);
    return true;
  }

  /** setTypeAdd on the stored (latin1) form. */
  addString(m: string): boolean {
    if (this.big !== null) return this.add(Buffer.from(m, 'latin1'));
    if (this.ints) {
      if (isIntMember(m)) {
        if (this.ints.has(m)) return false;
        this.ints.add(m);
        this.sorted = null;
        this.addBytes(m.length + INT_OVERHEAD);
        if (this.ints.size > Math.min(this.maxIntset, INTSET_HARD_MAX)) this.toHashtable();
        return true;
      }
      this.toHashtable();
      // (an intset past BIG_MIN members goes on to the KeyTable)
      if (this.big !== null) return this.addString(m);
    }
    if (!this.ht!.set(m, true)) return false;
    this.addBytes(m.length + ENTRY_OVERHEAD);
    if (this.ht!.size > BIG_MIN) this.toBig();
    return true;
  }

  delete(member: Bytes): boolean {
    const t = this.big;
    if (t === null) return this.deleteString(member.latin1Slice(0, member.length));
    const s = t.findBytes(member, hashOfBytes(member));
    if (s === NONE) return false;
    t.remove(s);
    this.addBytes(-(member.length + ENTRY_OVERHEAD));
    return true;
  }

  deleteString(m: string): boolean {
    if (this.big !== null) return this.delete(Buffer.from(m, 'latin1'));
    if (this.ints) {
      if (!this.ints.delete(m)) return false;
      this.sorted = null;
      this.addBytes(-(m.length + INT_OVERHEAD));
      return true;
    }
    if (!this.ht!.delete(m)) return false;
    this.addBytes(-(m.length + ENTRY_OVERHEAD));
    return true;
  }

  has(member: Bytes): boolean {
    if (this.big !== null) return this.big.findBytes(member, hashOfBytes(member)) !== NONE;
    return this.hasString(member.latin1Slice(0, member.length));
  }

  hasString(m: string): boolean {
    if (this.big !== null) return this.has(Buffer.from(m, 'latin1'));
    return this.ints ? this.ints.has(m) : this.ht!.has(m);
  }

  private sortedInts(): string[] {
    if (!this.sorted) this.sorted = [...this.ints!].sort(compareInts);
    return this.sorted;
  }

  forEach(visit: (member: BulkValue) => void): void {
    if (this.ints) for (const m of this.sortedInts()) visit(m);
    else if (this.ht) this.ht.forEach(visitMember, visit);
    else this.big!.forEach(visit);
  }

  /**
   * forEach with a Map#forEach callback (the member second): the hashtable form's Maps call
   * `visit` themselves, with no adapter call per member (the js-map RDB stage, js-map/rdb-save.ts).
   */
  forEachEntry(visit: (_: unknown, member: BulkValue) => void): void {
    if (this.ints) for (const m of this.sortedInts()) visit(true, m);
    else if (this.ht) this.ht.forEach(visit);
    else this.big!.forEach((m) => visit(true, m));
  }

  /** Members as an array, in iteration order. */
  toArray(): string[] {
    if (this.ints) return this.sortedInts().slice();
    const out: string[] = [];
    this.forEach((k) => out.push(k as string));
    return out;
  }

  scan(cursor: number, count: number, visit: (member: BulkValue) => void): number {
    if (this.ints) {
      this.forEach(visit);
      return 0;
    }
    if (this.big !== null) return this.big.scan(cursor, count, (k) => visit(k));
    return this.ht!.scan(cursor, count, (k) => visit(k));
  }

  randomMember(): BulkValue | undefined {
    if (this.ints) {
      const n = this.ints.size;
      if (n === 0) return undefined;
      return this.sortedInts()[(Math.random() * n) | 0];
    }
    if (this.big !== null) {
      const s = this.big.randomSlot();
      return s === NONE ? undefined : this.big.key(s);
    }
    return this.ht!.randomKey();
  }
}

export type _Check = SetValue;
