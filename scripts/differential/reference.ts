// The reference: a throwaway redis-server (no persistence, its own temp dir) and a connection to it.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findBinary, startRedis } from "../../durable-objects/persistence/testing/redis.js";
import { RespClient } from "../../durable-objects/persistence/testing/resp-client.js";

/** The redis-server binary on PATH, or null. */
export const findRedis = (): string | null => findBinary("redis-server");

export async function startReference(): Promise<{ conn: RespClient; version: string; stop(): Promise<void> } | null> {
  const bin = findRedis();
  if (!bin) return null;
  const dir = mkdtempSync(join(tmpdir(), "differential-"));
  const redis = await startRedis(bin, ["--dir", dir, "--appendonly", "no"]);
  // Its own connection, with a time limit: a reply that never comes means Redis blocked for good.
  const conn = await RespClient.connect(redis.port, "127.0.0.1", { timeoutMs: 10_000 });
  const info = (await conn.call("INFO", "server")) as string;
  const version = /redis_version:(\S+)/.exec(info)?.[1] ?? "?";
  return {
    conn,
    version,
    async stop() {
      conn.close();
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
