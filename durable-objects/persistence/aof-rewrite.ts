// AOF rewrite output: the fewest commands that rebuild each key, as Redis's rewriteAppendOnlyFile
// writes them — SET, RPUSH, SADD, ZADD, HMSET in chunks of at most 64 items, then PEXPIREAT.
// Keys are added one at a time (by a keyspace cut) and the bytes taken in chunks.

import { formatDouble } from "../engine/bytes.js";
import { type Value, RedisHash, RedisList, RedisSet, RedisZSet } from "../engine/types/index.js";
import { encodeCommand } from "./resp.js";

/** Redis's AOF_REWRITE_ITEMS_PER_CMD. */
export const ITEMS_PER_CMD = 64;

/** The commands that rebuild one key. */
export function rewriteKey(key: string, value: Value, expireAt: number | undefined): string[][] {
  const out: string[][] = [];
  const chunked = (cmd: string, items: Iterable<string[]>) => {
    let argv: string[] = [cmd, key];
    let n = 0;
    for (const item of items) {
      argv.push(...item);
      if (++n === ITEMS_PER_CMD) {
        out.push(argv);
        argv = [cmd, key];
        n = 0;
      }
    }
    if (n > 0) out.push(argv);
  };
  if (typeof value === "string") out.push(["SET", key, value]);
  else if (value instanceof RedisList) chunked("RPUSH", map(value.values(), (v) => [v]));
  else if (value instanceof RedisSet) chunked("SADD", map(value.values(), (m) => [m]));
  else if (value instanceof RedisHash) chunked("HMSET", value.entries());
  else if (value instanceof RedisZSet) chunked("ZADD", map(value.entries(), ([m, s]) => [formatDouble(s), m]));
  if (expireAt !== undefined) out.push(["PEXPIREAT", key, String(expireAt)]);
  return out;
}

function* map<T, U>(it: Iterable<T>, f: (t: T) => U): Iterable<U> {
  for (const x of it) yield f(x);
}

export class AofRewriter {
  private parts: string[] = [encodeCommand(["SELECT", "0"])];
  private bytes = this.parts[0].length;

  addKey(key: string, value: Value, expireAt: number | undefined): void {
    for (const argv of rewriteKey(key, value, expireAt)) {
      const rec = encodeCommand(argv);
      this.parts.push(rec);
      this.bytes += rec.length;
    }
  }

  /** The bytes produced so far once there are at least `minBytes` of them (0: whatever there is). */
  take(minBytes: number): string | null {
    if (this.bytes === 0 || this.bytes < minBytes) return null;
    const out = this.parts.join("");
    this.parts = [];
    this.bytes = 0;
    return out;
  }
}
