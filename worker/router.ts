// Routes commands to shards: finds keys from the command table, maps them to slots and shards,
// splits the multi-key commands that may span shards, fans out keyspace-wide ones, and merges
// replies back in request order. One RPC per shard per request.

import { type CommandSpec, type ResponsePolicy, arityOk, keyGroupsWhole, keyPositions, routingTips } from "../durable-objects/engine/command.js";
import { COMMANDS } from "../durable-objects/engine/commands/index.js";
import { crossSlot } from "../durable-objects/engine/errors.js";
import { type ErrorReply, type Reply, errorReply, isErrorReply } from "../durable-objects/engine/reply.js";
import { sortKeyPatterns } from "../durable-objects/engine/commands/sort.js";
import { MAX_REPLY_BYTES } from "../durable-objects/engine/reply-budget.js";
import type { ShardResult } from "../durable-objects/shard.js";
import { keySlot, patternSlot, slotShard } from "./slots.js";
import { shardOfKey } from "./shards.js";

/**
 * SORT's BY and GET patterns name keys the command table cannot list. With several shards they are
 * refused, as Redis Cluster refuses them, unless their {tag} puts every key they form in the sorted key's slot.
 */
function sortPatternError(argv: string[]): ErrorReply | null {
  const name = argv[0].toLowerCase();
  if (name !== "sort" && name !== "sort_ro") return null;
  const slot = keySlot(argv[1]);
  for (const { option, pattern } of sortKeyPatterns(argv)) {
    if (patternSlot(pattern) !== slot) {
      return errorReply(`ERR ${option} option of SORT denied in Cluster mode when keys formed by the pattern may be in different slots.`);
    }
  }
  return null;
}

/** Whether the router may plan the command: known, and the right number of arguments for its keys. */
const plannable = (spec: CommandSpec | undefined, argv: string[]): spec is CommandSpec =>
  spec !== undefined && arityOk(spec, argv.length) && keyGroupsWhole(spec, argv.length);

export type { ShardResult };

export interface ShardCaller {
  /** `replyBudget`: the bytes this shard's replies may take (MAX_REPLY_BYTES when absent). */
  (shard: number, batch: string[][], atomic: boolean, readonly: boolean, replyBudget?: number): Promise<ShardResult>;
}

/** A part that no shard runs: the pub/sub hubs answer it. */
const HUBS = -1;

/** Runs pub/sub commands on the hubs, in order. */
export interface HubCaller {
  (batch: string[][], readonly: boolean): Promise<Reply[]>;
}

interface Part {
  /** A shard, or HUBS. */
  shard: number;
  argv: string[];
}

/** How one command runs: its parts (each on one shard) and how their replies merge. */
interface Plan {
  parts: Part[];
  merge(replies: Reply[]): Reply;
}

const first = (r: Reply[]): Reply => r[0];
const firstError = (r: Reply[]): Reply | undefined => r.find((x) => isErrorReply(x));

/**
 * How the replies of a command's parts merge, by its response policy (see ResponsePolicy). `order`
 * holds, for a split command, the positions of each part's keys among the keys sent.
 */
const MERGE: Record<ResponsePolicy, (parts: Reply[], order: number[][], keys: number) => Reply> = {
  all_succeeded: (r) => r[0],
  agg_sum: (r) => r.reduce<number>((a, b) => a + (b as number), 0),
  // Element by element for arrays (WAITAOF's [local, replicas]).
  agg_min: (r) => (Array.isArray(r[0]) ? (r[0] as number[]).map((_, i) => Math.min(...r.map((x) => (x as number[])[i]))) : Math.min(...(r as number[]))),
  agg_logical_and: (r) => (r[0] as number[]).map((_, i) => (r.every((x) => (x as number[])[i] === 1) ? 1 : 0)),
  concat: (r) => (r as Reply[][]).flat(),
  key_order(parts, order, keys) {
    const out: Reply[] = new Array(keys);
    parts.forEach((p, i) => (p as Reply[]).forEach((v, j) => (out[order[i][j]] = v)));
    return out;
  },
  random_nonnull(r) {
    const found = r.filter((x) => x !== null);
    return found.length ? found[Math.floor(Math.random() * found.length)] : null;
  },
  sections: (r) => (r as string[]).map((text, i) => `# Shard ${i}\r\n${text}`).join("\r\n"),
};

export class Router {
  constructor(readonly shards: number) {}

