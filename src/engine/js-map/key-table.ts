/**
 * KeyTable: the js-map engine's keyspace of one Db (see the class comment for layout, invariants
 * and complexity). Split from engine.ts, which keeps the Db semantics (expiry, hooks, accounting)
 * on top of it.
 */
import { randomBytes } from 'crypto';
import { StrEnc } from '../types';
import type { Bytes, HashTableStats, RedisValue } from '../types';
import { LinearHashing } from '../hashing/linear-hashing';
import { writeDigitsBefore } from '../../util/number';
import { PackedValue } from '../containers/packed';
import { PackedStore } from './packed-store';

/** Rows, bucket heads and the TTL index are stored in chunks of 2^CHUNK_BITS (chunk = i >>> bits, offset = i & mask). */
const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK - 1;
/** Capacity of the first row chunk and first bucket chunk; they double up to CHUNK. */
const FIRST_CAPACITY = 16;
/** A first row chunk of at most this many rows survives the table's emptying (see reset). */
const KEEP_ROWS = 256;
/** Rows presize() makes at most ahead of their keys (4 chunks: 18 MB with their value slots). */
const PRESIZE_ROWS = 4 * CHUNK;
/** Chain-length classes of stats() (dict.c's DICT_STATS_VECTLEN). */
const STATS_VECTLEN = 50;
/** Slot number meaning "no row": ends bucket chains and the free list; lookups return it for a miss. */
export const NONE = -1;

/**
 * Row layout (ROW_BYTES per row, one cache line; index = row offset * per-row count + field, i.e.
 * Float64 index (o << 3) + F_*, Int32 index (o << 4) + I_*, byte index (o << 6) + B_*).
 */
const ROW_BYTES = 64;
/** Float64 fields: absolute expire time in ms (-1 = no TTL) and last access time in ms. */
const F_EXPIRE = 0;
const F_LRU = 1;
/**
 * Int32 fields: the key's hash, the next slot in its bucket chain (or in the free list), and
 * while the key has a TTL its position in the TTL index.
 */
const I_HASH = 4;
const I_NEXT = 5;
const I_TTLPOS = 6;
/**
 * Byte fields: LFU counter, StrEnc, the key's length when its bytes are inline (0..INLINE_MAX)
 * or KLEN_LONG (the key is a string in longKeys), and the value's length when its bytes are
 * inline or VLEN_PTR (the value is in vals). Bytes B_KEY.. hold the inline key, then the inline
 * value, so comparing a key of up to INLINE_MAX bytes, and reading a small string value, reads
 * only the row.
 */
const B_FREQ = 28;
const B_ENC = 29;
const B_KLEN = 30;
const B_VLEN = 31;
const B_KEY = 32;
/** Keys of up to this many bytes are stored in their row (the rest of the 64 bytes). */
export const INLINE_MAX = ROW_BYTES - B_KEY;
const KLEN_LONG = 255;
const VLEN_PTR = 255;
/** B_VLEN of a value in the table's byte arena (see the class comment): its place is in I_A*. */
const VLEN_ARENA = 254;
/**
 * Int32 fields of a row whose value is in the arena, in the row's last 12 bytes (free when the
 * inline key is at most ARENA_KEY_MAX bytes long, or long): the block's address (slab index <<
 * ARENA_SLAB_BITS | offset), the value's length and the block's capacity.
 */
const I_AADDR = 13;
const I_ALEN = 14;
const I_ACAP = 15;
const ARENA_KEY_MAX = (I_AADDR << 2) - B_KEY;
/** Arena values are at most this long; blocks are multiples of ARENA_GRAIN bytes, in slabs of 2^ARENA_SLAB_BITS bytes. */
export const ARENA_MAX = 1024;
const ARENA_GRAIN = 64;
const ARENA_SLAB_BITS = 16;
const ARENA_OFF_MASK = (1 << ARENA_SLAB_BITS) - 1;
const ARENA_FIRST_SLAB = 4096;

/** Bytes left in a row for an inline string value when the key is `klen` bytes long. */
export function valueRoom(klen: number): number {
  return klen <= INLINE_MAX ? INLINE_MAX - klen : INLINE_MAX;
}

