// RDB decoder: every type and encoding Redis 7.0–7.4 writes for strings, lists, sets, sorted sets and
// hashes (and the older ziplist/zipmap forms), AUX, SELECTDB, RESIZEDB, expiries, IDLE/FREQ, FUNCTION2
// (skipped with a warning), streams (types 15, 19 and 21, see stream.ts). Modules are refused with an error naming the key. The CRC-64
// trailer is verified when asked. Errors carry a code and the byte offset.

import { parseDouble } from "../../engine/bytes.js";
import type { Keyspace, LoadedAccess as KeyAccess } from "../../engine/keyspace.js";
import { type Value, RedisHash, RedisList, RedisSet, RedisZSet, isEmptyValue } from "../../engine/types/index.js";
import { readStream } from "./stream.js";
import { decodeIntset, decodeListpack, decodeZiplist } from "./blobs.js";
import { Crc64 } from "./checksum.js";
import { Container, Opcode, RDB_MAX_READ_VERSION, RdbType } from "./constants.js";
import { RdbError } from "./errors.js";
import { type ReadProblem, RdbReader, latin1 } from "./reader.js";

export interface DecodeOptions {
  /** Verify the CRC-64 trailer (a stored 0 means "not computed" and is accepted). */
  checksum?: boolean;
  /** Each AUX field as it is decoded (a loader reports `used-mem` before the keys have come). */
  onAux?: (key: string, value: string) => void;
  /** Each function library (FUNCTION2 record: the library's code); without it, libraries are skipped with a warning. */
  onFunction?: (code: string) => void;
  /** No LZF string may expand past this many bytes (a load's maxmemory): refused before it is allocated. */
  maxString?: number;
}

export interface DecodeResult {
  version: number;
  aux: Record<string, string>;
  warnings: string[];
  /** Offset just past the trailer: where an AOF preamble's RESP part begins. */
  end: number;
  /** The CRC-64 the trailer holds (0 when the file was saved without one). */
  trailer: bigint;
}

/** The decoder's reader: problems become RdbErrors with a code and the offset of the item. */
/**
 * Thrown instead of an RdbError when a streaming parse runs out of bytes mid-record: it happens at
 * the end of nearly every chunk, and an Error would build a message and a stack trace each time.
 */
const NEED_MORE = Symbol("the record goes on in bytes not here yet");

class Reader extends RdbReader {
  constructor(
    b: Uint8Array,
    /** More bytes may follow: running out is NEED_MORE, not an error. */
    private readonly partial = false,
  ) {
    super(b);
  }

  protected problem(p: ReadProblem, start: number): never {
    switch (p.kind) {
      case "eof":
        if (this.partial) throw NEED_MORE;
        throw new RdbError("RDB_TRUNCATED", `unexpected end of file (needed ${p.needed} more bytes)`, start);
      case "length-encoding":
        throw new RdbError("RDB_BAD_LENGTH", `unknown length encoding 0x${p.byte.toString(16)}`, start);
      case "string-where-count":
        throw new RdbError("RDB_BAD_LENGTH", "a string encoding where a length was expected", start);
      case "string-encoding":
        throw new RdbError("RDB_BAD_LENGTH", `unknown string encoding ${p.encoding}`, start);
      case "lzf":
        throw new RdbError("RDB_BAD_LZF", "invalid LZF-compressed string", start);
      case "too-long":
        throw new RdbError("RDB_OVER_MAXMEMORY", `a string of ${p.length} bytes exceeds maxmemory (${p.limit} bytes)`, start);
    }
  }
}

function score(s: string, at: number): number {
  const v = parseDouble(s) ?? (/^[+-]?nan$/i.test(s) ? NaN : null);
  if (v === null || Number.isNaN(v)) throw new RdbError("RDB_BAD_VALUE", `invalid zset score '${s}'`, at);
  return v;
}

