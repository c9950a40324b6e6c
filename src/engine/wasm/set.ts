/**
 * WasmSet: a SetValue backed by assembly/set.ts (intset with 16/32/64-bit widths, converted one
 * way to a dict). Behaves as JsSet (containers/set.ts): intset members in ascending order and
 * SSCAN whole for an intset; hashtable SSCAN returns about COUNT members per call, as dictScan.
 * Lifetime: see native.ts.
 */
import type { BulkSink, Bytes, BulkValue, EncodingLimits, SetValue } from '../types';
import { WasmOutOfMemoryError } from './loader';
import { NativeCollection, NativeHost } from './native';
import { R_LEN, R_MISC, R_PTR } from './abi';

export const INTSET_HARD_MAX = 1 << 30;

export class WasmSet extends NativeCollection implements SetValue {
  readonly type = 'set' as const;
  /** set-max-intset-entries used by add (the command layer sets the live config value). */
  maxIntset = 512;

  static create(host: NativeHost): WasmSet {
    const p = host.w.x.sCreate() >>> 0;
    if (p === 0) throw new WasmOutOfMemoryError('set create');
    return new WasmSet(host, p, true);
  }

  memoryUsage(): number {
    return this.host.w.x.sMemory(this.ptr);
  }

  clone(): WasmSet {
    const p = this.host.w.x.sClone(this.ptr) >>> 0;
    if (p === 0) throw new WasmOutOfMemoryError('set clone');
    const s = new WasmSet(this.host, p, true);
    s.maxIntset = this.maxIntset;
    return s;
  }

  encoding(_limits: EncodingLimits): string {
    return this.isIntset() ? 'intset' : 'hashtable';
  }

  isIntset(): boolean {
    return this.host.w.x.sIsIntset(this.ptr) === 1;
  }

  add(member: Bytes): boolean {
    const w = this.host.w;
    const n = w.putBytes(member);
    const r = w.x.sAdd(this.ptr, n, Math.min(Math.max(this.maxIntset, 0), INTSET_HARD_MAX));
    if (r < 0) throw new WasmOutOfMemoryError('SADD');
    return r === 1;
  }

  /** SetValue.addMany (types.ts): members args[from, to) in one crossing; how many were added. */
  addMany(args: readonly Bytes[], from: number, to: number): number {
    const w = this.host.w;
    const n = w.putRecords(args, from, to);
    const r = w.x.sAddMany(this.ptr, n, Math.min(Math.max(this.maxIntset, 0), INTSET_HARD_MAX));
    if (r < 0) throw new WasmOutOfMemoryError('SADD');
    return r;
  }

  delete(member: Bytes): boolean {
    const w = this.host.w;
    return w.x.sDelete(this.ptr, w.putBytes(member)) === 1;
  }

  has(member: Bytes): boolean {
    const w = this.host.w;
    return w.x.sHas(this.ptr, w.putBytes(member)) === 1;
  }

  reencode(maxIntset: number): void {
    if (this.host.w.x.sReencode(this.ptr, Math.min(Math.max(maxIntset, 0), INTSET_HARD_MAX)) === 0) {
      throw new WasmOutOfMemoryError('set encode');
    }
  }

  /** Whole-content check (RDB load, RESTORE). */
  fitEncoding(limits: EncodingLimits): void {
    if (this.isIntset() && this.size > Math.min(limits.setMaxIntsetEntries, INTSET_HARD_MAX)) {
      if (this.host.w.x.sConvert(this.ptr) === 0) throw new WasmOutOfMemoryError('set convert');
    }
  }

  /** Decode the out buffer's [u32 len][bytes] records. */
  private records(out: BulkValue[]): BulkValue[] {
    const w = this.host.w;
    w.sync();
    const u8 = w.u8;
    let off = w.outPtr();
    const end = off + w.outLen();
    while (off < end) {
      const len = u8.readUInt32LE(off);
      out.push(this.str(off + 4, len));
      off += 4 + len;
    }
    return out;
  }

  toArray(): BulkValue[] {
    const size = this.size;
    if (size === 0) return [];
    const n = this.host.w.x.sOut(this.ptr) >>> 0;
    if (n < size) throw new WasmOutOfMemoryError('set output');
    return this.records([]);
  }

  forEach(visit: (member: BulkValue) => void): void {
    const all = this.toArray();
    for (let i = 0; i < all.length; i++) visit(all[i]);
  }

  scan(cursor: number, count: number, visit: (member: BulkValue) => void): number {
    const w = this.host.w;
    const next = w.x.sScan(this.ptr, cursor >>> 0, count > 0 ? Math.min(count, 0x7fffffff) : 10) >>> 0;
    if (w.resU32(R_MISC) === 1) throw new WasmOutOfMemoryError('SSCAN output');
    const got = this.records([]);
    for (let i = 0; i < got.length; i++) visit(got[i]);
    return next;
  }

  writeMembers(out: BulkSink): void {
    const w = this.host.w;
    if (w.x.sResp(this.ptr) === 0) throw new WasmOutOfMemoryError('SMEMBERS output');
    w.sync();
    out.rawBytes(w.u8, w.outPtr(), w.outLen());
  }

  randomMember(): BulkValue | undefined {
    const w = this.host.w;
    if (w.x.sRandom(this.ptr) === 0) return undefined;
    return this.str(w.resU32(R_PTR), w.resU32(R_LEN));
  }
}

export type _Check = SetValue;
