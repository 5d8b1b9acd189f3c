// Byte strings: keys and values are JS strings holding one byte per char (Latin-1), which V8
// stores as one-byte strings. These helpers convert at the boundaries and parse numbers as Redis does.

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8");

/** Raw bytes → byte string (one char per byte). */
export function bytesToBinary(bytes: Uint8Array): string {
  // ASCII (most of a log: RESP framing, text keys and values) decodes natively, ten times faster
  // than building the string from char codes; UTF-8 and byte strings agree on it.
  if (isAscii(bytes)) return ASCII_DECODER.decode(bytes);
  let out = "";
  const CHUNK = 8192;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    out += String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK) as unknown as number[]);
  }
  return out;
}

const ASCII_DECODER = new TextDecoder();

/** True when no byte has the high bit set (four at a time where the bytes are aligned). */
function isAscii(b: Uint8Array): boolean {
  const n = b.length;
  let i = 0;
  if ((b.byteOffset & 3) === 0) {
    const words = new Uint32Array(b.buffer, b.byteOffset, n >> 2);
    for (let j = 0; j < words.length; j++) if (words[j] & 0x80808080) return false;
    i = words.length << 2;
  }
  for (; i < n; i++) if (b[i] & 0x80) return false;
  return true;
}

/** Byte string → raw bytes. Chars above 0xFF are a bug upstream; they are truncated to a byte. */
export function binaryToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

const ASCII = /^[\x00-\x7f]*$/;

/** Text (any JS string) → its UTF-8 bytes as a byte string. ASCII passes through unchanged. */
export function textToBinary(s: string): string {
  if (ASCII.test(s)) return s;
  return bytesToBinary(encoder.encode(s));
}

/** Byte string → text, decoding UTF-8 (invalid sequences become U+FFFD). */
export function binaryToText(s: string): string {
  if (ASCII.test(s)) return s;
  return decoder.decode(binaryToBytes(s));
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;
const CANONICAL_INT = /^(0|-?[1-9][0-9]*)$/;

/**
 * Parses a byte string as Redis's string2ll does: canonical decimal (no '+', no leading zeros, no
 * spaces), within int64. Returns null when it is not such a number.
 */
export function parseInt64(s: string): bigint | null {
  if (s.length === 0 || s.length > 20 || !CANONICAL_INT.test(s)) return null;
  const n = BigInt(s);
  if (n > INT64_MAX || n < INT64_MIN) return null;
  return n;
}

/** Like parseInt64 but as a JS number, for arguments that must fit in a safe integer range. */
export function parseSafeInt(s: string): number | null {
  const len = s.length;
  // Up to 15 characters every canonical integer is a safe one: read digit by digit, without the
  // regex and Number() (indexes and counts are parsed on every range read).
  if (len !== 0 && len <= 15) {
    const negative = s.charCodeAt(0) === 0x2d;
    let i = negative ? 1 : 0;
    if (i === len) return null;
    let v = s.charCodeAt(i) - 0x30;
    // No leading zero, and no "-0": "0" stands alone.
    if (v < 0 || v > 9 || (v === 0 && len !== 1)) return null;
    for (i++; i < len; i++) {
      const d = s.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) return null;
      v = v * 10 + d;
    }
    return negative ? -v : v;
  }
  if (len === 0 || len > 20 || !CANONICAL_INT.test(s)) return null;
  const n = Number(s);
  if (!Number.isSafeInteger(n)) {
    const b = parseInt64(s);
    return b === null ? null : Number(b);
  }
  return n;
}

export function isInt64(n: bigint): boolean {
  return n <= INT64_MAX && n >= INT64_MIN;
}

const FLOAT_SYNTAX = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Parses a double as Redis's string2ld/strtold-based parsers accept it: decimal or exponent form,
 * "inf"/"+inf"/"-inf" (any case), no spaces. NaN is refused. Returns null when invalid.
 */
export function parseDouble(s: string): number | null {
  if (s.length === 0 || s.length > 5000) return null;
  const lower = s.toLowerCase();
  if (lower === "inf" || lower === "+inf" || lower === "infinity" || lower === "+infinity") return Infinity;
  if (lower === "-inf" || lower === "-infinity") return -Infinity;
  if (!FLOAT_SYNTAX.test(s)) return null;
  const n = Number(s);
  if (Number.isNaN(n)) return null;
  return n;
}

/**
 * Formats a double as Redis 7.0 replies with it: C's "%.17g" (so 1.1 is "1.1000000000000001"),
 * "inf"/"-inf", and integral values without a fraction.
 */
export function formatDouble(n: number): string {
  if (n === Infinity) return "inf";
  if (n === -Infinity) return "-inf";
  if (Number.isNaN(n)) return "nan";
  if (n === 0) return Object.is(n, -0) ? "-0" : "0";
  return formatG(n, 17);
}

