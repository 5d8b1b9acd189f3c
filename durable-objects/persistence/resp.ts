// RESP (REdis Serialization Protocol), version 2: the bytes of AOF records and of RESP2 replies.
// Encoders for commands (arrays of bulk strings) and replies, and streaming parsers for both that
// answer "need more bytes" on a short buffer instead of throwing. All bytes are byte strings (one
// char per byte, see engine/bytes.ts), so a bulk length is the string's length.

import { formatDouble } from "../engine/bytes.js";
import type { Reply } from "../engine/reply.js";

const CRLF = "\r\n";
const CR = 0x0d;
const LF = 0x0a;
const ZERO = 0x30;
const NINE = 0x39;
const MINUS = 0x2d;

/** The first byte of each RESP2 type. */
export const enum RespType {
  /** `+OK\r\n` */
  Status = 0x2b,
  /** `-ERR message\r\n` */
  Error = 0x2d,
  /** `:42\r\n` */
  Integer = 0x3a,
  /** `$3\r\nfoo\r\n`, or `$-1\r\n` for null */
  Bulk = 0x24,
  /** `*2\r\n…`, or `*-1\r\n` for a null array */
  Array = 0x2a,
}

/**
 * Most digits in a `*<n>` or `$<n>` count. No real count comes near it; more digits are garbage,
 * and saying so at once beats waiting for bytes that can never complete the line.
 */
export const MAX_COUNT_DIGITS = 15;
/** Largest bulk length accepted: V8's maximum string length is just under 2^29 on 64-bit. */
export const MAX_BULK_LENGTH = 2 ** 29 - 24;

export type RespErrorCode = "RESP_BAD_FORMAT";

/** Malformed RESP. `offset` is where the element being read begins (as redis-check-aof reports it). */
export class RespError extends Error {
  readonly code: RespErrorCode = "RESP_BAD_FORMAT";
  constructor(
    /** What was wrong, in redis-check-aof's words where it has them. */
    readonly reason: string,
    readonly offset: number,
  ) {
    super(`${reason} at offset ${offset}`);
    this.name = "RespError";
  }
}

// --- Encoding -------------------------------------------------------------------------------------

// Headers for the common small counts and lengths: number → string conversion is a measurable part
// of encoding short commands, and these few KB of strings are built once.
const ARRAY_HEADERS: string[] = [];
const BULK_HEADERS: string[] = [];
for (let i = 0; i < 64; i++) ARRAY_HEADERS.push(`*${i}\r\n`);
for (let i = 0; i < 1024; i++) BULK_HEADERS.push(`$${i}\r\n`);

const arrayHeader = (n: number): string => (n < 64 ? ARRAY_HEADERS[n] : `*${n}\r\n`);
const bulkHeader = (n: number): string => (n < 1024 ? BULK_HEADERS[n] : `$${n}\r\n`);

/**
 * One command as a RESP array of bulk strings, exactly as Redis writes it to the AOF:
 * `*<argc>\r\n` then `$<len>\r\n<bytes>\r\n` per argument. Arguments must be byte strings.
 */
export function encodeCommand(argv: readonly string[]): string {
  const n = argv.length;
  // Concatenation builds a rope that V8 flattens once, when the caller reads the bytes.
  let out = arrayHeader(n);
  for (let i = 0; i < n; i++) {
    const arg = argv[i];
    out += bulkHeader(arg.length) + arg + CRLF;
  }
  return out;
}

/** Several commands back to back (a batch of propagated records, MULTI … EXEC included). */
export function encodeCommands(cmds: readonly (readonly string[])[]): string {
  let out = "";
  for (let c = 0; c < cmds.length; c++) {
    const argv = cmds[c];
    const n = argv.length;
    out += arrayHeader(n);
    for (let i = 0; i < n; i++) {
      const arg = argv[i];
      out += bulkHeader(arg.length) + arg + CRLF;
    }
  }
  return out;
}

/** A bulk string: `$<len>\r\n<bytes>\r\n`. */
export function encodeBulk(s: string): string {
  return bulkHeader(s.length) + s + CRLF;
}

// A status or error line cannot carry CR or LF: one would end the line early and desynchronise the
// client. Redis replaces them with spaces in error texts; we do the same for both.
const LINE_BREAKS = /[\r\n]/g;
const oneLine = (s: string): string => (s.indexOf("\r") < 0 && s.indexOf("\n") < 0 ? s : s.replace(LINE_BREAKS, " "));

