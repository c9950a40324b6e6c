/**
 * The stream value (Redis t_stream.c / stream.h): entries in ID order plus consumer groups.
 *
 * Layout, Redis's radix tree of listpacks:
 * - `nodes` is an ordered array of StreamNodes (the rax, keyed by master ID). Each node's bytes
 *   are exactly Redis's stream listpack (master entry, then per entry flags, ID deltas,
 *   fields/values or values only, lp-count; see StreamNode) and nothing else. RDB writes those
 *   bytes as they are and loads adopt them after validation.
 * - Memory (per node, beside its listpack: one small object): the open (tail) node has a buffer
 *   of its own; sealed nodes are packed back to back into per-stream Segments of <= SEG_MAX
 *   bytes, so ~8 nodes share one allocation (a Buffer per node cost ~350 bytes of JS objects
 *   and backing-store bookkeeping, a sixth of a default 1.9 KB node). Entry offsets live in a
 *   bounded cache shared by all streams, not in the nodes (see "entry index cache").
 *   Exact-size segments are deliberate: segments allocated once at a fixed capacity (16 KB,
 *   nodes copied straight in, no pending copies) were measured at 8% more used_memory (the
 *   tail segment's room) and more RSS, not less. RSS at rest after loading 100 streams of
 *   10,000 entries over a socket, per stream, next to Redis's 220 KB: 208-253 KB at the margin
 *   (293 KB over the first 100, which carries the process's one-time growth), made of the
 *   segments and open buffers (189 KB), the JS objects (~23 KB: a StreamNode is 128 bytes plus
 *   two heap numbers) and old-space pages V8 keeps after the load (0-50 KB, varying run to run).
 *   Carving segments from 1 MB slabs shared by all streams took glibc's heap out of it but did
 *   not lower RSS (226 KB at the margin either way), so it was not kept. A reused tail segment
 *   (sealed nodes copied into one growable buffer per stream, packed exactly every 7-8 nodes:
 *   one allocation per segment instead of one per node, no garbage buffers) did not lower RSS
 *   either, and its room cost 4.6% more used_memory: not kept. Built in a bare process (no
 *   server, 50 streams of 10,000 entries, then full collections), the storage holds no more
 *   than used_memory counts: per stream the glibc heap grows by 175-194 KB for 184 KB of
 *   buffers and V8's old space by 25 KB of objects (the rest of that process's growth is V8's
 *   young generation, which a server gives back when idle: src/server/heap-trim.ts). What a
 *   server's RSS holds above that after the first socket load is mostly the load's own:
 *   200,000 pipelined XADDs that store nothing (NOMKSTREAM on missing keys) leave a fresh wasm
 *   server 2.7-3.8 MB bigger at rest, mostly V8 heap.
 * - Node boundaries follow Redis exactly: a new node starts when
 *   `lpBytes + new element bytes >= stream-node-max-bytes` or the node holds max-entries. So
 *   XINFO radix-tree-keys and approximate (`~`) trimming, which only drops whole nodes, match.
 * - XADD appends to the tail node: amortized O(1) (the buffer doubles up to the node byte limit;
 *   when the next node starts, the node is copied to an exact-size buffer and waits in `pending`,
 *   its old buffer serving the successor; every SEG_NODES sealed nodes, or SEG_MAX bytes, the
 *   pending ones are copied into one new exact-size segment: two copies of each sealed node's
 *   bytes, no reallocation chain). Range reads binary-search the node whose
 *   master ID is <= start, then the entry inside it (binary search over cached offsets, else a
 *   walk from the node's start as Redis's iterator does): O(log n + node entries + k). XDEL sets
 *   the deleted flag in place and updates the master count/deleted fields, and drops a node when
 *   its last live entry goes (as streamIteratorRemoveEntry).
 * - IDs are two unsigned 64-bit integers. They are held as `U64` = number when <= 2^53-1 and
 *   bigint above (always normalised, so === compares values and < > work across both kinds).
 *
 * Consumer groups: each group has a PEL (pending entries, ordered by ID) whose NACKs point to
 * their consumer; each consumer has its own PEL holding the same NACK objects.
 */
import type { Container, MemoryAccount } from '../types';
import { strToInt64 } from '../../util/number';
import { putLpInt, putLpString } from '../../persistence/listpack';

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

// ------------------------------------------------------------------ listpack elements

/** lpEncodeBacklen size for an encoded entry of `l` bytes. */
function backlenSize(l: number): number {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

/** Total listpack bytes (encoding + back-length) of an integer element. */
function lpIntSize(v: number | bigint): number {
  if (typeof v === 'bigint') return 10;
  if (v >= 0 && v <= 127) return 2;
  if (v >= -4096 && v <= 4095) return 3;
  if (v >= -32768 && v <= 32767) return 4;
  if (v >= -8388608 && v <= 8388607) return 5;
  if (v >= -2147483648 && v <= 2147483647) return 6;
  return 10;
}


/** Most bytes putLpString may write for s. */
function strBound(s: Buffer | string): number {
  return s.length + 10;
}

function latin1Of(b: Buffer | string): string {
  return typeof b === 'string' ? b : b.latin1Slice(0, b.length);
}

/** Whether latin1 string `s` holds exactly the bytes of `b`. */
function latin1Equals(s: string, b: Buffer | string): boolean {
  if (typeof b === 'string') return s === b;
  const n = b.length;
  if (s.length !== n) return false;
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) !== b[i]) return false;
  return true;
}

