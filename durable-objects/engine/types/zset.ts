// The sorted set type: member → score, ordered by (score, member bytewise).
// (Placeholder order structure: a sorted array. Replaced by an O(log n) structure.)

import { MAP_ENTRY, stringCost } from "./memory.js";

export class RedisZSet {
  readonly scores = new Map<string, number>();
  private bytes = 64;
  /** Set once the collection has outgrown its compact encoding (Redis never converts back). */
  bigEncoding = false;
  /** Longest member ever stored (zset-max-listpack-value is checked against it). */
  maxLen = 0;

  get size(): number {
    return this.scores.size;
  }
  score(member: string): number | undefined {
    return this.scores.get(member);
  }
  /** Adds or updates a member; returns true when it is new. */
  add(member: string, score: number): boolean {
    const isNew = !this.scores.has(member);
    if (member.length > this.maxLen) this.maxLen = member.length;
    this.scores.set(member, score);
    if (isNew) this.bytes += MAP_ENTRY + stringCost(member) + 16;
    return isNew;
  }
  delete(member: string): boolean {
    if (!this.scores.delete(member)) return false;
    this.bytes -= MAP_ENTRY + stringCost(member) + 16;
    return true;
  }
  /** Members with scores in order. */
  entries(): [string, number][] {
    return [...this.scores.entries()].sort((a, b) =>
      a[1] !== b[1] ? a[1] - b[1] : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0,
    );
  }
  memoryUsage(): number {
    return this.bytes;
  }
}
