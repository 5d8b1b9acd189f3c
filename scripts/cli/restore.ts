// `durable-redis restore BACKUP.tar.gz`, `restore --rdb dump.rdb` and `restore --aof FILE|DIR`:
// replace the deployment's whole dataset (an AOF is first replayed into one RDB, see aof-source.ts). The keys are split by hash slot onto the deployment's shards (so a backup restores onto any
// number of shards, and a real Redis's dump imports), and each shard is replaced by its part.

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AdminClient } from "./admin-client.js";
import { CliError, type Connection } from "./args.js";
import { readBackup } from "./backup.js";
import type { Io } from "./io.js";
import { Progress, formatBytes } from "./progress.js";
import { type RdbSource, splitByShard } from "./split.js";
import { aofToRdb } from "./aof-source.js";

export const RESTORE_HELP = `Usage: durable-redis restore BACKUP.tar.gz [options]
       durable-redis restore --rdb FILE [options]
       durable-redis restore --aof FILE|DIR [--truncate] [options]
       durable-redis restore --to-time TIME [options]

Replaces the deployment's whole dataset: every shard is emptied and given the keys that hash to its
slots. BACKUP.tar.gz is an archive made by 'durable-redis backup' (its checksums are verified first;
it restores onto any number of shards). --rdb takes an RDB file, such as a real Redis's dump.rdb
(versions up to 12, Redis 7.4): keys already expired are left out, as Redis does when loading.
--aof takes a Redis AOF: an appendonlydir (its manifest, base .rdb or .aof, increments), a manifest,
or one appendonly.aof (with or without an RDB preamble); it is replayed as redis-server loads it. A
truncated or damaged file is refused with its offset; --truncate restores up to the last whole
record of the last file instead (as aof-load-truncated, or redis-check-aof --fix, would).
Nothing is sent until the whole input has been read and decoded. --to-time takes every shard back to
the end of second TIME (Unix seconds, or a date such as 2026-11-30T21:00:00Z) from the bases it keeps
in R2 and the log since them; how far back that reaches is set by aof-retain-bases.

Options:
  --rdb FILE           restore an RDB file instead of a backup archive
  --aof FILE|DIR       restore a Redis AOF (appendonlydir, manifest or single file)
  --truncate           with --aof: cut a truncated or damaged last file back to its whole records
  --to-time TIME       point-in-time restore of every shard, from what the shards keep
  --db N               the database of the RDB file or AOF to take (default 0; durable-redis has one)
  --skip-unsupported   leave out module values instead of refusing the file
  -y, --yes            do not ask before replacing the dataset (needed when stdin is not a terminal)
  --url URL            the deployment (or DURABLE_REDIS_URL)
  --token TOKEN        the admin token (or DURABLE_REDIS_ADMIN_TOKEN)
  -q, --quiet          no progress on stderr
  -h, --help           this help

Exit status: 0 restored, 1 failed or declined (nothing was changed unless a shard's upload failed,
which is reported), 2 usage error, 3 server unreachable or token refused.`;

export interface RestoreOptions {
  backup?: string;
  rdb?: string;
  aof?: string;
  /** With `aof`: cut a truncated or damaged last file back to its whole records. */
  truncate?: boolean;
  /** Unix seconds: a point-in-time restore. */
  toTime?: number;
  db: number;
  skipUnsupported: boolean;
  yes: boolean;
  quiet: boolean;
}

/** TIME for --to-time: Unix seconds, or a date Date.parse reads (ISO 8601). */
export function parseRestoreTime(text: string): number | null {
  if (/^\d{1,12}$/.test(text)) return Number(text);
  const ms = Date.parse(text);
  return Number.isNaN(ms) || ms < 0 ? null : Math.floor(ms / 1000);
}

/** Asks before replacing the dataset, unless --yes; false when declined (nothing was changed). */
async function confirmed(io: Io, yes: boolean, question: string): Promise<boolean> {
  if (yes) return true;
  io.err(question);
  io.errWrite("Continue? [y/N]: ");
  const answer = await io.readLine();
  if (answer === null) {
    io.err("Aborted: no answer on stdin (pass --yes to restore without asking); nothing was changed.");
    return false;
  }
  if (!/^y/i.test(answer)) {
    io.err("Aborted: nothing was changed.");
    return false;
  }
  return true;
}

