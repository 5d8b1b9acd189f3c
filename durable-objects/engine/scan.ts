// Cursor iteration for SCAN/HSCAN/SSCAN/ZSCAN over JS Maps and Sets. A JS iterator stays valid while
// the collection changes (it sees later inserts, skips deleted entries), so a cursor names a live
// iterator: every element present for the whole scan is returned. The cursor is
// position * 4096 + a slot id; an unknown cursor (after a restart) resumes by position, best effort.

const SLOTS = 4096;

interface Scan {
  source: object;
  it: Iterator<unknown>;
  position: number;
}

export class ScanCursors {
  private readonly live = new Map<number, Scan>();
  private nextSlot = 1;

  /**
   * Returns up to `count` items from `source` after `cursor`, and the next cursor ("0" when done).
   * `entries` makes a fresh iterator over the source.
   */
  next<T>(source: object, entries: () => Iterator<T>, cursor: number, count: number): [number, T[]] {
    let scan = cursor === 0 ? undefined : this.live.get(cursor);
    if (scan && scan.source !== source) scan = undefined;
    this.live.delete(cursor);
    if (!scan) {
      const position = Math.floor(cursor / SLOTS);
      const it = entries();
      for (let i = 0; i < position; i++) if (it.next().done) return [0, []];
      scan = { source, it, position };
    }
    const out: T[] = [];
    while (out.length < count) {
      const r = scan.it.next();
      if (r.done) return [0, out];
      out.push(r.value as T);
      scan.position++;
    }
    const slot = this.nextSlot;
    this.nextSlot = (this.nextSlot % (SLOTS - 1)) + 1;
    const next = scan.position * SLOTS + slot;
    this.live.set(next, scan);
    // Bound the cursors kept: the oldest are dropped first (they resume by position if used).
    if (this.live.size > 256) this.live.delete(this.live.keys().next().value!);
    return [next, out];
  }
}
