// SORT and SORT_RO over lists, sets and sorted sets, as Redis 7 sorts: numeric by default (strtod of
// each element or of its BY weight up to a NUL, ties broken bytewise), ALPHA bytewise (up to a NUL
// unless STORE), BY/GET patterns with `*` and `->field`, LIMIT, STORE into a list.

import { strtod } from "../bytes.js";
import { type CommandContext, type CommandSpec, type PatternKey, type RoutingTips, command, withGrowth } from "../command.js";
import { derivedGrowth } from "../growth.js";
import { RedisError, oom, stringTooLong, syntaxError, wrongType } from "../errors.js";
import { valueMemory } from "../types/index.js";
import { keyCost, stringCost } from "../types/memory.js";
import type { Reply } from "../reply.js";
import { RedisHash, RedisList, RedisSet, RedisZSet } from "../types/index.js";
import { intArg, opt } from "./args.js";
import { NOTIFY_GENERIC, NOTIFY_LIST } from "../notify.js";

export interface SortOptions {
  desc: boolean;
  alpha: boolean;
  limitStart: number;
  limitCount: number;
  /** The BY pattern, when given. */
  by?: string;
  /** A BY pattern without `*` means "do not sort". */
  dontSort: boolean;
  get: string[];
  store?: string;
}

/** Parses SORT's options after the key; STORE only when the command may write. */
export function parseSortOptions(args: string[], readonly: boolean): SortOptions {
  const o: SortOptions = { desc: false, alpha: false, limitStart: 0, limitCount: -1, dontSort: false, get: [] };
  for (let i = 0; i < args.length; i++) {
    const a = opt(args[i]);
    const left = args.length - i - 1;
    if (a === "ASC") o.desc = false;
    else if (a === "DESC") o.desc = true;
    else if (a === "ALPHA") o.alpha = true;
    else if (a === "LIMIT" && left >= 2) {
      o.limitStart = intArg(args[i + 1]);
      o.limitCount = intArg(args[i + 2]);
      i += 2;
    } else if (a === "STORE" && left >= 1 && !readonly) o.store = args[++i];
    else if (a === "BY" && left >= 1) {
      o.by = args[++i];
      o.dontSort = !o.by.includes("*");
    } else if (a === "GET" && left >= 1) o.get.push(args[++i]);
    else throw syntaxError();
  }
  return o;
}

/**
 * The patterns that name other keys (BY with `*`, GET other than `#`). With several shards the
 * router refuses them unless they hash to the sorted key's slot, as Redis Cluster does.
 */
export function sortKeyPatterns(argv: string[]): { option: "BY" | "GET"; pattern: string }[] {
  const out: { option: "BY" | "GET"; pattern: string }[] = [];
  for (let i = 2; i < argv.length - 1; i++) {
    const a = opt(argv[i]);
    if (a === "LIMIT") i += 2;
    else if (a === "STORE") i++;
    else if (a === "BY") {
      if (argv[i + 1].includes("*")) out.push({ option: "BY", pattern: argv[i + 1] });
      i++;
    } else if (a === "GET") {
      if (argv[i + 1] !== "#") out.push({ option: "GET", pattern: argv[i + 1] });
      i++;
    }
  }
  return out;
}

/** Routed by its keys, with its BY and GET patterns' keys checked as Redis Cluster checks them. */
const SORT_TIPS: RoutingTips = {
  request: "keyed",
  patternKeys: (argv): PatternKey[] =>
    sortKeyPatterns(argv).map(({ option, pattern }) => ({
      pattern,
      refusal: `ERR ${option} option of SORT denied in Cluster mode when keys formed by the pattern may be in different slots.`,
    })),
};

