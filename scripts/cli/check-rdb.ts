// `durable-redis check-rdb FILE`: redis-check-rdb's report (same lines, offsets and verdict), then a
// summary of keys per database and type, expiries, and what durable-redis could not restore.

import { readFileSync } from "node:fs";
import { type RdbRecord, RdbCheckError, REDIS_7_0_RDB_VERSION, checkTypeName, dataType, walkRdb } from "../../durable-objects/persistence/rdb-codec/walk.js";

export interface DbSummary {
  keys: number;
  expires: number;
  /** Keys per data type (string, list, set, zset, hash, stream, module). */
  types: Record<string, number>;
}

export interface RdbCheckReport {
  ok: boolean;
  /** redis-check-rdb's lines. */
  lines: string[];
  /** Keys read, with an expiry, already expired (redis-check-rdb's [info] counts). */
  keys: number;
  expires: number;
  alreadyExpired: number;
  dbs: Map<number, DbSummary>;
  functions: number;
  version: number | null;
  /** Just past the trailer (where an AOF preamble's RESP tail starts); 0 when not OK. */
  end: number;
  error: RdbCheckError | null;
}

export interface RdbCheckOptions {
  /** The time "already expired" is judged against (ms). */
  now?: number;
  maxVersion?: number;
}

/** Checks an RDB file's bytes, naming it `name` in the report as redis-check-rdb names its argument. */
export function checkRdb(bytes: Uint8Array, name: string, opts: RdbCheckOptions = {}): RdbCheckReport {
  const now = opts.now ?? Date.now();
  const lines = [`[offset 0] Checking RDB file ${name}`];
  const r: RdbCheckReport = { ok: false, lines, keys: 0, expires: 0, alreadyExpired: 0, dbs: new Map(), functions: 0, version: null, end: 0, error: null };
  const onKey = (rec: RdbRecord) => {
    let db = r.dbs.get(rec.db);
    if (!db) r.dbs.set(rec.db, (db = { keys: 0, expires: 0, types: {} }));
    db.keys++;
    const t = dataType(rec.type);
    db.types[t] = (db.types[t] ?? 0) + 1;
    if (rec.expireAt !== undefined) {
      r.expires++;
      db.expires++;
      if (rec.expireAt < now) r.alreadyExpired++;
    }
  };
  try {
    const result = walkRdb(
      bytes,
      {
        aux: (k, v, offset) => lines.push(`[offset ${offset}] AUX FIELD ${k} = '${v}'`),
        selectDb: (db, offset) => lines.push(`[offset ${offset}] Selecting DB ID ${db}`),
        keyName: () => r.keys++,
        key: onKey,
        function: () => r.functions++,
      },
      { maxVersion: opts.maxVersion ?? REDIS_7_0_RDB_VERSION },
    );
    r.version = result.version;
    if (result.checksum === "ok") lines.push(`[offset ${result.end}] Checksum OK`);
    if (result.checksum === "disabled") lines.push(`[offset ${result.end}] RDB file was saved with checksum disabled: no check performed.`);
    lines.push(`[offset ${result.end}] \\o/ RDB looks OK! \\o/`);
    r.ok = true;
    r.end = result.end;
  } catch (e) {
    if (!(e instanceof RdbCheckError)) throw e;
    r.error = e;
    lines.push("--- RDB ERROR DETECTED ---", `[offset ${e.offset}] ${e.reason}`, `[additional info] While doing: ${e.doing}`);
    if (e.key !== null) lines.push(`[additional info] Reading key '${e.key}'`);
    if (e.keyType !== null) lines.push(`[additional info] Reading type ${e.keyType} (${checkTypeName(e.keyType)})`);
  }
  lines.push(`[info] ${r.keys} keys read`, `[info] ${r.expires} expires`, `[info] ${r.alreadyExpired} already expired`);
  return r;
}

/** The summary printed after redis-check-rdb's lines. */
export function summaryLines(r: RdbCheckReport): string[] {
  const out: string[] = [];
  for (const [db, s] of [...r.dbs].sort((a, b) => a[0] - b[0])) {
    const types = Object.entries(s.types)
      .sort()
      .map(([t, n]) => `${t} ${n}`)
      .join(", ");
    out.push(`[summary] db ${db}: ${s.keys} keys (${types}), ${s.expires} with an expiry`);
  }
  if (r.functions > 0) out.push(`[summary] ${r.functions} function libraries`);
  const db0 = r.dbs.get(0);
  const unsupported = db0?.types.module ?? 0;
  const otherDbs = [...r.dbs.keys()].filter((d) => d !== 0);
  if (unsupported > 0) out.push(`[summary] durable-redis cannot restore ${unsupported} keys of db 0 (module types)`);
  if (otherDbs.length > 0) out.push(`[summary] restore --rdb takes one database (--db, default 0); also present: db ${otherDbs.join(", db ")}`);
  if (r.functions > 0) out.push("[summary] durable-redis does not restore functions");
  if (r.error) out.push(`[summary] first problem at offset ${r.error.offset}: ${r.error.reason}`);
  return out;
}

export const CHECK_RDB_HELP = `Usage: durable-redis check-rdb [options] FILE

Checks an RDB file as redis-check-rdb does: the same report lines, offsets and verdict, followed by
a summary of keys per database and type, expiries, and what durable-redis cannot restore.

Options:
  --max-version N   highest RDB version accepted (default ${REDIS_7_0_RDB_VERSION}, as Redis 7.0; durable-redis reads up to 12)
  --quiet           print only the verdict line and the summary
  -h, --help        this help

Exit status: 0 the file is valid, 1 it is not (the first problem's offset is printed), 2 usage error.`;

export function runCheckRdb(path: string, opts: { maxVersion?: number; quiet?: boolean }, out: (line: string) => void): number {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    out(`Cannot open file ${path}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "No such file or directory" : (e as Error).message}`);
    return 1;
  }
  const r = checkRdb(bytes, path, { maxVersion: opts.maxVersion });
  const lines = opts.quiet ? r.lines.filter((l) => l.includes("RDB looks OK") || l.startsWith(`[offset ${r.error?.offset}]`)) : r.lines;
  for (const l of [...lines, ...summaryLines(r)]) out(l);
  return r.ok ? 0 : 1;
}
