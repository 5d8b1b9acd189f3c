// Sorted set commands (ZADD … ZSCAN), as Redis 7.0 parses, answers and propagates them. Scores are
// doubles replied with %.17g ("inf"/"-inf"); numbers are parsed with C strtod's grammar, as Redis does.

import { formatDouble, isSpace, parseSafeInt, strtod } from "../bytes.js";
import { type CommandContext, type CommandSpec, command, withGrowth } from "../command.js";
import { derivedGrowth } from "../growth.js";
import { noteEncoding } from "../encoding.js";
import { RedisError, minMaxNotFloat, mustBePositive, notFloat, syntaxError, wrongType } from "../errors.js";
import { globMatch } from "../glob.js";
import type { Reply } from "../reply.js";
import { RedisSet, RedisZSet } from "../types/index.js";
import { NOTIFY_GENERIC, NOTIFY_ZSET } from "../notify.js";
import { ELEMENT_BYTES, ensureReplyRoom, roomToSize, zsetRangeSize } from "../reply-budget.js";
import { deleteIfEmpty, getZSet, intArg, opt, parseTimeout, rangeArg, removeMembers } from "./args.js";
import { parseCursor, parseScanOptions, scanStep } from "./keys.js";

// ---------------------------------------------------------------------------------------------
// Numbers

const LONG_MAX = 9223372036854775807n;


/** A score, increment or weight as Redis's getDoubleFromObject accepts it (no NaN, no ERANGE). */
export function scoreArg(s: string, error: () => RedisError = notFloat): number {
  if (s.length === 0 || isSpace(s[0])) throw error();
  const { value, end, erange } = strtod(s);
  if (end !== s.length || Number.isNaN(value) || (erange && (value === 0 || !Number.isFinite(value)))) throw error();
  return value;
}


// ---------------------------------------------------------------------------------------------
// Ranges

export interface ScoreRange {
  min: number;
  max: number;
  minEx: boolean;
  maxEx: boolean;
}

function scoreRangeItem(s: string): [number, boolean] | null {
  const ex = s[0] === "(";
  const text = ex ? s.slice(1) : s;
  const { value, end } = strtod(text);
  // Redis checks that strtod stopped at a NUL, so an empty item is 0.
  if ((end < text.length && text[end] !== "\0") || Number.isNaN(value)) return null;
  return [value, ex];
}

/** min max of ZRANGEBYSCORE and friends: "(" for exclusive, ±inf. */
export function parseScoreRange(min: string, max: string): ScoreRange {
  const a = scoreRangeItem(min);
  const b = scoreRangeItem(max);
  if (a === null || b === null) throw minMaxNotFloat();
  return { min: a[0], minEx: a[1], max: b[0], maxEx: b[1] };
}

/** A lex range end: "-" and "+" are the ends of the world, "[x" inclusive, "(x" exclusive. */
export type LexItem = { kind: "-" } | { kind: "+" } | { kind: "value"; value: string; ex: boolean };
export interface LexRange {
  min: LexItem;
  max: LexItem;
}

function lexRangeItem(s: string): LexItem | null {
  switch (s[0]) {
    case "+":
    case "-":
      // Redis looks at the second byte only, a C string's end.
      return s.length === 1 || s[1] === "\0" ? { kind: s[0] } : null;
    case "(":
    case "[":
      return { kind: "value", value: s.slice(1), ex: s[0] === "(" };
    default:
      return null;
  }
}

export function parseLexRange(min: string, max: string): LexRange {
  const a = lexRangeItem(min);
  const b = lexRangeItem(max);
  if (a === null || b === null) throw new RedisError("ERR min or max not valid string range item");
  return { min: a, max: b };
}

/** The ranks [start, end) of the elements in a score range. */
function scoreSpan(z: RedisZSet, r: ScoreRange): [number, number] {
  return [z.countScoreBelow(r.min, r.minEx), z.countScoreBelow(r.max, !r.maxEx)];
}

// Lex ranges assume equal scores. When scores differ Redis's answer is "unspecified", but for a
// listpack-sized set it is a plain scan, so we scan too and answer exactly as Redis does; a bigger
// set uses the tree's bounds (Redis's skiplist descent then depends on its random node levels).

function lexGteMin(m: string, r: LexRange): boolean {
  const it = r.min;
  if (it.kind === "-") return true;
  if (it.kind === "+") return false;
  return it.ex ? m > it.value : m >= it.value;
}

function lexLteMax(m: string, r: LexRange): boolean {
  const it = r.max;
  if (it.kind === "+") return true;
  if (it.kind === "-") return false;
  return it.ex ? m < it.value : m <= it.value;
}

/** Ranges that are empty by their bounds alone ("-" and "+" count as exclusive). */
function lexRangeEmpty(r: LexRange): boolean {
  const { min, max } = r;
  let cmp: number;
  if (min.kind !== "value" && min.kind === max.kind) cmp = 0;
  else if (min.kind === "-" || max.kind === "+") cmp = -1;
  else if (min.kind === "+" || max.kind === "-") cmp = 1;
  else cmp = min.value < max.value ? -1 : min.value > max.value ? 1 : 0;
  const ex = (it: LexItem) => it.kind !== "value" || it.ex;
  return cmp > 0 || (cmp === 0 && (ex(min) || ex(max)));
}

/** Whether Redis would hold this set as a listpack (scanned linearly). */
function isSmall(ctx: CommandContext, z: RedisZSet): boolean {
  noteEncoding(z, ctx.config);
  return !z.bigEncoding;
}

