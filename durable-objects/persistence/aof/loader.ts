// Reading an AOF: RESP commands and `#` annotations, streamed in chunks, with the semantics of
// Redis 7.0's loadSingleAppendOnlyFile — OK / EMPTY / TRUNCATED / FAILED, the offset up to which
// the file is made of whole records, and a transaction cut off by the end of the file dropped
// whole. Replaying the commands is the caller's business (the engine's dispatcher).

import { ChunkBuffer, RespError, parseCommandAt } from "../resp.js";
import {
  ANNOTATION_MAX_LINE,
  AofError,
  type AofStatus,
  RDB_MAGIC,
  TIMESTAMP_ANNOTATION,
  isTruncation,
} from "./format.js";

/** One unit of an AOF, with the byte offsets it spans in the file. */
export type AofItem =
  | { kind: "command"; argv: string[]; start: number; end: number }
  /** MULTI … EXEC: only the commands between them, delivered once EXEC has been read. */
  | { kind: "transaction"; commands: string[][]; start: number; end: number }
  /** `#` line: its text without `#` and the line end; `timestamp` (seconds) for a valid `#TS:`. */
  | { kind: "annotation"; text: string; timestamp: number | null; start: number; end: number };

const HASH = 0x23; // '#'
const STAR = 0x2a; // '*'
const LF = 0x0a;
const TIMESTAMP = /^TS:(-?\d{1,18})\r$/;

const isCommand = (argv: string[], upper: string, lower: string): boolean =>
  argv[0].length === upper.length && (argv[0] === upper || argv[0].toLowerCase() === lower);

/**
 * A streaming reader of AOF items. push() chunks as they arrive, call next() until it answers null,
 * and call finish() when the input has ended. Offsets count from `startOffset`, which is where the
 * first byte pushed sits in the file (past an RDB preamble, say).
 */
export class AofReader extends ChunkBuffer {
  /** Lines read, as redis-check-aof counts them: a `*` or `$` line or a bulk payload is one; annotations are none. */
  lines = 0;
  /** The last `#TS:` annotation read, in seconds. */
  lastTimestamp: number | null = null;
  private multi: { start: number; commands: string[][] } | null = null;

  /** Where the whole-record prefix of the file ends: past the last item, or at an open MULTI. */
  get validUpTo(): number {
    return this.multi ? this.multi.start : this.offset;
  }

  /** Offset of the MULTI whose EXEC has not been read yet, or null. */
  get openMulti(): number | null {
    return this.multi ? this.multi.start : null;
  }

  /** The next item, or null when more bytes are needed. Throws AofError on bad format. */
  next(): AofItem | null {
    for (;;) {
      if (!this.ready()) return null;
      const buf = this.buf;
      const pos = this.pos;
      const start = this.base + pos;
      const first = buf.charCodeAt(pos);
      if (first === STAR) {
        let argv: string[] | null;
        try {
          argv = parseCommandAt(buf, pos, this.state, this.base);
        } catch (e) {
          if (e instanceof RespError) {
            throw new AofError("AOF_BAD_FORMAT", e.reason, e.offset, { line: this.lines + this.state.lines });
          }
          throw e;
        }
        if (argv === null) {
          this.waitFor(this.state.need);
          return null;
        }
        const end = this.base + this.state.end;
        const lines = this.state.lines;
        if (isCommand(argv, "MULTI", "multi")) {
          // redis-check-aof refuses a nested MULTI; the server would queue it and fail at EXEC.
          if (this.multi) throw this.misplaced("Unexpected MULTI", start, lines);
          this.accept(lines);
          this.multi = { start, commands: [] };
          continue;
        }
        if (isCommand(argv, "EXEC", "exec")) {
          if (!this.multi) throw this.misplaced("Unexpected EXEC", start, lines);
          this.accept(lines);
          const tx = this.multi;
          this.multi = null;
          return { kind: "transaction", commands: tx.commands, start: tx.start, end };
        }
        this.accept(lines);
        if (this.multi) {
          this.multi.commands.push(argv);
          continue;
        }
        return { kind: "command", argv, start, end };
      }
      if (first === HASH) return this.annotation(buf, pos, start);
      if (start === 0 && first === RDB_MAGIC.charCodeAt(0)) {
        // Only the first five bytes of a file can announce an RDB preamble.
        if (buf.length - pos < RDB_MAGIC.length && RDB_MAGIC.startsWith(buf.slice(pos))) {
          this.waitFor(RDB_MAGIC.length);
          return null;
        }
        if (buf.startsWith(RDB_MAGIC, pos)) {
          throw new AofError("AOF_RDB_PREAMBLE", "The AOF starts with an RDB preamble: decode it, then read from its end", 0);
        }
      }
      throw new AofError("AOF_BAD_FORMAT", "AOF format error: expected '*' or '#'", start, { line: this.lines });
    }
  }