  /** Plans a command that is not part of a transaction. */
  plan(argv: string[]): Plan {
    const single = (shard: number, args = argv): Plan => ({ parts: [{ shard, argv: args }], merge: first });
    const spec = COMMANDS.get(argv[0].toLowerCase());
    // Unknown or badly sized commands go to shard 0 alone, whose engine answers with Redis's error text.
    if (!plannable(spec, argv)) return single(0);
    const tips = routingTips(spec, argv);
    if (tips.request === "pubsub") return single(HUBS);
    if (this.shards === 1) return single(0);
    if (tips.request === "special") return this.planScan(argv);
    if (tips.request === "all_shards") return this.planAllShards(argv, tips.response ?? "all_succeeded");
    const positions = keyPositions(spec, argv);
    if (positions.length === 0) return single(0);
    const patternError = sortPatternError(argv);
    if (patternError) return { parts: [], merge: () => patternError };
    const shardOf = positions.map((p) => shardOfKey(argv[p], this.shards));
    const split = tips.request === "multi_shard";
    if (shardOf.every((s) => s === shardOf[0])) {
      // Same shard is not enough for a multi-key command: Redis Cluster requires one slot.
      if (split || positions.every((p) => keySlot(argv[p]) === keySlot(argv[positions[0]]))) return single(shardOf[0]);
      return { parts: [], merge: () => errorReply(crossSlot().message) };
    }
    if (!split) return { parts: [], merge: () => errorReply(crossSlot().message) };
    const byShard = new Map<number, { argv: string[]; order: number[] }>();
    positions.forEach((p, i) => {
      let group = byShard.get(shardOf[i]);
      if (!group) byShard.set(shardOf[i], (group = { argv: [argv[0]], order: [] }));
      for (let k = 0; k < spec.step; k++) group.argv.push(argv[p + k]);
      group.order.push(i);
    });
    const groups = [...byShard.entries()];
    const merge = MERGE[tips.response ?? "all_succeeded"];
    return {
      parts: groups.map(([shard, g]) => ({ shard, argv: g.argv })),
      merge: (replies) => firstError(replies) ?? merge(replies, groups.map(([, g]) => g.order), positions.length),
    };
  }

  private planAllShards(argv: string[], response: ResponsePolicy): Plan {
    const parts = Array.from({ length: this.shards }, (_, shard) => ({ shard, argv }));
    const merge = MERGE[response];
    return { parts, merge: (r) => firstError(r) ?? merge(r, [], 0) };
  }

  /** SCAN walks the shards in turn: cursor = inner cursor × shards + shard. */
  private planScan(argv: string[]): Plan {
    const cursor = /^\d+$/.test(argv[1]) ? BigInt(argv[1]) : null;
    if (cursor === null) return { parts: [{ shard: 0, argv }], merge: first };
    const n = BigInt(this.shards);
    const shard = Number(cursor % n);
    const inner = cursor / n;
    const args = [argv[0], inner.toString(), ...argv.slice(2)];
    return {
      parts: [{ shard, argv: args }],
      merge: ([r]) => {
        if (isErrorReply(r)) return r;
        const [next, keys] = r as [string, Reply[]];
        const nextInner = BigInt(next);
        let out: bigint;
        if (nextInner !== 0n) out = nextInner * n + BigInt(shard);
        else out = shard + 1 < this.shards ? BigInt(shard + 1) : 0n;
        return [out.toString(), keys];
      },
    };
  }

  /** The one shard a transaction runs on, or the CROSSSLOT error. */
  transactionShard(batch: string[][]): number | ErrorReply {
    if (this.shards === 1) return 0;
    let slot = -1;
    for (const argv of batch) {
      const spec = COMMANDS.get(argv[0].toLowerCase());
      // Pub/sub commands stay in the batch: the shard's engine refuses them inside a transaction.
      if (!plannable(spec, argv) || routingTips(spec, argv).request === "pubsub") continue;
      if (routingTips(spec, argv).request !== "keyed" && keyPositions(spec, argv).length === 0) return errorReply(crossSlot().message);
      const patternError = sortPatternError(argv);
      if (patternError) return patternError;
      for (const p of keyPositions(spec, argv)) {
        const s = keySlot(argv[p]);
        if (slot >= 0 && s !== slot) return errorReply(crossSlot().message);
        slot = s;
      }
    }
    return slot < 0 ? 0 : slotShard(slot, this.shards);
  }

  /** Runs a pipeline: plans each command, one RPC per shard, merges in order. */
  async pipeline(batch: string[][], readonly: boolean, call: ShardCaller, hubs?: HubCaller): Promise<{ replies: Reply[]; tokens: string[] }> {
    const plans = batch.map((argv) => this.plan(argv));
    const perShard = new Map<number, { batch: string[][]; slots: [number, number][] }>();
    plans.forEach((plan, i) =>
      plan.parts.forEach((part, j) => {
        let s = perShard.get(part.shard);
        if (!s) perShard.set(part.shard, (s = { batch: [], slots: [] }));
        s.batch.push(part.argv);
        s.slots.push([i, j]);
      }),
    );
    const partReplies: Reply[][] = plans.map((p) => new Array(p.parts.length));
    // The request's replies stay under MAX_REPLY_BYTES together: each shard called gets an equal part.
    const shardsCalled = perShard.size - (perShard.has(HUBS) ? 1 : 0);
    const replyBudget = Math.floor(MAX_REPLY_BYTES / Math.max(1, shardsCalled));
    const tokens: string[] = [];
    await Promise.all(
      [...perShard.entries()].map(async ([shard, s]) => {
        if (shard === HUBS) {
          const replies = hubs ? await hubs(s.batch, readonly) : s.batch.map(() => errorReply("ERR pub/sub is not available here"));
          s.slots.forEach(([i, j], k) => (partReplies[i][j] = replies[k]));
          return;
        }
        const result = await call(shard, s.batch, false, readonly, replyBudget);
        tokens[shard] = result.token;
        const replies = result.replies as Reply[];
        s.slots.forEach(([i, j], k) => (partReplies[i][j] = replies[k]));
      }),
    );
    return { replies: plans.map((p, i) => p.merge(partReplies[i])), tokens: tokens.filter((t) => t !== undefined) };
  }
}
