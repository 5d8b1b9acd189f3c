// POST /admin/restore-aof: a Redis AOF uploaded to the admin API replaces the deployment's dataset.
// The body is one AOF file (with or without an RDB preamble), or multipart/form-data holding an
// appendonlydir (its manifest and the files it lists, by file name). The worker replays it
// (durable-objects/aof-import.ts), splits database 0 by hash slot, and replaces each shard with an
// RDB of its keys, as restore --rdb does. Keys of other databases and keys already expired are
// left out and counted.

import { AofImport, AofImportError, type AofImportFile, manifestFiles } from "../durable-objects/aof-import.js";
import { bytesToBinary } from "../durable-objects/engine/bytes.js";
import type { Keyspace } from "../durable-objects/engine/keyspace.js";
import { AofError } from "../durable-objects/persistence/aof/format.js";
import { RdbWriter } from "../durable-objects/persistence/rdb-codec/index.js";
import { valueMemory } from "../durable-objects/engine/types/index.js";
import { EXPIRE_COST, keyCost } from "../durable-objects/engine/types/memory.js";
import { HttpError } from "./http-error.js";
import { shardOfKey } from "./shards.js";


/** The uploaded AOF's files, in load order. */
export async function uploadedFiles(req: Request, maxBytes: number): Promise<AofImportFile[]> {
  const declared = Number(req.headers.get("content-length"));
  if (declared > maxBytes) throw new HttpError(413, "ERR max request size exceeded");
  const type = req.headers.get("content-type") ?? "";
  if (!type.startsWith("multipart/form-data")) {
    const body = new Uint8Array(await req.arrayBuffer());
    if (body.length > maxBytes) throw new HttpError(413, "ERR max request size exceeded");
    return [{ name: "appendonly.aof", bytes: bytesToBinary(body) }];
  }
  let form: FormData;
  try {
    form = await req.formData();
  } catch (e) {
    // No boundary, or a body that is not the multipart its type says: the upload's fault, not ours.
    throw new HttpError(400, `ERR the body is not multipart/form-data: ${e instanceof Error ? e.message : e}`);
  }
  const byName = new Map<string, Uint8Array>();
  let total = 0;
  for (const value of form.values()) {
    if (typeof value === "string") continue;
    const bytes = new Uint8Array(await value.arrayBuffer());
    total += bytes.length;
    if (total > maxBytes) throw new HttpError(413, "ERR max request size exceeded");
    byName.set(value.name, bytes);
  }
  const manifests = [...byName.keys()].filter((n) => n.endsWith(".manifest"));
  if (manifests.length !== 1) {
    throw new HttpError(400, manifests.length === 0 ? "ERR no AOF manifest among the uploaded files" : `ERR more than one AOF manifest among the uploaded files: ${manifests.join(", ")}`);
  }
  let names: string[];
  try {
    names = manifestFiles(bytesToBinary(byName.get(manifests[0])!));
  } catch (e) {
    if (e instanceof AofError) throw new HttpError(400, `ERR ${manifests[0]}: ${e.reason}`);
    throw e;
  }
  return names.map((name) => {
    const bytes = byName.get(name);
    if (!bytes) throw new HttpError(400, `ERR AOF file ${name} listed in the manifest was not uploaded`);
    return { name, bytes: bytesToBinary(bytes) };
  });
}

/** An AofImportError as the admin API says it (the CLI's words). */
export function importProblem(e: AofImportError): string {
  if (e.kind === "command") return `ERR ${e.file}: ${e.reason}, at offset ${e.offset}`;
  if (e.kind === "rdb") return `ERR ${e.file} is damaged: its RDB part at offset ${e.offset}: ${e.reason}`;
  const hint = e.last ? "; truncate=yes restores up to its last whole record" : " (it is not the last file: nothing can be cut)";
  return `ERR ${e.file} is ${e.kind} at offset ${e.offset}: ${e.reason}${hint}`;
}

export interface SplitDatabase {
  /** Per shard: an RDB of its keys, how many, and the used_memory they will take there. */
  files: { rdb: Uint8Array; keys: number; used: number }[];
  expired: number;
}