  /**
   * Call when the input has ended. Returns null when it ended on a whole record outside any
   * transaction, else the error saying how it was cut (AOF_TRUNCATED or AOF_UNFINISHED_MULTI).
   */
  finish(): AofError | null {
    const rest = this.pending;
    if (rest > 0 && this.offset === 0 && rest < RDB_MAGIC.length && RDB_MAGIC.startsWith(this.unconsumed())) {
      return new AofError("AOF_BAD_FORMAT", "AOF format error: expected '*' or '#'", 0, { line: 0 });
    }
    if (rest > 0) {
      const s = this.state;
      // The last parse attempt stalled; describe it as redis-check-aof does.
      const reason =
        s.stallWant > 0
          ? `Expected to read ${s.stallWant} bytes, got ${s.stallGot} bytes`
          : `Unexpected end of file in a line of ${rest} bytes`;
      return new AofError("AOF_TRUNCATED", reason, this.base + s.stallAt, { line: this.lines + s.lines });
    }
    if (this.multi) {
      return new AofError("AOF_UNFINISHED_MULTI", "Reached EOF before reading EXEC for MULTI", this.multi.start, {
        line: this.lines,
      });
    }
    return null;
  }

  private accept(lines: number): void {
    this.consume(this.state.end);
    this.lines += lines;
  }

  private misplaced(reason: string, start: number, lines: number): AofError {
    return new AofError("AOF_BAD_FORMAT", reason, start, { line: this.lines + lines });
  }

  private annotation(buf: string, pos: number, start: number): AofItem | null {
    const limit = Math.min(buf.length, pos + ANNOTATION_MAX_LINE);
    let eol = -1;
    for (let p = pos + 1; p < limit; p++) {
      if (buf.charCodeAt(p) === LF) {
        eol = p;
        break;
      }
    }
    if (eol < 0) {
      if (limit - pos >= ANNOTATION_MAX_LINE) {
        throw new AofError("AOF_BAD_FORMAT", `Annotation line longer than ${ANNOTATION_MAX_LINE} bytes`, start, {
          line: this.lines,
        });
      }
      this.state.stallAt = pos;
      this.state.stallWant = 0;
      this.state.lines = 0;
      this.waitFor(buf.length - pos + 1);
      return null;
    }
    const line = buf.slice(pos + 1, eol);
    let timestamp: number | null = null;
    if (buf.startsWith(TIMESTAMP_ANNOTATION, pos)) {
      const m = TIMESTAMP.exec(line);
      if (m) timestamp = this.lastTimestamp = Number(m[1]);
    }
    this.consume(eol + 1);
    const text = line.endsWith("\r") ? line.slice(0, -1) : line;
    return { kind: "annotation", text, timestamp, start, end: this.base + eol + 1 };
  }
}

/** True when the bytes start with an RDB preamble ("REDIS"): Redis decides by content, not by name. */
export function hasRdbPreamble(bytes: string): boolean {
  return bytes.startsWith(RDB_MAGIC);
}

export interface AofLoadOptions {
  /** Start reading RESP at this offset (the end of an RDB preamble decoded by the caller). */
  startOffset?: number;
  /**
   * Decodes an RDB preamble: given the whole file, loads the RDB at its start and returns its
   * length in bytes (where RESP resumes). Throws if the RDB is bad. Without it, a file with a
   * preamble fails with AOF_RDB_PREAMBLE and `rdbPreamble` set, for the caller to decode.
   */
  rdbPreamble?: (bytes: string) => number;
  /**
   * Receives each command, transaction and annotation in file order (an annotation inside a
   * transaction comes before the transaction, which is delivered at its EXEC). An exception it
   * throws stops the load and propagates: the item's `start` says where.
   */
  onItem?: (item: AofItem) => void;
  /** Also return the commands as `records` (transactions as MULTI, …, EXEC). */
  collect?: boolean;
  /** aof-load-truncated (default yes): a cut tail loads as TRUNCATED; with false it is FAILED. */
  loadTruncated?: boolean;
}

/**
 * What loading an AOF concluded, as Redis's loadSingleAppendOnlyFile returns it: a file read by
 * loadAof, or a shard's stored log replayed (durable-objects/aof-replay.ts). The error's code and
 * offset say what stopped it and where; text is for people only.
 */
