// Redis configuration parameters, by Redis's own names: defaults, validation with Redis's error
// texts, CONFIG GET glob matching. The host (Durable Object) persists changes and reacts to them.

import { RedisError } from "./errors.js";
import { globMatch } from "./glob.js";
import { INVALID_NOTIFY_FLAGS, notifyFlagsText, parseNotifyFlags, storedNotifyFlags } from "./notify.js";

type Kind =
  | { type: "bool" }
  | { type: "int"; min: number; max: number }
  | { type: "memory" }
  | { type: "enum"; values: readonly string[] }
  | { type: "string"; validate?: (v: string) => string | null; canonical?: (v: string, current: string) => string }
  /** Kept in a canonical form of our own, shown by CONFIG GET in Redis's (notify-keyspace-events). */
  | { type: "flags"; validate: (v: string) => string | null; store: (v: string) => string; show: (stored: string) => string };

interface Param {
  name: string;
  kind: Kind;
  default: string;
  alias?: string;
}

const MEMORY_UNITS: Record<string, number> = {
  "": 1, b: 1, k: 1000, kb: 1024, m: 1000 ** 2, mb: 1024 ** 2, g: 1000 ** 3, gb: 1024 ** 3,
};

/** Redis's memtoull: "100mb" → 104857600. Null when invalid. */
export function parseMemory(v: string): number | null {
  const m = /^(\d+)([a-zA-Z]*)$/.exec(v);
  if (!m) return null;
  const unit = MEMORY_UNITS[m[2].toLowerCase()];
  if (unit === undefined) return null;
  return Number(m[1]) * unit;
}

function validateSave(v: string): string | null {
  const parts = v.trim() === "" ? [] : v.trim().split(/\s+/);
  if (parts.length % 2 !== 0) return "Invalid save parameters";
  for (const p of parts) if (!/^\d+$/.test(p)) return "Invalid save parameters";
  return null;
}

/** A path turned R2 prefix must name something: "/" or "" would put every shard's files at the bucket's root. */
function validateDir(v: string): string | null {
  return r2Prefix(v) === "" ? "No such file or directory" : null;
}

/** `dir` as an R2 prefix: "/var/lib/redis/" → "var/lib/redis" (no leading or trailing slashes, no empty parts). */
export function r2Prefix(dir: string): string {
  return dir.split("/").filter((part) => part !== "" && part !== ".").join("/");
}

const BUFFER_CLASSES = ["normal", "slave", "pubsub"];

/** client-output-buffer-limit: groups of <class> <hard> <soft> <soft seconds>, as Redis 7 checks them. */
function validateBufferLimit(v: string): string | null {
  const parts = v.trim() === "" ? [] : v.trim().split(/\s+/);
  if (parts.length % 4 !== 0) return "Wrong number of arguments in buffer limit configuration.";
  for (let i = 0; i < parts.length; i += 4) {
    if (bufferClass(parts[i]) === null) return "Invalid client class specified in buffer limit configuration.";
    const [hard, soft] = [parseMemory(parts[i + 1]), parseMemory(parts[i + 2])];
    if (hard === null || soft === null || !/^\d+$/.test(parts[i + 3])) {
      return "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
    }
  }
  return null;
}

function bufferClass(name: string): string | null {
  const c = name.toLowerCase();
  if (c === "replica") return "slave";
  return BUFFER_CLASSES.includes(c) ? c : null;
}

/** The classes a CONFIG SET names replace theirs; the others keep their limits (Redis shows all three, in bytes). */
function mergeBufferLimit(v: string, current: string): string {
  const limits = new Map<string, string>();
  const cur = current.split(" ");
  for (let i = 0; i + 3 < cur.length; i += 4) limits.set(cur[i], cur.slice(i + 1, i + 4).join(" "));
  const parts = v.trim() === "" ? [] : v.trim().split(/\s+/);
  for (let i = 0; i < parts.length; i += 4) {
    limits.set(bufferClass(parts[i])!, `${parseMemory(parts[i + 1])} ${parseMemory(parts[i + 2])} ${Number(parts[i + 3])}`);
  }
  return BUFFER_CLASSES.map((c) => `${c} ${limits.get(c) ?? "0 0 0"}`).join(" ");
}

