// Set commands (SADD, SPOP, SINTER, SSCAN, …). A set still encoded as an intset replies in ascending
// numeric order, as Redis's does; any other set's order is unspecified (ours is insertion order).

import { type CommandContext, type CommandSpec, command, withGrowth } from "../command.js";
import { derivedGrowth } from "../growth.js";
import { noteEncoding } from "../encoding.js";
import { RedisError, syntaxError } from "../errors.js";
import { globMatch } from "../glob.js";
import type { Reply } from "../reply.js";
import { RedisSet } from "../types/index.js";
import { NOTIFY_GENERIC, NOTIFY_SET } from "../notify.js";
import { ensureReplyRoom, sizeOf, roomToSize } from "../reply-budget.js";
import { deleteIfEmpty, getSet, opt, rangeArg, removeMembers, sampleIndexes } from "./args.js";
import { parseCursor, parseScanOptions, scanStep } from "./keys.js";

const LONG_MAX = 9223372036854775807n;
/** SPOP rebuilds the set from what remains when fewer than a fifth would remain (Redis's SPOP_MOVE_STRATEGY_MUL). */
const SPOP_MOVE_STRATEGY_MUL = 5;
/** SRANDMEMBER samples by copying when the count is over a third of the set (SRANDMEMBER_SUB_STRATEGY_MUL). */
const SRANDMEMBER_SUB_STRATEGY_MUL = 3;

/** Numeric order of canonical integer strings, without parsing: sign, then length, then digits. */
function compareInts(a: string, b: string): number {
  const negA = a.charCodeAt(0) === 45;
  const negB = b.charCodeAt(0) === 45;
  if (negA !== negB) return negA ? -1 : 1;
  const sign = negA ? -1 : 1;
  if (a.length !== b.length) return (a.length - b.length) * sign;
  return a < b ? -sign : a > b ? sign : 0;
}

/** Whether the set is (still) intset-encoded. */
function isIntset(ctx: CommandContext, s: RedisSet): boolean {
  noteEncoding(s, ctx.config);
  return !s.bigEncoding;
}

/** The members in the order Redis would walk them: ascending for an intset. */
export function membersInOrder(ctx: CommandContext, s: RedisSet): string[] {
  const out = [...s.values()];
  if (isIntset(ctx, s)) out.sort(compareInts);
  return out;
}

/** The sets at keys, undefined where missing; WRONGTYPE if any key holds another type. */
function setsAt(ctx: CommandContext, keys: string[]): (RedisSet | undefined)[] {
  return keys.map((k) => getSet(ctx, k));
}

/**
 * Stores a computed set at dst (clearing its TTL) with its event, or deletes dst when the result is
 * empty (as Redis's dbDelete: a key past its expiry not yet reclaimed is deleted too, and notified `del`).
 */
function store(ctx: CommandContext, dst: string, result: RedisSet, event: string): Reply {
  if (result.size > 0) {
    ctx.db.set(dst, result);
    ctx.notify(NOTIFY_SET, event, dst);
    ctx.dirty++;
  } else if (ctx.db.data.has(dst)) {
    ctx.db.delete(dst);
    ctx.notify(NOTIFY_GENERIC, "del", dst);
    ctx.dirty++;
  }
  return result.size;
}

/** SADD key member [member …] */
function sadd(ctx: CommandContext, argv: string[]): Reply {
  const existing = getSet(ctx, argv[1]);
  const s = existing ?? new RedisSet();
  let added = 0;
  for (let i = 2; i < argv.length; i++) if (s.add(argv[i])) added++;
  if (!existing) ctx.db.set(argv[1], s);
  if (added > 0) ctx.notify(NOTIFY_SET, "sadd", argv[1]);
  ctx.dirty += added;
  return added;
}

/** SREM key member [member …] */
function srem(ctx: CommandContext, argv: string[]): Reply {
  const s = getSet(ctx, argv[1]);
  return s ? removeMembers(ctx, argv, s, NOTIFY_SET, "srem") : 0;
}

