// Server commands: connection-level replies, keyspace-wide operations, INFO, CONFIG, persistence triggers.

import { type BgsaveOutcome, type CommandContext, type CommandSpec, type RewriteOutcome, type RoutingTips, command } from "../command.js";
import { RedisError, notInteger, syntaxError, unknownSubcommand, wrongArity } from "../errors.js";
import { OK, PONG, type Reply, errorReply, status } from "../reply.js";
import { intArg, opt, rangeArg } from "./args.js";
import { parseInt64 } from "../bytes.js";

/** PING [message] */
function ping(_ctx: CommandContext, argv: string[]): Reply {
  if (argv.length > 2) throw wrongArity("ping");
  return argv.length === 2 ? argv[1] : PONG;
}

/** ECHO message */
const echo = (_ctx: CommandContext, argv: string[]): Reply => argv[1];

/** TIME */
function time(ctx: CommandContext): Reply {
  const ms = ctx.now;
  return [String(Math.floor(ms / 1000)), String((ms % 1000) * 1000)];
}

/** DBSIZE */
function dbsize(ctx: CommandContext): Reply {
  return ctx.db.size;
}

/** FLUSHDB [ASYNC|SYNC] / FLUSHALL: propagated as sent (replay empties the keyspace the same way). */
function flush(ctx: CommandContext, argv: string[]): Reply {
  if (argv.length > 2) throw syntaxError();
  if (argv.length === 2 && !["ASYNC", "SYNC"].includes(opt(argv[1]))) throw syntaxError();
  // Count every key as a change, like Redis, so save rules see a FLUSHALL (and an empty one still propagates).
  ctx.dirty += ctx.db.size + 1;
  ctx.db.clear();
  ctx.rewrite([argv[0].toUpperCase()]);
  return OK;
}

/** SELECT index: one database per deployment, as in Redis Cluster. */
function select(_ctx: CommandContext, argv: string[]): Reply {
  const n = intArg(argv[1], () => new RedisError("ERR value is not an integer or out of range"));
  if (n !== 0) throw new RedisError("ERR DB index is out of range");
  return OK;
}

const VERSION = "7.0.15";

function infoSections(ctx: CommandContext): Map<string, () => [string, string | number][]> {
  const s = ctx.server;
  const db = ctx.db;
  const sections = new Map<string, () => [string, string | number][]>([
    [
      "server",
      () => [
        ["redis_version", VERSION],
        ["redis_git_sha1", "00000000"],
        ["redis_git_dirty", 0],
        ["redis_mode", "standalone"],
        ["os", "Cloudflare Workers"],
        ["arch_bits", 64],
        ["multiplexing_api", "workerd"],
        ["run_id", runId(s.startedAt)],
        ["server_time_usec", ctx.now * 1000],
        ["uptime_in_seconds", Math.floor((ctx.now - s.startedAt) / 1000)],
        ["uptime_in_days", Math.floor((ctx.now - s.startedAt) / 86400000)],
        ["hz", ctx.config.getNumber("hz")],
        ["configured_hz", ctx.config.getNumber("hz")],
      ],
    ],
    // Over REST every request is its own short-lived client: none stays connected.
    ["clients", () => [["connected_clients", 0], ["blocked_clients", 0], ["maxclients", 0]]],
    [
      "memory",
      () => [
        ["used_memory", db.usedMemory],
        ["used_memory_human", humanBytes(db.usedMemory)],
        ["used_memory_peak", Math.max(s.peakMemory, db.usedMemory)],
        ["used_memory_peak_human", humanBytes(Math.max(s.peakMemory, db.usedMemory))],
        ...ctx.scripting.memoryInfo(),
        ["maxmemory", ctx.config.getNumber("maxmemory")],
        ["maxmemory_human", humanBytes(ctx.config.getNumber("maxmemory"))],
        ["maxmemory_policy", ctx.config.get("maxmemory-policy")],
      ],
    ],
  ]);
  // The host's sections (persistence) go where Redis puts them: after memory, before stats.
  for (const [name, f] of s.sections) sections.set(name, f);
  sections.set("stats", () => [
    ["total_commands_processed", s.commandsProcessed],
    ["expired_keys", s.expiredKeys],
    ["evicted_keys", s.evictedKeys],
    ["keyspace_hits", s.keyspaceHits],
    ["keyspace_misses", s.keyspaceMisses],
    // No fork: the pause of the last forkless cut, and the cuts taken (snapshots and rewrites).
    ["latest_fork_usec", s.latestForkUsec],
    ["total_forks", s.totalForks],
  ]);
  sections.set("keyspace", () => {
    if (db.size === 0) return [];
    return [["db0", `keys=${db.size},expires=${db.expires.size},avg_ttl=0`]];
  });
  return sections;
}

