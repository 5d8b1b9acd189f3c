// Generic key commands: existence, deletion, expiry, renaming, iteration, introspection.

import { type CommandContext, type CommandSpec, command, withGrowth } from "../command.js";
import { derivedGrowth } from "../growth.js";
import { RedisError, invalidExpire, noSuchKey, notInteger, syntaxError, unknownSubcommand, wrongArity } from "../errors.js";
import { globMatch } from "../glob.js";
import { OK, type Reply, status } from "../reply.js";
import { type Value, RedisHash, RedisList, RedisSet, RedisStream, RedisZSet, typeName } from "../types/index.js";
import { intArg, opt } from "./args.js";
import { parseInt64 } from "../bytes.js";
import { ScanCursors } from "../scan.js";
import { objectEncoding } from "../encoding.js";
import { expireMs, msReply, msText } from "./strings.js";
import { NOTIFY_GENERIC } from "../notify.js";

/** DEL key [key …] / UNLINK */
function del(ctx: CommandContext, argv: string[]): Reply {
  let n = 0;
  for (let i = 1; i < argv.length; i++) {
    if (ctx.db.get(argv[i]) !== undefined && ctx.db.delete(argv[i])) {
      ctx.notify(NOTIFY_GENERIC, "del", argv[i]);
      n++;
    }
  }
  ctx.dirty += n;
  return n;
}

/** EXISTS key [key …] (a key named twice counts twice; not an access) */
function exists(ctx: CommandContext, argv: string[]): Reply {
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (ctx.db.has(argv[i])) n++;
  return n;
}

/** TOUCH key [key …]: EXISTS that counts as an access (the keys' LRU/LFU clocks move) */
function touch(ctx: CommandContext, argv: string[]): Reply {
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (ctx.db.get(argv[i]) !== undefined) n++;
  return n;
}

/** TYPE key */
function type(ctx: CommandContext, argv: string[]): Reply {
  const v = ctx.db.peek(argv[1]);
  return status(v === undefined ? "none" : typeName(v));
}

/**
 * EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT key time [NX|XX|GT|LT]: propagated as PEXPIREAT with an absolute
 * time, or as DEL when the time is already past (Redis's checkAlreadyExpired).
 */
function expire(ctx: CommandContext, argv: string[]): Reply {
  const name = argv[0].toLowerCase();
  const key = argv[1];
  let nx = false, xx = false, gt = false, lt = false;
  for (let i = 3; i < argv.length; i++) {
    const a = opt(argv[i]);
    if (a === "NX") nx = true;
    else if (a === "XX") xx = true;
    else if (a === "GT") gt = true;
    else if (a === "LT") lt = true;
    else throw new RedisError(`ERR Unsupported option ${argv[i]}`);
  }
  if (nx && (xx || gt || lt)) throw new RedisError("ERR NX and XX, GT or LT options at the same time are not compatible");
  if (gt && lt) throw new RedisError("ERR GT and LT options at the same time are not compatible");
  // The options are checked before the time, as Redis does.
  const n = parseInt64(argv[2]);
  if (n === null) throw notInteger();
  const seconds = name === "expire" || name === "expireat";
  const relative = name === "expire" || name === "pexpire";
  let when = seconds ? n * 1000n : n;
  if (seconds && (n > 9223372036854775n || n < -9223372036854775n)) throw invalidExpire(name);
  if (relative) when += BigInt(ctx.now);
  if (when > 9223372036854775807n || when < -9223372036854775808n) throw invalidExpire(name);
  if (ctx.db.get(key) === undefined) return 0;
  const current = ctx.db.getExpire(key);
  if (nx && current !== undefined) return 0;
  if (xx && current === undefined) return 0;
  const whenMs = expireMs(when);
  // A key with no TTL counts as an infinite TTL for GT and LT.
  if (gt && (current === undefined || whenMs <= current)) return 0;
  if (lt && current !== undefined && whenMs >= current) return 0;
  if (whenMs <= ctx.now && !ctx.loading) {
    ctx.db.delete(key);
    ctx.rewrite(["DEL", key]);
    ctx.notify(NOTIFY_GENERIC, "del", key);
  } else {
    ctx.db.setExpire(key, whenMs);
    // Redis rewrites only the name and the time: the NX/XX/GT/LT words stay in the record.
    ctx.rewrite(["PEXPIREAT", key, msText(whenMs), ...argv.slice(3)]);
    ctx.notify(NOTIFY_GENERIC, "expire", key);
  }
  ctx.dirty++;
  return 1;
}

