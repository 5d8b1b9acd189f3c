// The hash type: field → value, in insertion order (as Redis's listpack keeps small hashes).

import { MAP_ENTRY, stringCost } from "./memory.js";

export class RedisHash {
  readonly map = new Map<string, string>();
  private bytes = 64;
  /** Set once the collection has outgrown its compact encoding (Redis never converts back). */
  bigEncoding = false;
  /** Longest field or value ever stored (hash-max-listpack-value is checked against it). */
  maxLen = 0;

  get size(): number {
    return this.map.size;
  }
  get(field: string): string | undefined {
    return this.map.get(field);
  }
  has(field: string): boolean {
    return this.map.has(field);
  }
  /** Sets a field; returns true when the field is new. */
  set(field: string, value: string): boolean {
    const old = this.map.get(field);
    if (field.length > this.maxLen) this.maxLen = field.length;
    if (value.length > this.maxLen) this.maxLen = value.length;
    if (old === undefined) {
      this.bytes += MAP_ENTRY + stringCost(field) + stringCost(value);
      this.map.set(field, value);
      return true;
    }
    this.bytes += value.length - old.length;
    this.map.set(field, value);
    return false;
  }
  delete(field: string): boolean {
    const old = this.map.get(field);
    if (old === undefined) return false;
    this.bytes -= MAP_ENTRY + stringCost(field) + stringCost(old);
    this.map.delete(field);
    return true;
  }
  entries(): IterableIterator<[string, string]> {
    return this.map.entries();
  }
  memoryUsage(): number {
    return this.bytes;
  }
}
