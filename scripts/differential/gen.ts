// The differential test's vocabulary and generator kit: a small key space of mixed types and small
// alphabets, the seeded chooser (Gen) every generator draws from, and the argument helpers the
// families share. Each family's generators are in their own file beside this one.

// ---------------------------------------------------------------------------------------------------
// The generator's vocabulary: a small key space of mixed types and small alphabets, so sets overlap,
// SORT's BY/GET patterns find keys, and commands hit WRONGTYPE.

/** The command families, named after the engine's files (a command belongs to the file that defines it). */
export type Family = "strings" | "keys" | "server" | "hashes" | "sets" | "lists" | "zsets" | "hyperloglog" | "bits" | "sort" | "geo";

type Kind = "string" | "hash" | "set" | "intset" | "list" | "zset" | "zlex" | "hll" | "bits" | "geo";

/** 20 keys, each with the type its commands favour (others use it now and then, for WRONGTYPE paths). */
const KEY_KINDS: [string, Kind][] = [
  ["k0", "string"], ["k1", "string"], ["k2", "hash"], ["k3", "hash"], ["k4", "intset"], ["k5", "set"],
  ["k6", "list"], ["k7", "list"], ["k8", "zset"], ["k9", "zset"], ["k10", "hll"], ["k11", "hll"],
  ["k12", "bits"], ["k13", "bits"], ["k14", "set"],
  // Members added with one score, so lex ranges are specified (with mixed scores Redis leaves them unspecified).
  ["k15", "zlex"],
  // SORT … BY w_* / GET w_*->f1 look these up by element ("a", "b", "1", "2").
  ["w_a", "string"], ["w_b", "string"], ["w_1", "hash"], ["w_2", "hash"],
  // Sorted sets of geohash scores (geo.ts).
  ["g0", "geo"], ["g1", "geo"], ["g2", "geo"],
];
export const KEY_SPACE: readonly string[] = KEY_KINDS.map(([k]) => k);

export const SMALL = ["a", "b", "c", "d", "e"];
const INTS = ["0", "1", "2", "3", "10", "-1", "42", "-100", "65536", "4294967296", "9223372036854775807", "-9223372036854775808"];
const ODD_MEMBERS = ["x y", "", "\xff\x00", "007", "9223372036854775808", "1.5", "A", "aa", "\xc3\xa9"];
export const LONG = "L".repeat(70);
const FIELDS = ["f1", "f2", "f3", "a", "b", "1", "2", "-3", ""];
const VALUES = [
  "v", "hello", "", "0", "1", "-1", "12", "7", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
  "1.5", "3.0", "1e3", " 1", "+1", "01", "10.50", "abc", "x".repeat(44), "y".repeat(45), "\x00\x01\xff", "inf", "-0", "0.1",
];
export const INCRS = ["1", "-1", "5", "100", "-100", "0", "9223372036854775807", "-9223372036854775808", "1.5", "abc", "", "01", "+1", " 2"];
const FLOATS = [
  "0.1", "1.5", "-2.5", "1e3", "3", "0", "-0.1", "1e-5", "0.2", "10.5", "5.0e2", "17.123456789012345678", "-0",
  "abc", "inf", "-inf", "nan", "1e308", "1e400", "", " 1", "0x10", ".5", "5.",
];
const SCORES = [
  "0", "1", "-1", "2", "2.5", "0.1", "1e-300", "-0", "+inf", "-inf", "inf", "1e308", "-1e308", "100", "3", "1.5e3",
  ".5", "5.", "1e-320", "0.30000000000000004", "123456789012345678",
];
const BAD_FLOATS = ["nan", "abc", "", "1e400", "-1e-400", "0x10", " 1", "1 ", "1e", "--1"];
export const INDEXES = ["0", "1", "2", "3", "-1", "-2", "-3", "5", "-10", "100", "-100"];
const BAD_INTS = ["abc", "1.5", "", " 1", "99999999999999999999", "0x1", "+1"];
export const PATTERNS = ["*", "k*", "w_?", "k1*", "[kw]_*", "*a*", "k[^1]*", "\\*", "k1[0-5]", "*2"];
export const MEMBER_PATTERNS = ["*", "a*", "?", "[a-c]", "*1*", "-*", "f*", "x\\ y", "L*"];

