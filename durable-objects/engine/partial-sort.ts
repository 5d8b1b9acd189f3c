// The partial quicksort Redis's geo searches use when COUNT keeps fewer results than found (its
// pqsort: Bentley and McIlroy's "Engineering a Sort Function", skipping the partitions that lie
// wholly outside the wanted ranks). Equal elements end up in the order this algorithm leaves them,
// not in a stable order, so a reply with ties under COUNT matches Redis's only if the steps are the
// same: this follows the published algorithm's steps exactly.

/** Sorts so that ranks lrange..rrange (inclusive) hold what a full sort would put there. */
export function partialSort<T>(a: T[], cmp: (x: T, y: T) => number, lrange: number, rrange: number): void {
  sortRange(a, 0, a.length, cmp, lrange, rrange);
}

function swap<T>(a: T[], i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/** Swaps the n elements from i with the n from j, pairwise. */
function vecswap<T>(a: T[], i: number, j: number, n: number): void {
  for (let k = 0; k < n; k++) swap(a, i + k, j + k);
}

function med3<T>(a: T[], i: number, j: number, k: number, cmp: (x: T, y: T) => number): number {
  return cmp(a[i], a[j]) < 0
    ? cmp(a[j], a[k]) < 0 ? j : cmp(a[i], a[k]) < 0 ? k : i
    : cmp(a[j], a[k]) > 0 ? j : cmp(a[i], a[k]) < 0 ? i : k;
}

/** Whether the partition [start, start+n) holds any rank of lrange..rrange worth sorting. */
const overlaps = (start: number, n: number, lrange: number, rrange: number): boolean =>
  !((lrange < start && rrange < start) || (lrange >= start + n && rrange >= start + n));

function sortRange<T>(a: T[], lo: number, n: number, cmp: (x: T, y: T) => number, lrange: number, rrange: number): void {
  for (;;) {
    if (n < 7) {
      // Insertion sort for small partitions.
      for (let m = lo + 1; m < lo + n; m++) {
        for (let l = m; l > lo && cmp(a[l - 1], a[l]) > 0; l--) swap(a, l, l - 1);
      }
      return;
    }
    // The pivot: the middle element, or a median of three (of three medians for big partitions).
    let pm = lo + (n >>> 1);
    if (n > 7) {
      let pl = lo;
      let pn = lo + n - 1;
      if (n > 40) {
        const d = Math.floor(n / 8);
        pl = med3(a, pl, pl + d, pl + 2 * d, cmp);
        pm = med3(a, pm - d, pm, pm + d, cmp);
        pn = med3(a, pn - 2 * d, pn - d, pn, cmp);
      }
      pm = med3(a, pl, pm, pn, cmp);
    }
    swap(a, lo, pm);
    // Three-way partition: equal elements are gathered at both ends, then swapped to the middle.
    let pa = lo + 1;
    let pb = pa;
    let pc = lo + n - 1;
    let pd = pc;
    for (;;) {
      let c: number;
      while (pb <= pc && (c = cmp(a[pb], a[lo])) <= 0) {
        if (c === 0) swap(a, pa++, pb);
        pb++;
      }
      while (pb <= pc && (c = cmp(a[pc], a[lo])) >= 0) {
        if (c === 0) swap(a, pc, pd--);
        pc--;
      }
      if (pb > pc) break;
      swap(a, pb++, pc--);
    }
    const pn = lo + n;
    let r = Math.min(pa - lo, pb - pa);
    vecswap(a, lo, pb - r, r);
    r = Math.min(pd - pc, pn - pd - 1);
    vecswap(a, pb, pn - r, r);
    // The smaller-than partition recursively, the greater-than one in this loop.
    if ((r = pb - pa) > 1 && overlaps(lo, r, lrange, rrange)) sortRange(a, lo, r, cmp, lrange, rrange);
    if ((r = pd - pc) > 1) {
      lo = pn - r;
      n = r;
      if (overlaps(lo, n, lrange, rrange)) continue;
    }
    return;
  }
}
