// String commands. Values are byte strings; integers are parsed as Redis's string2ll does.

import { isInt64, parseInt64 } from "../bytes.js";
import { type CommandContext, type CommandSpec, command, withGrowth } from "../command.js";
import { setrangeGrowth } from "../growth.js";
import { RedisError, invalidExpire, notInteger, overflow, stringTooLong, syntaxError } from "../errors.js";
import { incrByFloat } from "../long-double.js";
import { NOTIFY_GENERIC, NOTIFY_STRING } from "../notify.js";
import { OK, type Reply } from "../reply.js";
import { getString, intArg, opt } from "./args.js";

const MAX_STRING = 512 * 1024 * 1024;

function checkStringLength(ctx: CommandContext, len: number): void {
  if (len > Math.min(MAX_STRING, ctx.config.getNumber("proto-max-bulk-len"))) throw stringTooLong();
}

export interface SetOptions {
  condition?: "NX" | "XX";
  get: boolean;
  keepTtl: boolean;
  /** Absolute expiry in ms, when given. */
  expireAt?: number;
}

type ExpireUnit = "EX" | "PX" | "EXAT" | "PXAT";

/** SET's and GETEX's options, checked for syntax only (numbers are read afterwards, as Redis does). */
interface ExtendedOptions {
  nx: boolean;
  xx: boolean;
  get: boolean;
  keepTtl: boolean;
  persist: boolean;
  unit?: ExpireUnit;
  /** The expiry argument as sent (a repeated EX keeps the last). */
  expire?: string;
}

/**
 * Redis's parseExtendedStringArgumentsOrReply: NX/XX/GET/KEEPTTL only for SET, PERSIST only for
 * GETEX; a word may repeat (NX NX, EX 1 EX 2: the last wins) but not contradict another.
 */
function parseExtended(args: string[], forSet: boolean): ExtendedOptions {
  const o: ExtendedOptions = { nx: false, xx: false, get: false, keepTtl: false, persist: false };
  for (let i = 0; i < args.length; i++) {
    const a = opt(args[i]);
    const hasNext = i + 1 < args.length;
    if (a === "NX" && forSet && !o.xx) o.nx = true;
    else if (a === "XX" && forSet && !o.nx) o.xx = true;
    else if (a === "GET" && forSet) o.get = true;
    else if (a === "KEEPTTL" && forSet && !o.persist && !o.unit) o.keepTtl = true;
    else if (a === "PERSIST" && !forSet && !o.unit && !o.keepTtl) o.persist = true;
    else if ((a === "EX" || a === "PX" || a === "EXAT" || a === "PXAT") && !o.keepTtl && !o.persist && (!o.unit || o.unit === a) && hasNext) {
      o.unit = a;
      o.expire = args[++i];
    } else throw syntaxError();
  }
  return o;
}

/** The expiry argument as an absolute time, with Redis's errors (getExpireMillisecondsOrReply). */
function expireArg(unit: ExpireUnit, text: string, now: number, cmd: string): number {
  const n = parseInt64(text);
  if (n === null) throw notInteger();
  return absoluteExpire(unit, n, now, cmd);
}

/** Parses SET's options after key and value. Exported for its own tests. */
export function parseSetOptions(args: string[], now: number, cmd = "set"): SetOptions {
  const x = parseExtended(args, true);
  const o: SetOptions = { get: x.get, keepTtl: x.keepTtl };
  if (x.nx) o.condition = "NX";
  if (x.xx) o.condition = "XX";
  if (x.unit) o.expireAt = expireArg(x.unit, x.expire!, now, cmd);
  return o;
}

/** Largest double below 2^63: expiries beyond 2^53 ms (the year 287,396) are kept to the nearest double. */
const MAX_EXPIRE_MS = 9223372036854774784;

/** An absolute expiry in ms as the keyspace keeps it, from Redis's int64 milliseconds. */
export function expireMs(ms: bigint): number {
  return Math.min(Number(ms), MAX_EXPIRE_MS);
}