/*
 * readEl's result (one element at a time, no allocation): an integer in rInt when rLen < 0, else
 * a string at buf[rStart, rStart + rLen).
 */
let rInt: number | bigint = 0;
let rStart = 0;
let rLen = -1;

/** Decode the element at p (well-formed: built here or validated on load); returns the next position. */
function readEl(b: Buffer, p: number): number {
  const e = b[p];
  let n: number;
  if (e < 0x80) {
    rInt = e;
    rLen = -1;
    return p + 2;
  }
  if ((e & 0xc0) === 0x80) {
    rLen = e & 0x3f;
    rStart = p + 1;
    n = 1 + rLen;
  } else if ((e & 0xe0) === 0xc0) {
    const u = ((e & 0x1f) << 8) | b[p + 1];
    rInt = u >= 4096 ? u - 8192 : u;
    rLen = -1;
    return p + 3;
  } else if ((e & 0xf0) === 0xe0) {
    rLen = ((e & 0x0f) << 8) | b[p + 1];
    rStart = p + 2;
    n = 2 + rLen;
  } else if (e === 0xf0) {
    rLen = b.readUInt32LE(p + 1);
    rStart = p + 5;
    n = 5 + rLen;
  } else {
    rLen = -1;
    if (e === 0xf1) {
      rInt = b.readInt16LE(p + 1);
      return p + 4;
    }
    if (e === 0xf2) {
      rInt = b.readIntLE(p + 1, 3);
      return p + 5;
    }
    if (e === 0xf3) {
      rInt = b.readInt32LE(p + 1);
      return p + 6;
    }
    const v = b.readBigInt64LE(p + 1);
    rInt = v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
    return p + 10;
  }
  return p + n + backlenSize(n);
}

/** The position after the element at p. */
function skipEl(b: Buffer, p: number): number {
  const e = b[p];
  let n: number;
  if (e < 0x80) return p + 2;
  if ((e & 0xc0) === 0x80) n = 1 + (e & 0x3f);
  else if ((e & 0xe0) === 0xc0) return p + 3;
  else if ((e & 0xf0) === 0xe0) n = 2 + (((e & 0x0f) << 8) | b[p + 1]);
  else if (e === 0xf0) n = 5 + b.readUInt32LE(p + 1);
  else return p + (e === 0xf1 ? 4 : e === 0xf2 ? 5 : e === 0xf3 ? 6 : 10);
  return p + n + backlenSize(n);
}

const fcc = String.fromCharCode;

/** The element readEl decoded, as a latin1 string. */
function elStr(b: Buffer): string {
  if (rLen < 0) return String(rInt);
  const n = rLen;
  if (n > 12) return b.latin1Slice(rStart, rStart + n);
  let s = '';
  for (let i = rStart, e = rStart + n; i < e; i++) s += fcc(b[i]);
  return s;
}

/** id part minus master part, as the int64 Redis stores. */
function deltaOf(a: U64, b: U64): number | bigint {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const d = BigInt.asIntN(64, BigInt(a) - BigInt(b));
  return d >= -9007199254740991n && d <= 9007199254740991n ? Number(d) : d;
}

/** master part plus a stored delta (mod 2^64, as Redis's uint64 arithmetic). */
function addDelta(m: U64, d: number | bigint): U64 {
  if (typeof m === 'number' && typeof d === 'number') {
    const r = m + d;
    if (r >= 0 && r <= SAFE) return r;
  }
  return u64(BigInt.asUintN(64, BigInt(m) + BigInt(d)));
}

/** loadId's result. */
let curMs: U64 = 0;
let curSeq: U64 = 0;

const LP_HDR = 6;
/*
 * memBytes' fixed parts, measured on Node 20: NODE_OVERHEAD is a StreamNode object (13 fields,
 * the master ms and the id as heap numbers); BUF_OVERHEAD a Buffer of its own (the Uint8Array and
 * ArrayBuffer objects, the backing store's bookkeeping, malloc headers), which only the open node
 * and the segments have. For 20 x 100 streams of 10,000 entries (100 nodes, 13 segments each):
 * process.memoryUsage() grew by 184-185 KB of arrayBuffers (exactly the segments and open
 * buffers) and 21-27 KB of heap per stream, against 208.4 KB counted.
 */
const NODE_OVERHEAD = 176;
const BUF_OVERHEAD = 352;
/** A stream's own objects before any node (JsStream.bytes starts there). */
const STREAM_OVERHEAD = 384;
/** A Segment object and its node list, plus its buffer's BUF_OVERHEAD. */
const SEG_OVERHEAD = BUF_OVERHEAD + 96;
/** Sealed nodes are packed by SEG_NODES, or fewer when they reach SEG_MAX bytes (a lone node that big keeps its own buffer). */
const SEG_NODES = 8;
const SEG_MAX = 16384;
const FLAG_DELETED = 1;
const FLAG_SAMEFIELDS = 2;

// ------------------------------------------------------------------ entry index cache

/*
 * Entry i of a node is found through an index of entry offsets (relative to the node's first
 * entry, so a master counter changing size or the node moving keeps them valid). Nodes do not
 * keep one (2-4 bytes per entry, a tenth of a stream's memory): a direct-mapped cache holds the
 * indexes of recently read nodes (slot = node id mod IX_SLOTS; ids are never reused, so a slot
 * never answers for another node and holds no reference keeping a node alive). The index of a
 * slot is a prefix (ixLen entries known, the next entry at ixNext) extended by walking entries only
 * as far as they are asked for: a seek that misses walks the node from its start up to the entry
 * it finds (the walk Redis's iterator makes on every seek), and a cached node's appends extend it
 * at once. Storage: one flat Uint16Array of IX_STRIDE offsets
 * per slot (256 KB, its pages touched only as slots fill), and for a node with more entries or
 * offsets past 65535 (node limits above the defaults) an Int32Array of its own in ixBig.
 */
