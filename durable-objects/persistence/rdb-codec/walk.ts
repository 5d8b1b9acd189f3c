// Walks an RDB file record by record, as redis-check-rdb reads it: every opcode, every key's framing
// (module values included, which durable-redis cannot load), LZF strings and the CRC-64
// trailer, with redis-check-rdb's offsets and "while doing" states. Values of the types durable-redis
// loads are decoded by the shared decoder (decodeRecord), one key at a time. The CLI's check-rdb,
// restore and export read files through it.

import { Crc64 } from "./checksum.js";
import { Opcode, RdbType } from "./constants.js";
import { decodeRdb } from "./decoder.js";
import { decodeListpack } from "./blobs.js";
import { type ReadProblem, RdbReader, ascii, latin1 } from "./reader.js";
import { RdbError } from "./errors.js";
import type { Value } from "../../engine/types/index.js";

/** The newest RDB version Redis 7.0 reads; `maxVersion` raises it (durable-redis reads up to 12). */
export const REDIS_7_0_RDB_VERSION = 10;


/** redis-check-rdb 7.0's name of each object type ("unknown" past its table, as it prints). */
const CHECK_TYPE_NAMES = [
  "string",
  "list-linked",
  "set-hashtable",
  "zset-v1",
  "hash-hashtable",
  "zset-v2",
  "module-value",
  "",
  "",
  "hash-zipmap",
  "list-ziplist",
  "set-intset",
  "zset-ziplist",
  "hash-ziplist",
  "quicklist",
  "stream",
  "hash-listpack",
  "zset-listpack",
  "quicklist-v2",
];
export const checkTypeName = (type: number): string => CHECK_TYPE_NAMES[type] ?? "unknown";

/** Object types a file may hold (6, 7: module values; 15, 19, 21: streams). */
const OBJECT_TYPES = new Set([0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]);

/** The Redis data type (as TYPE answers) of each object type. */
export function dataType(type: number): string {
  switch (type) {
    case RdbType.STRING:
      return "string";
    case RdbType.LIST:
    case RdbType.LIST_ZIPLIST:
    case RdbType.LIST_QUICKLIST:
    case RdbType.LIST_QUICKLIST_2:
      return "list";
    case RdbType.SET:
    case RdbType.SET_INTSET:
    case RdbType.SET_LISTPACK:
      return "set";
    case RdbType.ZSET:
    case RdbType.ZSET_2:
    case RdbType.ZSET_ZIPLIST:
    case RdbType.ZSET_LISTPACK:
      return "zset";
    case RdbType.HASH:
    case RdbType.HASH_ZIPMAP:
    case RdbType.HASH_ZIPLIST:
    case RdbType.HASH_LISTPACK:
      return "hash";
    case RdbType.STREAM_LISTPACKS:
    case RdbType.STREAM_LISTPACKS_2:
    case RdbType.STREAM_LISTPACKS_3:
      return "stream";
    default:
      return "module";
  }
}

/** Types the shared decoder turns into values (everything but module values). */
export const loadable = (type: number) => OBJECT_TYPES.has(type) && dataType(type) !== "module";

/** What redis-check-rdb says it was doing when a problem showed. */
export type CheckState = "start" | "read-type" | "read-expire" | "read-key" | "read-object-value" | "check-sum" | "read-len" | "read-aux" | "read-module-aux" | "read-functions";

/** A problem in the file: redis-check-rdb's words, the offset of the bytes read so far, and the context. */
export class RdbCheckError extends Error {
  constructor(
    readonly reason: string,
    readonly offset: number,
    readonly doing: CheckState,
    /** The key being read, if any. */
    readonly key: string | null,
    /** The object type being read (0 before any key, as redis-check-rdb reports it), null between keys. */
    readonly keyType: number | null,
  ) {
    super(`${reason} (offset ${offset}, while doing ${doing})`);
    this.name = "RdbCheckError";
  }
}

/** One key as it sits in the file. */
export interface RdbRecord {
  db: number;
  /** The key as a byte string. */
  key: string;
  type: number;
  expireAt: number | undefined;
  /** Offset of the type byte. */
  start: number;
  /** Offset just past the value. */
  end: number;
}