/**
 * A reply in RESP2, as Redis sends it: null → `$-1`, integers → `:n`, byte strings → bulk,
 * `{status}` → `+`, `{error}` → `-`, arrays → `*` (nested as needed).
 */
export function encodeReply(reply: Reply): string {
  if (reply === null) return "$-1\r\n";
  switch (typeof reply) {
    case "string":
      return bulkHeader(reply.length) + reply + CRLF;
    case "number":
      // Replies carry floats as bulk strings already; a fractional number here would be a bug, but
      // sending it as RESP2 sends a double (a bulk string) keeps the stream well-formed.
      return Number.isInteger(reply) ? `:${reply}\r\n` : encodeBulk(formatDouble(reply));
    case "bigint":
      return `:${reply}\r\n`;
  }
  if (Array.isArray(reply)) {
    let out = arrayHeader(reply.length);
    for (const item of reply) out += encodeReply(item);
    return out;
  }
  if ("error" in reply) return `-${oneLine(reply.error)}\r\n`;
  return `+${oneLine(reply.status)}\r\n`;
}

// --- Parsing --------------------------------------------------------------------------------------

/**
 * Where a parse ended. On success `end` is the offset just past the element. On a short buffer
 * (the parser returned "need more"), `need` is how many bytes from the start position must be
 * available before trying again can succeed, and `stall*` describe where the input ran out.
 */
export interface ParseState {
  end: number;
  need: number;
  /** Offset (relative to the buffer) of the element that was cut short. */
  stallAt: number;
  /** Bytes that element needed (a bulk's length + 2), or 0 when a line had no CRLF yet. */
  stallWant: number;
  /** Bytes of it that were there. */
  stallGot: number;
  /**
   * Lines of the command read so far, as redis-check-aof counts them (the `*` line, each `$` line,
   * each payload): complete after a success, partial after a short read or an error.
   */
  lines: number;
}

export const newParseState = (): ParseState => ({ end: 0, need: 0, stallAt: 0, stallWant: 0, stallGot: 0, lines: 0 });

/**
 * V8 returns a substring of 13 chars or more as a view that keeps its whole parent alive: an
 * argument kept in the keyspace would pin the entire chunk it was parsed from. Concatenating then
 * slicing forces a copy, so the parent can be collected.
 */
export function detach(s: string): string {
  return s.length < 13 ? s : (" " + s).slice(1);
}

/** Marks a short buffer in the internal readers (any finite count, negative ones included, is a value). */
const SHORT = -Infinity;

/**
 * Reads the decimal count after a `*` or `$` at `pos` (the prefix byte itself is at pos).
 * Returns the value, which may be negative (the caller decides what it admits), and sets state.end
 * past the CRLF; or returns SHORT.
 */
function readCount(buf: string, pos: number, state: ParseState, base: number, what: string): number {
  let p = pos + 1;
  const len = buf.length;
  let negative = false;
  if (p < len && buf.charCodeAt(p) === MINUS) {
    negative = true;
    p++;
  }
  const digitsStart = p;
  let value = 0;
  for (;;) {
    if (p >= len) return stallLine(state, pos, p);
    const c = buf.charCodeAt(p);
    if (c >= ZERO && c <= NINE) {
      value = value * 10 + (c - ZERO);
      p++;
      if (p - digitsStart > MAX_COUNT_DIGITS) throw new RespError(`Invalid ${what}: too many digits`, base + pos);
      continue;
    }
    if (c !== CR) {
      // Only the two line-end bytes may follow the digits (redis-check-aof shows the two it found).
      throw new RespError(`Expected \\r\\n, got: ${hex2(buf, p)}`, base + pos);
    }
    if (p + 1 >= len) return stallLine(state, pos, p + 1);
    if (buf.charCodeAt(p + 1) !== LF) throw new RespError(`Expected \\r\\n, got: ${hex2(buf, p)}`, base + pos);
    break;
  }
  if (p === digitsStart) throw new RespError(`Invalid ${what}: no digits`, base + pos);
  state.end = p + 2;
  return negative ? -value : value;
}

function stallLine(state: ParseState, lineStart: number, scannedTo: number): number {
  state.stallAt = lineStart;
  state.stallWant = 0;
  state.stallGot = scannedTo - lineStart;
  state.need = scannedTo + 1;
  return SHORT;
}

