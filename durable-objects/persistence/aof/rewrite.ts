// AOF rewrite: the fewest commands that rebuild a keyspace, written as Redis 7.0's
// rewriteAppendOnlyFileRio writes them — SELECT 0, then per key SET / RPUSH / SADD / ZADD / HMSET
// in commands of at most 64 items, then PEXPIREAT when the key has a TTL. Incremental: the caller
// drives it a few keys at a time between requests, and it never looks at where the keys come from.

import { formatDouble } from "../../engine/bytes.js";
import type { Keyspace } from "../../engine/keyspace.js";
import { RedisHash, RedisList, RedisSet, RedisStream, RedisZSet, type Value } from "../../engine/types/index.js";
import { MAX_ID, MIN_ID, idText } from "../../engine/types/stream.js";
import { encodeBulk, encodeCommand, encodeCommands } from "../resp.js";
import { REWRITE_ITEMS_PER_CMD, TIMESTAMP_ANNOTATION } from "./format.js";

/** A key as of the snapshot: its value and absolute expiry in ms (undefined: no TTL). */
export type SnapshotEntry = readonly [key: string, value: Value, expireAt: number | undefined];

const CRLF = "\r\n";
const SET = encodeBulk("SET");
const RPUSH = encodeBulk("RPUSH");
const SADD = encodeBulk("SADD");
const ZADD = encodeBulk("ZADD");
const HMSET = encodeBulk("HMSET");
const PEXPIREAT = encodeBulk("PEXPIREAT");

/**
 * Writes `*<2 + items × width>` headers and the items of one collection in commands of at most
 * `perCmd` items, each item being `width` arguments (1 for list and set elements, 2 for zset and
 * hash pairs). `items` yields each item's arguments already encoded as bulk strings.
 */
function chunked(cmd: string, key: string, count: number, width: number, items: Iterable<string>, perCmd: number): string {
  let out = "";
  let left = count;
  let inCmd = 0;
  for (const item of items) {
    if (inCmd === 0) {
      const n = Math.min(left, perCmd);
      out += `*${2 + n * width}${CRLF}${cmd}${key}`;
      inCmd = n;
      left -= n;
    }
    out += item;
    inCmd--;
  }
  // The collection must not change while it is being written; a count that disagrees with the
  // iteration would produce a record whose header lies about its length.
  if (inCmd !== 0 || left !== 0) throw new Error(`rewrite: ${cmd.trim()} item count changed while writing a key`);
  return out;
}

function* bulks(values: Iterable<string>): Iterable<string> {
  for (const v of values) yield encodeBulk(v);
}

function* zaddItems(entries: Iterable<readonly [string, number]>): Iterable<string> {
  // Redis's rewrite prints scores with %.17g (rioWriteBulkDouble): exact, and "inf"/"-inf" literally.
  for (const [member, score] of entries) yield encodeBulk(formatDouble(score)) + encodeBulk(member);
}

function* hashItems(entries: Iterable<readonly [string, string]>): Iterable<string> {
  for (const [field, value] of entries) yield encodeBulk(field) + encodeBulk(value);
}

/**
 * The commands that rebuild a stream, as Redis 7.0's rewriteStreamObject writes them: XADD per live
 * entry (an emptied stream: one XADD MAXLEN 0 that leaves it empty), XSETID with its counters, then
 * per group XGROUP CREATE … ENTRIESREAD and per consumer an XCLAIM … JUSTID FORCE per pending entry,
 * or XGROUP CREATECONSUMER when it has none.
 */
export function rewriteStream(key: string, s: RedisStream): string[][] {
  const out: string[][] = [];
  if (s.length) {
    for (const [id, pairs] of s.range(MIN_ID, MAX_ID, 0)) out.push(["XADD", key, idText(id), ...pairs]);
  } else out.push(["XADD", key, "MAXLEN", "0", "0-1", "x", "y"]);
  out.push(["XSETID", key, idText(s.lastId), "ENTRIESADDED", String(s.entriesAdded), "MAXDELETEDID", idText(s.maxDeletedId)]);
  for (const [name, g] of s.sortedGroups()) {
    out.push(["XGROUP", "CREATE", key, name, idText(g.lastId), "ENTRIESREAD", String(g.entriesRead)]);
    for (const c of g.sortedConsumers()) {
      if (c.pel.size === 0) {
        out.push(["XGROUP", "CREATECONSUMER", key, name, c.name]);
        continue;
      }
      for (const id of c.pel.keys) {
        const nack = c.pel.get(id)!;
        out.push([
          "XCLAIM", key, name, c.name, "0", idText(id), "TIME", String(nack.deliveryTime), "RETRYCOUNT",
          String(nack.deliveryCount), "JUSTID", "FORCE",
        ]);
      }
    }
  }
  return out;
}

/**
 * The commands that rebuild one key, as RESP bytes. Collections are written whole and at once:
 * a live collection may change as soon as the caller returns, so nothing of it is kept.
 * An empty collection writes nothing (Redis never holds one).
 */