/** An expiry in ms as an integer text (String() would print 9223372036854774784 as "9223372036854775000"). */
export function msText(ms: number): string {
  return Number.isSafeInteger(ms) ? String(ms) : BigInt(ms).toString();
}

/** An expiry in ms as an integer reply (a bigint beyond 2^53, so its digits are exact). */
export function msReply(ms: number): number | bigint {
  return Number.isSafeInteger(ms) ? ms : BigInt(ms);
}

/** Turns EX/PX/EXAT/PXAT n into an absolute ms time, with Redis's range checks. */
export function absoluteExpire(unit: string, n: bigint, now: number, cmd: string): number {
  if (n <= 0n) throw invalidExpire(cmd);
  const ms = unit === "EX" || unit === "EXAT" ? n * 1000n : n;
  const abs = unit === "EX" || unit === "PX" ? ms + BigInt(now) : ms;
  if (!isInt64(ms) || !isInt64(abs)) throw invalidExpire(cmd);
  return expireMs(abs);
}

/** SET, SETNX, SETEX, PSETEX share this: store, apply expiry, propagate with an absolute PXAT. */
function setGeneric(ctx: CommandContext, key: string, value: string, o: SetOptions): Reply {
  checkStringLength(ctx, value.length);
  const old = o.get ? getString(ctx, key) : undefined;
  // The lookup also removes a key past its expiry, so KEEPTTL keeps nothing of it (Redis's lookupKeyWrite).
  const exists = o.get ? old !== undefined : ctx.db.has(key);
  if ((o.condition === "NX" && exists) || (o.condition === "XX" && !exists)) {
    return o.get ? (old ?? null) : null;
  }
  ctx.db.set(key, value, o.keepTtl);
  ctx.notify(NOTIFY_STRING, "set", key);
  if (o.expireAt !== undefined) {
    ctx.db.setExpire(key, o.expireAt);
    ctx.rewrite(["SET", key, value, "PXAT", msText(o.expireAt)]);
    ctx.notify(NOTIFY_GENERIC, "expire", key);
  } else {
    ctx.rewrite(o.keepTtl ? ["SET", key, value, "KEEPTTL"] : ["SET", key, value]);
  }
  ctx.dirty++;
  return o.get ? (old ?? null) : OK;
}

/** GET key */
function get(ctx: CommandContext, argv: string[]): Reply {
  return getString(ctx, argv[1]) ?? null;
}

/** SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ts|KEEPTTL] */
function set(ctx: CommandContext, argv: string[]): Reply {
  return setGeneric(ctx, argv[1], argv[2], parseSetOptions(argv.slice(3), ctx.now));
}

/** SETNX key value */
function setnx(ctx: CommandContext, argv: string[]): Reply {
  return setGeneric(ctx, argv[1], argv[2], { condition: "NX", get: false, keepTtl: false }) === null ? 0 : 1;
}

/** SETEX key seconds value / PSETEX key milliseconds value */
function setex(ctx: CommandContext, argv: string[]): Reply {
  const unit = argv[0].toLowerCase() === "setex" ? "EX" : "PX";
  const n = parseInt64(argv[2]);
  if (n === null) throw notInteger();
  const expireAt = absoluteExpire(unit, n, ctx.now, argv[0]);
  return setGeneric(ctx, argv[1], argv[3], { get: false, keepTtl: false, expireAt });
}

/** GETSET key value */
function getset(ctx: CommandContext, argv: string[]): Reply {
  const old = getString(ctx, argv[1]);
  checkStringLength(ctx, argv[2].length);
  ctx.db.set(argv[1], argv[2]);
  ctx.notify(NOTIFY_STRING, "set", argv[1]);
  ctx.rewrite(["SET", argv[1], argv[2]]);
  ctx.dirty++;
  return old ?? null;
}

/** GETDEL key */
function getdel(ctx: CommandContext, argv: string[]): Reply {
  const old = getString(ctx, argv[1]);
  if (old === undefined) return null;
  ctx.db.delete(argv[1]);
  ctx.notify(NOTIFY_GENERIC, "del", argv[1]);
  ctx.rewrite(["DEL", argv[1]]);
  ctx.dirty++;
  return old;
}

