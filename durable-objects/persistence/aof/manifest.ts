// Redis 7's multi-part AOF manifest (appendonly.aof.manifest): one `file <name> seq <n> type <b|h|i>`
// line per file. Parsed with the rules and error texts of Redis 7.0's loader, and written byte for
// byte as Redis writes it, so a directory we export loads in redis-server and one it made loads here.

import { AOF_FILENAME, AofError, MANIFEST_MAX_LINE, MANIFEST_SUFFIX } from "./format.js";

/** b: the base; h: history (waiting for deletion, never loaded); i: incremental. */
export type AofFileType = "b" | "h" | "i";

export interface AofFileInfo {
  name: string;
  seq: number;
  type: AofFileType;
}

export interface AofManifest {
  base: AofFileInfo | null;
  /** In manifest order, which is load order; sequence numbers strictly increase. */
  incrs: AofFileInfo[];
  history: AofFileInfo[];
}

export interface ManifestParseOptions {
  /** Refuse a manifest with no base (Redis loads the incremental files alone). */
  requireBase?: boolean;
  /** Refuse holes in the incremental sequence numbers (Redis only wants them increasing). */
  contiguous?: boolean;
}

// Redis's error texts (aofLoadManifestFromFile), so logs read the same.
const INVALID = "Invalid AOF manifest file format";

/** Parses a manifest's text (bytes as a byte string). Throws AofError with the line's offset and number. */
export function parseManifest(text: string, opts: ManifestParseOptions = {}): AofManifest {
  const manifest: AofManifest = { base: null, incrs: [], history: [] };
  if (text.length === 0) throw new AofError("AOF_MANIFEST_EMPTY", "Found an empty AOF manifest", 0, { line: 0 });
  let offset = 0;
  let lineNo = 0;
  let lastIncrSeq = 0;
  while (offset < text.length) {
    lineNo++;
    const nl = text.indexOf("\n", offset);
    const lineEnd = nl < 0 ? text.length : nl + 1;
    const raw = text.slice(offset, lineEnd);
    const lineStart = offset;
    const fail = (code: AofError["code"], reason: string) => new AofError(code, reason, lineStart, { line: lineNo });
    offset = lineEnd;
    if (raw.startsWith("#")) continue;
    // Redis reads lines into a buffer of MANIFEST_MAX_LINE bytes and wants the newline inside it,
    // so a final line without one is refused too.
    if (nl < 0 || raw.length > MANIFEST_MAX_LINE) {
      throw fail("AOF_MANIFEST_BAD_FORMAT", "The AOF manifest file contains too long line");
    }
    const line = trim(raw);
    if (line.length === 0) throw fail("AOF_MANIFEST_BAD_FORMAT", INVALID);
    const args = splitArgs(line);
    if (args === null || args.length < 6 || args.length % 2 !== 0) throw fail("AOF_MANIFEST_BAD_FORMAT", INVALID);
    let name: string | null = null;
    let seq = 0;
    let type: string | null = null;
    // Keys in any order and any case; unknown pairs are ignored, for forward compatibility.
    for (let i = 0; i < args.length; i += 2) {
      const k = args[i].toLowerCase();
      const v = args[i + 1];
      if (k === "file") {
        if (v.includes("/") || v.includes("\\")) throw fail("AOF_MANIFEST_BAD_FORMAT", "File can't be a path, just a filename");
        name = v;
      } else if (k === "seq") {
        // Redis takes atoll's reading; we want the positive decimal Redis itself writes.
        seq = /^[1-9]\d{0,15}$/.test(v) ? Number(v) : 0;
      } else if (k === "type") {
        type = v.length > 0 ? v[0] : "";
      }
    }
    if (name === null || name.length === 0 || seq === 0 || type === null || type.length === 0) {
      throw fail("AOF_MANIFEST_BAD_FORMAT", INVALID);
    }
    const info = { name, seq, type } as AofFileInfo;
    if (type === "b") {
      if (manifest.base) throw fail("AOF_MANIFEST_DUPLICATE_BASE", "Found duplicate base file information");
      manifest.base = info;
    } else if (type === "h") {
      manifest.history.push(info);
    } else if (type === "i") {
      if (seq <= lastIncrSeq) throw fail("AOF_MANIFEST_BAD_SEQUENCE", "Found a non-monotonic sequence number");
      if (opts.contiguous && lastIncrSeq !== 0 && seq !== lastIncrSeq + 1) {
        throw fail("AOF_MANIFEST_SEQUENCE_GAP", `Incremental file sequence jumps from ${lastIncrSeq} to ${seq}`);
      }
      lastIncrSeq = seq;
      manifest.incrs.push(info);
    } else {
      throw fail("AOF_MANIFEST_BAD_FORMAT", "Unknown AOF file type");
    }
  }
  if (opts.requireBase && manifest.base === null) {
    throw new AofError("AOF_MANIFEST_NO_BASE", "The AOF manifest has no base file", text.length, { line: lineNo });
  }
  return manifest;
}