export interface RdbWalkEvents {
  /** An AUX field; `offset` is just past it. */
  aux?(name: string, value: string, offset: number): void;
  selectDb?(db: number, offset: number): void;
  /** A key's name has been read (redis-check-rdb counts keys here, before their values). */
  keyName?(key: string, type: number): void;
  /** Each key, once its value has been read (and validated). */
  key?(record: RdbRecord): void;
  /** A function library (or a pre-GA function) that was skipped. */
  function?(offset: number): void;
}

export interface RdbWalkOptions {
  /** Highest version accepted (default 10: Redis 7.0). */
  maxVersion?: number;
  /** Decode each loadable value with the shared decoder to validate its encoding (default true). */
  validateValues?: boolean;
}

export interface RdbWalkResult {
  version: number;
  /** "ok": the CRC-64 matched; "disabled": saved with rdbchecksum no; "none": a version without one. */
  checksum: "ok" | "disabled" | "none";
  /** Just past the trailer: where an AOF preamble's RESP tail begins. */
  end: number;
}

const EOF_REASON = "Unexpected EOF reading RDB file";

class Walker extends RdbReader {
  doing: CheckState = "start";
  key: string | null = null;
  keyType: number | null = 0;

  fail(reason: string, offset = this.pos): never {
    throw new RdbCheckError(reason, offset, this.doing, this.key, this.keyType);
  }
  /** redis-check-rdb's words, at the offset read so far. */
  protected problem(p: ReadProblem): never {
    switch (p.kind) {
      case "eof":
        return this.fail(EOF_REASON);
      case "length-encoding":
        return this.fail(`Unknown length encoding ${p.byte >> 6} in rdbLoadLen()`);
      case "string-where-count":
        return this.fail("Unknown length encoding 3 in rdbLoadLen()");
      case "string-encoding":
        return this.fail(`Unknown RDB string encoding type ${p.encoding}`);
      case "lzf":
      case "too-long":
        return this.fail("Invalid LZF compressed string");
    }
  }
  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }
  u64le(): bigint {
    this.need(8);
    const v = this.dv.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }
  /** Runs a read, naming a short read as Redis does at that point. */
  as<T>(reason: string, read: () => T): T {
    try {
      return read();
    } catch (e) {
      if (e instanceof RdbCheckError && e.reason === EOF_REASON) this.fail(reason, e.offset);
      throw e;
    }
  }
  /** A millisecond time (8 bytes). */
  msTime(): number {
    this.need(8);
    const v = Number(this.dv.getBigInt64(this.pos, true));
    this.pos += 8;
    return v;
  }
}

/** Module values (RDB_TYPE_MODULE_2 and MODULE_AUX): typed opcodes up to an EOF opcode. */
function skipModuleValue(w: Walker): void {
  for (;;) {
    const op = w.count();
    if (op === 0) return;
    if (op === 1 || op === 2) w.count();
    else if (op === 3) w.skip(4);
    else if (op === 4) w.skip(8);
    else if (op === 5) w.stringBytes();
    else w.fail(`Unknown module opcode ${op}`);
  }
}