const IX_SLOTS = 1024;
const IX_STRIDE = 128;
const ixId = new Float64Array(IX_SLOTS).fill(-1);
const ixLen = new Int32Array(IX_SLOTS);
const ixNext = new Int32Array(IX_SLOTS);
const ixFlat = new Uint16Array(IX_SLOTS * IX_STRIDE);
const ixBig: (Int32Array | null)[] = new Array<Int32Array | null>(IX_SLOTS).fill(null);

/** Record entry k's offset o in slot s (k = ixLen[s]), moving the slot to an Int32Array when needed. */
function ixPush(s: number, k: number, o: number, next: number): void {
  let big = ixBig[s];
  if (big === null) {
    if (k < IX_STRIDE && o <= 65535) {
      ixFlat[s * IX_STRIDE + k] = o;
      ixLen[s] = k + 1;
      ixNext[s] = next;
      return;
    }
    big = ixBig[s] = new Int32Array(2 * IX_STRIDE);
    for (let j = 0; j < k; j++) big[j] = ixFlat[s * IX_STRIDE + j];
  }
  if (big.length <= k) {
    const g = new Int32Array(2 * big.length);
    g.set(big);
    big = ixBig[s] = g;
  }
  big[k] = o;
  ixLen[s] = k + 1;
  ixNext[s] = next;
}
const EMPTY_BUF = Buffer.alloc(0);
/** Node ids (a double from the start, so the field's representation never changes). */
let nextNodeId = 2 ** 32;

/** A run of sealed nodes packed back to back in one buffer (JsStream.pack); `buf` is exactly their span. */
export class Segment {
  constructor(
    public buf: Buffer,
    readonly nodes: StreamNode[],
  ) {}
}

// ------------------------------------------------------------------ nodes

/**
 * One stream node: Redis's stream listpack, byte for byte (t_stream.c):
 *   count, deleted, master-field-count, master fields..., 0,
 *   then per entry: flags, ms-delta, seq-delta, [field-count, field, value... | value...], lp-count
 * (values only when the entry has the SAMEFIELDS flag), each element encoded as listpack.c does.
 * `buf[at, at + len)` is always a valid listpack (header total bytes and element count kept
 * current). The open (tail) node has a buffer of its own (`at` 0) that grows by doubling up to
 * stream-node-max-bytes; once sealed (its successor started) the stream packs it into a Segment
 * shared with its neighbours (`seg`, `buf` being the segment's), with no per-node allocation.
 * A node in a segment only changes in place (deleted flags, counters shrinking): anything that
 * would grow it first moves it to a buffer of its own (JsStream.unpack).
 * The master ID (the node's rax key) is masterMs/masterSeq: entry 0's ID (deleted entries stay
 * in the listpack, so entry 0 is always the master).
 */
export class StreamNode {
  /** The listpack is buf[at, at + len). */
  buf: Buffer;
  at = 0;
  len = 0;
  /** Offset from `at` of entry 0's flags element (it moves when a master counter changes size). */
  private base = 0;
  private n = 0;
  masterMs: U64 = 0;
  masterSeq: U64 = 0;
  private nLive = 0;
  private nDeleted = 0;
  private nMaster = 0;
  /** The master fields as strings while the node takes appends (null when sealed or loaded). */
  mf: string[] | null = null;
  /** The segment holding it (null: its own buffer). */
  seg: Segment | null = null;
  /**
   * Its entries' IDs may not increase: set when entries were appended after an XSETID below the ID
   * of a deleted entry still in the node (Redis 7.0 allows it; only live entries bound XSETID).
   * Live entries still increase; the searches then scan for live entries as Redis's iterator does
   * instead of bisecting (see lowerBound).
   */
  unsorted = false;
  /** Its entry index cache key. */
  private readonly id = nextNodeId++;

  /** An empty node whose entries will have `masterFields` (the first appended entry's fields), in `buf` when it is big enough. */
  constructor(masterFields: string[] | null, buf: Buffer | null = null) {
    if (masterFields === null) {
      this.buf = EMPTY_BUF;
      return;
    }
    let need = LP_HDR + 2 + 2 + 10 + 2 + 1;
    for (const f of masterFields) need += strBound(f);
    const b = (this.buf = buf !== null && buf.length >= need ? buf : Buffer.allocUnsafeSlow(Math.max(64, need)));
    let p = putLpInt(b, LP_HDR, 0);
    p = putLpInt(b, p, 0);
    p = putLpInt(b, p, masterFields.length);
    for (const f of masterFields) p = putLpString(b, p, f);
    p = putLpInt(b, p, 0);
    b[p] = 0xff;
    this.len = p + 1;
    this.base = p;
    this.nMaster = masterFields.length;
    this.mf = masterFields;
    b.writeUInt32LE(this.len, 0);
    b.writeUInt16LE(Math.min(65535, masterFields.length + 4), 4);
  }

