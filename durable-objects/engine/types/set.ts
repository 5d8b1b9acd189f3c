// The set type: unique members, in insertion order.

import { MAP_ENTRY, stringCost } from "./memory.js";

export class RedisSet {
  readonly set = new Set<string>();
  private bytes = 64;
  /** Set once the collection has outgrown its compact encoding (Redis never converts back). */
  bigEncoding = false;

  get size(): number {
    return this.set.size;
  }
  has(member: string): boolean {
    return this.set.has(member);
  }
  /** Adds a member; returns true when it is new. */
  add(member: string): boolean {
    if (this.set.has(member)) return false;
    this.set.add(member);
    this.bytes += MAP_ENTRY + stringCost(member);
    return true;
  }
  delete(member: string): boolean {
    if (!this.set.delete(member)) return false;
    this.bytes -= MAP_ENTRY + stringCost(member);
    return true;
  }
  values(): IterableIterator<string> {
    return this.set.values();
  }
  memoryUsage(): number {
    return this.bytes;
  }
}
