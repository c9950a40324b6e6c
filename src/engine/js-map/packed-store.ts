/**
 * PackedStore: the values a KeyTable holds still packed as loaded (containers/packed.ts), kept as
 * descriptors in one Int32Array instead of a PackedValue object per key. The row's value slot
 * (KeyTable's vals) holds the descriptor's index, a small integer, which V8 keeps unboxed in the
 * array: nothing per key for the GC to copy, promote or trace.
 *
 * Why: a 100k-key load of 1/5 each strings, lists, hashes, sets and sorted sets made 80k
 * PackedValues, every one surviving the load's scavenges (copied, then promoted). Loads at start
 * of that dump, alternated: 76-81 ms with them kept, 62-69 ms when the same objects were made but
 * not kept. The loader writes the descriptors itself (rdb-scan.ts describe: reserve, then the
 * words in its own loop, then one commit per batch), so the load makes no call and no object per
 * packed value.
 *
 * Layout: descriptor k is d[k*W .. k*W + W): the index of its blob's buffer, the blob's offset and
 * length there, the RDB type, the element count, the longest element and the memory figure (the
 * PackedValue fields). Descriptors are taken in order from `top`, never reused: a dropped one is
 * a hole until the last live one is dropped, when the store starts over empty (so its array is
 * at most one descriptor, 32 bytes, per value loaded packed; a PackedValue took ~64). The blobs
 * stay in the load's PackedArena buffers, which are never written again; each buffer is held here
 * (with the PackedContext of its load) while a live descriptor points into it, and let go with
 * its last one, as the PackedValues left it to the GC before.
 *
 * get() makes a PackedValue for a reader (short-lived: the Db unpacks it, a SAVE copies its
 * blob); drop() is the KeyTable's when the value is unpacked, replaced or deleted.
 * Complexity: reserve amortized O(1) per descriptor, get and drop O(1).
 */
import { PackedValue, type PackedContext } from '../containers/packed';

/** Int32 words per descriptor, and the word of each field. */
export const PK_WORDS = 8;
export const PK_BUF = 0;
export const PK_OFF = 1;
export const PK_LEN = 2;
export const PK_TYPE = 3;
export const PK_SIZE = 4;
export const PK_MAXLEN = 5;
export const PK_BYTES = 6;
const FIRST_DESCRIPTORS = 256;

export class PackedStore {
  /** The descriptors; [0, top) written (live or dropped). Written by reserve()'s caller. */
  d = new Int32Array(FIRST_DESCRIPTORS * PK_WORDS);
  private used = 0;
  private live = 0;
  /** Buffers by index, with their load's context and how many live descriptors point into them. */
  private bufs: (Buffer | null)[] = [];
  private ctxs: (PackedContext | null)[] = [];
  private refs: number[] = [];
  private readonly bufIndex = new Map<Buffer, number>();
  /** The last buffer bufferIndex() was asked for (a load goes buffer after buffer). */
  private lastBuf: Buffer | null = null;
  private lastIdx = -1;

  /** One past the last descriptor written: where reserve()'s caller writes the next one. */
  get top(): number {
    return this.used;
  }

  /** Live descriptors. */
  get size(): number {
    return this.live;
  }

  /** Buffers held (some live descriptor points into each). */
  get buffers(): number {
    return this.bufIndex.size;
  }

  /** The index of buf (its blobs read with ctx), added when new. */
  bufferIndex(buf: Buffer, ctx: PackedContext): number {
    if (buf === this.lastBuf) return this.lastIdx;
    let b = this.bufIndex.get(buf);
    if (b === undefined) {
      b = this.bufs.length;
      this.bufs.push(buf);
      this.ctxs.push(ctx);
      this.refs.push(0);
      this.bufIndex.set(buf, b);
    }
    this.lastBuf = buf;
    this.lastIdx = b;
    return b;
  }

  /**
   * Room for n descriptors from `top`: returns `d` (it may have grown). The caller writes them at
   * top, top + 1, ... and then commit()s them.
   */
  reserve(n: number): Int32Array {
    const need = (this.used + n) * PK_WORDS;
    if (need > this.d.length) {
      let cap = this.d.length * 2;
      while (cap < need) cap *= 2;
      const grown = new Int32Array(cap);
      grown.set(this.d.subarray(0, this.used * PK_WORDS));
      this.d = grown;
    }
    return this.d;
  }

  /** The descriptors written at [top, end), each pointing into buffer b, are live: top becomes end. */
  commit(b: number, end: number): void {
    const n = end - this.used;
    this.refs[b] += n;
    this.live += n;
    this.used = end;
  }

  /** A descriptor of p (a value the JS loader made); returns its index. */
  add(p: PackedValue): number {
    const d = this.reserve(1);
    const k = this.used;
    const at = k * PK_WORDS;
    const b = this.bufferIndex(p.buf, p.context);
    d[at + PK_BUF] = b;
    d[at + PK_OFF] = p.off;
    d[at + PK_LEN] = p.len;
    d[at + PK_TYPE] = p.rdbType;
    d[at + PK_SIZE] = p.size;
    d[at + PK_MAXLEN] = p.maxLen;
    d[at + PK_BYTES] = p.memoryUsage();
    this.commit(b, k + 1);
    return k;
  }

  /** The PackedValue of live descriptor k (a new object over the same blob). */
  get(k: number): PackedValue {
    const d = this.d;
    const at = k * PK_WORDS;
    const b = d[at + PK_BUF];
    return new PackedValue(d[at + PK_TYPE], this.bufs[b]!, d[at + PK_OFF], d[at + PK_LEN], d[at + PK_SIZE], d[at + PK_MAXLEN], d[at + PK_BYTES], this.ctxs[b]!);
  }

  /** Descriptor k is no longer used; its buffer is let go with its last one, the store emptied with the last of all. */
  drop(k: number): void {
    const b = this.d[k * PK_WORDS + PK_BUF];
    if (--this.refs[b] === 0) {
      this.bufIndex.delete(this.bufs[b]!);
      this.bufs[b] = null;
      this.ctxs[b] = null;
      if (this.lastIdx === b) {
        this.lastBuf = null;
        this.lastIdx = -1;
      }
    }
    if (--this.live === 0) {
      this.d = new Int32Array(FIRST_DESCRIPTORS * PK_WORDS);
      this.used = 0;
      this.bufs = [];
      this.ctxs = [];
      this.refs = [];
      this.bufIndex.clear();
      this.lastBuf = null;
      this.lastIdx = -1;
    }
  }
}
