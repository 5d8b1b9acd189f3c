// `restore --aof`: a Redis AOF (an appendonlydir or its manifest: base .rdb or .aof, then the
// increments; or one old-style file, with or without an RDB preamble) read from disk and replayed
// in Node by durable-objects/aof-import.ts, one keyspace per database; written out as one RDB file,
// which restore --rdb then splits by hash slot.

import { closeSync, openSync, readFileSync, readdirSync, statSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { AofImport, AofImportError } from "../../durable-objects/aof-import.js";
import { bytesToBinary } from "../../durable-objects/engine/bytes.js";
import type { Keyspace } from "../../durable-objects/engine/keyspace.js";
import { AofError } from "../../durable-objects/persistence/aof/format.js";
import { loadOrder, parseManifest } from "../../durable-objects/persistence/aof/manifest.js";
import { RdbWriter } from "../../durable-objects/persistence/rdb-codec/index.js";
import { CliError } from "./args.js";
import { isManifest } from "./check-aof.js";

export interface AofFile {
  /** The name in messages: the manifest's name for the file, or the path given. */
  name: string;
  path: string;
}

export interface AofToRdbResult {
  /** The files read, in load order. */
  files: AofFile[];
  /** Commands replayed (a transaction's each), and keys per database at the end. */
  commands: number;
  keysByDb: Map<number, number>;
  /** With `truncate`: where the last file was cut, and the bytes left out. */
  cut: { file: string; offset: number; dropped: number; reason: string } | null;
}

function read(file: AofFile): string {
  try {
    return bytesToBinary(readFileSync(file.path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`cannot read ${file.name}: ${code === "ENOENT" ? "no such file" : (e as Error).message}`);
  }
}

/** The files to load, in order: a directory's (or a manifest's) listed files, or the one file. */
export function aofFiles(target: string): AofFile[] {
  let manifestPath = target;
  try {
    if (statSync(target).isDirectory()) {
      const manifests = readdirSync(target).filter((n) => n.endsWith(".manifest"));
      if (manifests.length !== 1) {
        throw new CliError(manifests.length === 0 ? `no AOF manifest in directory ${target}` : `more than one AOF manifest in directory ${target}: ${manifests.join(", ")}`);
      }
      manifestPath = join(target, manifests[0]);
    }
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`cannot read ${target}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or directory" : (e as Error).message}`);
  }
  const text = read({ name: manifestPath, path: manifestPath });
  if (!isManifest(text)) return [{ name: target, path: target }];
  try {
    return loadOrder(parseManifest(text)).map((f) => ({ name: f.name, path: join(dirname(manifestPath), f.name) }));
  } catch (e) {
    if (e instanceof AofError) throw new CliError(`${manifestPath}: ${e.reason}`);
    throw e;
  }
}

/** Writes every database, with its expiries, as one RDB file; returns the keys per database. */
function writeRdb(dbs: Map<number, Keyspace>, path: string, now: number): Map<number, number> {
  const keysByDb = new Map<number, number>();
  const w = new RdbWriter({ compression: true, checksum: true });
  w.header({ ctimeSec: Math.floor(now / 1000), usedMem: 0, aofBase: false });
  const fd = openSync(path, "w");
  try {
    for (const [db, ks] of [...dbs].sort((a, b) => a[0] - b[0])) {
      keysByDb.set(db, ks.size);
      w.selectDb(db, ks.size, ks.expires.size);
      for (const [key, value] of ks.data) {
        w.writeKey(key, value, ks.expires.get(key));
        if (w.buffered > 1 << 20) writeSync(fd, w.takeChunk());
      }
    }
    w.finish();
    writeSync(fd, w.takeChunk());
  } finally {
    closeSync(fd);
  }
  return keysByDb;
}

/** An import's refusal in the CLI's words. */
function refusal(e: AofImportError, target: string): CliError {
  if (e.kind === "command") return new CliError(`${e.file}: ${e.reason}, at offset ${e.offset}`);
  if (e.kind === "rdb") return new CliError(`${e.file} is damaged: its RDB part at offset ${e.offset}: ${e.reason} (see 'durable-redis check-aof ${target}')`);
  const hint = e.last ? "; --truncate restores up to its last whole record" : " (it is not the last file: nothing can be cut)";
  return new CliError(`${e.file} is ${e.kind} at offset ${e.offset}: ${e.reason}${hint}`);
}

/**
 * Replays the AOF at `target` and writes its dataset to `rdbPath`. `now` is the load's time (keys
 * expired by then are left out later, by the split). `truncate`: a truncated or damaged last file
 * is cut back to its last whole record instead of refused.
 */
export function aofToRdb(target: string, opts: { truncate: boolean; now: number }, rdbPath: string): AofToRdbResult {
  const files = aofFiles(target);
  const imp = new AofImport(opts.now);
  let result;
  try {
    result = imp.load(
      files.map((f) => ({ name: f.name, bytes: read(f) })),
      { truncate: opts.truncate },
    );
  } catch (e) {
    if (e instanceof AofImportError) throw refusal(e, target);
    throw e;
  }
  const keysByDb = writeRdb(imp.databases(), rdbPath, opts.now);
  return { files, commands: result.commands, keysByDb, cut: result.cut };
}
