// What Redis leaves unspecified, and how each such reply is compared.

import { formatDouble } from "../../durable-objects/engine/bytes.js";
import { Engine } from "../../durable-objects/engine/engine.js";
import { isErrorReply, type Reply } from "../../durable-objects/engine/reply.js";
import { RedisHash, RedisSet, RedisZSet, type Value } from "../../durable-objects/engine/types/index.js";
import { show, sortGroups } from "./replies.js";
import { peek } from "./state.js";

/** Replies that are sets: Redis returns them in hash-table order. Compared sorted. */
export const UNORDERED = new Set(["smembers", "sinter", "sunion", "sdiff", "keys"]);
/** Hash listings: ordered (insertion order) while a hash is a listpack, hash-table order once it is not. */
export const HASH_LISTINGS = new Set(["hkeys", "hvals", "hgetall"]);
/** Cursor position of the SCAN family: pages are not comparable (cursors are opaque), full iterations are. */
export const SCANS = new Map([["scan", 1], ["sscan", 2], ["hscan", 2], ["zscan", 2]]);
/** Commands that answer random elements: checked for validity against the state before the command. */
export const RANDOM = new Set(["srandmember", "spop", "hrandfield", "zrandmember", "randomkey"]);
/** TTL replies: relative expiries were set a moment apart on the two sides. Tolerance in the reply's unit. */
export const TTLS = new Map([["ttl", 2], ["pttl", 2000], ["expiretime", 2], ["pexpiretime", 2000]]);

/** Lex ranges: Redis leaves their result unspecified when the members' scores differ (it walks in score order). */
const LEX = new Set(["zrangebylex", "zrevrangebylex", "zlexcount", "zremrangebylex"]);

/** The zset a lex-range command reads, when its members have more than one score; else null. */
export function mixedLexSource(engine: Engine, argv: string[], now: number): string | null {
  const name = argv[0].toLowerCase();
  const byLex = LEX.has(name) || ((name === "zrange" || name === "zrangestore") && argv.some((a) => a.toUpperCase() === "BYLEX"));
  if (!byLex) return null;
  const src = name === "zrangestore" ? argv[2] : argv[1];
  const z = src === undefined ? undefined : peek(engine, src, now);
  if (!(z instanceof RedisZSet)) return null;
  return new Set(z.entries().map(([, sc]) => sc)).size > 1 ? src : null;
}

/** Whether a reply (or a random reply's validity) matches, and what to print. */
export interface Verdict {
  equal: boolean;
  ours: string;
  theirs: string;
  note?: string;
}

export function exact(ours: Reply, theirs: Reply, normalise: (r: Reply) => Reply = (r) => r, note?: string): Verdict {
  const a = show(isErrorReply(ours) ? ours : normalise(ours));
  const b = show(isErrorReply(theirs) ? theirs : normalise(theirs));
  return { equal: a === b, ours: a, theirs: b, note };
}

export const asInt = (r: Reply): number | null => (typeof r === "number" ? r : typeof r === "bigint" ? Number(r) : null);

/**
 * Describes a random reply by what is specified about it (nil, one member, n distinct members, n
 * members with repeats), or says why it is invalid against the value the key held before.
 */
/** What a random command may answer from: member → its value (hash value, formatted score) or "" for sets. */
export function universeOf(pre: Value | undefined): Map<string, string> {
  const universe = new Map<string, string>();
  if (pre instanceof RedisSet) for (const m of pre.values()) universe.set(m, "");
  else if (pre instanceof RedisHash) for (const [f, v] of pre.entries()) universe.set(f, v);
  else if (pre instanceof RedisZSet) for (const [m, s] of pre.entries()) universe.set(m, formatDouble(s));
  return universe;
}

