// OBJECT ENCODING as Redis 7.0 reports it, from each type's size thresholds (hash-max-listpack-*,
// zset-max-listpack-*, set-max-intset-entries). Redis converts one way only (compact → big), so a
// collection remembers once it has grown past a threshold.

import { parseInt64 } from "./bytes.js";
import type { Config } from "./config.js";
import { type Value, RedisHash, RedisList, RedisSet, RedisZSet } from "./types/index.js";

/** Whether a string would be stored int-encoded (a canonical integer within int64). */
export function isIntEncodable(s: string): boolean {
  return s.length <= 20 && parseInt64(s) !== null;
}

export function objectEncoding(v: Value, config: Config): string {
  if (typeof v === "string") {
    if (isIntEncodable(v)) return "int";
    return v.length <= 44 ? "embstr" : "raw";
  }
  if (v instanceof RedisList) return "quicklist";
  if (v instanceof RedisHash) {
    const maxEntries = config.getNumber("hash-max-listpack-entries");
    const maxValue = config.getNumber("hash-max-listpack-value");
    if (v.bigEncoding || v.size > maxEntries) return (v.bigEncoding = true), "hashtable";
    for (const [f, x] of v.entries()) {
      if (f.length > maxValue || x.length > maxValue) return (v.bigEncoding = true), "hashtable";
    }
    return "listpack";
  }
  if (v instanceof RedisSet) {
    if (v.bigEncoding || v.size > config.getNumber("set-max-intset-entries")) return (v.bigEncoding = true), "hashtable";
    for (const m of v.values()) if (!isIntEncodable(m) || m.length > 20) return (v.bigEncoding = true), "hashtable";
    return "intset";
  }
  const z = v as RedisZSet;
  const maxEntries = config.getNumber("zset-max-listpack-entries");
  const maxValue = config.getNumber("zset-max-listpack-value");
  if (z.bigEncoding || z.size > maxEntries) return (z.bigEncoding = true), "skiplist";
  for (const [m] of z.entries()) if (m.length > maxValue) return (z.bigEncoding = true), "skiplist";
  return "listpack";
}
