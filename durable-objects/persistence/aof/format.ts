// The AOF format's constants and its one error type, shared by the loader, the rewriter, the
// manifest and the checker. Values are Redis 7.0's (aof.c, server.h); they describe files on disk,
// so they never change.

/** The first bytes of a file that starts with an RDB preamble (an RDB base, or a pre-7.0 hybrid AOF). */
export const RDB_MAGIC = "REDIS";

/** `#` starts an annotation line; Redis 7 writes only `#TS:<unix seconds>\r\n`. */
export const ANNOTATION_PREFIX = "#";
export const TIMESTAMP_ANNOTATION = "#TS:";
/**
 * Redis reads annotation lines with fgets into a 1024-byte buffer, so a line (with its line end)
 * of up to 1023 bytes is read whole. A longer one would be split and its remainder misread.
 */
export const ANNOTATION_MAX_LINE = 1023;

/** AOF_REWRITE_ITEMS_PER_CMD: elements (or field/value, score/member pairs) per rewritten command. */
export const REWRITE_ITEMS_PER_CMD = 64;

/** Defaults of `appenddirname` and `appendfilename`, and the manifest's suffix. */
export const AOF_DIRNAME = "appendonlydir";
export const AOF_FILENAME = "appendonly.aof";
export const MANIFEST_SUFFIX = ".manifest";
/** MANIFEST_MAX_LINE: a manifest line, line end included, fits in 1024 bytes. */
export const MANIFEST_MAX_LINE = 1024;

/** What loading a single AOF file concluded, as Redis's loadSingleAppendOnlyFile returns it. */
export type AofStatus = "OK" | "EMPTY" | "TRUNCATED" | "FAILED";

export type AofErrorCode =
  /** The file ends in the middle of a record. */
  | "AOF_TRUNCATED"
  /** The file ends inside MULTI with no EXEC: the transaction is dropped, as Redis does. */
  | "AOF_UNFINISHED_MULTI"
  /** Bytes that are not an annotation or a RESP array of bulk strings, or MULTI/EXEC out of order. */
  | "AOF_BAD_FORMAT"
  /** The file starts with an RDB preamble, and no RDB decoder was given to read it. */
  | "AOF_RDB_PREAMBLE"
  /** The RDB preamble could not be decoded (the decoder's error is the cause). */
  | "AOF_BAD_PREAMBLE"
  /** A `#TS:` annotation that is not a number, when truncating to a timestamp. */
  | "AOF_BAD_TIMESTAMP"
  /** Truncating to a timestamp would leave nothing, or would cut a file that is not the last. */
  | "AOF_CANNOT_TRUNCATE"
  /** A manifest line that is not `file <name> seq <n> type <b|h|i>`, too long, or naming a path. */
  | "AOF_MANIFEST_BAD_FORMAT"
  /** The manifest file has no lines at all. */
  | "AOF_MANIFEST_EMPTY"
  /** Two base files. */
  | "AOF_MANIFEST_DUPLICATE_BASE"
  /** Incremental files whose sequence numbers do not strictly increase. */
  | "AOF_MANIFEST_BAD_SEQUENCE"
  /** No base file (only with `requireBase`; Redis accepts it). */
  | "AOF_MANIFEST_NO_BASE"
  /** Incremental sequence numbers with a hole (only with `contiguous`; Redis accepts it). */
  | "AOF_MANIFEST_SEQUENCE_GAP"
  /** A file the manifest lists is not there. */
  | "AOF_MISSING_FILE"
  /** A stored segment or base part whose checksum does not match: damaged, or a torn last write. */
  | "AOF_BAD_CHECKSUM"
  /** A command the server does not know, or with the wrong number of arguments: the load stops, as in Redis. */
  | "AOF_UNKNOWN_COMMAND"
  /** SELECT of a database that does not exist here (one database per deployment), or not a number. */
  | "AOF_BAD_SELECT"
  /** Replaying the log would take the dataset past maxmemory (our load limit): the load stops instead. */
  | "AOF_OVER_MAXMEMORY"
  /** The log's base (an RDB in R2, or a RESP base) could not be loaded; the cause says why. */
  | "AOF_BAD_BASE";

export class AofError extends Error {
  constructor(
    readonly code: AofErrorCode,
    /** What was wrong, in redis-check-aof's or the Redis loader's words where they have them. */
    readonly reason: string,
    /** Byte offset in the file where the faulty element begins (for a manifest: the line's offset). */
    readonly offset: number,
    readonly details: { file?: string; line?: number; cause?: unknown } = {},
  ) {
    const where = details.file ? `${details.file}, offset ${offset}` : `offset ${offset}`;
    super(`${reason} (${code} at ${where}${details.line !== undefined ? `, line ${details.line}` : ""})`, {
      cause: details.cause,
    });
    this.name = "AofError";
  }

  get file(): string | undefined {
    return this.details.file;
  }
  get line(): number | undefined {
    return this.details.line;
  }

  /** The same error, attributed to a file. */
  inFile(file: string): AofError {
    return new AofError(this.code, this.reason, this.offset, { ...this.details, file });
  }
}

/** True when the error means "the file was cut short" (fixable by truncating), not corruption. */
export function isTruncation(e: AofError): boolean {
  return e.code === "AOF_TRUNCATED" || e.code === "AOF_UNFINISHED_MULTI";
}