/** Streams: framing, with Redis's words for each short read (the shared decoder then validates the value). */
function skipStream(w: Walker, type: number): void {
  const v2 = type >= RdbType.STREAM_LISTPACKS_2;
  for (let n = w.as("Stream listpacks len loading failed.", () => w.count()); n > 0; n--) {
    const nodeKey = w.as("Stream master ID loading failed: invalid encoding or I/O error.", () => w.stringBytes());
    if (nodeKey.length !== 16) w.fail("Stream node key entry is not the size of a stream ID");
    const lp = w.as("Stream listpacks loading failed.", () => w.stringBytes());
    let empty: boolean;
    try {
      empty = decodeListpack(lp).length === 0;
    } catch (e) {
      return w.fail(`Stream listpack integrity check failed: ${e instanceof RdbError ? e.reason : String(e)}`);
    }
    if (empty) w.fail("Empty listpack inside stream");
  }
  // Length, last ID; since v2 also the first ID, the max deleted ID and the entries added.
  w.as("Stream object metadata loading failed.", () => {
    for (let i = v2 ? 8 : 3; i > 0; i--) w.count();
  });
  for (let groups = w.as("Stream cgroup count loading failed.", () => w.count()); groups > 0; groups--) {
    w.as("Error reading the consumer group name from Stream", () => w.stringBytes());
    w.as("Stream cgroup ID loading failed.", () => (w.count(), w.count()));
    if (v2) w.as("Stream cgroup offset loading failed.", () => w.count());
    for (let pel = w.as("Stream PEL size loading failed.", () => w.count()); pel > 0; pel--) {
      w.as("Stream PEL ID loading failed.", () => w.skip(16));
      w.as("Stream PEL NACK loading failed.", () => (w.skip(8), w.count()));
    }
    for (let consumers = w.as("Stream consumers num loading failed.", () => w.count()); consumers > 0; consumers--) {
      w.as("Error reading the consumer name from Stream group.", () => w.stringBytes());
      w.as("Stream short read reading seen time.", () => w.skip(8));
      if (type >= RdbType.STREAM_LISTPACKS_3) w.as("Stream short read reading active time.", () => w.skip(8));
      for (let pel = w.as("Stream consumer PEL num loading failed.", () => w.count()); pel > 0; pel--) {
        w.as("Stream short read reading PEL streamID.", () => w.skip(16));
      }
    }
  }
}

/** Reads past one value, checking its framing (and LZF strings). */
function skipValue(w: Walker, type: number): void {
  switch (type) {
    case RdbType.STRING:
    case RdbType.HASH_ZIPMAP:
    case RdbType.LIST_ZIPLIST:
    case RdbType.SET_INTSET:
    case RdbType.ZSET_ZIPLIST:
    case RdbType.HASH_ZIPLIST:
    case RdbType.HASH_LISTPACK:
    case RdbType.ZSET_LISTPACK:
    case RdbType.SET_LISTPACK:
      w.stringBytes();
      return;
    case RdbType.LIST:
    case RdbType.SET:
    case RdbType.LIST_QUICKLIST:
      for (let n = w.count(); n > 0; n--) w.stringBytes();
      return;
    case RdbType.HASH:
      for (let n = w.count(); n > 0; n--) w.stringBytes(), w.stringBytes();
      return;
    case RdbType.ZSET:
      for (let n = w.count(); n > 0; n--) {
        w.stringBytes();
        const l = w.u8();
        if (l < 253) w.skip(l);
      }
      return;
    case RdbType.ZSET_2:
      for (let n = w.count(); n > 0; n--) w.stringBytes(), w.skip(8);
      return;
    case RdbType.LIST_QUICKLIST_2:
      for (let n = w.count(); n > 0; n--) {
        const container = w.count();
        if (container !== 1 && container !== 2) w.fail(`Quicklist integrity check failed.`);
        w.stringBytes();
      }
      return;
    case RdbType.STREAM_LISTPACKS:
    case RdbType.STREAM_LISTPACKS_2:
    case RdbType.STREAM_LISTPACKS_3:
      skipStream(w, type);
      return;
    case RdbType.MODULE_2:
      w.count(); // module id
      skipModuleValue(w);
      return;
    case RdbType.MODULE_PRE_GA:
      w.fail("Module pre-release values are not supported");
      return;
    default:
      w.fail(`Unknown RDB encoding type ${type}`);
  }
}

/**
 * Decodes one loadable key's value with the shared decoder: the record's bytes wrapped in a minimal
 * file of the same version. Throws the decoder's RdbError when the encoding inside is bad.
 */
export function decodeRecord(bytes: Uint8Array, record: RdbRecord, version: number): Value | undefined {
  const body = bytes.subarray(record.start, record.end);
  const trailer = version >= 5 ? 9 : 1;
  const mini = new Uint8Array(9 + body.length + trailer);
  mini.set(ascii(`REDIS${String(version).padStart(4, "0")}`), 0);
  mini.set(body, 9);
  mini[9 + body.length] = Opcode.EOF; // the 8-byte trailer stays 0: "not computed", so not checked
  let value: Value | undefined;
  decodeRdb(mini, (_db, _key, v) => (value = v));
  return value;
}