/** GETEX key [EX s|PX ms|EXAT ts|PXAT ts|PERSIST]: a missing key answers nil before the time is read. */
function getex(ctx: CommandContext, argv: string[]): Reply {
  const key = argv[1];
  const o = parseExtended(argv.slice(2), false);
  const value = getString(ctx, key);
  if (value === undefined) return null;
  if (o.unit) {
    const expireAt = expireArg(o.unit, o.expire!, ctx.now, "getex");
    if (expireAt <= ctx.now && !ctx.loading) {
      ctx.db.delete(key);
      ctx.rewrite(["DEL", key]);
      ctx.notify(NOTIFY_GENERIC, "del", key);
    } else {
      ctx.db.setExpire(key, expireAt);
      ctx.rewrite(["PEXPIREAT", key, msText(expireAt)]);
      ctx.notify(NOTIFY_GENERIC, "expire", key);
    }
    ctx.dirty++;
  } else if (o.persist && ctx.db.removeExpire(key)) {
    ctx.rewrite(["PERSIST", key]);
    ctx.notify(NOTIFY_GENERIC, "persist", key);
    ctx.dirty++;
  }
  return value;
}

/** MGET key [key …] */
function mget(ctx: CommandContext, argv: string[]): Reply {
  const out: Reply[] = [];
  for (let i = 1; i < argv.length; i++) {
    const v = ctx.db.get(argv[i]);
    out.push(typeof v === "string" ? v : null);
  }
  return out;
}

/** MSET key value [key value …] / MSETNX */
function mset(ctx: CommandContext, argv: string[]): Reply {
  if (argv.length % 2 === 0) throw new RedisError(`ERR wrong number of arguments for '${argv[0].toLowerCase()}' command`);
  const nx = argv[0].toLowerCase() === "msetnx";
  if (nx) for (let i = 1; i < argv.length; i += 2) if (ctx.db.has(argv[i])) return 0;
  for (let i = 1; i < argv.length; i += 2) {
    checkStringLength(ctx, argv[i + 1].length);
    ctx.db.set(argv[i], argv[i + 1]);
    ctx.notify(NOTIFY_STRING, "set", argv[i]);
  }
  ctx.dirty += (argv.length - 1) / 2;
  return nx ? 1 : OK;
}

/** APPEND key value */
function append(ctx: CommandContext, argv: string[]): Reply {
  const old = getString(ctx, argv[1]);
  const next = (old ?? "") + argv[2];
  checkStringLength(ctx, next.length);
  ctx.db.set(argv[1], next, true);
  // Redis appends in place to a "raw" string, whatever its length; a new key is encoded as SET's.
  if (old !== undefined) ctx.db.stringEncodings.set(argv[1], "raw");
  ctx.notify(NOTIFY_STRING, "append", argv[1]);
  ctx.dirty++;
  return next.length;
}

/** STRLEN key */
function strlen(ctx: CommandContext, argv: string[]): Reply {
  return getString(ctx, argv[1])?.length ?? 0;
}

/** INCR/DECR/INCRBY/DECRBY: int64 arithmetic with Redis's overflow error. */
function incrDecr(ctx: CommandContext, argv: string[]): Reply {
  const name = argv[0].toLowerCase();
  let by: bigint;
  if (name === "incr") by = 1n;
  else if (name === "decr") by = -1n;
  else {
    const n = parseInt64(argv[2]);
    if (n === null) throw notInteger();
    if (name === "decrby" && n === -9223372036854775808n) throw new RedisError("ERR decrement would overflow");
    by = name === "decrby" ? -n : n;
  }
  const old = getString(ctx, argv[1]);
  const cur = old === undefined ? 0n : parseInt64(old);
  if (cur === null) throw notInteger();
  const next = cur + by;
  if (!isInt64(next)) throw overflow();
  const s = next.toString();
  ctx.db.set(argv[1], s, true);
  ctx.notify(NOTIFY_STRING, "incrby", argv[1]);
  ctx.dirty++;
  return Number.isSafeInteger(Number(next)) ? Number(next) : next;
}

