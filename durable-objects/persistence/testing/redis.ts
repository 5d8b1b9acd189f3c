// Test helper: datasets in a comparable form (from our keyspace, or from a real Redis), and a real
// redis-server process on a free loopback port with a connected client (./resp-client.ts).

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { delimiter, join } from "node:path";
import { compareBytes, formatDouble, parseDouble } from "../../engine/bytes.js";
import type { Keyspace } from "../../engine/keyspace.js";
import { type Reply, isErrorReply } from "../../engine/reply.js";
import { RedisHash, RedisList, RedisSet, RedisStream, RedisZSet } from "../../engine/types/index.js";
import { streamFullInfo } from "../../engine/commands/streams.js";
import { RespClient } from "./resp-client.js";

/** A key's type, contents and expiry, in an order-independent form where order does not matter. */
export interface KeyDump {
  type: string;
  /** string: the bytes; list: elements; set: members sorted; zset: [member, %.17g score] in order; hash: [field, value] sorted; stream: XINFO STREAM FULL. */
  value: string | string[] | [string, string][];
  expireAt: number | null;
}

const byFirst = (a: [string, string], b: [string, string]) => compareBytes(a[0], b[0]);

/** Our keyspace as key → dump, keys sorted bytewise. */
export function dumpKeyspace(ks: Keyspace): Map<string, KeyDump> {
  const out = new Map<string, KeyDump>();
  for (const key of [...ks.data.keys()].sort(compareBytes)) {
    const v = ks.data.get(key)!;
    const expireAt = ks.expires.get(key) ?? null;
    if (typeof v === "string") out.set(key, { type: "string", value: v, expireAt });
    else if (v instanceof RedisList) out.set(key, { type: "list", value: [...v.values()], expireAt });
    else if (v instanceof RedisSet) out.set(key, { type: "set", value: [...v.values()].sort(compareBytes), expireAt });
    else if (v instanceof RedisZSet) {
      out.set(key, { type: "zset", value: v.entries().map(([m, s]) => [m, formatDouble(s)] as [string, string]), expireAt });
    } else if (v instanceof RedisHash) out.set(key, { type: "hash", value: [...v.entries()].sort(byFirst), expireAt });
    else if (v instanceof RedisStream) out.set(key, { type: "stream", value: streamFullInfo(v, 0) as KeyDump["value"], expireAt });
  }
  return out;
}

const pairs = (flat: Reply): [string, string][] => {
  const a = flat as string[];
  const out: [string, string][] = [];
  for (let i = 0; i < a.length; i += 2) out.push([a[i], a[i + 1]]);
  return out;
};

/** A real Redis's database 0 in the same form, read with KEYS, TYPE and each type's read command. */
export async function dumpRedis(client: RespClient): Promise<Map<string, KeyDump>> {
  const out = new Map<string, KeyDump>();
  const keys = ((await client.call("KEYS", "*")) as string[]).sort(compareBytes);
  for (const key of keys) {
    const type = ((await client.call("TYPE", key)) as { status: string }).status;
    const ms = (await client.call("PEXPIRETIME", key)) as number;
    const expireAt = ms < 0 ? null : ms;
    let value: KeyDump["value"];
    if (type === "string") value = (await client.call("GET", key)) as string;
    else if (type === "list") value = (await client.call("LRANGE", key, "0", "-1")) as string[];
    else if (type === "set") value = ((await client.call("SMEMBERS", key)) as string[]).sort(compareBytes);
    else if (type === "zset") {
      // Redis 7.0 prints scores with %.17g, later versions with the shortest form: compare values.
      const entries = pairs(await client.call("ZRANGE", key, "0", "-1", "WITHSCORES"));
      value = entries.map(([m, s]) => [m, formatDouble(parseDouble(s)!)] as [string, string]);
    }
    else if (type === "hash") value = pairs(await client.call("HGETALL", key)).sort(byFirst);
    else if (type === "stream") value = (await client.call("XINFO", "STREAM", key, "FULL", "COUNT", "0")) as KeyDump["value"];
    else throw new Error(`unexpected type ${type} for ${key}`);
    out.set(key, { type, value, expireAt });
  }
  return out;
}

/** An executable's path from PATH, or null. */
export function findBinary(name: string): string | null {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return null;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Runs a program to completion; stdin may be given (redis-check-aof --fix asks "Continue? [y/N]"). */
export function run(bin: string, args: string[], input?: string): { code: number; stdout: string } {
  const r = spawnSync(bin, args, { input, encoding: "utf8", timeout: 20_000 });
  return { code: r.status ?? -1, stdout: (r.stdout ?? "") + (r.stderr ?? "") };
}

export interface RedisProcess {
  port: number;
  client: RespClient;
  /** The server's log so far (it logs to stdout). */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts redis-server with these arguments on a free port, waits until it answers PING (not
 * LOADING), and returns a connected client. Fails with the server's log if it exits first.
 */
export async function startRedis(bin: string, args: string[], timeoutMs = 15_000): Promise<RedisProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(bin, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout!.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (log += d.toString()));
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once("exit", () => ((exited = true), resolve())));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`redis-server exited during start:\n${log}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`redis-server did not answer within ${timeoutMs} ms:\n${log}`);
    }
    try {
      const client = await RespClient.connect(port);
      const pong = await client.call("PING");
      if (!isErrorReply(pong)) {
        return {
          port,
          client,
          log: () => log,
          stop: async () => {
            await client.call("SHUTDOWN", "NOSAVE").catch(() => {});
            client.close();
            const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
            await exit;
            clearTimeout(timer);
          },
        };
      }
      client.close();
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
