// Hash commands (HSET, HGET, HINCRBYFLOAT, HRANDFIELD, HSCAN, …). Fields keep insertion order, which
// is the order Redis's listpack encoding replies in; a hashtable's order is unspecified anyway.

import { isInt64, parseInt64 } from "../bytes.js";
import { type CommandContext, type CommandSpec, command } from "../command.js";
import { noteEncoding } from "../encoding.js";
import { RedisError, nanOrInfinity, notFloat, overflow, syntaxError, wrongArity } from "../errors.js";
import { globMatch } from "../glob.js";
import { type LongDouble, addLongDouble, formatLongDoubleHuman, parseLongDouble } from "../long-double.js";
import { OK, type Reply } from "../reply.js";
import { RedisHash } from "../types/index.js";
import { NOTIFY_HASH } from "../notify.js";
import { ensureReplyRoom, hashReplySize, roomToSize } from "../reply-budget.js";
import { deleteIfEmpty, getHash, int64Arg, opt, rangeArg, removeMembers, sampleIndexes } from "./args.js";
import { parseCursor, parseScanOptions, scanStep } from "./keys.js";

const LONG_MAX = 9223372036854775807n;
const ZERO: LongDouble = { kind: "finite", negative: false, significand: 0n, exponent: 0 };

/** The hash at key, created (not yet stored) when missing; `isNew` says whether to store it. */
function hashForWrite(ctx: CommandContext, key: string): { h: RedisHash; isNew: boolean } {
  const h = getHash(ctx, key);
  return h ? { h, isNew: false } : { h: new RedisHash(), isNew: true };
}

/** Whether the hash is still listpack-encoded (small hashes are scanned in one step, as Redis does). */
function isListpack(ctx: CommandContext, h: RedisHash): boolean {
  noteEncoding(h, ctx.config);
  return !h.bigEncoding;
}

/** HSET key field value [field value …] / HMSET: every pair counts as a change, as in Redis. */
function hset(ctx: CommandContext, argv: string[]): Reply {
  if (argv.length % 2 !== 0) throw wrongArity(argv[0]);
  const { h, isNew } = hashForWrite(ctx, argv[1]);
  let added = 0;
  for (let i = 2; i < argv.length; i += 2) if (h.set(argv[i], argv[i + 1])) added++;
  if (isNew) ctx.db.set(argv[1], h);
  ctx.notify(NOTIFY_HASH, "hset", argv[1]);
  ctx.dirty += (argv.length - 2) / 2;
  return argv[0].toLowerCase() === "hmset" ? OK : added;
}

/** HSETNX key field value */
function hsetnx(ctx: CommandContext, argv: string[]): Reply {
  const { h, isNew } = hashForWrite(ctx, argv[1]);
  if (h.has(argv[2])) return 0;
  h.set(argv[2], argv[3]);
  if (isNew) ctx.db.set(argv[1], h);
  ctx.notify(NOTIFY_HASH, "hset", argv[1]);
  ctx.dirty++;
  return 1;
}

/** HGET key field */
function hget(ctx: CommandContext, argv: string[]): Reply {
  return getHash(ctx, argv[1])?.get(argv[2]) ?? null;
}

/** HMGET key field [field …] */
function hmget(ctx: CommandContext, argv: string[]): Reply {
  const h = getHash(ctx, argv[1]);
  const out: (string | null)[] = [];
  for (let i = 2; i < argv.length; i++) out.push(h?.get(argv[i]) ?? null);
  return out;
}

/** HGETALL key / HKEYS key / HVALS key */
function hgetall(ctx: CommandContext, argv: string[]): Reply {
  const h = getHash(ctx, argv[1]);
  if (!h) return [];
  const name = argv[0].toLowerCase();
  const fields = name !== "hvals";
  const values = name !== "hkeys";
  const room = roomToSize(h.size, ctx);
  if (room < Infinity) ensureReplyRoom(hashReplySize(h, fields, values, room), room);
  const out: string[] = [];
  for (const [f, v] of h.entries()) {
    if (fields) out.push(f);
    if (values) out.push(v);
  }
  return out;
}

/** HDEL key field [field …] */
function hdel(ctx: CommandContext, argv: string[]): Reply {
  const h = getHash(ctx, argv[1]);
  return h ? removeMembers(ctx, argv, h, NOTIFY_HASH, "hdel") : 0;
}

/** HLEN key */
function hlen(ctx: CommandContext, argv: string[]): Reply {
  return getHash(ctx, argv[1])?.size ?? 0;
}

/** HEXISTS key field */
function hexists(ctx: CommandContext, argv: string[]): Reply {
  return getHash(ctx, argv[1])?.has(argv[2]) ? 1 : 0;
}

/** HSTRLEN key field */
function hstrlen(ctx: CommandContext, argv: string[]): Reply {
  return getHash(ctx, argv[1])?.get(argv[2])?.length ?? 0;
}

/** HINCRBY key field increment */
function hincrby(ctx: CommandContext, argv: string[]): Reply {
  const by = int64Arg(argv[3]);
  const { h, isNew } = hashForWrite(ctx, argv[1]);
  const old = h.get(argv[2]);
  const cur = old === undefined ? 0n : parseInt64(old);
  if (cur === null) throw new RedisError("ERR hash value is not an integer");
  const next = cur + by;
  if (!isInt64(next)) throw overflow();
  h.set(argv[2], next.toString());
  if (isNew) ctx.db.set(argv[1], h);
  ctx.notify(NOTIFY_HASH, "hincrby", argv[1]);
  ctx.dirty++;
  return Number.isSafeInteger(Number(next)) ? Number(next) : next;
}