/**
 * KeyTable: the keyspace of one Db. A hash table with separate chaining, grown and shrunk by
 * linear hashing, over rows named by slot number.
 *
 * Rows: slot s is at chunk c = s >>> CHUNK_BITS, offset o = s & CHUNK_MASK, in
 * - a 64-byte record in rowsF/rowsI/rowsB[c] (Float64/Int32/Uint8 views of one buffer):
 *   expireAt, lru, hash, next, ttlPos, freq, strEnc, key and value lengths and, for a key of up
 *   to INLINE_MAX bytes (the common case), the key's bytes, followed by the value's bytes when
 *   the value is a string that fits in the rest (valueRoom) (see the F_/I_/B_ constants);
 * - vals[c][o]: the value (null when it is inline), the only per-row pointer (what the GC traces);
 *   a value still packed as loaded is the index of its descriptor in `packed` (packed-store.ts),
 *   a number, which value() turns into a PackedValue;
 * - longKeys[c][o]: the key as a latin1 string when it is longer than INLINE_MAX (the array is
 *   made for a chunk when its first long key arrives).
 * So a lookup reads the bucket head and the chain's records only: hash, chain link and key bytes
 * are in one record (no key string to chase, a cache miss of its own per lookup in the previous
 * 32-byte-row layout), and a hit on a small string value reads it there too (no value pointer
 * and value string to chase either). Key strings, and inline values' strings, are built on demand
 * (key(), value()); a value written as a JS string or bytes (setValue, setValueBytes, strings
 * are immutable) may be kept inline, a Buffer value never is (it may be edited in place); an
 * inline value is edited in place in its row (growInline, then the caller writes rowBytes).
 *
 * Byte arena: a value edited in place (SETBIT, BITFIELD, SETRANGE: Db.editString) that does not
 * fit in its row but is at most ARENA_MAX bytes is kept in a block of the table's own slabs
 * (Buffers of 4 KB doubling up to 2^ARENA_SLAB_BITS bytes), its address, length and capacity in the row (I_A*), so
 * reading or editing it goes row -> bytes, as an inline value, where a Buffer of its own cost a
 * value-pointer load, the Buffer object and its backing-store pointer (cache misses each, over
 * 100k bitmaps) and one more object for the GC. Blocks are ARENA_GRAIN-byte multiples; a freed
 * block goes on its size's free list and is zeroed when reused; bytes of a block past its value's
 * length are zero (growArena relies on it); slabs are kept until the table is empty (reset), as
 * row chunks are. value() hands out a view of the block (valid until
 * the next change of the table, as the row's bytes). Only for keys whose row has room for I_A*
 * (inline keys up to ARENA_KEY_MAX bytes, or long keys).
 * Bytes per key: 64 (row) + 8 (value pointer) + ~8 (bucket heads), + 4 with a TTL; a long key
 * adds its pointer and string. No object per key besides a value that is not inline.
 * Every row chunk but the last holds CHUNK rows; only chunk 0 starts at FIRST_CAPACITY and
 * doubles, so growing copies one chunk at most (bucket and TTL chunks likewise).
 * A free row has value undefined and is on the LIFO free list threaded through `next`; rows at or
 * past `top` were never used. The table drops all its arrays when its last key is removed.
 *
 * Buckets (Litwin's linear hashing, linear-hashing.ts): nBuckets === 2^level + split,
 * 0 <= split < 2^level; a key with hash h is in bucket h mod 2^level, or h mod 2^(level+1) when
 * that is < split. An insert that makes count > nBuckets / 2 splits ONE bucket (relinks its chain
 * by bit `level` of the stored hashes, no rehashing); a delete that makes count < nBuckets / 8
 * merges the last bucket back. So chains average at most 1/2 key (a load of 1/2 rather than
 * Redis's 1: shorter chains to walk on a miss, for 4 more bytes per key) and nothing ever
 * rehashes everything; there is no size cap short of 2^31 rows.
 *
 * TTL index: `ttl` lists the slots of the keys with a TTL densely (chunked like rows), and each
 * such row stores its position there, so adding or removing a TTL is O(1) (removal moves the
 * last entry into the hole) and active expiry samples it with a wrapping cursor (sampleTtl).
 *
 * SCAN: Redis's reverse-binary cursor over a logical table of 2^L buckets,
 * L = level + (split > 0 ? 1 : 0); an unsplit bucket serves two logical indices, filtered by the
 * stored hash, so every key present for a whole iteration is returned at least once across
 * splits and merges (a merge may return some twice), as dictScan.
 *
 * Complexity: find/insert/remove O(1) expected + hashing the key; split/merge O(chain); scan step
 * O(count); forEach O(rows); key() O(key length).
 */
export class KeyTable {
  private heads: Int32Array[] = [new Int32Array(FIRST_CAPACITY).fill(NONE)];
  private nBuckets = 1;
  private readonly lh = new LinearHashing();
  private count = 0;
  private vals: unknown[][] = [];
  private longKeys: (string[] | null)[] = [];
  private rowsF: Float64Array[] = [];
  private rowsI: Int32Array[] = [];
  private rowsB: Uint8Array[] = [];
  private free = NONE;
  private top = 0;
  /** Rows of the first row chunk when it is made (presize sets it; reset() restores it). */
  private firstCap = FIRST_CAPACITY;
  private ttl: Int32Array[] = [];
  private ttlCount = 0;
  /** The byte arena (see the class comment): slabs, the last slab's first unused byte, free blocks by size (ARENA_GRAIN units - 1). */
  private slabs: Buffer[] = [];
  private slabTop = 0;
  private freeBlocks: number[][] = [];
  /** The values still packed as loaded (made by the first one). */
  private packed: PackedStore | null = null;

  get size(): number {
    return this.count;
  }

  /** DEBUG HTSTATS: chain lengths over the nBuckets buckets, counted as dict.c's _dictGetStatsHt. O(buckets + keys). */
  stats(): HashTableStats {
    const chains: number[] = new Array(STATS_VECTLEN).fill(0);
    let slots = 0;
    let maxChain = 0;
    let totalChain = 0;
    for (let b = 0; b < this.nBuckets; b++) {
      let n = 0;
      for (let s = this.head(b); s !== NONE; s = this.next(s)) n++;
      chains[n < STATS_VECTLEN ? n : STATS_VECTLEN - 1]++;
      if (n > 0) slots++;
      if (n > maxChain) maxChain = n;
      totalChain += n;
    }
    return { size: this.nBuckets, used: this.count, slots, maxChain, totalChain, chains };
  }

  /** Number of keys with a TTL. */
  get ttlSize(): number {
    return this.ttlCount;
  }

  private bucketOf(h: number): number {
    return this.lh.bucket(h);
  }

  private head(b: number): number {
    return this.heads[b >>> CHUNK_BITS][b & CHUNK_MASK];
  }

  private setHead(b: number, s: number): void {
    this.heads[b >>> CHUNK_BITS][b & CHUNK_MASK] = s;
  }

  private next(s: number): number {
    return this.rowsI[s >>> CHUNK_BITS][((s & CHUNK_MASK) << 4) + I_NEXT];
  }

  private setNext(s: number, n: number): void {
    this.rowsI[s >>> CHUNK_BITS][((s & CHUNK_MASK) << 4) + I_NEXT] = n;
  }

  private hash(s: number): number {
    return this.rowsI[s >>> CHUNK_BITS][((s & CHUNK_MASK) << 4) + I_HASH];
  }

  /**
   * Prefetch hint (Db.prefetch): load what lookups of these hashes will touch, in passes that do
   * not depend on each other across keys (bucket heads, then each chain head's record, which
   * holds its key, then the value pointers and value strings), so the CPU overlaps their cache
   * misses. Reads only; returns a checksum so the loads are not dropped as dead code.
   */
  touch(hashes: Int32Array, slots: Int32Array, n: number): number {
    let acc = 0;
    for (let i = 0; i < n; i++) slots[i] = this.head(this.bucketOf(hashes[i]));
    for (let i = 0; i < n; i++) {
      const s = slots[i];
      if (s !== NONE) acc ^= this.rowsI[s >>> CHUNK_BITS][((s & CHUNK_MASK) << 4) + I_HASH];
    }
    for (let i = 0; i < n; i++) {
      const s = slots[i];
      if (s === NONE) continue;
      const vl = this.rowsB[s >>> CHUNK_BITS][((s & CHUNK_MASK) << 6) + B_VLEN];
      if (vl === VLEN_ARENA) {
        const ri = this.rowsI[s >>> CHUNK_BITS];
        const a = ri[((s & CHUNK_MASK) << 4) + I_AADDR];
        // (the last byte: where SETBIT and BITFIELD on a growing bitmap write)
        acc ^= this.slabs[a >>> ARENA_SLAB_BITS][(a & ARENA_OFF_MASK) + Math.max(0, ri[((s & CHUNK_MASK) << 4) + I_ALEN] - 1)];
        continue;
      }
      if (vl !== VLEN_PTR) continue;
      const v = this.vals[s >>> CHUNK_BITS][s & CHUNK_MASK];
      if (typeof v === 'string') acc ^= v.length;
      else if (v instanceof Uint8Array && v.length !== 0) acc ^= v[0] ^ v[v.length - 1];
    }
    return acc;
  }

