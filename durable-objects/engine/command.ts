// The command table's shape: one declarative entry per command (arity with Redis's sign convention,
// flags, key positions) and its handler. Only the dispatcher reads arity, keys and flags.

import type { Config } from "./config.js";
import type { Scripting } from "./scripting/scripting.js";
import type { Keyspace } from "./keyspace.js";
import type { Reply } from "./reply.js";
import { type DiskError, type RedisError, noPermission } from "./errors.js";
import type { GrowthEstimate } from "./growth.js";
import type { ReplyEstimate } from "./reply-budget.js";

export type CommandFlag =
  | "write" // may modify the dataset
  | "readonly" // reads only
  | "denyoom" // refused when used memory is over maxmemory
  | "fast" // O(1) or O(log n)
  | "admin" // server administration (Redis's @admin): refused to the data and read-only tokens
  | "noreadonlytoken" // refused for a read-only token though it writes nothing (KEYS, SCAN)
  | "notxn" // not allowed inside /multi-exec
  | "loading" // answered while the shard loads its dataset (Redis's CMD_LOADING: INFO, TIME, CONFIG, …)
  | "nopropagate" // never logged even when it reports a change (e.g. CONFIG SET is logged by the shard itself)
  | "noscript" // refused from a script's redis.call (Redis's CMD_NOSCRIPT: transactions, blocking, scripting, persistence, WAITAOF)
  | "script"; // runs a script: its effects propagate as one MULTI … EXEC

export interface CommandContext {
  readonly db: Keyspace;
  readonly config: Config;
  /** The time the command started, in ms (Redis's cached mstime); replies and expiries use it. */
  readonly now: number;
  /** Random numbers for SPOP, RANDOMKEY, …: their effects are propagated, so replay needs none. */
  random(): number;
  /** Count of changes made; a write that bumps it is propagated as sent unless rewritten. */
  dirty: number;
  /** Propagate these commands instead of the one sent (SET EX → SET PXAT, SPOP → SREM, …). */
  rewrite(...commands: string[][]): void;
  /**
   * Hands the records propagated so far to the sink now, instead of at the batch's end (WAITAOF).
   * Inside a transaction its records go out as one MULTI … EXEC at its end: nothing is handed, and
   * the result says whether the transaction has propagated anything yet (false: it has).
   */
  propagateNow(): boolean;
  /**
   * Raises a keyspace notification (Redis's notifyKeyspaceEvent: a NOTIFY_* class from notify.ts, the
   * event name, the key), where Redis raises it; nothing when the class is off or the shard is loading.
   */
  notify(type: number, event: string, key: string): void;
  /** Whether the shard is replaying its log (no propagation, no lazy expiry). */
  readonly loading: boolean;
  /**
   * Bytes this command's reply may take: what is left of the request's reply budget (Infinity while
   * loading). A read past WALK_ABOVE_ELEMENTS checks its reply's size against it before building it
   * (roomToSize, ensureReplyRoom in reply-budget.ts); every reply is charged after as well. A call,
   * as it may walk the replies before it that were charged a bound.
   */
  replyRoom(): number;
  /**
   * Set by a handler that counted its reply's bytes while building it, as replyBytes counts them for
   * base64 or RESP: the budget charges that instead of walking the reply (a reply sent as JSON text is
   * still walked). -1: not counted.
   */
  replyBytes: number;
  /** Engine-wide facts a server command reports (INFO, DBSIZE, …). */
  readonly server: ServerInfo;
  /** The script cache and function libraries (EVAL, SCRIPT, FUNCTION, FCALL). */
  readonly scripting: Scripting;
}