/** The value a BY/GET pattern names for an element: a string key, or a hash field with `->`. */
function lookupByPattern(ctx: CommandContext, pattern: string, element: string): string | null {
  if (pattern === "#") return element;
  const star = pattern.indexOf("*");
  if (star < 0) return null;
  const arrow = pattern.indexOf("->", star + 1);
  const hasField = arrow >= 0 && arrow + 2 < pattern.length;
  const key = pattern.slice(0, star) + element + pattern.slice(star + 1, hasField ? arrow : pattern.length);
  const v = ctx.db.get(key);
  if (v === undefined) return null;
  if (hasField) return v instanceof RedisHash ? (v.get(pattern.slice(arrow + 2)) ?? null) : null;
  return typeof v === "string" ? v : null;
}

/** The smallest normal double: below it (and above 0) glibc's strtod sets ERANGE. */
const MIN_NORMAL = 2.2250738585072014e-308;

/**
 * A value as C string functions see it: up to its first NUL byte. Redis hands SORT's weights to
 * strtod and strcoll, which stop there.
 */
const cString = (s: string): string => {
  const nul = s.indexOf("\0");
  return nul < 0 ? s : s.slice(0, nul);
};

/**
 * A weight as SORT reads it with strtod: null when the text before its first NUL byte is not a
 * whole number, is NaN, or is out of range. SORT checks errno == ERANGE alone, which glibc also
 * sets for a subnormal result (ZADD's parser lets those through). "1\0zz" is 1; "" and "\0" are
 * 0 (strtod converts nothing and stops at the terminator, which SORT accepts).
 */
export function sortWeight(value: string): number | null {
  const s = cString(value);
  const { value: n, end, erange } = strtod(s);
  if (end !== s.length || erange || Number.isNaN(n)) return null;
  if (n !== 0 && Math.abs(n) < MIN_NORMAL) return null;
  return end === 0 ? 0 : n;
}

const bytewise = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

interface SortItem {
  element: string;
  score: number;
  /** The BY value in ALPHA mode; null when the pattern named nothing. */
  by: string | null;
}