/**
 * HINCRBYFLOAT key field increment: long double arithmetic as Redis's, propagated as HSET key field
 * <new value> so replay does no float maths.
 */
function hincrbyfloat(ctx: CommandContext, argv: string[]): Reply {
  const by = parseLongDouble(argv[3]);
  if (by === null) throw notFloat();
  if (by.kind === "inf") throw new RedisError("ERR value is NaN or Infinity");
  const { h, isNew } = hashForWrite(ctx, argv[1]);
  const old = h.get(argv[2]);
  const cur = old === undefined ? ZERO : parseLongDouble(old);
  if (cur === null) throw new RedisError("ERR hash value is not a float");
  const sum = addLongDouble(cur, by);
  if (sum === null) throw nanOrInfinity();
  const s = formatLongDoubleHuman(sum);
  h.set(argv[2], s);
  if (isNew) ctx.db.set(argv[1], h);
  ctx.rewrite(["HSET", argv[1], argv[2], s]);
  ctx.notify(NOTIFY_HASH, "hincrbyfloat", argv[1]);
  ctx.dirty++;
  return s;
}

/**
 * HRANDFIELD key [count [WITHVALUES]]: a positive count gives distinct fields (the whole hash, in
 * order, when count ≥ size); a negative count may repeat fields.
 */
function hrandfield(ctx: CommandContext, argv: string[]): Reply {
  if (argv.length === 2) {
    const h = getHash(ctx, argv[1]);
    if (!h) return null;
    const target = Math.floor(ctx.random() * h.size);
    let i = 0;
    for (const f of h.map.keys()) if (i++ === target) return f;
    return null;
  }
  const n = rangeArg(argv[2], -LONG_MAX, LONG_MAX);
  if (argv.length > 4 || (argv.length === 4 && opt(argv[3]) !== "WITHVALUES")) throw syntaxError();
  const withValues = argv.length === 4;
  // Field and value make two reply items each, so the count must stay within half the range.
  if (withValues && (n < -LONG_MAX / 2n || n > LONG_MAX / 2n)) throw new RedisError("ERR value is out of range");
  const count = Number(n);
  const h = getHash(ctx, argv[1]);
  if (!h || count === 0) return [];
  const out: string[] = [];
  const push = (f: string, v: string) => {
    out.push(f);
    if (withValues) out.push(v);
  };
  if (count > 0 && count >= h.size) {
    for (const [f, v] of h.entries()) push(f, v);
    return out;
  }
  const entries = [...h.entries()];
  if (count < 0) {
    for (let i = 0; i < -count; i++) {
      const [f, v] = entries[Math.floor(ctx.random() * entries.length)];
      push(f, v);
    }
    return out;
  }
  for (const i of sampleIndexes(entries.length, count, ctx.random)) push(entries[i][0], entries[i][1]);
  return out;
}

/** HSCAN key cursor [MATCH pattern] [COUNT count]: a listpack hash comes back whole, in one step. */
function hscan(ctx: CommandContext, argv: string[]): Reply {
  const cursor = parseCursor(argv[2]);
  const h = getHash(ctx, argv[1]);
  if (!h) return ["0", []];
  const o = parseScanOptions(argv, 3, false);
  let next = "0";
  let found: Iterable<[string, string]>;
  if (isListpack(ctx, h)) found = h.entries();
  else [next, found] = scanStep(h, () => h.entries(), cursor, o.count);
  const out: string[] = [];
  const all = o.match === undefined || o.match === "*";
  for (const [f, v] of found) if (all || globMatch(o.match!, f)) out.push(f, v);
  return [next, out];
}

export const hashCommands: CommandSpec[] = [
  command("hset", -4, ["write", "denyoom", "fast"], [1, 1, 1], hset),
  command("hmset", -4, ["write", "denyoom", "fast"], [1, 1, 1], hset),
  command("hsetnx", 4, ["write", "denyoom", "fast"], [1, 1, 1], hsetnx),
  command("hget", 3, ["readonly", "fast"], [1, 1, 1], hget),
  command("hmget", -3, ["readonly", "fast"], [1, 1, 1], hmget),
  command("hgetall", 2, ["readonly"], [1, 1, 1], hgetall),
  command("hkeys", 2, ["readonly"], [1, 1, 1], hgetall),
  command("hvals", 2, ["readonly"], [1, 1, 1], hgetall),
  command("hdel", -3, ["write", "fast"], [1, 1, 1], hdel),
  command("hlen", 2, ["readonly", "fast"], [1, 1, 1], hlen),
  command("hexists", 3, ["readonly", "fast"], [1, 1, 1], hexists),
  command("hstrlen", 3, ["readonly", "fast"], [1, 1, 1], hstrlen),
  command("hincrby", 4, ["write", "denyoom", "fast"], [1, 1, 1], hincrby),
  command("hincrbyfloat", 4, ["write", "denyoom", "fast"], [1, 1, 1], hincrbyfloat),
  command("hrandfield", -2, ["readonly"], [1, 1, 1], hrandfield),
  command("hscan", -3, ["readonly"], [1, 1, 1], hscan),
];
