/**
 * The stream value (Redis t_stream.c / stream.h): entries in ID order plus consumer groups.
 *
 * Layout, mirroring Redis's radix tree of listpacks at a similar cost:
 * - `chunks` is an ordered array of nodes. A node holds up to `stream-node-max-entries` entries
 *   (live or deleted), its first entry's ID acting as the "master ID", the master field names,
 *   and per entry: absolute ID (ms, seq), flags (deleted / same-fields-as-master), and the
 *   field/value strings (latin1, only the values when the fields equal the master fields).
 * - Node boundaries follow Redis exactly: each node tracks the byte size its listpack would have
 *   (entry encodings and back-lengths computed as listpack.c does), and a new node starts when
 *   `lpBytes + new element bytes >= stream-node-max-bytes` or the node holds max-entries. So
 *   XINFO radix-tree-keys and approximate (`~`) trimming, which only drops whole nodes, match.
 * - XADD appends to the tail node: amortized O(1). Range reads binary-search the node whose
 *   master ID is <= start, then the entry inside it: O(log n + k). XDEL marks entries deleted
 *   and drops a node when its last live entry goes (as streamIteratorRemoveEntry).
 * - IDs are two unsigned 64-bit integers. They are held as `U64` = number when <= 2^53-1 and
 *   bigint above (always normalised, so === compares values and < > work across both kinds).
 *
 * Consumer groups: each group has a PEL (pending entries, ordered by ID) whose NACKs point to
 * their consumer; each consumer has its own PEL holding the same NACK objects.
 */
import type { Container, MemoryAccount } from '../types';
import { strToInt64 } from '../../util/number';

export type U64 = number | bigint;
export interface StreamID {
  ms: U64;
  seq: U64;
}

export const U64_MAX = 18446744073709551615n;
const SAFE = Number.MAX_SAFE_INTEGER;

export const MIN_ID: StreamID = { ms: 0, seq: 0 };
export const MAX_ID: StreamID = { ms: U64_MAX, seq: U64_MAX };

/** Normalise a bigint into the canonical U64 form. */
export function u64(b: bigint): U64 {
  return b <= 9007199254740991n ? Number(b) : b;
}

export function cmpU64(a: U64, b: U64): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function idCmp(a: StreamID, b: StreamID): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}

function cmpParts(ms: U64, seq: U64, b: StreamID): number {
  if (ms !== b.ms) return ms < b.ms ? -1 : 1;
  if (seq !== b.seq) return seq < b.seq ? -1 : 1;
  return 0;
}

export function idIsZero(id: StreamID): boolean {
  return id.ms === 0 && id.seq === 0;
}

export function formatId(id: StreamID): string {
  return `${id.ms}-${id.seq}`;
}

function incU64(x: U64): U64 {
  if (typeof x === 'number' && x < SAFE) return x + 1;
  return u64(BigInt(x) + 1n);
}

function decU64(x: U64): U64 {
  if (typeof x === 'number') return x - 1;
  return u64(x - 1n);
}

/** streamIncrID: the successor ID, or null when `id` is the maximum (Redis wraps and errors). */
export function idIncr(id: StreamID): StreamID | null {
  if (id.seq === U64_MAX) {
    if (id.ms === U64_MAX) return null;
    return { ms: incU64(id.ms), seq: 0 };
  }
  return { ms: id.ms, seq: incU64(id.seq) };
}

/** streamDecrID: the predecessor ID, or null when `id` is 0-0. */
export function idDecr(id: StreamID): StreamID | null {
  if (id.seq === 0) {
    if (id.ms === 0) return null;
    return { ms: decU64(id.ms), seq: u64(U64_MAX) };
  }
  return { ms: id.ms, seq: decU64(id.seq) };
}

// ------------------------------------------------------------------ listpack size model

