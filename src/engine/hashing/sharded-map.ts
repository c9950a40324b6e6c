/**
 * ShardedMap: a hash table of small JS Maps grown by linear hashing (linear-hashing.ts), so the JS hash, set and
 * sorted-set containers have no 16,777,216-entry cap and never rehash everything at once. (The
 * js-map keyspace itself uses KeyTable (key-table.ts), the same scheme over typed arrays.)
 *
 * Invariants (Litwin's linear hashing):
 * - buckets.length === 2^level + split, with 0 <= split < 2^level.
 * - A key with hash h lives in bucket i = h mod 2^level, or h mod 2^(level+1) when that i < split.
 * - Average bucket size stays <= TARGET: each insert that crosses the bound splits ONE bucket
 *   (bucket `split` moves the keys with bit `level` set to a new bucket at the end), so growth costs
 *   O(TARGET) per split and nothing ever stalls. Deletes merge the last bucket back symmetrically.
 *
 * SCAN: the cursor is Redis's reverse-binary cursor over a virtual table of 2^(L + 6) buckets,
 * where L = level + (split > 0 ? 1 : 0) and 64 = TARGET, so a virtual bucket holds about one key
 * as in a Redis dict and a call returns about COUNT keys (see scan()). A logical index whose
 * bucket has not been split yet is served from its parent, filtered by hash, so each cursor step
 * visits exactly the keys whose hash has those low bits: the same guarantee as dictScan across
 * resizes (every key present for the whole iteration is returned at least once; a shrink may
 * return some twice).
 *
 * Complexity: get/set/delete O(1) + hashing the key; split/merge O(TARGET); scan step O(count).
 */

import { LinearHashing, rev32 } from './linear-hashing';

const TARGET = 64;

/** DEBUG HTSTATS-KEY of a value kept in a ShardedMap: it has no chains to count. */
export const SHARDED_MAP_STATS = 'No stats available: the value is a table of small JavaScript Maps (sharded-map.ts), whose buckets V8 does not expose';
/** SCAN's virtual buckets per bucket: 2^SUB_BITS = TARGET, so about one key each. */
const SUB_BITS = 6;

