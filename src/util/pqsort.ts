/**
 * Redis 7.0's pqsort (pqsort.c: the NetBSD/Bentley-McIlroy qsort with partial ranges, without
 * the NetBSD switch to insertion sort after a swap-free partition): sorts enough
 * of `a` that positions [lrange, rrange] hold what a full sort would put there. Ported step for
 * step because it is not stable: GEOSEARCH ... COUNT uses it, and the order of equal distances
 * must come out as in Redis. O(n log n) worst case like the original; deterministic.
 */
export function pqsort<T>(a: T[], cmp: (x: T, y: T) => number, lrange: number, rrange: number): void {
  sortRange(a, 0, a.length, cmp, lrange, rrange);
}

function swap<T>(a: T[], i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

function vecswap<T>(a: T[], i: number, j: number, n: number): void {
  for (let k = 0; k < n; k++) swap(a, i + k, j + k);
}

function med3<T>(a: T[], i: number, j: number, k: number, cmp: (x: T, y: T) => number): number {
  return cmp(a[i], a[j]) < 0 ? (cmp(a[j], a[k]) < 0 ? j : cmp(a[i], a[k]) < 0 ? k : i) : cmp(a[j], a[k]) > 0 ? j : cmp(a[i], a[k]) < 0 ? i : k;
}

function insertion<T>(a: T[], base: number, n: number, cmp: (x: T, y: T) => number): void {
  for (let pm = base + 1; pm < base + n; pm++) {
    for (let pl = pm; pl > base && cmp(a[pl - 1], a[pl]) > 0; pl--) swap(a, pl, pl - 1);
  }
}

function sortRange<T>(a: T[], base: number, n: number, cmp: (x: T, y: T) => number, L: number, R: number): void {
  for (;;) {
    if (n < 7) {
      insertion(a, base, n, cmp);
      return;
    }
    let pm = base + Math.floor(n / 2);
    if (n > 7) {
      let pl = base;
      let pn = base + n - 1;
      if (n > 40) {
        const d = Math.floor(n / 8);
        pl = med3(a, pl, pl + d, pl + 2 * d, cmp);
        pm = med3(a, pm - d, pm, pm + d, cmp);
        pn = med3(a, pn - 2 * d, pn - d, pn, cmp);
      }
      pm = med3(a, pl, pm, pn, cmp);
    }
    swap(a, base, pm);
    let pa = base + 1;
    let pb = pa;
    let pc = base + n - 1;
    let pd = pc;
    for (;;) {
      let r: number;
      while (pb <= pc && (r = cmp(a[pb], a[base])) <= 0) {
        if (r === 0) {
          swap(a, pa, pb);
          pa++;
        }
        pb++;
      }
      while (pb <= pc && (r = cmp(a[pc], a[base])) >= 0) {
        if (r === 0) {
          swap(a, pc, pd);
          pd--;
        }
        pc--;
      }
      if (pb > pc) break;
      swap(a, pb, pc);
      pb++;
      pc--;
    }
    const pn = base + n;
    let r = Math.min(pa - base, pb - pa);
    vecswap(a, base, pb - r, r);
    r = Math.min(pd - pc, pn - pd - 1);
    vecswap(a, pb, pn - r, r);
    r = pb - pa;
    if (r > 1) {
      const end = base + r;
      if (!((L < base && R < base) || (L >= end && R >= end))) sortRange(a, base, r, cmp, L, R);
    }
    r = pd - pc;
    if (r > 1) {
      base = pn - r;
      n = r;
      const end = base + r;
      if (!((L < base && R < base) || (L >= end && R >= end))) continue;
    }
    return;
  }
}