  /**
   * A node over a copy of `lp` (already validated as a stream listpack: see rdb-reader), or null
   * when an element is not in the form this class edits in place (flags in one byte; deltas,
   * field counts and lp-counts as integers): the caller then rebuilds it entry by entry.
   */
  static adopt(lp: Buffer, masterMs: U64, masterSeq: U64): StreamNode | null {
    const node = new StreamNode(null);
    node.masterMs = masterMs;
    node.masterSeq = masterSeq;
    let p = readEl(lp, LP_HDR);
    node.nLive = rInt as number;
    p = readEl(lp, p);
    node.nDeleted = rInt as number;
    p = readEl(lp, p);
    node.nMaster = rInt as number;
    for (let j = 0; j < node.nMaster; j++) p = skipEl(lp, p);
    p = skipEl(lp, p);
    node.base = p;
    const total = node.nLive + node.nDeleted;
    const isInt = (q: number): boolean => (lp[q] & 0xc0) !== 0x80 && (lp[q] & 0xf0) !== 0xe0 && lp[q] !== 0xf0;
    const end = lp.length - 1;
    for (let i = 0; i < total; i++) {
      if (p >= end || lp[p] > 3) return null;
      const same = lp[p] & FLAG_SAMEFIELDS;
      p += 2;
      if (!isInt(p)) return null;
      p = skipEl(lp, p);
      if (!isInt(p)) return null;
      p = skipEl(lp, p);
      let k = node.nMaster;
      if (!same) {
        if (!isInt(p)) return null;
        p = readEl(lp, p);
        k = 2 * (rInt as number);
      }
      for (let j = 0; j < k; j++) p = skipEl(lp, p);
      if (!isInt(p)) return null;
      p = skipEl(lp, p);
    }
    if (p !== end) return null;
    const buf = (node.buf = Buffer.allocUnsafeSlow(lp.length));
    lp.copy(buf, 0, 0, lp.length);
    node.len = lp.length;
    node.n = total;
    return node;
  }

  /** Entry i's offset from the first entry (through the index cache). */
  private off(i: number): number {
    const s = this.id & (IX_SLOTS - 1);
    if (ixId[s] !== this.id) this.claimIx(s);
    if (i >= ixLen[s]) this.extendIx(s, i);
    const big = ixBig[s];
    return big === null ? ixFlat[s * IX_STRIDE + i] : big[i];
  }

  /** Take cache slot s (nothing known yet); a slot's Int32Array stays while it fits the node. */
  private claimIx(s: number): void {
    ixId[s] = this.id;
    ixLen[s] = 0;
    ixNext[s] = 0;
    const big = ixBig[s];
    if (big !== null && (this.n <= IX_STRIDE || big.length > 4 * this.n)) ixBig[s] = null;
  }

  /** Walk entries from the first unknown one until entry i's offset is known (and a few more: reads go on forward). */
  private extendIx(s: number, i: number): void {
    i = Math.min(this.n - 1, i + 7);
    const b = this.buf;
    const base = this.at + this.base;
    const nm = this.nMaster;
    let k = ixLen[s];
    let p = base + ixNext[s];
    for (; k <= i; k++) {
      const o = p - base;
      const same = b[p] & FLAG_SAMEFIELDS;
      p = skipEl(b, skipEl(b, p + 2));
      let f = nm;
      if (!same) {
        p = readEl(b, p);
        f = 2 * (rInt as number);
      }
      for (let j = 0; j < f; j++) p = skipEl(b, p);
      p = skipEl(b, p);
      ixPush(s, k, o, p - base);
    }
  }

  /**
   * Walk the entries past the known offsets (recording them) to the first whose ID is >= id
   * (`strict` 0) or > id (1); returns its index (count when none).
   */
  private scan(id: StreamID, strict: number): number {
    const s = this.id & (IX_SLOTS - 1);
    if (ixId[s] !== this.id) this.claimIx(s);
    const b = this.buf;
    const base = this.at + this.base;
    const nm = this.nMaster;
    const n = this.n;
    const mMs = this.masterMs;
    const mSeq = this.masterSeq;
    let k = ixLen[s];
    let p = base + ixNext[s];
    for (; k < n; k++) {
      const o = p - base;
      const same = b[p] & FLAG_SAMEFIELDS;
      p = readEl(b, p + 2);
      const ms = rInt === 0 ? mMs : addDelta(mMs, rInt);
      p = readEl(b, p);
      const seq = rInt === 0 ? mSeq : addDelta(mSeq, rInt);
      let f = nm;
      if (!same) {
        p = readEl(b, p);
        f = 2 * (rInt as number);
      }
      for (let j = 0; j < f; j++) p = skipEl(b, p);
      p = skipEl(b, p);
      ixPush(s, k, o, p - base);
      if (cmpParts(ms, seq, id) >= strict) return k;
    }
    return n;
  }

  /** How many entries' offsets are known (0 when the node is not in the cache). */
  private known(): number {
    const s = this.id & (IX_SLOTS - 1);
    return ixId[s] === this.id ? ixLen[s] : 0;
  }

  get count(): number {
    return this.n;
  }

  get live(): number {
    return this.nLive;
  }

  get deleted(): number {
    return this.nDeleted;
  }

  /** The listpack's bytes (RDB writes them as they are). */
  bytes(): Buffer {
    return this.buf.subarray(this.at, this.at + this.len);
  }

  /**
   * Room for `extra` more listpack bytes in the node's own buffer: it doubles, capped at
   * `maxBytes` (0: none) unless more is needed.
   */
  private reserve(extra: number, maxBytes: number): void {
    if (this.seg) throw new Error('stream node: a node in a segment cannot grow');
    const old = this.buf;
    const need = this.len + extra;
    if (need <= old.length) return;
    let cap = old.length * 2;
    if (maxBytes && cap > maxBytes) cap = maxBytes;
    if (cap < need) cap = need;
    const nb = Buffer.allocUnsafeSlow(cap);
    old.copy(nb, 0, 0, this.len);
    this.buf = nb;
  }