/** FNV-1a over the key's char codes (latin1 bytes); long keys hash their first and last 64 chars. */
export function hashKey(s: string): number {
  let h = 0x811c9dc5;
  const n = s.length;
  if (n <= 128) {
    for (let i = 0; i < n; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  } else {
    for (let i = 0; i < 64; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    for (let i = n - 64; i < n; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ n, 0x01000193);
  }
  // Final avalanche so low bits (the bucket index) depend on every input byte.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

export class ShardedMap<V> {
  private buckets: Map<string, V>[] = [new Map()];
  private readonly lh = new LinearHashing();
  private count = 0;

  get size(): number {
    return this.count;
  }

  private bucketOf(key: string): Map<string, V> {
    if (this.buckets.length === 1) return this.buckets[0];
    return this.buckets[this.lh.bucket(hashKey(key))];
  }

  get(key: string): V | undefined {
    return this.bucketOf(key).get(key);
  }

  has(key: string): boolean {
    return this.bucketOf(key).has(key);
  }

  /** Insert or replace. Returns true when the key is new. */
  set(key: string, v: V): boolean {
    const b = this.bucketOf(key);
    const before = b.size;
    b.set(key, v);
    if (b.size === before) return false;
    this.count++;
    if (this.count > this.buckets.length * TARGET) this.splitOne();
    return true;
  }

  delete(key: string): boolean {
    if (!this.bucketOf(key).delete(key)) return false;
    this.count--;
    if (this.buckets.length > 1 && this.count < (this.buckets.length * TARGET) / 4) this.mergeOne();
    return true;
  }

  clear(): void {
    this.buckets = [new Map()];
    this.lh.reset();
    this.count = 0;
  }

  private splitOne(): void {
    const bit = this.lh.splitBit;
    const src = this.buckets[this.lh.split];
    const dst = new Map<string, V>();
    for (const [k, v] of src) {
      if (hashKey(k) & bit) {
        dst.set(k, v);
        src.delete(k);
      }
    }
    this.buckets.push(dst);
    this.lh.didSplit();
  }

  private mergeOne(): void {
    const into = this.buckets[this.lh.willMerge()];
    const last = this.buckets.pop()!;
    for (const [k, v] of last) into.set(k, v);
  }

  /** Visit every entry. The callback must not insert or delete. */
  forEach<T>(visit: (this: T, v: V, key: string) => void, thisArg?: T): void {
    // (Map#forEach: no [key, value] array per entry, as for-of over entries makes)
    const bs = this.buckets;
    for (let i = 0; i < bs.length; i++) bs[i].forEach(visit, thisArg);
  }

  *entries(): Generator<[string, V]> {
    for (const b of this.buckets) yield* b;
  }

  /**
   * One SCAN step from `cursor`, with dictScan's granularity: the cursor runs over a virtual
   * table of 2^(L + SUB_BITS) buckets (L as LinearHashing.scan's), virtual bucket i holding the
   * keys with (hash & mask) === i, about one key each as in a Redis dict of this size. Redis's
   * reverse-binary cursor and its guarantee (every key present for the whole iteration is
   * returned at least once across resizes) hold since membership is a function of the hash. The
   * reverse-binary order visits the 2^SUB_BITS virtual buckets of one physical bucket in a row:
   * the bucket is hashed once and binned. Stops once `count` entries were visited (or 10*count
   * empty virtual buckets were passed), so a call returns about COUNT, as Redis's HSCAN/SSCAN/ZSCAN.
   * Returns the next cursor, 0 when done. The visitor must not insert or delete.
   */
  scan(cursor: number, count: number, visit: (key: string, v: V) => void): number {
    const lh = this.lh;
    const L = lh.level + (lh.split > 0 ? 1 : 0);
    const LS = Math.min(32, L + SUB_BITS);
    const maskL = L === 0 ? 0 : 2 ** L - 1;
    const mask = 2 ** LS - 1;
    const half = 1 << lh.level;
    const nBuckets = this.buckets.length;
    let v = cursor >>> 0;
    let visited = 0;
    let emptyBudget = Math.max(count, 1) * 10;
    let binnedLow = -1;
    const bins: [string, V][][] = [];
    do {
      const idx = (v & mask) >>> 0;
      const low = (idx & maskL) >>> 0;
      if (low !== binnedLow) {
        // An unsplit bucket (split <= phys < 2^level) serves two logical indices: filter by hash.
        const phys = low < nBuckets ? low : low - half;
        const filter = lh.split > 0 && phys >= lh.split && phys < half;
        for (let i = 0; i < 1 << (LS - L); i++) bins[i] = [];
        for (const e of this.buckets[phys]) {
          const h = hashKey(e[0]);
          if (filter && ((h & maskL) >>> 0) !== low) continue;
          bins[Math.floor(h / 2 ** L) & ((1 << (LS - L)) - 1)].push(e);
        }
        binnedLow = low;
      }
      const bin = bins[Math.floor(idx / 2 ** L)];
      for (let i = 0; i < bin.length; i++) visit(bin[i][0], bin[i][1]);
      visited += bin.length;
      if (bin.length === 0) emptyBudget--;
      // Reverse-binary increment (dictScan).
      v = (v | ~mask) >>> 0;
      v = rev32(v);
      v = (v + 1) >>> 0;
      v = rev32(v);
    } while (v !== 0 && visited < count && emptyBudget > 0);
    return v;
  }

  /** A random entry's key (bucket chosen uniformly, then a uniform position within it). */
  randomKey(): string | undefined {
    if (this.count === 0) return undefined;
    const n = this.buckets.length;
    for (let tries = 0; tries < 64; tries++) {
      const b = this.buckets[(Math.random() * n) | 0];
      if (b.size === 0) continue;
      let i = (Math.random() * b.size) | 0;
      for (const k of b.keys()) if (i-- === 0) return k;
    }
    for (const b of this.buckets) for (const k of b.keys()) return k;
    return undefined;
  }
}
