// Argument parsing shared by command handlers, throwing Redis's exact errors.

import { parseDouble, parseInt64, parseSafeInt } from "../bytes.js";
import { RedisError, notFloat, notInteger, wrongType } from "../errors.js";
import type { CommandContext } from "../command.js";
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

/** Collections vanish when emptied, as in Redis: delete the key if the value is now empty. */
export function deleteIfEmpty(ctx: CommandContext, key: string, v: { size?: number; length?: number }): boolean {
  if ((v.size ?? v.length) === 0) {
    ctx.db.delete(key);
    return true;
  }
  return false;
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