/** The manifest's text as Redis writes it: base, then history, then incremental files. */
export function serializeManifest(m: AofManifest): string {
  let out = "";
  const line = (f: AofFileInfo) => {
    out += `file ${needsQuoting(f.name) ? quote(f.name) : f.name} seq ${f.seq} type ${f.type}\n`;
  };
  if (m.base) line(m.base);
  m.history.forEach(line);
  m.incrs.forEach(line);
  return out;
}

/** The files to load, in order: the base (if any), then each incremental file. */
export function loadOrder(m: AofManifest): AofFileInfo[] {
  return m.base ? [m.base, ...m.incrs] : [...m.incrs];
}

/** Redis's file names: `appendonly.aof.<seq>.base.rdb|aof`, `appendonly.aof.<seq>.incr.aof`. */
export const baseFileName = (seq: number, format: "rdb" | "aof", prefix = AOF_FILENAME): string => `${prefix}.${seq}.base.${format}`;
export const incrFileName = (seq: number, prefix = AOF_FILENAME): string => `${prefix}.${seq}.incr.aof`;
export const manifestFileName = (prefix = AOF_FILENAME): string => `${prefix}${MANIFEST_SUFFIX}`;

// --- Quoting, as redis-cli arguments: what the manifest's writer and reader agree on -------------

const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d);
const isPrint = (c: number) => c >= 0x20 && c <= 0x7e;

/** Trims spaces, tabs, CR and LF from both ends (the set Redis trims manifest lines with). */
function trim(s: string): string {
  const ws = (c: number) => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
  let a = 0;
  let b = s.length;
  while (a < b && ws(s.charCodeAt(a))) a++;
  while (b > a && ws(s.charCodeAt(b - 1))) b--;
  return s.slice(a, b);
}

function needsQuoting(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c || c === 0x22 || !isPrint(c) || isSpace(c)) return true;
  }
  return s.length === 0;
}

const ESCAPES: Record<string, string> = { "\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\x07": "\\a", "\b": "\\b" };

/** A double-quoted form with backslash escapes and \xHH for other unprintable bytes. */
function quote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    out += ESCAPES[ch] ?? (isPrint(c) ? ch : `\\x${c.toString(16).padStart(2, "0")}`);
  }
  return out + '"';
}

const UNESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t", b: "\b", a: "\x07" };
const HEX = /^[0-9a-fA-F]{2}$/;

/**
 * Splits a line into arguments the way redis-cli does: whitespace separates; "double quotes" take
 * \n \r \t \b \a \xHH and \<any>; 'single quotes' take only \'; a closing quote must be followed by
 * whitespace or the end. Returns null on unbalanced quotes.
 */
export function splitArgs(line: string): string[] | null {
  const args: string[] = [];
  let p = 0;
  const n = line.length;
  for (;;) {
    while (p < n && isSpace(line.charCodeAt(p))) p++;
    if (p >= n) return args;
    let cur = "";
    /** The quote character of the quoted section being read, or null outside quotes. */
    let quote: string | null = null;
    for (;;) {
      if (quote !== null) {
        if (p >= n) return null;
        const ch = line[p];
        const next = p + 1 < n ? line[p + 1] : "";
        if (ch === "\\" && quote === '"' && next === "x" && HEX.test(line.slice(p + 2, p + 4))) {
          cur += String.fromCharCode(parseInt(line.slice(p + 2, p + 4), 16));
          p += 4;
        } else if (ch === "\\" && quote === '"' && next !== "") {
          cur += UNESCAPES[next] ?? next;
          p += 2;
        } else if (ch === "\\" && quote === "'" && next === "'") {
          cur += "'";
          p += 2;
        } else if (ch === quote) {
          p++;
          if (p < n && !isSpace(line.charCodeAt(p))) return null;
          break;
        } else {
          cur += ch;
          p++;
        }
      } else {
        if (p >= n) break;
        const ch = line[p];
        const c = line.charCodeAt(p);
        if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0) break;
        if (ch === '"' || ch === "'") quote = ch;
        else cur += ch;
        p++;
      }
    }
    args.push(cur);
  }
}
