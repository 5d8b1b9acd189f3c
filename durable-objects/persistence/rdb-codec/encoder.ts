// RDB encoder: version 10 (loads in Redis 7.0 and later), choosing the encodings Redis 7.0 itself
// would: int-encoded strings, LZF when rdbcompression is on and it saves space, listpacks for small
// hashes and zsets, intsets for small integer sets, lists as quicklists of ≤ 8 KB listpack nodes,
// ZSET_2 and plain hashes/sets when big, streams as STREAM_LISTPACKS_2. It streams: keys are written one at a time and the bytes
// taken in chunks, with a running CRC-64 for the trailer.

import { formatG, parseInt64 } from "../../engine/bytes.js";
import type { Config } from "../../engine/config.js";
import type { LoadedAccess as KeyAccess } from "../../engine/keyspace.js";
import { type Value, RedisHash, RedisList, RedisSet, RedisStream, RedisZSet, isEmptyValue } from "../../engine/types/index.js";
import { writeStream } from "./stream.js";
import { encodeIntset, encodeListpack, listpackEntrySize } from "./blobs.js";
import { Crc64 } from "./checksum.js";
import { Container, LIST_NODE_BYTES, Opcode, RDB_VERSION, RdbType, StringEncoding } from "./constants.js";
import { lzfCompress } from "./lzf.js";

export interface WriterOptions {
  compression?: boolean;
  checksum?: boolean;
  /** For the listpack/intset thresholds (hash-max-listpack-entries, …); Redis 7.0's defaults otherwise. */
  config?: Config;
}

export interface HeaderAux {
  ctimeSec: number;
  usedMem: number;
  aofBase: boolean;
}

const num = (config: Config | undefined, name: string, dflt: number) => (config ? config.getNumber(name) : dflt);

/** A zset score as Redis 7.0's d2string writes it into a listpack. */
export function scoreText(s: number): string {
  if (s === Infinity) return "inf";
  if (s === -Infinity) return "-inf";
  if (s === 0) return "0";
  if (Number.isInteger(s) && s > -4503599627370495 && s < 4503599627370496) return String(s);
  return formatG(s, 17);
}

export class RdbWriter {
  private buf = new Uint8Array(64 * 1024);
  private len = 0;
  private readonly crc = new Crc64();
  private readonly compression: boolean;
  private readonly checksum: boolean;
  private readonly hashEntries: number;
  private readonly hashValue: number;
  private readonly zsetEntries: number;
  private readonly zsetValue: number;
  private readonly intsetEntries: number;
  private finished = false;

  constructor(opts: WriterOptions = {}) {
    this.compression = opts.compression ?? true;
    this.checksum = opts.checksum ?? true;
    this.hashEntries = num(opts.config, "hash-max-listpack-entries", 128);
    this.hashValue = num(opts.config, "hash-max-listpack-value", 64);
    this.zsetEntries = num(opts.config, "zset-max-listpack-entries", 128);
    this.zsetValue = num(opts.config, "zset-max-listpack-value", 64);
    this.intsetEntries = num(opts.config, "set-max-intset-entries", 512);
  }