  /** Prefetch hint for one key of hash h: the slot at the head of its bucket's chain (or NONE). */
  headOf(h: number): number {
    return this.head(this.bucketOf(h));
  }

  /** Prefetch hint: the stored hash of row s (0 for NONE), loading its record. */
  hashAt(s: number): number {
    return s === NONE ? 0 : this.hash(s);
  }

  /** Whether the key of the row at chunk c, offset o has the bytes b[off, off + len). */
  private sameKey(c: number, o: number, b: Uint8Array, off: number, len: number): boolean {
    const rb = this.rowsB[c];
    const r = o << 6;
    const kl = rb[r + B_KLEN];
    if (kl !== KLEN_LONG) {
      if (kl !== len) return false;
      const a = r + B_KEY - off;
      for (let i = off, end = off + len; i < end; i++) if (rb[a + i] !== b[i]) return false;
      return true;
    }
    const k = this.longKeys[c]![o];
    return k.length === len && sameBytes(k, b, len, off);
  }

  /**
   * Slot of the key whose bytes are `b` (hash hashOfBytes(b)), or NONE. Compares the key bytes
   * in the row (or the long key's string) with the bytes in place, so a lookup builds no string.
   */
  findBytes(b: Uint8Array, h: number): number {
    return this.findAt(b, 0, b.length, h);
  }

  /** findBytes of the key b[off, off + len). */
  findAt(b: Uint8Array, off: number, len: number, h: number): number {
    let s = this.head(this.bucketOf(h));
    while (s !== NONE) {
      const c = s >>> CHUNK_BITS;
      const o = s & CHUNK_MASK;
      const ri = this.rowsI[c];
      if (ri[(o << 4) + I_HASH] === h && this.sameKey(c, o, b, off, len)) return s;
      s = ri[(o << 4) + I_NEXT];
    }
    return NONE;
  }

  /**
   * Size an empty table for about `n` keys (the RDB loader's RESIZEDB, as rdbLoad's dictExpand):
   * 2^k buckets, the fewest that hold n keys at the load of 1/2 that insert() keeps, so loading
   * splits no bucket. Ignored when the table has keys or is already that large.
   */
  presize(n: number): void {
    if (this.count !== 0) return;
    let level = 0;
    while (level < 30 && 1 << level < 2 * n) level++;
    // The first row chunk at its final size up to CHUNK rows (no doubling while loading); a
    // small one kept by reset() is dropped for it.
    if (this.top === 0) {
      this.firstCap = Math.max(FIRST_CAPACITY, Math.min(CHUNK, n));
      if (this.vals.length === 1 && this.vals[0].length < this.firstCap) this.dropRows();
    }
    // The chunks the n rows need, up to PRESIZE_ROWS, made now: allocRow made the second one in
    // the middle of the load, in TurboFan code that had never run that branch (insert was
    // deoptimized once per load). Bounded: RESIZEDB is the file's word.
    if (this.top === 0 && this.vals.length === 0) for (let c = 0; c * CHUNK < Math.min(n, PRESIZE_ROWS); c++) this.addChunk(c);
    const nb = 1 << level;
    if (nb <= this.nBuckets) return;
    const heads: Int32Array[] = [];
    for (let b = 0; b < nb; b += CHUNK) heads.push(new Int32Array(Math.min(CHUNK, nb - b)).fill(NONE));
    this.heads = heads;
    this.nBuckets = nb;
    this.lh.level = level;
    this.lh.split = 0;
  }

  /**
   * The RDB loader's insert: keys[0, n), key i being kb[offs[i], offs[i] + lens[i]) (with their
   * hashes and expire times; a null value is the string kb[valOffs[i], valOffs[i] + valLens[i])), stopping before the first one that is already in the table (or
   * repeated in the batch); returns how many were inserted. First reads every bucket head and
   * chain head, loads that do not depend on each other, so their cache misses overlap instead of
   * coming one per key.
   */
  insertMany(kb: Uint8Array, offs: Int32Array, lens: Int32Array, hashes: Int32Array, values: readonly unknown[], valOffs: Int32Array, valLens: Int32Array, expires: Float64Array, n: number, lru: number): number {
    const sl = this.batchSlots.length >= n ? this.batchSlots : (this.batchSlots = new Int32Array(n));
    for (let i = 0; i < n; i++) sl[i] = this.head(this.bucketOf(hashes[i]));
    let acc = 0;
    for (let i = 0; i < n; i++) {
      const s = sl[i];
      if (s !== NONE) acc ^= this.rowsI[s >>> CHUNK_BITS][((s & CHUNK_MASK) << 4) + I_HASH];
    }
    this.batchSink ^= acc;
    for (let i = 0; i < n; i++) {
      const h = hashes[i];
      if (this.findAt(kb, offs[i], lens[i], h) !== NONE) return i;
      const v = values[i];
      // (null: a string value given as its bytes; a string only when it does not fit in the row.
      // A number: the index of a descriptor the loader wrote in packedStore(); a PackedValue the
      // JS loader made is stored as one.)
      const plain = v !== null && typeof v !== 'number' && !(v instanceof PackedValue);
      const s = this.insert(kb, offs[i], lens[i], h, plain ? (v as RedisValue) : '', lru, StrEnc.Auto);
      if (v === null) {
        if (!this.setValueBytes(s, kb, valOffs[i], valLens[i])) this.setValue(s, latin1Slice(kb, valOffs[i], valLens[i]));
      } else if (typeof v === 'number') this.setPackedIndex(s, v);
      else if (!plain) this.setPacked(s, v as PackedValue);
      if (expires[i] !== -1) this.setExpireAt(s, expires[i]);
    }
    return n;
  }
  private batchSlots = new Int32Array(64);
  /** (keeps insertMany's hint loads from being dropped as dead code) */
  private batchSink = 0;