  /** Cut its own buffer to the listpack's exact size (a rebuilt node, before the stream packs it). */
  seal(): void {
    if (this.seg || this.buf.length === this.len) return;
    this.ownBuffer(0);
  }

  /** Move into `seg` (whose buffer holds a copy of the listpack at `at`); the node is sealed. */
  placeIn(seg: Segment, at: number): void {
    this.seg = seg;
    this.buf = seg.buf;
    this.at = at;
    this.mf = null;
  }

  /** Leave the segment for a buffer of its own with `extra` spare bytes (the caller updates the segment). */
  ownBuffer(extra: number): void {
    const nb = Buffer.allocUnsafeSlow(this.len + extra);
    this.buf.copy(nb, 0, this.at, this.at + this.len);
    this.buf = nb;
    this.at = 0;
    this.seg = null;
  }

  /** True when setting the master counters to live/deleted makes the listpack longer. */
  countersGrow(live: number, deleted: number): boolean {
    return lpIntSize(live) > lpIntSize(this.nLive) || lpIntSize(deleted) > lpIntSize(this.nDeleted);
  }

  /** lpReplaceInteger of master counter `which` (0: count, 1: deleted), moving what follows when its size changes. */
  private setCounter(which: number, v: number): void {
    let p = this.at + LP_HDR;
    if (which) p = skipEl(this.buf, p);
    const end = skipEl(this.buf, p);
    const d = lpIntSize(v) - (end - p);
    if (d !== 0) {
      if (d > 0) this.reserve(d, 0);
      this.buf.copyWithin(end + d, end, this.at + this.len);
      this.len += d;
      this.base += d;
      this.buf.writeUInt32LE(this.len, this.at);
    }
    putLpInt(this.buf, p, v);
  }

  /** The master fields (decoded once for an adopted node that takes appends). */
  masterFields(): string[] {
    if (this.mf) return this.mf;
    const b = this.buf;
    const out: string[] = new Array(this.nMaster);
    let p = skipEl(b, skipEl(b, skipEl(b, this.at + LP_HDR)));
    for (let j = 0; j < this.nMaster; j++) {
      p = readEl(b, p);
      out[j] = elStr(b);
    }
    return out;
  }

  /** True when the fields of fv[from..] (field,value,...) are the master fields, in order. */
  sameFields(fv: readonly (Buffer | string)[], from: number): boolean {
    const nf = (fv.length - from) >>> 1;
    if (nf !== this.nMaster) return false;
    const mf = (this.mf ??= this.masterFields());
    for (let i = 0; i < nf; i++) if (!latin1Equals(mf[i], fv[from + 2 * i])) return false;
    return true;
  }

  /**
   * streamAppendItem's listpack part: entry fv[from..] (field,value,... latin1 strings or bytes) with ID ms-seq and
   * `flags` (SAMEFIELDS: write values only; DELETED: a tombstone, for loaders). `maxBytes` caps
   * the doubling. The node must have its own buffer.
   */
  push(ms: U64, seq: U64, fv: readonly (Buffer | string)[], flags: number, maxBytes: number, from = 0): void {
    const same = (flags & FLAG_SAMEFIELDS) !== 0;
    const nf = (fv.length - from) >>> 1;
    let bound = 80;
    for (let i = same ? from + 1 : from; i < fv.length; i += same ? 2 : 1) bound += strBound(fv[i]);
    const n = this.n;
    this.reserve(bound, maxBytes);
    if (n === 0) {
      this.masterMs = ms;
      this.masterSeq = seq;
    }
    const b = this.buf;
    let p = this.len - 1;
    const start = p;
    b[p] = flags;
    b[p + 1] = 1;
    p = putLpInt(b, p + 2, deltaOf(ms, this.masterMs));
    p = putLpInt(b, p, deltaOf(seq, this.masterSeq));
    let els: number;
    if (same) {
      for (let i = from + 1; i < fv.length; i += 2) p = putLpString(b, p, fv[i]);
      p = putLpInt(b, p, nf + 3);
      els = nf + 4;
    } else {
      p = putLpInt(b, p, nf);
      for (let i = from; i < fv.length; i++) p = putLpString(b, p, fv[i]);
      p = putLpInt(b, p, 2 * nf + 4);
      els = 2 * nf + 5;
    }
    b[p] = 0xff;
    this.len = p + 1;
    // A cached index that reached the end takes the new entry (a shorter one is extended when read).
    const s = this.id & (IX_SLOTS - 1);
    if (ixId[s] === this.id && ixLen[s] === n) ixPush(s, n, start - this.base, p - this.base);
    // The header's total bytes (u32) and element count (u16, 65535 once unknown), little-endian,
    // by plain stores (typed array stores keep the low 8 bits).
    const len = this.len;
    b[0] = len;
    b[1] = len >>> 8;
    b[2] = len >>> 16;
    b[3] = len >>> 24;
    const ne = b[4] | (b[5] << 8);
    if (ne !== 65535) {
      const m = Math.min(65535, ne + els);
      b[4] = m;
      b[5] = m >>> 8;
    }
    this.n = n + 1;
    if (flags & FLAG_DELETED) this.setCounter(1, ++this.nDeleted);
    else this.setCounter(0, ++this.nLive);
  }

