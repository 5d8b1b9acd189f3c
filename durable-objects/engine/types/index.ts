// The value types a key can hold. A plain byte string is the string type.

import { RedisHash } from "./hash.js";
import { RedisList } from "./list.js";
import { RedisSet } from "./set.js";
import { RedisZSet } from "./zset.js";
import { stringCost } from "./memory.js";

export { RedisHash, RedisList, RedisSet, RedisZSet };
export type Value = string | RedisHash | RedisList | RedisSet | RedisZSet;
export type TypeName = "string" | "list" | "set" | "zset" | "hash";

export function typeName(v: Value): TypeName {
  if (typeof v === "string") return "string";
  if (v instanceof RedisHash) return "hash";
  if (v instanceof RedisList) return "list";
  if (v instanceof RedisSet) return "set";
  return "zset";
}

export function valueMemory(v: Value): number {
  return typeof v === "string" ? stringCost(v) : v.memoryUsage();
}