/** TTL/PTTL/EXPIRETIME/PEXPIRETIME key */
function ttl(ctx: CommandContext, argv: string[]): Reply {
  const name = argv[0].toLowerCase();
  if (ctx.db.peek(argv[1]) === undefined) return -2;
  const at = ctx.db.getExpire(argv[1]);
  if (at === undefined) return -1;
  switch (name) {
    case "ttl":
      return Math.max(0, Math.floor((at - ctx.now + 500) / 1000));
    case "pttl":
      return msReply(Math.max(0, at - ctx.now));
    case "expiretime":
      return Math.floor(at / 1000);
    default:
      return msReply(at);
  }
}

/** PERSIST key */
function persist(ctx: CommandContext, argv: string[]): Reply {
  if (ctx.db.get(argv[1]) === undefined) return 0;
  if (!ctx.db.removeExpire(argv[1])) return 0;
  ctx.notify(NOTIFY_GENERIC, "persist", argv[1]);
  ctx.dirty++;
  return 1;
}

/** KEYS pattern */
function keys(ctx: CommandContext, argv: string[]): Reply {
  const out: string[] = [];
  const all = argv[1] === "*";
  const now = ctx.now;
  for (const key of ctx.db.data.keys()) {
    if (ctx.db.isExpired(key, now)) continue;
    if (all || globMatch(argv[1], key)) out.push(key);
  }
  return out;
}

const scanCursors = new WeakMap<object, ScanCursors>();
function cursorsFor(owner: object): ScanCursors {
  let c = scanCursors.get(owner);
  if (!c) scanCursors.set(owner, (c = new ScanCursors()));
  return c;
}

export interface ScanOptions {
  match?: string;
  count: number;
  type?: string;
  noValues?: boolean;
}

/** Parses MATCH/COUNT/TYPE after a cursor; shared by SCAN, HSCAN, SSCAN, ZSCAN. */
export function parseScanOptions(argv: string[], start: number, allowType: boolean): ScanOptions {
  const o: ScanOptions = { count: 10 };
  for (let i = start; i < argv.length; i++) {
    const a = opt(argv[i]);
    if (a === "MATCH" && i + 1 < argv.length) {
      // As Redis: MATCH * filters nothing (so even an empty member is returned), and the last MATCH counts.
      o.match = argv[++i] === "*" ? undefined : argv[i];
    }
    else if (a === "COUNT" && i + 1 < argv.length) {
      o.count = intArg(argv[++i]);
      if (o.count < 1) throw syntaxError();
    } else if (a === "TYPE" && allowType && i + 1 < argv.length) o.type = argv[++i].toLowerCase();
    else throw syntaxError();
  }
  return o;
}

const CURSOR = /^([+-]?)(\d*)$/;
const ULONG_MAX = 2n ** 64n - 1n;

/**
 * A cursor as Redis reads it with strtoul: an optional sign, digits ("" is 0), no spaces, at most
 * 2^64-1; a negative one wraps around. Ours are positions, so an unknown cursor resumes by position.
 */
export function parseCursor(s: string): number {
  const m = CURSOR.exec(s);
  if (!m || (m[1] !== "" && m[2] === "") || m[2].length > 30) throw new RedisError("ERR invalid cursor");
  if (m[2] === "") return 0;
  let n = BigInt(m[2]);
  if (n > ULONG_MAX) throw new RedisError("ERR invalid cursor");
  if (m[1] === "-" && n !== 0n) n = ULONG_MAX + 1n - n;
  return Number(n);
}

/** Runs one cursor step over any collection; shared by the SCAN family. */
export function scanStep<T>(owner: object, entries: () => Iterator<T>, cursor: number, count: number): [string, T[]] {
  const [next, items] = cursorsFor(owner).next(owner, entries, cursor, count);
  return [String(next), items];
}

/** SCAN cursor [MATCH pattern] [COUNT count] [TYPE type] */
function scan(ctx: CommandContext, argv: string[]): Reply {
  const cursor = parseCursor(argv[1]);
  const o = parseScanOptions(argv, 2, true);
  // The keyspace object is stable across FLUSHALL (its maps are swapped), so it owns the cursors.
  const [next, found] = scanStep(ctx.db, () => ctx.db.data.keys(), cursor, o.count);
  const out: string[] = [];
  for (const key of found) {
    // The pattern first: a key it filters out is not looked up, so not expired (nor notified) here.
    if (o.match !== undefined && !globMatch(o.match, key)) continue;
    const v = ctx.db.get(key);
    if (v === undefined) continue;
    if (o.type !== undefined && typeName(v) !== o.type) continue;
    out.push(key);
  }
  return [next, out];
}