  /** Mark entry i deleted in its flags (in place); setCounts must follow. */
  flagDeleted(i: number): void {
    this.buf[this.at + this.base + this.off(i)] |= FLAG_DELETED;
  }

  /** The master entry's count and deleted fields (JsStream unpacks a node in a segment first when they grow). */
  setCounts(live: number, deleted: number): void {
    if (live !== this.nLive) this.setCounter(0, (this.nLive = live));
    if (deleted !== this.nDeleted) this.setCounter(1, (this.nDeleted = deleted));
  }

  /** streamIteratorRemoveEntry on a node that keeps other live entries. */
  markDeleted(i: number): void {
    this.flagDeleted(i);
    this.setCounts(this.nLive - 1, this.nDeleted + 1);
  }

  /** A copy of this node (COPY of the stream) in a buffer of its own, at its exact size. */
  clone(): StreamNode {
    const m = new StreamNode(null);
    m.buf = Buffer.allocUnsafeSlow(this.len);
    this.buf.copy(m.buf, 0, this.at, this.at + this.len);
    m.len = this.len;
    m.base = this.base;
    m.n = this.n;
    m.masterMs = this.masterMs;
    m.masterSeq = this.masterSeq;
    m.nLive = this.nLive;
    m.nDeleted = this.nDeleted;
    m.nMaster = this.nMaster;
    m.unsorted = this.unsorted;
    return m;
  }

  lpBytes(): number {
    return this.len;
  }

  /** Decode entry i's ID into curMs/curSeq; returns the position after its seq-delta. */
  private loadId(i: number): number {
    const b = this.buf;
    let p = readEl(b, this.at + this.base + this.off(i) + 2);
    const dms = rInt;
    p = readEl(b, p);
    curMs = dms === 0 ? this.masterMs : addDelta(this.masterMs, dms);
    curSeq = rInt === 0 ? this.masterSeq : addDelta(this.masterSeq, rInt);
    return p;
  }

  idAt(i: number): StreamID {
    this.loadId(i);
    return { ms: curMs, seq: curSeq };
  }

  /** The ID of entry i as "ms-seq". */
  idString(i: number): string {
    this.loadId(i);
    return `${curMs}-${curSeq}`;
  }

  /** Entry i's ID compared with id. */
  cmpAt(i: number, id: StreamID): number {
    this.loadId(i);
    return cmpParts(curMs, curSeq, id);
  }

  isDeleted(i: number): boolean {
    return (this.buf[this.at + this.base + this.off(i)] & FLAG_DELETED) !== 0;
  }

  fieldCount(i: number): number {
    const b = this.buf;
    const p = this.at + this.base + this.off(i);
    if (b[p] & FLAG_SAMEFIELDS) return this.nMaster;
    readEl(b, skipEl(b, skipEl(b, p + 2)));
    return rInt as number;
  }

  /** Entry i's fields and values: [field0, value0, field1, value1, ...]. */
  pairs(i: number): string[] {
    const b = this.buf;
    let p = this.at + this.base + this.off(i);
    const same = b[p] & FLAG_SAMEFIELDS;
    p = skipEl(b, skipEl(b, p + 2));
    if (same) {
      const nf = this.nMaster;
      const out: string[] = new Array(2 * nf);
      const mf = this.mf;
      let q = mf ? 0 : skipEl(b, skipEl(b, skipEl(b, this.at + LP_HDR)));
      for (let j = 0; j < nf; j++) {
        if (mf) out[2 * j] = mf[j];
        else {
          q = readEl(b, q);
          out[2 * j] = elStr(b);
        }
        p = readEl(b, p);
        out[2 * j + 1] = elStr(b);
      }
      return out;
    }
    p = readEl(b, p);
    const k = 2 * (rInt as number);
    const out: string[] = new Array(k);
    for (let j = 0; j < k; j++) {
      p = readEl(b, p);
      out[j] = elStr(b);
    }
    return out;
  }

  field(i: number, j: number): string {
    return this.pairs(i)[2 * j];
  }

  value(i: number, j: number): string {
    return this.pairs(i)[2 * j + 1];
  }