function sortGeneric(ctx: CommandContext, argv: string[], readonly: boolean): Reply {
  const o = parseSortOptions(argv.slice(2), readonly);
  const v = ctx.db.get(argv[1]);
  if (v !== undefined && !(v instanceof RedisList || v instanceof RedisSet || v instanceof RedisZSet)) throw wrongType();
  let dontSort = o.dontSort;
  let alpha = o.alpha;
  let by = o.by;
  // A set has no order of its own: when the result is stored it must be deterministic, so it is sorted.
  if (dontSort && v instanceof RedisSet && o.store !== undefined) {
    dontSort = false;
    alpha = true;
    by = undefined;
  }
  // Redis converts a sorted set to its skiplist encoding for SORT, for good.
  if (v instanceof RedisZSet) v.bigEncoding = true;

  let elements: string[];
  if (v === undefined) elements = [];
  else if (v instanceof RedisList) elements = [...v.values()];
  else if (v instanceof RedisSet) elements = [...v.values()];
  else elements = v.entries().map(([m]) => m);
  const len = elements.length;

  let start = Math.min(Math.max(o.limitStart, 0), len);
  const count = Math.min(Math.max(o.limitCount, -1), len);
  let end = count < 0 ? len - 1 : start + count - 1;
  if (start >= len) {
    start = len - 1;
    end = len - 2;
  }
  if (end >= len) end = len - 1;

  let ordered: string[];
  if (dontSort) {
    // Lists and sorted sets keep their own order, read from the other end for DESC.
    ordered = o.desc && !(v instanceof RedisSet) ? elements.reverse() : elements;
  } else {
    let conversionError = false;
    const items: SortItem[] = elements.map((element) => {
      const item: SortItem = { element, score: 0, by: null };
      const weight = by !== undefined ? lookupByPattern(ctx, by, element) : element;
      if (weight === null) return item;
      if (alpha) {
        if (by !== undefined) item.by = weight;
      } else {
        const n = sortWeight(weight);
        if (n === null) conversionError = true;
        else item.score = n;
      }
      return item;
    });
    if (conversionError) throw new RedisError("ERR One or more scores can't be converted into double");
    const sign = o.desc ? -1 : 1;
    // ALPHA compares whole values with STORE, but with strcoll (C locale: bytewise up to the first
    // NUL) when replying; values equal that far keep their input order (glibc's qsort is stable).
    const text = o.store !== undefined ? (s: string) => s : cString;
    let compare: (a: SortItem, b: SortItem) => number;
    if (!alpha) compare = (a, b) => sign * (a.score > b.score ? 1 : a.score < b.score ? -1 : bytewise(a.element, b.element));
    else if (by !== undefined) {
      compare = (a, b) => {
        if (a.by === null || b.by === null) return sign * (a.by === b.by ? 0 : a.by === null ? -1 : 1);
        return sign * bytewise(text(a.by), text(b.by));
      };
    } else compare = (a, b) => sign * bytewise(text(a.element), text(b.element));
    ordered = items.sort(compare).map((i) => i.element);
  }

  const out: (string | null)[] = [];
  for (let j = start; j <= end; j++) {
    if (o.get.length === 0) out.push(ordered[j]);
    for (const pattern of o.get) {
      const got = lookupByPattern(ctx, pattern, ordered[j]);
      out.push(got === null && o.store !== undefined ? "" : got);
    }
  }
  if (o.store === undefined) return out;
  if (out.length > 0) {
    // A GET pattern may read a value stored before proto-max-bulk-len was lowered; the list is new.
    if (!ctx.loading) {
      const maxBulk = ctx.config.getNumber("proto-max-bulk-len");
      let bytes = keyCost(o.store);
      for (const e of out) {
        if (e !== null && e.length > maxBulk) throw stringTooLong();
        bytes += stringCost(e ?? "") + 8;
      }
      // GET patterns read other keys, so the dispatcher's estimate (the sorted key's size) may fall
      // short: the elements are known now, before the list is made.
      const limit = ctx.config.getNumber("maxmemory");
      const old = ctx.db.data.get(o.store);
      if (limit > 0 && ctx.db.usedMemory + bytes - (old === undefined ? 0 : valueMemory(old)) > limit) throw oom();
    }
    const list = new RedisList();
    for (const e of out) list.pushBack(e as string);
    ctx.db.set(o.store, list);
    ctx.notify(NOTIFY_LIST, "sortstore", o.store);
    ctx.dirty += out.length;
  } else if (ctx.db.data.has(o.store) && ctx.db.delete(o.store)) {
    // As Redis's dbDelete: a destination past its expiry not yet reclaimed is deleted (and notified) too.
    ctx.notify(NOTIFY_GENERIC, "del", o.store);
    ctx.dirty++;
  }
  return out.length;
}

/** SORT key [BY pattern] [LIMIT offset count] [GET pattern …] [ASC|DESC] [ALPHA] [STORE destination] */
function sort(ctx: CommandContext, argv: string[]): Reply {
  return sortGeneric(ctx, argv, false);
}

/** SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern …] [ASC|DESC] [ALPHA] */
function sortRo(ctx: CommandContext, argv: string[]): Reply {
  return sortGeneric(ctx, argv, true);
}

/** The sorted key and, with STORE, the destination. */
function sortKeys(argv: string[]): number[] {
  const keys = [1];
  for (let i = 2; i < argv.length; i++) {
    const a = opt(argv[i]);
    if (a === "LIMIT") i += 2;
    else if (a === "BY" || a === "GET") i++;
    else if (a === "STORE" && i + 1 < argv.length) keys.push(++i);
  }
  return keys;
}

export const sortCommands: CommandSpec[] = [
  withGrowth(command("sort", -2, ["write", "denyoom"], sortKeys, sort, SORT_TIPS), derivedGrowth("first", "last")),
  command("sort_ro", -2, ["readonly"], [1, 1, 1], sortRo, SORT_TIPS),
];