function zsetFrom(pairs: string[], at: number): RedisZSet {
  const z = new RedisZSet();
  if (pairs.length % 2) throw new RdbError("RDB_BAD_VALUE", "odd number of zset elements", at);
  for (let i = 0; i < pairs.length; i += 2) {
    if (!z.add(pairs[i], score(pairs[i + 1], at))) throw new RdbError("RDB_DUPLICATE", "duplicate zset member", at);
  }
  return z;
}

function hashFrom(pairs: string[], at: number): RedisHash {
  const h = new RedisHash();
  if (pairs.length % 2) throw new RdbError("RDB_BAD_VALUE", "odd number of hash elements", at);
  for (let i = 0; i < pairs.length; i += 2) {
    if (!h.set(pairs[i], pairs[i + 1])) throw new RdbError("RDB_DUPLICATE", "duplicate hash field", at);
  }
  return h;
}

function setFrom(members: Iterable<string>, at: number): RedisSet {
  const s = new RedisSet();
  for (const m of members) if (!s.add(m)) throw new RdbError("RDB_DUPLICATE", "duplicate set member", at);
  return s;
}

function readValue(r: Reader, type: number, key: string): Value {
  const at = r.pos;
  const blob = () => {
    const p = r.pos;
    return { bytes: r.stringBytes(), at: p };
  };
  switch (type) {
    case RdbType.STRING:
      return r.string();
    case RdbType.LIST: {
      const l = new RedisList();
      for (let n = r.count(); n > 0; n--) l.pushBack(r.string());
      return l;
    }
    case RdbType.SET: {
      const s = new RedisSet();
      for (let n = r.count(); n > 0; n--) if (!s.add(r.string())) throw new RdbError("RDB_DUPLICATE", "duplicate set member", at);
      return s;
    }
    case RdbType.ZSET:
    case RdbType.ZSET_2: {
      const z = new RedisZSet();
      for (let n = r.count(); n > 0; n--) {
        const m = r.string();
        let sc: number;
        if (type === RdbType.ZSET_2) {
          r.need(8);
          sc = r.dv.getFloat64(r.pos, true);
          r.pos += 8;
        } else {
          const len = r.u8();
          sc = len === 253 ? NaN : len === 254 ? Infinity : len === 255 ? -Infinity : score(latin1(r.bytes(len), 0, len), r.pos);
        }
        if (Number.isNaN(sc)) throw new RdbError("RDB_BAD_VALUE", "zset with NaN score", at);
        if (!z.add(m, sc)) throw new RdbError("RDB_DUPLICATE", "duplicate zset member", at);
      }
      return z;
    }
    case RdbType.HASH: {
      const h = new RedisHash();
      for (let n = r.count(); n > 0; n--) {
        const f = r.string();
        if (!h.set(f, r.string())) throw new RdbError("RDB_DUPLICATE", "duplicate hash field", at);
      }
      return h;
    }
    case RdbType.SET_INTSET: {
      const { bytes, at: p } = blob();
      return setFrom(decodeIntset(bytes, p), p);
    }
    case RdbType.SET_LISTPACK: {
      const { bytes, at: p } = blob();
      return setFrom(decodeListpack(bytes, p), p);
    }
    case RdbType.HASH_LISTPACK:
    case RdbType.HASH_ZIPLIST: {
      const { bytes, at: p } = blob();
      return hashFrom(type === RdbType.HASH_LISTPACK ? decodeListpack(bytes, p) : decodeZiplist(bytes, p), p);
    }
    case RdbType.ZSET_LISTPACK:
    case RdbType.ZSET_ZIPLIST: {
      const { bytes, at: p } = blob();
      return zsetFrom(type === RdbType.ZSET_LISTPACK ? decodeListpack(bytes, p) : decodeZiplist(bytes, p), p);
    }
    case RdbType.LIST_ZIPLIST: {
      const { bytes, at: p } = blob();
      const l = new RedisList();
      for (const e of decodeZiplist(bytes, p)) l.pushBack(e);
      return l;
    }
    case RdbType.LIST_QUICKLIST:
    case RdbType.LIST_QUICKLIST_2: {
      const l = new RedisList();
      for (let n = r.count(); n > 0; n--) {
        const container = type === RdbType.LIST_QUICKLIST_2 ? r.count() : Container.PACKED;
        const { bytes, at: p } = blob();
        if (container === Container.PLAIN) l.pushBack(latin1(bytes, 0, bytes.length));
        else if (container === Container.PACKED) {
          const elems = type === RdbType.LIST_QUICKLIST_2 ? decodeListpack(bytes, p) : decodeZiplist(bytes, p);
          for (const e of elems) l.pushBack(e);
        } else throw new RdbError("RDB_BAD_VALUE", `unknown quicklist container ${container}`, p);
      }
      return l;
    }
    case RdbType.HASH_ZIPMAP: {
      const { bytes, at: p } = blob();
      return hashFrom(decodeZipmap(bytes, p), p);
    }
    case RdbType.STREAM_LISTPACKS:
    case RdbType.STREAM_LISTPACKS_2:
    case RdbType.STREAM_LISTPACKS_3:
      return readStream(r, type, at);
    case RdbType.MODULE_PRE_GA:
    case RdbType.MODULE_2:
      throw new RdbError("RDB_MODULE", `key '${key}' holds a module type, which durable-redis cannot load`, at);
    default:
      throw new RdbError("RDB_UNKNOWN_TYPE", `unknown value type ${type} for key '${key}'`, at);
  }
}

