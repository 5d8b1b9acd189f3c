// Helpers for workerd tests: requests to the worker with the test tokens (see vitest.config.ts), and
// commands sent to one shard Durable Object directly.
import { SELF, env, runInDurableObject } from "cloudflare:test";
import { afterAll, beforeAll } from "vitest";
import type { Shard, ShardResult } from "../durable-objects/shard.js";
import { crc32 } from "../durable-objects/persistence/crc32.js";

export const TOKEN = "test-token";
export const READONLY_TOKEN = "test-readonly-token";
export const ADMIN_TOKEN = "test-admin-token";

export async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await SELF.fetch(`http://localhost${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any, headers: res.headers };
}

/** Runs one command and returns {status, body}. */
export const cmd = (...argv: unknown[]) => post("/", argv);
/** Runs one command with the admin token (CONFIG SET, SAVE, … are refused to the data token). */
export const adminCmd = (...argv: unknown[]) => post("/", argv, { authorization: `Bearer ${ADMIN_TOKEN}` });
/** A unique key prefix per test, since storage is shared within a test file. */
let n = 0;
export const uniq = (name: string) => `${name}:${Date.now().toString(36)}:${n++}`;

/**
 * Points the global fetch, which @upstash/redis calls, at the worker under test for this file's
 * tests, and puts it back afterwards.
 */
export function useWorkerFetch(): void {
  const realFetch = globalThis.fetch;
  beforeAll(() => {
    globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => SELF.fetch(input as string, init)) as typeof fetch;
  });
  afterAll(() => {
    globalThis.fetch = realFetch;
  });
}

export type ShardStub = DurableObjectStub<Shard>;

/** The shard Durable Object of that name (a fresh name per test: storage is shared within a file). */
export const shardNamed = (name: string): ShardStub => env.SHARD.get(env.SHARD.idFromName(name)) as ShardStub;

/** Runs commands on a shard directly (over RPC, no HTTP), as a pipeline or, `atomic`, a transaction. */
export async function execOn(stub: ShardStub, batch: (string | number)[][], atomic = false): Promise<unknown> {
  const r = (await (stub as unknown as Pick<Shard, "execute">).execute(batch.map((c) => c.map(String)), atomic, "admin")) as ShardResult;
  return r.replies;
}

/** Runs commands on a shard as a pipeline and returns a reply per command. */
export const exec = async (stub: ShardStub, ...batch: (string | number)[][]): Promise<unknown[]> => (await execOn(stub, batch)) as unknown[];

/** Runs one command on a shard and returns its reply. */
export const one = async (stub: ShardStub, ...argv: (string | number)[]): Promise<unknown> => (await exec(stub, argv))[0];

/** Yields inside the shard (no sleeping) until its background save and AOF rewrite are over. */
export const settle = (stub: ShardStub): Promise<void> =>
  runInDurableObject(stub, async (i: Shard) => {
    while (i.snapshots.inProgress || i.aof.rewriteInProgress) await new Promise((r) => setTimeout(r, 0));
  });

/** Yields inside the shard until a load that goes on between requests (after loading-block-ms) is done. */
export const untilLoaded = (stub: ShardStub): Promise<void> =>
  runInDurableObject(stub, async (i: Shard) => {
    while (i.loading) await new Promise((r) => setTimeout(r, 0));
  });

/** Raw bytes of the shard's log (every segment row, in order), as a binary string. */
export const logBytes = (stub: ShardStub): Promise<string> =>
  runInDurableObject(stub, (_i: Shard, state) => {
    let out = "";
    for (const row of state.storage.sql.exec<{ data: ArrayBuffer }>("SELECT data FROM aof_segments ORDER BY seq")) {
      // In pieces: a row of 1 MiB spread as arguments would overflow the stack.
      const bytes = new Uint8Array(row.data);
      for (let at = 0; at < bytes.length; at += 0x8000) out += String.fromCharCode(...bytes.subarray(at, at + 0x8000));
    }
    return out;
  });

/** Replaces the log with these bytes in one row (with its checksum), to stage a log Redis would find corrupt. */
export const setLog = (stub: ShardStub, bytes: string): Promise<void> =>
  runInDurableObject(stub, (_i: Shard, state) => {
    state.storage.sql.exec("DELETE FROM aof_segments");
    const data = Uint8Array.from(bytes, (c) => c.charCodeAt(0));
    state.storage.sql.exec("INSERT INTO aof_segments (seq, data, crc, created_ms) VALUES (1, ?, ?, 0)", data, crc32(data));
  });

/** One field of the shard's INFO (persistence unless told), as text; undefined when INFO has no such field. */
export const infoField = async (stub: ShardStub, name: string, section = "persistence"): Promise<string | undefined> =>
  new RegExp(`\r\n${name}:([^\r]*)\r\n`).exec((await one(stub, "INFO", section)) as string)?.[1];

/** How many rows the shard's log has in SQLite. */
export const logRows = (stub: ShardStub): Promise<number> =>
  runInDurableObject(stub, (_i: Shard, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM aof_segments").one().n);