/** RANDOMKEY */
function randomkey(ctx: CommandContext): Reply {
  const db = ctx.db;
  for (let tries = 0; tries < 100; tries++) {
    const key = db.data.randomKey(ctx.random);
    if (key === undefined) return null;
    // A sampled key past its expiry is reclaimed (and notified), as Redis's dbRandomKey does.
    if (!db.expireIfNeeded(key, ctx.now)) return key;
  }
  return null;
}

function cloneValue(v: Value): Value {
  if (typeof v === "string") return v;
  if (v instanceof RedisHash) {
    const h = new RedisHash();
    for (const [f, x] of v.entries()) h.set(f, x);
    h.bigEncoding = v.bigEncoding;
    return h;
  }
  if (v instanceof RedisSet) {
    const s = new RedisSet();
    for (const m of v.values()) s.add(m);
    s.bigEncoding = v.bigEncoding;
    return s;
  }
  if (v instanceof RedisStream) return v.clone();
  if (v instanceof RedisList) {
    const l = new RedisList();
    for (const x of v.values()) l.pushBack(x);
    return l;
  }
  const z = new RedisZSet();
  for (const [m, s] of (v as RedisZSet).entries()) z.add(m, s);
  z.bigEncoding = (v as RedisZSet).bigEncoding;
  return z;
}

/** RENAME key newkey / RENAMENX */
function rename(ctx: CommandContext, argv: string[]): Reply {
  const nx = argv[0].toLowerCase() === "renamenx";
  const [, src, dst] = argv;
  const v = ctx.db.get(src);
  if (v === undefined) throw noSuchKey();
  if (src === dst) return nx ? 0 : OK;
  // The destination is looked up either way (one past its expiry is reclaimed first, as in Redis).
  if (ctx.db.has(dst) && nx) return 0;
  const at = ctx.db.getExpire(src);
  const encoding = ctx.db.stringEncodings.get(src);
  ctx.db.delete(src);
  // An existing destination is deleted first, so the key is added anew (its `new` event), as in Redis.
  ctx.db.delete(dst);
  ctx.db.set(dst, v);
  if (encoding) ctx.db.stringEncodings.set(dst, encoding);
  if (at !== undefined) ctx.db.setExpire(dst, at);
  ctx.notify(NOTIFY_GENERIC, "rename_from", src);
  ctx.notify(NOTIFY_GENERIC, "rename_to", dst);
  ctx.dirty++;
  return nx ? 1 : OK;
}

/** COPY source destination [DB destination-db] [REPLACE] */
function copy(ctx: CommandContext, argv: string[]): Reply {
  const [, src, dst] = argv;
  let replace = false;
  for (let i = 3; i < argv.length; i++) {
    const a = opt(argv[i]);
    if (a === "REPLACE") replace = true;
    else if (a === "DB" && i + 1 < argv.length) {
      const db = intArg(argv[++i]);
      if (db !== 0) throw new RedisError("ERR DB index is out of range");
    } else throw syntaxError();
  }
  if (src === dst) throw new RedisError("ERR source and destination objects are the same");
  const v = ctx.db.get(src);
  if (v === undefined) return 0;
  if (ctx.db.has(dst)) {
    if (!replace) return 0;
    ctx.db.delete(dst);
  }
  ctx.db.set(dst, cloneValue(v));
  // Redis duplicates a string object in its encoding (raw stays raw).
  const encoding = ctx.db.stringEncodings.get(src);
  if (encoding) ctx.db.stringEncodings.set(dst, encoding);
  const at = ctx.db.getExpire(src);
  if (at !== undefined) ctx.db.setExpire(dst, at);
  ctx.notify(NOTIFY_GENERIC, "copy_to", dst);
  ctx.dirty++;
  return 1;
}

/** OBJECT's subcommands and their arities (each is checked as Redis checks a subcommand's). */
const OBJECT_SUBCOMMANDS = new Map([
  ["encoding", 3],
  ["freq", 3],
  ["idletime", 3],
  ["refcount", 3],
  ["help", 2],
]);

const OBJECT_HELP = [
  "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "ENCODING <key>",
  "    Return the kind of internal representation used in order to store the value",
  "    associated with a <key>.",
  "FREQ <key>",
  "    Return the access frequency index of the <key>. The returned integer is",
  "    proportional to the logarithm of the recent access frequency of the key.",
  "IDLETIME <key>",
  "    Return the idle time of the <key>, that is the approximated number of",
  "    seconds elapsed since the last access to the key.",
  "REFCOUNT <key>",
  "    Return the number of references of the value associated with the specified",
  "    <key>.",
  "HELP",
  "    Prints this help.",
];

