// The reply budget: a request's replies together stay under MAX_REPLY_BYTES, so no reply is too big
// for the RPC back to the worker (32 MiB) or for the worker's JSON. Every reply is charged after it is
// built (ReplyBudget.charge): measured, or counted by its handler, or charged a bound known without
// walking it (REPLY_WITHIN_KEY). Writes that answer with data are estimated before they run
// (REPLY_ESTIMATES), so a refused one changes nothing; reads past WALK_ABOVE_ELEMENTS check their size
// against CommandContext.replyRoom in their handler, on the collection they have looked up, before they build.

import type { Keyspace } from "./keyspace.js";
import type { Reply } from "./reply.js";
import { RedisError } from "./errors.js";
import { RedisHash, RedisList, RedisSet, RedisStream, RedisZSet } from "./types/index.js";

/**
 * The most bytes one request's replies may take, counted by replyBytes. Below the 32 MiB that an RPC
 * result may be, with room for the structured clone's framing and for JSON (quotes, escapes) or
 * base64 (4/3) in the worker.
 */
export const MAX_REPLY_BYTES = 16 * 1024 * 1024;

/** The reply of a command that would pass the budget (the family of Upstash's `ERR max request size exceeded`). */
export const REPLY_TOO_LARGE = "ERR max reply size exceeded";

/** What each element of a reply costs beyond its bytes: more than its framing in a clone, JSON or RESP. */
export const ELEMENT_BYTES = 8;

/**
 * A read whose reply has at most this many elements is not sized before it runs: building it costs
 * no more than the walk (its strings are the stored ones), and Engine.call measures every reply after
 * it is built, refusing one past the budget all the same. Sizing first doubled the cost of a short
 * ZRANGE. Writes that answer with data (pops) are always estimated: their effect must not happen when
 * their reply is refused.
 */
export const WALK_ABOVE_ELEMENTS = 1024;

/**
 * The room a read of this many elements sizes its reply against before building it: past
 * WALK_ABOVE_ELEMENTS, what the request's budget has left (CommandContext.replyRoom); Infinity when it
 * does not size it (short, or nothing bounds it).
 */
export function roomToSize(elements: number, ctx: { replyRoom(): number }): number {
  return elements > WALK_ABOVE_ELEMENTS ? ctx.replyRoom() : Infinity;
}

/**
 * Such a read, before it builds its reply: REPLY_TOO_LARGE when the reply (at least `bytes`, from the
 * sizes below) would not fit in `room`. Not charged to the budget (see ReplyBudget.charge).
 */
export function ensureReplyRoom(bytes: number, room: number): void {
  if (bytes > room) throw new RedisError(REPLY_TOO_LARGE);
}

/**
 * Commands whose reply is an array of elements of the collection at argv[1], each element at most
 * once and nothing else, by the argument count they are so with (0: any). Such a reply takes at most
 * the collection's memoryUsage() (which charges every element its length and 16 more), 6 times that
 * as JSON text (jsonTextBytes), and ELEMENT_BYTES: Engine.call charges it that bound without walking
 * it. (Not a stream's entries: an entry with its node's fields is charged its values alone.)
 */
export const REPLY_WITHIN_KEY: ReadonlyMap<string, number> = new Map([
  ["lrange", 0],
  ["smembers", 0],
  ["hgetall", 0],
  ["hkeys", 0],
  ["hvals", 0],
  // Without WITHSCORES, whose scores are not stored as text.
  ...["zrange", "zrevrange", "zrangebyscore", "zrevrangebyscore", "zrangebylex", "zrevrangebylex"].map((name): [string, number] => [name, 4]),
]);

