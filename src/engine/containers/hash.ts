/**
 * JsHash: the hash container shared by both engines.
 *
 * Encoding follows Redis 7.0: a hash starts "listpack" and converts, one way, to "hashtable" when
 * it gets more than hash-max-listpack-entries fields or a field/value longer than
 * hash-max-listpack-value bytes (the command layer calls `convertIfLonger` / `convertIfBigger` at
 * the points Redis checks; `fitEncoding` checks the whole content, for loaders).
 * - listpack: a JS Map (insertion order, like the listpack, so HGETALL order matches Redis) and
 *   HSCAN returns everything in one call with cursor 0, as Redis does for listpack hashes.
 * - hashtable: a KeyTable (js-map/key-table.ts, the js-map keyspace's own table), fields as its
 *   keys: a field of up to 32 bytes and a value that fits beside it (valueRoom) live in the
 *   field's 64-byte row, so a big hash of small fields holds no JS object per field, a lookup
 *   hashes and compares the argument's bytes in place (no string built), and overwriting a small
 *   value writes the row (no string allocated, nothing for the scavenger). Its reverse-binary
 *   cursor gives HSCAN the SCAN guarantee and about COUNT fields per call; it has no size cap
 *   short of 2^31 fields. (It was a ShardedMap of JS Maps: HSET on a 100k-field hash spent ~40%
 *   of its CPU in Map probes and string hashing and ~11% in GC.)
 *
 * Fields and values are latin1 JS strings in the Map; in the KeyTable, bytes in the row or latin1
 * strings (values > 256 MB stay Buffers). Reads of the big form build strings on demand
 * (get, forEach); writeGet and writeAll send the row's bytes as they are.
 */
import type { BulkSink, Bytes, BulkValue, EncodingLimits, HashValue, MemoryAccount, TableStats } from '../types';
import { StrEnc } from '../types';
import { KeyTable, NONE, hashOfBytes, latin1Slice } from '../js-map/key-table';
import { toBuffer } from '../../util/bytes';
import { storeElem, storeElemAt } from './list';

/**
 * Memory estimate (used_memory, maxmemory): per field beyond the field and value bytes, V8's cost
 * of a Map entry (3 slots and a bucket share, with the table's power-of-two slack) and of two
 * latin1 strings' headers; per hash, the objects. Calibrated against V8's heap after a full
 * collection (100,000 hashes of 8 fields and 5,000 of 200: within 10%). A KeyTable field costs
 * about the same: its 64-byte row, value slot and bucket-head share.
 */
const ENTRY_OVERHEAD = 80;
const BASE_OVERHEAD = 80;
/** A "listpack" Map this large moves to the KeyTable anyway (representation only). */
const MAX_SMALL_MAP = 1 << 16;

/** forEach's Map callback: `this` is the visitor (no closure per forEach call, e.g. per key saved). */
function visitFieldValue(this: (field: BulkValue, value: BulkValue) => void, v: BulkValue, k: string): void {
  this(k, v);
}

