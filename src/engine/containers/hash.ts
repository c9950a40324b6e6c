/**
 * JsHash: the hash container shared by both engines.
 *
 * Encoding follows Redis 7.0: a hash starts "listpack" and converts, one way, to "hashtable" when
 * it gets more than hash-max-listpack-entries fields or a field/value longer than
 * hash-max-listpack-value bytes (the command layer calls `convertIfLonger` / `convertIfBigger` at
 * the points Redis checks; `fitEncoding` checks the whole content, for loaders).
 * - listpack: a JS Map (insertion order, like the listpack, so HGETALL order matches Redis) and
 *   HSCAN returns everything in one call with cursor 0, as Redis does for listpack hashes.
 * - hashtable: a ShardedMap, whose reverse-binary cursor gives HSCAN the SCAN guarantee and which
 *   has no 16.7M-entry Map cap.
 *
 * Fields and values are stored as latin1 JS strings (values > 256 MB stay Buffers).
 */
import type { Bytes, BulkValue, EncodingLimits, HashValue, MemoryAccount, TableStats } from '../types';
import { SHARDED_MAP_STATS, ShardedMap } from '../hashing/sharded-map';
import { storeElem } from './list';

/**
 * Memory estimate (used_memory, maxmemory): per field beyond the field and value bytes, V8's cost
 * of a Map entry (3 slots and a bucket share, with the table's power-of-two slack) and of two
 * latin1 strings' headers; per hash, the objects. Calibrated against V8's heap after a full
 * collection (100,000 hashes of 8 fields and 5,000 of 200: within 10%).
 */
const ENTRY_OVERHEAD = 80;
const BASE_OVERHEAD = 80;
/** A "listpack" Map this large moves to a ShardedMap anyway (representation only). */
const MAX_SMALL_MAP = 1 << 16;

/** forEach's Map callback: `this` is the visitor (no closure per forEach call, e.g. per key saved). */
function visitFieldValue(this: (field: BulkValue, value: BulkValue) => void, v: BulkValue, k: string): void {
  this(k, v);
}

export class JsHash implements HashValue {
  readonly type = 'hash' as const;
  private small: Map<string, BulkValue> | null = new Map();
  private big: ShardedMap<BulkValue> | null = null;
  /** Redis encoding: true while "listpack". */
  private lp = true;
  private bytes = BASE_OVERHEAD;
  private account: MemoryAccount | null = null;

  get size(): number {
    return this.small ? this.small.size : this.big!.size;
  }

  memoryUsage(): number {
    return this.bytes;
  }

  tableStats(): TableStats {
    return SHARDED_MAP_STATS;
  }

  attach(a: MemoryAccount | null): void {
    this.account = a;
  }

  encoding(_limits: EncodingLimits): string {
    return this.lp ? 'listpack' : 'hashtable';
  }

  isListpack(): boolean {
    return this.lp;
  }

  clone(): JsHash {
    const h = new JsHash();
    if (!this.lp) h.toHashtable();
    this.forEach((f, v) => h.setStored(typeof f === 'string' ? f : f.latin1Slice(0, f.length), v));
    return h;
  }

  private addBytes(n: number): void {
    this.bytes += n;
    if (this.account) this.account.bytes += n;
  }

  /** Convert to the hashtable encoding (one way). */
  toHashtable(): void {
    this.lp = false;
    this.toBig();
  }

  private toBig(): void {
    if (!this.small) return;
    const big = new ShardedMap<BulkValue>();
    for (const [k, v] of this.small) big.set(k, v);
    this.big = big;
    this.small = null;
  }

  /** hashTypeTryConversion: any of args[from..to] longer than maxValue converts. */
  convertIfLonger(maxValue: number, args: Bytes[], from = 0, to = args.length - 1): void {
    if (!this.lp) return;
    for (let i = from; i <= to; i++) {
      if (args[i].length > maxValue) {
        this.toHashtable();
        return;
      }
    }
  }