/** SMEMBERS key */
function smembers(ctx: CommandContext, argv: string[]): Reply {
  const s = getSet(ctx, argv[1]);
  if (s === undefined) return [];
  const room = roomToSize(s.size, ctx);
  if (room < Infinity) ensureReplyRoom(sizeOf(s.values(), room), room);
  return membersInOrder(ctx, s);
}

/** SISMEMBER key member */
function sismember(ctx: CommandContext, argv: string[]): Reply {
  return getSet(ctx, argv[1])?.has(argv[2]) ? 1 : 0;
}

/** SMISMEMBER key member [member …] */
function smismember(ctx: CommandContext, argv: string[]): Reply {
  const s = getSet(ctx, argv[1]);
  const out: number[] = [];
  for (let i = 2; i < argv.length; i++) out.push(s?.has(argv[i]) ? 1 : 0);
  return out;
}

/** SCARD key */
function scard(ctx: CommandContext, argv: string[]): Reply {
  return getSet(ctx, argv[1])?.size ?? 0;
}

/**
 * SPOP key [count]: propagated as SREM of the members popped (one SREM for all of them, so a log cut
 * short never holds half a pop), or as DEL when the whole set is popped.
 */
function spop(ctx: CommandContext, argv: string[]): Reply {
  const key = argv[1];
  if (argv.length > 3) throw syntaxError();
  if (argv.length === 2) {
    const s = getSet(ctx, key);
    if (!s) return null;
    const m = s.random(ctx.random)!;
    s.delete(m);
    ctx.notify(NOTIFY_SET, "spop", key);
    deleteIfEmpty(ctx, key, s);
    ctx.rewrite(["SREM", key, m]);
    ctx.dirty++;
    return m;
  }
  const count = Number(rangeArg(argv[2], 0n, LONG_MAX, "ERR value is out of range, must be positive"));
  const s = getSet(ctx, key);
  if (!s || count === 0) return [];
  const size = s.size;
  ctx.notify(NOTIFY_SET, "spop", key);
  if (count >= size) {
    const all = membersInOrder(ctx, s);
    ctx.db.delete(key);
    ctx.notify(NOTIFY_GENERIC, "del", key);
    ctx.rewrite(["DEL", key]);
    ctx.dirty++;
    return all;
  }
  const remaining = size - count;
  let popped: string[];
  if (remaining * SPOP_MOVE_STRATEGY_MUL > size) {
    popped = [];
    for (let i = 0; i < count; i++) {
      const m = s.random(ctx.random)!;
      s.delete(m);
      popped.push(m);
    }
  } else {
    // Few remain: keep a random few in a new set and hand over the rest. Like Redis, the new set
    // starts compact, so a hashtable set of integers can become an intset again here.
    const members = membersInOrder(ctx, s);
    const kept = new RedisSet();
    for (const i of sampleIndexes(members.length, remaining, ctx.random)) kept.add(members[i]);
    popped = members.filter((m) => !kept.has(m));
    ctx.db.set(key, kept, true);
  }
  ctx.rewrite(["SREM", key, ...popped]);
  ctx.dirty += count;
  return popped;
}

/**
 * SRANDMEMBER key [count]: a positive count gives distinct members (the whole set when count ≥
 * size); a negative count may repeat members.
 */
