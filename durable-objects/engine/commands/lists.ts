// List commands (LPUSH … BLMPOP), Redis 7.0's replies and errors. The blocking variants never block
// here (a REST request cannot wait for another client's push): they answer at once with what the
// non-blocking form would give, or nil, and propagate that form (BLPOP → LPOP key, BLMOVE → LMOVE …).

import { parseInt64 } from "../bytes.js";
import { type CommandContext, type CommandSpec, command } from "../command.js";
import { RedisError, mustBePositive, noSuchKey, outOfRange, syntaxError, wrongArity } from "../errors.js";
import { OK, type Reply } from "../reply.js";
import { RedisList } from "../types/index.js";
import { NOTIFY_LIST } from "../notify.js";
import { ensureReplyRoom, listRangeSize, roomToSize } from "../reply-budget.js";
import { deleteIfEmpty, getList, int64Arg, intArg, opt, parseTimeout } from "./args.js";

type End = "LEFT" | "RIGHT";

const rankZero = () =>
  new RedisError(
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
  );

/** LEFT or RIGHT, any case. */
function endArg(s: string): End {
  const a = opt(s);
  if (a === "LEFT" || a === "RIGHT") return a;
  throw syntaxError();
}

const popEnd = (l: RedisList, end: End): string | undefined => (end === "LEFT" ? l.popFront() : l.popBack());
const popEvent = (end: End) => (end === "LEFT" ? "lpop" : "rpop");
const pushEvent = (end: End) => (end === "LEFT" ? "lpush" : "rpush");

/** An integer in 0..LONG_MAX as a number (values past 2^53 only ever mean "all of them"). */
function nonNegativeArg(s: string, error: () => RedisError): number {
  const n = parseInt64(s);
  if (n === null || n < 0n) throw error();
  return Number(n);
}

/** An integer in 1..LONG_MAX (LMPOP's numkeys and COUNT), as getRangeLongFromObjectOrReply checks it. */
function positiveArg(s: string, error: () => RedisError): number {
  const n = parseInt64(s);
  if (n === null || n < 1n) throw error();
  return Number(n);
}

// ---- Push and pop ------------------------------------------------------------------------------

/** LPUSH/RPUSH key element [element …]; LPUSHX/RPUSHX only when the list exists. */
function pushGeneric(end: End, onlyExisting: boolean) {
  return (ctx: CommandContext, argv: string[]): Reply => {
    const key = argv[1];
    let list = getList(ctx, key);
    const fresh = list === undefined;
    if (fresh) {
      if (onlyExisting) return 0;
      list = new RedisList();
    }
    for (let i = 2; i < argv.length; i++) {
      if (end === "LEFT") list!.pushFront(argv[i]);
      else list!.pushBack(argv[i]);
    }
    if (fresh) ctx.db.set(key, list!);
    ctx.notify(NOTIFY_LIST, pushEvent(end), key);
    ctx.dirty += argv.length - 2;
    return list!.length;
  };
}

/** LPOP/RPOP key [count]: nil for a missing key (with or without count), [] for count 0. */
function popGeneric(end: End) {
  return (ctx: CommandContext, argv: string[]): Reply => {
    if (argv.length > 3) throw wrongArity(argv[0]);
    const count = argv.length === 3 ? nonNegativeArg(argv[2], mustBePositive) : undefined;
    const key = argv[1];
    const list = getList(ctx, key);
    if (list === undefined) return null;
    if (count === undefined) {
      const v = popEnd(list, end)!;
      ctx.notify(NOTIFY_LIST, popEvent(end), key);
      deleteIfEmpty(ctx, key, list);
      ctx.dirty++;
      return v;
    }
    const out: string[] = [];
    while (out.length < count && list.length > 0) out.push(popEnd(list, end)!);
    if (out.length > 0) ctx.notify(NOTIFY_LIST, popEvent(end), key);
    deleteIfEmpty(ctx, key, list);
    ctx.dirty += out.length;
    return out;
  };
}

/** LLEN key */
function llen(ctx: CommandContext, argv: string[]): Reply {
  return getList(ctx, argv[1])?.length ?? 0;
}

/** start..stop of a list of length len as Redis clamps them, or null when the range is empty. */
function clampRange(start: number, stop: number, len: number): [number, number] | null {
  if (start < 0) start += len;
  if (stop < 0) stop += len;
  if (start < 0) start = 0;
  if (start > stop || start >= len) return null;
  return [start, Math.min(stop, len - 1)];
}

