// The set type: unique members, in insertion order.

import { MAP_ENTRY, stringCost } from "./memory.js";
import { parseInt64 } from "../bytes.js";

/** Whether a string would be stored int-encoded (a canonical integer within int64). */
export function isIntEncodable(s: string): boolean {
  return s.length <= 20 && parseInt64(s) !== null;
}

export class RedisSet {
  readonly set = new Set<string>();
  private bytes = 64;
  /** Set once the collection has outgrown its compact encoding (Redis never converts back). */
  bigEncoding = false;
  /** Whether every member ever added was an integer (an intset can hold the set). */
  allInts = true;

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
    if (this.allInts && !isIntEncodable(member)) this.allInts = false;
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
