// MEMORY USAGE/STATS/DOCTOR/MALLOC-STATS/PURGE/HELP, from the keyspace's own memory accounting (the
// same figures used_memory and maxmemory use), in Redis 7.0's reply shapes and error texts.

import { formatDouble } from "../bytes.js";
import { type CommandContext, type CommandSpec, command } from "../command.js";
import { syntaxError, unknownSubcommand, wrongArity } from "../errors.js";
import { OK, type Reply } from "../reply.js";
import { valueMemory } from "../types/index.js";
import { MAP_ENTRY, keyCost } from "../types/memory.js";
import { int64Arg } from "./args.js";

/** Bytes an expiry entry costs (as the keyspace charges it). */
const EXPIRE_ENTRY = 24;

/** MEMORY's subcommands and their arities (negative: at least). */
const SUBCOMMANDS = new Map([
  ["usage", -3],
  ["stats", 2],
  ["doctor", 2],
  ["malloc-stats", 2],
  ["purge", 2],
  ["help", 2],
]);

const HELP = [
  "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "DOCTOR",
  "    Return memory problems reports.",
  "MALLOC-STATS",
  "    Return internal statistics report from the memory allocator.",
  "PURGE",
  "    Attempt to purge dirty pages for reclamation by the allocator.",
  "STATS",
  "    Return information about the memory usage of the server.",
  "USAGE <key> [SAMPLES <count>]",
  "    Return memory in bytes used by <key> and its value. Nested values are",
  "    sampled up to <count> times (default: 5, 0 means sample all).",
  "HELP",
  "    Prints this help.",
];

/** Redis's doctor answers this way below 5 MB; we have no allocator or fragmentation issues to report. */
const DOCTOR_EMPTY =
  "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.";
const DOCTOR_FINE = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.";

/**
 * MEMORY USAGE key [SAMPLES count]: the key's bytes as used_memory counts them (key, value, expiry).
 * Our sizes are kept exactly per value, so SAMPLES changes nothing; it is still checked as Redis does.
 * Like Redis it neither counts as an access nor expires the key.
 */
function usage(ctx: CommandContext, argv: string[]): Reply {
  for (let j = 3; j < argv.length; j++) {
    if (argv[j].toLowerCase() === "samples" && j + 1 < argv.length) {
      if (int64Arg(argv[j + 1]) < 0n) throw syntaxError();
      j++;
    } else throw syntaxError();
  }
  const key = argv[2];
  const v = ctx.db.data.get(key);
  if (v === undefined) return null;
  return keyCost(key) + valueMemory(v) + (ctx.db.expires.has(key) ? EXPIRE_ENTRY : 0);
}

/** MEMORY STATS: Redis's fields where they mean something here (no allocator, clients or replication). */
function stats(ctx: CommandContext): Reply {
  const db = ctx.db;
  const total = db.usedMemory;
  const peak = Math.max(ctx.server.peakMemory, total);
  const keys = db.data.size;
  const mainOverhead = keys * MAP_ENTRY;
  const expiresOverhead = db.expires.size * EXPIRE_ENTRY;
  const overhead = mainOverhead + expiresOverhead;
  const dataset = Math.max(0, total - overhead);
  const out: Reply[] = [
    "peak.allocated", peak,
    "total.allocated", total,
    "startup.allocated", 0,
    "replication.backlog", 0,
    "clients.slaves", 0,
    "clients.normal", 0,
    "cluster.links", 0,
    "aof.buffer", 0,
    "lua.caches", 0,
    "functions.caches", 0,
  ];
  if (keys > 0) out.push("db.0", ["overhead.hashtable.main", mainOverhead, "overhead.hashtable.expires", expiresOverhead]);
  out.push(
    "overhead.total", overhead,
    "keys.count", keys,
    "keys.bytes-per-key", keys ? Math.floor(total / keys) : 0,
    "dataset.bytes", dataset,
    "dataset.percentage", formatDouble(total ? (dataset * 100) / total : 0),
    "peak.percentage", formatDouble(peak ? (total * 100) / peak : 0),
  );
  return out;
}

/** MEMORY USAGE|STATS|DOCTOR|MALLOC-STATS|PURGE|HELP */
function memory(ctx: CommandContext, argv: string[]): Reply {
  const sub = argv[1].toLowerCase();
  const arity = SUBCOMMANDS.get(sub);
  if (arity === undefined) throw unknownSubcommand(argv[1], "MEMORY");
  if (arity >= 0 ? argv.length !== arity : argv.length < -arity) throw wrongArity(`memory|${sub}`);
  switch (sub) {
    case "usage":
      return usage(ctx, argv);
    case "stats":
      return stats(ctx);
    case "doctor":
      return ctx.db.usedMemory < 5 * 1024 * 1024 ? DOCTOR_EMPTY : DOCTOR_FINE;
    case "malloc-stats":
      return "Stats not supported for the current allocator";
    case "purge":
      return OK;
    default:
      return HELP;
  }
}

export const memoryCommands: CommandSpec[] = [
  command("memory", -2, ["readonly"], (argv) => (argv[1]?.toLowerCase() === "usage" && argv.length > 2 ? [2] : []), memory),
];
