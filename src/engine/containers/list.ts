/**
 * JsList: the list container shared by both engines (Redis's quicklist).
 *
 * A ring buffer of elements (power-of-two capacity) gives O(1) amortized push/pop at both ends and
 * O(1) access by index; middle edits (LINSERT, LREM, LTRIM) are O(n) like Redis's. Elements are
 * stored as latin1 JS strings (1 char = 1 byte, binary-safe); elements larger than 256 MB stay
 * Buffers (V8's string length limit is just under 512 MB).
 *
 * Redis 7.0 always reports OBJECT ENCODING "quicklist" for lists (listpack lists are 7.2).
 *
 * Memory: `bytes` is sum(element length + ELEM_OVERHEAD), kept current on every change and mirrored
 * into the attached MemoryAccount.
 */
import type { Bytes, BulkValue, EncodingLimits, ListValue, MemoryAccount } from '../types';
import { latin1Slice } from '../js-map/key-table';

/**
 * Memory estimate (used_memory, maxmemory): per element beyond its bytes, a latin1 string's header
 * and its ring-buffer slot with the buffer's doubling slack; per list, the objects. Calibrated
 * against V8's heap after a full collection (100,000 lists of 8 elements and 5,000 of 200:
 * within 10%).
 */
const ELEM_OVERHEAD = 36;
const BASE_OVERHEAD = 90;
const MAX_AS_STRING = 256 * 1024 * 1024;
const MIN_CAP = 8;

/** Copy input bytes into the stored representation. */
export function storeElem(v: Bytes): BulkValue {
  return v.length > MAX_AS_STRING ? Buffer.from(v) : v.latin1Slice(0, v.length);
}

/** storeElem of the bytes b[off, off + len), without a view of them. */
export function storeElemAt(b: Uint8Array, off: number, len: number): BulkValue {
  return len > MAX_AS_STRING ? Buffer.from(b.subarray(off, off + len)) : latin1Slice(b, off, len);
}

/**
 * storeElem for a push: a short element equal to the previous pushed one reuses its string (JS
 * strings are immutable, so sharing is invisible). A queue fed the same small payload (flags,
 * markers, redis-benchmark's "xxx") then allocates nothing per push and leaves V8's scavenger no
 * survivors to copy: in process LPUSH mylist xxx spent 19% of its CPU in GC before.
 */
let lastPushed = '';
const SHARE_MAX = 32;
function storePushed(v: Bytes): BulkValue {
  const n = v.length;
  if (n <= SHARE_MAX) return sharedPushed(v, 0, n) ?? (lastPushed = v.latin1Slice(0, n));
  return storeElem(v);
}

/** storePushed's reuse: the previous pushed string when it has the bytes b[off, off + n), else null. */
function sharedPushed(b: Uint8Array, off: number, n: number): string | null {
  const last = lastPushed;
  if (last.length !== n) return null;
  let i = 0;
  while (i < n && last.charCodeAt(i) === b[off + i]) i++;
  return i === n ? last : null;
}

/** Equality between a stored element and a probe given both as Buffer and (if small) string. */
function sameBytes(stored: BulkValue, probeStr: string | null, probe: Bytes): boolean {
  if (typeof stored === 'string') return probeStr !== null && stored === probeStr;
  return stored.length === probe.length && stored.equals(probe);
}

function probeString(v: Bytes): string | null {
  return v.length > MAX_AS_STRING ? null : v.latin1Slice(0, v.length);
}

export class JsList implements ListValue {
  readonly type = 'list' as const;
  private buf: (BulkValue | undefined)[] = new Array(MIN_CAP);
  private head = 0;
  private len = 0;
  private bytes = BASE_OVERHEAD;
  private account: MemoryAccount | null = null;
  /** list-max-listpack-size (ListValue.fill): unused, a ring buffer has no nodes. */
  fill = -2;

  get size(): number {
    return this.len;
  }

  memoryUsage(): number {
    return this.bytes;
  }

  attach(a: MemoryAccount | null): void {
    this.account = a;
  }

  encoding(_limits: EncodingLimits): string {
    return 'quicklist';
  }

  clone(): JsList {
    const l = new JsList();
    for (let i = 0; i < this.len; i++) l.pushStored(this.get(i));
    return l;
  }

  private addBytes(n: number): void {
    this.bytes += n;
    if (this.account) this.account.bytes += n;
  }