/** What INFO and friends read from outside the keyspace; the Durable Object fills in its part. */
export interface ServerInfo {
  startedAt: number;
  commandsProcessed: number;
  expiredKeys: number;
  evictedKeys: number;
  /** Lookups of keys by read commands that found the key, and that did not (keyspace_hits/misses). */
  keyspaceHits: number;
  keyspaceMisses: number;
  /** The highest used_memory seen (used_memory_peak), sampled after each write. */
  peakMemory: number;
  /**
   * INFO stats' fork fields in their forkless meaning, kept by the host: the pause of the last cut
   * of the keyspace (a snapshot's or a rewrite's), in µs, and the cuts taken.
   */
  latestForkUsec: number;
  totalForks: number;
  /** Extra INFO sections (e.g. persistence) supplied by the host. */
  sections: Map<string, () => [string, string | number][]>;
  /** Persistence operations the host (the Durable Object) implements; absent in a bare engine. */
  host?: PersistenceHost;
  /** SAVE replies of the batch being run whose save the host has not finished yet (Engine.settleSaves). */
  savesPending: Reply[];
  /** FUNCTION DUMP / RESTORE's payload format (Redis's DUMP format: RDB records, version, CRC64), from persistence. */
  functionPayload?: FunctionPayloadCodec;
}

export interface FunctionPayloadCodec {
  /** The libraries' codes as one payload. */
  dump(codes: string[]): string;
  /** The codes a payload holds, or Redis's error text (without "ERR "). */
  restore(payload: string): string[] | string;
}

/**
 * What the host did with SAVE, BGSAVE or BGREWRITEAOF; the engine turns each into Redis's reply.
 * - `started`: running now (SAVE: the batch's reply waits for it, see Engine.settleSaves).
 * - `scheduled`: another job holds the shard's snapshotter or log; this one starts when it ends.
 * - `in-progress`: the same job is already running.
 * - `busy`: BGSAVE without SCHEDULE while a rewrite runs (Redis: another child process is active).
 * - `failed`: the rewrite could not start (the log cannot write its buffer).
 */
export type SaveOutcome = "started" | "in-progress";
export type BgsaveOutcome = "started" | "scheduled" | "in-progress" | "busy";
export type RewriteOutcome = "started" | "scheduled" | "in-progress" | "failed";

/** What SAVE, BGSAVE, BGREWRITEAOF, LASTSAVE and WAITAOF ask of the host: outcomes, not reply texts. */
export interface PersistenceHost {
  save(): SaveOutcome;
  bgsave(schedule: boolean): BgsaveOutcome;
  bgrewriteaof(): RewriteOutcome;
  lastsave(): number;
  /** Whether the AOF is on (WAITAOF's numlocal needs it). */
  aofEnabled(): boolean;
  /**
   * WAITAOF's local part: makes every record handed to the sink so far durable (its row written in
   * this turn, so the reply waits for its commit) and returns 1, or 0 when the log cannot say so
   * (no AOF, or one being turned on whose first base is not written yet).
   */
  syncAof(): number;
  /**
   * Why write commands (and PING) are refused, as Redis refuses them while it cannot persist: a log
   * write failed and no retry has succeeded yet, or the last snapshot failed with
   * stop-writes-on-bgsave-error and save rules. Null when writes are accepted.
   */
  writesDenied?(): DiskError | null;
}

export type Handler = (ctx: CommandContext, argv: string[]) => Reply;

/**
 * How the worker routes a command over several shards: Redis's command tips (`request_policy:…`,
 * `response_policy:…` in its command JSON, what COMMAND INFO reports) as data on the command's row.
 * The router (worker/router.ts) has one planner per request policy and one merge per response
 * policy, and no command names. A command that needs a new policy adds its name to the type here, a
 * planner or merge in the router's table, and the tips on its row (see WAIT, SCRIPT KILL).
 *
 * Request policies:
 * - `keyed` (Redis: no tip; the default): the shard of its keys, which must share one slot (else
 *   CROSSSLOT); no keys: shard 0.
 * - `multi_shard`: its keys may span shards; it is split into one command per shard holding that
 *   shard's keys (each key with the `step - 1` arguments after it), and the replies merged.
 * - `all_shards`: every shard runs it; the replies merged.
 * - `all_nodes`: Redis's "masters and replicas alike" (CONFIG SET, SCRIPT LOAD); a shard has no replicas, so every shard.
 * - `special`: the cursor walk (SCAN): the cursor names the shard and that shard's own cursor.
 * - `pubsub` (ours): no shard runs it; the pub/sub hubs answer it (PUBLISH, SPUBLISH, PUBSUB).
 */