  /**
   * Add the key b[off, off + len) (hash `h`), which must be absent, with no TTL and freq
   * LFU_INIT_VAL (5), and the value as setValue stores it. Returns its slot.
   */
  insert(b: Uint8Array, off: number, len: number, h: number, value: RedisValue, lru: number, strEnc: StrEnc): number {
    const s = this.allocRow();
    const c = s >>> CHUNK_BITS;
    const o = s & CHUNK_MASK;
    const rf = this.rowsF[c];
    rf[(o << 3) + F_EXPIRE] = -1;
    rf[(o << 3) + F_LRU] = Math.floor(lru / 1000) * 1000; // whole seconds, as setLru
    const rb = this.rowsB[c];
    const r = o << 6;
    rb[r + B_FREQ] = 5;
    rb[r + B_ENC] = strEnc;
    if (len <= INLINE_MAX) {
      rb[r + B_KLEN] = len;
      const a = r + B_KEY - off;
      for (let i = off, end = off + len; i < end; i++) rb[a + i] = b[i];
    } else {
      rb[r + B_KLEN] = KLEN_LONG;
      const lk = this.longKeys[c] ?? (this.longKeys[c] = new Array<string>(this.vals[c].length).fill(''));
      lk[o] = latin1Slice(b, off, len);
    }
    this.setValue(s, value);
    const bk = this.bucketOf(h);
    const ri = this.rowsI[c];
    ri[(o << 4) + I_HASH] = h;
    ri[(o << 4) + I_NEXT] = this.head(bk);
    this.setHead(bk, s);
    if (++this.count * 2 > this.nBuckets) this.splitOne();
    return s;
  }

  /** Remove the row at slot `s` (in use). */
  remove(s: number): void {
    if (this.expireAt(s) !== -1) this.ttlRemove(s);
    this.arenaFree(s);
    const b = this.bucketOf(this.hash(s));
    const next = this.next(s);
    let p = this.head(b);
    if (p === s) {
      this.setHead(b, next);
    } else {
      // Chains are short (average below 1): walk to the predecessor.
      for (let n = this.next(p); n !== s; n = this.next(p)) p = n;
      this.setNext(p, next);
    }
    if (--this.count === 0) {
      this.reset();
      return;
    }
    const c = s >>> CHUNK_BITS;
    const o = s & CHUNK_MASK;
    this.dropPacked(c, o);
    this.vals[c][o] = undefined;
    const lk = this.longKeys[c];
    if (lk !== null) lk[o] = '';
    this.setNext(s, this.free);
    this.free = s;
    if (this.nBuckets > 1 && this.count * 8 < this.nBuckets) this.mergeOne();
  }

  /**
   * Forget every row and bucket (the arrays are left to the GC), except a small first chunk: a
   * table that empties and fills again, as a lock's key set and deleted (the redlock script)
   * does on every request, would otherwise make that chunk anew each time (an off-heap
   * ArrayBuffer calloc'd, then swept, and two arrays: ~0.6 µs per request in a profile of the
   * redlock benchmark). Its rows are cleared as a freed row is: insert writes every field it reads.
   */
  private reset(): void {
    const keep = this.vals.length === 1 && this.vals[0].length <= KEEP_ROWS;
    const h0 = this.heads[0];
    if (this.heads.length === 1 && h0.length <= KEEP_ROWS) h0.fill(NONE);
    else this.heads = [new Int32Array(FIRST_CAPACITY).fill(NONE)];
    this.nBuckets = 1;
    this.lh.reset();
    this.count = 0;
    if (keep) {
      this.vals[0].fill(undefined);
      this.longKeys[0] = null;
    } else this.dropRows();
    this.free = NONE;
    this.top = 0;
    this.firstCap = FIRST_CAPACITY;
    this.ttl = [];
    this.ttlCount = 0;
    this.slabs = [];
    this.slabTop = 0;
    this.freeBlocks = [];
    this.packed = null;
  }

  /** Forget every row chunk (the arrays are left to the GC); allocRow makes chunk 0 again. */
  private dropRows(): void {
    this.vals = [];
    this.longKeys = [];
    this.rowsF = [];
    this.rowsI = [];
    this.rowsB = [];
  }

  private allocRow(): number {
    let s = this.free;
    if (s !== NONE) {
      this.free = this.next(s);
      return s;
    }
    s = this.top++;
    const c = s >>> CHUNK_BITS;
    if (c === this.vals.length) {
      this.addChunk(c);
    } else if ((s & CHUNK_MASK) * ROW_BYTES === this.rowsB[c].length) {
      // Only chunk 0 is ever partial: double it (at most CHUNK rows copied).
      const cap = Math.min(CHUNK, (s & CHUNK_MASK) * 2);
      const vs = this.vals[c];
      for (let i = vs.length; i < cap; i++) vs.push(undefined);
      const lk = this.longKeys[c];
      if (lk !== null) for (let i = lk.length; i < cap; i++) lk.push('');
      const old = this.rowsB.pop()!;
      this.rowsF.pop();
      this.rowsI.pop();
      const buf = new ArrayBuffer(cap * ROW_BYTES);
      new Uint8Array(buf).set(old);
      this.addRows(buf);
    }
    return s;
  }

  /** Make row chunk c (the next one): firstCap rows for chunk 0, else CHUNK. */
  private addChunk(c: number): void {
    const cap = c === 0 ? this.firstCap : CHUNK;
    this.vals.push(new Array<unknown>(cap).fill(undefined));
    this.longKeys.push(null);
    this.addRows(new ArrayBuffer(cap * ROW_BYTES));
  }

  private addRows(buf: ArrayBuffer): void {
    this.rowsF.push(new Float64Array(buf));
    this.rowsI.push(new Int32Array(buf));
    this.rowsB.push(new Uint8Array(buf));
  }

  /** One past the highest slot ever used (slots below it are in use or free). */
  get slotEnd(): number {
    return this.top;
  }

  /**
   * The snapshot walk's step (Db.snapshotWalk): the rows in use at slots [pos, end), in slot
   * order, until `count` were visited. Returns the next slot (>= end: done). Rows never move, so
   * a key's slot says whether the walk has passed it. The visitor must not insert or delete.
   */
  walkSlots(pos: number, end: number, count: number, visit: (s: number) => void): number {
    if (end > this.top) end = this.top;
    let n = 0;
    let s = pos;
    while (s < end && n < count) {
      const c = s >>> CHUNK_BITS;
      const vs = this.vals[c];
      const stop = Math.min(end, (c + 1) << CHUNK_BITS);
      for (; s < stop && n < count; s++) {
        if (vs[s & CHUNK_MASK] !== undefined) {
          visit(s);
          n++;
        }
      }
    }
    return s;
  }

