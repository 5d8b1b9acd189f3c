// A streaming reader of AOF records (RESP arrays of bulk strings, encoded by resp.ts) that skips
// `#` annotation lines. It takes chunks of any size; `next()` answers null when it needs more
// bytes and throws on bad format. Byte strings: one char per byte.

export class AofFormatError extends Error {
  readonly code = "AOF_BAD_FORMAT";
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

export class AofParser {
  private buf = "";
  /** Position in `buf` of the first unconsumed byte. */
  private pos = 0;
  /** Bytes dropped from the front of `buf` (so offsets are absolute). */
  private base = 0;
  /** Absolute offset just past the last whole record. */
  offset = 0;
  /** Absolute offset where the last whole record began. */
  lastRecordStart = 0;
  /** Timestamp of the last `#TS:` annotation seen, in seconds. */
  lastTimestamp: number | null = null;

  /** Bytes received but not yet part of a whole record. */
  get buffered(): number {
    return this.buf.length - this.pos;
  }

  feed(chunk: string): void {
    if (this.pos > 0 && this.pos >= this.buf.length / 2) {
      this.base += this.pos;
      this.buf = this.buf.slice(this.pos);
      this.pos = 0;
    }
    this.buf = this.buf.length === 0 ? chunk : this.buf + chunk;
  }

  /** Reads a CRLF-terminated line starting at p; returns [line, next position] or null. */
  private line(p: number): [string, number] | null {
    const end = this.buf.indexOf("\r\n", p);
    if (end < 0) {
      if (this.buf.length - p > 1024) throw new AofFormatError("line too long", this.base + p);
      return null;
    }
    return [this.buf.slice(p, end), end + 2];
  }

  /** The next command, or null when more bytes are needed. */
  next(): string[] | null {
    for (;;) {
      const start = this.pos;
      if (start >= this.buf.length) return null;
      const first = this.buf.charCodeAt(start);
      if (first === 0x23 /* # */) {
        const l = this.line(start);
        if (!l) return null;
        if (l[0].startsWith("#TS:")) this.lastTimestamp = Number(l[0].slice(4));
        this.pos = l[1];
        this.offset = this.base + this.pos;
        continue;
      }
      if (first !== 0x2a /* * */) throw new AofFormatError("expected '*' or '#'", this.base + start);
      const head = this.line(start);
      if (!head) return null;
      const argc = parseCount(head[0].slice(1));
      if (argc === null || argc < 1) throw new AofFormatError("invalid multibulk length", this.base + start);
      let p = head[1];
      const argv: string[] = new Array(argc);
      for (let i = 0; i < argc; i++) {
        if (p >= this.buf.length) return null;
        if (this.buf.charCodeAt(p) !== 0x24 /* $ */) throw new AofFormatError("expected '$'", this.base + p);
        const l = this.line(p);
        if (!l) return null;
        const len = parseCount(l[0].slice(1));
        if (len === null) throw new AofFormatError("invalid bulk length", this.base + p);
        const dataEnd = l[1] + len;
        if (dataEnd + 2 > this.buf.length) return null;
        if (this.buf.charCodeAt(dataEnd) !== 0x0d || this.buf.charCodeAt(dataEnd + 1) !== 0x0a) {
          throw new AofFormatError("expected CRLF after bulk data", this.base + dataEnd);
        }
        argv[i] = this.buf.slice(l[1], dataEnd);
        p = dataEnd + 2;
      }
      this.pos = p;
      this.lastRecordStart = this.base + start;
      this.offset = this.base + p;
      return argv;
    }
  }
}

function parseCount(s: string): number | null {
  if (!/^\d{1,10}$/.test(s)) return null;
  return Number(s);
}