/** LRANGE key start stop */
function lrange(ctx: CommandContext, argv: string[]): Reply {
  const start = intArg(argv[2]);
  const stop = intArg(argv[3]);
  const list = getList(ctx, argv[1]);
  if (list === undefined) return [];
  const range = clampRange(start, stop, list.length);
  if (range === null) return [];
  const elements = range[1] - range[0] + 1;
  const room = roomToSize(elements, ctx);
  if (room < Infinity) ensureReplyRoom(listRangeSize(list, range[0], elements, room), room);
  return list.slice(range[0], range[1]);
}

/** LINDEX key index */
function lindex(ctx: CommandContext, argv: string[]): Reply {
  const list = getList(ctx, argv[1]);
  if (list === undefined) return null;
  let index = intArg(argv[2]);
  if (index < 0) index += list.length;
  return list.at(index) ?? null;
}

/** LSET key index element */
function lset(ctx: CommandContext, argv: string[]): Reply {
  const list = getList(ctx, argv[1]);
  if (list === undefined) throw noSuchKey();
  let index = intArg(argv[2]);
  if (index < 0) index += list.length;
  if (index < 0 || index >= list.length) throw outOfRange();
  list.set(index, argv[3]);
  ctx.notify(NOTIFY_LIST, "lset", argv[1]);
  ctx.dirty++;
  return OK;
}

/** LINSERT key BEFORE|AFTER pivot element: the new length, 0 for no list, -1 for no pivot. */
function linsert(ctx: CommandContext, argv: string[]): Reply {
  const where = opt(argv[2]);
  if (where !== "BEFORE" && where !== "AFTER") throw syntaxError();
  const list = getList(ctx, argv[1]);
  if (list === undefined) return 0;
  const pivot = argv[3];
  for (let i = 0; i < list.length; i++) {
    if (list.at(i) === pivot) {
      list.insertAt(where === "BEFORE" ? i : i + 1, argv[4]);
      ctx.notify(NOTIFY_LIST, "linsert", argv[1]);
      ctx.dirty++;
      return list.length;
    }
  }
  return -1;
}

/** LREM key count element: count > 0 from the head, < 0 from the tail, 0 all. */
function lrem(ctx: CommandContext, argv: string[]): Reply {
  const count = intArg(argv[2]);
  const key = argv[1];
  const list = getList(ctx, key);
  if (list === undefined) return 0;
  const removed = list.removeEqual(argv[3], Math.abs(count), count < 0);
  if (removed > 0) ctx.notify(NOTIFY_LIST, "lrem", key);
  deleteIfEmpty(ctx, key, list);
  ctx.dirty += removed;
  return removed;
}

/** LTRIM key start stop */
function ltrim(ctx: CommandContext, argv: string[]): Reply {
  const start = intArg(argv[2]);
  const stop = intArg(argv[3]);
  const key = argv[1];
  const list = getList(ctx, key);
  if (list === undefined) return OK;
  const len = list.length;
  const range = clampRange(start, stop, len);
  if (range === null) list.trim(1, 0);
  else list.trim(range[0], range[1]);
  ctx.notify(NOTIFY_LIST, "ltrim", key);
  deleteIfEmpty(ctx, key, list);
  ctx.dirty += len - list.length;
  return OK;
}

export interface LposOptions {
  /**
   * 1 = first match; negative counts matches from the tail. Ranks beyond ±2^53 (more matches than
   * any list holds) are clamped there, except LLONG_MIN, kept as -(2^63): Redis cannot negate it.
   */
  rank: number;
  /** Matches to return; 0 = all; undefined = reply with one index, not an array. */
  count?: number;
  /** Elements to compare at most; 0 = the whole list. */
  maxlen: number;
}

const RANK_LLONG_MIN = -(2n ** 63n);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const bigMin = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const bigMax = (a: bigint, b: bigint): bigint => (a > b ? a : b);

/** LPOS's options after key and element, checked one by one as Redis does. Exported for its tests. */
export function parseLposOptions(args: string[]): LposOptions {
  const o: LposOptions = { rank: 1, maxlen: 0 };
  for (let i = 0; i < args.length; i++) {
    const a = opt(args[i]);
    const hasNext = i + 1 < args.length;
    if (a === "RANK" && hasNext) {
      const rank = int64Arg(args[++i]);
      if (rank === 0n) throw rankZero();
      o.rank = rank === RANK_LLONG_MIN ? -(2 ** 63) : Number(rank < 0n ? bigMax(rank, -MAX_SAFE) : bigMin(rank, MAX_SAFE));
    } else if (a === "COUNT" && hasNext) {
      o.count = nonNegativeArg(args[++i], () => new RedisError("ERR COUNT can't be negative"));
    } else if (a === "MAXLEN" && hasNext) {
      o.maxlen = nonNegativeArg(args[++i], () => new RedisError("ERR MAXLEN can't be negative"));
    } else throw syntaxError();
  }
  return o;
}

/** LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len] */
function lpos(ctx: CommandContext, argv: string[]): Reply {
  const o = parseLposOptions(argv.slice(3));
  const list = getList(ctx, argv[1]);
  if (list === undefined) return o.count === undefined ? null : [];
  const element = argv[2];
  const len = list.length;
  // Redis negates a negative rank in place, so LLONG_MIN stays negative: every match from the tail
  // qualifies, and with COUNT its test "matches - rank + 1 >= count" overflows and never stops it.
  const rankMin = o.rank === -(2 ** 63);
  const want = o.count === undefined ? 1 : o.count === 0 || rankMin ? Infinity : o.count;
  const scan = o.maxlen === 0 ? len : Math.min(o.maxlen, len);
  let skip = rankMin ? 0 : Math.abs(o.rank) - 1;
  const found: number[] = [];
  for (let n = 0; n < scan && found.length < want; n++) {
    const i = o.rank > 0 ? n : len - 1 - n;
    if (list.at(i) !== element) continue;
    if (skip > 0) skip--;
    else found.push(i);
  }
  if (o.count !== undefined) return found;
  return found.length > 0 ? found[0] : null;
}

// ---- Moving between lists ----------------------------------------------------------------------

/**
 * Pops from source's `from` end and pushes onto destination's `to` end (creating it), as LMOVE.
 * Null when source is missing; destination's type is checked only when there is something to move.
 */
function moveGeneric(ctx: CommandContext, source: string, destination: string, from: End, to: End): string | null {
  const src = getList(ctx, source);
  if (src === undefined) return null;
  let dst = getList(ctx, destination);
  const v = popEnd(src, from)!;
  const fresh = dst === undefined;
  if (fresh) dst = new RedisList();
  if (to === "LEFT") dst!.pushFront(v);
  else dst!.pushBack(v);
  if (fresh) ctx.db.set(destination, dst!);
  ctx.notify(NOTIFY_LIST, pushEvent(to), destination);
  ctx.notify(NOTIFY_LIST, popEvent(from), source);
  deleteIfEmpty(ctx, source, src);
  ctx.dirty++;
  return v;
}

/** LMOVE source destination LEFT|RIGHT LEFT|RIGHT */
function lmove(ctx: CommandContext, argv: string[]): Reply {
  const from = endArg(argv[3]);
  const to = endArg(argv[4]);
  return moveGeneric(ctx, argv[1], argv[2], from, to);
}

/** RPOPLPUSH source destination */
function rpoplpush(ctx: CommandContext, argv: string[]): Reply {
  return moveGeneric(ctx, argv[1], argv[2], "RIGHT", "LEFT");
}

/** BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout: propagated as LMOVE. */
function blmove(ctx: CommandContext, argv: string[]): Reply {
  const from = endArg(argv[3]);
  const to = endArg(argv[4]);
  parseTimeout(argv[5]);
  const v = moveGeneric(ctx, argv[1], argv[2], from, to);
  if (v !== null) ctx.rewrite(["LMOVE", argv[1], argv[2], argv[3], argv[4]]);
  return v;
}

/** BRPOPLPUSH source destination timeout: propagated as RPOPLPUSH. */
function brpoplpush(ctx: CommandContext, argv: string[]): Reply {
  parseTimeout(argv[3]);
  const v = moveGeneric(ctx, argv[1], argv[2], "RIGHT", "LEFT");
  if (v !== null) ctx.rewrite(["RPOPLPUSH", argv[1], argv[2]]);
  return v;
}

// ---- Popping from the first non-empty of several lists -----------------------------------------

/** BLPOP/BRPOP key [key …] timeout: [key, element] from the first non-empty list, propagated as LPOP/RPOP key. */
function blockingPop(end: End) {
  return (ctx: CommandContext, argv: string[]): Reply => {
    parseTimeout(argv[argv.length - 1]);
    for (let i = 1; i < argv.length - 1; i++) {
      const key = argv[i];
      const list = getList(ctx, key);
      if (list === undefined) continue;
      const v = popEnd(list, end)!;
      ctx.notify(NOTIFY_LIST, popEvent(end), key);
      deleteIfEmpty(ctx, key, list);
      ctx.dirty++;
      ctx.rewrite([end === "LEFT" ? "LPOP" : "RPOP", key]);
      return [key, v];
    }
    return null;
  };
}

interface MpopArgs {
  keys: string[];
  end: End;
  count: number;
}

const numkeysError = () => new RedisError("ERR numkeys should be greater than 0");

