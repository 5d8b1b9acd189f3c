// Argument parsing shared by command handlers, throwing Redis's exact errors.

import { parseDouble, parseInt64, parseSafeInt } from "../bytes.js";
import { RedisError, notFloat, notInteger, wrongType } from "../errors.js";
import type { CommandContext } from "../command.js";
import { NOTIFY_GENERIC } from "../notify.js";
import { RedisHash, RedisList, RedisSet, RedisZSet } from "../types/index.js";

/** An integer argument that must fit in a JS safe integer (counts, indexes, offsets). */
export function intArg(s: string, error: () => RedisError = notInteger): number {
  const n = parseSafeInt(s);
  if (n === null) throw error();
  return n;
}

/** A full int64 argument (INCRBY, DECRBY). */
export function int64Arg(s: string): bigint {
  const n = parseInt64(s);
  if (n === null) throw notInteger();
  return n;
}

export function floatArg(s: string, error: () => RedisError = notFloat): number {
  const n = parseDouble(s);
  if (n === null) throw error();
  return n;
}

/** Upper-cased option word, for matching NX/XX/… case-insensitively. */
export const opt = (s: string): string => s.toUpperCase();

/** The string at key, undefined when missing; WRONGTYPE for another type. */
export function getString(ctx: CommandContext, key: string): string | undefined {
  const v = ctx.db.get(key);
  if (v === undefined || typeof v === "string") return v;
  throw wrongType();
}

function typed<T>(cls: new () => T) {
  return (ctx: CommandContext, key: string): T | undefined => {
    const v = ctx.db.get(key);
    if (v === undefined) return undefined;
    if (v instanceof cls) return v;
    throw wrongType();
  };
}

export const getHash = typed(RedisHash);
export const getList = typed(RedisList);
export const getSet = typed(RedisSet);
export const getZSet = typed(RedisZSet);

/**
 * Collections vanish when emptied, as in Redis: delete the key if the value is now empty, with the
 * `del` event Redis raises then (after the command's own event, so callers notify theirs first).
 */
export function deleteIfEmpty(ctx: CommandContext, key: string, v: { size?: number; length?: number }): boolean {
  if ((v.size ?? v.length) === 0) {
    ctx.db.delete(key);
    ctx.notify(NOTIFY_GENERIC, "del", key);
    return true;
  }
  return false;
}

/**
 * HDEL, SREM, ZREM: removes argv[2…] from the collection at argv[1], raises `event` (of class `type`)
 * when any went, deletes the key once it is empty, and counts the removals as changes. Returns how many were removed.
 */
export function removeMembers(
  ctx: CommandContext,
  argv: string[],
  coll: { delete(member: string): boolean; size: number },
  type: number,
  event: string,
): number {
  let removed = 0;
  for (let i = 2; i < argv.length && coll.size > 0; i++) if (coll.delete(argv[i])) removed++;
  if (removed > 0) ctx.notify(type, event, argv[1]);
  deleteIfEmpty(ctx, argv[1], coll);
  ctx.dirty += removed;
  return removed;
}

/**
 * Redis's getRangeLongFromObjectOrReply: an integer in [min, max], with its two error texts (or one
 * given text for both). A bigint, as counts near the int64 limits are compared exactly.
 */
export function rangeArg(s: string, min: bigint, max: bigint, message?: string): bigint {
  const n = parseInt64(s);
  if (n === null) throw new RedisError(message ?? "ERR value is not an integer or out of range");
  if (n < min || n > max) throw new RedisError(message ?? `ERR value is out of range, value must between ${min} and ${max}`);
  return n;
}

/** Picks `count` distinct indexes of `n` in random order (a partial Fisher–Yates shuffle). */
export function sampleIndexes(n: number, count: number, random: () => number): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (n - i));
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  idx.length = count;
  return idx;
}

// Blocking timeouts (BLPOP, BZPOPMIN, …): shared by the list and sorted set families.

const timeoutNotFloat = () => new RedisError("ERR timeout is not a float or out of range");
const timeoutNegative = () => new RedisError("ERR timeout is negative");

const DECIMAL = /^[+-]?(\d+)?(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const HEX = /^[+-]?0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const INFINITE = /^[+-]?inf(inity)?$/i;
/** log10 and log2 of the largest long double, and of half the smallest subnormal (what rounds to 0). */
const LD_MAX_LOG10 = 4932.0754489;
const LD_ZERO_LOG10 = -4950.7393;
const LD_MAX_LOG2 = 16384;
const LD_ZERO_LOG2 = -16446;

/**
 * A blocking command's timeout in seconds, validated as Redis 7.0 does on x86-64: the text is read
 * as strtold reads it (decimal, hex, inf; no spaces, no NaN, nothing out of long double range), then
 * converted to whole milliseconds; a negative result, or one past int64 (the conversion then yields
 * INT64_MIN), is "timeout is negative". Returns the timeout in ms (0: wait forever).
 */
export function parseTimeout(s: string): number {
  if (s.length === 0 || s.length >= 5120) throw timeoutNotFloat();
  let seconds: number;
  const dec = DECIMAL.exec(s);
  const hex = dec ? null : HEX.exec(s);
  if (dec && (dec[1] !== undefined || (dec[2] !== undefined && dec[2] !== ""))) {
    seconds = Number(s);
    const digits = (dec[1] ?? "") + (dec[2] ?? "");
    const first = digits.search(/[1-9]/);
    if (first >= 0) {
      // The value is m × 10^e10 with 1 ≤ m < 10; Number() alone saturates long before long double does.
      const e10 = Number(dec[3] ?? 0) + (dec[1] ?? "").length - first - 1;
      const log10 = e10 + Math.log10(Number(`${digits[first]}.${digits.slice(first + 1, first + 17) || "0"}`));
      if (log10 > LD_MAX_LOG10 || log10 < LD_ZERO_LOG10) throw timeoutNotFloat();
      if (log10 > 30) seconds = s.startsWith("-") ? -Infinity : Infinity;
    }
  } else if (hex && (hex[1] !== "" || (hex[2] !== undefined && hex[2] !== ""))) {
    const digits = hex[1] + (hex[2] ?? "");
    const first = digits.search(/[1-9a-fA-F]/);
    seconds = 0;
    if (first >= 0) {
      const lead = parseInt(digits[first], 16);
      const e2 = Number(hex[3] ?? 0) + 4 * (hex[1].length - first - 1) + Math.floor(Math.log2(lead));
      if (e2 >= LD_MAX_LOG2 || e2 < LD_ZERO_LOG2) throw timeoutNotFloat();
      const take = digits.slice(first, first + 13);
      seconds = parseInt(take, 16) * 2 ** (Number(hex[3] ?? 0) + 4 * (hex[1].length - first - take.length));
      if (e2 > 100) seconds = Infinity;
      if (s.startsWith("-")) seconds = -seconds;
    }
  } else if (INFINITE.test(s)) {
    seconds = s.startsWith("-") ? -Infinity : Infinity;
  } else {
    throw timeoutNotFloat();
  }
  const ms = seconds * 1000;
  if (!(ms < 2 ** 63) || Math.trunc(ms) < 0) throw timeoutNegative();
  return Math.trunc(ms) + 0; // + 0 turns -0 into 0
}