export type RequestPolicy = "keyed" | "multi_shard" | "all_shards" | "all_nodes" | "special" | "pubsub";

/**
 * How the replies of a split or fanned-out command merge. Every policy but `one_succeeded` answers
 * the first error reply if any part failed.
 * - `one_succeeded`: the first reply that is not an error, else the first error (SCRIPT KILL: at
 *   most one shard runs a script).
 * - `all_succeeded`: the first shard's reply (they agree: OK, CONFIG GET's values, …).
 * - `agg_sum` / `agg_min`: the sum / the least of integer replies (agg_min: element by element of arrays).
 * - `agg_logical_and`: element by element over arrays of 0/1 (SCRIPT EXISTS).
 * - `concat`: arrays joined (KEYS: Redis's default for a keyless command's arrays).
 * - `key_order`: one element per key, put back in the order of the keys sent (MGET: Redis's default
 *   for a multi_shard command's arrays).
 * - `random_nonnull`: one non-null reply at random, else null (RANDOMKEY).
 * - `sections`: texts joined under a `# Shard N` heading each (INFO: Redis's `special`).
 */
export type ResponsePolicy =
  | "one_succeeded"
  | "all_succeeded"
  | "agg_sum"
  | "agg_min"
  | "agg_logical_and"
  | "concat"
  | "key_order"
  | "random_nonnull"
  | "sections";

/** A key a command forms from a pattern (SORT's BY and GET), and its refusal when that key may sit in another slot. */
export interface PatternKey {
  pattern: string;
  refusal: string;
}

export interface RoutingTips {
  request: RequestPolicy;
  response?: ResponsePolicy;
  /**
   * Keys the table cannot list because the command forms them from patterns. With several shards a
   * pattern must put every key it forms in the first key's slot, else its refusal is the reply.
   */
  patternKeys?: (argv: string[]) => PatternKey[];
}

const KEYED: RoutingTips = { request: "keyed" };

/** A command's routing tips for these arguments (a command's subcommands may route differently). */
export function routingTips(spec: CommandSpec, argv: string[]): RoutingTips {
  const tips = spec.tips;
  if (tips === undefined) return KEYED;
  return typeof tips === "function" ? tips(argv) : tips;
}

export interface CommandSpec {
  /** Lower-case name. */
  name: string;
  /** Argument count including the name; negative means "at least -arity". */
  arity: number;
  flags: readonly CommandFlag[];
  /** The flags as booleans, every flag present (`spec.is.write`): what the dispatcher tests on every command. */
  is: Readonly<Record<CommandFlag, boolean>>;
  /** Position of the first key (0: no keys), the last (negative counts from the end), and the step. */
  firstKey: number;
  lastKey: number;
  step: number;
  /** For commands whose key positions depend on their arguments (ZUNIONSTORE numkeys, SORT STORE, …). */
  keys?: (argv: string[]) => number[];
  /** How the worker routes it over several shards; absent: by its keys. */
  tips?: RoutingTips | ((argv: string[]) => RoutingTips);
  /**
   * For a write that may grow memory beyond the arguments it carries (large offsets, *STORE, COPY):
   * an estimate of that growth, checked against maxmemory before the command runs.
   */
  growth?: GrowthEstimate;
  /**
   * A container command's subcommands (CONFIG GET, CONFIG SET, …) with their own arity and flags, as
   * Redis's command table has them: the token checks read these, and name a refused one `container|sub`.
   */
  subcommands?: Readonly<Record<string, { arity: number; flags: readonly CommandFlag[] }>>;
  /** The reply's estimate made before it runs, from REPLY_ESTIMATES (filled in by the table, commands/index.ts). */
  replyEstimate?: ReplyEstimate;
  /** From REPLY_WITHIN_KEY (filled in by the table): the argument count with which its reply is within its key's collection (0: any). */
  replyWithinKey?: number;
  handler: Handler;
}