/** Relative expiries (seconds, ms) far from the absolute ones, so GT/LT never compare close times. */
export const REL_SECONDS = ["100000", "250000", "1000000", "5000000"];
export const REL_MS = ["100000000", "2500000000", "7000000000"];
/** Absolute expiries in 2096: EXPIREAT/PEXPIREAT and EXAT/PXAT are exact on both sides. */
export const ABS_SECONDS = ["4000000000", "4000001000", "4000002000", "4000005000"];
export const ABS_MS = ["4000000000000", "4000000500123", "4000001000000", "4000003000999"];
/** Times already past (the immediate-delete path): relative ones ≤ 0, absolute ones in 1970. */
export const PAST_REL = ["0", "-5", "-1000"];
export const PAST_ABS = ["1", "0", "-5", "100"];

/**
 * The seeded draws every generator here is built on: Gen below, and the stream and script
 * generators (streams.ts, scripting.ts), which keep their own vocabularies.
 */
export class Draws {
  constructor(readonly rnd: () => number) {}
  /** A whole number from 0 to n - 1. */
  below(n: number): number {
    return Math.floor(this.rnd() * n);
  }
  chance(p: number): boolean {
    return this.rnd() < p;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.below(a.length)];
  }
}

/** Seeded choices; every generator draws only from it, so a seed names one command stream. */
export class Gen extends Draws {
  int(lo: number, hi: number): number {
    return lo + this.below(hi - lo + 1);
  }
  /** A command name, now and then in another case (commands are case-insensitive). */
  name(n: string): string {
    const r = this.rnd();
    return r < 0.8 ? n.toUpperCase() : r < 0.95 ? n.toLowerCase() : n[0].toUpperCase() + n.slice(1).toLowerCase();
  }
  /** An option word, now and then lower-case. */
  word(w: string): string {
    return this.chance(0.15) ? w.toLowerCase() : w;
  }
  /** A key, mostly one favouring this kind of value. */
  key(...kinds: Kind[]): string {
    if (kinds.length > 0 && this.chance(0.88)) {
      const fit = KEY_KINDS.filter(([, k]) => kinds.includes(k));
      if (fit.length > 0) return this.pick(fit)[0];
    }
    return this.pick(KEY_SPACE);
  }
  keys(lo: number, hi: number, ...kinds: Kind[]): string[] {
    return Array.from({ length: this.int(lo, hi) }, () => this.key(...kinds));
  }
  member(ints = false): string {
    const r = this.rnd();
    if (ints) return r < 0.9 ? this.pick(INTS) : this.pick(SMALL);
    if (r < 0.5) return this.pick(SMALL);
    if (r < 0.8) return this.pick(INTS.slice(0, 8));
    if (r < 0.97) return this.pick(ODD_MEMBERS);
    return LONG;
  }
  members(lo: number, hi: number, ints = false): string[] {
    return Array.from({ length: this.int(lo, hi) }, () => this.member(ints));
  }
  field(): string {
    return this.chance(0.02) ? LONG : this.pick(FIELDS);
  }
  value(): string {
    return this.chance(0.01) ? LONG : this.pick(VALUES);
  }
  /** An integer argument: mostly small and valid, sometimes not an integer at all. */
  intArg(valid: readonly string[] = INDEXES, bad = 0.04): string {
    return this.chance(bad) ? this.pick(BAD_INTS) : this.pick(valid);
  }
  count(): string {
    return this.intArg(["0", "1", "2", "3", "5", "10", "-1", "-3", "-5", "100"]);
  }
  score(): string {
    return this.chance(0.04) ? this.pick(BAD_FLOATS) : this.pick(SCORES);
  }
  float(): string {
    return this.pick(FLOATS);
  }
  scoreBound(): string {
    const r = this.rnd();
    if (r < 0.04) return this.pick(["x", "((1", "nan", "[1"]);
    if (r < 0.2) return this.pick(["-inf", "+inf", "inf"]);
    const s = this.pick(["0", "1", "2", "2.5", "3", "-1", "0.1", "100", "-0"]);
    return this.chance(0.3) ? "(" + s : s;
  }
  lexBound(): string {
    const r = this.rnd();
    if (r < 0.04) return this.pick(["a", "", "{b"]);
    if (r < 0.25) return this.pick(["-", "+"]);
    return this.pick(["[", "("]) + this.pick([...SMALL, "1", "10", "", "b1"]);
  }
  /** [timeout] for the blocking commands: short, so an empty key waits a few ms on Redis. */
  timeout(): string {
    return this.chance(0.05) ? this.pick(["-1", "abc"]) : this.pick(["0.01", "0.02"]);
  }
  /** Options in random order. */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.rnd() * (i + 1));
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  }
}

