// Redis's glob-style pattern matching (stringmatchlen): * ? [abc] [^a] [a-z] and \ escapes, bytewise,
// in O(pattern × string) time and O(1) space: no backtracking beyond the last `*` (CVE-2022-36021).
//
// Every token other than `*` consumes exactly one byte, so when a later `*` is reached the earlier
// ones never need to take more: only the last star's start is remembered and advanced on a mismatch.
// The quirks are Redis 7.0's, byte for byte: an empty string matches only an empty pattern; an
// unterminated class runs to the end of the pattern; inside a class `\` escapes only with a byte after
// it and compares case-sensitively even with nocase; range ends compare as C's signed chars.

/** Whether `s` matches the glob `pattern` as Redis's stringmatchlen(pattern, s, nocase) answers. */
export function globMatch(pattern: string, s: string, nocase = false): boolean {
  const plen = pattern.length;
  const slen = s.length;
  // Redis's loop runs only while both are left, so "" matches only "" (not even "*").
  if (slen === 0) return plen === 0;
  let pi = 0;
  let si = 0;
  let starPi = -1; // the pattern position after the last `*` run, or -1 before any
  let starSi = 0; // where the string was when that `*` was reached (plus the bytes it took since)
  while (si < slen) {
    if (pi < plen && pattern.charCodeAt(pi) === STAR) {
      while (pi < plen && pattern.charCodeAt(pi) === STAR) pi++;
      if (pi === plen) return true;
      starPi = pi;
      starSi = si;
      continue;
    }
    const next = pi < plen ? matchToken(pattern, pi, s.charCodeAt(si), nocase) : -1;
    if (next >= 0) {
      pi = next;
      si++;
      continue;
    }
    if (starPi < 0) return false;
    // The last `*` takes one more byte and the rest of the pattern is tried again from there.
    pi = starPi;
    si = ++starSi;
  }
  while (pi < plen && pattern.charCodeAt(pi) === STAR) pi++;
  return pi === plen;
}

const STAR = 0x2a;
const QUESTION = 0x3f;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const CARET = 0x5e;
const BACKSLASH = 0x5c;
const DASH = 0x2d;

/** C's tolower in the "C" locale: ASCII letters only. */
const lower = (c: number): number => (c >= 0x41 && c <= 0x5a ? c + 32 : c);
/** A byte as C's (signed) char on the platforms Redis ships for. */
const signed = (c: number): number => (c >= 0x80 && c <= 0xff ? c - 256 : c);

/**
 * Matches the one non-`*` token at `pi` against byte `c`: the position after the token if it matches,
 * -1 if not. The token's extent never depends on `c`, so a mismatch can be retried from the star.
 */
function matchToken(p: string, pi: number, c: number, nocase: boolean): number {
  const plen = p.length;
  const t = p.charCodeAt(pi);
  if (t === QUESTION) return pi + 1;
  if (t === OPEN) return matchClass(p, pi + 1, c, nocase);
  let at = pi;
  if (t === BACKSLASH && plen - pi >= 2) at++;
  const e = p.charCodeAt(at);
  const same = nocase ? lower(e) === lower(c) : e === c;
  return same ? at + 1 : -1;
}

/** A `[...]` class whose body starts at `pi`; see matchToken. */
function matchClass(p: string, pi: number, c: number, nocase: boolean): number {
  const plen = p.length;
  const negate = pi < plen && p.charCodeAt(pi) === CARET;
  if (negate) pi++;
  let match = false;
  for (;;) {
    const left = plen - pi;
    const t = left > 0 ? p.charCodeAt(pi) : -1;
    if (t === BACKSLASH && left >= 2) {
      pi++;
      if (p.charCodeAt(pi) === c) match = true;
    } else if (t === CLOSE) {
      break;
    } else if (left <= 0) {
      // Unterminated: the class ends with the pattern.
      pi = plen - 1;
      break;
    } else if (left >= 3 && p.charCodeAt(pi + 1) === DASH) {
      let start = signed(t);
      let end = signed(p.charCodeAt(pi + 2));
      let x = signed(c);
      if (start > end) [start, end] = [end, start];
      if (nocase) {
        start = lower(start);
        end = lower(end);
        x = lower(x);
      }
      pi += 2;
      if (x >= start && x <= end) match = true;
    } else if (nocase ? lower(t) === lower(c) : t === c) {
      match = true;
    }
    pi++;
  }
  if (negate) match = !match;
  return match ? pi + 1 : -1;
}