  /** Bytes buffered and not yet taken. */
  get buffered(): number {
    return this.len;
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  private u8(v: number): void {
    this.ensure(1);
    this.buf[this.len++] = v;
  }
  private raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  private latin1(s: string): void {
    this.ensure(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.len++] = s.charCodeAt(i);
  }

  /** LEN in its shortest form. */
  private length(n: number): void {
    if (n < 64) this.u8(n);
    else if (n < 16384) {
      this.u8(0x40 | (n >> 8));
      this.u8(n & 0xff);
    } else if (n <= 0xffffffff) {
      this.ensure(5);
      this.buf[this.len++] = 0x80;
      new DataView(this.buf.buffer).setUint32(this.len, n, false);
      this.len += 4;
    } else {
      this.ensure(9);
      this.buf[this.len++] = 0x81;
      new DataView(this.buf.buffer).setBigUint64(this.len, BigInt(n), false);
      this.len += 8;
    }
  }

  /** STR: integer encoding for short canonical ints, LZF when it pays, else raw. */
  private string(s: string): void {
    if (s.length <= 11) {
      const n = parseInt64(s);
      if (n !== null && n >= -2147483648n && n <= 2147483647n) {
        const v = Number(n);
        if (v >= -128 && v <= 127) {
          this.u8(0xc0 | StringEncoding.INT8);
          this.u8(v & 0xff);
        } else if (v >= -32768 && v <= 32767) {
          this.u8(0xc0 | StringEncoding.INT16);
          this.u8(v & 0xff);
          this.u8((v >> 8) & 0xff);
        } else {
          this.u8(0xc0 | StringEncoding.INT32);
          this.ensure(4);
          new DataView(this.buf.buffer).setInt32(this.len, v, true);
          this.len += 4;
        }
        return;
      }
    }
    if (this.compression && s.length > 20) {
      const bytes = new Uint8Array(s.length);
      for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
      if (this.tryLzf(bytes)) return;
      this.length(bytes.length);
      this.raw(bytes);
      return;
    }
    this.length(s.length);
    this.latin1(s);
  }

  /** A blob (listpack, intset) as STR, LZF-compressed when that saves space, as Redis does. */
  private blob(b: Uint8Array): void {
    if (this.compression && b.length > 20 && this.tryLzf(b)) return;
    this.length(b.length);
    this.raw(b);
  }

  private tryLzf(b: Uint8Array): boolean {
    const c = lzfCompress(b, b.length - 4);
    if (!c) return false;
    this.u8(0xc0 | StringEncoding.LZF);
    this.length(c.length);
    this.length(b.length);
    this.raw(c);
    return true;
  }

  private aux(name: string, value: string): void {
    this.u8(Opcode.AUX);
    this.string(name);
    this.string(value);
  }

  header(h: HeaderAux): void {
    this.latin1(`REDIS${String(RDB_VERSION).padStart(4, "0")}`);
    this.aux("redis-ver", "7.0.15");
    this.aux("redis-bits", "64");
    this.aux("ctime", String(h.ctimeSec));
    this.aux("used-mem", String(h.usedMem));
    this.aux("aof-base", h.aofBase ? "1" : "0");
  }

  /** A function library (FUNCTION2: its code), written after the header as Redis's rdbSaveFunctions does. */
  writeFunction(code: string): void {
    this.u8(Opcode.FUNCTION2);
    this.string(code);
  }

  selectDb(db: number, size: number, expiresSize: number): void {
    this.u8(Opcode.SELECTDB);
    this.length(db);
    this.u8(Opcode.RESIZEDB);
    this.length(size);
    this.length(expiresSize);
  }

  /** A key: its expiry, its last access (IDLE under an LRU policy, FREQ under LFU, as Redis saves them), its value. */
  writeKey(key: string, value: Value, expireAt: number | undefined, access?: KeyAccess): void {
    if (this.finished) throw new Error("RdbWriter: writeKey after finish");
    if (isEmptyValue(value)) return;
    if (expireAt !== undefined) {
      this.u8(Opcode.EXPIRETIME_MS);
      this.ensure(8);
      new DataView(this.buf.buffer).setBigInt64(this.len, BigInt(expireAt), true);
      this.len += 8;
    }
    if (access?.idle !== undefined) {
      this.u8(Opcode.IDLE);
      this.length(access.idle);
    }
    if (access?.freq !== undefined) {
      this.u8(Opcode.FREQ);
      this.u8(access.freq);
    }
    if (typeof value === "string") {
      this.u8(RdbType.STRING);
      this.string(key);
      this.string(value);
    } else if (value instanceof RedisList) this.list(key, value);
    else if (value instanceof RedisSet) this.set(key, value);
    else if (value instanceof RedisZSet) this.zset(key, value);
    else if (value instanceof RedisStream) this.stream(key, value);
    else this.hash(key, value as RedisHash);
  }

  private list(key: string, l: RedisList): void {
    // Nodes of at most 8 KB (list-max-listpack-size -2), cut where Redis's quicklist cuts them: a
    // node takes another element while its bytes + the element's length + 8 stay within 8192.
    const nodes: string[][] = [];
    let node: string[] = [];
    let bytes = 7;
    for (const e of l.values()) {
      if (node.length > 0 && bytes + e.length + 8 > LIST_NODE_BYTES) {
        nodes.push(node);
        node = [];
        bytes = 7;
      }
      node.push(e);
      bytes += listpackEntrySize(e);
    }
    if (node.length) nodes.push(node);
    this.u8(RdbType.LIST_QUICKLIST_2);
    this.string(key);
    this.length(nodes.length);
    for (const n of nodes) {
      this.length(Container.PACKED);
      this.blob(encodeListpack(n));
    }
  }

  private set(key: string, s: RedisSet): void {
    const members = [...s.values()];
    const allInts = members.length <= this.intsetEntries && members.every((m) => m.length <= 20 && parseInt64(m) !== null);
    if (allInts) {
      this.u8(RdbType.SET_INTSET);
      this.string(key);
      this.blob(encodeIntset(members));
      return;
    }
    this.u8(RdbType.SET);
    this.string(key);
    this.length(members.length);
    for (const m of members) this.string(m);
  }

  private zset(key: string, z: RedisZSet): void {
    const entries = [...z.entries()];
    if (entries.length <= this.zsetEntries && entries.every(([m]) => m.length <= this.zsetValue)) {
      const flat: string[] = [];
      for (const [m, s] of entries) flat.push(m, scoreText(s));
      this.u8(RdbType.ZSET_LISTPACK);
      this.string(key);
      this.blob(encodeListpack(flat));
      return;
    }
    this.u8(RdbType.ZSET_2);
    this.string(key);
    this.length(entries.length);
    // Redis writes skiplists from the highest score down.
    for (let i = entries.length - 1; i >= 0; i--) {
      this.string(entries[i][0]);
      this.ensure(8);
      new DataView(this.buf.buffer).setFloat64(this.len, entries[i][1], true);
      this.len += 8;
    }
  }

  /** A stream as Redis 7.0 saves it: STREAM_LISTPACKS_2 (see stream.ts). */
  private stream(key: string, s: RedisStream): void {
    this.u8(RdbType.STREAM_LISTPACKS_2);
    this.string(key);
    writeStream(
      {
        string: (x) => this.string(x),
        blob: (b) => this.blob(b),
        bigLength: (n) => this.bigLength(n),
        raw: (b) => this.raw(b),
        millis: (ms) => {
          this.ensure(8);
          new DataView(this.buf.buffer).setBigInt64(this.len, BigInt(ms), true);
          this.len += 8;
        },
      },
      s,
    );
  }

  /** LEN for values up to 2^64 - 1 (stream IDs and counters). */
  private bigLength(n: bigint): void {
    if (n <= 0xffffffffn) return this.length(Number(n));
    this.ensure(9);
    this.buf[this.len++] = 0x81;
    new DataView(this.buf.buffer).setBigUint64(this.len, n, false);
    this.len += 8;
  }

  private hash(key: string, h: RedisHash): void {
    const entries = [...h.entries()];
    if (entries.length <= this.hashEntries && entries.every(([f, v]) => f.length <= this.hashValue && v.length <= this.hashValue)) {
      this.u8(RdbType.HASH_LISTPACK);
      this.string(key);
      this.blob(encodeListpack(entries.flat()));
      return;
    }
    this.u8(RdbType.HASH);
    this.string(key);
    this.length(entries.length);
    for (const [f, v] of entries) {
      this.string(f);
      this.string(v);
    }
  }

  /** The CRC-64 written in the trailer, once finished (0 when rdbchecksum is off). */
  trailer = 0n;

  /** EOF and the CRC-64 trailer (0 when rdbchecksum is off). */
  finish(): void {
    if (this.finished) return;
    this.u8(Opcode.EOF);
    const body = this.buf.subarray(0, this.len);
    if (this.checksum) this.crc.update(body);
    const crc = this.checksum ? this.crc.value : 0n;
    this.trailer = crc;
    this.ensure(8);
    new DataView(this.buf.buffer).setBigUint64(this.len, crc, true);
    this.len += 8;
    this.finished = true;
  }

  /** The bytes written since the last take. */
  takeChunk(): Uint8Array {
    const out = this.buf.slice(0, this.len);
    // After finish the trailer is not part of the checksum; before it, every byte is.
    if (!this.finished && this.checksum) this.crc.update(out);
    this.len = 0;
    return out;
  }
}

/** A whole dataset as one RDB file (tests, export, restore). */
export function encodeRdb(
  entries: Iterable<[key: string, value: Value, expireAt: number | undefined, access?: KeyAccess]>,
  opts: WriterOptions & { ctimeSec?: number; aofBase?: boolean; functions?: readonly string[] } = {},
): Uint8Array {
  const list = [...entries];
  const w = new RdbWriter(opts);
  w.header({ ctimeSec: opts.ctimeSec ?? Math.floor(Date.now() / 1000), usedMem: 0, aofBase: opts.aofBase ?? false });
  for (const code of opts.functions ?? []) w.writeFunction(code);
  if (list.length > 0) w.selectDb(0, list.length, list.filter((e) => e[2] !== undefined).length);
  const chunks: Uint8Array[] = [w.takeChunk()];
  for (const [k, v, e, a] of list) w.writeKey(k, v, e, a);
  w.finish();
  chunks.push(w.takeChunk());
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