function decodeZipmap(b: Uint8Array, at: number): string[] {
  const out: string[] = [];
  let p = 1;
  const len = () => {
    if (b[p] < 254) return b[p++];
    const n = new DataView(b.buffer, b.byteOffset + p + 1, 4).getUint32(0, true);
    p += 5;
    return n;
  };
  while (p < b.length && b[p] !== 0xff) {
    const fl = len();
    out.push(latin1(b, p, p + fl));
    p += fl;
    const vl = len();
    const free = b[p++];
    out.push(latin1(b, p, p + vl));
    p += vl + free;
    if (p > b.length) throw new RdbError("RDB_BAD_VALUE", "invalid zipmap", at);
  }
  return out;
}

const isEmpty = isEmptyValue;

/**
 * Bytes gathered before a parse is tried again: R2 bodies come in 4 KiB chunks, and a parse per
 * chunk would spend more on restarting than on decoding.
 */
const MIN_PARSE_BYTES = 64 * 1024;

/** Called for every key: positional arguments, so a million keys allocate no entry objects. */
/** `access`: the key's IDLE seconds or FREQ counter, when the file records them. */
export type OnKey = (db: number, key: string, value: Value, expireAt: number | undefined, access: KeyAccess | undefined) => void;

/**
 * A streaming RDB decoder: push the file in chunks of any size (an R2 body as it arrives), then
 * finish(). Each record is decoded once it is whole, so memory holds the dataset plus at most one
 * record's bytes, never the file. The CRC-64 is computed over the bytes as they are consumed.
 */
export class RdbDecoder {
  private buf: Uint8Array = new Uint8Array(0);
  /** File offset of buf[0], for error offsets. */
  private origin = 0;
  /** Chunks waiting until enough bytes have come to retry a record that did not fit. */
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  /** A record did not fit in this many bytes: wait for twice as many (a long record is parsed O(n) times at most twice). */
  private retryAt = 0;
  private readonly crc = new Crc64();
  private version = 0;
  private readonly aux: Record<string, string> = {};
  private readonly warnings: string[] = [];
  private db = 0;
  private expireAt: number | undefined;
  private access: KeyAccess | undefined;
  private end = -1;
  private trailer = 0n;

  constructor(
    private readonly onKey: OnKey,
    private readonly opts: DecodeOptions = {},
  ) {}

