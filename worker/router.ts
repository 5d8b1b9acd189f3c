// Routes commands to shards: finds keys from the command table, maps them to slots and shards,
// splits the multi-key commands that may span shards, fans out keyspace-wide ones, and merges
// replies back in request order. One RPC per shard per request.

import {
  type CommandSpec,
  type RequestPolicy,
  type ResponsePolicy,
  type RoutingTips,
  type TokenAccess,
  arityOk,
  keyGroupsWhole,
  keyPositions,
  routingTips,
} from "../durable-objects/engine/command.js";
import { COMMANDS } from "../durable-objects/engine/commands/index.js";
import { crossSlot } from "../durable-objects/engine/errors.js";
import { type ErrorReply, type Reply, errorReply, isErrorReply } from "../durable-objects/engine/reply.js";
import { MAX_REPLY_BYTES } from "../durable-objects/engine/reply-budget.js";
import { keySlot, patternSlot, slotShard } from "../durable-objects/engine/slots.js";
import type { ShardResult } from "../durable-objects/shard.js";
import { shardOfKey } from "./shards.js";

/**
 * The refusal for a command whose pattern-formed keys (its tips' patternKeys: SORT's BY and GET) may
 * fall outside its first key's slot, as Redis Cluster refuses them; null when every pattern stays in it.
 */
function patternError(tips: RoutingTips, argv: string[], firstKey: string): ErrorReply | null {
  if (!tips.patternKeys) return null;
  const slot = keySlot(firstKey);
  for (const { pattern, refusal } of tips.patternKeys(argv)) if (patternSlot(pattern) !== slot) return errorReply(refusal);
  return null;
}

/** Whether the router may plan the command: known, and the right number of arguments for its keys. */
const plannable = (spec: CommandSpec | undefined, argv: string[]): spec is CommandSpec =>
  spec !== undefined && arityOk(spec, argv.length) && keyGroupsWhole(spec, argv.length);

export type { ShardResult };

export interface ShardCaller {
  /** `replyBudget`: the bytes this shard's replies may take (MAX_REPLY_BYTES when absent). */
  (shard: number, batch: string[][], atomic: boolean, access: TokenAccess, replyBudget?: number): Promise<ShardResult>;
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

/** A merge of the parts' replies. `order` holds, for a split command, the positions of each part's keys among the `keys` sent. */
type Merge = (parts: Reply[], order: number[][], keys: number) => Reply;

/** Answers the first error if any part failed, else merges the replies. */
const unlessError =
  (merge: Merge): Merge =>
  (parts, order, keys) =>
    firstError(parts) ?? merge(parts, order, keys);

/** One merge per response policy (see ResponsePolicy). */
const MERGE: Record<ResponsePolicy, Merge> = {
  one_succeeded: (r) => r.find((x) => !isErrorReply(x)) ?? r[0],
  all_succeeded: unlessError((r) => r[0]),
  agg_sum: unlessError((r) => r.reduce<number>((a, b) => a + (b as number), 0)),
  // Element by element for arrays (WAITAOF's [local, replicas]).
  agg_min: unlessError((r) =>
    Array.isArray(r[0]) ? (r[0] as number[]).map((_, i) => Math.min(...r.map((x) => (x as number[])[i]))) : Math.min(...(r as number[])),
  ),
  agg_logical_and: unlessError((r) => (r[0] as number[]).map((_, i) => (r.every((x) => (x as number[])[i] === 1) ? 1 : 0))),
  concat: unlessError((r) => (r as Reply[][]).flat()),
  key_order: unlessError((parts, order, keys) => {
    const out: Reply[] = new Array(keys);
    parts.forEach((p, i) => (p as Reply[]).forEach((v, j) => (out[order[i][j]] = v)));
    return out;
  }),
  random_nonnull: unlessError((r) => {
    const found = r.filter((x) => x !== null);
    return found.length ? found[Math.floor(Math.random() * found.length)] : null;
  }),
  sections: unlessError((r) => (r as string[]).map((text, i) => `# Shard ${i}\r\n${text}`).join("\r\n")),
};

const refused = (error: ErrorReply): Plan => ({ parts: [], merge: () => error });

/** How a command with this request policy is planned over several shards (one shard plans every command as `single`). */
type Planner = (router: Router, argv: string[], spec: CommandSpec, tips: RoutingTips) => Plan;

/** One planner per request policy (see RequestPolicy). */
const PLAN: Record<RequestPolicy, Planner> = {
  keyed: (router, argv, spec, tips) => router.planKeys(argv, spec, tips, false),
  multi_shard: (router, argv, spec, tips) => router.planKeys(argv, spec, tips, true),
  all_shards: (router, argv, _spec, tips) => router.planAllShards(argv, tips.response ?? "all_succeeded"),
  all_nodes: (router, argv, _spec, tips) => router.planAllShards(argv, tips.response ?? "all_succeeded"),
  special: (router, argv) => router.planCursor(argv),
  pubsub: (_router, argv) => ({ parts: [{ shard: HUBS, argv }], merge: first }),
};

export class Router {
  constructor(readonly shards: number) {}