  /**
   * hashTypeSet: set a field, converting to the hashtable encoding first when the field or value
   * is longer than maxValue, and after when the hash has more than maxEntries fields.
   */
  setField(field: Bytes, value: Bytes, maxValue: number, maxEntries: number): boolean {
    if (!this.lp) return this.set(field, value);
    if (field.length > maxValue || value.length > maxValue) this.toHashtable();
    const isNew = this.set(field, value);
    this.convertIfBigger(maxEntries);
    return isNew;
  }

  /** After an insert: more than maxEntries fields converts. */
  convertIfBigger(maxEntries: number): void {
    if (this.lp && this.size > maxEntries) this.toHashtable();
  }

  /** Whole-content check against the limits (RDB load, RESTORE). */
  fitEncoding(limits: EncodingLimits): void {
    if (!this.lp) return;
    if (this.size > limits.hashMaxListpackEntries) return this.toHashtable();
    let long = false;
    this.forEach((f, v) => {
      if (f.length > limits.hashMaxListpackValue || v.length > limits.hashMaxListpackValue) long = true;
    });
    if (long) this.toHashtable();
  }

  private key(field: Bytes): string {
    return field.latin1Slice(0, field.length);
  }

  get(field: Bytes): BulkValue | undefined {
    const k = this.key(field);
    return this.small ? this.small.get(k) : this.big!.get(k);
  }

  has(field: Bytes): boolean {
    const k = this.key(field);
    return this.small ? this.small.has(k) : this.big!.has(k);
  }

  private setStored(k: string, v: BulkValue): boolean {
    const old = this.small ? this.small.get(k) : this.big!.get(k);
    if (this.small) {
      this.small.set(k, v);
      if (this.small.size > MAX_SMALL_MAP) this.toBig();
    } else this.big!.set(k, v);
    if (old === undefined) {
      this.addBytes(k.length + v.length + ENTRY_OVERHEAD);
      return true;
    }
    this.addBytes(v.length - old.length);
    return false;
  }

  set(field: Bytes, value: Bytes): boolean {
    return this.setStored(this.key(field), storeElem(value));
  }

  delete(field: Bytes): boolean {
    const k = this.key(field);
    const old = this.small ? this.small.get(k) : this.big!.get(k);
    if (old === undefined) return false;
    if (this.small) this.small.delete(k);
    else this.big!.delete(k);
    this.addBytes(-(k.length + old.length + ENTRY_OVERHEAD));
    return true;
  }

  forEach(visit: (field: BulkValue, value: BulkValue) => void): void {
    // (Map#forEach: no [key, value] array per entry, as for-of over entries makes)
    if (this.small) this.small.forEach(visitFieldValue, visit);
    else this.big!.forEach(visitFieldValue, visit);
  }

  scan(cursor: number, count: number, visit: (field: BulkValue, value: BulkValue) => void): number {
    if (this.lp) {
      this.forEach(visit);
      return 0;
    }
    return this.big!.scan(cursor, count, (k, v) => visit(k, v));
  }

  randomField(): BulkValue | undefined {
    if (this.small) {
      const n = this.small.size;
      if (n === 0) return undefined;
      let i = (Math.random() * n) | 0;
      for (const k of this.small.keys()) if (i-- === 0) return k;
      return undefined;
    }
    return this.big!.randomKey();
  }

  /** A random (field, value) pair, or undefined when empty. */
  randomEntry(): [BulkValue, BulkValue] | undefined {
    const f = this.randomField();
    if (f === undefined) return undefined;
    const k = f as string;
    return [k, (this.small ? this.small.get(k) : this.big!.get(k))!];
  }

  /** All entries as arrays (for sampling without replacement). */
  entries(): [string, BulkValue][] {
    const out: [string, BulkValue][] = [];
    this.forEach((f, v) => out.push([f as string, v]));
    return out;
  }
}

export type _Check = HashValue;
