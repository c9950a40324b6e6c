/**
 * WasmHash: a HashValue backed by assembly/hash.ts (packed listpack-like block, converted one way
 * to a dict with incremental rehash). Behaves as JsHash (containers/hash.ts) in every method: same
 * encodings and conversion points, insertion order while listpack, HSCAN whole for listpack and
 * dictScan-like (about COUNT fields per call) for hashtable. Lifetime: see native.ts.
 */
import type { BulkSink, Bytes, BulkValue, EncodingLimits, HashValue } from '../types';
import { WasmOutOfMemoryError } from './loader';
import { NativeCollection, NativeHost } from './native';
import { R_HANDLE, R_LEN, R_MISC, R_PTR } from './abi';

export const NO_LIMIT = 0xffffffff;

export class WasmHash extends NativeCollection implements HashValue {
  readonly type = 'hash' as const;

  static create(host: NativeHost): WasmHash {
    const p = host.w.x.hCreate() >>> 0;
    if (p === 0) throw new WasmOutOfMemoryError('hash create');
    return new WasmHash(host, p, true);
  }

  memoryUsage(): number {
    return this.host.w.x.hMemory(this.ptr);
  }

  clone(): WasmHash {
    const p = this.host.w.x.hClone(this.ptr) >>> 0;
    if (p === 0) throw new WasmOutOfMemoryError('hash clone');
    return new WasmHash(this.host, p, true);
  }

  encoding(_limits: EncodingLimits): string {
    return this.host.w.x.hIsListpack(this.ptr) ? 'listpack' : 'hashtable';
  }

  get(field: Bytes): BulkValue | undefined {
    const w = this.host.w;
    const n = w.putBytes(field);
    if (w.x.hGet(this.ptr, n) === 0) return undefined;
    return this.str(w.resU32(R_PTR), w.resU32(R_LEN));
  }

  writeGet(field: Bytes, out: BulkSink): boolean {
    const w = this.host.w;
    const n = w.putBytes(field);
    if (w.x.hGet(this.ptr, n) === 0) return false;
    w.sync();
    out.bulkBytes(w.u8, w.resU32(R_PTR), w.resU32(R_LEN));
    return true;
  }

  has(field: Bytes): boolean {
    const w = this.host.w;
    return w.x.hGet(this.ptr, w.putBytes(field)) === 1;
  }

  private put(field: Bytes, value: Bytes, maxValue: number, maxEntries: number): boolean {
    const w = this.host.w;
    w.ensureScratch(field.length + value.length);
    const fl = w.putBytes(field, 0);
    const vl = w.putBytes(value, fl);
    const r = w.x.hSet(this.ptr, fl, vl, maxValue, maxEntries);
    if (r < 0) throw new WasmOutOfMemoryError('HSET');
    return r === 1;
  }

  set(field: Bytes, value: Bytes): boolean {
    return this.put(field, value, NO_LIMIT, NO_LIMIT);
  }

  setField(field: Bytes, value: Bytes, maxValue: number, maxEntries: number): boolean {
    return this.put(field, value, Math.min(maxValue, NO_LIMIT), Math.min(maxEntries, NO_LIMIT));
  }

  /** HashValue.setMany (types.ts): the pairs args[from, to) in one crossing; fields added. */
  setMany(args: readonly Bytes[], from: number, to: number, maxValue: number, maxEntries: number): number {
    const w = this.host.w;
    const n = w.putRecords(args, from, to) / 2;
    const r = w.x.hSetMany(this.ptr, n, Math.min(maxValue, NO_LIMIT), Math.min(maxEntries, NO_LIMIT));
    if (r < 0) throw new WasmOutOfMemoryError('HSET');
    return r;
  }

  delete(field: Bytes): boolean {
    const w = this.host.w;
    return w.x.hDelete(this.ptr, w.putBytes(field)) === 1;
  }

  private toHashtable(): void {
    if (this.host.w.x.hConvert(this.ptr) === 0) throw new WasmOutOfMemoryError('hash convert');
  }