  /** Decodes every whole record the bytes so far hold; the rest waits for more. */
  push(chunk: Uint8Array): void {
    if (this.end >= 0) return; // bytes after the trailer (an AOF preamble's RESP tail) are not ours
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.buf.length + this.pendingBytes >= this.retryAt) this.parse(false);
  }

  /** After the last chunk: the file must have ended with EOF and its trailer. */
  finish(): DecodeResult {
    if (this.end < 0) this.parse(true);
    return { version: this.version, aux: this.aux, warnings: this.warnings, end: this.end, trailer: this.trailer };
  }

  private parse(final: boolean): void {
    if (this.buf.length === 0 && this.pending.length === 1) {
      // The usual first push, or a chunk that starts a record: no copy.
      this.buf = this.pending[0];
      this.pending = [];
      this.pendingBytes = 0;
    } else if (this.pending.length > 0) {
      const joined = new Uint8Array(this.buf.length + this.pendingBytes);
      joined.set(this.buf, 0);
      let at = this.buf.length;
      for (const c of this.pending) {
        joined.set(c, at);
        at += c.length;
      }
      this.buf = joined;
      this.pending = [];
      this.pendingBytes = 0;
    }
    const r = new Reader(this.buf, !final);
    if (this.opts.maxString !== undefined) r.maxString = this.opts.maxString;
    let consumed = 0;
    try {
      if (this.version === 0) {
        if (this.buf.length < 9 && !final) return;
        this.header(r);
        consumed = r.pos;
      }
      while (this.end < 0) {
        try {
          this.record(r);
        } catch (e) {
          // The record goes on in bytes not here yet: it is read again, whole, once they have come
          // (a record changes no state before it is whole).
          if (e !== NEED_MORE) throw e;
          break;
        }
        consumed = r.pos;
      }
    } catch (e) {
      if (e instanceof RdbError && this.origin > 0) throw new RdbError(e.code, e.reason, e.offset + this.origin);
      throw e;
    } finally {
      // What was consumed goes into the CRC (up to the EOF opcode, which record() folds in itself)
      // and out of the buffer.
      if (this.end < 0 && this.version !== 0) this.crc.update(this.buf.subarray(0, consumed));
      this.origin += consumed;
      this.buf = this.buf.subarray(consumed);
    }
    if (this.end < 0) this.retryAt = Math.max(this.buf.length * 2, MIN_PARSE_BYTES);
  }

  private header(r: Reader): void {
    const n = Math.min(5, r.b.length);
    const magic = latin1(r.bytes(n), 0, n);
    if (magic !== "REDIS") throw new RdbError("RDB_BAD_MAGIC", "not an RDB file (no REDIS signature)", 0);
    const vtext = latin1(r.bytes(4), 0, 4);
    const version = /^\d{4}$/.test(vtext) ? Number(vtext) : NaN;
    if (!(version >= 1 && version <= RDB_MAX_READ_VERSION)) {
      throw new RdbError("RDB_BAD_VERSION", `can't handle RDB format version ${vtext}`, 5);
    }
    this.version = version;
  }

  /** One opcode and what follows it, or one key and its value. */
  private record(r: Reader): void {
    const at = r.pos;
    const type = r.u8();
    switch (type) {
      case Opcode.EOF: {
        const trailer = this.version >= 5 ? 8 : 0;
        r.need(trailer);
        if (trailer > 0) {
          const stored = r.dv.getBigUint64(r.pos, true);
          this.trailer = stored;
          this.crc.update(r.b.subarray(0, at + 1));
          if (this.opts.checksum && stored !== 0n && this.crc.value !== stored) {
            throw new RdbError("RDB_BAD_CHECKSUM", `wrong RDB checksum: expected ${stored.toString(16)}, got ${this.crc.value.toString(16)}`, r.pos + trailer);
          }
          r.pos += trailer;
        }
        this.end = this.origin + r.pos;
        return;
      }
      case Opcode.SELECTDB:
        this.db = r.count();
        return;
      case Opcode.RESIZEDB:
        r.count();
        r.count();
        return;
      case Opcode.SLOT_INFO:
        r.count();
        r.count();
        r.count();
        return;
      case Opcode.AUX: {
        const k = r.string();
        const v = r.string();
        this.aux[k] = v;
        this.opts.onAux?.(k, v);
        return;
      }
      case Opcode.EXPIRETIME_MS:
        r.need(8);
        this.expireAt = Number(r.dv.getBigInt64(r.pos, true));
        r.pos += 8;
        return;
      case Opcode.EXPIRETIME:
        r.need(4);
        this.expireAt = r.dv.getInt32(r.pos, true) * 1000;
        r.pos += 4;
        return;
      case Opcode.IDLE:
        (this.access ??= {}).idle = r.count();
        return;
      case Opcode.FREQ:
        (this.access ??= {}).freq = r.u8();
        return;
      case Opcode.FUNCTION2: {
        const code = r.string();
        if (this.opts.onFunction) this.opts.onFunction(code);
        else this.warnings.push(`skipped a function library at offset ${this.origin + at}`);
        return;
      }
      case Opcode.FUNCTION_PRE_GA: {
        r.stringBytes();
        r.stringBytes();
        if (r.count()) r.stringBytes();
        r.stringBytes();
        this.warnings.push(`skipped a function at offset ${this.origin + at}: functions are not supported`);
        return;
      }
      case Opcode.MODULE_AUX:
        throw new RdbError("RDB_MODULE", "the file holds module data (MODULE_AUX), which durable-redis cannot load", at);
    }
    const key = r.string();
    const value = readValue(r, type, key);
    const e = this.expireAt;
    const access = this.access;
    this.expireAt = undefined;
    this.access = undefined;
    if (isEmpty(value)) {
      this.warnings.push(`skipped empty key '${key}'`);
      return;
    }
    this.onKey(this.db, key, value, e, access);
  }
}