const INT_MAX = 2 ** 31 - 1;
const PARAMS: Param[] = [
  { name: "appendonly", kind: { type: "bool" }, default: "yes" },
  { name: "appendfsync", kind: { type: "enum", values: ["always", "everysec", "no"] }, default: "everysec" },
  { name: "appendfilename", kind: { type: "string" }, default: "appendonly.aof" },
  { name: "aof-use-rdb-preamble", kind: { type: "bool" }, default: "yes" },
  { name: "aof-load-truncated", kind: { type: "bool" }, default: "yes" },
  { name: "aof-timestamp-enabled", kind: { type: "bool" }, default: "no" },
  { name: "aof-retain-bases", kind: { type: "int", min: 0, max: 100 }, default: "1" },
  { name: "auto-aof-rewrite-percentage", kind: { type: "int", min: 0, max: INT_MAX }, default: "100" },
  { name: "auto-aof-rewrite-min-size", kind: { type: "memory" }, default: "67108864" },
  { name: "save", kind: { type: "string", validate: validateSave }, default: "3600 1 300 100 60 10000" },
  { name: "stop-writes-on-bgsave-error", kind: { type: "bool" }, default: "yes" },
  { name: "rdbcompression", kind: { type: "bool" }, default: "yes" },
  { name: "rdbchecksum", kind: { type: "bool" }, default: "yes" },
  { name: "rdb-retain-snapshots", kind: { type: "int", min: 1, max: 1000 }, default: "2" },
  { name: "rdb-load-fallback", kind: { type: "bool" }, default: "no" },
  { name: "dbfilename", kind: { type: "string" }, default: "dump.rdb" },
  // The R2 prefix of each shard's snapshots and bases (a path such as /var/lib/redis/ names the prefix
  // var/lib/redis): new files go there at once; files already recorded keep their keys.
  { name: "dir", kind: { type: "string", validate: validateDir }, default: "durable-redis" },
  // Accepted as written in Redis's persistence guide, with no effect here: the log lives in SQLite
  // rows, not in a folder (GET /admin/aof exports it as one file); a rewrite never blocks or delays
  // the log's writes (there is no fsync to skip); the log and snapshots are written in rows and
  // multipart parts (always incremental); and there are no replicas.
  { name: "appenddirname", kind: { type: "string", validate: validateDir }, default: "appendonlydir" },
  { name: "no-appendfsync-on-rewrite", kind: { type: "bool" }, default: "no" },
  { name: "aof-rewrite-incremental-fsync", kind: { type: "bool" }, default: "yes" },
  { name: "rdb-save-incremental-fsync", kind: { type: "bool" }, default: "yes" },
  { name: "replica-read-only", alias: "slave-read-only", kind: { type: "bool" }, default: "yes" },
  // What a 128 MB isolate holds with its worst case on top (README, Limits; bench/memory.mjs).
  { name: "maxmemory", kind: { type: "memory" }, default: String(24 * 1024 * 1024) },
  {
    name: "maxmemory-policy",
    kind: {
      type: "enum",
      values: ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"],
    },
    default: "noeviction",
  },
  { name: "maxmemory-samples", kind: { type: "int", min: 1, max: 64 }, default: "5" },
  { name: "lfu-log-factor", kind: { type: "int", min: 0, max: INT_MAX }, default: "10" },
  { name: "lfu-decay-time", kind: { type: "int", min: 0, max: INT_MAX }, default: "1" },
  { name: "hash-max-listpack-entries", alias: "hash-max-ziplist-entries", kind: { type: "int", min: 0, max: INT_MAX }, default: "128" },
  { name: "hash-max-listpack-value", alias: "hash-max-ziplist-value", kind: { type: "int", min: 0, max: INT_MAX }, default: "64" },
  { name: "list-max-listpack-size", alias: "list-max-ziplist-size", kind: { type: "int", min: -5, max: INT_MAX }, default: "-2" },
  { name: "list-compress-depth", kind: { type: "int", min: 0, max: INT_MAX }, default: "0" },
  { name: "set-max-intset-entries", kind: { type: "int", min: 0, max: INT_MAX }, default: "512" },
  { name: "zset-max-listpack-entries", alias: "zset-max-ziplist-entries", kind: { type: "int", min: 0, max: INT_MAX }, default: "128" },
  { name: "zset-max-listpack-value", alias: "zset-max-ziplist-value", kind: { type: "int", min: 0, max: INT_MAX }, default: "64" },
  { name: "stream-node-max-bytes", kind: { type: "memory" }, default: "4096" },
  { name: "stream-node-max-entries", kind: { type: "int", min: 0, max: Number.MAX_SAFE_INTEGER }, default: "100" },
  { name: "hll-sparse-max-bytes", kind: { type: "int", min: 0, max: INT_MAX }, default: "3000" },
  { name: "proto-max-bulk-len", kind: { type: "memory" }, default: String(512 * 1024 * 1024) },
  // A script past it is stopped (Redis answers BUSY to others meanwhile; here nothing else can run):
  // capped under the platform's 30 s of CPU per request.
  { name: "busy-reply-threshold", alias: "lua-time-limit", kind: { type: "int", min: 0, max: 25_000 }, default: "5000" },
  {
    name: "notify-keyspace-events",
    kind: {
      type: "flags",
      validate: (v) => (parseNotifyFlags(v) === null ? INVALID_NOTIFY_FLAGS : null),
      store: (v) => storedNotifyFlags(parseNotifyFlags(v)!),
      show: (v) => notifyFlagsText(parseNotifyFlags(v)!),
    },
    default: "",
  },
  { name: "hz", kind: { type: "int", min: 1, max: 500 }, default: "10" },
  // Only the pubsub class has an effect: it bounds each subscriber's and monitor's event stream
  // (read by the worker when a stream opens). There are no replicas, and normal clients get whole replies.
  {
    name: "client-output-buffer-limit",
    kind: { type: "string", validate: validateBufferLimit, canonical: mergeBufferLimit },
    default: "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
  },
  // Ours: how long recovery may hold the shard at start (under the platform's 30 s limit for
  // blockConcurrencyWhile) before it goes on in slices, answering LOADING meanwhile.
  // Ours: the alert rules of /admin/health.
  { name: "health-snapshot-max-age", kind: { type: "int", min: 0, max: INT_MAX }, default: "0" },
  { name: "health-memory-percent", kind: { type: "int", min: 1, max: 100 }, default: "90" },
  { name: "health-rewrite-failures", kind: { type: "int", min: 1, max: 1000 }, default: "3" },
  { name: "loading-block-ms", kind: { type: "int", min: 0, max: 25_000 }, default: "20000" },
];

