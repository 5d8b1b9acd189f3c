// Splits RDB files (a real Redis's dump, or a backup's shard snapshots) into one RDB per shard of a
// deployment, by Redis Cluster hash slot, as the worker's router places keys. One database is taken;
// keys already expired, and types durable-redis has no room for (streams, modules), are counted and
// left out. Everything is decoded before anything is sent, so a damaged file changes nothing. Files
// are read one at a time and the shards' files are written to disk as they grow: memory holds one
// input file, not the deployment.

import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { RdbError } from "../../durable-objects/persistence/rdb-codec/errors.js";
import { RdbWriter } from "../../durable-objects/persistence/rdb-codec/encoder.js";
import { shardOfKey } from "../../worker/shards.js";
import { CliError } from "./args.js";
import { type RdbRecord, RdbCheckError, dataType, decodeRecord, loadable, walkRdb } from "../../durable-objects/persistence/rdb-codec/walk.js";
import { MAX_READ_VERSION } from "./snapshots.js";
import { valueMemory } from "../../durable-objects/engine/types/index.js";
import { EXPIRE_COST, keyCost } from "../../durable-objects/engine/types/memory.js";

export interface RdbSource {
  /** How to name the file in messages. */
  name: string;
  path: string;
}

export interface SplitResult {
  /** One RDB file per shard (an empty dataset where no key belongs), and its size. */
  files: { path: string; size: number }[];
  keysPerShard: number[];
  /** The used_memory each shard's keys will take there (as its accounting counts them). */
  usedPerShard: number[];
  keys: number;
  /** Keys of other databases than the one taken. */
  otherDbs: number;
  expired: number;
  /** Streams and module values of the database taken. */
  unsupported: number;
  functions: number;
}

export interface SplitOptions {
  shards: number;
  db: number;
  now: number;
  /** Leave out streams and module values instead of refusing the file. */
  skipUnsupported: boolean;
}

/** A source's records, walked as redis-check-rdb walks them (its words for a damaged file). */
function walk(src: RdbSource, bytes: Uint8Array, onFunction: () => void): { version: number; records: RdbRecord[] } {
  const records: RdbRecord[] = [];
  try {
    const { version } = walkRdb(bytes, { key: (rec) => records.push(rec), function: onFunction }, { maxVersion: MAX_READ_VERSION, validateValues: false });
    return { version, records };
  } catch (e) {
    if (e instanceof RdbCheckError) {
      throw new CliError(`${src.name} is damaged: ${e.reason} at offset ${e.offset} (see 'durable-redis check-rdb ${src.name}')`);
    }
    throw e;
  }
}

/** Splits the sources into one RDB file per shard, written into `dir`. */
export function splitByShard(sources: RdbSource[], opts: SplitOptions, dir: string): SplitResult {
  const r: SplitResult = { files: [], keysPerShard: [], usedPerShard: [], keys: 0, otherDbs: 0, expired: 0, unsupported: 0, functions: 0 };
  const shardOf = (key: string) => shardOfKey(key, opts.shards);
  // Which records go: the same test in both passes.
  const kept = (rec: RdbRecord) => rec.db === opts.db && loadable(rec.type) && !(rec.expireAt !== undefined && rec.expireAt <= opts.now);

  // First pass: check every file and count, so each shard's file can start with its sizes.
  const keys = new Array<number>(opts.shards).fill(0);
  const expiring = new Array<number>(opts.shards).fill(0);
  const seen = new Set<string>();
  for (const src of sources) {
    const { records } = walk(src, readSource(src), () => r.functions++);
    for (const rec of records) {
      if (rec.db !== opts.db) r.otherDbs++;
      else if (!loadable(rec.type)) r.unsupported++;
      else if (!kept(rec)) r.expired++;
      else {
        if (seen.has(rec.key)) throw new CliError(`${src.name}: the key '${rec.key}' appears twice`);
        seen.add(rec.key);
        keys[shardOf(rec.key)]++;
        if (rec.expireAt !== undefined) expiring[shardOf(rec.key)]++;
      }
    }
  }
  seen.clear();
  if (r.unsupported > 0 && !opts.skipUnsupported) {
    throw new CliError(
      `db ${opts.db} holds ${r.unsupported} keys of types durable-redis does not have (module values); --skip-unsupported restores the rest`,
    );
  }

  // Second pass: decode each kept key into its shard's file.
  const out = Array.from({ length: opts.shards }, (_, s) => {
    const path = join(dir, `shard-${s}.rdb`);
    const w = new RdbWriter({ compression: true, checksum: true });
    w.header({ ctimeSec: Math.floor(opts.now / 1000), usedMem: 0, aofBase: false });
    if (keys[s] > 0) w.selectDb(0, keys[s], expiring[s]);
    return { path, fd: openSync(path, "w"), w, size: 0, written: 0, used: 0 };
  });
  const flush = (o: (typeof out)[number]) => {
    const chunk = o.w.takeChunk();
    writeSync(o.fd, chunk);
    o.size += chunk.length;
  };
  try {
    for (const src of sources) {
      const bytes = readSource(src);
      const { version, records } = walk(src, bytes, () => {});
      for (const record of records) {
        if (!kept(record)) continue;
        let value;
        try {
          value = decodeRecord(bytes, record, version);
        } catch (e) {
          if (e instanceof RdbError) {
            throw new CliError(`${src.name} is damaged: ${e.reason} in the ${dataType(record.type)} '${record.key}' at offset ${record.start}`);
          }
          throw e;
        }
        if (value === undefined) continue;
        const o = out[shardOf(record.key)];
        o.w.writeKey(record.key, value, record.expireAt);
        o.written++;
        o.used += keyCost(record.key) + valueMemory(value) + (record.expireAt === undefined ? 0 : EXPIRE_COST);
        if (o.w.buffered > 1 << 20) flush(o);
      }
    }
    for (const o of out) {
      o.w.finish();
      flush(o);
      r.files.push({ path: o.path, size: o.size });
      r.keysPerShard.push(o.written);
      r.usedPerShard.push(o.used);
      r.keys += o.written;
    }
  } finally {
    for (const o of out) closeSync(o.fd);
  }
  return r;
}

function readSource(src: RdbSource): Uint8Array {
  try {
    return readFileSync(src.path);
  } catch (e) {
    throw new CliError(`cannot read ${src.name}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`);
  }
}