  convertIfLonger(maxValue: number, args: Bytes[], from = 0, to = args.length - 1): void {
    // The lengths first: the usual HSET has no long argument and then needs no crossing.
    for (let i = from; i <= to; i++) {
      if (args[i].length > maxValue) {
        if (this.host.w.x.hIsListpack(this.ptr)) this.toHashtable();
        return;
      }
    }
  }

  /** Whole-content check against the limits (RDB load, RESTORE). */
  fitEncoding(limits: EncodingLimits): void {
    if (!this.host.w.x.hIsListpack(this.ptr)) return;
    if (this.size > limits.hashMaxListpackEntries) return this.toHashtable();
    let long = false;
    this.forEach((f, v) => {
      if (f.length > limits.hashMaxListpackValue || v.length > limits.hashMaxListpackValue) long = true;
    });
    if (long) this.toHashtable();
  }

  /** Decode `n` records [u32 flen][u32 vlen][field][value] from the out buffer. */
  private records(n: number, fields: BulkValue[], values: BulkValue[]): void {
    const w = this.host.w;
    w.sync();
    const u8 = w.u8;
    let off = w.outPtr();
    for (let i = 0; i < n; i++) {
      const fl = u8.readUInt32LE(off);
      const vl = u8.readUInt32LE(off + 4);
      off += 8;
      fields.push(this.str(off, fl));
      off += fl;
      values.push(this.str(off, vl));
      off += vl;
    }
  }

  forEach(visit: (field: BulkValue, value: BulkValue) => void): void {
    const w = this.host.w;
    const size = this.size;
    const n = w.x.hOut(this.ptr) >>> 0;
    if (n < size) throw new WasmOutOfMemoryError('hash output');
    const fields: BulkValue[] = [];
    const values: BulkValue[] = [];
    this.records(n, fields, values);
    for (let i = 0; i < n; i++) visit(fields[i], values[i]);
  }

  scan(cursor: number, count: number, visit: (field: BulkValue, value: BulkValue) => void): number {
    const w = this.host.w;
    const next = w.x.hScan(this.ptr, cursor >>> 0, count > 0 ? Math.min(count, 0x7fffffff) : 10) >>> 0;
    if (w.resU32(R_MISC) === 1) throw new WasmOutOfMemoryError('HSCAN output');
    const fields: BulkValue[] = [];
    const values: BulkValue[] = [];
    // Records end at the out buffer's length: count them while decoding.
    w.sync();
    const u8 = w.u8;
    let off = w.outPtr();
    const end = off + w.outLen();
    while (off < end) {
      const fl = u8.readUInt32LE(off);
      const vl = u8.readUInt32LE(off + 4);
      off += 8;
      fields.push(this.str(off, fl));
      off += fl;
      values.push(this.str(off, vl));
      off += vl;
    }
    for (let i = 0; i < fields.length; i++) visit(fields[i], values[i]);
    return next;
  }

  randomField(): BulkValue | undefined {
    const w = this.host.w;
    if (w.x.hRandom(this.ptr) === 0) return undefined;
    return this.str(w.resU32(R_PTR), w.resU32(R_LEN));
  }

  randomEntry(): [BulkValue, BulkValue] | undefined {
    const w = this.host.w;
    if (w.x.hRandom(this.ptr) === 0) return undefined;
    const f = this.str(w.resU32(R_PTR), w.resU32(R_LEN));
    return [f, this.str(w.resU32(R_HANDLE), w.resU32(R_MISC))];
  }

  writeAll(out: BulkSink, fields: boolean, values: boolean): void {
    const w = this.host.w;
    if (w.x.hResp(this.ptr, (fields ? 1 : 0) | (values ? 2 : 0)) === 0) throw new WasmOutOfMemoryError('HGETALL output');
    w.sync();
    out.rawBytes(w.u8, w.outPtr(), w.outLen());
  }

  entries(): [BulkValue, BulkValue][] {
    const out: [BulkValue, BulkValue][] = [];
    this.forEach((f, v) => out.push([f, v]));
    return out;
  }
}

export type _Check = HashValue;
