/**
 * KeyTable: the js-map engine's keyspace of one Db (see the class comment for layout, invariants
 * and complexity). Split from engine.ts, which keeps the Db semantics (expiry, hooks, accounting)
 * on top of it.
 */
import { randomBytes } from 'crypto';
import { StrEnc } from '../types';
import type { Bytes, HashTableStats, RedisValue } from '../types';
import { LinearHashing } from '../hashing/linear-hashing';

/** Rows, bucket heads and the TTL index are stored in chunks of 2^CHUNK_BITS (chunk = i >>> bits, offset = i & mask). */
const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK - 1;
/** Capacity of the first row chunk and first bucket chunk; they double up to CHUNK. */
const FIRST_CAPACITY = 16;
/** Chain-length classes of stats() (dict.c's DICT_STATS_VECTLEN). */
const STATS_VECTLEN = 50;
/** Slot number meaning "no row": ends bucket chains and the free list; lookups return it for a miss. */
export const NONE = -1;

/** Row layout (ROW_BYTES per row; index = row offset * per-row count + field). */
const ROW_BYTES = 32;
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
/** Byte fields: LFU counter and StrEnc. Bytes 30..31 are padding, so a row never straddles a cache line. */
const B_FREQ = 28;
const B_ENC = 29;

/**
 * KeyTable: the keyspace of one Db. A hash table with separate chaining, grown and shrunk by
 * linear hashing, over rows named by slot number.
 *
 * Rows: slot s is at chunk c = s >>> CHUNK_BITS, offset o = s & CHUNK_MASK, in
 * - objs[c]: [key, value] at 2o, 2o+1, the only per-row pointers (what the GC traces);
 * - a 32-byte record in rowsF/rowsI/rowsB[c] (Float64/Int32/Uint8 views of one buffer): expireAt,
 *   lru, hash, next, ttlPos, freq, strEnc (see the F_/I_/B_ constants). One record holds all a
 *   lookup reads besides key and value, so a hit costs: bucket head, record, objs pair, key string.
 * 48 bytes per row, ~8 per key of bucket heads, 4 per key with a TTL; no object per key.
 * Every row chunk but the last holds CHUNK rows; only chunk 0 starts at FIRST_CAPACITY and
 * doubles, so growing copies one chunk at most (bucket and TTL chunks likewise).
 * A free row has key undefined and is on the LIFO free list threaded through `next`; rows at or
 * past `top` were never used. The table drops all its arrays when its last key is removed.
 *
 * Buckets (Litwin's linear hashing, linear-hashing.ts, as ShardedMap): nBuckets === 2^level + split,
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
 * O(count); forEach O(rows).
 */