async function restoreToTime(conn: Connection, time: number, opts: RestoreOptions, io: Io): Promise<number> {
  const progress = new Progress(io, opts.quiet);
  const client = new AdminClient(conn);
  const shards = await client.shardCount();
  const when = new Date(time * 1000).toISOString();
  if (!(await confirmed(io, opts.yes, `This takes the ${shards} shard${shards === 1 ? "" : "s"} of ${conn.url} back to ${when} (${time}).`))) return 1;
  const done: number[] = [];
  let keys = 0;
  for (let s = 0; s < shards; s++) {
    let result: { keys: number; base: string; rows: number };
    try {
      result = await client.post("/admin/restore-to-time", { shard: s, time });
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      const state = done.length ? `shards ${done.join(", ")} were taken back, the others were not` : "no shard was changed";
      throw new CliError(`restoring shard ${s} to ${when} failed: ${msg}; ${state}`, e instanceof CliError ? e.code : 1);
    }
    done.push(s);
    keys += result.keys;
    progress.step(`shard ${s}: ${result.keys} keys, from ${result.base} and ${result.rows} log rows`);
  }
  io.out(`restored ${shards} shard${shards === 1 ? "" : "s"} to ${when}: ${keys} keys`);
  return 0;
}

export async function runRestore(conn: Connection, opts: RestoreOptions, io: Io): Promise<number> {
  if (opts.toTime !== undefined) return restoreToTime(conn, opts.toTime, opts, io);
  const progress = new Progress(io, opts.quiet);
  // The backup's snapshots and the shards' new files go here, one file in memory at a time.
  const work = mkdtempSync(join(tmpdir(), "durable-redis-restore-"));
  try {
    let sources: RdbSource[];
    let what: string;
    if (opts.rdb) {
      sources = [{ name: opts.rdb, path: opts.rdb }];
      what = opts.rdb;
    } else if (opts.aof) {
      const path = join(work, "aof.rdb");
      const r = aofToRdb(opts.aof, { truncate: opts.truncate === true, now: Date.now() }, path);
      const dbs = [...r.keysByDb].map(([db, n]) => `db ${db}: ${n} keys`).join(", ");
      progress.step(`${opts.aof}: ${r.files.length} file${r.files.length === 1 ? "" : "s"} replayed, ${r.commands} commands${dbs ? `; ${dbs}` : ""}`);
      if (r.cut) io.err(`${r.cut.file}: cut at offset ${r.cut.offset} (${r.cut.reason}), ${r.cut.dropped} bytes after it left out (--truncate)`);
      sources = [{ name: opts.aof, path }];
      what = opts.aof;
    } else {
      const { manifest, snapshots } = await readBackup(opts.backup!, work);
      progress.step(`${opts.backup}: backup of ${manifest.server} at ${manifest.createdAt}, ${manifest.shards} shards, ${manifest.keys} keys; checksums verified`);
      sources = snapshots;
      what = opts.backup!;
    }
    const client = new AdminClient(conn);
    const shards = await client.shardCount();
    const outDir = join(work, "out");
    mkdirSync(outDir);
    const split = splitByShard(sources, { shards, db: opts.db, now: Date.now(), skipUnsupported: opts.skipUnsupported }, outDir);
    const left: string[] = [];
    if (split.otherDbs) left.push(`${split.otherDbs} keys of other databases`);
    if (split.expired) left.push(`${split.expired} already expired`);
    if (split.unsupported) left.push(`${split.unsupported} module values`);
    if (split.functions) left.push(`${split.functions} function libraries`);
    progress.step(`${what}: ${split.keys} keys to restore${left.length ? ` (left out: ${left.join(", ")})` : ""}`);
    // Every shard's part against its maxmemory before any is sent: a shard refusing its part after
    // others took theirs would leave the deployment half restored.
    for (const info of await client.info()) {
      const max = Number(info.maxmemory) || 0;
      const used = split.usedPerShard[info.shard] ?? 0;
      if (max > 0 && used > max) {
        throw new CliError(`shard ${info.shard}: its keys would take ${used} bytes of used_memory, over its maxmemory (${max}); nothing was restored (raise maxmemory, or add shards)`);
      }
    }

    if (!(await confirmed(io, opts.yes, `This replaces every key on the ${shards} shard${shards === 1 ? "" : "s"} of ${conn.url} with the ${split.keys} keys of ${what}.`))) return 1;

    const done: number[] = [];
    for (let s = 0; s < shards; s++) {
      let result: { keys: number };
      try {
        result = await client.uploadFile<{ keys: number }>("/admin/restore", { shard: s }, split.files[s].path);
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        const state = done.length ? `shards ${done.join(", ")} were restored, the others were not` : "no shard was changed";
        throw new CliError(`restoring shard ${s} failed: ${msg}; ${state}. Run the restore again.`, e instanceof CliError ? e.code : 1);
      }
      if (result.keys !== split.keysPerShard[s]) {
        throw new CliError(`shard ${s} took ${result.keys} keys of ${split.keysPerShard[s]} (keys expiring during the restore are dropped by the shard); run the restore again`);
      }
      done.push(s);
      progress.step(`shard ${s}: ${result.keys} keys restored (${formatBytes(split.files[s].size)})`);
    }
    io.out(`restored ${split.keys} keys onto ${shards} shard${shards === 1 ? "" : "s"}: ${split.keysPerShard.map((k, i) => `shard ${i} ${k}`).join(", ")}`);
    return 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
