// Which slots a shard serves, for Redis Cluster's checks on the keys a script touches.

import { keySlot, slotShard } from "./engine/slots.js";

/**
 * With several shards, scripts get Redis Cluster's checks on the keys they touch: this shard is
 * `shard-<n>` of SHARDS, and serves the slots the router maps to it. Undefined with one shard.
 */
export function clusterOf(env: Env, name: string | undefined) {
  const shards = Math.max(1, Math.min(1024, Number(env.SHARDS) || 1));
  const index = Number(/^shard-(\d+)$/.exec(name ?? "")?.[1] ?? 0);
  if (shards === 1) return undefined;
  return { slotOf: keySlot, isLocal: (slot: number) => slotShard(slot, shards) === index };
}
