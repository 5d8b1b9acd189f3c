// INCRBYFLOAT and HINCRBYFLOAT arithmetic as Redis does it on x86-64: in C's 80-bit long double (a
// 64-bit significand), parsed as strtold parses, printed as "%.17Lf" with trailing zeros cut. Values
// are exact binary fractions here (significand × 2^exponent, in BigInt), so every rounding step is
// the one the x87 makes: 0.1 + 0.2 is "0.3", 1000 + 0.2 is "1000.20000000000000001".

import { RedisError, nanOrInfinity, notFloat } from "./errors.js";

/** A finite long double: (-1)^negative × significand × 2^exponent, significand < 2^64; or ±infinity. */
export type LongDouble =
  | { kind: "finite"; negative: boolean; significand: bigint; exponent: number }
  | { kind: "inf"; negative: boolean };

const SIGNIFICAND_BITS = 64;
/** Smallest exponent of a significand unit: subnormals end at 2^-16445. */
const MIN_EXPONENT = -16445;
/** Values at or beyond 2^16384 overflow. */
const MAX_BITS = 16384;
/** Redis's MAX_LONG_DOUBLE_CHARS: longer arguments are not floats. */
const MAX_CHARS = 5 * 1024;

const bitLength = (n: bigint): number => (n === 0n ? 0 : n.toString(2).length);

/**
 * Rounds num/den (both ≥ 0) to the nearest long double, ties to even. Returns null on overflow, and
 * a zero significand when the value underflows to zero.
 */
