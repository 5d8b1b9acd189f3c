// Fresh snapshots of every shard through the admin API: BGSAVE each shard, wait until each records
// a new snapshot (its LASTSAVE moves) or the save fails or the time runs out, then download each one
// and verify it (RDB framing and CRC-64) before anything is written.

import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { join } from "node:path";
import { CliError } from "./args.js";
import type { AdminClient, SnapshotRecord } from "./admin-client.js";
import type { Progress } from "./progress.js";
import { RdbCheckError, walkRdb } from "../../durable-objects/persistence/rdb-codec/walk.js";

/** durable-redis reads RDB files up to version 12 (Redis 7.4). */
export const MAX_READ_VERSION = 12;

/** A shard's snapshot, downloaded to a file and checked. */
export interface ShardSnapshot {
  shard: number;
  record: SnapshotRecord;
  path: string;
  size: number;
  sha256: string;
  keys: number;
  expires: number;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const POLL_MS = 100;

/** The newest full snapshot (not an AOF base) of each shard's manifest. */
async function newestSnapshots(client: AdminClient, shards: number[]): Promise<Map<number, string | null>> {
  const all = await Promise.all(shards.map((s) => client.manifest(s)));
  return new Map(all.map((m, i) => [shards[i], m.snapshots.filter((r) => !r.aofBase).at(-1)?.key ?? null]));
}

/**
 * BGSAVE on every shard and wait for each to record a new snapshot. A save already running (one the
 * server started on its own, or an AOF rewrite's) is waited out, then ours is started.
 */
export async function saveAll(client: AdminClient, shardCount: number, timeoutMs: number, progress: Progress): Promise<Map<number, SnapshotRecord>> {
  const shards = Array.from({ length: shardCount }, (_, i) => i);
  const before = await newestSnapshots(client, shards);
  const deadline = Date.now() + timeoutMs;
  const started = new Set<number>();
  const done = new Map<number, SnapshotRecord>();
  while (done.size < shardCount) {
    for (const s of shards) {
      if (started.has(s)) continue;
      const [r] = await client.json<{ result: string }[]>("POST", "/admin/bgsave", { shard: s });
      if (r.result === "Background saving started") started.add(s);
    }
    if (done.size + started.size > 0) {
      const info = await client.info();
      const waiting = shards.filter((s) => started.has(s) && !done.has(s));
      // Info first, manifests second: a save not running in the info and absent from a later manifest has failed.
      const idle = waiting.filter((s) => Number(info[s].rdb_bgsave_in_progress) === 0);
      for (const s of idle) {
        const m = await client.manifest(s);
        const fresh = m.snapshots.filter((r) => !r.aofBase && r.key !== before.get(s)).at(-1);
        if (fresh) {
          done.set(s, fresh);
          progress.step(`shard ${s}: snapshot saved (${fresh.key})`);
        } else {
          throw new CliError(`BGSAVE failed on shard ${s} (rdb_last_bgsave_status: ${info[s].rdb_last_bgsave_status}); see 'durable-redis health'`);
        }
      }
    }
    if (done.size === shardCount) break;
    if (Date.now() > deadline) {
      const late = shards.filter((s) => !done.has(s));
      throw new CliError(`timed out after ${timeoutMs / 1000} s waiting for a new snapshot on shard ${late.join(", ")} (raise --timeout)`);
    }
    await pause(POLL_MS);
  }
  return done;
}

/**
 * Downloads one snapshot into `dir` and checks its framing and CRC-64; counts its keys. One file is
 * read back at a time, so memory follows the largest shard, not the deployment.
 */
export async function downloadSnapshot(client: AdminClient, shard: number, record: SnapshotRecord, dir: string, progress: Progress): Promise<ShardSnapshot> {
  const path = join(dir, `shard-${shard}.rdb`);
  const { size, sha256 } = await client.downloadTo("/admin/snapshot", { shard, key: record.key }, path, progress, `shard ${shard}: snapshot`);
  let keys = 0;
  let expires = 0;
  try {
    walkRdb(readFileSync(path), { key: (r) => (keys++, r.expireAt !== undefined && expires++) }, { maxVersion: MAX_READ_VERSION, validateValues: false });
  } catch (e) {
    if (e instanceof RdbCheckError) throw new CliError(`shard ${shard}'s snapshot ${record.key} is damaged: ${e.reason} at offset ${e.offset}`);
    throw e;
  }
  return { shard, record, path, size, sha256, keys, expires };
}

/** Reads a file in chunks of 1 MiB into `sink` (a streaming decoder), never all of it at once. */
export function readChunks(path: string, sink: (chunk: Uint8Array) => void): void {
  const fd = openSync(path, "r");
  try {
    for (;;) {
      const chunk = new Uint8Array(1 << 20);
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) return;
      sink(chunk.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
}
