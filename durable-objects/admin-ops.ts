// What the admin API asks of one shard: status and health, the manifest in Redis 7's form, the AOF
// as one file, and restoring the dataset from an RDB upload. Glue over the AOF and snapshot managers.

import type { AofManager, RdbBase } from "./aof-manager.js";
import { replayAof } from "./aof-replay.js";
import { Engine } from "./engine/engine.js";
import { createLuaVm } from "./engine/lua/vm.js";
import { rewriteKey } from "./persistence/aof/rewrite.js";
import { encodeCommand } from "./persistence/resp.js";
import { loadRdbStream, streamSource } from "./persistence/rdb-stream-load.js";
import { loadRdbBase } from "./recovery.js";
import { MAX_ROW_BYTES } from "./persistence/sqlite-aof-store.js";
import type { SnapshotManager } from "./snapshot-manager.js";
import { Keyspace } from "./engine/keyspace.js";
import type { BackgroundJobs } from "./background-jobs.js";
import { BGREWRITEAOF_TEXT, BGSAVE_TEXT } from "./engine/commands/server.js";
import { loading as loadingError } from "./engine/errors.js";

export interface ShardStatus {
  info: string;
  fields: Record<string, string | number>;
  health: { failing: string[] };
}

/** Parses INFO text into name → value (numbers as numbers). */
function infoFields(info: string): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const line of info.split("\r\n")) {
    const i = line.indexOf(":");
    if (i <= 0 || line.startsWith("#")) continue;
    const v = line.slice(i + 1);
    out[line.slice(0, i)] = /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
  }
  return out;
}

export class ShardAdmin {
  constructor(
    private readonly engine: Engine,
    private readonly aof: AofManager,
    private readonly snapshots: SnapshotManager,
    private readonly state: () => { loading: boolean; loadError: string | null },
    private readonly lifecycle: {
      jobs: BackgroundJobs;
      /** A restore replaced the dataset of a shard that could not load: it serves again. */
      mended(): void;
    },
  ) {}

  // A job already running or scheduled is a result, not a refusal: callers wait it out (scripts/cli/snapshots.ts).
  bgsave(): { result: string } | { error: string } {
    return this.notServing() ?? { result: BGSAVE_TEXT[this.lifecycle.jobs.bgsave(true)] };
  }
  bgrewriteaof(): { result: string } | { error: string } {
    const refused = this.notServing();
    if (refused) return refused;
    const outcome = this.lifecycle.jobs.bgrewriteaof();
    // A rewrite that cannot start (the log cannot write its buffer) is Redis's error.
    return outcome === "failed" ? { error: `ERR ${BGREWRITEAOF_TEXT.failed}` } : { result: BGREWRITEAOF_TEXT[outcome] };
  }

  /**
   * Why the shard cannot save or rewrite now: while it loads, or when it could not load, a snapshot
   * or a new base would hold a partial dataset, and a rewrite would drop the log it was cut from.
   */
  private notServing(): { error: string } | null {
    const { loading, loadError } = this.state();
    if (loading) return { error: loadingError().message };
    if (loadError) return { error: loadError };
    return null;
  }

  /**
   * A restore replaces the dataset, so it is also how a shard that could not load its log is mended:
   * the restored dataset replaces that log, and the shard serves again. Not while loading. Without
   * an AOF nothing logs the restored dataset, so a snapshot of it starts at once.
   */
  async restoring<T>(restore: (replaceLog: boolean) => Promise<T>): Promise<T> {
    const { loading, loadError: broken } = this.state();
    if (loading) throw new Error(loadingError().message);
    const out = await restore(broken !== null);
    if (!this.aof.enabled) this.lifecycle.jobs.bgsave(true);
    if (broken !== null) {
      console.log(`restored over a log that could not be loaded (${broken}): serving again`);
      this.lifecycle.mended();
    }
    return out;
  }

  status(): ShardStatus {
    const info = this.engine.execute(["INFO", "persistence", "memory"]) as string;
    const fields = infoFields(info);
    return { info, fields, health: { failing: this.failingChecks(fields) } };
  }

  /** The alert rules, from configuration (health-* parameters). */
  private failingChecks(f: Record<string, string | number>): string[] {
    const failing: string[] = [];
    const cfg = this.engine.config;
    const { loading, loadError } = this.state();
    if (loadError) failing.push(`not serving: ${loadError}`);
    if (loading) failing.push("loading the dataset");
    if (f.rdb_last_bgsave_status === "err") failing.push("the last snapshot failed");
    if (f.aof_last_write_status === "err") failing.push(`AOF writes are failing: ${this.aof.lastWriteError}`);
    if (this.aof.rewriteFailures >= cfg.getNumber("health-rewrite-failures")) {
      failing.push(`AOF rewrite failed ${this.aof.rewriteFailures} times in a row`);
    }
    const maxAge = cfg.getNumber("health-snapshot-max-age");
    if (maxAge > 0 && this.snapshots.r2 && this.engine.dirty > 0 && this.engine.clock() - this.snapshots.lastSaveMs > maxAge * 1000) {
      failing.push(`no snapshot in the last ${maxAge} s while there are ${this.engine.dirty} changes`);
    }
    const maxmemory = cfg.getNumber("maxmemory");
    const pct = cfg.getNumber("health-memory-percent");
    if (maxmemory > 0 && this.engine.db.usedMemory > (maxmemory * pct) / 100) {
      failing.push(`used memory ${this.engine.db.usedMemory} is over ${pct}% of maxmemory`);
    }
    return failing;
  }