/** Redis's "is anything in range" test: bounds not empty, last ≥ min, first ≤ max. */
function lexMayMatch(z: RedisZSet, r: LexRange): boolean {
  return z.size > 0 && !lexRangeEmpty(r) && lexGteMin(z.at(z.size - 1)![0], r) && lexLteMax(z.at(0)![0], r);
}

/** Rank of the first member in the lex range, or -1. */
function lexFirst(ctx: CommandContext, z: RedisZSet, r: LexRange): number {
  if (!lexMayMatch(z, r)) return -1;
  let first = -1;
  if (isSmall(ctx, z)) {
    let i = 0;
    z.walk(0, false, (m) => {
      if (lexGteMin(m, r)) {
        first = i;
        return false;
      }
      i++;
    });
  } else {
    first = r.min.kind === "value" ? z.countLexBelow(r.min.value, r.min.ex) : 0;
  }
  return first >= 0 && first < z.size && lexLteMax(z.at(first)![0], r) ? first : -1;
}

/** Rank of the last member in the lex range, or -1. */
function lexLast(ctx: CommandContext, z: RedisZSet, r: LexRange): number {
  if (!lexMayMatch(z, r)) return -1;
  let last = -1;
  if (isSmall(ctx, z)) {
    let i = z.size - 1;
    z.walk(i, true, (m) => {
      if (lexLteMax(m, r)) {
        last = i;
        return false;
      }
      i--;
    });
  } else {
    last = (r.max.kind === "value" ? z.countLexBelow(r.max.value, !r.max.ex) : z.size) - 1;
  }
  return last >= 0 && lexGteMin(z.at(last)![0], r) ? last : -1;
}

/**
 * The members of a lex range as Redis walks it: from the first in range (the last when reversed),
 * skip `offset`, then take up to `limit` (-1: all) while still in range.
 */
function lexItems(ctx: CommandContext, z: RedisZSet, r: LexRange, rev: boolean, offset: number, limit: number): [string, number][] {
  const out: [string, number][] = [];
  const from = rev ? lexLast(ctx, z, r) : lexFirst(ctx, z, r);
  if (from < 0 || offset < 0 || limit === 0) return out;
  const inRange = rev ? lexGteMin : lexLteMax;
  z.walk(rev ? from - offset : from + offset, rev, (m, s) => {
    if (!inRange(m, r)) return false;
    out.push([m, s]);
    return limit < 0 || out.length < limit;
  });
  return out;
}

/** Normalizes rank arguments as Redis does; null when the range is empty. */
function rankSpan(size: number, start: number, end: number): [number, number] | null {
  if (start < 0) start += size;
  if (end < 0) end += size;
  if (start < 0) start = 0;
  if (start > end || start >= size) return null;
  if (end >= size) end = size - 1;
  return [start, end];
}

// ---------------------------------------------------------------------------------------------
// Storing

/**
 * Adds or moves a member as Redis's zsetAdd stores it. A set still in listpack encoding converts
 * before taking a member that would outgrow it; a listpack keeps scores as text, and "-0" reads
 * back as 0, so a score of -0 survives only in the skiplist encoding.
 */
function storeMember(ctx: CommandContext, z: RedisZSet, member: string, score: number): void {
  if (!z.bigEncoding) noteEncoding(z, ctx.config);
  if (!z.bigEncoding && !z.has(member)) {
    if (z.size + 1 > ctx.config.getNumber("zset-max-listpack-entries") || member.length > ctx.config.getNumber("zset-max-listpack-value")) {
      z.bigEncoding = true;
    }
  }
  z.add(member, score === 0 && !z.bigEncoding ? 0 : score);
}

/** A computed result (ZUNIONSTORE …) converts to listpack when small, as Redis's does, losing -0. */
export function compactIfSmall(ctx: CommandContext, z: RedisZSet): void {
  if (z.size > ctx.config.getNumber("zset-max-listpack-entries") || z.maxLen > ctx.config.getNumber("zset-max-listpack-value")) {
    z.bigEncoding = true;
    return;
  }
  for (const [m, s] of z.entries()) if (Object.is(s, -0)) z.add(m, 0);
}

/**
 * Stores a result at dst (replacing whatever was there) with its event, or deletes dst when the result
 * is empty (as Redis's dbDelete: a key past its expiry not yet reclaimed is deleted too, and notified `del`).
 */
export function storeResult(ctx: CommandContext, dst: string, z: RedisZSet, event: string): number {
  if (z.size === 0) {
    if (ctx.db.data.has(dst) && ctx.db.delete(dst)) {
      ctx.notify(NOTIFY_GENERIC, "del", dst);
      ctx.dirty++;
    }
    return 0;
  }
  ctx.db.set(dst, z);
  ctx.notify(NOTIFY_ZSET, event, dst);
  ctx.dirty++;
  return z.size;
}

