/**
 * JsSet: the set container shared by both engines.
 *
 * Encoding follows Redis 7.0 (which has no listpack sets; those came in 7.2):
 * - "intset" while every member is an integer (string2ll rules) and there are at most
 *   set-max-intset-entries (capped at 2^30) members. Members are kept in a JS Set of their
 *   canonical decimal text; iteration (SMEMBERS, SSCAN, SINTER...) is in ascending numeric order,
 *   as the intset's, and SSCAN returns everything with cursor 0.
 * - "hashtable" otherwise (one way: a set never goes back to intset, except where Redis builds a
 *   new set, which the command layer does with `reencode`). Members are the keys of a KeyTable
 *   (js-map/key-table.ts, the js-map keyspace's table, as JsHash's big form): a member of up to
 *   32 bytes lives in its 64-byte row, so there is no JS object per member and SADD, SISMEMBER
 *   and SREM hash and compare the argument's bytes in place (no string built). Its reverse-binary
 *   cursor gives SSCAN the SCAN guarantee and about COUNT members per call. Iteration is slot
 *   order (insertion order until members are removed).
 *
 * intset members are latin1 JS strings (1 char = 1 byte); the hashtable's are built on demand
 * (forEach, toArray, randomMember); writeMembers sends the rows' bytes.
 */
import type { BulkSink, Bytes, BulkValue, EncodingLimits, MemoryAccount, SetValue, TableStats } from '../types';
import { StrEnc } from '../types';
import { KeyTable, NONE, hashOfBytes } from '../js-map/key-table';
import { writeKey } from './hash';
import { toBuffer } from '../../util/bytes';
import { parseInt64 } from '../../util/number';

/**
 * Memory estimate (used_memory, maxmemory): per member beyond its bytes, V8's cost of a Set or
 * KeyTable row with its table slack and of a latin1 string's header (a KeyTable row, value slot
 * and bucket-head share cost about the same); per set, the objects.
 * Calibrated against V8's heap after a full collection (100,000 sets of 8 members, 8 integers,
 * and 5,000 of 200 members: within 10%).
 */
const ENTRY_OVERHEAD = 76;
const INT_OVERHEAD = 44;
const BASE_OVERHEAD = 100;
const INTSET_HARD_MAX = 1 << 30;