export function randomShape(name: string, argv: string[], reply: Reply, pre: Value | undefined, universe: Map<string, string>, liveKeys: string[]): string {
  if (isErrorReply(reply)) return show(reply);
  if (name === "randomkey") {
    if (liveKeys.length === 0) return reply === null ? "nil" : `invalid: ${show(reply)} from an empty keyspace`;
    return typeof reply === "string" && liveKeys.includes(reply) ? "an existing key" : `invalid: ${show(reply)} is not a key`;
  }
  const withValues = argv.length >= 4;
  if (argv.length === 2) {
    if (pre === undefined) return reply === null ? "nil" : `invalid: ${show(reply)} from a missing key`;
    return typeof reply === "string" && universe.has(reply) ? "one member" : `invalid: ${show(reply)} is not a member`;
  }
  if (!Array.isArray(reply)) return `invalid: ${show(reply)} is not an array`;
  if (pre === undefined) return reply.length === 0 ? "empty" : `invalid: ${show(reply)} from a missing key`;
  const count = Number(argv[2]);
  const step = withValues ? 2 : 1;
  const items: string[] = [];
  for (let i = 0; i < reply.length; i += step) {
    const m = reply[i];
    if (typeof m !== "string" || !universe.has(m)) return `invalid: ${show(m)} is not a member`;
    if (withValues && reply[i + 1] !== universe.get(m)) return `invalid: ${show(m)} comes with ${show(reply[i + 1])}, not ${show(universe.get(m)!)}`;
    items.push(m);
  }
  if (count >= 0) {
    if (new Set(items).size !== items.length) return `invalid: repeated members in ${show(reply)}`;
    const want = Math.min(count, universe.size);
    return items.length === want ? `${want} distinct members` : `invalid: ${items.length} members, not ${want}`;
  }
  return items.length === -count ? `${-count} members` : `invalid: ${items.length} members, not ${-count}`;
}

interface SortOptions {
  dontsort: boolean;
  byPattern: boolean;
  alpha: boolean;
  store: boolean;
  /** The STORE destination (the last one given, as Redis takes it). */
  storeKey?: string;
  limit: boolean;
  gets: number;
}

export function sortOptions(argv: string[]): SortOptions {
  const o: SortOptions = { dontsort: false, byPattern: false, alpha: false, store: false, limit: false, gets: 0 };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i].toUpperCase();
    if (a === "BY" && i + 1 < argv.length) {
      const p = argv[++i];
      if (p.includes("*")) o.byPattern = true;
      else o.dontsort = true;
    } else if (a === "GET" && i + 1 < argv.length) {
      o.gets++;
      i++;
    } else if (a === "STORE" && i + 1 < argv.length) {
      o.store = true;
      o.storeKey = argv[++i];
    } else if (a === "LIMIT") {
      o.limit = true;
      i += 2;
    } else if (a === "ALPHA") o.alpha = true;
  }
  return o;
}

export const STALE_ERRNO_SORT = "Redis's stale errno in SORT of a listpack zset with a subnormal score";

/**
 * SORT's order is unspecified in two cases: a set not sorted (BY without '*', no STORE: set order), and
 * ALPHA with a BY pattern, whose equal weights compare as 0 in an unstable sort. Then the result is
 * compared as a multiset of its GET tuples, or only by length when LIMIT picks an arbitrary part.
 */
export function compareSort(argv: string[], ours: Reply, theirs: Reply, pre: Value | undefined, preBig: boolean): Verdict {
  const o = sortOptions(argv);
  // The same errno bug from inside SORT: converting a listpack zset to a skiplist parses its scores
  // with strtod, and a subnormal one leaves ERANGE for the elements' own parsing. Not emulated.
  const subnormal = (s: number) => s !== 0 && Math.abs(s) < 2.2250738585072014e-308;
  if (
    isErrorReply(theirs) &&
    theirs.error === "ERR One or more scores can't be converted into double" &&
    !isErrorReply(ours) &&
    pre instanceof RedisZSet &&
    !preBig &&
    pre.entries().some(([, s]) => subnormal(s))
  ) {
    return { equal: true, ours: show(ours), theirs: show(theirs), note: STALE_ERRNO_SORT };
  }
  const unordered = (o.dontsort && pre instanceof RedisSet && !o.store) || (o.alpha && o.byPattern && !o.store);
  if (!unordered || isErrorReply(ours) || isErrorReply(theirs) || !Array.isArray(ours) || !Array.isArray(theirs)) {
    return exact(ours, theirs);
  }
  if (o.limit) {
    const equal = ours.length === theirs.length;
    return { equal, ours: show(ours), theirs: show(theirs), note: "unordered SORT with LIMIT: lengths compared" };
  }
  return exact(ours, theirs, (r) => sortGroups(r, Math.max(1, o.gets)), "unordered SORT: compared as a multiset");
}