  private get(i: number): BulkValue {
    return this.buf[(this.head + i) & (this.buf.length - 1)]!;
  }

  private resize(cap: number): void {
    const nb: (BulkValue | undefined)[] = new Array(cap);
    const mask = this.buf.length - 1;
    for (let i = 0; i < this.len; i++) nb[i] = this.buf[(this.head + i) & mask];
    this.buf = nb;
    this.head = 0;
  }

  private grow(): void {
    if (this.len === this.buf.length) this.resize(this.buf.length * 2);
  }

  private shrink(): void {
    const cap = this.buf.length;
    if (cap > MIN_CAP && this.len < cap / 4) {
      let n = cap;
      while (n > MIN_CAP && this.len < n / 4) n /= 2;
      this.resize(n);
    }
  }

  private pushStored(v: BulkValue): void {
    this.grow();
    this.buf[(this.head + this.len) & (this.buf.length - 1)] = v;
    this.len++;
    this.addBytes(v.length + ELEM_OVERHEAD);
  }

  pushTail(v: Bytes): void {
    this.pushStored(storePushed(v));
  }

  pushHead(v: Bytes): void {
    this.pushHeadStored(storePushed(v));
  }

  /**
   * pushTail (tail) or pushHead of the element b[off, off + len) (len up to MAX_AS_STRING),
   * stored as storePushed stores it, without a view of it (the js-map fast lane's pushes).
   */
  pushBytes(tail: boolean, b: Uint8Array, off: number, len: number): void {
    const s = len <= SHARE_MAX ? sharedPushed(b, off, len) ?? (lastPushed = latin1Slice(b, off, len)) : latin1Slice(b, off, len);
    if (tail) this.pushStored(s);
    else this.pushHeadStored(s);
  }

  private pushHeadStored(s: BulkValue): void {
    this.grow();
    this.head = (this.head - 1) & (this.buf.length - 1);
    this.buf[this.head] = s;
    this.len++;
    this.addBytes(s.length + ELEM_OVERHEAD);
  }

  popHead(): BulkValue | undefined {
    if (this.len === 0) return undefined;
    const v = this.buf[this.head]!;
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & (this.buf.length - 1);
    this.len--;
    this.addBytes(-(v.length + ELEM_OVERHEAD));
    this.shrink();
    return v;
  }

  popTail(): BulkValue | undefined {
    if (this.len === 0) return undefined;
    const i = (this.head + this.len - 1) & (this.buf.length - 1);
    const v = this.buf[i]!;
    this.buf[i] = undefined;
    this.len--;
    this.addBytes(-(v.length + ELEM_OVERHEAD));
    this.shrink();
    return v;
  }

  at(index: number): BulkValue | undefined {
    if (index < 0) index += this.len;
    if (index < 0 || index >= this.len) return undefined;
    return this.get(index);
  }

  setAt(index: number, v: Bytes): void {
    const i = (this.head + index) & (this.buf.length - 1);
    const old = this.buf[i]!;
    const s = storeElem(v);
    this.buf[i] = s;
    this.addBytes(s.length - old.length);
  }

  /**
   * The ring buffer, for a loop reading the elements in place (the js-map RDB stage,
   * js-map/rdb-save.ts: no call per element): element i < size is
   * ring[(ringHead + i) & (ring.length - 1)]. Valid until the list changes.
   */
  get ring(): readonly (BulkValue | undefined)[] {
    return this.buf;
  }

  get ringHead(): number {
    return this.head;
  }

  range(start: number, stop: number, visit: (v: BulkValue, index: number) => void): void {
    const mask = this.buf.length - 1;
    for (let i = start; i <= stop && i < this.len; i++) visit(this.buf[(this.head + i) & mask]!, i);
  }

  /** Visit [start, stop] from stop down to start (tail-first pops with a count). */
  rangeReverse(start: number, stop: number, visit: (v: BulkValue) => void): void {
    const mask = this.buf.length - 1;
    for (let i = Math.min(stop, this.len - 1); i >= start; i--) visit(this.buf[(this.head + i) & mask]!);
  }