/** isSdsRepresentableAsLongLong. */
export function isIntMember(s: string): boolean {
  return s.length <= 20 && !Number.isNaN(parseInt64(s));
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
  private ht: KeyTable | null = null;
  private bytes = BASE_OVERHEAD;
  private account: MemoryAccount | null = null;
  /** set-max-intset-entries used by `add` (the command layer passes the live config value). */
  maxIntset = 512;

  get size(): number {
    return this.ints ? this.ints.size : this.ht!.size;
  }

  memoryUsage(): number {
    return this.bytes;
  }

  tableStats(): TableStats {
    return this.ht !== null ? [this.ht.stats()] : [];
  }

  /** The big form's table, or null (the js-map Db's prefetch hint). */
  bigTable(): KeyTable | null {
    return this.ht;
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
      this.ht!.forEach((k) => s.addString(k));
    }
    return s;
  }

  private addBytes(n: number): void {
    this.bytes += n;
    if (this.account) this.account.bytes += n;
  }

  /**
   * SetValue.reserve: an empty set about to get more than set-max-intset-entries members from a
   * load is a hashtable from the start (as Redis's rdbLoadObject makes it), its table sized once.
   */
  reserve(n: number): void {
    if (n <= this.maxIntset || this.ints === null || this.ints.size !== 0) return;
    this.toHashtable();
    this.ht!.presize(n);
  }

  /** setTypeConvert(OBJ_ENCODING_HT). */
  toHashtable(): void {
    if (!this.ints) return;
    const ht = new KeyTable();
    let extra = 0;
    for (const m of this.ints) {
      const b = toBuffer(m);
      ht.insert(b, 0, b.length, hashOfBytes(b), '', 0, StrEnc.Auto);
      extra += ENTRY_OVERHEAD - INT_OVERHEAD;
    }
    this.ht = ht;
    this.ints = null;
    this.sorted = null;
    this.addBytes(extra);
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
    this.ht!.forEach((k) => {
      if (allInts && !isIntMember(k)) allInts = false;
    });
    if (!allInts) return;
    const ints = new Set<string>();
    this.ht!.forEach((k) => ints.add(k));
    this.ints = ints;
    this.ht = null;
    this.sorted = null;
    this.addBytes(-(ENTRY_OVERHEAD - INT_OVERHEAD) * ints.size);
  }

  /** Whole-content check (RDB load, RESTORE). */
  fitEncoding(limits: EncodingLimits): void {
    if (this.ints && this.ints.size > Math.min(limits.setMaxIntsetEntries, INTSET_HARD_MAX)) this.toHashtable();
  }

  /** setTypeAdd. */
  add(member: Bytes): boolean {
    if (this.ints) {
      const m = member.latin1Slice(0, member.length);
      if (isIntMember(m)) {
        if (this.ints.has(m)) return false;
        this.ints.add(m);
        this.sorted = null;
        this.addBytes(m.length + INT_OVERHEAD);
        if (this.ints.size > Math.min(this.maxIntset, INTSET_HARD_MAX)) this.toHashtable();
        return true;
      }
      this.toHashtable();
    }
    const t = this.ht!;
    const h = hashOfBytes(member);
    if (t.findBytes(member, h) !== NONE) return false;
    t.insert(member, 0, member.length, h, '', 0, StrEnc.Auto);
    this.addBytes(member.length + ENTRY_OVERHEAD);
    return true;
  }

  /** add() of a member given as its latin1 string. */
  addString(m: string): boolean {
    return this.add(toBuffer(m));
  }

  delete(member: Bytes): boolean {
    if (this.ints) {
      const m = member.latin1Slice(0, member.length);
      if (!this.ints.delete(m)) return false;
      this.sorted = null;
      this.addBytes(-(m.length + INT_OVERHEAD));
      return true;
    }
    const t = this.ht!;
    const s = t.findBytes(member, hashOfBytes(member));
    if (s === NONE) return false;
    t.remove(s);
    this.addBytes(-(member.length + ENTRY_OVERHEAD));
    return true;
  }

  has(member: Bytes): boolean {
    if (this.ints) return this.ints.has(member.latin1Slice(0, member.length));
    return this.ht!.findBytes(member, hashOfBytes(member)) !== NONE;
  }

  private sortedInts(): string[] {
    if (!this.sorted) this.sorted = [...this.ints!].sort(compareInts);
    return this.sorted;
  }

  forEach(visit: (member: BulkValue) => void): void {
    if (this.ints) for (const m of this.sortedInts()) visit(m);
    else this.ht!.forEach(visit);
  }

  /** SetValue.writeMembers: the hashtable's members from their rows (no strings). */
  writeMembers(out: BulkSink): void {
    if (this.ints) {
      for (const m of this.sortedInts()) out.bulk(m);
      return;
    }
    const t = this.ht!;
    t.forEachSlot((s) => writeKey(t, s, out));
  }

  /** Members as an array, in iteration order. */
  toArray(): string[] {
    if (this.ints) return this.sortedInts().slice();
    const out: string[] = [];
    this.ht!.forEach((k) => out.push(k));
    return out;
  }

  scan(cursor: number, count: number, visit: (member: BulkValue) => void): number {
    if (this.ints) {
      this.forEach(visit);
      return 0;
    }
    return this.ht!.scan(cursor, count, (k) => visit(k));
  }

  randomMember(): BulkValue | undefined {
    if (this.ints) {
      const n = this.ints.size;
      if (n === 0) return undefined;
      return this.sortedInts()[(Math.random() * n) | 0];
    }
    const s = this.ht!.randomSlot();
    return s === NONE ? undefined : this.ht!.key(s);
  }
}

export type _Check = SetValue;