export interface AofLoadResult {
  status: AofStatus;
  /** Bytes read: the whole input, unless a FAILED load stopped early. */
  size: number;
  /** End of the last whole record (before an unfinished MULTI): where Redis truncates the file. */
  validUpTo: number;
  /** Commands delivered (those inside transactions included). */
  commands: number;
  /** Why the load is TRUNCATED or FAILED; null when OK or EMPTY. */
  error: AofError | null;
  /** The file starts with "REDIS" (an RDB preamble). */
  rdbPreamble: boolean;
  /** Where RESP reading began: after the preamble when `rdbPreamble` decoded it, else `startOffset`. */
  respOffset: number;
  /** The last `#TS:` annotation, in seconds. */
  lastTimestamp: number | null;
  /** Lines read as redis-check-aof counts them (its ok_up_to_line is 1 + this), up to where reading stopped. */
  lines: number;
  /** With `collect`: the commands in order, transactions as MULTI, …, EXEC. */
  records?: string[][];
  /** A log stored as rows, TRUNCATED: the row to cut and the bytes of it to keep (whole records only). */
  truncateAt?: { seq: number; keep: number };
}

/** A load that failed before or outside reading records (a bad base, say). */
export function failedLoad(error: AofError, commands = 0): AofLoadResult {
  return { status: "FAILED", size: 0, validUpTo: 0, commands, error, rdbPreamble: false, respOffset: 0, lastTimestamp: null, lines: 0 };
}

/**
 * Loads one AOF file given whole or as chunks. A short read at the end is TRUNCATED (the caller
 * cuts the file at validUpTo), bad bytes anywhere are FAILED with the offset, and nothing is
 * skipped silently.
 */
export function loadAof(input: string | Iterable<string>, opts: AofLoadOptions = {}): AofLoadResult {
  let chunks: Iterable<string> = typeof input === "string" ? [input] : input;
  let startOffset = opts.startOffset ?? 0;
  let rdbPreamble = false;
  const records: string[][] | undefined = opts.collect ? [] : undefined;
  let commands = 0;
  let size = 0;

  const result = (status: AofStatus, validUpTo: number, error: AofError | null, reader?: AofReader): AofLoadResult => ({
    status,
    size,
    validUpTo,
    commands,
    error,
    rdbPreamble,
    respOffset: startOffset,
    lastTimestamp: reader?.lastTimestamp ?? null,
    lines: error?.line ?? reader?.lines ?? 0,
    ...(records ? { records } : {}),
  });

  if (opts.rdbPreamble && startOffset === 0) {
    // The RDB decoder needs the file from its first byte; preambles only occur in bases and
    // pre-7.0 files, which are read once at start, so joining the chunks here is acceptable.
    const whole = typeof input === "string" ? input : [...chunks].join("");
    chunks = [whole];
    if (hasRdbPreamble(whole)) {
      size = whole.length;
      try {
        startOffset = opts.rdbPreamble(whole);
      } catch (cause) {
        const offset = typeof (cause as { offset?: unknown })?.offset === "number" ? (cause as { offset: number }).offset : 0;
        rdbPreamble = true;
        return result("FAILED", 0, new AofError("AOF_BAD_PREAMBLE", "Error reading the RDB preamble of the AOF file", offset, { cause }));
      }
      rdbPreamble = true;
    }
  }

  const reader = new AofReader(startOffset);
  const deliver = (item: AofItem): void => {
    if (item.kind === "command") {
      commands++;
      records?.push(item.argv);
    } else if (item.kind === "transaction") {
      commands += item.commands.length;
      if (records) records.push(["MULTI"], ...item.commands, ["EXEC"]);
    }
    opts.onItem?.(item);
  };

  size = 0;
  let skip = startOffset;
  try {
    for (const chunk of chunks) {
      size += chunk.length;
      if (skip >= chunk.length) {
        skip -= chunk.length;
        continue;
      }
      reader.push(skip > 0 ? chunk.slice(skip) : chunk);
      skip = 0;
      for (let item = reader.next(); item !== null; item = reader.next()) deliver(item);
    }
  } catch (e) {
    if (!(e instanceof AofError)) throw e;
    if (e.code === "AOF_RDB_PREAMBLE") rdbPreamble = true;
    return result("FAILED", reader.validUpTo, e, reader);
  }
  if (size === 0) return result("EMPTY", 0, null, reader);
  if (skip > 0) {
    return result("FAILED", 0, new AofError("AOF_BAD_FORMAT", `Start offset ${startOffset} is past the end of the file`, size), reader);
  }
  const cut = reader.finish();
  if (cut === null) return result("OK", reader.offset, null, reader);
  if (opts.loadTruncated === false || !isTruncation(cut)) return result("FAILED", reader.validUpTo, cut, reader);
  return result("TRUNCATED", reader.validUpTo, cut, reader);
}