export function rewriteKey(key: string, value: Value, expireAt: number | undefined, perCmd = REWRITE_ITEMS_PER_CMD): string {
  const k = encodeBulk(key);
  let out: string;
  if (typeof value === "string") {
    out = `*3${CRLF}${SET}${k}${encodeBulk(value)}`;
  } else if (value instanceof RedisList) {
    out = chunked(RPUSH, k, value.length, 1, bulks(value.values()), perCmd);
  } else if (value instanceof RedisSet) {
    out = chunked(SADD, k, value.size, 1, bulks(value.values()), perCmd);
  } else if (value instanceof RedisZSet) {
    out = chunked(ZADD, k, value.size, 2, zaddItems(value.entries()), perCmd);
  } else if (value instanceof RedisHash) {
    out = chunked(HMSET, k, value.size, 2, hashItems(value.entries()), perCmd);
  } else if (value instanceof RedisStream) {
    out = encodeCommands(rewriteStream(key, value));
  } else {
    throw new TypeError(`rewrite: unsupported value type for key ${JSON.stringify(key)}`);
  }
  if (out.length === 0) return out;
  if (expireAt !== undefined) out += `*3${CRLF}${PEXPIREAT}${k}${encodeBulk(String(expireAt))}`;
  return out;
}

export interface AofRewriterOptions {
  /** Begin with a `#TS:<seconds>` annotation, as Redis does with aof-timestamp-enabled. */
  timestampSeconds?: number;
  /** step() stops early once it has produced this many bytes (default 1 MiB). */
  maxStepBytes?: number;
  /** Items per command (default and Redis's: 64). */
  itemsPerCommand?: number;
}

/**
 * Builds a rewritten AOF a slice at a time. Keys come from a source iterator (pulled by step()), or
 * are pushed with addKey() — by a forkless keyspace cut, for instance, which must hand over a key's
 * old value just before a write changes it. The output is the concatenation of everything step()
 * and take() return, in order.
 *
 *   const rw = new AofRewriter(snapshotEntries);
 *   for (let chunk = rw.step(100); chunk !== null; chunk = rw.step(100)) write(chunk);
 */
export class AofRewriter {
  /** Keys written so far. */
  keys = 0;
  /** Bytes handed out so far. */
  bytes = 0;
  private readonly source: Iterator<SnapshotEntry> | null;
  private sourceDone: boolean;
  private pending = "";
  private selected = false;
  private readonly maxStepBytes: number;
  private readonly perCmd: number;

  constructor(source?: Iterable<SnapshotEntry> | Iterator<SnapshotEntry>, opts: AofRewriterOptions = {}) {
    this.source = source === undefined ? null : Symbol.iterator in source ? source[Symbol.iterator]() : source;
    // Without a source, keys are pushed until end() says the cut is complete.
    this.sourceDone = false;
    this.maxStepBytes = opts.maxStepBytes ?? 1024 * 1024;
    this.perCmd = opts.itemsPerCommand ?? REWRITE_ITEMS_PER_CMD;
    if (!(this.perCmd >= 1)) throw new RangeError("itemsPerCommand must be at least 1");
    if (opts.timestampSeconds !== undefined) {
      this.pending = `${TIMESTAMP_ANNOTATION}${Math.floor(opts.timestampSeconds)}${CRLF}`;
    }
  }

  /** True once the source is exhausted and every byte has been handed out. */
  get done(): boolean {
    return this.sourceDone && this.pending.length === 0;
  }

  /** Bytes serialized and not yet handed out. */
  get pendingBytes(): number {
    return this.pending.length;
  }

  /** Function libraries, written first as Redis's rewriteFunctions does: FUNCTION LOAD <code> each. */
  addFunctions(codes: Iterable<string>): void {
    for (const code of codes) this.pending += encodeCommand(["FUNCTION", "LOAD", code]);
  }

  /** Serializes one key now; its bytes come out of the next step() or take(). */
  addKey(key: string, value: Value, expireAt: number | undefined): void {
    const out = rewriteKey(key, value, expireAt, this.perCmd);
    if (out.length === 0) return;
    // Like Redis, a database is selected only once it has a key, so an empty keyspace is an empty file.
    if (!this.selected) {
      this.selected = true;
      this.pending += encodeCommand(["SELECT", "0"]);
    }
    this.pending += out;
    this.keys++;
  }

  /**
   * Writes up to `budgetKeys` more keys from the source (fewer once maxStepBytes is reached) and
   * returns the bytes produced since the last call — possibly "" — or null when all is done.
   */
  step(budgetKeys: number): string | null {
    if (this.source !== null && !this.sourceDone) {
      for (let n = 0; n < budgetKeys && this.pending.length < this.maxStepBytes; n++) {
        const r = this.source.next();
        if (r.done) {
          this.sourceDone = true;
          break;
        }
        const [key, value, expireAt] = r.value;
        this.addKey(key, value, expireAt);
      }
    }
    if (this.done) return null;
    return this.take() ?? "";
  }

  /** The bytes produced so far if there are at least `minBytes` of them (0: any), else null. */
  take(minBytes = 0): string | null {
    if (this.pending.length === 0 || this.pending.length < minBytes) return null;
    const out = this.pending;
    this.pending = "";
    this.bytes += out.length;
    return out;
  }

  /** Declares that no more keys will be added (push-style use): done turns true once all is taken. */
  end(): void {
    this.sourceDone = true;
  }
}

/** The whole rewrite at once (exports, tests): the bytes of a RESP base for these keys. */
export function rewriteAll(entries: Iterable<SnapshotEntry>, opts: AofRewriterOptions = {}): string {
  const rw = new AofRewriter(entries, { ...opts, maxStepBytes: Infinity });
  let out = "";
  for (let chunk = rw.step(Infinity); chunk !== null; chunk = rw.step(Infinity)) out += chunk;
  return out;
}

/** A keyspace's entries as the rewriter takes them (a live view: for a point in time, use a cut). */
export function* keyspaceEntries(ks: Pick<Keyspace, "data" | "expires">): Iterable<SnapshotEntry> {
  for (const [key, value] of ks.data) yield [key, value, ks.expires.get(key)];
}
