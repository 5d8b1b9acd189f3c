// A minimal ustar (POSIX.1-1988) writer and reader for backup archives: regular files and
// directories, names up to 100 bytes (or 255 with the prefix field). The reader also steps over pax
// and GNU extension headers, so an archive repacked by GNU or BSD tar still reads. Large files are
// written from disk a chunk at a time, and tarDigests checks an archive as a stream.

import { createHash } from "node:crypto";
import { closeSync, openSync, readSync } from "node:fs";

const BLOCK = 512;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface TarEntry {
  name: string;
  /** The file's bytes, or (for a large file) `path` and `size` to stream it from disk. */
  data?: Uint8Array;
  path?: string;
  size?: number;
  /** Seconds since the epoch. */
  mtime?: number;
}

/** A regular file read from an archive (untar): its bytes are there. */
export type TarFile = TarEntry & { data: Uint8Array };

function octal(n: number, width: number): string {
  // width - 1 digits and a NUL, as ustar writes numeric fields.
  return n.toString(8).padStart(width - 1, "0") + "\0";
}

function put(block: Uint8Array, offset: number, text: string, width: number): void {
  const bytes = encoder.encode(text);
  if (bytes.length > width) throw new Error(`tar: '${text}' does not fit in ${width} bytes`);
  block.set(bytes, offset);
}

/** The name and prefix fields of a path (prefix/name split at a '/' when the name is long). */
function splitName(path: string): [string, string] {
  if (encoder.encode(path).length <= 100) return [path, ""];
  for (let i = path.lastIndexOf("/"); i > 0; i = path.lastIndexOf("/", i - 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (encoder.encode(prefix).length <= 155 && encoder.encode(name).length <= 100) return [name, prefix];
  }
  throw new Error(`tar: path too long: ${path}`);
}

function header(path: string, size: number, mtime: number, type: "0" | "5"): Uint8Array {
  const h = new Uint8Array(BLOCK);
  const [name, prefix] = splitName(path);
  put(h, 0, name, 100);
  put(h, 100, octal(type === "5" ? 0o755 : 0o644, 8), 8);
  put(h, 108, octal(0, 8), 8);
  put(h, 116, octal(0, 8), 8);
  put(h, 124, octal(size, 12), 12);
  put(h, 136, octal(mtime, 12), 12);
  put(h, 148, "        ", 8);
  put(h, 156, type, 1);
  put(h, 257, "ustar\0", 6);
  put(h, 263, "00", 2);
  put(h, 265, "root", 32);
  put(h, 297, "root", 32);
  put(h, 345, prefix, 155);
  let sum = 0;
  for (const b of h) sum += b;
  put(h, 148, sum.toString(8).padStart(6, "0") + "\0 ", 8);
  return h;
}

/** The archive's blocks in order: each directory once, each file's header and padded data, two zero blocks. */
export function* tarBlocks(entries: Iterable<TarEntry>): Generator<Uint8Array> {
  const dirs = new Set<string>();
  for (const e of entries) {
    const mtime = Math.floor(e.mtime ?? Date.now() / 1000);
    const parts = e.name.split("/");
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join("/") + "/";
      if (!dirs.has(dir)) {
        dirs.add(dir);
        yield header(dir, 0, mtime, "5");
      }
    }
    const size = e.data ? e.data.length : e.size!;
    yield header(e.name, size, mtime, "0");
    if (e.data) yield e.data;
    else yield* fileChunks(e.path!, size);
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (pad) yield new Uint8Array(pad);
  }
  yield new Uint8Array(BLOCK * 2);
}

/** A file's bytes, a mebibyte at a time; it must still be `size` bytes long. */
function* fileChunks(path: string, size: number): Generator<Uint8Array> {
  const fd = openSync(path, "r");
  try {
    let got = 0;
    for (;;) {
      const chunk = new Uint8Array(1 << 20);
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      got += n;
      yield chunk.subarray(0, n);
    }
    if (got !== size) throw new Error(`tar: ${path} changed size while being archived`);
  } finally {
    closeSync(fd);
  }
}

const field = (b: Uint8Array, offset: number, width: number): string => {
  const raw = b.subarray(offset, offset + width);
  const end = raw.indexOf(0);
  return decoder.decode(end < 0 ? raw : raw.subarray(0, end));
};

const number = (b: Uint8Array, offset: number, width: number): number => {
  const text = field(b, offset, width).trim();
  return text === "" ? 0 : parseInt(text, 8);
};

interface Header {
  size: number;
  type: string;
  /** The name fields' path (an extension header may replace it). */
  name: string;
  mtime: number;
}

/** A header block: null for an end-of-archive (zero) block; throws on a bad checksum. */
function readHeader(h: Uint8Array, at: number): Header | null {
  if (h.every((b) => b === 0)) return null;
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
  if (sum !== number(h, 148, 8)) throw new Error(`tar: bad header checksum at offset ${at}`);
  const prefix = field(h, 345, 155);
  return {
    size: number(h, 124, 12),
    type: String.fromCharCode(h[156] || 48),
    name: prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100),
    mtime: number(h, 136, 12),
  };
}