/** Two bytes at p as redis-check-aof prints them (`%02x%02x`, a missing byte as 00). */
function hex2(buf: string, p: number): string {
  const h = (i: number) => (i < buf.length ? buf.charCodeAt(i) : 0).toString(16).padStart(2, "0");
  return h(p) + h(p + 1);
}

/** Reads `$<len>\r\n<bytes>\r\n` at pos; returns the bytes, null for `$-1` (when allowed), or undefined when short. */
function readBulk(buf: string, pos: number, state: ParseState, base: number, allowNull: boolean): string | null | undefined {
  if (pos >= buf.length) {
    stallLine(state, pos, pos);
    return undefined;
  }
  const prefix = buf.charCodeAt(pos);
  if (prefix !== RespType.Bulk) {
    throw new RespError(`Expected prefix '$', got: '${buf[pos]}'`, base + pos);
  }
  const len = readCount(buf, pos, state, base, "bulk length");
  if (len === SHORT) return undefined;
  if (len === -1 && allowNull) return null;
  state.lines++;
  if (len < 0 || len > MAX_BULK_LENGTH) {
    throw new RespError(`Expected to read string of ${len} bytes, which is not in the suitable range`, base + pos);
  }
  const dataStart = state.end;
  const dataEnd = dataStart + len;
  if (dataEnd + 2 > buf.length) {
    state.stallAt = dataStart;
    state.stallWant = len + 2;
    state.stallGot = buf.length - dataStart;
    state.need = dataEnd + 2;
    return undefined;
  }
  if (buf.charCodeAt(dataEnd) !== CR || buf.charCodeAt(dataEnd + 1) !== LF) {
    throw new RespError(`Expected \\r\\n, got: ${hex2(buf, dataEnd)}`, base + dataStart);
  }
  state.end = dataEnd + 2;
  state.lines++;
  return detach(buf.slice(dataStart, dataEnd));
}

/**
 * Parses one command (an array of one or more bulk strings) starting at `pos`. Returns its
 * arguments and sets `state.end`, or returns null when `buf` ends first (state.need says how many
 * bytes from pos are needed). Throws RespError on malformed input; `base` is added to its offset.
 */
export function parseCommandAt(buf: string, pos: number, state: ParseState, base = 0): string[] | null {
  state.lines = 0;
  if (pos >= buf.length) {
    stallLine(state, pos, pos);
    state.need -= pos;
    return null;
  }
  if (buf.charCodeAt(pos) !== RespType.Array) {
    throw new RespError(`Expected prefix '*', got: '${buf[pos]}'`, base + pos);
  }
  const argc = readCount(buf, pos, state, base, "multibulk length");
  if (argc === SHORT) {
    state.need -= pos;
    return null;
  }
  state.lines = 1;
  // Redis's AOF loader refuses an empty command (redis-check-aof lets it through; the server does not).
  if (argc < 1) throw new RespError(`Invalid multibulk length: ${argc}`, base + pos);
  const argv: string[] = [];
  let p = state.end;
  for (let i = 0; i < argc; i++) {
    const arg = readBulk(buf, p, state, base, false);
    if (arg === undefined) {
      state.need -= pos;
      return null;
    }
    argv.push(arg as string);
    p = state.end;
  }
  state.end = p;
  return argv;
}

/**
 * Parses one RESP2 reply at `pos`. Returns the reply and sets `state.end`, or returns undefined when
 * `buf` ends first. Integers beyond 2^53 come back as bigint, as the engine produces them.
 */
export function parseReplyAt(buf: string, pos: number, state: ParseState, base = 0): Reply | undefined {
  const r = readReply(buf, pos, state, base, 0);
  if (r === undefined) state.need -= pos;
  return r;
}

const MAX_REPLY_DEPTH = 512;

