// Key state on both sides, for the check after each command and the final comparison.

import { compareBytes, formatDouble } from "../../durable-objects/engine/bytes.js";
import { objectEncoding } from "../../durable-objects/engine/encoding.js";
import { Engine } from "../../durable-objects/engine/engine.js";
import { RedisHash, RedisList, RedisSet, RedisZSet, type Value } from "../../durable-objects/engine/types/index.js";
import type { RespClient } from "../../durable-objects/persistence/testing/resp-client.js";
import { byBytes, clip, show, sortStrings } from "./replies.js";

export interface KeyState {
  type: string;
  /** The value as text: lists in order, sets sorted, hashes as sorted pairs, zsets in order with %.17g scores. */
  value: string;
  encoding: string;
  /** Absolute expiry in ms, or null. */
  expireAt: number | null;
}

const NONE: KeyState = { type: "none", value: "", encoding: "", expireAt: null };

function hashText(pairs: [string, string][]): string {
  return show(pairs.sort((a, b) => compareBytes(a[0], b[0])).flat());
}

/** Our value at key without touching it (no lazy expiry, no hooks). */
export function peek(engine: Engine, key: string, now: number): Value | undefined {
  if (engine.db.isExpired(key, now)) return undefined;
  return engine.db.data.get(key);
}

export function ourKeyState(engine: Engine, key: string, now: number): KeyState {
  const v = peek(engine, key, now);
  if (v === undefined) return NONE;
  const expireAt = engine.db.getExpire(key) ?? null;
  const encoding = (typeof v === "string" ? engine.db.stringEncodings.get(key) : undefined) ?? objectEncoding(v, engine.config);
  if (typeof v === "string") return { type: "string", value: show(v), encoding, expireAt };
  if (v instanceof RedisList) return { type: "list", value: show([...v.values()]), encoding, expireAt };
  if (v instanceof RedisSet) return { type: "set", value: show([...v.values()].sort(byBytes)), encoding, expireAt };
  if (v instanceof RedisHash) return { type: "hash", value: hashText([...v.entries()]), encoding, expireAt };
  const z = v as RedisZSet;
  return { type: "zset", value: show(z.entries().flatMap(([m, s]) => [m, formatDouble(s)])), encoding, expireAt };
}

/** The same for many keys on Redis, in two pipelined round trips. */
export async function redisKeyStates(conn: RespClient, keys: string[]): Promise<KeyState[]> {
  const meta = await Promise.all(
    keys.map((k) => Promise.all([conn.call("TYPE", k), conn.call("PEXPIRETIME", k), conn.call("OBJECT", "ENCODING", k)])),
  );
  const values = await Promise.all(
    keys.map((k, i) => {
      const type = (meta[i][0] as { status: string }).status;
      if (type === "string") return conn.call("GET", k);
      if (type === "list") return conn.call("LRANGE", k, "0", "-1");
      if (type === "set") return conn.call("SMEMBERS", k);
      if (type === "zset") return conn.call("ZRANGE", k, "0", "-1", "WITHSCORES");
      if (type === "hash") return conn.call("HGETALL", k);
      return Promise.resolve(null);
    }),
  );
  return keys.map((_, i) => {
    const type = (meta[i][0] as { status: string }).status;
    if (type === "none") return NONE;
    const ms = Number(meta[i][1]);
    const expireAt = ms < 0 ? null : ms;
    const encoding = meta[i][2] as string;
    const v = values[i];
    let value: string;
    if (type === "set") value = show(sortStrings(v));
    else if (type === "hash") {
      const a = v as string[];
      value = hashText(Array.from({ length: a.length / 2 }, (_, j) => [a[2 * j], a[2 * j + 1]] as [string, string]));
    } else value = show(v);
    return { type, value, encoding, expireAt };
  });
}

/** GEORADIUS … STOREDIST, GEOSEARCHSTORE … STOREDIST: scores that are computed distances. */
export function storesDistances(argv: string[]): boolean {
  return argv[0].toLowerCase().startsWith("geo") && argv.some((x) => x.toUpperCase() === "STOREDIST");
}

/** Two shown zsets equal but for scores a few units in the last place apart (numbers compared to 14 digits). */
export function sameWithinUlps(a: string, b: string): boolean {
  const coarse = (v: string) => v.replace(/"(-?\d+\.\d+(?:e[-+]\d+)?)"/g, (_, n: string) => `"${Number(n).toPrecision(14)}"`);
  return coarse(a) === coarse(b);
}

/** Relative TTLs are set a moment apart on the two sides: expiries this close are the same. */
const EXPIRE_TOLERANCE_MS = 2000;

export function sameExpiry(a: number | null, b: number | null): boolean {
  return a === null || b === null ? a === b : Math.abs(a - b) <= EXPIRE_TOLERANCE_MS;
}

export function showState(s: KeyState): string {
  if (s.type === "none") return "(no key)";
  const ttl = s.expireAt === null ? "no ttl" : `expires at ${s.expireAt}`;
  return `${s.type} ${s.encoding} ${clip(s.value, 300)} (${ttl})`;
}
