// Which hub Durable Object a channel meets its subscribers on. Channels spread over PUBSUB_HUBS hubs by
// a hash of the channel's bytes; every hub also holds every pattern subscription, so that a PUBLISH
// is one call to one hub whatever patterns exist. Shared by the worker and the shards.

import type { PubSubHub } from "../pubsub-hub.js";

export const MAX_HUBS = 256;

export function hubCount(env: { PUBSUB_HUBS?: string }): number {
  return Math.max(1, Math.min(MAX_HUBS, Math.floor(Number(env.PUBSUB_HUBS)) || 1));
}

/** FNV-1a over the channel's bytes: stable across deployments, so a channel keeps its hub. */
export function hubOf(channel: string, hubs: number): number {
  if (hubs === 1) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < channel.length; i++) h = Math.imul(h ^ channel.charCodeAt(i), 0x01000193);
  return (h >>> 0) % hubs;
}

type HubMethod = "open" | "close" | "openMonitor" | "publish" | "spublish" | "publishMany" | "publishAll" | "numsub" | "numpat" | "channels" | "feedMonitor" | "stats";
/** The hub's RPC surface as a caller sees it: every method answers a promise. */
export type HubStub = { [K in HubMethod]: (...args: Parameters<PubSubHub[K]>) => Promise<ReturnType<PubSubHub[K]>> };

const ids = new WeakMap<object, DurableObjectId[]>();

/** The stub of hub `i` (ids derived once per namespace binding). */
export function hubStub(ns: DurableObjectNamespace<PubSubHub>, i: number): HubStub {
  let list = ids.get(ns);
  if (!list) ids.set(ns, (list = []));
  const id = (list[i] ??= ns.idFromName(`pubsub-${i}`));
  // The RPC stub's inferred types recurse; the methods' own signatures are the contract.
  return ns.get(id) as unknown as HubStub;
}