  /** Replace the contents by `items` (already stored representation). */
  private rebuild(items: BulkValue[]): void {
    let cap = MIN_CAP;
    while (cap < items.length) cap *= 2;
    const nb: (BulkValue | undefined)[] = new Array(cap);
    let bytes = BASE_OVERHEAD;
    for (let i = 0; i < items.length; i++) {
      nb[i] = items[i];
      bytes += items[i].length + ELEM_OVERHEAD;
    }
    this.buf = nb;
    this.head = 0;
    this.len = items.length;
    this.addBytes(bytes - this.bytes);
  }

  private toArray(): BulkValue[] {
    const out: BulkValue[] = new Array(this.len);
    const mask = this.buf.length - 1;
    for (let i = 0; i < this.len; i++) out[i] = this.buf[(this.head + i) & mask]!;
    return out;
  }

  insert(pivot: Bytes, v: Bytes, after: boolean): number {
    const ps = probeString(pivot);
    let found = -1;
    const mask = this.buf.length - 1;
    for (let i = 0; i < this.len; i++) {
      if (sameBytes(this.buf[(this.head + i) & mask]!, ps, pivot)) {
        found = i;
        break;
      }
    }
    if (found === -1) return -1;
    const pos = after ? found + 1 : found;
    if (pos === this.len) {
      this.pushTail(v);
      return this.len;
    }
    if (pos === 0) {
      this.pushHead(v);
      return this.len;
    }
    const s = storeElem(v);
    this.grow();
    const m = this.buf.length - 1;
    // Shift the shorter side by one slot.
    if (pos < this.len / 2) {
      this.head = (this.head - 1) & m;
      for (let i = 0; i < pos; i++) this.buf[(this.head + i) & m] = this.buf[(this.head + i + 1) & m];
    } else {
      for (let i = this.len; i > pos; i--) this.buf[(this.head + i) & m] = this.buf[(this.head + i - 1) & m];
    }
    this.buf[(this.head + pos) & m] = s;
    this.len++;
    this.addBytes(s.length + ELEM_OVERHEAD);
    return this.len;
  }

  remove(v: Bytes, count: number): number {
    const ps = probeString(v);
    const items = this.toArray();
    let removed = 0;
    const n = items.length;
    const keep = new Uint8Array(n).fill(1);
    if (count >= 0) {
      for (let i = 0; i < n; i++) {
        if (sameBytes(items[i], ps, v)) {
          keep[i] = 0;
          removed++;
          if (count > 0 && removed === count) break;
        }
      }
    } else {
      for (let i = n - 1; i >= 0; i--) {
        if (sameBytes(items[i], ps, v)) {
          keep[i] = 0;
          removed++;
          if (removed === -count) break;
        }
      }
    }
    if (removed === 0) return 0;
    const out: BulkValue[] = [];
    for (let i = 0; i < n; i++) if (keep[i]) out.push(items[i]);
    this.rebuild(out);
    return removed;
  }

  trim(start: number, stop: number): void {
    if (start > stop || start >= this.len) {
      this.rebuild([]);
      return;
    }
    if (stop >= this.len) stop = this.len - 1;
    // Pop from the ends: O(removed), keeps the accounting exact.
    const dropTail = this.len - 1 - stop;
    for (let i = 0; i < dropTail; i++) this.popTail();
    for (let i = 0; i < start; i++) this.popHead();
  }

  /**
   * LPOS scan. `rank` > 0 scans from the head, < 0 from the tail (|rank| = which match to start
   * from); `count` 0 = all matches; `maxlen` 0 = no limit. Indexes are from the head. A rank of
   * -Infinity (LONG_MIN, which Redis negates with overflow) starts at the first match from the tail
   * and never stops on COUNT, as Redis 7.0 does.
   */
  positions(v: Bytes, rank: number, count: number, maxlen: number): number[] {
    const ps = probeString(v);
    const out: number[] = [];
    const fromTail = rank < 0;
    const longMin = rank === -Infinity;
    const r = longMin ? 1 : Math.abs(rank);
    let matches = 0;
    const mask = this.buf.length - 1;
    for (let k = 0; k < this.len && (maxlen === 0 || k < maxlen); k++) {
      const idx = fromTail ? this.len - 1 - k : k;
      if (sameBytes(this.buf[(this.head + idx) & mask]!, ps, v)) {
        matches++;
        if (matches >= r) {
          out.push(idx);
          if (!longMin && count > 0 && matches - r + 1 >= count) break;
        }
      }
    }
    return out;
  }
}

export type _Check = ListValue;