function srandmember(ctx: CommandContext, argv: string[]): Reply {
  if (argv.length > 3) throw syntaxError();
  if (argv.length === 2) return getSet(ctx, argv[1])?.random(ctx.random) ?? null;
  const count = Number(rangeArg(argv[2], -LONG_MAX, LONG_MAX));
  const s = getSet(ctx, argv[1]);
  if (!s || count === 0) return [];
  const out: string[] = [];
  if (count < 0) {
    for (let i = 0; i < -count; i++) out.push(s.random(ctx.random)!);
    return out;
  }
  if (count >= s.size) return membersInOrder(ctx, s);
  if (count * SRANDMEMBER_SUB_STRATEGY_MUL > s.size) {
    const members = [...s.values()];
    for (const i of sampleIndexes(members.length, count, ctx.random)) out.push(members[i]);
    return out;
  }
  // A small sample of a big set: draw until enough distinct members, without copying the set.
  const seen = new Set<string>();
  while (seen.size < count) {
    const m = s.random(ctx.random)!;
    if (!seen.has(m)) {
      seen.add(m);
      out.push(m);
    }
  }
  return out;
}

/** SMOVE source destination member */
function smove(ctx: CommandContext, argv: string[]): Reply {
  const [, src, dst, member] = argv;
  const from = ctx.db.get(src);
  const to = ctx.db.get(dst);
  if (from === undefined) return 0;
  const source = getSet(ctx, src)!;
  const target = to === undefined ? undefined : getSet(ctx, dst);
  if (source === target) return source.has(member) ? 1 : 0;
  if (!source.delete(member)) return 0;
  ctx.notify(NOTIFY_SET, "srem", src);
  deleteIfEmpty(ctx, src, source);
  if (target) {
    if (target.add(member)) ctx.notify(NOTIFY_SET, "sadd", dst);
  } else {
    const created = new RedisSet();
    created.add(member);
    ctx.db.set(dst, created);
    ctx.notify(NOTIFY_SET, "sadd", dst);
  }
  ctx.dirty++;
  return 1;
}

/** The intersection, walking the smallest set in its order; stops at `limit` members (0: no limit). */
function intersect(ctx: CommandContext, keys: string[], limit = 0): string[] {
  const sets = setsAt(ctx, keys);
  if (sets.some((s) => s === undefined)) return [];
  const bySize = (sets as RedisSet[]).slice().sort((a, b) => a.size - b.size);
  const [smallest, ...others] = bySize;
  const out: string[] = [];
  for (const m of membersInOrder(ctx, smallest)) {
    if (others.every((o) => o.has(m))) {
      out.push(m);
      if (out.length === limit) break;
    }
  }
  return out;
}

/** The union or difference as a new set (its members in insertion order). */
function combine(ctx: CommandContext, keys: string[], op: "union" | "diff"): RedisSet {
  const sets = setsAt(ctx, keys);
  const result = new RedisSet();
  if (op === "union") {
    for (const s of sets) if (s) for (const m of s.values()) result.add(m);
    return result;
  }
  const [first, ...others] = sets;
  if (!first) return result;
  for (const m of first.values()) if (!others.some((o) => o?.has(m))) result.add(m);
  return result;
}

const fromMembers = (members: string[]): RedisSet => {
  const s = new RedisSet();
  for (const m of members) s.add(m);
  return s;
};

/** SINTER key [key …] */
function sinter(ctx: CommandContext, argv: string[]): Reply {
  return intersect(ctx, argv.slice(1));
}

/** SINTERSTORE destination key [key …] */
function sinterstore(ctx: CommandContext, argv: string[]): Reply {
  return store(ctx, argv[1], fromMembers(intersect(ctx, argv.slice(2))), "sinterstore");
}

/** SUNION key [key …] / SDIFF key [key …] */
function sunionDiff(ctx: CommandContext, argv: string[]): Reply {
  const op = argv[0].toLowerCase() === "sunion" ? "union" : "diff";
  return membersInOrder(ctx, combine(ctx, argv.slice(1), op));
}

/** SUNIONSTORE destination key [key …] / SDIFFSTORE destination key [key …] */
function sunionDiffStore(ctx: CommandContext, argv: string[]): Reply {
  const op = argv[0].toLowerCase() === "sunionstore" ? "union" : "diff";
  return store(ctx, argv[1], combine(ctx, argv.slice(2), op), op === "union" ? "sunionstore" : "sdiffstore");
}