const BY_NAME = new Map<string, Param>();
for (const p of PARAMS) {
  BY_NAME.set(p.name, p);
  if (p.alias) BY_NAME.set(p.alias, p);
}

export function isConfigParam(name: string): boolean {
  return BY_NAME.has(name.toLowerCase());
}

export class Config {
  private readonly values = new Map<string, string>();
  /** Called after a successful change, with the canonical names and values. */
  onChange: (changes: [string, string][]) => void = () => {};
  /** Counts changes, so a reader can cache what it derives from the values (the engine's access policy). */
  generation = 0;

  constructor(initial: Record<string, string> = {}) {
    for (const p of PARAMS) this.values.set(p.name, p.default);
    for (const [k, v] of Object.entries(initial)) {
      const err = this.validate(k, v);
      if (err === null) this.values.set(BY_NAME.get(k.toLowerCase())!.name, this.canonical(k, v));
    }
  }

  get(name: string): string {
    const p = BY_NAME.get(name);
    if (!p) throw new Error(`unknown config parameter ${name}`);
    return this.values.get(p.name)!;
  }
  getBool(name: string): boolean {
    return this.get(name) === "yes";
  }
  /** Parsed once per value: writes ask for limits (maxmemory, encodings) on every command. */
  private readonly numbers = new Map<string, number>();
  getNumber(name: string): number {
    let n = this.numbers.get(name);
    if (n === undefined) {
      n = Number(this.get(name));
      this.numbers.set(name, n);
    }
    return n;
  }