/** A stable 40-hex-digit id for this engine's lifetime (Redis's run_id), from its start time. */
function runId(startedAt: number): string {
  let h = 0x811c9dc5;
  let out = "";
  for (let i = 0; out.length < 40; i++) {
    h = Math.imul(h ^ ((startedAt / 2 ** (i % 7)) & 0xff) ^ i, 0x01000193) >>> 0;
    out += h.toString(16).padStart(8, "0");
  }
  return out.slice(0, 40);
}

export function humanBytes(n: number): string {
  if (n < 1024) return `${n}B`;
  const units = ["K", "M", "G", "T"];
  let v = n;
  let i = -1;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(2)}${units[i]}`;
}

/** INFO [section …] */
function info(ctx: CommandContext, argv: string[]): Reply {
  const sections = infoSections(ctx);
  const wanted = argv.slice(1).map((a) => a.toLowerCase());
  const all = wanted.length === 0 || wanted.some((w) => w === "all" || w === "everything" || w === "default");
  const parts: string[] = [];
  for (const [name, fields] of sections) {
    if (!all && !wanted.includes(name)) continue;
    const lines = fields().map(([k, v]) => `${k}:${v}`);
    parts.push(`# ${name[0].toUpperCase()}${name.slice(1)}\r\n${lines.map((l) => l + "\r\n").join("")}`);
  }
  return parts.join("\r\n");
}

/** CONFIG GET pattern [pattern …] | SET name value [name value …] | RESETSTAT | REWRITE | HELP */
function config(ctx: CommandContext, argv: string[]): Reply {
  const sub = argv[1].toLowerCase();
  if (sub === "get" && argv.length >= 3) return ctx.config.match(argv.slice(2));
  if (sub === "set" && argv.length >= 4 && argv.length % 2 === 0) {
    const pairs: [string, string][] = [];
    for (let i = 2; i < argv.length; i += 2) pairs.push([argv[i], argv[i + 1]]);
    ctx.config.set(pairs);
    return OK;
  }
  if (sub === "resetstat" && argv.length === 2) {
    ctx.server.commandsProcessed = 0;
    ctx.server.expiredKeys = 0;
    ctx.server.evictedKeys = 0;
    ctx.server.keyspaceHits = 0;
    ctx.server.keyspaceMisses = 0;
    ctx.server.peakMemory = ctx.db.usedMemory;
    ctx.server.latestForkUsec = 0;
    ctx.server.totalForks = 0;
    return OK;
  }
  if (sub === "rewrite" && argv.length === 2) return OK;
  if (sub === "help" && argv.length === 2) {
    return ["CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", "GET <pattern>", "SET <directive> <value>", "RESETSTAT", "REWRITE", "HELP"];
  }
  if (["get", "set", "resetstat", "rewrite", "help"].includes(sub)) {
    throw new RedisError(`ERR unknown subcommand or wrong number of arguments for '${argv[1]}'. Try CONFIG HELP.`);
  }
  throw unknownSubcommand(argv[1], "CONFIG");
}