export class JsHash implements HashValue {
  readonly type = 'hash' as const;
  private small: Map<string, BulkValue> | null = new Map();
  private big: KeyTable | null = null;
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
    return this.big !== null ? [this.big.stats()] : [];
  }

  /** The big form's table, or null (the js-map Db's prefetch hint). */
  bigTable(): KeyTable | null {
    return this.big;
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
    this.forEach((f, v) => h.setStored(toBuffer(f), v));
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

  /**
   * HashValue.reserve: an empty hash about to get n fields from a load goes to its table at once,
   * sized for them (a table grown one bucket split at a time from MAX_SMALL_MAP fields made
   * loading a 950,000-field hash ~2x slower). Storage only: the encoding stays what fitHash says.
   */
  reserve(n: number): void {
    if (n <= MAX_SMALL_MAP || this.small === null || this.small.size !== 0) return;
    this.small = null;
    this.big = new KeyTable();
    this.big.presize(n);
  }

  private toBig(): void {
    if (!this.small) return;
    const big = new KeyTable();
    this.big = big;
    // (the fields are counted already: moved without accounting)
    for (const [k, v] of this.small) {
      const f = toBuffer(k);
      this.bigSet(f, 0, f.length, v, 0, v.length, false);
    }
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
    return this.setFieldAt(field, 0, field.length, value, 0, value.length, maxValue, maxEntries);
  }

  /**
   * setField of the field fb[fOff, fOff + fLen) and the value vb[vOff, vOff + vLen), without
   * views of them (also the js-map fast lane's HSET, on its input's bytes).
   */
  setFieldAt(fb: Uint8Array, fOff: number, fLen: number, vb: Uint8Array, vOff: number, vLen: number, maxValue: number, maxEntries: number): boolean {
    if (this.lp && (fLen > maxValue || vLen > maxValue)) this.toHashtable();
    if (this.small === null) return this.bigSet(fb, fOff, fLen, vb, vOff, vLen);
    const isNew = this.smallSet(latin1Slice(fb, fOff, fLen), storeElemAt(vb, vOff, vLen));
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

  /** The big form's row of `field`, or NONE. */
  private find(field: Bytes): number {
    return this.big!.findBytes(field, hashOfBytes(field));
  }

  get(field: Bytes): BulkValue | undefined {
    if (this.small) return this.small.get(this.key(field));
    const s = this.find(field);
    return s === NONE ? undefined : (this.big!.value(s) as BulkValue);
  }

  /** HashValue.writeGet: the big form's value from its row's bytes when it is there (no string). */
  writeGet(field: Bytes, out: BulkSink): boolean {
    if (this.small) {
      const v = this.small.get(this.key(field));
      if (v === undefined) return false;
      out.bulk(v);
      return true;
    }
    const s = this.find(field);
    if (s === NONE) return false;
    writeValue(this.big!, s, out);
    return true;
  }

  has(field: Bytes): boolean {
    return this.small ? this.small.has(this.key(field)) : this.find(field) !== NONE;
  }

  /** Set field (bytes) to an already stored value v (clone). */
  private setStored(field: Bytes, v: BulkValue): boolean {
    if (!this.small) return this.bigSet(field, 0, field.length, v, 0, v.length);
    return this.smallSet(this.key(field), v);
  }

  /** The small form's set of field k to the stored value v. True when the field is new. */
  private smallSet(k: string, v: BulkValue): boolean {
    const small = this.small!;
    const old = small.get(k);
    small.set(k, v);
    if (small.size > MAX_SMALL_MAP) this.toBig();
    if (old === undefined) {
      this.addBytes(k.length + v.length + ENTRY_OVERHEAD);
      return true;
    }
    this.addBytes(v.length - old.length);
    return false;
  }

  /**
   * The big form's set of the field fb[fOff, fOff + fLen): the value's bytes vb[vOff, vOff +
   * vLen) into the field's row when they fit beside the field (KeyTable.setValueBytes), else
   * stored as storeElem stores them; or vb an already stored value (a string or a big Buffer, the
   * whole of it); `account` false: the bytes are counted already. True when the field is new.
   */
  private bigSet(fb: Uint8Array, fOff: number, fLen: number, vb: Uint8Array | string, vOff: number, vLen: number, account = true): boolean {
    const t = this.big!;
    const h = hashOfBytes(fb, fOff, fLen);
    let s = t.findAt(fb, fOff, fLen, h);
    let delta = vLen;
    const isNew = s === NONE;
    if (isNew) {
      s = t.insert(fb, fOff, fLen, h, '', 0, StrEnc.Auto);
      delta += fLen + ENTRY_OVERHEAD;
    } else delta -= t.valueLength(s);
    if (typeof vb === 'string') t.setValue(s, vb);
    else if (!t.setValueBytes(s, vb, vOff, vLen)) t.setValue(s, storeElemAt(vb, vOff, vLen));
    if (account) this.addBytes(delta);
    return isNew;
  }

  set(field: Bytes, value: Bytes): boolean {
    if (!this.small) return this.bigSet(field, 0, field.length, value, 0, value.length);
    return this.setStored(field, storeElem(value));
  }

  delete(field: Bytes): boolean {
    if (!this.small) {
      const s = this.find(field);
      if (s === NONE) return false;
      this.addBytes(-(field.length + this.big!.valueLength(s) + ENTRY_OVERHEAD));
      this.big!.remove(s);
      return true;
    }
    const k = this.key(field);
    const old = this.small.get(k);
    if (old === undefined) return false;
    this.small.delete(k);
    this.addBytes(-(k.length + old.length + ENTRY_OVERHEAD));
    return true;
  }

  forEach(visit: (field: BulkValue, value: BulkValue) => void): void {
    // (Map#forEach: no [key, value] array per entry, as for-of over entries makes)
    if (this.small) this.small.forEach(visitFieldValue, visit);
    else {
      const t = this.big!;
      t.forEach((k, s) => visit(k, t.value(s) as BulkValue));
    }
  }

  /**
   * forEach with a Map#forEach callback (value first): the small form's Map calls `visit` itself,
   * with no adapter call per field (the js-map RDB stage, js-map/rdb-save.ts).
   */
  forEachEntry(visit: (value: BulkValue, field: BulkValue) => void): void {
    if (this.small) this.small.forEach(visit);
    else {
      const t = this.big!;
      t.forEach((k, s) => visit(t.value(s) as BulkValue, k));
    }
  }

  /** HashValue.writeAll: the big form's fields and values from their rows (no strings). */
  writeAll(out: BulkSink, fields: boolean, values: boolean): void {
    if (this.small) {
      this.small.forEach((v, k) => {
        if (fields) out.bulk(k);
        if (values) out.bulk(v);
      });
      return;
    }
    const t = this.big!;
    t.forEachSlot((s) => {
      if (fields) writeKey(t, s, out);
      if (values) writeValue(t, s, out);
    });
  }

  scan(cursor: number, count: number, visit: (field: BulkValue, value: BulkValue) => void): number {
    if (this.lp) {
      this.forEach(visit);
      return 0;
    }
    const t = this.big!;
    return t.scan(cursor, count, (k, s) => visit(k, t.value(s) as BulkValue));
  }

  randomField(): BulkValue | undefined {
    if (this.small) {
      const n = this.small.size;
      if (n === 0) return undefined;
      let i = (Math.random() * n) | 0;
      for (const k of this.small.keys()) if (i-- === 0) return k;
      return undefined;
    }
    const s = this.big!.randomSlot();
    return s === NONE ? undefined : this.big!.key(s);
  }

  /** A random (field, value) pair, or undefined when empty. */
  randomEntry(): [BulkValue, BulkValue] | undefined {
    if (!this.small) {
      const s = this.big!.randomSlot();
      return s === NONE ? undefined : [this.big!.key(s), this.big!.value(s) as BulkValue];
    }
    const f = this.randomField();
    if (f === undefined) return undefined;
    const k = f as string;
    return [k, this.small.get(k)!];
  }

  /** All entries as arrays (for sampling without replacement). */
  entries(): [string, BulkValue][] {
    const out: [string, BulkValue][] = [];
    this.forEach((f, v) => out.push([f as string, v]));
    return out;
  }
}

/** The key of row s as a bulk string: from the row's bytes when it is there. */
export function writeKey(t: KeyTable, s: number, out: BulkSink): void {
  const ks = t.inlineKeyStart(s);
  if (ks >= 0) out.bulkBytes(t.rowBytes(s), ks, t.keyLength(s));
  else out.bulk(t.key(s));
}

/** The value of row s as a bulk string: from the row's bytes when it is there. */
function writeValue(t: KeyTable, s: number, out: BulkSink): void {
  const il = t.inlineLength(s);
  if (il >= 0) out.bulkBytes(t.rowBytes(s), t.inlineStart(s), il);
  else out.bulk(t.value(s) as BulkValue);
}

export type _Check = HashValue;