/**
 * Walks the file, calling back for each AUX field, SELECTDB and key. Throws RdbCheckError at the first
 * problem, with the offset redis-check-rdb reports (the bytes successfully read before it).
 */
export function walkRdb(bytes: Uint8Array, events: RdbWalkEvents = {}, opts: RdbWalkOptions = {}): RdbWalkResult {
  const w = new Walker(bytes);
  const maxVersion = opts.maxVersion ?? REDIS_7_0_RDB_VERSION;
  const validate = opts.validateValues ?? true;
  if (bytes.length < 9) w.fail(EOF_REASON, 0);
  w.pos = 9;
  if (latin1(bytes, 0, 5) !== "REDIS") w.fail("Wrong signature trying to load DB from file");
  const version = parseInt(latin1(bytes, 5, 9), 10) || 0;
  if (version < 1 || version > maxVersion) w.fail(`Can't handle RDB format version ${version}`);
  let db = 0;
  let expireAt: number | undefined;
  for (;;) {
    w.doing = "read-type";
    const type = w.u8();
    switch (type) {
      case Opcode.EXPIRETIME:
        w.doing = "read-expire";
        w.need(4);
        expireAt = new DataView(bytes.buffer, bytes.byteOffset + w.pos, 4).getInt32(0, true) * 1000;
        w.pos += 4;
        continue;
      case Opcode.EXPIRETIME_MS:
        w.doing = "read-expire";
        expireAt = w.msTime();
        continue;
      case Opcode.FREQ:
        w.doing = "read-type";
        w.u8();
        continue;
      case Opcode.IDLE:
        w.count();
        continue;
      case Opcode.SELECTDB:
        w.doing = "read-len";
        db = w.count();
        events.selectDb?.(db, w.pos);
        continue;
      case Opcode.RESIZEDB:
        w.doing = "read-len";
        w.count();
        w.count();
        continue;
      case Opcode.SLOT_INFO:
        w.doing = "read-len";
        w.count();
        w.count();
        w.count();
        continue;
      case Opcode.AUX: {
        w.doing = "read-aux";
        const name = w.string();
        const value = w.string();
        events.aux?.(name, value, w.pos);
        continue;
      }
      case Opcode.MODULE_AUX: {
        w.doing = "read-module-aux";
        w.count(); // module id
        const whenOpcode = w.count();
        w.count(); // when
        if (whenOpcode !== 2) w.fail(`bad when_opcode ${whenOpcode} in module aux data`);
        skipModuleValue(w);
        continue;
      }
      case Opcode.FUNCTION2:
        w.doing = "read-functions";
        w.as("Failed loading library, Failed loading library payload", () => w.stringBytes());
        events.function?.(w.pos);
        continue;
      case Opcode.FUNCTION_PRE_GA:
        w.doing = "read-functions";
        w.stringBytes();
        w.stringBytes();
        if (w.count()) w.stringBytes();
        w.stringBytes();
        events.function?.(w.pos);
        continue;
      case Opcode.EOF: {
        if (version < 5) return { version, checksum: "none", end: w.pos };
        w.doing = "check-sum";
        const at = w.pos;
        const stored = w.u64le();
        if (stored === 0n) return { version, checksum: "disabled", end: w.pos };
        if (new Crc64().update(bytes.subarray(0, at)).value !== stored) w.fail("RDB CRC error");
        return { version, checksum: "ok", end: w.pos };
      }
    }
    const start = w.pos - 1;
    w.keyType = type;
    w.doing = "read-key";
    const key = w.string();
    w.key = key;
    events.keyName?.(key, type);
    w.doing = "read-object-value";
    if (!OBJECT_TYPES.has(type)) w.fail(`Unknown RDB encoding type ${type}`);
    skipValue(w, type);
    const record: RdbRecord = { db, key, type, expireAt, start, end: w.pos };
    if (validate && loadable(type)) {
      try {
        decodeRecord(bytes, record, version);
      } catch (e) {
        if (!(e instanceof RdbError)) throw e;
        w.fail(e.reason);
      }
    }
    events.key?.(record);
    expireAt = undefined;
    w.key = null;
    w.keyType = null;
  }
}