  private splitOne(): void {
    const bit = this.lh.splitBit;
    const src = this.lh.split;
    const dst = this.nBuckets;
    const c = dst >>> CHUNK_BITS;
    if (c === this.heads.length) {
      this.heads.push(new Int32Array(CHUNK).fill(NONE));
    } else if ((dst & CHUNK_MASK) === this.heads[c].length) {
      const h = new Int32Array(this.heads[c].length * 2).fill(NONE);
      h.set(this.heads[c]);
      this.heads[c] = h;
    }
    // Relink src's chain into the keys that stay (bit `level` clear) and those that move.
    let keep = NONE;
    let move = NONE;
    let s = this.head(src);
    while (s !== NONE) {
      const next = this.next(s);
      if (this.hash(s) & bit) {
        this.setNext(s, move);
        move = s;
      } else {
        this.setNext(s, keep);
        keep = s;
      }
      s = next;
    }
    this.setHead(src, keep);
    this.setHead(dst, move);
    this.nBuckets++;
    this.lh.didSplit();
  }

  private mergeOne(): void {
    const into = this.lh.willMerge();
    const last = --this.nBuckets;
    let s = this.head(last);
    this.setHead(last, NONE);
    while (s !== NONE) {
      const next = this.next(s);
      this.setNext(s, this.head(into));
      this.setHead(into, s);
      s = next;
    }
    // Drop a bucket chunk that became empty (chunk 0 stays).
    if (last > 0 && (last & CHUNK_MASK) === 0) this.heads.pop();
  }

  /** The key of the row at slot `s` as a latin1 string (built from the row's bytes when inline). */
  key(s: number): string {
    const c = s >>> CHUNK_BITS;
    const o = s & CHUNK_MASK;
    const rb = this.rowsB[c];
    const r = o << 6;
    const kl = rb[r + B_KLEN];
    return kl === KLEN_LONG ? this.longKeys[c]![o] : latin1Slice(rb, r + B_KEY, kl);
  }

  /** Byte index in rowBytes(s) of the key when it is inline, else -1. */
  inlineKeyStart(s: number): number {
    const r = (s & CHUNK_MASK) << 6;
    return this.rowsB[s >>> CHUNK_BITS][r + B_KLEN] === KLEN_LONG ? -1 : r + B_KEY;
  }

  /** The key's length in bytes. */
  keyLength(s: number): number {
    const c = s >>> CHUNK_BITS;
    const o = s & CHUNK_MASK;
    const kl = this.rowsB[c][(o << 6) + B_KLEN];
    return kl === KLEN_LONG ? this.longKeys[c]![o].length : kl;
  }

  /** The value; an inline one as a new latin1 string. */
  value(s: number): RedisValue {
    const c = s >>> CHUNK_BITS;
    const o = s & CHUNK_MASK;
    const v = this.vals[c][o];
    if (v !== null) return typeof v === 'number' ? (this.packed!.get(v) as unknown as RedisValue) : (v as RedisValue);
    const rb = this.rowsB[c];
    const r = o << 6;
    const vl = rb[r + B_VLEN];
    if (vl === VLEN_ARENA) {
      const at = this.arenaStart(s);
      return this.arenaSlab(s).subarray(at, at + this.arenaLength(s));
    }
    return latin1Slice(rb, this.valueStart(rb, r), vl);
  }

  /** Byte index in rowsB[c] of the inline value of the row at byte index r. */
  private valueStart(rb: Uint8Array, r: number): number {
    const kl = rb[r + B_KLEN];
    return r + B_KEY + (kl === KLEN_LONG ? 0 : kl);
  }

  /** The inline value's length, or -1 when the value is in vals (value()). */
  inlineLength(s: number): number {
    const vl = this.rowsB[s >>> CHUNK_BITS][((s & CHUNK_MASK) << 6) + B_VLEN];
    return vl >= VLEN_ARENA ? -1 : vl;
  }

  /** The value's length in bytes (inline or not; a value that is not inline is a string or Buffer). */
  valueLength(s: number): number {
    const vl = this.rowsB[s >>> CHUNK_BITS][((s & CHUNK_MASK) << 6) + B_VLEN];
    if (vl === VLEN_ARENA) return this.arenaLength(s);
    return vl !== VLEN_PTR ? vl : (this.vals[s >>> CHUNK_BITS][s & CHUNK_MASK] as string | Uint8Array).length;
  }

  /** The arena value's length, or -1 when the value is not in the arena. */
  arenaLength(s: number): number {
    const c = s >>> CHUNK_BITS;
    const o = s & CHUNK_MASK;
    return this.rowsB[c][(o << 6) + B_VLEN] === VLEN_ARENA ? this.rowsI[c][(o << 4) + I_ALEN] : -1;
  }

  /** The slab holding row s's arena value (arenaLength(s) >= 0), at arenaStart(s). */
  arenaSlab(s: number): Buffer {
    return this.slabs[this.rowsI[s >>> CHUNK_BITS][((s & CHUNK_MASK) << 4) + I_AADDR] >>> ARENA_SLAB_BITS];
  }

  arenaStart(s: number): number {
    return this.rowsI[s >>> CHUNK_BITS][((s & CHUNK_MASK) << 4) + I_AADDR] & ARENA_OFF_MASK;
  }

  /**
   * Make row s's value `len` bytes (len >= its length) in the arena: its bytes (inline, in the
   * arena, or a string or bytes in vals) copied into a zeroed block, the rest zero, the old block
   * freed. False, nothing changed, when len > ARENA_MAX or the row has no room for I_A* (key).
   */
  toArena(s: number, len: number): boolean {
    if (len > ARENA_MAX) return false;
    const c = s >>> CHUNK_BITS;
    const o = s & CHUNK_MASK;
    const rb = this.rowsB[c];
    const r = o << 6;
    const kl = rb[r + B_KLEN];
    if (kl !== KLEN_LONG && kl > ARENA_KEY_MAX) return false;
    const cap = (len + ARENA_GRAIN - 1) & ~(ARENA_GRAIN - 1) || ARENA_GRAIN;
    const a = this.arenaAlloc(cap);
    const dst = this.slabs[a >>> ARENA_SLAB_BITS];
    const at = a & ARENA_OFF_MASK;
    const vl = rb[r + B_VLEN];
    if (vl === VLEN_ARENA) {
      const from = this.arenaStart(s);
      this.arenaSlab(s).copy(dst, at, from, from + this.arenaLength(s));
      this.arenaFree(s);
    } else if (vl !== VLEN_PTR) {
      const from = this.valueStart(rb, r);
      dst.set(rb.subarray(from, from + vl), at);
    } else {
      const v = this.vals[c][o] as string | Uint8Array;
      if (typeof v === 'string') dst.latin1Write(v, at);
      else dst.set(v, at);
    }
    const ri = this.rowsI[c];
    ri[(o << 4) + I_AADDR] = a;
    ri[(o << 4) + I_ALEN] = len;
    ri[(o << 4) + I_ACAP] = cap;
    rb[r + B_VLEN] = VLEN_ARENA;
    this.dropPacked(c, o);
    this.vals[c][o] = null;
    return true;
  }

