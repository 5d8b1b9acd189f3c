// `restore --aof`: a Redis AOF (an appendonlydir or its manifest: base .rdb or .aof, then the
// increments; or one old-style file, with or without an RDB preamble) replayed in Node, as
// redis-server would load it, into one keyspace per database; written out as one RDB file, which
// restore --rdb then splits by hash slot. A truncated or damaged file is refused with its name and
// offset, unless `truncate` lets the last file be cut back to its whole records (as
// aof-load-truncated and redis-check-aof --fix would).

import { closeSync, openSync, readFileSync, readdirSync, statSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { Engine } from "../../durable-objects/engine/engine.js";
import { binaryToBytes, bytesToBinary } from "../../durable-objects/engine/bytes.js";
import { isErrorReply } from "../../durable-objects/engine/reply.js";
import { AofError, isTruncation } from "../../durable-objects/persistence/aof/format.js";
import { type AofItem, hasRdbPreamble, loadAof } from "../../durable-objects/persistence/aof/loader.js";
import { loadOrder, parseManifest } from "../../durable-objects/persistence/aof/manifest.js";
import { RdbError } from "../../durable-objects/persistence/rdb-codec/errors.js";
import { RdbWriter, decodeRdb } from "../../durable-objects/persistence/rdb-codec/index.js";
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

/** A command the load cannot run (unknown, wrong arity, a bad SELECT): never cut away, always refused. */
class ReplayError extends Error {
  constructor(
    readonly reason: string,
    readonly offset: number,
  ) {
    super(reason);
  }
}

/** One engine per database, each replaying what was logged while it was SELECTed. */
class Databases {
  private readonly engines = new Map<number, Engine>();
  selected = 0;
  commands = 0;

  constructor(private readonly now: number) {}

  engine(db: number): Engine {
    let e = this.engines.get(db);
    if (!e) {
      e = new Engine({ clock: () => this.now });
      e.db.loading = true;
      this.engines.set(db, e);
    }
    return e;
  }

  /** Runs one logged command; an unknown command (or wrong arity) stops the load, as in Redis. */
  replay(argv: string[], offset: number): void {
    if (argv[0].toLowerCase() === "select") {
      const db = Number(argv[1]);
      if (!/^\d+$/.test(argv[1] ?? "") || db > 0xffff) throw new ReplayError(`invalid SELECT '${argv[1]}'`, offset);
      this.selected = db;
      return;
    }
    const reply = this.engine(this.selected).replay(argv);
    if (isErrorReply(reply) && (reply.error.startsWith("ERR unknown command") || reply.error.startsWith("ERR wrong number"))) {
      throw new ReplayError(`Unknown command '${argv[0]}' reading the append only file (${reply.error})`, offset);
    }
    this.commands++;
  }

  /** The RDB preamble (or .rdb base) at the start of `bytes`: its keys, and where it ends. */
  loadRdb(bytes: string): number {
    const r = decodeRdb(binaryToBytes(bytes), (db, key, value, expireAt, access) => {
      if (!this.engine(db).db.load(key, value, expireAt, access)) throw new RdbError("RDB_DUPLICATE", `duplicated key '${key}'`, 0);
    }, { checksum: true });
    if (r.end < 0) throw new RdbError("RDB_TRUNCATED", "unexpected end of the RDB preamble", bytes.length);
    return r.end;
  }

  /** Writes every database, with its expiries, as one RDB file. */
  writeRdb(path: string, now: number): Map<number, number> {
    const keysByDb = new Map<number, number>();
    const w = new RdbWriter({ compression: true, checksum: true });
    w.header({ ctimeSec: Math.floor(now / 1000), usedMem: 0, aofBase: false });
    const fd = openSync(path, "w");
    try {
      for (const db of [...this.engines.keys()].sort((a, b) => a - b)) {
        const ks = this.engine(db).db;
        if (ks.size === 0) continue;
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
}

/**
 * Replays the AOF at `target` and writes its dataset to `rdbPath`. `now` is the load's time (keys
 * expired by then are left out later, by the split). `truncate`: a truncated or damaged last file
 * is cut back to its last whole record instead of refused.
 */
export function aofToRdb(target: string, opts: { truncate: boolean; now: number }, rdbPath: string): AofToRdbResult {
  const files = aofFiles(target);
  const dbs = new Databases(opts.now);
  let cut: AofToRdbResult["cut"] = null;
  files.forEach((file, i) => {
    const last = i === files.length - 1;
    const bytes = read(file);
    let start = 0;
    if (hasRdbPreamble(bytes)) {
      try {
        start = dbs.loadRdb(bytes);
      } catch (e) {
        const offset = e instanceof RdbError ? e.offset : 0;
        throw new CliError(`${file.name} is damaged: its RDB part at offset ${offset}: ${e instanceof RdbError ? e.reason : e} (see 'durable-redis check-aof ${target}')`);
      }
    }
    // Each file starts in database 0, as Redis's loader does.
    dbs.selected = 0;
    let r;
    try {
      r = loadAof(bytes, {
        startOffset: start,
        loadTruncated: true,
        onItem: (item: AofItem) => {
          if (item.kind === "command") dbs.replay(item.argv, item.start);
          else if (item.kind === "transaction") for (const argv of item.commands) dbs.replay(argv, item.start);
        },
      });
    } catch (e) {
      if (e instanceof ReplayError) throw new CliError(`${file.name}: ${e.reason}, at offset ${e.offset}`);
      throw e;
    }
    if (r.status === "OK" || r.status === "EMPTY") return;
    const error = r.error!;
    const what = isTruncation(error) ? "is truncated" : "is damaged";
    const offset = isTruncation(error) ? r.validUpTo : error.offset;
    if (!opts.truncate || !last) {
      const hint = !last ? " (it is not the last file: nothing can be cut)" : "; --truncate restores up to its last whole record";
      throw new CliError(`${file.name} ${what} at offset ${offset}: ${error.reason}${hint}`);
    }
    // Only the records before validUpTo were replayed: an unfinished transaction never reached EXEC.
    cut = { file: file.name, offset: r.validUpTo, dropped: bytes.length - r.validUpTo, reason: error.reason };
  });
  const keysByDb = dbs.writeRdb(rdbPath, opts.now);
  return { files, commands: dbs.commands, keysByDb, cut };
}
