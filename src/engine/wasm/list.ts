/**
 * WasmList: a ListValue backed by assembly/list.ts (a quicklist-like linked list of packed nodes
 * in linear memory). Behaves as JsList (containers/list.ts) in every method; OBJECT ENCODING is
 * "quicklist", as Redis 7.0 answers for every list.
 *
 * One crossing per command: LPUSH/RPUSH of N elements write all of them into the scratch region
 * as [u32 len][bytes] records and call once (pushAll); LRANGE and LPOP/RPOP with a count write
 * their RESP reply from linear memory into the out buffer, copied to the reply once (writeRange,
 * popResp). Lifetime: see native.ts.
 */
import type { BulkSink, Bytes, BulkValue, EncodingLimits, ListValue } from '../types';
import { WasmOutOfMemoryError } from './loader';
import { NativeCollection, NativeHost } from './native';
import { R_LEN, R_PTR } from './abi';
import { copyAll } from '../../util/bytes';

const HEAD = 0;
const TAIL = 1;

export class WasmList extends NativeCollection implements ListValue {
  readonly type = 'list' as const;

  static create(host: NativeHost): WasmList {
    const p = host.w.x.lCreate() >>> 0;
    if (p === 0) throw new WasmOutOfMemoryError('list create');
    return new WasmList(host, p, true);
  }

  memoryUsage(): number {
    return this.host.w.x.lMemory(this.ptr);
  }

  clone(): WasmList {
    const p = this.host.w.x.lClone(this.ptr) >>> 0;
    if (p === 0) throw new WasmOutOfMemoryError('list clone');
    return new WasmList(this.host, p, true);
  }

  encoding(_limits: EncodingLimits): string {
    return 'quicklist';
  }

  /** list-max-listpack-size for the following pushes and inserts (one engine-wide setting, crossed when it changes). */
  set fill(v: number) {
    setListFill(this.host, v);
  }

  get fill(): number {
    return (this.host as NativeHost & { listFill?: number }).listFill ?? -2;
  }

  /** Nodes of the quicklist (tests, lazy-free effort). */
  nodes(): number {
    return this.host.w.x.lNodes(this.ptr) >>> 0;
  }

  /** The list-compress-depth the list was created with (DEBUG OBJECT ql_compressed). */
  compressDepth(): number {
    return this.host.w.x.lCompressDepth(this.ptr) >>> 0;
  }

  /** Nodes held LZF-compressed (list-compress-depth; tests). */
  compressedNodes(): number {
    return this.host.w.x.lCompressedNodes(this.ptr) >>> 0;
  }

  /** Push args[from..] at one end with one crossing; returns the new length. */
  pushAll(tail: boolean, args: Bytes[], from = 0): number {
    const w = this.host.w;
    w.putRecords(args, from, args.length);
    const r = w.x.lPush(this.ptr, tail ? TAIL : HEAD, args.length - from);
    if (r < 0) throw new WasmOutOfMemoryError(tail ? 'RPUSH' : 'LPUSH');
    return r >>> 0;
  }

  pushHead(v: Bytes): void {
    this.pushAll(false, [v]);
  }

  pushTail(v: Bytes): void {
    this.pushAll(true, [v]);
  }

  private popOne(where: number): BulkValue | undefined {
    const w = this.host.w;
    const n = w.x.lPop(this.ptr, where, 1, 0);
    if (n < 0) throw new WasmOutOfMemoryError('list pop');
    if (n === 0) return undefined;
    w.sync();
    const off = w.outPtr();
    return this.str(off + 4, w.u8.readUInt32LE(off));
  }

  popHead(): BulkValue | undefined {
    return this.popOne(HEAD);
  }

  popTail(): BulkValue | undefined {
    return this.popOne(TAIL);
  }

