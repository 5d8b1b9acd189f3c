// OBJECT ENCODING as Redis 7.0 reports it, from each type's size thresholds (hash-max-listpack-*,
// zset-max-listpack-*, set-max-intset-entries). Redis converts one way only (compact → big), so a
// collection remembers, from the moment a write takes it past a threshold, that it is big.

import type { Config } from "./config.js";
import { type Value, RedisHash, RedisList, RedisSet, RedisStream, RedisZSet } from "./types/index.js";
import { isIntEncodable } from "./types/set.js";

export { isIntEncodable };

/**
 * Marks a collection big once it outgrows its compact encoding. O(1): types track their longest
 * element and whether a set ever held a non-integer. The dispatcher calls it after every write.
 */
export function noteEncoding(v: Value, config: Config): void {
  if (typeof v === "string" || v instanceof RedisList || v instanceof RedisStream || v.bigEncoding) return;
  if (v instanceof RedisHash) {
    v.bigEncoding = v.size > config.getNumber("hash-max-listpack-entries") || v.maxLen > config.getNumber("hash-max-listpack-value");
  } else if (v instanceof RedisSet) {
    v.bigEncoding = !v.allInts || v.size > config.getNumber("set-max-intset-entries");
  } else {
    v.bigEncoding = v.size > config.getNumber("zset-max-listpack-entries") || v.maxLen > config.getNumber("zset-max-listpack-value");
  }
}

export function objectEncoding(v: Value, config: Config): string {
  if (typeof v === "string") {
    if (isIntEncodable(v)) return "int";
    return v.length <= 44 ? "embstr" : "raw";
  }
  if (v instanceof RedisList) return "quicklist";
  if (v instanceof RedisStream) return "stream";
  noteEncoding(v, config);
  if (v instanceof RedisHash) return v.bigEncoding ? "hashtable" : "listpack";
  if (v instanceof RedisSet) return v.bigEncoding ? "hashtable" : "intset";
  return v.bigEncoding ? "skiplist" : "listpack";
}