/** Decodes a whole RDB file held in memory, calling onKey for every key. */
export function decodeRdb(bytes: Uint8Array, onKey: OnKey, opts: DecodeOptions = {}): DecodeResult {
  const decoder = new RdbDecoder(onKey, opts);
  decoder.push(bytes);
  return decoder.finish();
}

export interface LoadOptions extends DecodeOptions {
  /** Drop keys already expired at this time (a master's load). Omit to keep them (an AOF base). */
  now?: number;
  /**
   * The used_memory the keyspace may reach (a restore's maxmemory): a file that passes it is refused
   * as soon as it does, and its LZF strings are bounded by it before they are allocated.
   */
  maxMemory?: number;
}

/** Loads an RDB file into a keyspace (database 0 only) as it streams in: push chunks, then finish(). */
export class RdbLoader {
  keys = 0;
  expired = 0;
  private readonly decoder: RdbDecoder;

  constructor(ks: Keyspace, opts: LoadOptions = {}) {
    const max = opts.maxMemory;
    this.decoder = new RdbDecoder((db, key, value, expireAt, access) => {
      if (db !== 0) throw new RdbError("RDB_BAD_VALUE", `database ${db} is not supported (only 0)`, 0);
      if (opts.now !== undefined && expireAt !== undefined && expireAt <= opts.now) {
        this.expired++;
        return;
      }
      if (!ks.load(key, value, expireAt, access)) throw new RdbError("RDB_DUPLICATE", `duplicated key '${key}'`, 0);
      this.keys++;
      if (max !== undefined && ks.usedMemory > max) {
        throw new RdbError("RDB_OVER_MAXMEMORY", `the dataset exceeds maxmemory (${max} bytes): ${ks.usedMemory} bytes of used_memory after ${this.keys} keys`, 0);
      }
    }, max === undefined ? opts : { ...opts, maxString: max });
  }

  push(chunk: Uint8Array): void {
    this.decoder.push(chunk);
  }

  finish(): DecodeResult & { keys: number; expired: number } {
    return { ...this.decoder.finish(), keys: this.keys, expired: this.expired };
  }
}

/** Loads a whole RDB file into a keyspace (database 0 only). Returns what decodeRdb returns plus counts. */
export function loadRdbInto(ks: Keyspace, bytes: Uint8Array, opts: LoadOptions = {}): DecodeResult & { keys: number; expired: number } {
  const loader = new RdbLoader(ks, opts);
  loader.push(bytes);
  return loader.finish();
}