  /** Index of the first entry with ID >= id (may be count); in an unsorted node, the first live one. */
  lowerBound(id: StreamID): number {
    if (this.unsorted) {
      for (let i = 0; i < this.n; i++) if (!this.isDeleted(i) && this.cmpAt(i, id) >= 0) return i;
      return this.n;
    }
    let lo = 0;
    let hi = this.n;
    const known = this.known();
    if (known < hi) {
      // Past the known offsets: a linear walk (extending them) up to the entry, as Redis seeks.
      if (known === 0 || this.cmpAt(known - 1, id) < 0) return this.scan(id, 0);
      hi = known;
    }
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cmpAt(mid, id) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the last entry with ID <= id (may be -1); in an unsorted node, the last live one. */
  upperIndex(id: StreamID): number {
    if (this.unsorted) {
      for (let i = this.n - 1; i >= 0; i--) if (!this.isDeleted(i) && this.cmpAt(i, id) <= 0) return i;
      return -1;
    }
    let lo = 0;
    let hi = this.n;
    const known = this.known();
    if (known < hi) {
      if (known === 0 || this.cmpAt(known - 1, id) <= 0) return this.scan(id, 1) - 1;
      hi = known;
    }
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cmpAt(mid, id) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /**
   * Bytes this node holds, for used_memory and MEMORY USAGE (what maxmemory acts on): its object,
   * plus its own buffer as allocated (a node in a segment: the segment is counted once by the stream).
   */
  memBytes(): number {
    return this.seg ? NODE_OVERHEAD : NODE_OVERHEAD + BUF_OVERHEAD + this.buf.length;
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
  /** XSETID moved lastId back (below a deleted entry's ID): the next append into an existing node makes it unsorted. */
  private rolledBack = false;

  /** XSETID: the new last ID (already checked against the live entries). */
  setLastId(id: StreamID): void {
    if (idCmp(id, this.lastId) < 0) this.rolledBack = true;
    this.lastId = id;
  }

  /** After a load: a stream saved past such an XSETID may hold nodes whose IDs do not increase. */
  checkLoadedOrder(): void {
    if (idCmp(this.maxDeletedId, this.lastId) > 0) for (const n of this.nodes) n.unsorted = true;
  }
  entriesAdded = 0;
  groups: Map<string, ConsumerGroup> | null = null;
  /** The stream object, its ID objects and node list (STREAM_OVERHEAD), each node's memBytes, its segments' and the groups'. */
  private bytes = STREAM_OVERHEAD;
  private account: MemoryAccount | null = null;
  /** Sealed nodes in buffers of their own, to be packed into the next segment (see seal). */
  private readonly pending: StreamNode[] = [];

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
    for (const n of this.nodes) s.loadNode(n.clone());
    s.length = this.length;
    s.lastId = this.lastId;
    s.firstId = this.firstId;
    s.maxDeletedId = this.maxDeletedId;
    s.entriesAdded = this.entriesAdded;
    s.rolledBack = this.rolledBack;
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
    s.bytes += this.bytes - this.storageBytes();
    return s;
  }

  /** STREAM_OVERHEAD plus what the nodes and segments take (bytes less the groups'). */
  storageBytes(): number {
    let b = STREAM_OVERHEAD;
    for (const n of this.nodes) {
      b += n.memBytes();
      if (n.seg && n.seg.nodes[0] === n) b += SEG_OVERHEAD + n.seg.buf.length;
    }
    return b;
  }

  /** Append a loaded node (RDB, RESTORE, COPY) after the others: the previous last one is sealed. */
  loadNode(node: StreamNode): void {
    if (this.nodes.length) this.seal(this.nodes[this.nodes.length - 1], 0);
    this.nodes.push(node);
    this.adjustBytes(node.memBytes());
  }

  /**
   * Seal `node` (its successor starts): its listpack moves to an exact-size buffer and waits in
   * `pending` until SEG_NODES sealed nodes or SEG_MAX bytes wait, which are then packed into one
   * new Segment (one allocation, one copy of each node). Returns the node's former buffer when it
   * may serve the successor (its capacity at most `reuseCap`), so a long stream's open node takes
   * no new allocation and the only garbage per node is its exact copy.
   */
  private seal(node: StreamNode, reuseCap: number): Buffer | null {
    if (node.seg || this.pending.includes(node)) return null;
    const old = node.buf;
    let reuse: Buffer | null = null;
    if (old.length !== node.len) {
      const before = node.memBytes();
      node.ownBuffer(0);
      this.adjustBytes(node.memBytes() - before);
      if (old.length <= reuseCap) reuse = old;
    }
    node.mf = null;
    const pending = this.pending;
    pending.push(node);
    let bytes = 0;
    for (const m of pending) bytes += m.len;
    if (pending.length >= SEG_NODES || bytes >= SEG_MAX) {
      // A lone node of SEG_MAX bytes or more stays in its own buffer (a segment would cost more).
      if (pending.length > 1) this.packPending(bytes);
      pending.length = 0;
    }
    return reuse;
  }

  /** Pack the pending nodes (`bytes` in all) into a new segment. */
  private packPending(bytes: number): void {
    const seg = new Segment(Buffer.allocUnsafeSlow(bytes), this.pending.slice());
    let delta = SEG_OVERHEAD + bytes;
    let at = 0;
    for (const m of seg.nodes) {
      delta -= m.memBytes();
      m.buf.copy(seg.buf, at, m.at, m.at + m.len);
      m.placeIn(seg, at);
      delta += m.memBytes();
      at += m.len;
    }
    this.adjustBytes(delta);
  }

  /** A node takes appends or grows: it leaves `pending` or its segment. */
  private reopen(node: StreamNode, extra: number): void {
    if (node.seg) this.unpack(node, extra);
    else {
      const i = this.pending.indexOf(node);
      if (i >= 0) this.pending.splice(i, 1);
    }
  }

  /** Move a node out of its segment into a buffer of its own (before it grows). */
  private unpack(node: StreamNode, extra: number): void {
    const seg = node.seg;
    if (!seg) return;
    const before = node.memBytes();
    node.ownBuffer(extra);
    this.adjustBytes(node.memBytes() - before);
    this.leaveSeg(seg, node);
  }

  /** `node` no longer lives in `seg`: free the segment when empty, rewrite it exactly when half of it is holes. */
  private leaveSeg(seg: Segment, node: StreamNode): void {
    const nodes = seg.nodes;
    if (nodes[0] === node) nodes.shift();
    else nodes.splice(nodes.indexOf(node), 1);
    if (nodes.length === 0) {
      this.adjustBytes(-(SEG_OVERHEAD + seg.buf.length));
      return;
    }
    let live = 0;
    for (const m of nodes) live += m.len;
    if (live * 2 > seg.buf.length) return;
    const old = seg.buf;
    seg.buf = Buffer.allocUnsafeSlow(live);
    let at = 0;
    for (const m of nodes) {
      old.copy(seg.buf, at, m.at, m.at + m.len);
      m.placeIn(seg, at);
      at += m.len;
    }
    this.adjustBytes(live - old.length);
  }

  /** A node leaves the stream. */
  private dropNode(node: StreamNode): void {
    this.adjustBytes(-node.memBytes());
    if (node.seg) this.leaveSeg(node.seg, node);
    else this.reopen(node, 0);
  }

  /**
   * streamAppendItem with an already validated ID (> lastId). fv[from..] holds field,value pairs (XADD's
   * arguments, or latin1 strings: their bytes are copied, nothing keeps them). Returns nothing: the caller
   * updates nothing else.
   */
  append(id: StreamID, fv: readonly (Buffer | string)[], limits: NodeLimits, from = 0): void {
    let totelelen = 0;
    for (let i = from; i < fv.length; i++) totelelen += fv[i].length;
    let maxBytes = limits.maxBytes;
    if (maxBytes === 0 || maxBytes > LISTPACK_MAX_SIZE) maxBytes = LISTPACK_MAX_SIZE;
    const nodes = this.nodes;
    let node: StreamNode | null = nodes.length ? nodes[nodes.length - 1] : null;
    let delta = 0;
    let reuse: Buffer | null = null;
    if (node) {
      if (node.lpBytes() + totelelen >= maxBytes || (limits.maxEntries && node.live + node.deleted >= limits.maxEntries)) {
        reuse = this.seal(node, Math.max(2 * node.len, Math.min(maxBytes, 65536) + 1024));
        node = null;
      }
    }
    let flags = 0;
    if (!node) {
      const numfields = (fv.length - from) >>> 1;
      const fields: string[] = new Array(numfields);
      for (let i = 0; i < numfields; i++) fields[i] = latin1Of(fv[from + 2 * i]);
      node = new StreamNode(fields, reuse);
      const last = nodes.length ? nodes[nodes.length - 1] : null;
      if (last !== null && cmpParts(last.masterMs, last.masterSeq, id) >= 0) {
        // After an XSETID below a deleted entry's ID the new node's master ID sorts before (or
        // equals) the last node's. Redis's rax keeps nodes in master-ID order and appends to the greatest one,
        // so the new node goes where its ID sorts (and the next append again finds the full one).
        const at = this.seekNode(id);
        const same = at >= 0 ? nodes[at] : null;
        if (same !== null && same.live === 0 && cmpParts(same.masterMs, same.masterSeq, id) === 0) {
          // A node of tombstones under the same master ID: Redis's raxInsert replaces it.
          this.dropNode(same);
          nodes[at] = node;
        } else nodes.splice(at + 1, 0, node);
      } else nodes.push(node);
      flags = FLAG_SAMEFIELDS;
    } else {
      // After an XSETID below a deleted entry's ID the node may hold IDs above this one.
      if (this.rolledBack) node.unsorted = true;
      // A sealed node takes appends again when its successors were deleted (as in Redis).
      this.reopen(node, totelelen + 64);
      delta -= node.memBytes();
      if (node.sameFields(fv, from)) flags = FLAG_SAMEFIELDS;
    }
    node.push(id.ms, id.seq, fv, flags, maxBytes, from);
    this.rolledBack = false;
    this.adjustBytes(delta + node.memBytes());
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
      if (cmpParts(n.masterMs, n.masterSeq, id) <= 0) lo = mid + 1;
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
          if (n.isDeleted(i)) continue;
          // (Redis's iterator tests every entry against both ends: in an unsorted node a live
          // entry may sort before the start.)
          if (n.unsorted && n.cmpAt(i, start) < 0) continue;
          if (n.cmpAt(i, end) > 0) return;
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
          if (n.isDeleted(i)) continue;
          if (n.unsorted && n.cmpAt(i, end) > 0) continue;
          if (n.cmpAt(i, start) < 0) return;
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
      b.writeBigUInt64BE(BigInt(n.masterMs), 0);
      b.writeBigUInt64BE(BigInt(n.masterSeq), 8);
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
    // (Before the first node's master ID: Redis's iterator starts at the first node, where an
    // unsorted node can hold it.)
    const ni = Math.max(0, this.seekNode(id));
    if (this.nodes.length === 0) return null;
    const n = this.nodes[ni];
    const i = n.lowerBound(id);
    if (i >= n.count || n.isDeleted(i) || n.cmpAt(i, id) !== 0) return null;
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
      this.dropNode(n);
    } else {
      // A deleted entry keeps its bytes until its node goes (as in Redis's listpack).
      if (n.countersGrow(n.live - 1, n.deleted + 1)) this.unpack(n, 8);
      const before = n.memBytes();
      n.markDeleted(f.index);
      this.adjustBytes(n.memBytes() - before);
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
        removeNode = n.cmpAt(n.count - 1, minid) < 0;
      }
      if (removeNode) {
        this.nodes.shift();
        this.dropNode(n);
        this.length -= entries;
        deleted += entries;
        continue;
      }
      if (approx) break;
      let fromNode = 0;
      for (let i = 0; i < n.count; i++) {
        const stop = strategy === 'maxlen' ? this.length <= maxlen : n.cmpAt(i, minid) >= 0;
        if (stop) break;
        if (!n.isDeleted(i)) {
          n.flagDeleted(i);
          fromNode++;
          this.length--;
        }
      }
      if (n.countersGrow(n.live - fromNode, n.deleted + fromNode)) this.unpack(n, 8);
      const before = n.memBytes();
      n.setCounts(n.live - fromNode, n.deleted + fromNode);
      this.adjustBytes(n.memBytes() - before);
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