export class KeyTable {
  private heads: Int32Array[] = [new Int32Array(FIRST_CAPACITY).fill(NONE)];
  private nBuckets = 1;
  private readonly lh = new LinearHashing();
  private count = 0;
  private objs: unknown[][] = [];
  private rowsF: Float64Array[] = [];
  private rowsI: Int32Array[] = [];
  private rowsB: Uint8Array[] = [];
  private free = NONE;
  private top = 0;
  /** Rows of the first row chunk when it is made (presize sets it; reset() restores it). */
  private firstCap = FIRST_CAPACITY;
  private ttl: Int32Array[] = [];
  private ttlCount = 0;

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
    return this.rowsI[s >>> CHUNK_BITS][((s & CHUNK_MASK) << 3) + I_NEXT];
  }

  private setNext(s: number, n: number): void {
    this.rowsI[s >>> CHUNK_BITS][((s & CHUNK_MASK) << 3) + I_NEXT] = n;
  }

  private hash(s: number): number {
    return this.rowsI[s >>> CHUNK_BITS][((s & CHUNK_MASK) << 3) + I_HASH];
  }

  /**
   * Prefetch hint (Db.prefetch): load what lookups of these hashes will touch, in passes that do
   * not depend on each other across keys (bucket heads, then each chain head's row and key/value
   * pointers, then the key and value strings), so the CPU overlaps their cache misses. Reads only;
   * returns a checksum so the loads are not dropped as dead code.
   */
  touch(hashes: Int32Array, slots: Int32Array, n: number): number {
    let acc = 0;
    for (let i = 0; i < n; i++) slots[i] = this.head(this.bucketOf(hashes[i]));
    for (let i = 0; i < n; i++) {
      const s = slots[i];
      if (s !== NONE) acc ^= this.rowsI[s >>> CHUNK_BITS][((s & CHUNK_MASK) << 3) + I_HASH];
    }
    for (let i = 0; i < n; i++) {
      const s = slots[i];
      if (s === NONE) continue;
      const pair = this.objs[s >>> CHUNK_BITS];
      const o = (s & CHUNK_MASK) << 1;
      const k = pair[o] as string;
      const v = pair[o + 1];
      acc ^= k.length;
      if (typeof v === 'string') acc ^= v.length;
    }
    return acc;
  }

  /**
   * Slot of the key whose bytes are `b` (hash hashOfBytes(b)), or NONE. Compares the stored key
   * string with the bytes in place, so a lookup builds no key string.
   */
  findBytes(b: Uint8Array, h: number): number {
    const len = b.length;
    let s = this.head(this.bucketOf(h));
    while (s !== NONE) {
      const c = s >>> CHUNK_BITS;
      const o = s & CHUNK_MASK;
      const ri = this.rowsI[c];
      if (ri[(o << 3) + I_HASH] === h) {
        const k = this.objs[c][o << 1] as string;
        if (k.length === len && sameBytes(k, b, len)) return s;
      }
      s = ri[(o << 3) + I_NEXT];
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
    // The first row chunk at its final size up to CHUNK rows (no doubling while loading).
    if (this.top === 0) this.firstCap = Math.max(FIRST_CAPACITY, Math.min(CHUNK, n));
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
   * The RDB loader's insert: keys[0, n) (with their hashes and expire times), stopping before the first one that
   * is already in the table (or repeated in the batch); returns how many were inserted. First
   * reads every bucket head and chain head, loads that do not depend on each other, so their
   * cache misses overlap instead of coming one per key.
   */
  insertMany(keys: string[], hashes: Int32Array, values: unknown[], expires: Float64Array, n: number, lru: number): number {
    const sl = this.batchSlots.length >= n ? this.batchSlots : (this.batchSlots = new Int32Array(n));
    for (let i = 0; i < n; i++) sl[i] = this.head(this.bucketOf(hashes[i]));
    let acc = 0;
    for (let i = 0; i < n; i++) {
      const s = sl[i];
      if (s !== NONE) acc ^= this.rowsI[s >>> CHUNK_BITS][((s & CHUNK_MASK) << 3) + I_HASH];
    }
    this.batchSink ^= acc;
    for (let i = 0; i < n; i++) {
      const k = keys[i];
      const h = hashes[i];
      for (let s = this.head(this.bucketOf(h)); s !== NONE; ) {
        const c = s >>> CHUNK_BITS;
        const o = s & CHUNK_MASK;
        const ri = this.rowsI[c];
        if (ri[(o << 3) + I_HASH] === h && this.objs[c][o << 1] === k) return i;
        s = ri[(o << 3) + I_NEXT];
      }
      const s = this.insert(k, h, values[i] as RedisValue, lru, StrEnc.Auto);
      if (expires[i] !== -1) this.setExpireAt(s, expires[i]);
    }
    return n;
  }
  private batchSlots = new Int32Array(64);
  /** (keeps insertMany's hint loads from being dropped as dead code) */
  private batchSink = 0;

  /** Add key `k` (hash `h`), which must be absent, with no TTL and freq LFU_INIT_VAL (5). Returns its slot. */
  insert(k: string, h: number, value: RedisValue, lru: number, strEnc: StrEnc): number {
    const s = this.allocRow();
    const c = s >>> CHUNK_BITS;
    const o = s & CHUNK_MASK;
    const ob = this.objs[c];
    ob[o << 1] = k;
    ob[(o << 1) + 1] = value;
    const rf = this.rowsF[c];
    rf[(o << 2) + F_EXPIRE] = -1;
    rf[(o << 2) + F_LRU] = Math.floor(lru / 1000) * 1000; // whole seconds, as setLru
    const rb = this.rowsB[c];
    rb[(o << 5) + B_FREQ] = 5;
    rb[(o << 5) + B_ENC] = strEnc;
    const b = this.bucketOf(h);
    const ri = this.rowsI[c];
    ri[(o << 3) + I_HASH] = h;
    ri[(o << 3) + I_NEXT] = this.head(b);
    this.setHead(b, s);
    if (++this.count * 2 > this.nBuckets) this.splitOne();
    return s;
  }

  /** Remove the row at slot `s` (in use). */
  remove(s: number): void {
    if (this.expireAt(s) !== -1) this.ttlRemove(s);
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
    const ob = this.objs[s >>> CHUNK_BITS];
    ob[(s & CHUNK_MASK) << 1] = undefined;
    ob[((s & CHUNK_MASK) << 1) + 1] = undefined;
    this.setNext(s, this.free);
    this.free = s;
    if (this.nBuckets > 1 && this.count * 8 < this.nBuckets) this.mergeOne();
  }

  /** Forget every row and bucket (the arrays are left to the GC). */
  private reset(): void {
    this.heads = [new Int32Array(FIRST_CAPACITY).fill(NONE)];
    this.nBuckets = 1;
    this.lh.reset();
    this.count = 0;
    this.objs = [];
    this.rowsF = [];
    this.rowsI = [];
    this.rowsB = [];
    this.free = NONE;
    this.top = 0;
    this.firstCap = FIRST_CAPACITY;
    this.ttl = [];
    this.ttlCount = 0;
  }

  private allocRow(): number {
    let s = this.free;
    if (s !== NONE) {
      this.free = this.next(s);
      return s;
    }
    s = this.top++;
    const c = s >>> CHUNK_BITS;
    if (c === this.objs.length) {
      const cap = c === 0 ? this.firstCap : CHUNK;
      this.objs.push(new Array<unknown>(cap * 2).fill(undefined));
      this.addRows(new ArrayBuffer(cap * ROW_BYTES));
    } else if ((s & CHUNK_MASK) * ROW_BYTES === this.rowsB[c].length) {
      // Only chunk 0 is ever partial: double it (at most CHUNK rows copied).
      const cap = Math.min(CHUNK, (s & CHUNK_MASK) * 2);
      const ob = this.objs[c];
      for (let i = ob.length; i < cap * 2; i++) ob.push(undefined);
      const old = this.rowsB.pop()!;
      this.rowsF.pop();
      this.rowsI.pop();
      const buf = new ArrayBuffer(cap * ROW_BYTES);
      new Uint8Array(buf).set(old);
      this.addRows(buf);
    }
    return s;
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
  walkSlots(pos: number, end: number, count: number, visit: (key: string, s: number) => void): number {
    if (end > this.top) end = this.top;
    let n = 0;
    let s = pos;
    while (s < end && n < count) {
      const c = s >>> CHUNK_BITS;
      const ob = this.objs[c];
      const stop = Math.min(end, (c + 1) << CHUNK_BITS);
      for (; s < stop && n < count; s++) {
        const k = ob[(s & CHUNK_MASK) << 1];
        if (k !== undefined) {
          visit(k as string, s);
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

  key(s: number): string {
    return this.objs[s >>> CHUNK_BITS][(s & CHUNK_MASK) << 1] as string;
  }

  value(s: number): RedisValue {
    return this.objs[s >>> CHUNK_BITS][((s & CHUNK_MASK) << 1) + 1] as RedisValue;
  }

  setValue(s: number, v: RedisValue): void {
    this.objs[s >>> CHUNK_BITS][((s & CHUNK_MASK) << 1) + 1] = v;
  }

  expireAt(s: number): number {
    return this.rowsF[s >>> CHUNK_BITS][((s & CHUNK_MASK) << 2) + F_EXPIRE];
  }

  /** Set or (at = -1) clear the key's expire time, keeping the TTL index in step. */
  setExpireAt(s: number, at: number): void {
    const rf = this.rowsF[s >>> CHUNK_BITS];
    const i = ((s & CHUNK_MASK) << 2) + F_EXPIRE;
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
    this.rowsI[s >>> CHUNK_BITS][((s & CHUNK_MASK) << 3) + I_TTLPOS] = p;
  }

  private ttlRemove(s: number): void {
    const p = this.rowsI[s >>> CHUNK_BITS][((s & CHUNK_MASK) << 3) + I_TTLPOS];
    const last = --this.ttlCount;
    if (p !== last) {
      const moved = this.ttl[last >>> CHUNK_BITS][last & CHUNK_MASK];
      this.ttl[p >>> CHUNK_BITS][p & CHUNK_MASK] = moved;
      this.rowsI[moved >>> CHUNK_BITS][((moved & CHUNK_MASK) << 3) + I_TTLPOS] = p;
    }
    // Drop a TTL chunk that became empty (chunk 0 stays).
    if (last > 0 && (last & CHUNK_MASK) === 0) this.ttl.pop();
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
    return s < this.top && this.objs[s >>> CHUNK_BITS][(s & CHUNK_MASK) << 1] !== undefined;
  }

  lru(s: number): number {
    return this.rowsF[s >>> CHUNK_BITS][((s & CHUNK_MASK) << 2) + F_LRU];
  }

  /**
   * The access stamp, in whole seconds as Redis's LRU clock (LRU_CLOCK_RESOLUTION 1000 ms): idle
   * times, eviction order and OBJECT IDLETIME then tie and round as they do in Redis (a
   * millisecond stamp made allkeys-lru evict more precisely than Redis, i.e. differently).
   */
  setLru(s: number, at: number): void {
    this.rowsF[s >>> CHUNK_BITS][((s & CHUNK_MASK) << 2) + F_LRU] = Math.floor(at / 1000) * 1000;
  }

  freq(s: number): number {
    return this.rowsB[s >>> CHUNK_BITS][((s & CHUNK_MASK) << 5) + B_FREQ];
  }

  setFreq(s: number, f: number): void {
    this.rowsB[s >>> CHUNK_BITS][((s & CHUNK_MASK) << 5) + B_FREQ] = f;
  }

  strEnc(s: number): StrEnc {
    return this.rowsB[s >>> CHUNK_BITS][((s & CHUNK_MASK) << 5) + B_ENC];
  }

  setStrEnc(s: number, e: StrEnc): void {
    this.rowsB[s >>> CHUNK_BITS][((s & CHUNK_MASK) << 5) + B_ENC] = e;
  }

  /** Visit every row in slot order. The callback must not insert or delete. */
  forEach(visit: (key: string, s: number) => void): void {
    for (let c = 0; c < this.objs.length; c++) {
      const ob = this.objs[c];
      const n = Math.min(this.top - c * CHUNK, ob.length >> 1);
      for (let o = 0; o < n; o++) {
        const k = ob[o << 1];
        if (k !== undefined) visit(k as string, (c << CHUNK_BITS) | o);
      }
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
      if (this.objs[s >>> CHUNK_BITS][(s & CHUNK_MASK) << 1] !== undefined) return s;
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

/** True when the latin1 string `k` has the bytes b[0, len) (k.length === len checked by the caller). */
export function sameBytes(k: string, b: Uint8Array, len: number): boolean {
  for (let i = 0; i < len; i++) if (k.charCodeAt(i) !== b[i]) return false;
  return true;
}