  /**
   * Make row s's arena value (arenaLength(s) >= 0) `len` bytes long, the added bytes zero: in its
   * block when it has room, else moved to a larger block (toArena). False, nothing changed, past
   * ARENA_MAX. Never shortens.
   */
  growArena(s: number, len: number): boolean {
    const ri = this.rowsI[s >>> CHUNK_BITS];
    const i = (s & CHUNK_MASK) << 4;
    if (len <= ri[i + I_ALEN]) return true;
    // (bytes of a block past its value are zero)
    if (len <= ri[i + I_ACAP]) {
      ri[i + I_ALEN] = len;
      return true;
    }
    return this.toArena(s, len);
  }

  /** A zeroed block of `cap` bytes (an ARENA_GRAIN multiple up to ARENA_MAX): its address. */
  private arenaAlloc(cap: number): number {
    const k = cap / ARENA_GRAIN - 1;
    const fl = this.freeBlocks[k];
    if (fl !== undefined && fl.length > 0) {
      const a = fl.pop()!;
      const at = a & ARENA_OFF_MASK;
      this.slabs[a >>> ARENA_SLAB_BITS].fill(0, at, at + cap);
      return a;
    }
    const n = this.slabs.length;
    if (n === 0 || this.slabTop + cap > this.slabs[n - 1].length) {
      // The first slab ARENA_FIRST_SLAB bytes, each next one twice as large up to 2^ARENA_SLAB_BITS
      // (a table with a few such values keeps a few KB); the last one's unused end, under ARENA_MAX
      // bytes, is left unused.
      this.slabs.push(Buffer.alloc(n === 0 ? ARENA_FIRST_SLAB : Math.min(1 << ARENA_SLAB_BITS, 2 * this.slabs[n - 1].length)));
      this.slabTop = 0;
    }
    const a = ((this.slabs.length - 1) << ARENA_SLAB_BITS) | this.slabTop;
    this.slabTop += cap;
    return a;
  }

  /** Free row s's arena block, if its value is in the arena (the row's value is then unset: the caller stores one). */
  private arenaFree(s: number): void {
    const c = s >>> CHUNK_BITS;
    const o = s & CHUNK_MASK;
    const rb = this.rowsB[c];
    if (rb[(o << 6) + B_VLEN] !== VLEN_ARENA) return;
    const ri = this.rowsI[c];
    const k = ri[(o << 4) + I_ACAP] / ARENA_GRAIN - 1;
    (this.freeBlocks[k] ??= []).push(ri[(o << 4) + I_AADDR]);
    rb[(o << 6) + B_VLEN] = 0;
  }

  /** The bytes holding row s (its inline value is at inlineStart(s), inlineLength(s) bytes). */
  rowBytes(s: number): Uint8Array {
    return this.rowsB[s >>> CHUNK_BITS];
  }

  inlineStart(s: number): number {
    return this.valueStart(this.rowsB[s >>> CHUNK_BITS], (s & CHUNK_MASK) << 6);
  }

  /**
   * Row s's inline key, then its inline value when it has one, each as one length byte (both
   * are at most INLINE_MAX bytes) and its bytes, at dst[p] (room: 2 + INLINE_MAX bytes); returns
   * the position after them, or -1, nothing written, when the key is not inline. One call per key
   * for the js-map RDB stage (rdb-save.ts), where inlineKeyStart, keyLength, inlineLength and
   * inlineStart were four, run cold by the first SAVE of a process.
   */
  copyInline(s: number, dst: Uint8Array, p: number): number {
    const rb = this.rowsB[s >>> CHUNK_BITS];
    let r = ((s & CHUNK_MASK) << 6) + B_KLEN;
    const kl = rb[r];
    if (kl === KLEN_LONG) return -1;
    const vl = rb[r + 1];
    // (B_KLEN, B_VLEN, then B_KEY: the key and the inline value follow the two length bytes)
    r += B_KEY - B_KLEN;
    dst[p++] = kl;
    for (let i = 0; i < kl; i++) dst[p++] = rb[r + i];
    if (vl >= VLEN_ARENA) return p;
    dst[p++] = vl;
    const n = kl + vl;
    for (let i = kl; i < n; i++) dst[p++] = rb[r + i];
    return p;
  }

  /** Store the value: a JS string that fits (valueRoom) inline, anything else in vals. */
  setValue(s: number, v: RedisValue): void {
    const c = s >>> CHUNK_BITS;
    const o = s & CHUNK_MASK;
    const rb = this.rowsB[c];
    const r = o << 6;
    if (rb[r + B_VLEN] === VLEN_ARENA) this.arenaFree(s);
    this.dropPacked(c, o);
    if (typeof v === 'string') {
      const kl = rb[r + B_KLEN];
      const len = v.length;
      if (len <= (kl === KLEN_LONG ? INLINE_MAX : INLINE_MAX - kl)) {
        const a = r + B_KEY + (kl === KLEN_LONG ? 0 : kl);
        for (let i = 0; i < len; i++) rb[a + i] = v.charCodeAt(i);
        rb[r + B_VLEN] = len;
        this.vals[c][o] = null;
        return;
      }
    }
    rb[r + B_VLEN] = VLEN_PTR;
    this.vals[c][o] = v;
  }

  /** The descriptors of the values kept packed as loaded (a loader writes new ones there). */
  packedStore(): PackedStore {
    return (this.packed ??= new PackedStore());
  }

  /** Store a value loaded packed as a descriptor in packedStore(), not as the object. */
  setPacked(s: number, p: PackedValue): void {
    this.setPackedIndex(s, this.packedStore().add(p));
  }

