// `durable-redis export --out dump.rdb`: one RDB file of the whole dataset, which a real redis-server
// loads. Fresh snapshots of every shard are decoded and re-encoded into one file (database 0), written
// beside the target and renamed into place only when complete.

import { closeSync, mkdtempSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RdbDecoder } from "../../durable-objects/persistence/rdb-codec/decoder.js";
import { RdbWriter } from "../../durable-objects/persistence/rdb-codec/encoder.js";
import { AdminClient } from "./admin-client.js";
import type { Connection } from "./args.js";
import type { Io } from "./io.js";
import { Progress, formatBytes } from "./progress.js";
import { type ShardSnapshot, downloadSnapshot, readChunks, saveAll } from "./snapshots.js";

export const EXPORT_HELP = `Usage: durable-redis export --out FILE [options]

Writes one RDB file (version 10) of the whole dataset, merged from every shard: each shard takes a
fresh snapshot (BGSAVE), the CLI waits for it, downloads it, checks its CRC-64, and re-encodes all
keys into FILE. redis-server 7.0 or later loads the file (as dump.rdb, or with DEBUG RELOAD).

Options:
  --out FILE        where to write (replaced only once the new file is complete)
  --url URL         the deployment (or DURABLE_REDIS_URL)
  --token TOKEN     the admin token (or DURABLE_REDIS_ADMIN_TOKEN)
  --timeout SECS    how long to wait for the snapshots (default 300)
  -q, --quiet       no progress on stderr
  -h, --help        this help

Exit status: 0 written, 1 failed (a save failed or timed out, a download was damaged), 2 usage error,
3 the server could not be reached or refused the token.`;

/** Fresh snapshots of every shard, downloaded into `dir` and checked. */
export async function snapshotEveryShard(client: AdminClient, timeoutMs: number, dir: string, progress: Progress): Promise<ShardSnapshot[]> {
  const n = await client.shardCount();
  progress.step(`${client.conn.url}: ${n} shard${n === 1 ? "" : "s"}, saving a snapshot of each`);
  const records = await saveAll(client, n, timeoutMs, progress);
  const out: ShardSnapshot[] = [];
  for (let s = 0; s < n; s++) out.push(await downloadSnapshot(client, s, records.get(s)!, dir, progress));
  return out;
}

/** Writes the keys of several RDB files as one RDB file, in chunks. Returns keys written and bytes. */
export function mergeSnapshots(files: ShardSnapshot[], path: string): { keys: number; bytes: number } {
  const keys = files.reduce((n, f) => n + f.keys, 0);
  const expires = files.reduce((n, f) => n + f.expires, 0);
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, "w");
  let bytes = 0;
  try {
    const writer = new RdbWriter({ compression: true, checksum: true });
    const flush = () => {
      const chunk = writer.takeChunk();
      writeSync(fd, chunk);
      bytes += chunk.length;
    };
    writer.header({ ctimeSec: Math.floor(Date.now() / 1000), usedMem: 0, aofBase: false });
    if (keys > 0) writer.selectDb(0, keys, expires);
    for (const f of files) {
      // Streamed: a record at a time from the file to the output.
      const decoder = new RdbDecoder(
        (_db, key, value, expireAt) => {
          writer.writeKey(key, value, expireAt);
          if (writer.buffered > 1 << 20) flush();
        },
        { checksum: true },
      );
      readChunks(f.path, (chunk) => decoder.push(chunk));
      decoder.finish();
    }
    writer.finish();
    flush();
    closeSync(fd);
    renameSync(tmp, path);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  return { keys, bytes };
}

export async function runExport(conn: Connection, out: string, timeoutMs: number, quiet: boolean, io: Io): Promise<number> {
  const progress = new Progress(io, quiet);
  const client = new AdminClient(conn);
  const parts = mkdtempSync(join(tmpdir(), "durable-redis-export-"));
  let written: { keys: number; bytes: number };
  try {
    written = mergeSnapshots(await snapshotEveryShard(client, timeoutMs, parts, progress), out);
  } finally {
    rmSync(parts, { recursive: true, force: true });
  }
  const { keys, bytes } = written;
  progress.step(`wrote ${out}: ${keys} keys, ${formatBytes(bytes)} (RDB version 10: Redis 7.0 and later load it)`);
  io.out(out);
  return 0;
}