export function command(
  name: string,
  arity: number,
  flags: readonly CommandFlag[],
  keys: [first: number, last: number, step: number] | ((argv: string[]) => number[]),
  handler: Handler,
  tips?: CommandSpec["tips"],
): CommandSpec {
  // Every entry has every field, in one order: the dispatcher's reads of them stay monomorphic.
  const [firstKey, lastKey, step] = typeof keys === "function" ? [0, 0, 0] : keys;
  return {
    name,
    arity,
    flags,
    is: flagSet(flags),
    firstKey,
    lastKey,
    step,
    keys: typeof keys === "function" ? keys : undefined,
    tips,
    growth: undefined,
    subcommands: undefined,
    replyEstimate: undefined,
    replyWithinKey: undefined,
    handler,
  };
}

// Every flag once (the type checker refuses a missing one).
const FLAG_NAMES: Record<CommandFlag, true> = {
  write: true,
  readonly: true,
  denyoom: true,
  fast: true,
  admin: true,
  noreadonlytoken: true,
  notxn: true,
  loading: true,
  nopropagate: true,
  noscript: true,
  script: true,
};
const ALL_FLAGS = Object.keys(FLAG_NAMES) as CommandFlag[];

/** Every flag, true where `flags` has it, in one order (one object shape for all entries). */
function flagSet(flags: readonly CommandFlag[]): Record<CommandFlag, boolean> {
  const is = {} as Record<CommandFlag, boolean>;
  for (const f of ALL_FLAGS) is[f] = flags.includes(f);
  return is;
}

/** The table entry with a growth estimate (see CommandSpec.growth). */
export function withGrowth(spec: CommandSpec, growth: GrowthEstimate): CommandSpec {
  return { ...spec, growth };
}

/** Argument positions of the keys in argv, from the table entry. */
export function keyPositions(spec: CommandSpec, argv: string[]): number[] {
  if (spec.keys) return spec.keys(argv);
  if (spec.firstKey === 0) return [];
  const last = spec.lastKey < 0 ? argv.length + spec.lastKey : spec.lastKey;
  const out: number[] = [];
  for (let i = spec.firstKey; i <= last && i < argv.length; i += spec.step) out.push(i);
  return out;
}

/**
 * What a request's token may run. `admin` runs everything; `write` (the data token) everything but
 * Redis's @admin commands; `readonly` neither those nor writes. Code that runs commands on its own
 * behalf (replay, restore, tests) runs as `admin`.
 */
export type TokenAccess = "readonly" | "write" | "admin";

/**
 * The NOPERM refusal a token gets for this command, or null. Redis checks ACLs after the command,
 * subcommand and arity lookups, so an unknown subcommand, or one of the wrong arity, is not refused
 * here: its handler answers Redis's error for it.
 */
export function tokenRefusal(spec: CommandSpec, argv: string[], access: TokenAccess): RedisError | null {
  if (access === "admin") return null;
  let name = spec.name;
  let flags = spec.flags;
  if (spec.subcommands !== undefined) {
    const sub = argv.length > 1 ? argv[1].toLowerCase() : "";
    const entry = Object.hasOwn(spec.subcommands, sub) ? spec.subcommands[sub] : undefined;
    if (entry === undefined || !arityOk(entry, argv.length)) return null;
    name = `${spec.name}|${sub}`;
    flags = entry.flags;
  }
  if (flags.includes("admin")) return noPermission(name);
  if (access === "readonly" && (flags.includes("write") || flags.includes("noreadonlytoken"))) return noPermission(name);
  return null;
}

export function arityOk(spec: { arity: number }, argc: number): boolean {
  return spec.arity >= 0 ? argc === spec.arity : argc >= -spec.arity;
}

/**
 * Whether keys that run to the end in groups (MSET's key and value) end with a whole group. Redis's
 * handler checks this after the arity (in a script too, with its own text); the router checks it
 * first, so that a short last group is refused before a split command reaches any shard.
 */
export function keyGroupsWhole(spec: CommandSpec, argc: number): boolean {
  return spec.step <= 1 || spec.lastKey !== -1 || (argc - spec.firstKey) % spec.step === 0;
}