  /**
   * Make the value of row s the packed value of descriptor k (live, in packedStore()): the number
   * in vals, where setValue puts any value that is not an inline string.
   */
  setPackedIndex(s: number, k: number): void {
    this.setValue(s, k as unknown as RedisValue);
  }

  /** Before row (c, o)'s value is replaced or removed: let go of its packed descriptor, if it has one. */
  private dropPacked(c: number, o: number): void {
    if (this.packed === null) return;
    const v = this.vals[c][o];
    if (typeof v === 'number') this.packed.drop(v);
  }

  /** Store the string value b[off, off + len) inline; false (nothing stored) when it does not fit. */
  setValueBytes(s: number, b: Uint8Array, off: number, len: number): boolean {
    const c = s >>> CHUNK_BITS;
    const o = s & CHUNK_MASK;
    const rb = this.rowsB[c];
    const r = o << 6;
    const kl = rb[r + B_KLEN];
    if (len > (kl === KLEN_LONG ? INLINE_MAX : INLINE_MAX - kl)) return false;
    if (rb[r + B_VLEN] === VLEN_ARENA) this.arenaFree(s);
    this.dropPacked(c, o);
    const a = r + B_KEY + (kl === KLEN_LONG ? 0 : kl) - off;
    for (let i = off, end = off + len; i < end; i++) rb[a + i] = b[i];
    rb[r + B_VLEN] = len;
    this.vals[c][o] = null;
    return true;
  }

  /**
   * Make the inline value of row s (inlineLength(s) >= 0) `len` bytes long, the added bytes zero
   * (SETBIT, BITFIELD, SETRANGE edit a small value where it is: Db.editString's row view); false,
   * nothing changed, when `len` does not fit in the row. Never shortens.
   */
  growInline(s: number, len: number): boolean {
    const rb = this.rowsB[s >>> CHUNK_BITS];
    const r = (s & CHUNK_MASK) << 6;
    const kl = rb[r + B_KLEN];
    if (len > (kl === KLEN_LONG ? INLINE_MAX : INLINE_MAX - kl)) return false;
    const vl = rb[r + B_VLEN];
    if (len > vl) {
      rb.fill(0, this.valueStart(rb, r) + vl, this.valueStart(rb, r) + len);
      rb[r + B_VLEN] = len;
    }
    return true;
  }

  /**
   * Store the integer v (a safe integer) as its decimal text inline, without building the
   * string (INCR); false (nothing stored) when it does not fit.
   */
  setValueInt(s: number, v: number): boolean {
    const c = s >>> CHUNK_BITS;
    const o = s & CHUNK_MASK;
    const rb = this.rowsB[c];
    const r = o << 6;
    const kl = rb[r + B_KLEN];
    // The digits right to left into `digits`, then copied.
    const d = digits;
    let p = writeDigitsBefore(d, d.length, v < 0 ? -v : v);
    if (v < 0) d[--p] = 45;
    const n = d.length - p;
    if (n > (kl === KLEN_LONG ? INLINE_MAX : INLINE_MAX - kl)) return false;
    if (rb[r + B_VLEN] === VLEN_ARENA) this.arenaFree(s);
    this.dropPacked(c, o);
    const a = r + B_KEY + (kl === KLEN_LONG ? 0 : kl) - p;
    for (let i = p; i < d.length; i++) rb[a + i] = d[i];
    rb[r + B_VLEN] = n;
    this.vals[c][o] = null;
    return true;
  }

  expireAt(s: number): number {
    return this.rowsF[s >>> CHUNK_BITS][((s & CHUNK_MASK) << 3) + F_EXPIRE];
  }

  /** Set or (at = -1) clear the key's expire time, keeping the TTL index in step. */
  setExpireAt(s: number, at: number): void {
    const rf = this.rowsF[s >>> CHUNK_BITS];
    const i = ((s & CHUNK_MASK) << 3) + F_EXPIRE;
    const old = rf[i];
    rf[i] = at;
    if (old === -1 && at !== -1) this.ttlAdd(s);
    else if (old !== -1 && at === -1) this.ttlRemove(s);
  }

  private ttlAdd(s: number): void {
    const p = this.ttlCount++;
    const c = p >>> CHUNK_BITS;
    if (c === this.ttl.length) {
      this.ttl.push(new Int32Array(c === 0 ? FIRST_CAPACITY : CHUNK));
    } else if ((p & CHUNK_MASK) === this.ttl[c].length) {
      // Only chunk 0 is ever partial: double it.
      const grown = new Int32Array(this.ttl[c].length * 2);
      grown.set(this.ttl[c]);
      this.ttl[c] = grown;
    }
    this.ttl[c][p & CHUNK_MASK] = s;
    this.rowsI[s >>> CHUNK_BITS][((s & CHUNK_MASK) << 4) + I_TTLPOS] = p;
  }

  private ttlRemove(s: number): void {
    const p = this.rowsI[s >>> CHUNK_BITS][((s & CHUNK_MASK) << 4) + I_TTLPOS];
    const last = --this.ttlCount;
    if (p !== last) {
      const moved = this.ttl[last >>> CHUNK_BITS][last & CHUNK_MASK];
      this.ttl[p >>> CHUNK_BITS][p & CHUNK_MASK] = moved;
      this.rowsI[moved >>> CHUNK_BITS][((moved & CHUNK_MASK) << 4) + I_TTLPOS] = p;
    }
    // Drop a TTL chunk that became empty (chunk 0 stays).
    if (last > 0 && (last & CHUNK_MASK) === 0) this.ttl.pop();
  }

  /** A uniform random row among those with a TTL, or NONE when none has one. */
  randomTtlSlot(): number {
    const n = this.ttlCount;
    if (n === 0) return NONE;
    const p = (Math.random() * n) | 0;
    return this.ttl[p >>> CHUNK_BITS][p & CHUNK_MASK];
  }

  /**
   * Visit up to `max` slots of keys with a TTL from position `cursor` of the TTL index; returns
   * the next cursor, 0 after the end. Entries moved by removals may be skipped until the next
   * pass (active expiry is sampling, as Redis's). The visitor must not insert or delete.
   */
  sampleTtl(cursor: number, max: number, visit: (s: number) => void): number {
    const n = this.ttlCount;
    let p = cursor < n ? cursor : 0;
    const end = Math.min(n, p + max);
    for (; p < end; p++) visit(this.ttl[p >>> CHUNK_BITS][p & CHUNK_MASK]);
    return p >= n ? 0 : p;
  }