/** Bytes that JSON text carries as themselves: printable ASCII but the quote and the backslash. */
const PLAIN_JSON = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * The most bytes a byte string's JSON text (UTF-8 decoded, JSON-escaped, sent as UTF-8) can take: a
 * control byte as `\u00XX` 6, `"` and `\` 2, a byte of 0x80 and over 3 (U+FFFD when it is not part
 * of valid UTF-8), others 1.
 */
export function jsonTextBytes(s: string): number {
  if (PLAIN_JSON.test(s)) return s.length;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    n += c < 0x20 ? 6 : c === 0x22 || c === 0x5c ? 2 : c >= 0x80 ? 3 : 1;
  }
  return n;
}

/**
 * A reply's size: its strings' bytes plus ELEMENT_BYTES per element (arrays too); with `text` (the
 * reply goes out as JSON text, not base64 or RESP), a string costs its JSON text (jsonTextBytes).
 * The walk stops once past `limit`, so measuring a huge reply costs no more than the budget.
 */
export function replyBytes(r: Reply, limit = Infinity, text = false): number {
  if (typeof r === "string") return (text ? jsonTextBytes(r) : r.length) + ELEMENT_BYTES;
  if (r === null || typeof r !== "object") return ELEMENT_BYTES;
  if (!Array.isArray(r)) return ("status" in r ? r.status.length : r.error.length) + ELEMENT_BYTES;
  let n = ELEMENT_BYTES;
  for (let i = 0; i < r.length && n <= limit; i++) {
    // Strings, the common element, without a call each: every reply is measured (Engine.call).
    const e = r[i];
    n += typeof e === "string" ? (text ? jsonTextBytes(e) : e.length) + ELEMENT_BYTES : replyBytes(e, limit - n, text);
  }
  return n;
}

/** replyBytes of an array of strings, for a handler that counts its reply as it builds it. */
export function stringsBytes(strings: readonly string[]): number {
  let n = ELEMENT_BYTES;
  for (let i = 0; i < strings.length; i++) n += strings[i].length + ELEMENT_BYTES;
  return n;
}

/**
 * What is left of one batch's budget. A reply within its key (REPLY_WITHIN_KEY) is charged a bound
 * known without walking it, and walked only when the budget runs short: a request of short reads
 * walks none of its replies. Every other reply is measured as it is charged.
 */
export class ReplyBudget {
  /** The budget less the replies measured so far: the most that can be left. */
  private left = MAX_REPLY_BYTES;
  private text = false;
  /** Replies charged at a bound, not yet walked (the first `boundedCount`), and the sum of those bounds. */
  private readonly bounded: Reply[] = [];
  private boundedCount = 0;
  private boundedBytes = 0;

  /** A new batch of `bytes`; with `text`, strings count as their JSON text (jsonTextBytes). */
  reset(bytes: number, text: boolean): void {
    this.left = bytes;
    this.text = text;
    this.forgetBounded();
  }

  /** Exactly what is left: the replies charged at a bound are measured (each once). */
  room(): number {
    if (this.boundedCount !== 0) {
      for (let i = 0; i < this.boundedCount; i++) this.left -= replyBytes(this.bounded[i], Infinity, this.text);
      this.forgetBounded();
    }
    return this.left;
  }

  /** Empties the bounded replies, keeping the array (setting an array's length costs more than a batch's other work). */
  private forgetBounded(): void {
    for (let i = 0; i < this.boundedCount; i++) this.bounded[i] = null;
    this.boundedCount = 0;
    this.boundedBytes = 0;
  }

  /** The most that can be left: a limit for walks that stop once past it (estimates, replyBytes). */
  get most(): number {
    return this.left;
  }

  /** Whether a reply of at least `bytes` (an estimate) can be charged. */
  fits(bytes: number): boolean {
    return bytes <= this.left - this.boundedBytes || bytes <= this.room();
  }

  /**
   * Charges a reply: at `bound` when one is known (≥ 0, the most it takes) and fits, else at its size:
   * `counted` when its handler counted it (≥ 0, CommandContext.replyBytes), measured otherwise. False when it does not fit; then nothing is charged. REPLY_TOO_LARGE itself (a
   * handler's refusal) is not charged: the commands after it that fit still answer.
   */
  charge(reply: Reply, bound: number, counted: number): boolean {
    if (bound >= 0 && bound <= this.left - this.boundedBytes) {
      this.bounded[this.boundedCount++] = reply;
      this.boundedBytes += bound;
      return true;
    }
    const size = counted >= 0 && !this.text ? counted : replyBytes(reply, this.left, this.text);
    if (size > this.left - this.boundedBytes && size > this.room()) return false;
    if (size === REPLY_TOO_LARGE.length + ELEMENT_BYTES && typeof reply === "object" && reply !== null && "error" in reply && reply.error === REPLY_TOO_LARGE) return true;
    this.left -= size;
    return true;
  }

  /** With text replies, the bound of a reply within a collection of this memoryUsage() (REPLY_WITHIN_KEY). */
  withinBound(memoryUsage: number): number {
    return (this.text ? 6 : 1) * memoryUsage + ELEMENT_BYTES;
  }
}

/**
 * Bytes a command's reply will take at least, computed without building it: exact where walking
 * the elements is cheap (stopping once past `limit`), otherwise elements × ELEMENT_BYTES. Never more
 * than the reply will be, so a reply that fits is never refused; 0 for arguments the command itself
 * refuses.
 */
export type ReplyEstimate = (db: Keyspace, argv: string[], now: number, limit: number) => number;

/** A whole number argument as Redis would read it, or null (the command answers its own error). */
function count(arg: string | undefined): number | null {
  if (arg === undefined) return null;
  const negative = arg.charCodeAt(0) === 0x2d;
  const digits = arg.length - (negative ? 1 : 0);
  if (digits === 0 || digits > 18) return null;
  let v = 0;
  for (let i = negative ? 1 : 0; i < arg.length; i++) {
    const d = arg.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return null;
    v = v * 10 + d;
  }
  return negative ? -v : v;
}

/** The key's value if it is live and of that type. */
function live<T>(db: Keyspace, key: string, now: number, type: new (...a: never[]) => T): T | null {
  const v = db.data.get(key);
  return v instanceof type && !db.isExpired(key, now) ? v : null;
}

/** Bytes of these elements as a reply, stopping once past `limit`. */
export function sizeOf(values: Iterable<string>, limit: number): number {
  let n = ELEMENT_BYTES;
  for (const v of values) {
    n += v.length + ELEMENT_BYTES;
    if (n > limit) break;
  }
  return n;
}

/** Bytes of `count` elements of a list from index `first` as a reply, stopping once past `limit`. */
export function listRangeSize(list: RedisList, first: number, count: number, limit: number): number {
  let n = ELEMENT_BYTES;
  for (let i = first; i < first + count && n <= limit; i++) n += list.at(i)!.length + ELEMENT_BYTES;
  return n;
}

/** SRANDMEMBER / HRANDFIELD / ZRANDMEMBER key count [WITHVALUES|WITHSCORES]: a negative count repeats members. */
function randomMembers(db: Keyspace, argv: string[], now: number): number {
  const n = count(argv[2]);
  // Other arguments are the command's to refuse (SRANDMEMBER takes none, the others one word).
  if (n === null || argv.length > 4) return 0;
  const v = live(db, argv[1], now, RedisSet) ?? live(db, argv[1], now, RedisHash) ?? live(db, argv[1], now, RedisZSet);
  if (v === null) return 0;
  const pairs = argv.length > 3 ? 2 : 1;
  return (n < 0 ? -n : Math.min(n, v.size)) * pairs * ELEMENT_BYTES;
}

/** The elements popped from one end of a list: exact. */
function listEnd(list: RedisList, left: boolean, n: number, limit: number): number {
  const take = Math.min(n, list.length);
  return listRangeSize(list, left ? 0 : list.length - take, take, limit);
}

/** LPOP / RPOP key [count]: the elements it would pop. */
function listPop(db: Keyspace, argv: string[], now: number, limit: number): number {
  const n = argv.length === 2 ? 1 : count(argv[2]);
  const list = live(db, argv[1], now, RedisList);
  if (n === null || n <= 0 || list === null) return 0;
  // Without a count the reply is the element alone, not an array.
  return listEnd(list, argv[0].toLowerCase() === "lpop", n, limit) - (argv.length === 2 ? ELEMENT_BYTES : 0);
}

/** LMOVE / BLMOVE source destination LEFT|RIGHT …, RPOPLPUSH / BRPOPLPUSH source destination: the element moved. */
function listMove(db: Keyspace, argv: string[], now: number, limit: number): number {
  const list = live(db, argv[1], now, RedisList);
  if (list === null || list.length === 0) return 0;
  const name = argv[0].toLowerCase();
  return listEnd(list, name.endsWith("lmove") && argv[3].toLowerCase() === "left", 1, limit) - ELEMENT_BYTES;
}

/** The members a sorted-set pop takes from one end, with a score each (counted as an element): exact for the members. */
function zsetEnd(zset: RedisZSet, max: boolean, n: number, limit: number): number {
  let left = Math.min(n, zset.size);
  let bytes = ELEMENT_BYTES;
  if (left <= 0) return bytes;
  zset.walk(max ? zset.size - 1 : 0, max, (member) => {
    bytes += member.length + 2 * ELEMENT_BYTES;
    return --left > 0 && bytes <= limit;
  });
  return bytes;
}

/**
 * SPOP / ZPOPMIN / ZPOPMAX key count. Sorted sets: exactly the members taken. Sets: all members when the
 * count covers the set; a random part otherwise, which only the count bounds from below.
 */
function setPop(db: Keyspace, argv: string[], now: number, limit: number): number {
  const n = count(argv[2]);
  if (n === null || n <= 0) return 0;
  const set = live(db, argv[1], now, RedisSet);
  if (set !== null) return n >= set.size ? sizeOf(set.values(), limit) : n * ELEMENT_BYTES;
  const zset = live(db, argv[1], now, RedisZSet);
  return zset === null ? 0 : zsetEnd(zset, argv[0].toLowerCase() === "zpopmax", n, limit);
}

/**
 * LMPOP / BLMPOP [timeout] numkeys key … LEFT|RIGHT [COUNT n], ZMPOP / BZMPOP … MIN|MAX [COUNT n]:
 * exactly what the first non-empty key gives up.
 */
function multiPop(db: Keyspace, argv: string[], now: number, limit: number): number {
  const at = argv[0][0].toLowerCase() === "b" ? 2 : 1;
  const keys = count(argv[at]);
  if (keys === null || keys <= 0 || argv.length < at + keys + 2) return 0;
  const where = argv[at + keys + 1].toLowerCase();
  let n = 1;
  if (argv.length === at + keys + 4 && argv[at + keys + 2].toLowerCase() === "count") {
    const c = count(argv[at + keys + 3]);
    if (c === null || c <= 0) return 0;
    n = c;
  } else if (argv.length !== at + keys + 2) return 0;
  const lists = argv[0].toLowerCase().endsWith("lmpop");
  for (let i = at + 1; i <= at + keys; i++) {
    // A key of another type makes the command answer WRONGTYPE.
    const v = db.data.get(argv[i]);
    if (v === undefined || db.isExpired(argv[i], now)) continue;
    if (lists && v instanceof RedisList && v.length > 0) return 2 * ELEMENT_BYTES + argv[i].length + listEnd(v, where === "left", n, limit);
    if (!lists && v instanceof RedisZSet && v.size > 0) return 2 * ELEMENT_BYTES + argv[i].length + zsetEnd(v, where === "max", n, limit);
    return 0;
  }
  return 0;
}

/**
 * Bytes of `count` members of a sorted set from rank `first` (ascending; a reversed range is the same
 * members) as a reply, stopping once past `limit`; with scores, an element more for each.
 */
export function zsetRangeSize(zset: RedisZSet, first: number, count: number, withScores: boolean, limit: number): number {
  let left = count;
  let bytes = ELEMENT_BYTES + (withScores ? count * ELEMENT_BYTES : 0);
  if (left <= 0) return bytes;
  zset.walk(first, false, (member) => {
    bytes += member.length + ELEMENT_BYTES;
    return --left > 0 && bytes <= limit;
  });
  return bytes;
}

/** SORT / SORT_RO key [LIMIT offset count] [GET pattern …] without STORE: one element per member per GET. */
function sortReply(db: Keyspace, argv: string[], now: number): number {
  const v = live(db, argv[1], now, RedisList) ?? live(db, argv[1], now, RedisSet) ?? live(db, argv[1], now, RedisZSet);
  if (v === null) return 0;
  const len = v instanceof RedisList ? v.length : v.size;
  let n = len;
  let gets = 0;
  for (let i = 2; i < argv.length; i++) {
    const o = argv[i].toLowerCase();
    if (o === "store") return 0;
    if (o === "get") gets++, i++;
    else if (o === "by") i++;
    else if (o === "limit") {
      const offset = count(argv[i + 1]);
      const c = count(argv[i + 2]);
      if (offset === null || c === null) return 0;
      // Redis's clamping: a negative offset is 0, a negative count runs to the end.
      const start = Math.max(0, offset);
      const end = Math.min(c < 0 ? len - 1 : start + c - 1, len - 1);
      n = Math.max(0, end - start + 1);
      i += 2;
    }
  }
  return n * Math.max(1, gets) * ELEMENT_BYTES;
}

/** XREAD [COUNT n] [BLOCK ms] STREAMS key … id …: the streams read from their start (ID 0), whole or to COUNT. */
function streamRead(db: Keyspace, argv: string[], now: number): number {
  let max = Infinity;
  let at = 1;
  for (; at < argv.length; at++) {
    const o = argv[at].toLowerCase();
    if (o === "streams") break;
    if (o === "count") {
      const c = count(argv[at + 1]);
      if (c === null) return 0;
      if (c > 0) max = c;
      at++;
    } else if (o === "block") at++;
    else return 0;
  }
  const names = argv.slice(at + 1);
  if (names.length === 0 || names.length % 2 !== 0) return 0;
  const keys = names.length / 2;
  let n = 0;
  for (let i = 0; i < keys; i++) {
    // A key of another type makes the command answer WRONGTYPE.
    if (db.data.has(names[i]) && !db.isExpired(names[i], now) && !(db.data.get(names[i]) instanceof RedisStream)) return 0;
    const stream = live(db, names[i], now, RedisStream);
    if (stream !== null && (names[keys + i] === "0" || names[keys + i] === "0-0")) n += Math.min(max, stream.length);
  }
  return n * 5 * ELEMENT_BYTES;
}

/** The string value at argv[1] that a write answers with (GETDEL, GETSET, GETEX, SET … GET). */
function oldString(db: Keyspace, argv: string[], now: number): number {
  const v = db.data.get(argv[1]);
  return typeof v === "string" && !db.isExpired(argv[1], now) ? v.length + ELEMENT_BYTES : 0;
}

/**
 * Estimates by command name, made before the command runs: the writes that answer with data, and the
 * reads whose reply can be far bigger than the key they read (negative counts, SORT's GETs, several
 * streams). Every other reply is measured after it is built (see Engine.call).
 */
export const REPLY_ESTIMATES: ReadonlyMap<string, ReplyEstimate> = new Map<string, ReplyEstimate>([
  ["srandmember", randomMembers],
  ["hrandfield", randomMembers],
  ["zrandmember", randomMembers],
  ["lpop", listPop],
  ["rpop", listPop],
  ["lmove", listMove],
  ["blmove", listMove],
  ["rpoplpush", listMove],
  ["brpoplpush", listMove],
  ["lmpop", multiPop],
  ["blmpop", multiPop],
  ["zmpop", multiPop],
  ["bzmpop", multiPop],
  ["spop", setPop],
  ["zpopmin", setPop],
  ["zpopmax", setPop],
  ["sort", sortReply],
  ["sort_ro", sortReply],
  ["xread", streamRead],
  ["getdel", oldString],
  ["getset", oldString],
  ["getex", oldString],
  ["set", (db, argv, now) => {
    // Most SETs have no options: no lowercase copies of their words.
    for (let i = 3; i < argv.length; i++) if (argv[i].length === 3 && argv[i].toLowerCase() === "get") return oldString(db, argv, now);
    return 0;
  }],
]);

/** Bytes of a hash's fields, values or both as a reply, stopping once past `limit`. */
export function hashReplySize(hash: RedisHash, fields: boolean, values: boolean, limit: number): number {
  let n = ELEMENT_BYTES;
  for (const [f, v] of hash.entries()) {
    if (fields) n += f.length + ELEMENT_BYTES;
    if (values) n += v.length + ELEMENT_BYTES;
    if (n > limit) break;
  }
  return n;
}