/** C's "%.<precision>g". */
export function formatG(n: number, precision: number): string {
  const exp = Number(n.toExponential(precision - 1).split("e")[1]);
  if (exp < -4 || exp >= precision) {
    const [mant, e] = n.toExponential(precision - 1).split("e");
    const m = mant.includes(".") ? mant.replace(/0+$/, "").replace(/\.$/, "") : mant;
    const ev = Number(e);
    const abs = Math.abs(ev);
    return `${m}e${ev < 0 ? "-" : "+"}${abs < 10 ? "0" + abs : abs}`;
  }
  const fixed = n.toFixed(Math.max(0, precision - 1 - exp));
  return fixed.includes(".") ? fixed.replace(/0+$/, "").replace(/\.$/, "") : fixed;
}

/**
 * Formats a number as INCRBYFLOAT/HINCRBYFLOAT reply with it ("%.17Lf" on a long double, trailing
 * zeros trimmed). Redis computes in 80-bit long double, so 10.5 + 0.1 prints "10.6"; the shortest
 * round-trip form of our double is the closest equivalent.
 */
export function formatLongDouble(n: number): string {
  if (n === Infinity) return "inf";
  if (n === -Infinity) return "-inf";
  if (Number.isInteger(n)) return BigInt(n).toString();
  const shortest = String(n);
  if (!shortest.includes("e")) return shortest;
  const fixed = n.toFixed(17);
  return fixed.replace(/0+$/, "").replace(/\.$/, "");
}

/** Compares two byte strings bytewise (memcmp order), as Redis sorts members and keys. */
export function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** C isspace() in the C locale. */
export const isSpace = (c: string | undefined): boolean =>
  c === " " || c === "\t" || c === "\n" || c === "\v" || c === "\f" || c === "\r";
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";
const isHexDigit = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);

/**
 * C's strtod over a byte string: leading white space, sign, decimal or hex (0x…p…) forms, inf,
 * infinity, nan. Returns the value, how many chars it consumed (0: no number) and whether it was
 * out of range (overflow to ±inf, or a non-zero literal that underflowed to 0: C's ERANGE).
 */
export function strtod(s: string): { value: number; end: number; erange: boolean } {
  const none = { value: 0, end: 0, erange: false };
  let i = 0;
  while (isSpace(s[i])) i++;
  let sign = 1;
  if (s[i] === "+" || s[i] === "-") {
    if (s[i] === "-") sign = -1;
    i++;
  }
  const word = s.slice(i, i + 8).toLowerCase();
  if (word === "infinity") return { value: sign * Infinity, end: i + 8, erange: false };
  if (word.startsWith("inf")) return { value: sign * Infinity, end: i + 3, erange: false };
  if (word.startsWith("nan")) {
    let end = i + 3;
    if (s[end] === "(") {
      let j = end + 1;
      while (j < s.length && /^[0-9A-Za-z_]$/.test(s[j])) j++;
      if (s[j] === ")") end = j + 1;
    }
    return { value: NaN, end, erange: false };
  }
  if (s[i] === "0" && (s[i + 1] === "x" || s[i + 1] === "X") && (isHexDigit(s[i + 2]) || (s[i + 2] === "." && isHexDigit(s[i + 3])))) {
    let j = i + 2;
    let digits = "";
    let fraction = 0;
    while (isHexDigit(s[j])) digits += s[j++];
    if (s[j] === ".") {
      j++;
      while (isHexDigit(s[j])) {
        digits += s[j++];
        fraction++;
      }
    }
    let exp = 0;
    if ((s[j] === "p" || s[j] === "P") && (isDigit(s[j + 1]) || ((s[j + 1] === "+" || s[j + 1] === "-") && isDigit(s[j + 2])))) {
      let k = j + 1;
      let esign = 1;
      if (s[k] === "+" || s[k] === "-") esign = s[k++] === "-" ? -1 : 1;
      let e = 0;
      while (isDigit(s[k])) e = Math.min(e * 10 + Number(s[k++]), 1e6);
      exp = esign * e;
      j = k;
    }
    const mantissa = BigInt("0x" + digits);
    const value = mantissa === 0n ? 0 : Number(mantissa) * 2 ** (exp - 4 * fraction);
    const erange = mantissa !== 0n && (value === 0 || !Number.isFinite(value));
    return { value: sign * value, end: j, erange };
  }
  const start = i;
  let sawDigit = false;
  let nonZero = false;
  while (isDigit(s[i])) {
    sawDigit = true;
    if (s[i] !== "0") nonZero = true;
    i++;
  }
  if (s[i] === ".") {
    i++;
    while (isDigit(s[i])) {
      sawDigit = true;
      if (s[i] !== "0") nonZero = true;
      i++;
    }
  }
  if (!sawDigit) return none;
  if ((s[i] === "e" || s[i] === "E") && (isDigit(s[i + 1]) || ((s[i + 1] === "+" || s[i + 1] === "-") && isDigit(s[i + 2])))) {
    i += 2;
    while (isDigit(s[i])) i++;
  }
  const value = Number(s.slice(start, i));
  const erange = !Number.isFinite(value) || (value === 0 && nonZero);
  return { value: sign * value, end: i, erange };
}
