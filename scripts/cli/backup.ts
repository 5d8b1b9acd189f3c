// `durable-redis backup [--out DIR]`: a fresh snapshot of every shard plus its AOF, checked, in a
// dated .tar.gz with a manifest of SHA-256 checksums; and reading such an archive back for restore.

import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { binaryToBytes, bytesToBinary } from "../../durable-objects/engine/bytes.js";
import { checkAof } from "../../durable-objects/persistence/aof/check.js";
import { AdminClient } from "./admin-client.js";
import { CliError, type Connection } from "./args.js";
import { checkRdb } from "./check-rdb.js";
import { snapshotEveryShard } from "./export.js";
import type { Io } from "./io.js";
import { Progress, formatBytes } from "./progress.js";
import { MAX_READ_VERSION } from "./snapshots.js";
import type { RdbSource } from "./split.js";
import { type TarEntry, tarBlocks, untar } from "./tar.js";

export const BACKUP_FORMAT = "durable-redis-backup";

export const BACKUP_HELP = `Usage: durable-redis backup [--out DIR] [options]

Takes a fresh snapshot of every shard (BGSAVE, waiting for each), downloads it with the shard's AOF,
checks both (RDB CRC-64, AOF framing), and writes DIR/durable-redis-backup-<UTC time>.tar.gz:
manifest.json (shards, keys, each file's size and SHA-256) and shard-N/dump.rdb, shard-N/appendonly.aof,
shard-N/aof-manifest.json. Prints the archive's path. 'durable-redis restore ARCHIVE' brings it back.

Options:
  --out DIR         where to write the archive (default: the current directory)
  --url URL         the deployment (or DURABLE_REDIS_URL)
  --token TOKEN     the admin token (or DURABLE_REDIS_ADMIN_TOKEN)
  --timeout SECS    how long to wait for the snapshots (default 300)
  -q, --quiet       no progress on stderr
  -h, --help        this help

Exit status: 0 written and verified, 1 failed, 2 usage error, 3 server unreachable or token refused.`;

export interface BackupFile {
  path: string;
  shard: number;
  kind: "rdb" | "aof" | "aof-manifest";
  size: number;
  sha256: string;
}

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  version: 1;
  createdAt: string;
  server: string;
  shards: number;
  keys: number;
  perShard: { shard: number; keys: number; snapshot: string; aofStatus: string; aofBase: string }[];
  files: BackupFile[];
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** 2026-11-30T19:23:00.123Z → 20261130T192300Z */
const stamp = (d: Date) => d.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");

export async function runBackup(conn: Connection, outDir: string, timeoutMs: number, quiet: boolean, io: Io): Promise<number> {
  const progress = new Progress(io, quiet);
  const client = new AdminClient(conn);
  const created = new Date();
  const name = `durable-redis-backup-${stamp(created)}`;
  const snapshots = await snapshotEveryShard(client, timeoutMs, progress);
  const entries: TarEntry[] = [];
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    version: 1,
    createdAt: created.toISOString(),
    server: conn.url,
    shards: snapshots.length,
    keys: 0,
    perShard: [],
    files: [],
  };
  const add = (path: string, shard: number, kind: BackupFile["kind"], data: Uint8Array) => {
    entries.push({ name: `${name}/${path}`, data, mtime: created.getTime() / 1000 });
    manifest.files.push({ path, shard, kind, size: data.length, sha256: sha256(data) });
  };
  for (const snap of snapshots) {
    const s = snap.shard;
    const aof = await client.download("/admin/aof", { shard: s }, progress, `shard ${s}: AOF`);
    const aofManifest = await client.manifest(s);
    // The AOF must be whole records (a preamble, if any, a sane RDB) to be worth keeping.
    const report = checkAof(bytesToBinary(aof), {
      name: `shard-${s}/appendonly.aof`,
      rdbCheck: (bytes) => {
        const r = checkRdb(binaryToBytes(bytes), "preamble", { maxVersion: MAX_READ_VERSION });
        if (!r.ok) throw Object.assign(new Error(r.error!.reason), { offset: r.error!.offset });
        return r.end;
      },
    });
    if (report.status === "bad" || report.status === "truncated") {
      throw new CliError(`shard ${s}'s AOF is not valid: ${report.error?.message ?? report.status} (ok up to ${report.okUpTo} of ${report.size} bytes)`);
    }
    add(`shard-${s}/dump.rdb`, s, "rdb", snap.bytes);
    add(`shard-${s}/appendonly.aof`, s, "aof", aof);
    add(`shard-${s}/aof-manifest.json`, s, "aof-manifest", new TextEncoder().encode(JSON.stringify(aofManifest, null, 2) + "\n"));
    const base = aofManifest.base;
    manifest.perShard.push({
      shard: s,
      keys: snap.keys,
      snapshot: snap.record.key,
      aofStatus: report.status,
      aofBase: base.kind === "rdb" ? `RDB snapshot ${base.key ?? ""} (the preamble of appendonly.aof)` : base.kind,
    });
    manifest.keys += snap.keys;
  }
  entries.unshift({ name: `${name}/manifest.json`, data: new TextEncoder().encode(JSON.stringify(manifest, null, 2) + "\n"), mtime: created.getTime() / 1000 });

  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, `${name}.tar.gz`);
  const tmp = `${path}.${process.pid}.tmp`;
  const blocks = [...tarBlocks(entries)];
  const tar = new Uint8Array(blocks.reduce((n, b) => n + b.length, 0));
  let off = 0;
  for (const b of blocks) {
    tar.set(b, off);
    off += b.length;
  }
  try {
    writeFileSync(tmp, gzipSync(tar));
    // Read back what was written: the archive opens and every checksum holds.
    readBackup(tmp);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  progress.step(`wrote ${path}: ${manifest.shards} shards, ${manifest.keys} keys, ${formatBytes(tar.length)} before compression; checksums verified`);
  io.out(path);
  return 0;
}

/** A backup archive's manifest and shard snapshots, every checksum verified. */
export function readBackup(path: string): { manifest: BackupManifest; snapshots: RdbSource[] } {
  let entries: TarEntry[];
  try {
    entries = untar(gunzipSync(readFileSync(path)));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new CliError(`${path}: no such file`);
    throw new CliError(`${path} is not a readable backup archive: ${(e as Error).message}`);
  }
  const manifestEntry = entries.find((e) => /^[^/]+\/manifest\.json$/.test(e.name));
  if (!manifestEntry) throw new CliError(`${path} has no manifest.json: not a durable-redis backup`);
  const root = manifestEntry.name.slice(0, manifestEntry.name.indexOf("/"));
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(new TextDecoder().decode(manifestEntry.data)) as BackupManifest;
  } catch {
    throw new CliError(`${path}: manifest.json is not JSON`);
  }
  if (manifest.format !== BACKUP_FORMAT || manifest.version !== 1) throw new CliError(`${path}: not a durable-redis backup (version 1)`);
  const byName = new Map(entries.map((e) => [e.name, e.data]));
  const snapshots: RdbSource[] = [];
  for (const f of manifest.files) {
    const data = byName.get(`${root}/${f.path}`);
    if (!data) throw new CliError(`${path}: ${f.path} is listed in the manifest but missing`);
    if (data.length !== f.size || sha256(data) !== f.sha256) throw new CliError(`${path}: ${f.path} does not match its checksum`);
    if (f.kind === "rdb") snapshots.push({ name: `${path}:${f.path}`, bytes: data });
  }
  if (snapshots.length !== manifest.shards) throw new CliError(`${path}: ${snapshots.length} snapshots for ${manifest.shards} shards`);
  return { manifest, snapshots };
}