  /** The manifest: ours, and in the form of Redis 7's appendonly.aof.manifest. */
  manifest(): { base: unknown; history: unknown[]; increment: { firstSeq: number; lastSeq: number }; snapshots: unknown[]; redis: string } {
    const base = this.aof.manifest.base;
    const lastSeq = this.aof.lastSeq();
    const stem = this.engine.config.get("appendfilename");
    const lines: string[] = [];
    if (base.kind !== "none") lines.push(`file ${stem}.${base.seq}.base.${base.kind === "rdb" ? "rdb" : "aof"} seq ${base.seq} type b`);
    lines.push(`file ${stem}.${base.seq + 1}.incr.aof seq ${base.seq + 1} type i`);
    return {
      base,
      // Earlier bases kept for a fallback (aof-retain-bases); Redis's manifest has no such entries.
      history: this.aof.manifest.history ?? [],
      increment: { firstSeq: base.seq + 1, lastSeq },
      snapshots: this.snapshots.snapshots,
      redis: lines.join("\n") + "\n",
    };
  }

  /**
   * The log as one Redis-loadable file: the base (an RDB preamble streamed from R2, or RESP rows),
   * then the increment, as a pre-7 single appendonly.aof with aof-use-rdb-preamble. redis-check-aof
   * checks it and redis-server 7 loads it (upgrading it to an appendonlydir). It is streamed a few
   * rows at a time, so a large log never sits in the shard's memory; it is the log as of the call,
   * and fails (rather than skip anything) if a rewrite replaces the base or drops rows meanwhile.
   */
  aofStream(): ReadableStream<Uint8Array> {
    this.aof.flushOrThrow();
    const manifest = this.aof.manifest;
    const base = manifest.base;
    const lastSeq = this.aof.lastSeq();
    const r2 = this.snapshots.r2;
    const aof = this.aof;
    let rdb: ReadableStreamDefaultReader<Uint8Array> | null = null;
    let phase: "rdb" | "aof-base" | "rows" = base.kind === "rdb" ? "rdb" : base.kind === "aof" ? "aof-base" : "rows";
    let part = 1;
    let afterSeq = base.seq;
    const changed = () => new Error("a rewrite changed the log during the download; download it again");
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (phase === "rdb" && base.kind === "rdb") {
          if (!rdb) {
            const obj = r2 ? await r2.object(base.key) : null;
            if (!obj) return controller.error(new Error(`the AOF base ${base.key} is missing from R2`));
            rdb = obj.body.getReader();
          }
          const { done, value } = await rdb.read();
          if (!done) return controller.enqueue(value);
          phase = "rows";
        }
        if (phase === "aof-base") {
          if (aof.manifest !== manifest) return controller.error(changed());
          const data = aof.basePart(part++);
          if (data) return controller.enqueue(data);
          phase = "rows";
        }
        const rows = afterSeq < lastSeq ? aof.rowsBetween(afterSeq, lastSeq, 16) : [];
        if (rows.length === 0 && afterSeq < lastSeq) return controller.error(changed());
        for (const row of rows) {
          if (row.seq !== afterSeq + 1) return controller.error(changed());
          controller.enqueue(row.data);
          afterSeq = row.seq;
        }
        if (afterSeq >= lastSeq) controller.close();
      },
      async cancel() {
        await rdb?.cancel();
      },
    });
  }

  /**
   * Replaces the dataset with an RDB file, streamed in (the shard never holds the file). It is
   * decoded fully into a staged keyspace before anything changes; the new dataset is then logged as
   * FLUSHALL plus its rewrite commands in one turn, so it is durable before this returns (and a
   * later rewrite compacts it).
   */
  async restore(rdb: ReadableStream<Uint8Array>, replaceLog = false): Promise<{ keys: number }> {
    const staged = new Keyspace(this.engine.clock);
    // A file whose dataset would not fit under maxmemory is refused as it passes it, before anything is replaced.
    const { functions } = await loadRdbStream(streamSource(rdb), staged, { now: this.engine.clock(), checksum: true, maxMemory: this.maxMemory() });
    return this.install(staged, replaceLog, functions);
  }

  /** maxmemory as a restore's bound; undefined when there is none (maxmemory 0). */
  private maxMemory(): number | undefined {
    const max = this.engine.config.getNumber("maxmemory");
    return max > 0 ? max : undefined;
  }

  /**
   * Point-in-time restore: the dataset as it was at the end of second `time` (Unix seconds), from the
   * newest base kept in R2 cut by then (the current one or an earlier one, see aof-retain-bases) and
   * the log rows written after it up to that moment. Logged and installed as restore() does.
   */
  async restoreToTime(time: number, replaceLog = false): Promise<{ keys: number; base: string; rows: number }> {
    const untilMs = (time + 1) * 1000;
    const r2 = this.snapshots.r2;
    if (!r2) throw new Error("point-in-time restore needs the R2 bucket (SNAPSHOTS)");
    const bases = this.aof.baseCandidates().filter((b): b is RdbBase => b.kind === "rdb");
    if (bases.length === 0) throw new Error("no RDB base is kept (aof-use-rdb-preamble yes and a rewrite make one)");
    const usable = bases.filter((b) => b.createdMs < untilMs);
    if (usable.length === 0) {
      const oldest = bases[bases.length - 1];
      throw new Error(`${time} is before the oldest base kept, cut at ${Math.floor(oldest.createdMs / 1000)} (aof-retain-bases keeps more)`);
    }
    const problems: string[] = [];
    for (const base of usable) {
      const rows = this.aof.rowsUntil(base.seq, untilMs);
      if (!rows) {
        problems.push(`the log after ${base.key} is no longer kept`);
        continue;
      }
      const staged = new Engine({ clock: this.engine.clock, config: this.engine.config.all(), createLuaVm });
      const loaded = await loadRdbBase(r2, base, staged.db);
      if ("problem" in loaded) {
        problems.push(loaded.problem);
        continue;
      }
      staged.scripting.replaceLibraries(loaded.functions);
      staged.db.loading = true;
      let count = 0;
      const counted = (function* () {
        for (const row of rows) {
          count++;
          yield row;
        }
      })();
      const replay = replayAof(staged, counted);
      if (replay.error) throw new Error(`the log after ${base.key} does not replay: ${replay.error.reason} at offset ${replay.status === "TRUNCATED" ? replay.validUpTo : replay.error.offset}`);
      staged.db.loading = false;
      // Keys that have expired since that moment are gone now, as they would be in the live dataset.
      const now = this.engine.clock();
      for (const [key, at] of [...staged.db.expires]) if (at <= now) staged.db.delete(key);
      const max = this.maxMemory();
      if (max !== undefined && staged.db.usedMemory > max) {
        throw new Error(`the dataset at ${time} exceeds maxmemory (${max} bytes): ${staged.db.usedMemory} bytes of used_memory; nothing was replaced`);
      }
      return { ...this.install(staged.db, replaceLog, staged.scripting.libraryCodes()), base: base.key, rows: count };
    }
    throw new Error(`no base kept can be used: ${problems.join("; ")}`);
  }

  /**
   * Replaces the live dataset with a staged one, logging FLUSHALL and its rewrite commands. With
   * `replaceLog` (a shard that could not load its log) the old log goes first, in the same turn: the
   * restored dataset is then the whole log, and a crash before the turn ends keeps the old one.
   */
  private install(staged: Keyspace, replaceLog: boolean, functions: string[]): { keys: number } {
    const db = this.engine.db;
    if (replaceLog && this.aof.enabled) this.aof.resetLog();
    db.clear();
    // Written a megabyte at a time, all in this turn: the rows commit together (the log never holds
    // the FLUSHALL without the whole dataset after it), and the records never sit in memory at once.
    let records = encodeCommand(["FLUSHALL"]);
    // The file's function libraries replace the current ones, as loading it into Redis would.
    if (functions.length > 0 || this.engine.scripting.libraries.size > 0) {
      for (const problem of this.engine.scripting.replaceLibraries(functions)) console.error(`a restored function library did not load: ${problem}`);
      records += encodeCommand(["FUNCTION", "FLUSH"]);
      for (const code of this.engine.scripting.libraryCodes()) records += encodeCommand(["FUNCTION", "LOAD", code]);
    }
    for (const [key, value] of staged.data) {
      const at = staged.expires.get(key);
      db.set(key, value);
      if (at !== undefined) db.setExpire(key, at);
      records += rewriteKey(key, value, at);
      if (records.length >= MAX_ROW_BYTES) {
        this.aof.appendEncoded(records);
        this.aof.flushOrThrow();
        records = "";
      }
    }
    this.engine.dirty += staged.size + 1;
    this.engine.writes++;
    if (records) this.aof.appendEncoded(records);
    this.aof.flushOrThrow();
    return { keys: staged.size };
  }
}
