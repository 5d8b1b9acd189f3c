// RDB decoder: every type and encoding Redis 7.0–7.4 writes for strings, lists, sets, sorted sets and
// hashes (and the older ziplist/zipmap forms), AUX, SELECTDB, RESIZEDB, expiries, IDLE/FREQ, FUNCTION2
// (skipped with a warning). Modules and streams are refused with an error naming the key. The CRC-64
// trailer is verified when asked. Errors carry a code and the byte offset.

import { parseDouble } from "../../engine/bytes.js";
import type { Keyspace } from "../../engine/keyspace.js";
import { type Value, RedisHash, RedisList, RedisSet, RedisZSet } from "../../engine/types/index.js";
import { decodeIntset, decodeListpack, decodeZiplist } from "./blobs.js";
import { Crc64 } from "./checksum.js";
import { Container, Opcode, RDB_MAX_READ_VERSION, RdbType } from "./constants.js";
import { RdbError } from "./errors.js";
import { type ReadProblem, RdbReader, latin1 } from "./reader.js";

export interface DecodeOptions {
  /** Verify the CRC-64 trailer (a stored 0 means "not computed" and is accepted). */
  checksum?: boolean;
}

export interface DecodeResult {
  version: number;
  aux: Record<string, string>;
  warnings: string[];
  /** Offset just past the trailer: where an AOF preamble's RESP part begins. */
  end: number;
}

/** The decoder's reader: problems become RdbErrors with a code and the offset of the item. */
class Reader extends RdbReader {
  protected problem(p: ReadProblem, start: number): never {
    switch (p.kind) {
      case "eof":
        throw new RdbError("RDB_TRUNCATED", `unexpected end of file (needed ${p.needed} more bytes)`, start);
      case "length-encoding":
        throw new RdbError("RDB_BAD_LENGTH", `unknown length encoding 0x${p.byte.toString(16)}`, start);
      case "string-where-count":
        throw new RdbError("RDB_BAD_LENGTH", "a string encoding where a length was expected", start);
      case "string-encoding":
        throw new RdbError("RDB_BAD_LENGTH", `unknown string encoding ${p.encoding}`, start);
      case "lzf":
        throw new RdbError("RDB_BAD_LZF", "invalid LZF-compressed string", start);
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
      throw new RdbError("RDB_STREAM", `key '${key}' is a stream, which durable-redis does not support`, at);
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

function isEmpty(v: Value): boolean {
  return typeof v !== "string" && ("length" in v ? v.length === 0 : v.size === 0);
}

/** Walks an RDB file, calling onEntry for every key. */
/** Called for every key: positional arguments, so a million keys allocate no entry objects. */
export type OnKey = (db: number, key: string, value: Value, expireAt: number | undefined) => void;

export function decodeRdb(bytes: Uint8Array, onKey: OnKey, opts: DecodeOptions = {}): DecodeResult {
  const r = new Reader(bytes);
  const magic = latin1(r.bytes(Math.min(5, bytes.length)), 0, Math.min(5, bytes.length));
  if (magic !== "REDIS") throw new RdbError("RDB_BAD_MAGIC", "not an RDB file (no REDIS signature)", 0);
  const vtext = latin1(r.bytes(4), 0, 4);
  const version = /^\d{4}$/.test(vtext) ? Number(vtext) : NaN;
  if (!(version >= 1 && version <= RDB_MAX_READ_VERSION)) {
    throw new RdbError("RDB_BAD_VERSION", `can't handle RDB format version ${vtext}`, 5);
  }
  const aux: Record<string, string> = {};
  const warnings: string[] = [];
  let db = 0;
  let expireAt: number | undefined;
  for (;;) {
    const at = r.pos;
    const type = r.u8();
    switch (type) {
      case Opcode.EOF: {
        if (version >= 5) {
          const stored = r.bytes(8);
          const storedValue = new DataView(stored.buffer, stored.byteOffset, 8).getBigUint64(0, true);
          if (opts.checksum && storedValue !== 0n) {
            const computed = new Crc64().update(bytes.subarray(0, at + 1)).value;
            if (computed !== storedValue) {
              throw new RdbError("RDB_BAD_CHECKSUM", `wrong RDB checksum: expected ${storedValue.toString(16)}, got ${computed.toString(16)}`, r.pos);
            }
          }
        }
        return { version, aux, warnings, end: r.pos };
      }
      case Opcode.SELECTDB:
        db = r.count();
        continue;
      case Opcode.RESIZEDB:
        r.count();
        r.count();
        continue;
      case Opcode.SLOT_INFO:
        r.count();
        r.count();
        r.count();
        continue;
      case Opcode.AUX: {
        const k = r.string();
        aux[k] = r.string();
        continue;
      }
      case Opcode.EXPIRETIME_MS:
        r.need(8);
        expireAt = Number(r.dv.getBigInt64(r.pos, true));
        r.pos += 8;
        continue;
      case Opcode.EXPIRETIME:
        r.need(4);
        expireAt = r.dv.getInt32(r.pos, true) * 1000;
        r.pos += 4;
        continue;
      case Opcode.IDLE:
        r.count();
        continue;
      case Opcode.FREQ:
        r.u8();
        continue;
      case Opcode.FUNCTION2:
        r.stringBytes();
        warnings.push(`skipped a function library at offset ${at}: functions are not supported`);
        continue;
      case Opcode.FUNCTION_PRE_GA: {
        r.stringBytes();
        r.stringBytes();
        if (r.count()) r.stringBytes();
        r.stringBytes();
        warnings.push(`skipped a function at offset ${at}: functions are not supported`);
        continue;
      }
      case Opcode.MODULE_AUX:
        throw new RdbError("RDB_MODULE", "the file holds module data (MODULE_AUX), which durable-redis cannot load", at);
    }
    const key = r.string();
    const value = readValue(r, type, key);
    const e = expireAt;
    expireAt = undefined;
    if (isEmpty(value)) {
      warnings.push(`skipped empty key '${key}'`);
      continue;
    }
    onKey(db, key, value, e);
  }
}

export interface LoadOptions extends DecodeOptions {
  /** Drop keys already expired at this time (a master's load). Omit to keep them (an AOF base). */
  now?: number;
}

/** Loads an RDB file into a keyspace (database 0 only). Returns what decodeRdb returned plus counts. */
export function loadRdbInto(ks: Keyspace, bytes: Uint8Array, opts: LoadOptions = {}): DecodeResult & { keys: number; expired: number } {
  let keys = 0;
  let expired = 0;
  const result = decodeRdb(
    bytes,
    (db, key, value, expireAt) => {
      if (db !== 0) throw new RdbError("RDB_BAD_VALUE", `database ${db} is not supported (only 0)`, 0);
      if (opts.now !== undefined && expireAt !== undefined && expireAt <= opts.now) {
        expired++;
        return;
      }
      if (!ks.load(key, value, expireAt)) throw new RdbError("RDB_DUPLICATE", `duplicated key '${key}'`, 0);
      keys++;
    },
    opts,
  );
  return { ...result, keys, expired };
}