  /** Plans a command that is not part of a transaction. */
  plan(argv: string[]): Plan {
    const spec = COMMANDS.get(argv[0].toLowerCase());
    // Unknown or badly sized commands go to shard 0 alone, whose engine answers with Redis's error text.
    if (!plannable(spec, argv)) return this.single(0, argv);
    const tips = routingTips(spec, argv);
    if (this.shards === 1 && tips.request !== "pubsub") return this.single(0, argv);
    return PLAN[tips.request](this, argv, spec, tips);
  }

  private single(shard: number, argv: string[]): Plan {
    return { parts: [{ shard, argv }], merge: first };
  }

  /** By its keys: one shard (a keyed command's keys must share a slot), or split by shard (multi_shard). */
  planKeys(argv: string[], spec: CommandSpec, tips: RoutingTips, split: boolean): Plan {
    const positions = keyPositions(spec, argv);
    if (positions.length === 0) return this.single(0, argv);
    const patternRefusal = patternError(tips, argv, argv[positions[0]]);
    if (patternRefusal) return refused(patternRefusal);
    const shardOf = positions.map((p) => shardOfKey(argv[p], this.shards));
    if (shardOf.every((s) => s === shardOf[0])) {
      // Same shard is not enough for a multi-key command: Redis Cluster requires one slot.
      if (split || positions.every((p) => keySlot(argv[p]) === keySlot(argv[positions[0]]))) return this.single(shardOf[0], argv);
      return refused(errorReply(crossSlot().message));
    }
    if (!split) return refused(errorReply(crossSlot().message));
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
      merge: (replies) => merge(replies, groups.map(([, g]) => g.order), positions.length),
    };
  }

  /** Every shard runs it; the replies merge by the response policy. */
  planAllShards(argv: string[], response: ResponsePolicy): Plan {
    const parts = Array.from({ length: this.shards }, (_, shard) => ({ shard, argv }));
    const merge = MERGE[response];
    return { parts, merge: (r) => merge(r, [], 0) };
  }

  /** SCAN walks the shards in turn: cursor = inner cursor × shards + shard. */
  planCursor(argv: string[]): Plan {
    const cursor = /^\d+$/.test(argv[1]) ? BigInt(argv[1]) : null;
    if (cursor === null) return this.single(0, argv);
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
      if (!plannable(spec, argv)) continue;
      const tips = routingTips(spec, argv);
      if (tips.request === "pubsub") continue;
      const positions = keyPositions(spec, argv);
      // A fanned-out command cannot run inside one shard's transaction.
      if (tips.request !== "keyed" && positions.length === 0) return errorReply(crossSlot().message);
      if (positions.length > 0) {
        const patternRefusal = patternError(tips, argv, argv[positions[0]]);
        if (patternRefusal) return patternRefusal;
      }
      for (const p of positions) {
        const s = keySlot(argv[p]);
        if (slot >= 0 && s !== slot) return errorReply(crossSlot().message);
        slot = s;
      }
    }
    return slot < 0 ? 0 : slotShard(slot, this.shards);
  }

  /** Runs a pipeline: plans each command, one RPC per shard, merges in order. */
  async pipeline(batch: string[][], access: TokenAccess, call: ShardCaller, hubs?: HubCaller): Promise<{ replies: Reply[]; tokens: string[] }> {
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
          const replies = hubs ? await hubs(s.batch, access === "readonly") : s.batch.map(() => errorReply("ERR pub/sub is not available here"));
          s.slots.forEach(([i, j], k) => (partReplies[i][j] = replies[k]));
          return;
        }
        const result = await call(shard, s.batch, false, access, replyBudget);
        tokens[shard] = result.token;
        const replies = result.replies as Reply[];
        s.slots.forEach(([i, j], k) => (partReplies[i][j] = replies[k]));
      }),
    );
    return { replies: plans.map((p, i) => p.merge(partReplies[i])), tokens: tokens.filter((t) => t !== undefined) };
  }
}