  /** True when slot `s` holds a key (slots of removed keys may be reused or dropped). */
  inUse(s: number): boolean {
    return s < this.top && this.vals[s >>> CHUNK_BITS][s & CHUNK_MASK] !== undefined;
  }

  lru(s: number): number {
    return this.rowsF[s >>> CHUNK_BITS][((s & CHUNK_MASK) << 3) + F_LRU];
  }

  /**
   * The access stamp, in whole seconds as Redis's LRU clock (LRU_CLOCK_RESOLUTION 1000 ms): idle
   * times, eviction order and OBJECT IDLETIME then tie and round as they do in Redis (a
   * millisecond stamp made allkeys-lru evict more precisely than Redis, i.e. differently).
   */
  setLru(s: number, at: number): void {
    this.rowsF[s >>> CHUNK_BITS][((s & CHUNK_MASK) << 3) + F_LRU] = Math.floor(at / 1000) * 1000;
  }

  freq(s: number): number {
    return this.rowsB[s >>> CHUNK_BITS][((s & CHUNK_MASK) << 6) + B_FREQ];
  }

  setFreq(s: number, f: number): void {
    this.rowsB[s >>> CHUNK_BITS][((s & CHUNK_MASK) << 6) + B_FREQ] = f;
  }

  strEnc(s: number): StrEnc {
    return this.rowsB[s >>> CHUNK_BITS][((s & CHUNK_MASK) << 6) + B_ENC];
  }

  setStrEnc(s: number, e: StrEnc): void {
    this.rowsB[s >>> CHUNK_BITS][((s & CHUNK_MASK) << 6) + B_ENC] = e;
  }

  /** Visit every row in slot order. The callback must not insert or delete. */
  forEach(visit: (key: string, s: number) => void): void {
    for (let c = 0; c < this.vals.length; c++) {
      const vs = this.vals[c];
      const n = Math.min(this.top - c * CHUNK, vs.length);
      for (let o = 0; o < n; o++) {
        if (vs[o] !== undefined) visit(this.key((c << CHUNK_BITS) | o), (c << CHUNK_BITS) | o);
      }
    }
  }

  /** forEach without building the keys: the slot of every row in slot order. */
  forEachSlot(visit: (s: number) => void): void {
    for (let c = 0; c < this.vals.length; c++) {
      const vs = this.vals[c];
      const n = Math.min(this.top - c * CHUNK, vs.length);
      for (let o = 0; o < n; o++) if (vs[o] !== undefined) visit((c << CHUNK_BITS) | o);
    }
  }

  /**
   * One SCAN step from `cursor`: visits whole logical buckets until at least `count` rows were
   * visited (or 10*count empty buckets were passed). Returns the next cursor, 0 when done.
   * The visitor must not insert or delete (collect, then mutate).
   */
  scan(cursor: number, count: number, visit: (key: string, s: number) => void): number {
    return this.lh.scan(cursor, count, this.nBuckets, (phys, idx, mask, filter) => {
      let n = 0;
      for (let s = this.head(phys); s !== NONE; s = this.next(s)) {
        if (!filter || (this.hash(s) & mask) === idx) {
          visit(this.key(s), s);
          n++;
        }
      }
      return n;
    });
  }

  /** A random row's slot, or NONE when empty: uniform over rows while rows are mostly in use. */
  randomSlot(): number {
    if (this.count === 0) return NONE;
    for (let tries = 0; tries < 32; tries++) {
      const s = (Math.random() * this.top) | 0;
      if (this.vals[s >>> CHUNK_BITS][s & CHUNK_MASK] !== undefined) return s;
    }
    // Mostly free rows (after many deletes): a random non-empty bucket (at least
    // count/nBuckets >= 1/8 of them), then a uniform position in its chain, as dictGetRandomKey.
    for (;;) {
      let s = this.head((Math.random() * this.nBuckets) | 0);
      if (s === NONE) continue;
      let n = 0;
      for (let x = s; x !== NONE; x = this.next(x)) n++;
      for (let i = (Math.random() * n) | 0; i > 0; i--) s = this.next(s);
      return s;
    }
  }
}

/**
 * Random per process, like the seed of Redis's siphash and of the wasm dict: keys chosen to
 * collide in one process's table do not collide in another's (hash flooding).
 */
const HASH_SEED = randomBytes(4).readInt32LE(0);

/** HASH_SEED, for hashes computed elsewhere (the RDB scan in WASM, rdb-scan.ts). */
export function tableHashSeed(): number {
  return HASH_SEED;
}

/**
 * The table's hash of a key: MurmurHash3 (x86, 32-bit, seeded with HASH_SEED) over all its bytes, as an int32
 * (the form stored in rows). All bytes count, so keys differing anywhere spread over buckets;
 * four bytes per multiply-mix step keep long keys cheap.
 */
export function hashOfBytes(b: Uint8Array, off = 0, len = b.length): number {
  const blocks = off + (len & ~3);
  let h = HASH_SEED;
  for (let i = off; i < blocks; i += 4) {
    let k = b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = len & 3;
  if (rest !== 0) {
    let k = b[blocks];
    if (rest > 1) k |= b[blocks + 1] << 8;
    if (rest > 2) k |= b[blocks + 2] << 16;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
  }
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/** True when the latin1 string `k` has the bytes b[off, off + len) (k.length === len checked by the caller). */
export function sameBytes(k: string, b: Uint8Array, len: number, off = 0): boolean {
  for (let i = 0; i < len; i++) if (k.charCodeAt(i) !== b[off + i]) return false;
  return true;
}

/** setValueInt's scratch: a safe integer's text is at most 17 bytes. */
const digits = new Uint8Array(20);

const fcc = String.fromCharCode;
/** Scratch argument lists for latin1Slice, one per length up to INLINE_MAX. */
const charArgs: number[][] = Array.from({ length: INLINE_MAX + 1 }, (_, n) => new Array<number>(n).fill(0));

/**
 * b[off, off + len) as a latin1 string: up to INLINE_MAX bytes by String.fromCharCode in JIT code
 * (Buffer#latin1Slice is a native call, see util/latin1.ts), longer through a Buffer view.
 */
export function latin1Slice(b: Uint8Array, off: number, len: number): string {
  if (len <= INLINE_MAX) {
    const a = charArgs[len];
    for (let i = 0; i < len; i++) a[i] = b[off + i];
    return fcc.apply(null, a);
  }
  return Buffer.from(b.buffer, b.byteOffset + off, len).latin1Slice(0, len);
}

