// The list type: a double-ended sequence in a ring buffer whose capacity is a power of two. Pushes
// and pops at either end are O(1) amortised, indexing is O(1), and an insert or removal in the
// middle moves only the shorter side. The buffer halves when three quarters of it are unused.

import { stringCost } from "./memory.js";

/** Bookkeeping per element: its slot in the buffer is charged separately (memoryUsage). */
const ELEMENT = 8;
const MIN_CAPACITY = 8;

export class RedisList {
  private buf: (string | undefined)[] = new Array(MIN_CAPACITY);
  private mask = MIN_CAPACITY - 1;
  private head = 0;
  private len = 0;
  private bytes = 64;

  get length(): number {
    return this.len;
  }

  /** Slots in the ring buffer (a power of two, at least 8); memoryUsage charges each. */
  get capacity(): number {
    return this.buf.length;
  }

  /** Re-lays the elements from slot 0 in a buffer of the given capacity (a power of two ≥ len). */
  private resize(capacity: number): void {
    const next: (string | undefined)[] = new Array(capacity);
    for (let i = 0; i < this.len; i++) next[i] = this.buf[(this.head + i) & this.mask];
    this.buf = next;
    this.mask = capacity - 1;
    this.head = 0;
  }

  private growIfFull(): void {
    if (this.len === this.buf.length) this.resize(this.buf.length * 2);
  }

  private shrinkIfSparse(): void {
    let capacity = this.buf.length;
    while (capacity > MIN_CAPACITY && this.len * 4 <= capacity) capacity >>= 1;
    if (capacity !== this.buf.length) this.resize(capacity);
  }

  pushBack(v: string): void {
    this.growIfFull();
    this.buf[(this.head + this.len) & this.mask] = v;
    this.len++;
    this.bytes += stringCost(v) + ELEMENT;
  }

  pushFront(v: string): void {
    this.growIfFull();
    this.head = (this.head - 1) & this.mask;
    this.buf[this.head] = v;
    this.len++;
    this.bytes += stringCost(v) + ELEMENT;
  }

  popFront(): string | undefined {
    if (this.len === 0) return undefined;
    const v = this.buf[this.head]!;
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.len--;
    this.bytes -= stringCost(v) + ELEMENT;
    this.shrinkIfSparse();
    return v;
  }

  popBack(): string | undefined {
    if (this.len === 0) return undefined;
    const i = (this.head + this.len - 1) & this.mask;
    const v = this.buf[i]!;
    this.buf[i] = undefined;
    this.len--;
    this.bytes -= stringCost(v) + ELEMENT;
    this.shrinkIfSparse();
    return v;
  }

  /** Element at a 0-based index (no negative indexes here), or undefined. */
  at(index: number): string | undefined {
    if (index < 0 || index >= this.len) return undefined;
    return this.buf[(this.head + index) & this.mask];
  }

  /** Replaces the element at a 0-based index, which must exist. */
  set(index: number, v: string): void {
    const i = (this.head + index) & this.mask;
    this.bytes += v.length - this.buf[i]!.length;
    this.buf[i] = v;
  }

  /** Inserts v so that it ends up at index (0 ≤ index ≤ length), moving the shorter side by one. */
  insertAt(index: number, v: string): void {
    if (index < 0 || index > this.len) throw new RangeError(`insertAt ${index} outside 0..${this.len}`);
    this.growIfFull();
    const buf = this.buf;
    const mask = this.mask;
    if (index < this.len - index) {
      // Shift the first `index` elements one slot towards the front.
      this.head = (this.head - 1) & mask;
      for (let i = 0; i < index; i++) buf[(this.head + i) & mask] = buf[(this.head + i + 1) & mask];
    } else {
      for (let i = this.len; i > index; i--) buf[(this.head + i) & mask] = buf[(this.head + i - 1) & mask];
    }
    buf[(this.head + index) & mask] = v;
    this.len++;
    this.bytes += stringCost(v) + ELEMENT;
  }

  /** Removes and returns the element at index (0 ≤ index < length), moving the shorter side by one. */
  removeAt(index: number): string {
    if (index < 0 || index >= this.len) throw new RangeError(`removeAt ${index} outside 0..${this.len - 1}`);
    const buf = this.buf;
    const mask = this.mask;
    const v = buf[(this.head + index) & mask]!;
    if (index < this.len - 1 - index) {
      for (let i = index; i > 0; i--) buf[(this.head + i) & mask] = buf[(this.head + i - 1) & mask];
      buf[this.head] = undefined;
      this.head = (this.head + 1) & mask;
    } else {
      for (let i = index; i < this.len - 1; i++) buf[(this.head + i) & mask] = buf[(this.head + i + 1) & mask];
      buf[(this.head + this.len - 1) & mask] = undefined;
    }
    this.len--;
    this.bytes -= stringCost(v) + ELEMENT;
    this.shrinkIfSparse();
    return v;
  }

  /**
   * Removes elements equal to v in one pass: up to `limit` of them (0: all), the first ones from the
   * head, or with fromTail the last ones. Returns how many it removed.
   */
  removeEqual(v: string, limit: number, fromTail = false): number {
    const buf = this.buf;
    const mask = this.mask;
    const n = this.len;
    let removed = 0;
    if (!fromTail) {
      let w = 0;
      for (let r = 0; r < n; r++) {
        const e = buf[(this.head + r) & mask]!;
        if (e === v && (limit === 0 || removed < limit)) removed++;
        else buf[(this.head + w++) & mask] = e;
      }
      for (let i = w; i < n; i++) buf[(this.head + i) & mask] = undefined;
    } else {
      let w = n - 1;
      for (let r = n - 1; r >= 0; r--) {
        const e = buf[(this.head + r) & mask]!;
        if (e === v && (limit === 0 || removed < limit)) removed++;
        else buf[(this.head + w--) & mask] = e;
      }
      for (let i = 0; i < removed; i++) buf[(this.head + i) & mask] = undefined;
      this.head = (this.head + removed) & mask;
    }
    this.len -= removed;
    this.bytes -= removed * (stringCost(v) + ELEMENT);
    this.shrinkIfSparse();
    return removed;
  }

  /** Keeps only indexes start..stop (inclusive, 0 ≤ start, stop < length); start > stop empties it. O(removed). */
  trim(start: number, stop: number): void {
    const keepFrom = start > stop ? this.len : start;
    const keepTo = start > stop ? this.len : stop + 1;
    let freed = 0;
    const clear = (from: number, to: number): void => {
      for (let i = from; i < to; i++) {
        const slot = (this.head + i) & this.mask;
        freed += stringCost(this.buf[slot]!) + ELEMENT;
        this.buf[slot] = undefined;
      }
    };
    clear(0, keepFrom);
    clear(keepTo, this.len);
    this.head = (this.head + keepFrom) & this.mask;
    this.len = keepTo - keepFrom;
    this.bytes -= freed;
    this.shrinkIfSparse();
  }

  /** Elements at indexes start..stop (inclusive, 0 ≤ start, stop < length), in order. */
  slice(start: number, stop: number): string[] {
    const out: string[] = [];
    for (let i = start; i <= stop; i++) out.push(this.buf[(this.head + i) & this.mask]!);
    return out;
  }

  *values(): IterableIterator<string> {
    for (let i = 0; i < this.len; i++) yield this.buf[(this.head + i) & this.mask]!;
  }

  memoryUsage(): number {
    return this.bytes + this.buf.length * 8;
  }
}
