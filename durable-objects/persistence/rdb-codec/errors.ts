// Errors of the RDB codec: a code a program can test, the problem in words, the byte offset.

export type RdbErrorCode =
  | "RDB_BAD_MAGIC"
  | "RDB_BAD_VERSION"
  | "RDB_TRUNCATED"
  | "RDB_BAD_CHECKSUM"
  | "RDB_BAD_LENGTH"
  | "RDB_BAD_LZF"
  | "RDB_OVER_MAXMEMORY"
  | "RDB_BAD_LISTPACK"
  | "RDB_BAD_INTSET"
  | "RDB_BAD_ZIPLIST"
  | "RDB_UNKNOWN_TYPE"
  | "RDB_MODULE"
  | "RDB_STREAM"
  | "RDB_DUPLICATE"
  | "RDB_BAD_VALUE";

export class RdbError extends Error {
  constructor(
    readonly code: RdbErrorCode,
    readonly reason: string,
    readonly offset: number,
  ) {
    super(`${reason} (${code} at offset ${offset})`);
    this.name = "RdbError";
  }
}