/** Database 0 as one RDB per shard, by hash slot; keys expired at `now` are left out. */
export function splitKeyspace(ks: Keyspace | undefined, shards: number, now: number): SplitDatabase {
  const byShard: [string, number | undefined][][] = Array.from({ length: shards }, () => []);
  let expired = 0;
  for (const key of ks?.data.keys() ?? []) {
    const at = ks!.expires.get(key);
    if (at !== undefined && at <= now) {
      expired++;
      continue;
    }
    byShard[shardOfKey(key, shards)].push([key, at]);
  }
  const files = byShard.map((keys) => {
    const w = new RdbWriter({ compression: true, checksum: true });
    w.header({ ctimeSec: Math.floor(now / 1000), usedMem: 0, aofBase: false });
    if (keys.length > 0) w.selectDb(0, keys.length, keys.filter(([, at]) => at !== undefined).length);
    const chunks: Uint8Array[] = [];
    let used = 0;
    for (const [key, at] of keys) {
      const value = ks!.data.get(key)!;
      used += keyCost(key) + valueMemory(value) + (at === undefined ? 0 : EXPIRE_COST);
      w.writeKey(key, value, at);
      if (w.buffered > 1 << 20) chunks.push(w.takeChunk());
    }
    w.finish();
    chunks.push(w.takeChunk());
    const rdb = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      rdb.set(c, at);
      at += c.length;
    }
    return { rdb, keys: keys.length, used };
  });
  return { files, expired };
}

export interface AofRestoreResult {
  keys: number;
  shards: { shard: number; keys: number }[];
  leftOut: { otherDatabases: number; expired: number };
  cut: { file: string; offset: number; dropped: number; reason: string } | null;
}

/**
 * Replays the files, then replaces every shard with its keys (`restore(shard, rdb)` → keys taken).
 * Nothing is sent before the whole AOF has been replayed, so a refused file changes nothing.
 */
export async function restoreAof(
  files: AofImportFile[],
  /** `maxmemory`: each shard's (0: none); a shard whose part would pass it refuses the whole restore. */
  opts: { shards: number; truncate: boolean; now: number; maxmemory?: number[] },
  restore: (shard: number, rdb: Uint8Array) => Promise<{ keys: number }>,
): Promise<AofRestoreResult> {
  // The worker's isolate holds the whole replay: bounded as one shard's load is (restore --aof replays in Node, unbounded).
  const imp = new AofImport(opts.now, Math.max(0, ...(opts.maxmemory ?? [0])));
  let cut: AofRestoreResult["cut"];
  try {
    cut = imp.load(files, { truncate: opts.truncate }).cut;
  } catch (e) {
    if (e instanceof AofImportError) throw new HttpError(400, importProblem(e));
    throw e;
  }
  // Cut back to nothing, an upload would empty every shard: a file damaged from its first byte is
  // refused, as Redis refuses to load one (aof-load-truncated only keeps whole records that exist).
  if (cut && files.length === 1 && cut.offset === 0) {
    throw new HttpError(400, `ERR ${cut.file} has no whole record before its damage at offset 0 (${cut.reason}): nothing was restored`);
  }
  const dbs = imp.databases();
  let otherDatabases = 0;
  for (const [db, ks] of dbs) if (db !== 0) otherDatabases += ks.size;
  const split = splitKeyspace(dbs.get(0), opts.shards, opts.now);
  // Checked for every shard before any is replaced: a later shard's refusal would leave the earlier ones restored.
  for (let shard = 0; shard < opts.shards; shard++) {
    const max = opts.maxmemory?.[shard] ?? 0;
    if (max > 0 && split.files[shard].used > max) {
      throw new HttpError(413, `ERR the AOF's dataset exceeds maxmemory on shard ${shard}: its keys take ${split.files[shard].used} bytes of used_memory, maxmemory is ${max}; no shard was changed`);
    }
  }
  const shards: AofRestoreResult["shards"] = [];
  for (let shard = 0; shard < opts.shards; shard++) {
    try {
      const { keys } = await restore(shard, split.files[shard].rdb);
      shards.push({ shard, keys });
    } catch (e) {
      const state = shards.length ? `shards ${shards.map((s) => s.shard).join(", ")} were restored, the others were not` : "no shard was changed";
      throw new HttpError(409, `ERR restoring shard ${shard} failed: ${e instanceof Error ? e.message : e}; ${state}`);
    }
  }
  return { keys: shards.reduce((n, s) => n + s.keys, 0), shards, leftOut: { otherDatabases, expired: split.expired }, cut };
}
