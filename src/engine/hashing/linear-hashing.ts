/**
 * Litwin's linear hashing: the bucket bookkeeping and the SCAN cursor shared by KeyTable (the
 * js-map keyspace and big hashes) and ShardedMap (the JS containers' hashtable-encoded sets).
 *
 * Invariants: the table has 2^level + split buckets, 0 <= split < 2^level. A key with hash h lives
 * in bucket h mod 2^level, or h mod 2^(level+1) when that is < split. Splitting bucket `split`
 * moves its keys that have bit `level` set to a new last bucket (then didSplit()); merging moves
 * the last bucket's keys back into bucket willMerge(). One bucket at a time: growth never
 * rehashes everything.
 *
 * SCAN: Redis's reverse-binary cursor (dictScan) over a logical table of 2^L buckets,
 * L = level + (split > 0 ? 1 : 0). A logical index whose bucket has not been split yet is served
 * from its parent, filtered by hash, so every key present for a whole iteration is returned at
 * least once across splits and merges (a merge may return some twice).
 */

/** Bit reversal of a 32-bit value: SCAN's reverse-binary cursor increment. */
export function rev32(v: number): number {
  v = ((v >>> 1) & 0x55555555) | ((v & 0x55555555) << 1);
  v = ((v >>> 2) & 0x33333333) | ((v & 0x33333333) << 2);
  v = ((v >>> 4) & 0x0f0f0f0f) | ((v & 0x0f0f0f0f) << 4);
  v = ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
  v = (v >>> 16) | (v << 16);
  return v >>> 0;
}

/**
 * Visits physical bucket `phys` for logical index `idx`; when `filter`, only keys whose
 * (hash & mask) === idx belong to it. Returns how many keys it visited.
 */
export type ScanBucket = (phys: number, idx: number, mask: number, filter: boolean) => number;

export class LinearHashing {
  level = 0;
  split = 0;

  /** The bucket of hash h. */
  bucket(h: number): number {
    const b = h & ((1 << this.level) - 1);
    return b < this.split ? h & ((2 << this.level) - 1) : b;
  }

  /** The bit that decides, when bucket `split` is split, whether a key moves to the new bucket. */
  get splitBit(): number {
    return 1 << this.level;
  }

  /** Bucket `split` has just been split into itself and a new last bucket. */
  didSplit(): void {
    if (++this.split === 1 << this.level) {
      this.level++;
      this.split = 0;
    }
  }

  /** The last bucket is about to be merged back: returns the bucket it merges into. */
  willMerge(): number {
    if (this.split === 0) {
      this.level--;
      this.split = 1 << this.level;
    }
    return --this.split;
  }

  reset(): void {
    this.level = 0;
    this.split = 0;
  }

  /**
   * One SCAN step from `cursor` over a table of nBuckets buckets: visits whole logical buckets
   * until at least `count` keys were visited (or 10*count empty buckets were passed). Returns
   * the next cursor, 0 when done.
   */
  scan(cursor: number, count: number, nBuckets: number, visitBucket: ScanBucket): number {
    const L = this.level + (this.split > 0 ? 1 : 0);
    const mask = L === 32 ? 0xffffffff : (1 << L) - 1;
    const half = 1 << this.level;
    let v = cursor >>> 0;
    let visited = 0;
    let emptyBudget = Math.max(count, 1) * 10;
    do {
      const idx = v & mask;
      // An unsplit bucket (split <= phys < 2^level) serves two logical indices: filter by hash.
      const phys = idx < nBuckets ? idx : idx - half;
      const n = visitBucket(phys, idx, mask, this.split > 0 && phys >= this.split && phys < half);
      visited += n;
      if (n === 0) emptyBudget--;
      // Reverse-binary increment (dictScan).
      v = (v | ~mask) >>> 0;
      v = rev32(v);
      v = (v + 1) >>> 0;
      v = rev32(v);
    } while (v !== 0 && visited < count && emptyBudget > 0);
    return v;
  }
}