/** The encoding OBJECT ENCODING reports: a string's may depend on how it was made (APPEND → raw). */
export function encodingOf(ctx: CommandContext, key: string, v: Value): string {
  if (typeof v === "string") {
    const made = ctx.db.stringEncodings.get(key);
    if (made) return made;
  }
  return objectEncoding(v, ctx.config);
}

/** Redis's OBJ_SHARED_REFCOUNT: the count its shared objects report. */
const SHARED_REFCOUNT = 2147483647;
/** Redis keeps one shared object for each integer 0 … 9999 (OBJ_SHARED_INTEGERS). */
const SHARED_INTEGERS = 10000;

/**
 * OBJECT REFCOUNT: 1, except for a small integer string Redis stores as its shared object, which it
 * does unless maxmemory is set with an LRU/LFU policy, which needs a clock per key (MAXMEMORY_FLAG_NO_SHARED_INTEGERS).
 */
function refcount(ctx: CommandContext, key: string, v: Value, policy: string): number {
  const clocked = policy.endsWith("-lru") || policy.endsWith("-lfu");
  if (typeof v !== "string" || (clocked && ctx.config.getNumber("maxmemory") !== 0)) return 1;
  if (encodingOf(ctx, key, v) !== "int") return 1;
  const n = Number(v);
  return n >= 0 && n < SHARED_INTEGERS ? SHARED_REFCOUNT : 1;
}

/** OBJECT ENCODING|FREQ|IDLETIME|REFCOUNT key | OBJECT HELP */
function object(ctx: CommandContext, argv: string[]): Reply {
  const sub = argv[1].toLowerCase();
  const arity = OBJECT_SUBCOMMANDS.get(sub);
  if (arity === undefined) throw unknownSubcommand(argv[1], "OBJECT");
  if (argv.length !== arity) throw wrongArity(`object|${sub}`);
  if (sub === "help") return OBJECT_HELP;
  const v = ctx.db.peek(argv[2]);
  if (v === undefined) return null;
  if (sub === "encoding") return encodingOf(ctx, argv[2], v);
  const policy = ctx.config.get("maxmemory-policy");
  if (sub === "refcount") return refcount(ctx, argv[2], v, policy);
  const lfu = policy.endsWith("-lfu");
  const clock = ctx.db.data.clockOf(argv[2])!;
  if (sub === "freq") {
    if (!lfu) {
      throw new RedisError("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.");
    }
    return ctx.db.access.frequency(clock);
  }
  if (lfu) {
    throw new RedisError("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.");
  }
  return Math.floor(ctx.db.access.idleMs(clock) / 1000);
}

export const keyCommands: CommandSpec[] = [
  command("del", -2, ["write"], [1, -1, 1], del, { request: "multi_shard", response: "agg_sum" }),
  command("unlink", -2, ["write", "fast"], [1, -1, 1], del, { request: "multi_shard", response: "agg_sum" }),
  command("exists", -2, ["readonly", "fast"], [1, -1, 1], exists, { request: "multi_shard", response: "agg_sum" }),
  command("touch", -2, ["readonly", "fast"], [1, -1, 1], touch, { request: "multi_shard", response: "agg_sum" }),
  command("type", 2, ["readonly", "fast"], [1, 1, 1], type),
  command("expire", -3, ["write", "fast"], [1, 1, 1], expire),
  command("pexpire", -3, ["write", "fast"], [1, 1, 1], expire),
  command("expireat", -3, ["write", "fast"], [1, 1, 1], expire),
  command("pexpireat", -3, ["write", "fast"], [1, 1, 1], expire),
  command("ttl", 2, ["readonly", "fast"], [1, 1, 1], ttl),
  command("pttl", 2, ["readonly", "fast"], [1, 1, 1], ttl),
  command("expiretime", 2, ["readonly", "fast"], [1, 1, 1], ttl),
  command("pexpiretime", 2, ["readonly", "fast"], [1, 1, 1], ttl),
  command("persist", 2, ["write", "fast"], [1, 1, 1], persist),
  command("keys", 2, ["readonly", "noreadonlytoken"], [0, 0, 0], keys, { request: "all_shards", response: "concat" }),
  command("scan", -2, ["readonly", "noreadonlytoken"], [0, 0, 0], scan, { request: "special" }),
  command("randomkey", 1, ["readonly"], [0, 0, 0], randomkey, { request: "all_shards", response: "random_nonnull" }),
  command("rename", 3, ["write"], [1, 2, 1], rename),
  command("renamenx", 3, ["write", "fast"], [1, 2, 1], rename),
  withGrowth(command("copy", -3, ["write", "denyoom"], [1, 2, 1], copy), derivedGrowth("first", "last")),
  command("object", -2, ["readonly"], [2, 2, 1], object),
];