  /** Pop up to `count` elements from one end, written into `out` as RESP bulk strings. */
  popResp(out: BulkSink, tail: boolean, count: number): number {
    const w = this.host.w;
    const n = w.x.lPop(this.ptr, tail ? TAIL : HEAD, Math.min(count, 0xffffffff), 1);
    if (n < 0) throw new WasmOutOfMemoryError('list pop output');
    w.sync();
    out.rawBytes(w.u8, w.outPtr(), w.outLen());
    return n;
  }

  at(index: number): BulkValue | undefined {
    const w = this.host.w;
    const r = w.x.lIndex(this.ptr, index);
    if (r < 0) throw new WasmOutOfMemoryError('LINDEX');
    if (r === 0) return undefined;
    return this.str(w.resU32(R_PTR), w.resU32(R_LEN));
  }

  setAt(index: number, v: Bytes): void {
    const w = this.host.w;
    const n = w.putBytes(v);
    if (w.x.lSet(this.ptr, index, n) < 0) throw new WasmOutOfMemoryError('LSET');
  }

  range(start: number, stop: number, visit: (v: BulkValue, index: number) => void): void {
    const w = this.host.w;
    const size = this.size;
    if (start > stop || start >= size) return;
    const end = Math.min(stop, size - 1);
    const n = w.x.lRange(this.ptr, start, end, 0);
    if (n < 0) throw new WasmOutOfMemoryError('list output');
    w.sync();
    const u8 = w.u8;
    const vals: BulkValue[] = new Array(n);
    let off = w.outPtr();
    for (let i = 0; i < n; i++) {
      const len = u8.readUInt32LE(off);
      vals[i] = this.str(off + 4, len);
      off += 4 + len;
    }
    // Decode everything first: a visitor may call into the engine (and reuse the out buffer).
    for (let i = 0; i < n; i++) visit(vals[i], start + i);
  }

  /** Elements [start, stop] (valid, inclusive) as RESP bulk strings into `out` (LRANGE). */
  writeRange(out: BulkSink, start: number, stop: number): void {
    const w = this.host.w;
    if (w.x.lRange(this.ptr, start, stop, 1) < 0) throw new WasmOutOfMemoryError('LRANGE output');
    w.sync();
    out.rawBytes(w.u8, w.outPtr(), w.outLen());
  }

  insert(pivot: Bytes, v: Bytes, after: boolean): number {
    const w = this.host.w;
    w.ensureScratch(pivot.length + v.length);
    const pl = w.putBytes(pivot, 0);
    const vl = w.putBytes(v, pl);
    const r = w.x.lInsert(this.ptr, pl, vl, after ? 1 : 0);
    if (r === -2) throw new WasmOutOfMemoryError('LINSERT');
    return r;
  }

  remove(v: Bytes, count: number): number {
    const w = this.host.w;
    const r = w.x.lRemove(this.ptr, w.putBytes(v), count);
    if (r < 0) throw new WasmOutOfMemoryError('LREM');
    return r;
  }

  trim(start: number, stop: number): void {
    const x = this.host.w.x;
    const r = start > stop ? x.lTrim(this.ptr, 1, 0) : x.lTrim(this.ptr, Math.min(start, 0xffffffff), Math.min(stop, 0xffffffff));
    if (r < 0) throw new WasmOutOfMemoryError('LTRIM');
  }

  positions(v: Bytes, rank: number, count: number, maxlen: number): number[] {
    const w = this.host.w;
    const n = w.x.lPos(this.ptr, w.putBytes(v), rank, count, maxlen);
    if (n < 0) throw new WasmOutOfMemoryError('LPOS output');
    w.sync();
    const out: number[] = new Array(n);
    const base = w.outPtr();
    for (let i = 0; i < n; i++) out[i] = w.u8.readUInt32LE(base + 4 * i);
    return out;
  }
}

/** list-max-listpack-size for the following pushes and inserts (one engine-wide setting, crossed when it changes). */
export function setListFill(host: NativeHost, v: number): void {
  const h = host as NativeHost & { listFill?: number };
  if (h.listFill !== v) {
    h.listFill = v;
    h.w.x.lSetFill(Math.max(-5, Math.min(v, 32768)));
  }
}

export type _Check = ListValue;