function flat(items: [string, number][], withScores: boolean): string[] {
  const out: string[] = new Array(withScores ? items.length * 2 : items.length);
  let k = 0;
  for (const [m, s] of items) {
    out[k++] = m;
    if (withScores) out[k++] = formatDouble(s);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// ZADD, ZINCRBY

export interface ZaddOptions {
  nx: boolean;
  xx: boolean;
  gt: boolean;
  lt: boolean;
  ch: boolean;
  incr: boolean;
  /** Index in argv of the first score. */
  scoreIdx: number;
}

/** Parses ZADD's flags and checks their combinations, in Redis's order. */
export function parseZaddOptions(argv: string[], incr = false): ZaddOptions {
  const o: ZaddOptions = { nx: false, xx: false, gt: false, lt: false, ch: false, incr, scoreIdx: 2 };
  for (; o.scoreIdx < argv.length; o.scoreIdx++) {
    const a = opt(argv[o.scoreIdx]);
    if (a === "NX") o.nx = true;
    else if (a === "XX") o.xx = true;
    else if (a === "CH") o.ch = true;
    else if (a === "INCR") o.incr = true;
    else if (a === "GT") o.gt = true;
    else if (a === "LT") o.lt = true;
    else break;
  }
  const elements = argv.length - o.scoreIdx;
  if (elements === 0 || elements % 2 !== 0) throw syntaxError();
  if (o.nx && o.xx) throw new RedisError("ERR XX and NX options at the same time are not compatible");
  if ((o.gt && o.nx) || (o.lt && o.nx) || (o.gt && o.lt)) {
    throw new RedisError("ERR GT, LT, and/or NX options at the same time are not compatible");
  }
  if (o.incr && elements > 2) throw new RedisError("ERR INCR option supports a single increment-element pair");
  return o;
}

const nanResult = () => new RedisError("ERR resulting score is not a number (NaN)");

/** ZADD and ZINCRBY (ZADD … INCR with no flags): Redis's zaddGenericCommand. */
function zaddGeneric(ctx: CommandContext, argv: string[], incrCommand: boolean): Reply {
  const key = argv[1];
  const o = parseZaddOptions(argv, incrCommand);
  const scores: number[] = [];
  for (let i = o.scoreIdx; i < argv.length; i += 2) scores.push(scoreArg(argv[i]));
  let z = getZSet(ctx, key);
  const created = z === undefined;
  let added = 0;
  let updated = 0;
  let processed = 0;
  let last = 0;
  if (z === undefined && !o.xx) z = new RedisZSet();
  if (z !== undefined) {
    for (let j = 0; j < scores.length; j++) {
      const member = argv[o.scoreIdx + 1 + j * 2];
      let score = scores[j];
      const current = z.score(member);
      if (current !== undefined) {
        if (o.nx) continue;
        if (o.incr) {
          score += current;
          if (Number.isNaN(score)) throw nanResult();
        }
        if ((o.lt && score >= current) || (o.gt && score <= current)) continue;
        // -0 and 0 are the same score to Redis: no update.
        if (score !== current) {
          storeMember(ctx, z, member, score);
          updated++;
        }
      } else {
        if (o.xx) continue;
        storeMember(ctx, z, member, score);
        added++;
      }
      processed++;
      last = score;
    }
    if (created && z.size > 0) ctx.db.set(key, z);
  }
  ctx.dirty += added + updated;
  if (added + updated > 0) ctx.notify(NOTIFY_ZSET, o.incr ? "zincr" : "zadd", key);
  if (o.incr) return processed > 0 ? formatDouble(last) : null;
  return o.ch ? added + updated : added;
}

/** ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member …] */
export function zadd(ctx: CommandContext, argv: string[]): Reply {
  return zaddGeneric(ctx, argv, false);
}

/** ZINCRBY key increment member */
function zincrby(ctx: CommandContext, argv: string[]): Reply {
  return zaddGeneric(ctx, argv, true);
}

// ---------------------------------------------------------------------------------------------
// Reads of single members

/** ZSCORE key member */
function zscore(ctx: CommandContext, argv: string[]): Reply {
  const s = getZSet(ctx, argv[1])?.score(argv[2]);
  return s === undefined ? null : formatDouble(s);
}

/** ZMSCORE key member [member …] */
function zmscore(ctx: CommandContext, argv: string[]): Reply {
  const z = getZSet(ctx, argv[1]);
  const out: Reply[] = [];
  for (let i = 2; i < argv.length; i++) {
    const s = z?.score(argv[i]);
    out.push(s === undefined ? null : formatDouble(s));
  }
  return out;
}

/** ZCARD key */
function zcard(ctx: CommandContext, argv: string[]): Reply {
  return getZSet(ctx, argv[1])?.size ?? 0;
}

/** ZRANK key member / ZREVRANK key member */
function zrank(ctx: CommandContext, argv: string[]): Reply {
  const z = getZSet(ctx, argv[1]);
  const r = z?.rank(argv[2]);
  if (z === undefined || r === undefined) return null;
  return argv[0].toLowerCase() === "zrevrank" ? z.size - 1 - r : r;
}

/** ZCOUNT key min max */
function zcount(ctx: CommandContext, argv: string[]): Reply {
  const range = parseScoreRange(argv[2], argv[3]);
  const z = getZSet(ctx, argv[1]);
  if (z === undefined) return 0;
  const [start, end] = scoreSpan(z, range);
  return Math.max(0, end - start);
}

/** ZLEXCOUNT key min max */
function zlexcount(ctx: CommandContext, argv: string[]): Reply {
  const range = parseLexRange(argv[2], argv[3]);
  const z = getZSet(ctx, argv[1]);
  if (z === undefined) return 0;
  const first = lexFirst(ctx, z, range);
  if (first < 0) return 0;
  if (isSmall(ctx, z)) return lexItems(ctx, z, range, false, 0, -1).length;
  const end = range.max.kind === "value" ? z.countLexBelow(range.max.value, !range.max.ex) : z.size;
  return Math.max(0, end - first);
}

// ---------------------------------------------------------------------------------------------
// ZRANGE and its older forms

type RangeBy = "rank" | "score" | "lex";

export interface ZrangeOptions {
  by: RangeBy;
  rev: boolean;
  withScores: boolean;
  /** LIMIT offset count; count -1 means no limit (Redis's default). */
  offset: number;
  limit: number;
}

/**
 * Parses the words after `key min max` as Redis's zrangeGenericCommand does. `by`/`rev` fixed by the
 * older commands (ZRANGEBYSCORE …) cannot be given again; a store (ZRANGESTORE) takes no WITHSCORES.
 */
export function parseZrangeOptions(args: string[], fixed: { by?: RangeBy; rev?: boolean; store?: boolean }): ZrangeOptions {
  let by: RangeBy | undefined = fixed.by;
  let rev: boolean | undefined = fixed.rev;
  let withScores = false;
  let offset = 0;
  let limit = -1;
  for (let i = 0; i < args.length; i++) {
    const a = opt(args[i]);
    const left = args.length - i - 1;
    if (a === "WITHSCORES" && !fixed.store) withScores = true;
    else if (a === "LIMIT" && left >= 2) {
      offset = intArg(args[i + 1]);
      limit = intArg(args[i + 2]);
      i += 2;
    } else if (a === "REV" && rev === undefined) rev = true;
    else if (a === "BYLEX" && by === undefined) by = "lex";
    else if (a === "BYSCORE" && by === undefined) by = "score";
    else throw syntaxError();
  }
  by ??= "rank";
  if (limit !== -1 && by === "rank") {
    throw new RedisError("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
  }
  if (withScores && by === "lex") {
    throw new RedisError("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
  }
  return { by, rev: rev ?? false, withScores, offset, limit };
}

/**
 * The elements a ZRANGE selects, in reply order; undefined when the key is missing. `first` and
 * `second` are as given (with REV and BYSCORE or BYLEX the first is the max). The range's parse
 * errors come before the key's type error, as in Redis. With `sized` (ZRANGE's reply), a range past
 * WALK_ABOVE_ELEMENTS is sized against the reply's room before it is taken.
 */
function selectRange(ctx: CommandContext, key: string, first: string, second: string, o: ZrangeOptions, sized: boolean): [string, number][] | undefined {
  let rank: [number, number] | undefined;
  let score: ScoreRange | undefined;
  let lex: LexRange | undefined;
  if (o.by === "rank") rank = [intArg(first), intArg(second)];
  else if (o.by === "score") score = o.rev ? parseScoreRange(second, first) : parseScoreRange(first, second);
  else lex = o.rev ? parseLexRange(second, first) : parseLexRange(first, second);
  const z = getZSet(ctx, key);
  if (z === undefined) return undefined;
  if (rank) {
    const span = rankSpan(z.size, rank[0], rank[1]);
    if (span === null) return [];
    const [s, e] = span;
    // Reversed ranks count from the highest: the same members as these ascending ranks.
    const from = o.rev ? z.size - 1 - e : s;
    const room = sized ? roomToSize(e - s + 1, ctx) : Infinity;
    if (room < Infinity) ensureReplyRoom(zsetRangeSize(z, from, e - s + 1, o.withScores, room), room);
    return z.range(from, from + e - s, o.rev);
  }
  if (lex) {
    // Walked from its first member while in range, as Redis does (a set whose scores differ has no
    // count for it), and sized before the reply is built from it.
    const items = lexItems(ctx, z, lex, o.rev, o.offset, o.limit);
    const room = sized ? roomToSize(items.length, ctx) : Infinity;
    if (room < Infinity) ensureReplyRoom(itemsSize(items, room), room);
    return items;
  }
  const [start, end] = scoreSpan(z, score!);
  if (end <= start || o.offset < 0) return [];
  let count = end - start - o.offset;
  if (o.limit >= 0 && o.limit < count) count = o.limit;
  if (count <= 0) return [];
  const from = o.rev ? end - o.offset - count : start + o.offset;
  const room = sized ? roomToSize(count, ctx) : Infinity;
  if (room < Infinity) ensureReplyRoom(zsetRangeSize(z, from, count, o.withScores, room), room);
  return z.range(from, from + count - 1, o.rev);
}

/** Bytes of a lex range's members as a reply (BYLEX takes no scores), stopping once past `limit`. */
function itemsSize(items: [string, number][], limit: number): number {
  let n = ELEMENT_BYTES;
  for (let i = 0; i < items.length && n <= limit; i++) n += items[i][0].length + ELEMENT_BYTES;
  return n;
}

const NO_OPTIONS: string[] = [];

/** ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES], and the older forms. */
function zrangeGeneric(ctx: CommandContext, argv: string[], fixed: { by?: RangeBy; rev?: boolean }): Reply {
  // Most ZRANGEs have no options: no copy of none.
  const o = parseZrangeOptions(argv.length === 4 ? NO_OPTIONS : argv.slice(4), fixed);
  const items = selectRange(ctx, argv[1], argv[2], argv[3], o, true);
  return items === undefined ? [] : flat(items, o.withScores);
}

const zrange = (ctx: CommandContext, argv: string[]) => zrangeGeneric(ctx, argv, {});
/** ZREVRANGE key start stop [WITHSCORES] */
const zrevrange = (ctx: CommandContext, argv: string[]) => zrangeGeneric(ctx, argv, { by: "rank", rev: true });
/** ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count] */
const zrangebyscore = (ctx: CommandContext, argv: string[]) => zrangeGeneric(ctx, argv, { by: "score", rev: false });
/** ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count] */
const zrevrangebyscore = (ctx: CommandContext, argv: string[]) => zrangeGeneric(ctx, argv, { by: "score", rev: true });
/** ZRANGEBYLEX key min max [LIMIT offset count] */
const zrangebylex = (ctx: CommandContext, argv: string[]) => zrangeGeneric(ctx, argv, { by: "lex", rev: false });
/** ZREVRANGEBYLEX key max min [LIMIT offset count] */
const zrevrangebylex = (ctx: CommandContext, argv: string[]) => zrangeGeneric(ctx, argv, { by: "lex", rev: true });

/** ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count] */
function zrangestore(ctx: CommandContext, argv: string[]): Reply {
  const o = parseZrangeOptions(argv.slice(5), { store: true });
  const items = selectRange(ctx, argv[2], argv[3], argv[4], o, false) ?? [];
  // Redis fills the new set in reply order: a rank range knows its size and starts as a skiplist
  // when too big for a listpack; a score or lex range starts as a listpack and converts on the way.
  const z = new RedisZSet();
  if (o.by === "rank" && items.length > ctx.config.getNumber("zset-max-listpack-entries")) z.bigEncoding = true;
  for (const [m, s] of items) storeMember(ctx, z, m, s);
  return storeResult(ctx, argv[1], z, "zrangestore");
}

// ---------------------------------------------------------------------------------------------
// Removal

/** ZREM key member [member …] */
function zrem(ctx: CommandContext, argv: string[]): Reply {
  const z = getZSet(ctx, argv[1]);
  return z === undefined ? 0 : removeMembers(ctx, argv, z, NOTIFY_ZSET, "zrem");
}

function removeRanks(ctx: CommandContext, key: string, z: RedisZSet, start: number, end: number, event: string): number {
  if (end < start) return 0;
  const victims = z.range(start, end);
  for (const [m] of victims) z.delete(m);
  if (victims.length > 0) ctx.notify(NOTIFY_ZSET, event, key);
  deleteIfEmpty(ctx, key, z);
  ctx.dirty += victims.length;
  return victims.length;
}

/** ZREMRANGEBYRANK key start stop */
function zremrangebyrank(ctx: CommandContext, argv: string[]): Reply {
  const start = intArg(argv[2]);
  const end = intArg(argv[3]);
  const z = getZSet(ctx, argv[1]);
  if (z === undefined) return 0;
  const span = rankSpan(z.size, start, end);
  return span === null ? 0 : removeRanks(ctx, argv[1], z, span[0], span[1], "zremrangebyrank");
}

/** ZREMRANGEBYSCORE key min max */
function zremrangebyscore(ctx: CommandContext, argv: string[]): Reply {
  const range = parseScoreRange(argv[2], argv[3]);
  const z = getZSet(ctx, argv[1]);
  if (z === undefined) return 0;
  const [start, end] = scoreSpan(z, range);
  return removeRanks(ctx, argv[1], z, start, end - 1, "zremrangebyscore");
}

/** ZREMRANGEBYLEX key min max */
function zremrangebylex(ctx: CommandContext, argv: string[]): Reply {
  const range = parseLexRange(argv[2], argv[3]);
  const z = getZSet(ctx, argv[1]);
  if (z === undefined) return 0;
  const victims = lexItems(ctx, z, range, false, 0, -1);
  for (const [m] of victims) z.delete(m);
  if (victims.length > 0) ctx.notify(NOTIFY_ZSET, "zremrangebylex", argv[1]);
  deleteIfEmpty(ctx, argv[1], z);
  ctx.dirty += victims.length;
  return victims.length;
}

// ---------------------------------------------------------------------------------------------
// Pops

/** Removes up to count elements from the low (min) or high end; returns them in pop order. */
function popElements(ctx: CommandContext, key: string, z: RedisZSet, max: boolean, count: number): [string, number][] {
  const n = Math.min(count, z.size);
  const items = max ? z.range(z.size - n, z.size - 1, true) : z.range(0, n - 1);
  for (const [m] of items) z.delete(m);
  if (items.length > 0) ctx.notify(NOTIFY_ZSET, max ? "zpopmax" : "zpopmin", key);
  deleteIfEmpty(ctx, key, z);
  ctx.dirty += items.length;
  return items;
}

/** The first existing key among keys, as a zset (WRONGTYPE if it is another type), or undefined. */
function firstExisting(ctx: CommandContext, keys: string[]): [string, RedisZSet] | undefined {
  for (const key of keys) {
    const v = ctx.db.get(key);
    if (v === undefined) continue;
    if (!(v instanceof RedisZSet)) throw wrongType();
    return [key, v];
  }
  return undefined;
}

/** ZPOPMIN key [count] / ZPOPMAX key [count]: propagated as sent. */
function zpop(ctx: CommandContext, argv: string[]): Reply {
  const max = argv[0].toLowerCase() === "zpopmax";
  let count = 1;
  if (argv.length === 4) throw syntaxError();
  if (argv.length === 3) {
    const n = parseSafeInt(argv[2]);
    if (n === null || n < 0) throw mustBePositive();
    count = n;
  }
  const found = firstExisting(ctx, [argv[1]]);
  if (found === undefined || count === 0) return [];
  return flat(popElements(ctx, found[0], found[1], max, count), true);
}

/** BZPOPMIN key [key …] timeout / BZPOPMAX: never blocks over REST (nil when all are empty); logged as ZPOPMIN key. */
function bzpop(ctx: CommandContext, argv: string[]): Reply {
  const max = argv[0].toLowerCase() === "bzpopmax";
  parseTimeout(argv[argv.length - 1]);
  const found = firstExisting(ctx, argv.slice(1, -1));
  if (found === undefined) return null;
  const [key, z] = found;
  const [[m, s]] = popElements(ctx, key, z, max, 1);
  ctx.rewrite([max ? "ZPOPMAX" : "ZPOPMIN", key]);
  return [key, m, formatDouble(s)];
}

interface MpopArgs {
  keys: string[];
  max: boolean;
  count: number;
}

/** numkeys key [key …] MIN|MAX [COUNT count], from argv[at] on. */
function parseMpop(argv: string[], at: number): MpopArgs {
  const numkeys = Number(rangeArg(argv[at], 1n, LONG_MAX, "ERR numkeys should be greater than 0"));
  const whereIdx = at + numkeys + 1;
  if (whereIdx >= argv.length) throw syntaxError();
  const where = opt(argv[whereIdx]);
  if (where !== "MIN" && where !== "MAX") throw syntaxError();
  let count = -1;
  for (let i = whereIdx + 1; i < argv.length; i++) {
    if (count === -1 && opt(argv[i]) === "COUNT" && i + 1 < argv.length) {
      count = Number(rangeArg(argv[++i], 1n, LONG_MAX, "ERR count should be greater than 0"));
    } else throw syntaxError();
  }
  return { keys: argv.slice(at + 1, whereIdx), max: where === "MAX", count: count === -1 ? 1 : count };
}

function mpop(ctx: CommandContext, o: MpopArgs): Reply {
  const found = firstExisting(ctx, o.keys);
  if (found === undefined) return null;
  const [key, z] = found;
  const items = popElements(ctx, key, z, o.max, o.count);
  ctx.rewrite([o.max ? "ZPOPMAX" : "ZPOPMIN", key, String(items.length)]);
  return [key, items.map(([m, s]) => [m, formatDouble(s)])];
}

/** ZMPOP numkeys key [key …] MIN|MAX [COUNT count]: logged as ZPOPMIN/ZPOPMAX key <popped>. */
function zmpop(ctx: CommandContext, argv: string[]): Reply {
  return mpop(ctx, parseMpop(argv, 1));
}

/** BZMPOP timeout numkeys key [key …] MIN|MAX [COUNT count]: as ZMPOP, never blocking over REST. */
function bzmpop(ctx: CommandContext, argv: string[]): Reply {
  const o = parseMpop(argv, 2);
  parseTimeout(argv[1]);
  return mpop(ctx, o);
}

// ---------------------------------------------------------------------------------------------
// ZRANDMEMBER

/** ZRANDMEMBER key [count [WITHSCORES]] */
function zrandmember(ctx: CommandContext, argv: string[]): Reply {
  if (argv.length === 2) {
    const z = getZSet(ctx, argv[1]);
    if (z === undefined) return null;
    return z.at(Math.floor(ctx.random() * z.size))![0];
  }
  const n = rangeArg(argv[2], -LONG_MAX, LONG_MAX);
  if (argv.length > 4 || (argv.length === 4 && opt(argv[3]) !== "WITHSCORES")) throw syntaxError();
  const withScores = argv.length === 4;
  if (withScores && n < -(LONG_MAX / 2n)) throw new RedisError("ERR value is out of range");
  const z = getZSet(ctx, argv[1]);
  if (z === undefined || n === 0n) return [];
  const size = z.size;
  const pick = (): [string, number] => z.at(Math.floor(ctx.random() * size))!;
  const out: [string, number][] = [];
  if (n < 0n) {
    // Repeats allowed: |count| independent picks.
    const count = Number(-n);
    for (let i = 0; i < count; i++) out.push(pick());
  } else if (n >= BigInt(size)) {
    // The whole set, walked from the top as Redis's iterator does.
    z.walk(size - 1, true, (m, s) => {
      out.push([m, s]);
    });
  } else {
    // Distinct ranks, each equally likely (Floyd's sampling).
    const count = Number(n);
    const chosen = new Set<number>();
    for (let j = size - count; j < size; j++) {
      const t = Math.floor(ctx.random() * (j + 1));
      chosen.add(chosen.has(t) ? j : t);
    }
    for (const r of chosen) out.push(z.at(r)!);
  }
  return flat(out, withScores);
}

// ---------------------------------------------------------------------------------------------
// ZUNION, ZINTER, ZDIFF and their STORE forms, ZINTERCARD

/** An input of a set operation: a sorted set, a set (every score 1), or nothing (missing key). */
interface Source {
  size: number;
  score(member: string): number | undefined;
  each(fn: (member: string, score: number) => void): void;
  weight: number;
  /** The value itself, to spot the same key given twice. */
  value: RedisZSet | RedisSet | undefined;
}

function sourceOf(ctx: CommandContext, key: string): Source {
  const v = ctx.db.get(key);
  if (v instanceof RedisZSet) {
    return {
      size: v.size,
      score: (m) => v.score(m),
      each: (fn) => {
        for (const [m, s] of v.scores) fn(m, s);
      },
      weight: 1,
      value: v,
    };
  }
  if (v instanceof RedisSet) {
    return {
      size: v.size,
      score: (m) => (v.has(m) ? 1 : undefined),
      each: (fn) => {
        for (const m of v.values()) fn(m, 1);
      },
      weight: 1,
      value: v,
    };
  }
  if (v !== undefined) throw wrongType();
  return { size: 0, score: () => undefined, each: () => {}, weight: 1, value: undefined };
}

type SetOp = "union" | "inter" | "diff";
type Aggregate = "SUM" | "MIN" | "MAX";

function aggregate(target: number, value: number, how: Aggregate): number {
  if (how === "SUM") {
    const sum = target + value;
    // inf + -inf is NaN; Redis makes it 0.
    return Number.isNaN(sum) ? 0 : sum;
  }
  if (how === "MIN") return value < target ? value : target;
  return value > target ? value : target;
}

interface SetOpArgs {
  sources: Source[];
  aggregate: Aggregate;
  withScores: boolean;
  limit: number;
}

/**
 * Parses `numkeys key … [WEIGHTS w …] [AGGREGATE SUM|MIN|MAX] [WITHSCORES] [LIMIT n]` from argv[at],
 * in Redis's order: numkeys, then every key's type, then the options.
 */
function parseSetOp(ctx: CommandContext, argv: string[], at: number, op: SetOp, store: boolean, card: boolean): SetOpArgs {
  const numkeys = intArg(argv[at]);
  if (numkeys < 1) throw new RedisError(`ERR at least 1 input key is needed for '${argv[0].toLowerCase()}' command`);
  if (numkeys > argv.length - at - 1) throw syntaxError();
  const sources: Source[] = [];
  for (let i = 0; i < numkeys; i++) sources.push(sourceOf(ctx, argv[at + 1 + i]));
  const o: SetOpArgs = { sources, aggregate: "SUM", withScores: false, limit: 0 };
  for (let j = at + 1 + numkeys; j < argv.length; j++) {
    const a = opt(argv[j]);
    const remaining = argv.length - j - 1;
    if (op !== "diff" && !card && a === "WEIGHTS" && remaining >= numkeys) {
      for (let i = 0; i < numkeys; i++) {
        sources[i].weight = scoreArg(argv[++j], () => new RedisError("ERR weight value is not a float"));
      }
    } else if (op !== "diff" && !card && a === "AGGREGATE" && remaining >= 1) {
      const how = opt(argv[++j]);
      if (how !== "SUM" && how !== "MIN" && how !== "MAX") throw syntaxError();
      o.aggregate = how;
    } else if (!store && !card && a === "WITHSCORES") {
      o.withScores = true;
    } else if (card && a === "LIMIT" && remaining >= 1) {
      o.limit = Number(rangeArg(argv[++j], 0n, LONG_MAX, "ERR LIMIT can't be negative"));
    } else throw syntaxError();
  }
  return o;
}

/** The result of a set operation as a new sorted set; for ZINTERCARD, only the count (up to limit). */
function computeSetOp(op: SetOp, o: SetOpArgs, countOnly = false): RedisZSet | number {
  const out = new RedisZSet();
  // Union and intersection take the inputs smallest first, as Redis sorts them (stably, so equal
  // sizes keep their order); the order shows in sums of infinities (inf + -inf is 0, then + inf …).
  const sources = op === "diff" ? o.sources : o.sources.map((s, i) => [s, i] as const).sort((a, b) => a[0].size - b[0].size || a[1] - b[1]).map(([s]) => s);
  if (op === "union") {
    const acc = new Map<string, number>();
    for (const src of sources) {
      src.each((m, s) => {
        let score = src.weight * s;
        if (Number.isNaN(score)) score = 0;
        const old = acc.get(m);
        acc.set(m, old === undefined ? score : aggregate(old, score, o.aggregate));
      });
    }
    for (const [m, s] of acc) out.add(m, s);
    return out;
  }
  if (op === "inter") {
    const sorted = sources;
    let cardinality = 0;
    if (sorted[0].size > 0) {
      const first = sorted[0];
      let stop = false;
      const visit = (m: string, s: number): void => {
        if (stop) return;
        let score = first.weight * s;
        if (Number.isNaN(score)) score = 0;
        for (let j = 1; j < sorted.length; j++) {
          const other = sorted[j];
          const v = other.value === first.value ? s : other.score(m);
          if (v === undefined) return;
          score = aggregate(score, v * other.weight, o.aggregate);
        }
        if (countOnly) {
          cardinality++;
          if (o.limit > 0 && cardinality >= o.limit) stop = true;
        } else out.add(m, score);
      };
      first.each(visit);
    }
    return countOnly ? cardinality : out;
  }
  // diff: members of the first input found in no other, with their first-input scores.
  const [first, ...rest] = sources;
  first.each((m, s) => {
    for (const other of rest) if (other.score(m) !== undefined) return;
    out.add(m, s);
  });
  return out;
}

/**
 * ZUNION/ZINTER/ZDIFF numkeys key … [WEIGHTS w …] [AGGREGATE SUM|MIN|MAX] [WITHSCORES] and the
 * STORE forms (destination first, no WITHSCORES); ZDIFF takes neither WEIGHTS nor AGGREGATE.
 */
function setOpCommand(op: SetOp, store: boolean) {
  return (ctx: CommandContext, argv: string[]): Reply => {
    const o = parseSetOp(ctx, argv, store ? 2 : 1, op, store, false);
    const z = computeSetOp(op, o) as RedisZSet;
    if (!store) return flat(z.entries(), o.withScores);
    compactIfSmall(ctx, z);
    return storeResult(ctx, argv[1], z, op === "union" ? "zunionstore" : op === "inter" ? "zinterstore" : "zdiffstore");
  };
}

/** ZINTERCARD numkeys key [key …] [LIMIT limit] */
function zintercard(ctx: CommandContext, argv: string[]): Reply {
  return computeSetOp("inter", parseSetOp(ctx, argv, 1, "inter", false, true), true) as number;
}

// ---------------------------------------------------------------------------------------------
// ZSCAN

/** 2^62: Redis 7.0 keeps an integral listpack score within ±(LLONG_MAX/2), as a double, as an integer. */
const LISTPACK_INT_LIMIT = 2 ** 62;

/**
 * A score as a listpack holds it, which ZSCAN copies out as it is: an integral score within ±2^62
 * was stored as an integer ("123456789012345680"), anything else as %.17g text. Other replies
 * parse the score back and print it with %.17g ("1.2345678901234568e+17").
 */
function listpackScoreText(score: number): string {
  if (Number.isInteger(score) && Math.abs(score) <= LISTPACK_INT_LIMIT) return BigInt(score).toString();
  return formatDouble(score);
}

/**
 * ZSCAN key cursor [MATCH pattern] [COUNT count]. A listpack-encoded set answers whole in one
 * call (cursor 0), in order, as Redis's does, with scores as the listpack stores them; a big one
 * is walked by cursor over its member map, scores with %.17g (keeping -0).
 */
function zscan(ctx: CommandContext, argv: string[]): Reply {
  const cursor = parseCursor(argv[2]);
  const z = getZSet(ctx, argv[1]);
  if (z === undefined) return ["0", []];
  const o = parseScanOptions(argv, 3, false);
  noteEncoding(z, ctx.config);
  if (!z.bigEncoding) {
    let items = z.entries();
    if (o.match !== undefined) items = items.filter(([m]) => globMatch(o.match!, m));
    return ["0", items.flatMap(([m, s]) => [m, listpackScoreText(s)])];
  }
  let [next, items] = scanStep(z, () => z.scores.entries(), cursor, o.count);
  if (o.match !== undefined) items = items.filter(([m]) => globMatch(o.match!, m));
  return [next, flat(items, true)];
}

// ---------------------------------------------------------------------------------------------
// The table

/** Positions of the keys after a numkeys argument at argv[at]; none when numkeys is unusable. */
function numkeysPositions(argv: string[], at: number, after = 0): number[] {
  const n = parseSafeInt(argv[at] ?? "");
  if (n === null || n < 1 || n > argv.length - at - 1 - after) return [];
  return Array.from({ length: n }, (_, i) => at + 1 + i);
}

const storeKeys = (argv: string[]): number[] => [1, ...numkeysPositions(argv, 2)];

export const zsetCommands: CommandSpec[] = [
  command("zadd", -4, ["write", "denyoom", "fast"], [1, 1, 1], zadd),
  command("zincrby", 4, ["write", "denyoom", "fast"], [1, 1, 1], zincrby),
  command("zscore", 3, ["readonly", "fast"], [1, 1, 1], zscore),
  command("zmscore", -3, ["readonly", "fast"], [1, 1, 1], zmscore),
  command("zcard", 2, ["readonly", "fast"], [1, 1, 1], zcard),
  command("zcount", 4, ["readonly", "fast"], [1, 1, 1], zcount),
  command("zlexcount", 4, ["readonly", "fast"], [1, 1, 1], zlexcount),
  command("zrank", 3, ["readonly", "fast"], [1, 1, 1], zrank),
  command("zrevrank", 3, ["readonly", "fast"], [1, 1, 1], zrank),
  command("zrange", -4, ["readonly"], [1, 1, 1], zrange),
  withGrowth(command("zrangestore", -5, ["write", "denyoom"], [1, 2, 1], zrangestore), derivedGrowth("first", "first")),
  command("zrangebyscore", -4, ["readonly"], [1, 1, 1], zrangebyscore),
  command("zrevrangebyscore", -4, ["readonly"], [1, 1, 1], zrevrangebyscore),
  command("zrangebylex", -4, ["readonly"], [1, 1, 1], zrangebylex),
  command("zrevrangebylex", -4, ["readonly"], [1, 1, 1], zrevrangebylex),
  command("zrevrange", -4, ["readonly"], [1, 1, 1], zrevrange),
  command("zrem", -3, ["write", "fast"], [1, 1, 1], zrem),
  command("zremrangebyrank", 4, ["write"], [1, 1, 1], zremrangebyrank),
  command("zremrangebyscore", 4, ["write"], [1, 1, 1], zremrangebyscore),
  command("zremrangebylex", 4, ["write"], [1, 1, 1], zremrangebylex),
  command("zpopmin", -2, ["write", "fast"], [1, 1, 1], zpop),
  command("zpopmax", -2, ["write", "fast"], [1, 1, 1], zpop),
  command("bzpopmin", -3, ["write", "fast", "noscript"], [1, -2, 1], bzpop),
  command("bzpopmax", -3, ["write", "fast", "noscript"], [1, -2, 1], bzpop),
  command("zmpop", -4, ["write"], (argv) => numkeysPositions(argv, 1, 1), zmpop),
  command("bzmpop", -5, ["write"], (argv) => numkeysPositions(argv, 2, 1), bzmpop),
  command("zrandmember", -2, ["readonly"], [1, 1, 1], zrandmember),
  command("zunion", -3, ["readonly"], (argv) => numkeysPositions(argv, 1), setOpCommand("union", false)),
  command("zinter", -3, ["readonly"], (argv) => numkeysPositions(argv, 1), setOpCommand("inter", false)),
  command("zdiff", -3, ["readonly"], (argv) => numkeysPositions(argv, 1), setOpCommand("diff", false)),
  withGrowth(command("zunionstore", -4, ["write", "denyoom"], storeKeys, setOpCommand("union", true)), derivedGrowth("sum", "first")),
  withGrowth(command("zinterstore", -4, ["write", "denyoom"], storeKeys, setOpCommand("inter", true)), derivedGrowth("min", "first")),
  withGrowth(command("zdiffstore", -4, ["write", "denyoom"], storeKeys, setOpCommand("diff", true)), derivedGrowth("first", "first")),
  command("zintercard", -3, ["readonly"], (argv) => numkeysPositions(argv, 1), zintercard),
  command("zscan", -3, ["readonly"], [1, 1, 1], zscan),
];
