// A minimal ustar (POSIX.1-1988) writer and reader for backup archives: regular files and
// directories, names up to 100 bytes (or 255 with the prefix field). The reader also steps over pax
// and GNU extension headers, so an archive repacked by GNU or BSD tar still reads.

const BLOCK = 512;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface TarEntry {
  name: string;
  data: Uint8Array;
  /** Seconds since the epoch. */
  mtime?: number;
}

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
    yield header(e.name, e.data.length, mtime, "0");
    yield e.data;
    const pad = (BLOCK - (e.data.length % BLOCK)) % BLOCK;
    if (pad) yield new Uint8Array(pad);
  }
  yield new Uint8Array(BLOCK * 2);
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

/** The regular files of an archive, in order. Throws on a bad header checksum or a cut archive. */
export function untar(bytes: Uint8Array): TarEntry[] {
  const out: TarEntry[] = [];
  let pos = 0;
  let longName: string | null = null;
  let paxPath: string | null = null;
  while (pos + BLOCK <= bytes.length) {
    const h = bytes.subarray(pos, pos + BLOCK);
    if (h.every((b) => b === 0)) return out;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
    if (sum !== number(h, 148, 8)) throw new Error(`tar: bad header checksum at offset ${pos}`);
    const size = number(h, 124, 12);
    const type = String.fromCharCode(h[156] || 48);
    const dataStart = pos + BLOCK;
    if (dataStart + size > bytes.length) throw new Error(`tar: archive cut short in the entry at offset ${pos}`);
    const data = bytes.subarray(dataStart, dataStart + size);
    pos = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (type === "L") {
      longName = field(data, 0, data.length);
      continue;
    }
    if (type === "x") {
      // pax records: "<len> key=value\n"; only the path matters here.
      const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(decoder.decode(data));
      if (m) paxPath = m[1];
      continue;
    }
    if (type === "g") continue;
    const prefix = field(h, 345, 155);
    const name = paxPath ?? longName ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
    paxPath = longName = null;
    if (type === "0" || type === "7") out.push({ name, data, mtime: number(h, 136, 12) });
  }
  throw new Error("tar: archive ends without its end-of-archive blocks");
}
