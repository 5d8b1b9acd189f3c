// Importing a Redis AOF (restore --aof, POST /admin/restore-aof): its files replayed as redis-server
// loads them (an RDB preamble or .rdb base, then RESP, SELECT switching databases) into one keyspace
// per database. A truncated or damaged file is an AofImportError with its name and offset, unless
// `truncate` lets the last file be cut back to its whole records (aof-load-truncated, or
// redis-check-aof --fix). Pure: the CLI reads the files from disk, the worker from the request.

import { Engine } from "./engine/engine.js";
import type { Keyspace } from "./engine/keyspace.js";
import { replayOne } from "./aof-replay.js";
import { AofError, isTruncation } from "./persistence/aof/format.js";
import { type AofItem, hasRdbPreamble, loadAof } from "./persistence/aof/loader.js";
import { loadOrder, parseManifest } from "./persistence/aof/manifest.js";
import { RdbError } from "./persistence/rdb-codec/errors.js";
import { binaryToBytes } from "./engine/bytes.js";
import { decodeRdb } from "./persistence/rdb-codec/index.js";

/** One file of the AOF: its name (the manifest's) and its bytes as a byte string. */
export interface AofImportFile {
  name: string;
  bytes: string;
}

/**
 * Why an import was refused: `truncated` (a short tail), `damaged` (bad bytes), `rdb` (a bad RDB
 * preamble or base), `command` (a command that cannot run: never cut away); `last` says whether
 * the file is the last one (only the last may be cut).
 */
export class AofImportError extends Error {
  constructor(
    readonly kind: "truncated" | "damaged" | "rdb" | "command",
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
    readonly last: boolean,
  ) {
    super(`${file}: ${reason} at offset ${offset}`);
  }
}

export interface AofImportResult {
  commands: number;
  /** With `truncate`: where the last file was cut, and the bytes left out. */
  cut: { file: string; offset: number; dropped: number; reason: string } | null;
}

/** The file names a manifest lists, in load order (base, then increments); AofError if it is bad. */
export function manifestFiles(manifestText: string): string[] {
  return loadOrder(parseManifest(manifestText)).map((f) => f.name);
}

/** One engine per database, each replaying what was logged while it was SELECTed. */
export class AofImport {
  private readonly engines = new Map<number, Engine>();
  private selected = 0;
  private commands = 0;

  /**
   * `now`: the engines' clock (a replay does not expire keys; callers drop the expired ones).
   * `maxmemory`: each database's (0: none, in Node); a replay past its load limit stops with an error
   * naming it (in a worker, whose isolate holds the whole import).
   */
  constructor(
    private readonly now: number,
    private readonly maxmemory = 0,
  ) {}

  /** The databases loaded, by number (only those that ever held a key). */
  databases(): Map<number, Keyspace> {
    return new Map([...this.engines].filter(([, e]) => e.db.size > 0).map(([db, e]) => [db, e.db]));
  }

  private engine(db: number): Engine {
    let e = this.engines.get(db);
    if (!e) {
      e = new Engine({ clock: () => this.now, config: { maxmemory: String(this.maxmemory) } });
      e.db.loading = true;
      this.engines.set(db, e);
    }
    return e;
  }

  /** Loads the files in order; throws AofImportError for what it refuses. */
  load(files: AofImportFile[], opts: { truncate: boolean }): AofImportResult {
    let cut: AofImportResult["cut"] = null;
    files.forEach((file, i) => {
      const last = i === files.length - 1;
      const c = this.loadFile(file, last, opts.truncate);
      if (c) cut = c;
    });
    return { commands: this.commands, cut };
  }

  private loadFile(file: AofImportFile, last: boolean, truncate: boolean): AofImportResult["cut"] {
    const { bytes } = file;
    let start = 0;
    if (hasRdbPreamble(bytes)) {
      try {
        start = this.loadRdb(bytes);
      } catch (e) {
        if (e instanceof RdbError) throw new AofImportError("rdb", file.name, e.offset, e.reason, last);
        throw e;
      }
    }
    // Each file starts in database 0, as Redis's loader does.
    this.selected = 0;
    const r = loadAof(bytes, {
      startOffset: start,
      loadTruncated: true,
      onItem: (item: AofItem) => {
        if (item.kind === "command") this.replay(item.argv, item.start);
        else if (item.kind === "transaction") for (const argv of item.commands) this.replay(argv, item.start);
      },
    });
    if (r.status === "OK" || r.status === "EMPTY") return null;
    const error = r.error!;
    // A command that cannot run (replay() stopped the load with it) is never cut away.
    if (error.code === "AOF_UNKNOWN_COMMAND" || error.code === "AOF_BAD_SELECT" || error.code === "AOF_OVER_MAXMEMORY") throw new AofImportError("command", file.name, error.offset, error.reason, last);
    const truncated = isTruncation(error);
    if (!truncate || !last) throw new AofImportError(truncated ? "truncated" : "damaged", file.name, truncated ? r.validUpTo : error.offset, error.reason, last);
    // Only the records before validUpTo were replayed: an unfinished transaction never reached EXEC.
    return { file: file.name, offset: r.validUpTo, dropped: bytes.length - r.validUpTo, reason: error.reason };
  }

  /** Runs one logged command; an unknown command (or wrong arity) stops the load, as in Redis. */
  private replay(argv: string[], offset: number): void {
    if (argv[0].toLowerCase() === "select") {
      if (!/^\d{1,5}$/.test(argv[1] ?? "")) throw new AofError("AOF_BAD_SELECT", `invalid SELECT '${argv[1]}'`, offset);
      this.selected = Number(argv[1]);
      return;
    }
    const refused = replayOne(this.engine(this.selected), argv, offset);
    if (refused) throw refused;
    this.commands++;
  }

  /** The RDB preamble (or .rdb base) at the start of `bytes`: its keys, and where it ends. */
  private loadRdb(bytes: string): number {
    const r = decodeRdb(
      binaryToBytes(bytes),
      (db, key, value, expireAt, access) => {
        if (!this.engine(db).db.load(key, value, expireAt, access)) throw new RdbError("RDB_DUPLICATE", `duplicated key '${key}'`, 0);
      },
      { checksum: true },
    );
    if (r.end < 0) throw new RdbError("RDB_TRUNCATED", "unexpected end of the RDB part", bytes.length);
    return r.end;
  }
}