/** lpEncodeBacklen size for an encoded entry of `l` bytes. */
function backlenSize(l: number): number {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

/** Total listpack bytes (encoding + back-length) of an integer element. */
function lpIntSize(v: U64 | number): number {
  let enc: number;
  if (typeof v === 'bigint') enc = 9;
  else if (v >= 0 && v <= 127) enc = 1;
  else if (v >= -4096 && v <= 4095) enc = 2;
  else if (v >= -32768 && v <= 32767) enc = 3;
  else if (v >= -8388608 && v <= 8388607) enc = 4;
  else if (v >= -2147483648 && v <= 2147483647) enc = 5;
  else enc = 9;
  return enc + backlenSize(enc);
}

/** Listpack bytes of a string element (integer-looking strings are stored as integers). */
function lpStrSize(s: string): number {
  if (s.length <= 20) {
    const n = strToInt64(s);
    if (n !== null) return lpIntSize(typeof n === 'bigint' ? n : n);
  }
  const l = s.length;
  const enc = l < 64 ? 1 + l : l < 4096 ? 2 + l : 5 + l;
  return enc + backlenSize(enc);
}

/** A delta (id part minus master part) as the int64 Redis stores. */
function deltaSize(a: U64, b: U64): number {
  if (typeof a === 'number' && typeof b === 'number') return lpIntSize(a - b);
  const d = BigInt.asIntN(64, BigInt(a) - BigInt(b));
  return lpIntSize(d >= -9007199254740991n && d <= 9007199254740991n ? Number(d) : d);
}

const LP_HDR_EOF = 7;
/** StreamNode.text: shared empty buffer, then at least this many bytes. */
const NO_TEXT = Buffer.alloc(0);
const TEXT_MIN = 64;
/** Entries a node keeps in plain arrays before its typed ones (see StreamNode). */
const PACK_AT = 16;
/** memBytes' fixed part: the node object, its array and typed-array objects and buffers' bookkeeping. */
const NODE_OVERHEAD = 640;
/** A stream's own objects before any node (JsStream.bytes starts there). */
const STREAM_OVERHEAD = 384;
const FLAG_DELETED = 1;
const FLAG_SAMEFIELDS = 2;

// ------------------------------------------------------------------ nodes

export class StreamNode {
  /*
   * Per entry: ID parts, flags, the index of its first string and its field count. A node's first
   * PACK_AT entries go in plain arrays; past that, in typed arrays of `cap` slots of which `n` are
   * used (a JS array slot is 8 bytes even for a small integer, and growth leaves up to half of it
   * empty; but every ArrayBuffer also costs ~200 bytes of bookkeeping, which a stream of a few
   * entries would feel). An ID part past 2^53 is a bigint, which a Float64Array cannot hold: the
   * node then keeps its IDs in plain arrays (idsGeneric).
   */
  ms: Float64Array | U64[] = [];
  seq: Float64Array | U64[] = [];
  flags: Uint8Array | number[] = [];
  /** Index of each entry's first string (see `text`). */
  off: Uint32Array | number[] = [];
  /** Number of fields of each entry. */
  nf: Uint32Array | number[] = [];
  private n = 0;
  private packed = false;
  private idsGeneric = false;
  /**
   * The entries' strings (values only for same-fields entries, else field,value pairs), as latin1
   * bytes back to back in one buffer per node, string k ending at ends[k]. With a string object
   * and a JS array slot per field and value, and the per-entry arrays above as JS arrays, a
   * 2-field entry cost ~130 bytes (Redis's listpack: ~20). Reads slice a string out.
   */
  private text: Buffer = NO_TEXT;
  private textLen = 0;
  private ends: Uint32Array | number[] = [];
  private nStrings = 0;
  masterFields: string[];
  live = 0;
  deleted = 0;
  /** Listpack bytes except the live/deleted counters. */
  fixedBytes: number;

  constructor(masterFields: string[]) {
    this.masterFields = masterFields;
    let b = LP_HDR_EOF + lpIntSize(masterFields.length) + 2; // num-fields ... 0 terminator
    for (const f of masterFields) b += lpStrSize(f);
    this.fixedBytes = b;
  }

  get count(): number {
    return this.n;
  }

  /** Strings stored so far: the index the next entry's first string gets (its `off`). */
  get strings(): number {
    return this.nStrings;
  }

  /** Append one field or value (a latin1 string: one char per byte). */
  pushString(s: string): void {
    const need = this.textLen + s.length;
    if (need > this.text.length) {
      let cap = Math.max(TEXT_MIN, this.text.length * 2);
      while (cap < need) cap *= 2;
      const grown = Buffer.allocUnsafeSlow(cap);
      this.text.copy(grown, 0, 0, this.textLen);
      this.text = grown;
    }
    this.textLen += this.text.latin1Write(s, this.textLen);
    const k = this.nStrings++;
    if (k < PACK_AT * 2) (this.ends as number[]).push(this.textLen);
    else {
      if (k === this.ends.length || !(this.ends instanceof Uint32Array)) {
        const grown = new Uint32Array(Math.max(PACK_AT * 4, k * 2));
        grown.set(this.ends instanceof Uint32Array ? this.ends.subarray(0, k) : this.ends);
        this.ends = grown;
      }
      this.ends[k] = this.textLen;
    }
  }

  /**
   * Append an entry whose strings were just pushed from index `off`. `capHint` (the node's entry
   * limit, 0 for none) caps the growth so a full node has no unused slots.
   */
  pushEntry(ms: U64, seq: U64, flags: number, off: number, nf: number, capHint: number): void {
    const n = this.n;
    if (!this.idsGeneric && (typeof ms === 'bigint' || typeof seq === 'bigint')) this.makeGeneric();
    if (!this.packed && n < PACK_AT) {
      (this.ms as U64[]).push(ms);
      (this.seq as U64[]).push(seq);
      (this.flags as number[]).push(flags);
      (this.off as number[]).push(off);
      (this.nf as number[]).push(nf);
      this.n = n + 1;
      return;
    }
    if (!this.packed || n === this.flags.length) {
      let cap = Math.max(PACK_AT * 2, n * 2);
      if (capHint > n && capHint < cap) cap = capHint;
      this.grow(n, cap);
    }
    if (this.idsGeneric) {
      (this.ms as U64[]).push(ms);
      (this.seq as U64[]).push(seq);
    } else {
      this.ms[n] = ms as number;
      this.seq[n] = seq as number;
    }
    this.flags[n] = flags;
    this.off[n] = off;
    this.nf[n] = nf;
    this.n = n + 1;
  }

  /** Move the first n entries' fields to typed arrays of cap slots: two allocations, split into views. */
  private grow(n: number, cap: number): void {
    const used = <T extends Float64Array | Uint32Array | Uint8Array>(a: T | number[]): ArrayLike<number> => (Array.isArray(a) ? a : a.subarray(0, n));
    if (!this.idsGeneric) {
      const ids = new ArrayBuffer(cap * 16);
      const ms = new Float64Array(ids, 0, cap);
      const seq = new Float64Array(ids, cap * 8, cap);
      ms.set(used(this.ms as Float64Array | number[]));
      seq.set(used(this.seq as Float64Array | number[]));
      this.ms = ms;
      this.seq = seq;
    }
    const meta = new ArrayBuffer(cap * 9);
    const off = new Uint32Array(meta, 0, cap);
    const nf = new Uint32Array(meta, cap * 4, cap);
    const flags = new Uint8Array(meta, cap * 8, cap);
    off.set(used(this.off));
    nf.set(used(this.nf));
    flags.set(used(this.flags));
    this.off = off;
    this.nf = nf;
    this.flags = flags;
    this.packed = true;
  }

  /** IDs in plain arrays from now on (an ID part past 2^53 arrived). */
  private makeGeneric(): void {
    if (this.ms instanceof Float64Array) {
      this.ms = Array.from(this.ms.subarray(0, this.n));
      this.seq = Array.from((this.seq as Float64Array).subarray(0, this.n));
    }
    this.idsGeneric = true;
  }

  private str(k: number): string {
    return this.text.latin1Slice(k === 0 ? 0 : this.ends[k - 1], this.ends[k]);
  }

  /** A copy of this node (COPY of the stream). */
  clone(): StreamNode {
    const m = new StreamNode(this.masterFields);
    m.ms = this.ms.slice();
    m.seq = this.seq.slice();
    m.flags = this.flags.slice();
    m.off = this.off.slice();
    m.nf = this.nf.slice();
    m.n = this.n;
    m.packed = this.packed;
    m.idsGeneric = this.idsGeneric;
    if (this.textLen > 0) {
      m.text = Buffer.allocUnsafeSlow(this.textLen);
      this.text.copy(m.text, 0, 0, this.textLen);
    }
    m.textLen = this.textLen;
    m.ends = this.ends.slice();
    m.nStrings = this.nStrings;
    m.live = this.live;
    m.deleted = this.deleted;
    m.fixedBytes = this.fixedBytes;
    return m;
  }

  lpBytes(): number {
    return this.fixedBytes + lpIntSize(this.live) + lpIntSize(this.deleted);
  }

  idAt(i: number): StreamID {
    return { ms: this.ms[i], seq: this.seq[i] };
  }

  isDeleted(i: number): boolean {
    return (this.flags[i] & FLAG_DELETED) !== 0;
  }

  field(i: number, j: number): string {
    return this.flags[i] & FLAG_SAMEFIELDS ? this.masterFields[j] : this.str(this.off[i] + 2 * j);
  }

  value(i: number, j: number): string {
    return this.flags[i] & FLAG_SAMEFIELDS ? this.str(this.off[i] + j) : this.str(this.off[i] + 2 * j + 1);
  }

  /** Index of the first entry with ID >= id (may be count). */
  lowerBound(id: StreamID): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cmpParts(this.ms[mid], this.seq[mid], id) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the last entry with ID <= id (may be -1). */
  upperIndex(id: StreamID): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cmpParts(this.ms[mid], this.seq[mid], id) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /**
   * Bytes this node holds, for used_memory and MEMORY USAGE (what maxmemory acts on): its arrays
   * as allocated, its text buffer and a fixed NODE_OVERHEAD for the objects themselves. (lpBytes
   * is the size Redis's listpack would have; it decides node splits, as in Redis.)
   */
  memBytes(): number {
    let b = NODE_OVERHEAD + this.text.length;
    if (!this.packed) b += this.n * 5 * 8;
    else b += this.flags.length * (this.idsGeneric ? 9 : 25) + (this.idsGeneric ? this.n * 16 : 0);
    b += this.ends instanceof Uint32Array ? this.ends.length * 4 : this.nStrings * 8;
    return b;
  }
}

// ------------------------------------------------------------------ consumer groups

export class Nack {
  constructor(
    public deliveryTime: number,
    public deliveryCount: number,
    public consumer: Consumer | null,
  ) {}
}

/**
 * An ID-ordered map (the rax PELs): blocks of sorted keys, so appends at the end, removals at the
 * front and seeks are cheap at any size.
 */
export class IdMap<V> {
  private blocks: { keys: StreamID[]; vals: V[] }[] = [];
  size = 0;

  private findBlock(id: StreamID): number {
    // First block whose last key >= id.
    let lo = 0;
    let hi = this.blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const k = this.blocks[mid].keys;
      if (idCmp(k[k.length - 1], id) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private static pos(keys: StreamID[], id: StreamID): number {
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (idCmp(keys[mid], id) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get(id: StreamID): V | undefined {
    const b = this.findBlock(id);
    if (b >= this.blocks.length) return undefined;
    const blk = this.blocks[b];
    const p = IdMap.pos(blk.keys, id);
    return p < blk.keys.length && idCmp(blk.keys[p], id) === 0 ? blk.vals[p] : undefined;
  }

  /** Insert when absent; returns false when the key existed (value unchanged). */
  tryInsert(id: StreamID, v: V): boolean {
    let b = this.findBlock(id);
    if (b >= this.blocks.length) {
      if (this.blocks.length === 0 || this.blocks[this.blocks.length - 1].keys.length >= 128) {
        this.blocks.push({ keys: [id], vals: [v] });
      } else {
        const last = this.blocks[this.blocks.length - 1];
        last.keys.push(id);
        last.vals.push(v);
      }
      this.size++;
      return true;
    }
    const blk = this.blocks[b];
    const p = IdMap.pos(blk.keys, id);
    if (p < blk.keys.length && idCmp(blk.keys[p], id) === 0) return false;
    blk.keys.splice(p, 0, id);
    blk.vals.splice(p, 0, v);
    this.size++;
    if (blk.keys.length > 256) {
      const keys2 = blk.keys.splice(128);
      const vals2 = blk.vals.splice(128);
      this.blocks.splice(b + 1, 0, { keys: keys2, vals: vals2 });
      b++;
    }
    return true;
  }

  set(id: StreamID, v: V): void {
    if (!this.tryInsert(id, v)) {
      const blk = this.blocks[this.findBlock(id)];
      blk.vals[IdMap.pos(blk.keys, id)] = v;
    }
  }

  delete(id: StreamID): boolean {
    const b = this.findBlock(id);
    if (b >= this.blocks.length) return false;
    const blk = this.blocks[b];
    const p = IdMap.pos(blk.keys, id);
    if (p >= blk.keys.length || idCmp(blk.keys[p], id) !== 0) return false;
    if (p === 0 && blk.keys.length > 1) {
      blk.keys.shift();
      blk.vals.shift();
    } else {
      blk.keys.splice(p, 1);
      blk.vals.splice(p, 1);
    }
    if (blk.keys.length === 0) this.blocks.splice(b, 1);
    this.size--;
    return true;
  }

  first(): StreamID | undefined {
    return this.blocks.length ? this.blocks[0].keys[0] : undefined;
  }

  last(): StreamID | undefined {
    if (!this.blocks.length) return undefined;
    const k = this.blocks[this.blocks.length - 1].keys;
    return k[k.length - 1];
  }

  /** Visit entries with key >= from in order until `visit` returns false. */
  forEachFrom(from: StreamID, visit: (id: StreamID, v: V) => boolean): void {
    let b = this.findBlock(from);
    if (b >= this.blocks.length) return;
    let p = IdMap.pos(this.blocks[b].keys, from);
    // Snapshot-free iteration: callers do not mutate during the walk (they collect first).
    for (; b < this.blocks.length; b++, p = 0) {
      const blk = this.blocks[b];
      for (; p < blk.keys.length; p++) if (!visit(blk.keys[p], blk.vals[p])) return;
    }
  }

  forEach(visit: (id: StreamID, v: V) => void): void {
    for (const blk of this.blocks) for (let i = 0; i < blk.keys.length; i++) visit(blk.keys[i], blk.vals[i]);
  }
}

export class Consumer {
  readonly pel = new IdMap<Nack>();
  constructor(
    readonly name: string,
    public seenTime: number,
  ) {}
}

export const INVALID_ENTRIES_READ = -1;

export class ConsumerGroup {
  readonly pel = new IdMap<Nack>();
  readonly consumers = new Map<string, Consumer>();
  constructor(
    readonly name: string,
    public lastId: StreamID,
    public entriesRead: number,
  ) {}

  /** Consumers in rax (byte-lexicographic) order. */
  sortedConsumers(): Consumer[] {
    return [...this.consumers.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

export interface NodeLimits {
  /** stream-node-max-bytes (0 = unlimited up to 1 GB). */
  maxBytes: number;
  /** stream-node-max-entries (0 = unlimited). */
  maxEntries: number;
}

const LISTPACK_MAX_SIZE = 1 << 30;

// ------------------------------------------------------------------ the stream

export class JsStream implements Container {
  readonly type = 'stream' as const;
  nodes: StreamNode[] = [];
  length = 0;
  lastId: StreamID = { ms: 0, seq: 0 };
  firstId: StreamID = { ms: 0, seq: 0 };
  maxDeletedId: StreamID = { ms: 0, seq: 0 };
  entriesAdded = 0;
  groups: Map<string, ConsumerGroup> | null = null;
  /** The stream object, its ID objects and node list (STREAM_OVERHEAD), plus each node's memBytes and the groups'. */
  private bytes = STREAM_OVERHEAD;
  private account: MemoryAccount | null = null;

  get size(): number {
    return this.length;
  }

  memoryUsage(): number {
    return this.bytes;
  }

  encoding(): string {
    return 'stream';
  }

  attach(account: MemoryAccount | null): void {
    if (this.account) this.account.bytes -= this.bytes;
    this.account = account;
    if (account) account.bytes += this.bytes;
  }

  /** Memory delta hook used by the command layer for group/PEL bookkeeping. */
  adjustBytes(delta: number): void {
    this.bytes += delta;
    if (this.account) this.account.bytes += delta;
  }

  clone(): JsStream {
    const s = new JsStream();
    for (const n of this.nodes) s.nodes.push(n.clone());
    s.length = this.length;
    s.lastId = this.lastId;
    s.firstId = this.firstId;
    s.maxDeletedId = this.maxDeletedId;
    s.entriesAdded = this.entriesAdded;
    if (this.groups) {
      s.groups = new Map();
      for (const [name, g] of this.groups) {
        const ng = new ConsumerGroup(name, g.lastId, g.entriesRead);
        const byOld = new Map<Nack, Nack>();
        g.pel.forEach((id, nack) => {
          const nn = new Nack(nack.deliveryTime, nack.deliveryCount, null);
          byOld.set(nack, nn);
          ng.pel.tryInsert(id, nn);
        });
        for (const [cname, c] of g.consumers) {
          const nc = new Consumer(cname, c.seenTime);
          c.pel.forEach((id, nack) => {
            const nn = byOld.get(nack)!;
            nn.consumer = nc;
            nc.pel.tryInsert(id, nn);
          });
          ng.consumers.set(cname, nc);
        }
        s.groups.set(name, ng);
      }
    }
    s.bytes = this.bytes;
    return s;
  }

  /**
   * streamAppendItem with an already validated ID (> lastId). `fv` holds field,value pairs as
   * latin1 strings. Returns nothing: the caller updates nothing else.
   */
  append(id: StreamID, fv: string[], limits: NodeLimits): void {
    const numfields = fv.length / 2;
    let totelelen = 0;
    for (const s of fv) totelelen += s.length;
    let node: StreamNode | null = this.nodes.length ? this.nodes[this.nodes.length - 1] : null;
    if (node) {
      let maxBytes = limits.maxBytes;
      if (maxBytes === 0 || maxBytes > LISTPACK_MAX_SIZE) maxBytes = LISTPACK_MAX_SIZE;
      if (node.lpBytes() + totelelen >= maxBytes) node = null;
      else if (limits.maxEntries && node.live + node.deleted >= limits.maxEntries) node = null;
    }
    let flags = 0;
    const before = node ? node.memBytes() : 0;
    if (!node) {
      const fields: string[] = new Array(numfields);
      for (let i = 0; i < numfields; i++) fields[i] = fv[2 * i];
      node = new StreamNode(fields);
      this.nodes.push(node);
      flags = FLAG_SAMEFIELDS;
    } else if (numfields === node.masterFields.length) {
      let same = true;
      const mf = node.masterFields;
      for (let i = 0; i < numfields; i++) {
        if (mf[i] !== fv[2 * i]) {
          same = false;
          break;
        }
      }
      if (same) flags = FLAG_SAMEFIELDS;
    }
    const masterMs = node.count ? node.ms[0] : id.ms;
    const masterSeq = node.count ? node.seq[0] : id.seq;
    let b = lpIntSize(flags) + deltaSize(id.ms, masterMs) + deltaSize(id.seq, masterSeq);
    let lpCount = numfields + 3;
    const off = node.strings;
    if (flags & FLAG_SAMEFIELDS) {
      for (let i = 0; i < numfields; i++) {
        const v = fv[2 * i + 1];
        node.pushString(v);
        b += lpStrSize(v);
      }
    } else {
      b += lpIntSize(numfields);
      lpCount += numfields + 1;
      for (let i = 0; i < fv.length; i++) {
        node.pushString(fv[i]);
        b += lpStrSize(fv[i]);
      }
    }
    b += lpIntSize(lpCount);
    node.fixedBytes += b;
    node.pushEntry(id.ms, id.seq, flags, off, numfields, limits.maxEntries);
    node.live++;
    this.adjustBytes(node.memBytes() - before);
    this.length++;
    this.entriesAdded++;
    this.lastId = id;
    if (this.length === 1) this.firstId = id;
  }

  /** Index of the node to start a forward/backward walk at (rax seek "<=" id, else first/last). */
  private seekNode(id: StreamID): number {
    let lo = 0;
    let hi = this.nodes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const n = this.nodes[mid];
      if (cmpParts(n.ms[0], n.seq[0], id) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /**
   * Visit live entries with start <= ID <= end, forward or reverse, until `visit` returns false.
   */
  range(start: StreamID, end: StreamID, rev: boolean, visit: (node: StreamNode, i: number) => boolean): void {
    if (this.length === 0 || idCmp(start, end) > 0) return;
    if (!rev) {
      let ni = Math.max(0, this.seekNode(start));
      let i = this.nodes[ni] ? this.nodes[ni].lowerBound(start) : 0;
      for (; ni < this.nodes.length; ni++, i = 0) {
        const n = this.nodes[ni];
        for (; i < n.count; i++) {
          if (n.flags[i] & FLAG_DELETED) continue;
          if (cmpParts(n.ms[i], n.seq[i], end) > 0) return;
          if (!visit(n, i)) return;
        }
      }
    } else {
      let ni = this.seekNode(end);
      if (ni < 0) return;
      let i = this.nodes[ni].upperIndex(end);
      for (; ni >= 0; ni--, i = ni >= 0 ? this.nodes[ni].count - 1 : 0) {
        const n = this.nodes[ni];
        for (; i >= 0; i--) {
          if (n.flags[i] & FLAG_DELETED) continue;
          if (cmpParts(n.ms[i], n.seq[i], start) < 0) return;
          if (!visit(n, i)) return;
        }
      }
    }
  }

  /**
   * rax numnodes of the node index: the radix tree of 128-bit big-endian master IDs is a compact
   * trie (a compressed node per shared run, a branch node per divergence, a leaf per key).
   */
  raxNodes(): number {
    if (this.nodes.length === 0) return 1;
    const keys = this.nodes.map((n) => {
      const b = Buffer.alloc(16);
      b.writeBigUInt64BE(BigInt(n.ms[0]), 0);
      b.writeBigUInt64BE(BigInt(n.seq[0]), 8);
      return b;
    });
    const count = (lo: number, hi: number, d: number): number => {
      if (hi - lo === 1) return (d < 16 ? 1 : 0) + 1;
      let p = d;
      const a = keys[lo];
      const z = keys[hi - 1];
      while (p < 16 && a[p] === z[p]) p++;
      let total = (p > d ? 1 : 0) + 1;
      let start = lo;
      for (let i = lo + 1; i <= hi; i++) {
        if (i === hi || keys[i][p] !== keys[start][p]) {
          total += count(start, i, p + 1);
          start = i;
        }
      }
      return total;
    };
    return count(0, keys.length, 0);
  }

  /** Locate a live entry by exact ID. */
  find(id: StreamID): { node: StreamNode; index: number; nodeIndex: number } | null {
    const ni = this.seekNode(id);
    if (ni < 0) return null;
    const n = this.nodes[ni];
    const i = n.lowerBound(id);
    if (i >= n.count || n.ms[i] !== id.ms || n.seq[i] !== id.seq || n.flags[i] & FLAG_DELETED) return null;
    return { node: n, index: i, nodeIndex: ni };
  }

  exists(id: StreamID): boolean {
    return this.find(id) !== null;
  }

  /** streamDeleteItem: mark deleted (or drop the node when it was its last live entry). */
  deleteEntry(id: StreamID): boolean {
    const f = this.find(id);
    if (!f) return false;
    const n = f.node;
    if (n.live === 1) {
      this.nodes.splice(f.nodeIndex, 1);
      this.adjustBytes(-n.memBytes());
    } else {
      // A deleted entry keeps its bytes until its node goes (as in Redis's listpack).
      n.flags[f.index] |= FLAG_DELETED;
      n.live--;
      n.deleted++;
    }
    this.length--;
    return true;
  }

  /** First (or last) live entry ID, or null when empty. */
  edgeId(first: boolean): StreamID | null {
    let out: StreamID | null = null;
    this.range(MIN_ID, MAX_ID, !first, (n, i) => {
      out = n.idAt(i);
      return false;
    });
    return out;
  }

  /** streamLastValidID */
  lastValidId(): StreamID {
    return this.edgeId(false) ?? { ms: 0, seq: 0 };
  }

  /**
   * streamTrim. strategy 'maxlen' uses `maxlen`, 'minid' uses `minid`. `limit` 0 = unlimited.
   * Returns the number of entries removed.
   */
  trim(strategy: 'maxlen' | 'minid', maxlen: number, minid: StreamID, approx: boolean, limit: number): number {
    let deleted = 0;
    while (this.nodes.length > 0) {
      if (strategy === 'maxlen' && this.length <= maxlen) break;
      const n = this.nodes[0];
      const entries = n.live;
      if (limit && deleted + entries > limit) break;
      let removeNode: boolean;
      if (strategy === 'maxlen') removeNode = this.length - entries >= maxlen;
      else {
        const last = n.count - 1;
        removeNode = cmpParts(n.ms[last], n.seq[last], minid) < 0;
      }
      if (removeNode) {
        this.adjustBytes(-n.memBytes());
        this.nodes.shift();
        this.length -= entries;
        deleted += entries;
        continue;
      }
      if (approx) break;
      let fromNode = 0;
      for (let i = 0; i < n.count; i++) {
        const stop = strategy === 'maxlen' ? this.length <= maxlen : cmpParts(n.ms[i], n.seq[i], minid) >= 0;
        if (stop) break;
        if (!(n.flags[i] & FLAG_DELETED)) {
          n.flags[i] |= FLAG_DELETED;
          fromNode++;
          this.length--;
        }
      }
      n.live -= fromNode;
      n.deleted += fromNode;
      deleted += fromNode;
      break;
    }
    if (this.length === 0) this.firstId = { ms: 0, seq: 0 };
    else if (deleted) this.firstId = this.edgeId(true) ?? { ms: 0, seq: 0 };
    return deleted;
  }

  // ---------------------------------------------------------------- groups

  group(name: string): ConsumerGroup | undefined {
    return this.groups?.get(name);
  }

  /** streamCreateCG: null when the name exists. */
  createGroup(name: string, lastId: StreamID, entriesRead: number): ConsumerGroup | null {
    this.groups ??= new Map();
    if (this.groups.has(name)) return null;
    const g = new ConsumerGroup(name, lastId, entriesRead);
    this.groups.set(name, g);
    this.adjustBytes(96 + name.length);
    return g;
  }

  destroyGroup(name: string): boolean {
    const g = this.groups?.get(name);
    if (!g) return false;
    this.groups!.delete(name);
    this.adjustBytes(-(96 + name.length) - g.pel.size * 48 - sumConsumers(g));
    return true;
  }

  /** Groups in rax (byte-lexicographic) order. */
  sortedGroups(): ConsumerGroup[] {
    if (!this.groups) return [];
    return [...this.groups.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  createConsumer(g: ConsumerGroup, name: string, now: number): Consumer | null {
    if (g.consumers.has(name)) return null;
    const c = new Consumer(name, now);
    g.consumers.set(name, c);
    this.adjustBytes(64 + name.length);
    return c;
  }

  deleteConsumer(g: ConsumerGroup, c: Consumer): void {
    const ids: StreamID[] = [];
    c.pel.forEach((id) => ids.push(id));
    for (const id of ids) g.pel.delete(id);
    g.consumers.delete(c.name);
    this.adjustBytes(-(64 + c.name.length) - ids.length * 48);
  }

  /** Add a NACK to both PELs (new entries only). */
  pelAdd(g: ConsumerGroup, c: Consumer, id: StreamID, nack: Nack): boolean {
    if (!g.pel.tryInsert(id, nack)) return false;
    c.pel.tryInsert(id, nack);
    this.adjustBytes(48);
    return true;
  }

  /** Remove a NACK from the group PEL and its consumer PEL. */
  pelRemove(g: ConsumerGroup, id: StreamID, nack: Nack): void {
    g.pel.delete(id);
    nack.consumer?.pel.delete(id);
    this.adjustBytes(-48);
  }

  /** Note a PEL entry created outside pelAdd (XCLAIM FORCE). */
  pelCounted(): void {
    this.adjustBytes(48);
  }

  // ---------------------------------------------------------------- 7.0 counters

  /** streamRangeHasTombstones */
  rangeHasTombstones(start: StreamID | null, end: StreamID | null): boolean {
    if (!this.length || idIsZero(this.maxDeletedId)) return false;
    if (idCmp(this.firstId, this.maxDeletedId) > 0) return false;
    const s = start ?? MIN_ID;
    const e = end ?? MAX_ID;
    return idCmp(s, this.maxDeletedId) <= 0 && idCmp(this.maxDeletedId, e) <= 0;
  }

  /** streamEstimateDistanceFromFirstEverEntry */
  estimateDistance(id: StreamID): number {
    if (!this.entriesAdded) return 0;
    if (!this.length && idCmp(id, this.lastId) < 1) return this.entriesAdded;
    const cmpLast = idCmp(id, this.lastId);
    if (cmpLast === 0) return this.entriesAdded;
    if (cmpLast > 0) return INVALID_ENTRIES_READ;
    const cmpFirst = idCmp(id, this.firstId);
    const cmpXdelFirst = idCmp(this.maxDeletedId, this.firstId);
    if (idIsZero(this.maxDeletedId) || cmpXdelFirst < 0) {
      if (cmpFirst < 0) return this.entriesAdded - this.length;
      if (cmpFirst === 0) return this.entriesAdded - this.length + 1;
    }
    return INVALID_ENTRIES_READ;
  }

  /** streamReplyWithCGLag's value: the lag, or null when it cannot be computed. */
  groupLag(g: ConsumerGroup): number | null {
    if (!this.entriesAdded) return 0;
    if (g.entriesRead !== INVALID_ENTRIES_READ && !this.rangeHasTombstones(g.lastId, null)) return this.entriesAdded - g.entriesRead;
    const er = this.estimateDistance(g.lastId);
    if (er !== INVALID_ENTRIES_READ) return this.entriesAdded - er;
    return null;
  }
}

function sumConsumers(g: ConsumerGroup): number {
  let n = 0;
  for (const c of g.consumers.values()) n += 64 + c.name.length;
  return n;
}

/** Stream IDs parsing (streamGenericParseIDOrReply). */
export interface ParsedId {
  id: StreamID;
  /** False for the `<ms>-*` form. */
  seqGiven: boolean;
}

/** strtoull as Redis's string2ull falls back to it; null when invalid. */
function string2ull(s: string): U64 | null {
  // Fast path: string2ll.
  const ll = strToInt64(s);
  if (ll !== null) {
    if (ll < 0) return null;
    return ll;
  }
  let i = 0;
  const n = s.length;
  while (i < n && (s.charCodeAt(i) === 32 || (s.charCodeAt(i) >= 9 && s.charCodeAt(i) <= 13))) i++;
  let neg = false;
  if (i < n && (s[i] === '+' || s[i] === '-')) {
    neg = s[i] === '-';
    i++;
  }
  const start = i;
  while (i < n && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
  if (i === start || i !== n || n === 0) return null;
  let v = BigInt(s.slice(start, i));
  if (v > U64_MAX) return null;
  if (neg && v !== 0n) v = (1n << 64n) - v;
  return u64(v);
}

/**
 * Parse an ID argument. `missingSeq` fills an absent sequence; `strict` rejects "-" and "+";
 * `allowSeqStar` accepts `<ms>-*` (XADD). Returns null when invalid.
 */
export function parseStreamId(arg: Buffer | string, missingSeq: U64, strict: boolean, allowSeqStar: boolean): ParsedId | null {
  let s = typeof arg === 'string' ? arg : arg.latin1Slice(0, arg.length);
  if (s.length > 127) return null;
  const nul = s.indexOf('\0');
  if (nul !== -1) s = s.slice(0, nul);
  if (strict && (s === '-' || s === '+')) return null;
  if (s === '-') return { id: { ms: 0, seq: 0 }, seqGiven: true };
  if (s === '+') return { id: { ms: u64(U64_MAX), seq: u64(U64_MAX) }, seqGiven: true };
  const dot = s.indexOf('-');
  const msPart = dot === -1 ? s : s.slice(0, dot);
  const ms = string2ull(msPart);
  if (ms === null) return null;
  if (dot === -1) return { id: { ms, seq: missingSeq }, seqGiven: true };
  const seqPart = s.slice(dot + 1);
  if (allowSeqStar && seqPart === '*') return { id: { ms, seq: 0 }, seqGiven: false };
  const seq = string2ull(seqPart);
  if (seq === null) return null;
  return { id: { ms, seq }, seqGiven: true };
}

export const U64_MAX_NORM: U64 = u64(U64_MAX);