/** SINTERCARD's numkeys, or null when it is not a usable count (the handler then says why). */
function sintercardNumkeys(argv: string[]): number | null {
  const n = Number(argv[1]);
  return /^[1-9][0-9]{0,18}$/.test(argv[1]) && n <= argv.length - 2 ? n : null;
}

/** SINTERCARD's key positions: numkeys keys from argument 2 (none when numkeys is bad). */
function sintercardKeys(argv: string[]): number[] {
  const n = sintercardNumkeys(argv);
  return n === null ? [] : Array.from({ length: n }, (_, i) => i + 2);
}

/** SINTERCARD numkeys key [key …] [LIMIT limit] */
function sintercard(ctx: CommandContext, argv: string[]): Reply {
  const numkeys = Number(rangeArg(argv[1], 1n, LONG_MAX, "ERR numkeys should be greater than 0"));
  if (numkeys > argv.length - 2) throw new RedisError("ERR Number of keys can't be greater than number of args");
  let limit = 0;
  for (let i = 2 + numkeys; i < argv.length; i++) {
    if (opt(argv[i]) === "LIMIT" && i + 1 < argv.length) {
      limit = Number(rangeArg(argv[++i], 0n, LONG_MAX, "ERR LIMIT can't be negative"));
    } else throw syntaxError();
  }
  return intersect(ctx, argv.slice(2, 2 + numkeys), limit).length;
}

/** SSCAN key cursor [MATCH pattern] [COUNT count]: an intset comes back whole, in order, in one step. */
function sscan(ctx: CommandContext, argv: string[]): Reply {
  const cursor = parseCursor(argv[2]);
  const s = getSet(ctx, argv[1]);
  if (!s) return ["0", []];
  const o = parseScanOptions(argv, 3, false);
  let next = "0";
  let found: Iterable<string>;
  if (isIntset(ctx, s)) found = membersInOrder(ctx, s);
  else [next, found] = scanStep(s, () => s.values(), cursor, o.count);
  const out: string[] = [];
  const all = o.match === undefined || o.match === "*";
  for (const m of found) if (all || globMatch(o.match!, m)) out.push(m);
  return [next, out];
}

export const setCommands: CommandSpec[] = [
  command("sadd", -3, ["write", "denyoom", "fast"], [1, 1, 1], sadd),
  command("srem", -3, ["write", "fast"], [1, 1, 1], srem),
  command("smembers", 2, ["readonly"], [1, 1, 1], smembers),
  command("sismember", 3, ["readonly", "fast"], [1, 1, 1], sismember),
  command("smismember", -3, ["readonly", "fast"], [1, 1, 1], smismember),
  command("scard", 2, ["readonly", "fast"], [1, 1, 1], scard),
  command("spop", -2, ["write", "fast"], [1, 1, 1], spop),
  command("srandmember", -2, ["readonly"], [1, 1, 1], srandmember),
  command("smove", 4, ["write", "fast"], [1, 2, 1], smove),
  command("sinter", -2, ["readonly"], [1, -1, 1], sinter),
  command("sintercard", -3, ["readonly"], sintercardKeys, sintercard),
  withGrowth(command("sinterstore", -3, ["write", "denyoom"], [1, -1, 1], sinterstore), derivedGrowth("min", "first")),
  command("sunion", -2, ["readonly"], [1, -1, 1], sunionDiff),
  withGrowth(command("sunionstore", -3, ["write", "denyoom"], [1, -1, 1], sunionDiffStore), derivedGrowth("sum", "first")),
  command("sdiff", -2, ["readonly"], [1, -1, 1], sunionDiff),
  withGrowth(command("sdiffstore", -3, ["write", "denyoom"], [1, -1, 1], sunionDiffStore), derivedGrowth("first", "first")),
  command("sscan", -3, ["readonly"], [1, 1, 1], sscan),
];
