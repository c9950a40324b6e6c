/**
 * ShardedMap: a hash table of small JS Maps grown by linear hashing, so the JS hash, set and
 * sorted-set containers have no 16,777,216-entry cap and never rehash everything at once. (The
 * js-map keyspace itself uses the KeyTable in engine.ts, the same scheme over typed arrays.)
 *
 * Invariants (Litwin's linear hashing):
 * - buckets.length === 2^level + split, with 0 <= split < 2^level.
 * - A key with hash h lives in bucket i = h mod 2^level, or h mod 2^(level+1) when that i < split.
 * - Average bucket size stays <= TARGET: each insert that crosses the bound splits ONE bucket
 *   (bucket `split` moves the keys with bit `level` set to a new bucket at the end), so growth costs
 *   O(TARGET) per split and nothing ever stalls. Deletes merge the last bucket back symmetrically.
 *
 * SCAN: the cursor is Redis's reverse-binary cursor over a logical table of 2^L buckets, where
 * L = level + (split > 0 ? 1 : 0). A logical index whose bucket has not been split yet is served
 * from its parent, filtered by hash, so each cursor step visits exactly the keys whose hash has
 * those low L bits: the same guarantee as dictScan across resizes (every key present for the
 * whole iteration is returned at least once; a shrink may return some twice).
 *
 * Complexity: get/set/delete O(1) + hashing the key; split/merge O(TARGET); scan step O(count).
 */

const TARGET = 64;

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

/** Bit reversal of a 32-bit value (SCAN's reverse-binary cursor increment; also used by the js-map KeyTable). */
export function rev32(v: number): number {
  v = ((v >>> 1) & 0x55555555) | ((v & 0x55555555) << 1);
  v = ((v >>> 2) & 0x33333333) | ((v & 0x33333333) << 2);
  v = ((v >>> 4) & 0x0f0f0f0f) | ((v & 0x0f0f0f0f) << 4);
  v = ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
  v = (v >>> 16) | (v << 16);
  return v >>> 0;
}

export class ShardedMap<V> {
  private buckets: Map<string, V>[] = [new Map()];
  private level = 0;
  private split = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  private bucketOf(key: string): Map<string, V> {
    if (this.buckets.length === 1) return this.buckets[0];
    const h = hashKey(key);
    let i = h & ((1 << this.level) - 1);
    if (i < this.split) i = h & ((2 << this.level) - 1);
    return this.buckets[i];
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
    this.level = 0;
    this.split = 0;
    this.count = 0;
  }

  private splitOne(): void {
    const half = 1 << this.level;
    const src = this.buckets[this.split];
    const dst = new Map<string, V>();
    for (const [k, v] of src) {
      if (hashKey(k) & half) {
        dst.set(k, v);
        src.delete(k);
      }
    }
    this.buckets.push(dst);
    if (++this.split === half) {
      this.level++;
      this.split = 0;
    }
  }

  private mergeOne(): void {
    if (this.split === 0) {
      this.level--;
      this.split = 1 << this.level;
    }
    this.split--;
    const last = this.buckets.pop()!;
    const into = this.buckets[this.split];
    for (const [k, v] of last) into.set(k, v);
  }

  /** Visit every entry. The callback must not insert or delete. */
  forEach(visit: (v: V, key: string) => void): void {
    for (const b of this.buckets) for (const [k, v] of b) visit(v, k);
  }

  *entries(): Generator<[string, V]> {
    for (const b of this.buckets) yield* b;
  }

  /**
   * One SCAN step from `cursor`: visits whole logical buckets until at least `count` entries were
   * visited (or 10*count empty buckets were passed). Returns the next cursor, 0 when done.
   * The visitor must not insert or delete (collect, then mutate).
   */
  scan(cursor: number, count: number, visit: (key: string, v: V) => void): number {
    const L = this.level + (this.split > 0 ? 1 : 0);
    const mask = L === 32 ? 0xffffffff : (1 << L) - 1;
    const half = 1 << this.level;
    let v = cursor >>> 0;
    let visited = 0;
    let emptyBudget = Math.max(count, 1) * 10;
    do {
      const idx = v & mask;
      // Unsplit bucket (split <= idx' < 2^level) serves two logical indices: filter by hash.
      const phys = idx < this.buckets.length ? idx : idx - half;
      const b = this.buckets[phys];
      const filter = this.split > 0 && phys >= this.split && phys < half;
      let n = 0;
      for (const [k, val] of b) {
        if (filter && (hashKey(k) & mask) !== idx) continue;
        visit(k, val);
        n++;
      }
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