function readReply(buf: string, pos: number, state: ParseState, base: number, depth: number): Reply | undefined {
  if (pos >= buf.length) {
    stallLine(state, pos, pos);
    return undefined;
  }
  const type = buf.charCodeAt(pos);
  switch (type) {
    case RespType.Status:
    case RespType.Error:
    case RespType.Integer: {
      const eol = buf.indexOf(CRLF, pos + 1);
      if (eol < 0) {
        stallLine(state, pos, buf.length);
        return undefined;
      }
      const text = buf.slice(pos + 1, eol);
      state.end = eol + 2;
      if (type === RespType.Status) return { status: text };
      if (type === RespType.Error) return { error: text };
      if (!/^-?\d+$/.test(text)) throw new RespError(`Invalid integer reply: ${text}`, base + pos);
      const n = Number(text);
      return Number.isSafeInteger(n) ? n : BigInt(text);
    }
    case RespType.Bulk:
      return readBulk(buf, pos, state, base, true);
    case RespType.Array: {
      if (depth >= MAX_REPLY_DEPTH) throw new RespError("Reply nested too deeply", base + pos);
      const n = readCount(buf, pos, state, base, "multibulk length");
      if (n === SHORT) return undefined;
      if (n === -1) return null;
      if (n < 0) throw new RespError(`Invalid multibulk length: ${n}`, base + pos);
      const items: Reply[] = [];
      let p = state.end;
      for (let i = 0; i < n; i++) {
        const item = readReply(buf, p, state, base, depth + 1);
        if (item === undefined) return undefined;
        items.push(item);
        p = state.end;
      }
      state.end = p;
      return items;
    }
    default:
      throw new RespError(`Unknown reply type '${buf[pos]}'`, base + pos);
  }
}

/**
 * Bytes arriving in chunks, consumed from the front, with absolute offsets. Chunks are only joined
 * when the parser could make progress, so a record spread over many chunks costs one copy, not one
 * per chunk.
 */
export class ChunkBuffer {
  /** The flat working buffer; `pos` is its first unconsumed byte. */
  protected buf = "";
  protected pos = 0;
  /** Absolute offset of buf[0]. */
  protected base: number;
  private tail: string[] = [];
  private tailBytes = 0;
  /** Unconsumed bytes needed before a parse can succeed (from the last short read). */
  protected want = 1;
  protected readonly state: ParseState = newParseState();

  constructor(startOffset = 0) {
    this.base = startOffset;
  }

  push(chunk: string): void {
    if (chunk.length === 0) return;
    this.tail.push(chunk);
    this.tailBytes += chunk.length;
  }

  /** Absolute offset of the first unconsumed byte: the end of the last whole element read. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Bytes received and not yet consumed. */
  get pending(): number {
    return this.buf.length - this.pos + this.tailBytes;
  }

  /** True when enough bytes are there to try parsing again; joins the waiting chunks if so. */
  protected ready(): boolean {
    if (this.pending < this.want) return false;
    if (this.tailBytes > 0) {
      const rest = this.pos < this.buf.length ? this.buf.slice(this.pos) : "";
      this.tail.unshift(rest);
      this.base += this.pos;
      this.buf = this.tail.join("");
      this.pos = 0;
      this.tail = [];
      this.tailBytes = 0;
    } else if (this.pos > 0 && this.pos === this.buf.length) {
      this.base += this.pos;
      this.buf = "";
      this.pos = 0;
    }
    return this.pos < this.buf.length;
  }

  /** After a short read: wait for at least `need` unconsumed bytes. */
  protected waitFor(need: number): void {
    this.want = Math.max(need, this.pending + 1);
  }

  /** After an element was read: move past it. */
  protected consume(end: number): void {
    this.pos = end;
    this.want = 1;
  }

  /** Runs a parser at the first unconsumed byte: moves past what it read, or waits for more bytes. */
  protected tryParse<T, S>(parse: (buf: string, pos: number, state: ParseState, base: number) => T | S, short: S): T | S {
    if (!this.ready()) return short;
    const result = parse(this.buf, this.pos, this.state, this.base);
    if (result === short) this.waitFor(this.state.need);
    else this.consume(this.state.end);
    return result;
  }

  /** The unconsumed bytes (for diagnostics at end of input). */
  protected unconsumed(): string {
    this.want = 0;
    this.ready();
    this.want = 1;
    return this.buf.slice(this.pos);
  }
}

/** A streaming parser of RESP commands: push() chunks, then next() until it answers null. */
export class RespCommandParser extends ChunkBuffer {
  /** The next whole command, or null when more bytes are needed. Throws RespError on bad bytes. */
  next(): string[] | null {
    return this.tryParse(parseCommandAt, null);
  }
}

/** A streaming parser of RESP2 replies (for clients of RESP servers, such as the interop tests). */
export class RespReplyParser extends ChunkBuffer {
  /** The next whole reply, or undefined when more bytes are needed. Throws RespError on bad bytes. */
  next(): Reply | undefined {
    return this.tryParse(parseReplyAt, undefined);
  }
}