function requireHost(ctx: CommandContext) {
  if (!ctx.server.host) throw new RedisError("ERR persistence is not available in this context");
  return ctx.server.host;
}

/** Redis's texts for BGSAVE's outcomes (the admin API answers them as well). */
export const BGSAVE_TEXT: Record<BgsaveOutcome, string> = {
  started: "Background saving started",
  scheduled: "Background saving scheduled",
  "in-progress": "Background save already in progress",
  busy: "Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
};

/** Redis's texts for BGREWRITEAOF's outcomes. */
export const BGREWRITEAOF_TEXT: Record<RewriteOutcome, string> = {
  started: "Background append only file rewriting started",
  scheduled: "Background append only file rewriting scheduled",
  "in-progress": "Background append only file rewriting already in progress",
  failed: "Can't execute an AOF background rewriting. Please check the server logs for more information.",
};

/** Started and scheduled are statuses; the rest are Redis's errors. */
const jobReply = (outcome: string, text: string): Reply => (outcome === "started" || outcome === "scheduled" ? status(text) : errorReply(`ERR ${text}`));

/** SAVE: its OK is provisional until the host's save has ended (the shard settles it before replying). */
function save(ctx: CommandContext): Reply {
  if (requireHost(ctx).save() === "in-progress") throw new RedisError("ERR Background save already in progress");
  const reply = status("OK");
  ctx.server.savesPending.push(reply);
  return reply;
}
/** BGSAVE [SCHEDULE] */
function bgsave(ctx: CommandContext, argv: string[]): Reply {
  if (argv.length === 2 && opt(argv[1]) !== "SCHEDULE") throw syntaxError();
  const outcome = requireHost(ctx).bgsave(argv.length === 2);
  return jobReply(outcome, BGSAVE_TEXT[outcome]);
}
/** BGREWRITEAOF */
function bgrewriteaof(ctx: CommandContext): Reply {
  const outcome = requireHost(ctx).bgrewriteaof();
  return jobReply(outcome, BGREWRITEAOF_TEXT[outcome]);
}
/** LASTSAVE */
const lastsave = (ctx: CommandContext): Reply => requireHost(ctx).lastsave();

const LONG_MAX = 2n ** 63n - 1n;

/** A timeout in milliseconds, read as Redis 7.0's getTimeoutFromObjectOrReply reads one. */
function timeoutArg(arg: string): bigint {
  const timeout = parseInt64(arg);
  if (timeout === null) throw new RedisError("ERR timeout is not an integer or out of range");
  if (timeout < 0n) throw new RedisError("ERR timeout is negative");
  return timeout;
}

/**
 * WAITAOF numlocal numreplicas timeout (Redis 7.2): every write before it is durable (its log row
 * committed) before the reply, `[1, 0]`. There are no replicas and nothing blocks over HTTP, so a
 * wait for replicas answers at once what Redis answers when its timeout ends (with timeout 0 Redis
 * would wait forever): the local count and 0 replicas. Inside a transaction, which may not block in
 * Redis either, the local count says whether everything before it was already durable.
 */
function waitaof(ctx: CommandContext, argv: string[]): Reply {
  const numlocal = rangeArg(argv[1], 0n, 1n);
  rangeArg(argv[2], 0n, LONG_MAX, "ERR value is out of range, must be positive");
  const timeout = timeoutArg(argv[3]);
  if (timeout > LONG_MAX - BigInt(ctx.now)) throw new RedisError("ERR timeout is out of range");
  const host = requireHost(ctx);
  if (numlocal > 0n && !host.aofEnabled()) throw new RedisError("ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.");
  const allHanded = ctx.propagateNow();
  const local = host.syncAof();
  return [allHanded ? local : 0, 0];
}