export interface CommandGen {
  family: Family;
  /** Lower-case command name: the generator runs only when the engine knows it. */
  name: string;
  weight: number;
  /** Blocking commands are never mutated (a mangled timeout of 0 would block Redis for good). */
  blocking?: boolean;
  gen(g: Gen): string[];
}

export const c = (family: Family, name: string, weight: number, gen: (g: Gen, n: string) => string[], blocking = false): CommandGen => ({
  family,
  name,
  weight,
  blocking,
  gen: (g) => gen(g, g.name(name)),
});

export function expiryOption(g: Gen, withPersist: boolean, withKeepTtl: boolean): string[] {
  const r = g.rnd();
  if (r < 0.2) return [g.word("EX"), g.pick(REL_SECONDS)];
  if (r < 0.35) return [g.word("PX"), g.pick(REL_MS)];
  if (r < 0.5) return [g.word("EXAT"), g.pick(ABS_SECONDS)];
  if (r < 0.6) return [g.word("PXAT"), g.pick(ABS_MS)];
  if (r < 0.7) return [g.word(g.pick(["EXAT", "PXAT"])), "1"];
  if (r < 0.8) return [g.word(g.pick(["EX", "PX"])), g.pick(["0", "-1", "abc", "9223372036854775807", "9223372036854776"])];
  if (withKeepTtl && r < 0.92) return [g.word("KEEPTTL")];
  if (withPersist && r < 0.92) return [g.word("PERSIST")];
  return [g.word("EX")];
}

export function scanOptions(g: Gen, patterns: readonly string[], type: boolean): string[] {
  const out: string[][] = [];
  if (g.chance(0.5)) out.push([g.word("MATCH"), g.pick(patterns)]);
  if (g.chance(0.5)) out.push([g.word("COUNT"), g.chance(0.05) ? g.pick(["0", "-1", "abc"]) : g.pick(["1", "2", "5", "10", "100"])]);
  if (type && g.chance(0.3)) out.push([g.word("TYPE"), g.pick(["string", "hash", "set", "zset", "list", "stream", "nosuch"])]);
  return g.shuffle(out).flat();
}

export const flat = (pairs: string[][]): string[] => pairs.flat();
export const range = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

/** Number of keys then the keys: sometimes a wrong numkeys for the error paths. */
export function numkeys(g: Gen, keys: string[]): string[] {
  const r = g.rnd();
  if (r < 0.03) return ["0", ...keys];
  if (r < 0.06) return [String(keys.length + 2), ...keys];
  if (r < 0.08) return ["abc", ...keys];
  if (r < 0.09) return ["-1", ...keys];
  return [String(keys.length), ...keys];
}

export function limit(g: Gen): string[] {
  return [g.word("LIMIT"), g.intArg(["0", "1", "2", "-1"], 0.02), g.intArg(["0", "1", "2", "3", "-1", "10"], 0.02)];
}
