// The set type: unique members, in insertion order, with O(1) random picks for SPOP and SRANDMEMBER.

import { MAP_ENTRY, stringCost } from "./memory.js";
import { parseInt64 } from "../bytes.js";

/** Whether a string would be stored int-encoded (a canonical integer within int64). */
export function isIntEncodable(s: string): boolean {
  return s.length <= 20 && parseInt64(s) !== null;
}

/** Per member: its Map entry (member → slot) and its slot in the random-access array. */
const MEMBER_COST = MAP_ENTRY + 8;

export class RedisSet {
  /**
   * Member → its slot in `slots`. The Map gives the iteration order, and its iterators stay valid
   * while the set changes, which SSCAN relies on.
   */
  private readonly index = new Map<string, number>();
  /**
   * Members by slot, with holes where members were deleted, so a uniform pick is a random slot
   * (retried on a hole). Compacted when half the slots are holes, so a pick takes O(1) tries.
   */
  private slots: (string | undefined)[] = [];
  private holes = 0;
  private bytes = 64;
  /** Set once the collection has outgrown its compact encoding (Redis never converts back). */
  bigEncoding = false;
  /** Whether every member ever added was an integer (an intset can hold the set). */
  allInts = true;

  get size(): number {
    return this.index.size;
  }
  has(member: string): boolean {
    return this.index.has(member);
  }
  /** Adds a member; returns true when it is new. */
  add(member: string): boolean {
    if (this.index.has(member)) return false;
    this.index.set(member, this.slots.length);
    this.slots.push(member);
    if (this.allInts && !isIntEncodable(member)) this.allInts = false;
    this.bytes += MEMBER_COST + stringCost(member);
    return true;
  }
  delete(member: string): boolean {
    const slot = this.index.get(member);
    if (slot === undefined) return false;
    this.index.delete(member);
    this.bytes -= MEMBER_COST + stringCost(member);
    this.slots[slot] = undefined;
    this.holes++;
    // Trailing holes are dropped at once; inner ones wait for a compaction.
    while (this.slots.length > 0 && this.slots[this.slots.length - 1] === undefined) {
      this.slots.pop();
      this.holes--;
    }
    if (this.holes > 16 && this.holes * 2 > this.slots.length) this.compact();
    return true;
  }
  values(): IterableIterator<string> {
    return this.index.keys();
  }
  /** A uniformly chosen member, or undefined when empty. `random` is uniform in [0, 1). */
  random(random: () => number): string | undefined {
    if (this.index.size === 0) return undefined;
    for (;;) {
      const m = this.slots[Math.floor(random() * this.slots.length)];
      if (m !== undefined) return m;
    }
  }
  memoryUsage(): number {
    return this.bytes + this.slots.length * 8;
  }

  private compact(): void {
    const slots: string[] = new Array(this.index.size);
    let i = 0;
    for (const m of this.index.keys()) {
      slots[i] = m;
      this.index.set(m, i++);
    }
    this.slots = slots;
    this.holes = 0;
  }
}
