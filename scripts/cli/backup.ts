// `durable-redis backup [--out DIR]`: a fresh snapshot of every shard plus its AOF, checked, in a
// dated .tar.gz with a manifest of SHA-256 checksums; and reading such an archive back for restore.

import { createHash } from "node:crypto";
import { closeSync, createReadStream, createWriteStream, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
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
import { type TarEntry, tarBlocks, tarDigests, tarStream } from "./tar.js";

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
  // Every shard's files go to a work directory first and are read back one at a time: memory
  // follows the largest shard, not the deployment.
  const work = mkdtempSync(join(tmpdir(), "durable-redis-backup-"));
  try {
    const snapshots = await snapshotEveryShard(client, timeoutMs, work, progress);
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
    const mtime = created.getTime() / 1000;
    const add = (path: string, shard: number, kind: BackupFile["kind"], file: { path: string; size: number; sha256: string }) => {
      entries.push({ name: `${name}/${path}`, path: file.path, size: file.size, mtime });
      manifest.files.push({ path, shard, kind, size: file.size, sha256: file.sha256 });
    };
    for (const snap of snapshots) {
      const s = snap.shard;
      const aofPath = join(work, `shard-${s}.aof`);
      const aof = await client.downloadTo("/admin/aof", { shard: s }, aofPath, progress, `shard ${s}: AOF`);
      const aofManifest = await client.manifest(s);
      // The AOF must be whole records (a preamble, if any, a sane RDB) to be worth keeping.
      const report = checkAof(bytesToBinary(readFileSync(aofPath)), {
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
      const manifestPath = join(work, `shard-${s}.aof-manifest.json`);
      const manifestBytes = new TextEncoder().encode(JSON.stringify(aofManifest, null, 2) + "\n");
      writeFileSync(manifestPath, manifestBytes);
      add(`shard-${s}/dump.rdb`, s, "rdb", snap);
      add(`shard-${s}/appendonly.aof`, s, "aof", { path: aofPath, ...aof });
      add(`shard-${s}/aof-manifest.json`, s, "aof-manifest", { path: manifestPath, size: manifestBytes.length, sha256: sha256(manifestBytes) });
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
    entries.unshift({ name: `${name}/manifest.json`, data: new TextEncoder().encode(JSON.stringify(manifest, null, 2) + "\n"), mtime });

    mkdirSync(outDir, { recursive: true });
    const path = join(outDir, `${name}.tar.gz`);
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      await pipeline(Readable.from(tarBlocks(entries)), createGzip(), createWriteStream(tmp));
      // Read back what was written: the archive opens and every file has its size and checksum.
      const digests = await tarDigests(createReadStream(tmp).pipe(createGunzip()));
      for (const f of manifest.files) {
        const d = digests.get(`${name}/${f.path}`);
        if (!d || d.size !== f.size || d.sha256 !== f.sha256) throw new CliError(`${tmp}: ${f.path} did not read back as written`);
      }
      renameSync(tmp, path);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
    const total = manifest.files.reduce((n, f) => n + f.size, 0);
    progress.step(`wrote ${path}: ${manifest.shards} shards, ${manifest.keys} keys, ${formatBytes(total)} of files; checksums verified`);
    io.out(path);
    return 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * A backup archive's manifest and shard snapshots, every checksum verified. The archive is read as a
 * stream; the snapshots are written into `dir` (the AOFs are only checked), so memory holds a chunk.
 */
export async function readBackup(path: string, dir: string): Promise<{ manifest: BackupManifest; snapshots: RdbSource[] }> {
  let manifestText = "";
  let manifestName: string | null = null;
  const written = new Map<string, string>();
  const openFds = new Set<number>();
  const open: Parameters<typeof tarStream>[1] = (name, size) => {
    if (/^[^/]+\/manifest\.json$/.test(name) && size < 1 << 24) {
      manifestName = name;
      const decoder = new TextDecoder();
      return (piece) => (manifestText += decoder.decode(piece, { stream: true }));
    }
    if (!/^[^/]+\/shard-\d+\/dump\.rdb$/.test(name)) return null;
    const file = join(dir, `${written.size}.rdb`);
    written.set(name, file);
    const fd = openSync(file, "w");
    openFds.add(fd);
    let left = size;
    const done = () => {
      closeSync(fd);
      openFds.delete(fd);
    };
    if (size === 0) done();
    return (piece) => {
      writeSync(fd, piece);
      left -= piece.length;
      if (left === 0) done();
    };
  };
  let digests: Map<string, { size: number; sha256: string }>;
  try {
    digests = await tarStream(createReadStream(path).pipe(createGunzip()), open);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new CliError(`${path}: no such file`);
    throw new CliError(`${path} is not a readable backup archive: ${(e as Error).message}`);
  } finally {
    for (const fd of openFds) closeSync(fd);
  }
  if (manifestName === null) throw new CliError(`${path} has no manifest.json: not a durable-redis backup`);
  const root = (manifestName as string).slice(0, (manifestName as string).indexOf("/"));
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(manifestText) as BackupManifest;
  } catch {
    throw new CliError(`${path}: manifest.json is not JSON`);
  }
  if (manifest.format !== BACKUP_FORMAT || manifest.version !== 1) throw new CliError(`${path}: not a durable-redis backup (version 1)`);
  const snapshots: RdbSource[] = [];
  for (const f of manifest.files) {
    const d = digests.get(`${root}/${f.path}`);
    if (!d) throw new CliError(`${path}: ${f.path} is listed in the manifest but missing`);
    if (d.size !== f.size || d.sha256 !== f.sha256) throw new CliError(`${path}: ${f.path} does not match its checksum`);
    const file = written.get(`${root}/${f.path}`);
    if (f.kind === "rdb" && file) snapshots.push({ name: `${path}:${f.path}`, path: file });
  }
  if (snapshots.length !== manifest.shards) throw new CliError(`${path}: ${snapshots.length} snapshots for ${manifest.shards} shards`);
  return { manifest, snapshots };
}
