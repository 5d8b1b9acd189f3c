// The value types a key can hold. A plain byte string is the string type.

import { RedisHash } from "./hash.js";
import { RedisList } from "./list.js";
import { RedisSet } from "./set.js";
import { RedisZSet } from "./zset.js";
import { RedisStream } from "./stream.js";
import { stringCost } from "./memory.js";

export { RedisHash, RedisList, RedisSet, RedisZSet, RedisStream };
export type Value = string | RedisHash | RedisList | RedisSet | RedisZSet | RedisStream;
export type TypeName = "string" | "list" | "set" | "zset" | "hash" | "stream";

export function typeName(v: Value): TypeName {
  if (typeof v === "string") return "string";
  if (v instanceof RedisHash) return "hash";
  if (v instanceof RedisList) return "list";
  if (v instanceof RedisSet) return "set";
  if (v instanceof RedisStream) return "stream";
  return "zset";
}

export function valueMemory(v: Value): number {
  return typeof v === "string" ? stringCost(v) : v.memoryUsage();
}

/** Whether a value is an empty collection (never stored; a stream may be empty and is kept). */
export function isEmptyValue(v: Value): boolean {
  if (typeof v === "string" || v instanceof RedisStream) return false;
  return "length" in v ? v.length === 0 : v.size === 0;
}
