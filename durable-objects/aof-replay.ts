// Replays AOF bytes (a base or the increment's segment rows) through the engine's dispatcher, as
// Redis's loadSingleAppendOnlyFile does: MULTI blocks run at EXEC, an unknown command or a format
// error stops the load, and a short read at the very end is a truncated tail. It is a generator
// that pauses every few thousand commands, so a large load can run in slices between requests.

import type { Engine } from "./engine/engine.js";
import { arityOk } from "./engine/command.js";
import { unknownCommand, wrongArity } from "./engine/errors.js";
import { AofError } from "./persistence/aof/format.js";
import { isErrorReply } from "./engine/reply.js";
import { type AofItem, type AofLoadResult, AofReader } from "./persistence/aof/loader.js";
import type { SegmentRow } from "./persistence/sqlite-aof-store.js";
import { bytesToBinary } from "./engine/bytes.js";

/** What a paused replay reports: bytes read so far. */
export interface ReplayProgress {
  bytes: number;
}

const COMMANDS_PER_STEP = 2000;

interface RowSpan {
  seq: number;
  start: number;
  end: number;
}

export function* replayAofSteps(engine: Engine, rows: Iterable<SegmentRow>): Generator<ReplayProgress, AofLoadResult> {
  const reader = new AofReader();
  const limit = engine.loadMemoryLimit();
  const spans: RowSpan[] = [];
  let total = 0;
  let commands = 0;
  let sinceYield = 0;

  const where = (offset: number): { seq: number; keep: number } => {
    for (const s of spans) if (offset <= s.end) return { seq: s.seq, keep: offset - s.start };
    const last = spans[spans.length - 1];
    return { seq: last?.seq ?? 0, keep: last ? last.end - last.start : 0 };
  };
  const result = (status: AofLoadResult["status"], validUpTo: number, error: AofError | null): AofLoadResult => ({
    status,
    size: total,
    validUpTo,
    commands,
    error,
    rdbPreamble: false,
    respOffset: 0,
    lastTimestamp: reader.lastTimestamp,
    lines: error?.line ?? reader.lines,
    ...(status === "TRUNCATED" ? { truncateAt: where(validUpTo) } : {}),
  });
  const failed = (error: AofError): AofLoadResult => result("FAILED", reader.validUpTo, error);

  // One row of lookahead: a bad checksum is a torn tail only on the last row.
  const it = rows[Symbol.iterator]();
  let next = it.next();
  while (!next.done) {
    const row = next.value;
    next = it.next();
    if (!row.valid) {
      const bad = new AofError("AOF_BAD_CHECKSUM", `bad checksum in segment ${row.seq}`, total);
      return next.done ? result("TRUNCATED", reader.validUpTo, bad) : failed(bad);
    }
    spans.push({ seq: row.seq, start: total, end: total + row.data.length });
    total += row.data.length;
    reader.push(bytesToBinary(row.data));
    for (;;) {
      let item: AofItem | null;
      try {
        item = reader.next();
      } catch (e) {
        if (e instanceof AofError) return failed(e);
        throw e;
      }
      if (item === null) break;
      if (item.kind === "annotation") continue;
      const batch = item.kind === "transaction" ? item.commands : [item.argv];
      for (const argv of batch) {
        if (argv[0].toLowerCase() === "select") {
          if (argv[1] !== "0") return failed(new AofError("AOF_BAD_SELECT", `SELECT ${argv[1]}: only database 0 exists`, item.start));
          continue;
        }
        const err = replayOne(engine, argv, item.start, limit);
        if (err) return failed(err);
        commands++;
      }
      if ((sinceYield += batch.length) >= COMMANDS_PER_STEP) {
        sinceYield = 0;
        yield { bytes: reader.offset };
      }
    }
  }
  const cut = reader.finish();
  if (cut) return result("TRUNCATED", reader.validUpTo, cut);
  return result(total === 0 ? "EMPTY" : "OK", total, null);
}

/** Runs a replay to the end in one go. */
export function replayAof(engine: Engine, rows: Iterable<SegmentRow>): AofLoadResult {
  const steps = replayAofSteps(engine, rows);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * Runs a logged command. An unknown command or a wrong arity is fatal, as in Redis: it says so
 * (AOF_UNKNOWN_COMMAND at `offset`) instead of running. So is a dataset growing past the engine's load
 * limit (ours): AOF_OVER_MAXMEMORY stops the load, naming maxmemory, before the isolate runs out of
 * memory and restarts into the same load. Other error replies are the command's own.
 */
export function replayOne(engine: Engine, argv: string[], offset: number, limit = engine.loadMemoryLimit()): AofError | null {
  const spec = engine.lookup(argv[0]);
  const refused = !spec ? unknownCommand(argv[0], argv.slice(1)) : arityOk(spec, argv.length) ? null : wrongArity(argv[0]);
  if (refused) return new AofError("AOF_UNKNOWN_COMMAND", `Unknown command '${argv[0]}' reading the append only file (${refused.message})`, offset);
  const reply = engine.replay(argv);
  if (limit > 0 && (engine.db.usedMemory > limit || (isErrorReply(reply) && reply.error === engine.overLoadLimit()))) {
    return new AofError("AOF_OVER_MAXMEMORY", engine.overLoadLimit().replace(/^ERR /, ""), offset);
  }
  return null;
}
