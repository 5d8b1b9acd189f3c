// Which shard serves what, in one place: the deployment's shard count, the key → slot → shard mapping
// (Redis Cluster's slots in contiguous ranges, durable-objects/engine/slots.ts), and each shard's Durable Object.

import { keySlot, slotShard } from "../durable-objects/engine/slots.js";

export const MAX_SHARDS = 1024;

/** SHARDS from the deployment's vars: 1 when unset or not a number, at most MAX_SHARDS. */
export function shardCount(env: { SHARDS?: string | number }): number {
  return Math.max(1, Math.min(MAX_SHARDS, Number(env.SHARDS) || 1));
}

/** The shard that holds a key (a byte string). One shard needs no hashing. */
export function shardOfKey(key: string, shards: number): number {
  return shards === 1 ? 0 : slotShard(keySlot(key), shards);
}

/** Shard ids, derived once per namespace binding (an id is plain data; stubs are made per request). */
const ids = new WeakMap<object, DurableObjectId[]>();

/** The Durable Object of shard `shard` (named `shard-<n>`, which the Shard reads back for its index). */
export function shardStub<T>(env: Env, shard: number): T {
  let list = ids.get(env.SHARD);
  if (list === undefined) ids.set(env.SHARD, (list = []));
  const id = (list[shard] ??= env.SHARD.idFromName(`shard-${shard}`));
  // The RPC stub's inferred type recurses through Reply; the callers' Pick<Shard, …> is the contract.
  return env.SHARD.get(id) as unknown as T;
}
