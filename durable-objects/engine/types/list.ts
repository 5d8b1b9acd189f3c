// The list type: a double-ended sequence. (Simple ring buffer; O(1) push/pop at both ends and O(1) index.)

import { stringCost } from "./memory.js";

export class RedisList {
  private buf: (string | undefined)[] = new Array(8);
  private head = 0;
  private len = 0;
  private bytes = 64;

  get length(): number {
    return this.len;
  }
  private grow(): void {
    const next: (string | undefined)[] = new Array(this.buf.length * 2);
    for (let i = 0; i < this.len; i++) next[i] = this.buf[(this.head + i) % this.buf.length];
    this.buf = next;
    this.head = 0;
  }
  pushBack(v: string): void {
    if (this.len === this.buf.length) this.grow();
    this.buf[(this.head + this.len) % this.buf.length] = v;
    this.len++;
    this.bytes += stringCost(v) + 8;
  }
  pushFront(v: string): void {
    if (this.len === this.buf.length) this.grow();
    this.head = (this.head - 1 + this.buf.length) % this.buf.length;
    this.buf[this.head] = v;
    this.len++;
    this.bytes += stringCost(v) + 8;
  }
  popFront(): string | undefined {
    if (this.len === 0) return undefined;
    const v = this.buf[this.head]!;
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) % this.buf.length;
    this.len--;
    this.bytes -= stringCost(v) + 8;
    return v;
  }
  popBack(): string | undefined {
    if (this.len === 0) return undefined;
    const i = (this.head + this.len - 1) % this.buf.length;
    const v = this.buf[i]!;
    this.buf[i] = undefined;
    this.len--;
    this.bytes -= stringCost(v) + 8;
    return v;
  }
  /** Element at a 0-based index (no negative indexes here), or undefined. */
  at(index: number): string | undefined {
    if (index < 0 || index >= this.len) return undefined;
    return this.buf[(this.head + index) % this.buf.length];
  }
  set(index: number, v: string): void {
    const i = (this.head + index) % this.buf.length;
    this.bytes += v.length - this.buf[i]!.length;
    this.buf[i] = v;
  }
  *values(): IterableIterator<string> {
    for (let i = 0; i < this.len; i++) yield this.buf[(this.head + i) % this.buf.length]!;
  }
  memoryUsage(): number {
    return this.bytes + this.buf.length * 8;
  }
}