/**
 * WAIT numreplicas timeout. A shard has no replicas, so none ever acknowledges: 0. Redis blocks until
 * the timeout when numreplicas is more; over HTTP it answers at once, as the blocking commands do.
 * Fanned out to every shard (Redis's request_policy:all_shards), the least count wins (agg_min).
 */
function wait(_ctx: CommandContext, argv: string[]): Reply {
  if (parseInt64(argv[1]) === null) throw notInteger();
  // Redis 7.0 takes any timeout up to LLONG_MAX (WAITAOF, from 7.2, also refuses one that overflows).
  timeoutArg(argv[2]);
  return 0;
}

/** CONFIG reaches every shard: SET, RESETSTAT and REWRITE as Redis's tips say (all_nodes); GET and the rest too, answered by the first shard (each holds the same configuration). */
const configTips = (argv: string[]): RoutingTips =>
  ["set", "resetstat", "rewrite"].includes(argv[1]?.toLowerCase()) ? { request: "all_nodes", response: "all_succeeded" } : { request: "all_shards", response: "all_succeeded" };

/** COMMAND COUNT (enough for clients that probe it) */
function commandCmd(_ctx: CommandContext, argv: string[]): Reply {
  if (argv.length >= 2 && argv[1].toLowerCase() === "count") return countCommands();
  return [];
}
let countCommands: () => number = () => 0;
export function setCommandCounter(f: () => number): void {
  countCommands = f;
}

export const serverCommands: CommandSpec[] = [
  command("ping", -1, ["fast"], [0, 0, 0], ping),
  command("echo", 2, ["fast", "loading"], [0, 0, 0], echo),
  command("time", 1, ["fast", "loading"], [0, 0, 0], time),
  command("select", 2, ["fast", "loading"], [0, 0, 0], select),
  command("dbsize", 1, ["readonly", "fast"], [0, 0, 0], dbsize, { request: "all_shards", response: "agg_sum" }),
  command("flushdb", -1, ["write"], [0, 0, 0], flush, { request: "all_shards", response: "all_succeeded" }),
  command("flushall", -1, ["write"], [0, 0, 0], flush, { request: "all_shards", response: "all_succeeded" }),
  command("info", -1, ["loading"], [0, 0, 0], info, { request: "all_shards", response: "sections" }),
  {
    ...command("config", -2, ["admin", "notxn", "loading", "noscript"], [0, 0, 0], config, configTips),
    // Redis files CONFIG GET under @admin too; here it stays open to the data and read-only tokens, as
    // clients and dashboards read settings with the token they have.
    subcommands: {
      get: { arity: -3, flags: ["loading", "noscript"] },
      set: { arity: -4, flags: ["admin", "loading", "noscript"] },
      resetstat: { arity: 2, flags: ["admin", "loading", "noscript"] },
      rewrite: { arity: 2, flags: ["admin", "loading", "noscript"] },
      help: { arity: 2, flags: ["loading"] },
    },
  },
  command("save", 1, ["admin", "notxn", "noscript"], [0, 0, 0], save, { request: "all_shards", response: "all_succeeded" }),
  command("bgsave", -1, ["admin", "notxn", "noscript"], [0, 0, 0], bgsave, { request: "all_shards", response: "all_succeeded" }),
  command("bgrewriteaof", 1, ["admin", "notxn", "noscript"], [0, 0, 0], bgrewriteaof, { request: "all_shards", response: "all_succeeded" }),
  command("wait", 3, ["noscript"], [0, 0, 0], wait, { request: "all_shards", response: "agg_min" }),
  command("waitaof", 4, ["noscript"], [0, 0, 0], waitaof, { request: "all_shards", response: "agg_min" }),
  // In Redis's @admin category, but open to every token here: a client polls it to see its BGSAVE finish.
  command("lastsave", 1, ["loading"], [0, 0, 0], lastsave, { request: "all_shards", response: "agg_min" }),
  command("command", -1, ["loading"], [0, 0, 0], commandCmd),
];
