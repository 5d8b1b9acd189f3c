// Replays AOF bytes (a base or the increment's segment rows) through the engine's dispatcher, as
// Redis's loadSingleAppendOnlyFile does: MULTI blocks run at EXEC, an unknown command or a format
// error stops the load, and a short read at the very end is a truncated tail. It is a generator
// that pauses every few thousand commands, so a large load can run in slices between requests.

import type { Engine } from "./engine/engine.js";
import { isErrorReply } from "./engine/reply.js";
import { AofError } from "./persistence/aof/format.js";
import { type AofItem, AofReader } from "./persistence/aof/loader.js";
import type { SegmentRow } from "./persistence/sqlite-aof-store.js";
import { bytesToBinary } from "./engine/bytes.js";

export type AofLoadStatus = "OK" | "EMPTY" | "TRUNCATED" | "FAILED";

export interface AofReplayResult {
  status: AofLoadStatus;
  /** Byte offset in the concatenated log: the end of the last whole record, or where it failed. */
  offset: number;
  error?: string;
  /** Where to cut the stored log to keep exactly the whole records (row and bytes kept in it). */
  truncateAt?: { seq: number; keep: number };
  commands: number;
}

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

export function* replayAofSteps(engine: Engine, rows: Iterable<SegmentRow>): Generator<ReplayProgress, AofReplayResult> {
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
  const failed = (offset: number, error: string): AofReplayResult => ({ status: "FAILED", offset, error, commands });
  const truncated = (error?: string): AofReplayResult => ({
    status: "TRUNCATED",
    offset: reader.validUpTo,
    error,
    truncateAt: where(reader.validUpTo),
    commands,
  });

  // One row of lookahead: a bad checksum is a torn tail only on the last row.
  const it = rows[Symbol.iterator]();
  let next = it.next();
  while (!next.done) {
    const row = next.value;
    next = it.next();
    if (!row.valid) {
      if (next.done) return truncated(`bad checksum in segment ${row.seq}`);
      return failed(total, `bad checksum in segment ${row.seq}`);
    }
    spans.push({ seq: row.seq, start: total, end: total + row.data.length });
    total += row.data.length;
    reader.push(bytesToBinary(row.data));
    for (;;) {
      let item: AofItem | null;
      try {
        item = reader.next();
      } catch (e) {
        if (e instanceof AofError) return failed(e.offset, e.reason);
        throw e;
      }
      if (item === null) break;
      if (item.kind === "annotation") continue;
      const batch = item.kind === "transaction" ? item.commands : [item.argv];
      for (const argv of batch) {
        if (argv[0].toLowerCase() === "select") {
          if (argv[1] !== "0") return failed(item.start, `SELECT ${argv[1]}: only database 0 exists`);
          continue;
        }
        const err = runOne(engine, argv, limit);
        if (err) return failed(item.start, err);
        commands++;
      }
      if ((sinceYield += batch.length) >= COMMANDS_PER_STEP) {
        sinceYield = 0;
        yield { bytes: reader.offset };
      }
    }
  }
  const cut = reader.finish();
  if (cut) return truncated(cut.reason);
  return { status: total === 0 ? "EMPTY" : "OK", offset: total, commands };
}

/** Runs a replay to the end in one go. */
export function replayAof(engine: Engine, rows: Iterable<SegmentRow>): AofReplayResult {
  const steps = replayAofSteps(engine, rows);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * Runs a logged command; an unknown command or wrong arity is fatal, as in Redis. So is a dataset
 * growing past the engine's load limit (ours): the load stops, naming maxmemory, before the isolate
 * runs out of memory and restarts into the same load.
 */
function runOne(engine: Engine, argv: string[], limit: number): string | null {
  const reply = engine.replay(argv);
  if (isErrorReply(reply) && (reply.error.startsWith("ERR unknown command") || reply.error.startsWith("ERR wrong number"))) {
    return `Unknown command '${argv[0]}' reading the append only file (${reply.error})`;
  }
  if (limit > 0 && engine.db.usedMemory > limit) return engine.overLoadLimit();
  if (isErrorReply(reply) && reply.error === engine.overLoadLimit()) return reply.error;
  return null;
}