/** LMPOP/BLMPOP's arguments from the numkeys position on: numkeys key … LEFT|RIGHT [COUNT count]. */
function parseMpop(argv: string[], numkeysAt: number): MpopArgs {
  const numkeys = positiveArg(argv[numkeysAt], numkeysError);
  const whereAt = numkeysAt + numkeys + 1;
  if (whereAt >= argv.length) throw syntaxError();
  const end = endArg(argv[whereAt]);
  let count: number | undefined;
  for (let i = whereAt + 1; i < argv.length; i++) {
    if (count === undefined && opt(argv[i]) === "COUNT" && i + 1 < argv.length) {
      count = positiveArg(argv[++i], () => new RedisError("ERR count should be greater than 0"));
    } else throw syntaxError();
  }
  return { keys: argv.slice(numkeysAt + 1, whereAt), end, count: count ?? 1 };
}

/** Key positions of LMPOP/BLMPOP: none when numkeys is not usable (the handler then answers the error). */
function mpopKeys(numkeysAt: number) {
  return (argv: string[]): number[] => {
    const n = parseInt64(argv[numkeysAt] ?? "");
    if (n === null || n < 1n || BigInt(numkeysAt) + n + 1n >= BigInt(argv.length)) return [];
    return Array.from({ length: Number(n) }, (_, i) => numkeysAt + 1 + i);
  };
}

/** Pops up to count from the first non-empty list: [key, [elements]], propagated as LPOP/RPOP key n. */
function mpop(ctx: CommandContext, a: MpopArgs): Reply {
  for (const key of a.keys) {
    const list = getList(ctx, key);
    if (list === undefined) continue;
    const out: string[] = [];
    while (out.length < a.count && list.length > 0) out.push(popEnd(list, a.end)!);
    ctx.notify(NOTIFY_LIST, popEvent(a.end), key);
    deleteIfEmpty(ctx, key, list);
    ctx.dirty += out.length;
    ctx.rewrite([a.end === "LEFT" ? "LPOP" : "RPOP", key, String(out.length)]);
    return [key, out];
  }
  return null;
}

/** LMPOP numkeys key [key …] LEFT|RIGHT [COUNT count] */
function lmpop(ctx: CommandContext, argv: string[]): Reply {
  return mpop(ctx, parseMpop(argv, 1));
}

/** BLMPOP timeout numkeys key [key …] LEFT|RIGHT [COUNT count] */
function blmpop(ctx: CommandContext, argv: string[]): Reply {
  const a = parseMpop(argv, 2);
  parseTimeout(argv[1]);
  return mpop(ctx, a);
}

export const listCommands: CommandSpec[] = [
  command("lpush", -3, ["write", "denyoom", "fast"], [1, 1, 1], pushGeneric("LEFT", false)),
  command("rpush", -3, ["write", "denyoom", "fast"], [1, 1, 1], pushGeneric("RIGHT", false)),
  command("lpushx", -3, ["write", "denyoom", "fast"], [1, 1, 1], pushGeneric("LEFT", true)),
  command("rpushx", -3, ["write", "denyoom", "fast"], [1, 1, 1], pushGeneric("RIGHT", true)),
  command("lpop", -2, ["write", "fast"], [1, 1, 1], popGeneric("LEFT")),
  command("rpop", -2, ["write", "fast"], [1, 1, 1], popGeneric("RIGHT")),
  command("llen", 2, ["readonly", "fast"], [1, 1, 1], llen),
  command("lrange", 4, ["readonly"], [1, 1, 1], lrange),
  command("lindex", 3, ["readonly"], [1, 1, 1], lindex),
  command("lset", 4, ["write", "denyoom"], [1, 1, 1], lset),
  command("linsert", 5, ["write", "denyoom"], [1, 1, 1], linsert),
  command("lrem", 4, ["write"], [1, 1, 1], lrem),
  command("ltrim", 4, ["write"], [1, 1, 1], ltrim),
  command("lpos", -3, ["readonly"], [1, 1, 1], lpos),
  command("lmove", 5, ["write", "denyoom"], [1, 2, 1], lmove),
  command("rpoplpush", 3, ["write", "denyoom"], [1, 2, 1], rpoplpush),
  command("lmpop", -4, ["write"], mpopKeys(1), lmpop),
  command("blpop", -3, ["write", "noscript"], [1, -2, 1], blockingPop("LEFT")),
  command("brpop", -3, ["write", "noscript"], [1, -2, 1], blockingPop("RIGHT")),
  command("blmove", 6, ["write", "denyoom", "noscript"], [1, 2, 1], blmove),
  command("brpoplpush", 4, ["write", "denyoom", "noscript"], [1, 2, 1], brpoplpush),
  command("blmpop", -5, ["write"], mpopKeys(2), blmpop),
];