/**
 * INCRBYFLOAT key increment: long double arithmetic as Redis's, propagated as SET … KEEPTTL so replay
 * needs no float arithmetic.
 */
function incrbyfloat(ctx: CommandContext, argv: string[]): Reply {
  const s = incrByFloat(getString(ctx, argv[1]), argv[2]);
  ctx.db.set(argv[1], s, true);
  // A new string object from the formatted number: never int-encoded.
  ctx.db.stringEncodings.set(argv[1], s.length <= 44 ? "embstr" : "raw");
  ctx.rewrite(["SET", argv[1], s, "KEEPTTL"]);
  ctx.notify(NOTIFY_STRING, "incrbyfloat", argv[1]);
  ctx.dirty++;
  return s;
}

/** GETRANGE key start end (SUBSTR is its old name) */
function getrange(ctx: CommandContext, argv: string[]): Reply {
  let start = intArg(argv[2]);
  let end = intArg(argv[3]);
  const s = getString(ctx, argv[1]) ?? "";
  if (start < 0 && end < 0 && start > end) return "";
  const len = s.length;
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (len === 0 || start > end) return "";
  return s.slice(start, end + 1);
}

/** SETRANGE key offset value */
function setrange(ctx: CommandContext, argv: string[]): Reply {
  const offset = intArg(argv[2]);
  if (offset < 0) throw new RedisError("ERR offset is out of range");
  const value = argv[3];
  const old = getString(ctx, argv[1]);
  if (old === undefined && value.length === 0) return 0;
  const cur = old ?? "";
  if (value.length === 0) return cur.length;
  checkStringLength(ctx, offset + value.length);
  const padded = cur.length < offset ? cur + "\0".repeat(offset - cur.length) : cur;
  const next = padded.slice(0, offset) + value + padded.slice(offset + value.length);
  ctx.db.set(argv[1], next, true);
  ctx.db.stringEncodings.set(argv[1], "raw");
  ctx.notify(NOTIFY_STRING, "setrange", argv[1]);
  ctx.dirty++;
  return next.length;
}

export const stringCommands: CommandSpec[] = [
  command("get", 2, ["readonly", "fast"], [1, 1, 1], get),
  command("set", -3, ["write", "denyoom"], [1, 1, 1], set),
  command("setnx", 3, ["write", "denyoom", "fast"], [1, 1, 1], setnx),
  command("setex", 4, ["write", "denyoom"], [1, 1, 1], setex),
  command("psetex", 4, ["write", "denyoom"], [1, 1, 1], setex),
  command("getset", 3, ["write", "denyoom", "fast"], [1, 1, 1], getset),
  command("getdel", 2, ["write", "fast"], [1, 1, 1], getdel),
  command("getex", -2, ["write", "fast"], [1, 1, 1], getex),
  command("mget", -2, ["readonly", "fast"], [1, -1, 1], mget, { request: "multi_shard", response: "key_order" }),
  command("mset", -3, ["write", "denyoom"], [1, -1, 2], mset, { request: "multi_shard", response: "all_succeeded" }),
  command("msetnx", -3, ["write", "denyoom"], [1, -1, 2], mset),
  command("append", 3, ["write", "denyoom", "fast"], [1, 1, 1], append),
  command("strlen", 2, ["readonly", "fast"], [1, 1, 1], strlen),
  command("incr", 2, ["write", "denyoom", "fast"], [1, 1, 1], incrDecr),
  command("decr", 2, ["write", "denyoom", "fast"], [1, 1, 1], incrDecr),
  command("incrby", 3, ["write", "denyoom", "fast"], [1, 1, 1], incrDecr),
  command("decrby", 3, ["write", "denyoom", "fast"], [1, 1, 1], incrDecr),
  command("incrbyfloat", 3, ["write", "denyoom", "fast"], [1, 1, 1], incrbyfloat),
  command("getrange", 4, ["readonly"], [1, 1, 1], getrange),
  command("substr", 4, ["readonly"], [1, 1, 1], getrange),
  withGrowth(command("setrange", 4, ["write", "denyoom"], [1, 1, 1], setrange), setrangeGrowth),
];
