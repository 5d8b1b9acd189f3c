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