function round(num: bigint, den: bigint): { significand: bigint; exponent: number } | null {
  if (num === 0n) return { significand: 0n, exponent: 0 };
  let e = Math.max(bitLength(num) - bitLength(den) - SIGNIFICAND_BITS, MIN_EXPONENT);
  for (;;) {
    const n = e >= 0 ? num : num << BigInt(-e);
    const d = e >= 0 ? den << BigInt(e) : den;
    let q = n / d;
    const r = n - q * d;
    if (q >= 1n << 64n) {
      e++;
      continue;
    }
    if (q < 1n << 63n && e > MIN_EXPONENT) {
      e--;
      continue;
    }
    if (2n * r > d || (2n * r === d && (q & 1n) === 1n)) q++;
    if (q === 1n << 64n) {
      q = 1n << 63n;
      e++;
    }
    if (q !== 0n && e + bitLength(q) > MAX_BITS) return null;
    return { significand: q, exponent: e };
  }
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const INFINITY = /^([+-]?)(inf|infinity)$/i;

/**
 * Parses a long double as Redis's string2ld: strtold's syntax (decimal, hexadecimal, inf), the whole
 * string, no leading space, no NaN, and no overflow or underflow to zero. Null when it is not one.
 */
export function parseLongDouble(s: string): LongDouble | null {
  if (s.length === 0 || s.length >= MAX_CHARS) return null;
  const inf = INFINITY.exec(s);
  if (inf) return { kind: "inf", negative: inf[1] === "-" };
  let negative: boolean;
  let num: bigint;
  let den = 1n;
  const hex = HEX.exec(s);
  if (hex) {
    const int = hex[2];
    const frac = hex[3] ?? "";
    if (int.length + frac.length === 0) return null;
    negative = hex[1] === "-";
    const mant = BigInt("0x" + (int + frac || "0"));
    const exp = Number(hex[4] ?? "0") - 4 * frac.length;
    if (mant === 0n) return { kind: "finite", negative, significand: 0n, exponent: 0 };
    const lead = bitLength(mant) + exp;
    if (lead > MAX_BITS + 1) return null;
    if (lead < MIN_EXPONENT - 2) return null;
    if (exp >= 0) num = mant << BigInt(exp);
    else {
      num = mant;
      den = 1n << BigInt(-exp);
    }
  } else {
    const dec = DECIMAL.exec(s);
    if (!dec) return null;
    const int = dec[2];
    const frac = dec[3] ?? "";
    if (int.length + frac.length === 0) return null;
    negative = dec[1] === "-";
    const digits = (int + frac).replace(/^0+/, "");
    if (digits.length === 0) return { kind: "finite", negative, significand: 0n, exponent: 0 };
    const exp = Number(dec[4] ?? "0") - frac.length;
    // The decimal exponent of the leading digit: far outside the range, skip the big arithmetic.
    const lead = exp + digits.length - 1;
    if (lead > 4933) return null;
    if (lead < -4952) return null;
    const m = BigInt(digits);
    if (exp >= 0) num = m * 10n ** BigInt(exp);
    else {
      num = m;
      den = 10n ** BigInt(-exp);
    }
  }
  const r = round(num, den);
  if (r === null || r.significand === 0n) return null;
  return { kind: "finite", negative, significand: r.significand, exponent: r.exponent };
}

/** The sum, rounded once, as the x87 adds; null when it is NaN or infinite. */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | null {
  if (a.kind === "inf" || b.kind === "inf") return null;
  const e = Math.min(a.exponent, b.exponent);
  const scaled = (x: typeof a) => (x.negative ? -1n : 1n) * (x.significand << BigInt(x.exponent - e));
  const sum = scaled(a) + scaled(b);
  // x + (-x) is +0 in round-to-nearest; -0 + -0 stays -0.
  const negative = sum < 0n || (sum === 0n && a.negative && b.negative);
  const abs = sum < 0n ? -sum : sum;
  const r = e >= 0 ? round(abs << BigInt(e), 1n) : round(abs, 1n << BigInt(-e));
  if (r === null) return null;
  return { kind: "finite", negative, significand: r.significand, exponent: r.exponent };
}

/** "%.17Lf" with trailing zeros (and a bare '.') removed, and "-0" as "0": Redis's LD_STR_HUMAN. */
export function formatLongDoubleHuman(v: LongDouble): string {
  if (v.kind === "inf") return v.negative ? "-inf" : "inf";
  let text: string;
  if (v.exponent >= 0) text = (v.significand << BigInt(v.exponent)).toString();
  else {
    // Round significand / 2^-exponent to 17 decimals, ties to even (glibc's printf).
    const den = 1n << BigInt(-v.exponent);
    const n = v.significand * 10n ** 17n;
    let q = n / den;
    const r = n - q * den;
    if (2n * r > den || (2n * r === den && (q & 1n) === 1n)) q++;
    const digits = q.toString().padStart(18, "0");
    const int = digits.slice(0, -17);
    const frac = digits.slice(-17).replace(/0+$/, "");
    text = frac ? `${int}.${frac}` : int;
  }
  return v.negative && text !== "0" ? "-" + text : text;
}

/**
 * INCRBYFLOAT's step: the current value (undefined: 0) plus the increment, formatted. Throws
 * Redis's errors: `notCurrent` when the current value is not a float, "not a valid float" for the
 * increment, and "would produce NaN or Infinity".
 */
export function incrByFloat(current: string | undefined, increment: string, notCurrent: () => RedisError = notFloat): string {
  const cur = current === undefined ? ZERO : parseLongDouble(current);
  if (cur === null) throw notCurrent();
  const by = parseLongDouble(increment);
  if (by === null) throw notFloat();
  const sum = addLongDouble(cur, by);
  if (sum === null) throw nanOrInfinity();
  return formatLongDoubleHuman(sum);
}

const ZERO: LongDouble = { kind: "finite", negative: false, significand: 0n, exponent: 0 };

/** A double as the long double it widens to (exactly: every double is one). */
export function fromDouble(x: number): LongDouble {
  if (!Number.isFinite(x)) return { kind: "inf", negative: x < 0 };
  const negative = x < 0 || Object.is(x, -0);
  let m = Math.abs(x);
  if (m === 0) return { kind: "finite", negative, significand: 0n, exponent: 0 };
  // Scale to an integer significand below 2^53; powers of two scale exactly.
  let exponent = 0;
  while (m >= 2 ** 53) {
    m /= 2;
    exponent++;
  }
  while (!Number.isInteger(m)) {
    m *= 2;
    exponent--;
  }
  return { kind: "finite", negative, significand: BigInt(m), exponent };
}

/**
 * C's "%.<digits>f" of a double (glibc: the exact binary value, rounded half to even), as Redis
 * prints coordinates in error texts ("%f" is six digits). Infinities print as "inf"/"-inf".
 */
export function formatFixed(x: number, digits: number): string {
  const v = fromDouble(x);
  if (v.kind === "inf") return v.negative ? "-inf" : "inf";
  let q: bigint;
  if (v.exponent >= 0) q = (v.significand << BigInt(v.exponent)) * 10n ** BigInt(digits);
  else {
    const den = 1n << BigInt(-v.exponent);
    const n = v.significand * 10n ** BigInt(digits);
    q = n / den;
    const r = n - q * den;
    if (2n * r > den || (2n * r === den && (q & 1n) === 1n)) q++;
  }
  const text = q.toString().padStart(digits + 1, "0");
  const body = digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
  return v.negative ? "-" + body : body;
}

/** A double as Redis's addReplyHumanLongDouble prints it: "%.17Lf" with trailing zeros cut. */
export function formatHumanDouble(x: number): string {
  return formatLongDoubleHuman(fromDouble(x));
}
