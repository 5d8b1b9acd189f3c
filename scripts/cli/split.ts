// Splits RDB files (a real Redis's dump, or a backup's shard snapshots) into one RDB per shard of a
// deployment, by Redis Cluster hash slot, as the worker's router places keys. One database is taken;
// keys already expired, and types durable-redis has no room for (streams, modules), are counted and
// left out. Everything is decoded before anything is sent, so a damaged file changes nothing.

import { RdbError } from "../../durable-objects/persistence/rdb-codec/errors.js";
import { RdbWriter } from "../../durable-objects/persistence/rdb-codec/encoder.js";
import { keySlot, slotShard } from "../../worker/slots.js";
import { CliError } from "./args.js";
import { type RdbRecord, RdbCheckError, dataType, decodeRecord, loadable, walkRdb } from "../../durable-objects/persistence/rdb-codec/walk.js";
import { MAX_READ_VERSION } from "./snapshots.js";

export interface RdbSource {
  /** How to name the file in messages. */
  name: string;
  bytes: Uint8Array;
}

export interface SplitResult {
  /** One RDB file per shard (an empty dataset where no key belongs). */
  files: Uint8Array[];
  keysPerShard: number[];
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

export function splitByShard(sources: RdbSource[], opts: SplitOptions): SplitResult {
  const perShard: { source: number; version: number; record: RdbRecord }[][] = Array.from({ length: opts.shards }, () => []);
  const r: SplitResult = { files: [], keysPerShard: [], keys: 0, otherDbs: 0, expired: 0, unsupported: 0, functions: 0 };
  const seen = new Set<string>();
  sources.forEach((src, i) => {
    let version = 0;
    const records: RdbRecord[] = [];
    try {
      version = walkRdb(src.bytes, { key: (rec) => records.push(rec), function: () => r.functions++ }, { maxVersion: MAX_READ_VERSION, validateValues: false }).version;
    } catch (e) {
      if (e instanceof RdbCheckError) {
        throw new CliError(`${src.name} is damaged: ${e.reason} at offset ${e.offset} (see 'durable-redis check-rdb ${src.name}')`);
      }
      throw e;
    }
    for (const rec of records) {
      if (rec.db !== opts.db) {
        r.otherDbs++;
        continue;
      }
      if (!loadable(rec.type)) {
        r.unsupported++;
        continue;
      }
      if (rec.expireAt !== undefined && rec.expireAt <= opts.now) {
        r.expired++;
        continue;
      }
      if (seen.has(rec.key)) throw new CliError(`${src.name}: the key '${rec.key}' appears twice`);
      seen.add(rec.key);
      perShard[opts.shards === 1 ? 0 : slotShard(keySlot(rec.key), opts.shards)].push({ source: i, version, record: rec });
    }
  });
  if (r.unsupported > 0 && !opts.skipUnsupported) {
    throw new CliError(
      `db ${opts.db} holds ${r.unsupported} keys of types durable-redis does not have (streams, module values); --skip-unsupported restores the rest`,
    );
  }
  for (const keys of perShard) {
    const w = new RdbWriter({ compression: true, checksum: true });
    w.header({ ctimeSec: Math.floor(opts.now / 1000), usedMem: 0, aofBase: false });
    if (keys.length > 0) w.selectDb(0, keys.length, keys.filter((k) => k.record.expireAt !== undefined).length);
    const chunks = [w.takeChunk()];
    let written = 0;
    for (const { source, version, record } of keys) {
      let value;
      try {
        value = decodeRecord(sources[source].bytes, record, version);
      } catch (e) {
        if (e instanceof RdbError) {
          throw new CliError(`${sources[source].name} is damaged: ${e.reason} in the ${dataType(record.type)} '${record.key}' at offset ${record.start}`);
        }
        throw e;
      }
      if (value !== undefined) {
        w.writeKey(record.key, value, record.expireAt);
        written++;
      }
      if (w.buffered > 1 << 20) chunks.push(w.takeChunk());
    }
    w.finish();
    chunks.push(w.takeChunk());
    const file = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let off = 0;
    for (const c of chunks) {
      file.set(c, off);
      off += c.length;
    }
    r.files.push(file);
    r.keysPerShard.push(written);
    r.keys += written;
  }
  return r;
}