  /** CONFIG GET: flat [name, value, …] for every parameter matching any pattern. */
  match(patterns: string[]): string[] {
    const out: string[] = [];
    const seen = new Set<string>();
    for (const p of PARAMS) {
      for (const name of p.alias ? [p.name, p.alias] : [p.name]) {
        if (seen.has(name)) continue;
        if (patterns.some((pat) => globMatch(pat.toLowerCase(), name))) {
          seen.add(name);
          const value = this.values.get(p.name)!;
          out.push(name, p.kind.type === "flags" ? p.kind.show(value) : value);
        }
      }
    }
    return out;
  }

  /** Null when valid, else the reason as Redis words it. */
  private validate(name: string, value: string): string | null {
    const p = BY_NAME.get(name.toLowerCase());
    if (!p) return "unknown";
    const k = p.kind;
    switch (k.type) {
      case "bool":
        return /^(yes|no)$/i.test(value) ? null : "argument must be 'yes' or 'no'";
      case "int": {
        if (!/^-?\d+$/.test(value)) return "argument couldn't be parsed into an integer";
        const n = Number(value);
        return n < k.min || n > k.max ? `argument must be between ${k.min} and ${k.max} inclusive` : null;
      }
      case "memory":
        return parseMemory(value) === null ? "argument must be a memory value" : null;
      case "enum":
        return k.values.includes(value.toLowerCase())
          ? null
          : `argument(s) must be one of the following: ${k.values.join(", ")}`;
      case "string":
        return k.validate ? k.validate(value) : null;
      case "flags":
        return k.validate(value);
    }
  }

  private canonical(name: string, value: string): string {
    const k = BY_NAME.get(name.toLowerCase())!.kind;
    if (k.type === "bool" || k.type === "enum") return value.toLowerCase();
    if (k.type === "memory") return String(parseMemory(value));
    if (k.type === "flags") return k.store(value);
    if (k.type === "string" && name.toLowerCase() === "save") return value.trim().split(/\s+/).join(" ");
    if (k.type === "string" && k.canonical) return k.canonical(value, this.values.get(BY_NAME.get(name.toLowerCase())!.name)!);
    return value;
  }

  /** CONFIG SET name value [name value …]: all or nothing, with Redis 7's error texts. */
  set(pairs: [string, string][]): void {
    const names = new Set<string>();
    for (const [name] of pairs) {
      const p = BY_NAME.get(name.toLowerCase());
      if (!p) throw new RedisError(`ERR Unknown option or number of arguments for CONFIG SET - '${name}'`);
      if (names.has(p.name)) throw new RedisError(`ERR Duplicate parameter - ${name}`);
      names.add(p.name);
    }
    for (const [name, value] of pairs) {
      const err = this.validate(name, value);
      if (err !== null) {
        throw new RedisError(`ERR CONFIG SET failed (possibly related to argument '${name}') - ${err}`);
      }
    }
    const changes: [string, string][] = pairs.map(([n, v]) => [BY_NAME.get(n.toLowerCase())!.name, this.canonical(n, v)]);
    for (const [n, v] of changes) this.values.set(n, v);
    this.numbers.clear();
    this.generation++;
    this.onChange(changes);
  }

  /** Loads persisted values without validation errors (unknown names are ignored). */
  restore(values: Record<string, string>): void {
    for (const [k, v] of Object.entries(values)) {
      if (this.validate(k, v) === null) this.values.set(BY_NAME.get(k.toLowerCase())!.name, this.canonical(k, v));
    }
    this.numbers.clear();
    this.generation++;
  }

  all(): Record<string, string> {
    return Object.fromEntries(this.values);
  }
}