/** GNU long names ("L") and pax paths ("x"): extension headers that name the entry after them. */
class LongNames {
  private longName: string | null = null;
  private paxPath: string | null = null;

  static isExtension(type: string): boolean {
    return type === "L" || type === "x";
  }

  /** Takes an extension header's data. */
  take(type: string, data: Uint8Array): void {
    if (type === "L") this.longName = field(data, 0, data.length);
    // pax records: "<len> key=value\n"; only the path matters here.
    else this.paxPath = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(decoder.decode(data))?.[1] ?? this.paxPath;
  }

  /** The entry's name, and the extensions are used up. */
  name(header: Header): string {
    const name = this.paxPath ?? this.longName ?? header.name;
    this.paxPath = this.longName = null;
    return name;
  }
}

const isFile = (type: string) => type === "0" || type === "7";

/** The regular files of an archive, in order. Throws on a bad header checksum or a cut archive. */
export function untar(bytes: Uint8Array): TarFile[] {
  const out: TarFile[] = [];
  const names = new LongNames();
  for (let pos = 0; pos + BLOCK <= bytes.length; ) {
    const h = readHeader(bytes.subarray(pos, pos + BLOCK), pos);
    if (!h) return out;
    const dataStart = pos + BLOCK;
    if (dataStart + h.size > bytes.length) throw new Error(`tar: archive cut short in the entry at offset ${pos}`);
    const data = bytes.subarray(dataStart, dataStart + h.size);
    pos = dataStart + Math.ceil(h.size / BLOCK) * BLOCK;
    if (LongNames.isExtension(h.type)) names.take(h.type, data);
    else if (h.type !== "g") {
      const name = names.name(h);
      if (isFile(h.type)) out.push({ name, data, mtime: h.mtime });
    }
  }
  throw new Error("tar: archive ends without its end-of-archive blocks");
}

/** Bytes from an async stream of chunks, taken a given number at a time. */
class ByteSource {
  private buf = new Uint8Array(0);
  private readonly it: AsyncIterator<Uint8Array>;
  offset = 0;

  constructor(chunks: AsyncIterable<Uint8Array>) {
    this.it = chunks[Symbol.asyncIterator]();
  }

  /** Makes at least n bytes available; false when the stream ends first. */
  private async fill(n: number): Promise<boolean> {
    while (this.buf.length < n) {
      const r = await this.it.next();
      if (r.done) return false;
      const joined = new Uint8Array(this.buf.length + r.value.length);
      joined.set(this.buf, 0);
      joined.set(r.value, this.buf.length);
      this.buf = joined;
    }
    return true;
  }

  /** Exactly n bytes (n small), or null at the end of the stream. */
  async take(n: number): Promise<Uint8Array | null> {
    if (!(await this.fill(n))) return null;
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    this.offset += n;
    return out;
  }

  /** Passes the next n bytes to `sink` in the pieces they came in; false when the stream ends first. */
  async pass(n: number, sink: (piece: Uint8Array) => void): Promise<boolean> {
    while (n > 0) {
      if (this.buf.length === 0 && !(await this.fill(1))) return false;
      const piece = this.buf.subarray(0, Math.min(n, this.buf.length));
      sink(piece);
      this.buf = this.buf.subarray(piece.length);
      this.offset += piece.length;
      n -= piece.length;
    }
    return true;
  }
}

/**
 * Reads an archive as a stream (a gunzip's output), one chunk at a time: the size and SHA-256 of every
 * regular file, and each file's bytes passed to the sink `open` returns for it (none: not kept).
 * Throws as untar does on a bad header or a cut archive.
 */
export async function tarStream(
  chunks: AsyncIterable<Uint8Array>,
  open: (name: string, size: number) => ((piece: Uint8Array) => void) | null = () => null,
): Promise<Map<string, { size: number; sha256: string }>> {
  const out = new Map<string, { size: number; sha256: string }>();
  const src = new ByteSource(chunks);
  const names = new LongNames();
  for (;;) {
    const at = src.offset;
    const block = await src.take(BLOCK);
    if (!block) throw new Error("tar: archive ends without its end-of-archive blocks");
    const h = readHeader(block, at);
    if (!h) return out;
    const padded = Math.ceil(h.size / BLOCK) * BLOCK;
    const cut = () => new Error(`tar: archive cut short in the entry at offset ${at}`);
    if (LongNames.isExtension(h.type)) {
      const data = await src.take(padded);
      if (!data) throw cut();
      names.take(h.type, data.subarray(0, h.size));
      continue;
    }
    const name = h.type === "g" ? null : names.name(h);
    const sink = name !== null && isFile(h.type) ? open(name, h.size) : null;
    const hash = createHash("sha256");
    const ok = await src.pass(h.size, (piece) => {
      hash.update(piece);
      sink?.(piece);
    });
    if (!ok || !(await src.pass(padded - h.size, () => {}))) throw cut();
    if (name !== null && isFile(h.type)) out.set(name, { size: h.size, sha256: hash.digest("hex") });
  }
}

/** The size and SHA-256 of every regular file of an archive read as a stream. */
export const tarDigests = (chunks: AsyncIterable<Uint8Array>) => tarStream(chunks);
