// Differential test of the engine against a real redis-server 7: a seeded stream of random commands over
// every command family, each run in-process on our Engine and over a socket on Redis, every reply and
// every written key compared. Used by scripts/differential.test.ts and scripts/differential-cli.mjs.

import { mkdtempSync, rmSync } from "node:fs";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keyPositions } from "../durable-objects/engine/command.js";
import { Engine } from "../durable-objects/engine/engine.js";
import { seededRandom } from "../durable-objects/engine/testing.js";
import { binaryToBytes, bytesToBinary, compareBytes, formatDouble, parseDouble } from "../durable-objects/engine/bytes.js";
import { objectEncoding } from "../durable-objects/engine/encoding.js";
import { type Reply, isErrorReply, isStatusReply } from "../durable-objects/engine/reply.js";
import { RedisHash, RedisList, RedisSet, RedisZSet, type Value } from "../durable-objects/engine/types/index.js";
import { RespReplyParser, encodeCommand } from "../durable-objects/persistence/resp.js";
import { findBinary, startRedis } from "../durable-objects/persistence/testing/redis.js";
import { stringCommands } from "../durable-objects/engine/commands/strings.js";
import { keyCommands } from "../durable-objects/engine/commands/keys.js";
import { serverCommands } from "../durable-objects/engine/commands/server.js";
import { hashCommands } from "../durable-objects/engine/commands/hashes.js";
import { setCommands } from "../durable-objects/engine/commands/sets.js";
import { listCommands } from "../durable-objects/engine/commands/lists.js";
import { zsetCommands } from "../durable-objects/engine/commands/zsets.js";
import { hyperloglogCommands } from "../durable-objects/engine/commands/hyperloglog.js";
import { bitCommands } from "../durable-objects/engine/commands/bits.js";
import { sortCommands } from "../durable-objects/engine/commands/sort.js";
import { geoCommands } from "../durable-objects/engine/commands/geo.js";
import { GEO_GENERATORS } from "./differential-geo.js";

// ---------------------------------------------------------------------------------------------------
// Families: a command belongs to the file that defines it (LCS may land in strings or bits).

export type Family = "strings" | "keys" | "server" | "hashes" | "sets" | "lists" | "zsets" | "hyperloglog" | "bits" | "sort" | "geo";

const FAMILY_FILES: [Family, { name: string }[]][] = [
  ["strings", stringCommands],
  ["keys", keyCommands],
  ["server", serverCommands],
  ["hashes", hashCommands],
  ["sets", setCommands],
  ["lists", listCommands],
  ["zsets", zsetCommands],
  ["hyperloglog", hyperloglogCommands],
  ["bits", bitCommands],
  ["sort", sortCommands],
  ["geo", geoCommands],
];

/** The family a command is defined in, or the one its generator names when the engine lacks it. */
export function familyOf(name: string): Family {
  const lower = name.toLowerCase();
  for (const [family, specs] of FAMILY_FILES) if (specs.some((s) => s.name === lower)) return family;
  return GENERATORS.find((g) => g.name === lower)?.family ?? "server";
}

// ---------------------------------------------------------------------------------------------------
// The generator's vocabulary: a small key space of mixed types and small alphabets, so sets overlap,
// SORT's BY/GET patterns find keys, and commands hit WRONGTYPE.

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
  // Sorted sets of geohash scores (scripts/differential-geo.ts).
  ["g0", "geo"], ["g1", "geo"], ["g2", "geo"],
];
export const KEY_SPACE: readonly string[] = KEY_KINDS.map(([k]) => k);

const SMALL = ["a", "b", "c", "d", "e"];
const INTS = ["0", "1", "2", "3", "10", "-1", "42", "-100", "65536", "4294967296", "9223372036854775807", "-9223372036854775808"];
const ODD_MEMBERS = ["x y", "", "\xff\x00", "007", "9223372036854775808", "1.5", "A", "aa", "\xc3\xa9"];
const LONG = "L".repeat(70);
const FIELDS = ["f1", "f2", "f3", "a", "b", "1", "2", "-3", ""];
const VALUES = [
  "v", "hello", "", "0", "1", "-1", "12", "7", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
  "1.5", "3.0", "1e3", " 1", "+1", "01", "10.50", "abc", "x".repeat(44), "y".repeat(45), "\x00\x01\xff", "inf", "-0", "0.1",
];
const INCRS = ["1", "-1", "5", "100", "-100", "0", "9223372036854775807", "-9223372036854775808", "1.5", "abc", "", "01", "+1", " 2"];
const FLOATS = [
  "0.1", "1.5", "-2.5", "1e3", "3", "0", "-0.1", "1e-5", "0.2", "10.5", "5.0e2", "17.123456789012345678", "-0",
  "abc", "inf", "-inf", "nan", "1e308", "1e400", "", " 1", "0x10", ".5", "5.",
];
const SCORES = [
  "0", "1", "-1", "2", "2.5", "0.1", "1e-300", "-0", "+inf", "-inf", "inf", "1e308", "-1e308", "100", "3", "1.5e3",
  ".5", "5.", "1e-320", "0.30000000000000004", "123456789012345678",
];
const BAD_FLOATS = ["nan", "abc", "", "1e400", "-1e-400", "0x10", " 1", "1 ", "1e", "--1"];
const INDEXES = ["0", "1", "2", "3", "-1", "-2", "-3", "5", "-10", "100", "-100"];
const BAD_INTS = ["abc", "1.5", "", " 1", "99999999999999999999", "0x1", "+1"];
const PATTERNS = ["*", "k*", "w_?", "k1*", "[kw]_*", "*a*", "k[^1]*", "\\*", "k1[0-5]", "*2"];
const MEMBER_PATTERNS = ["*", "a*", "?", "[a-c]", "*1*", "-*", "f*", "x\\ y", "L*"];

/** Relative expiries (seconds, ms) far from the absolute ones, so GT/LT never compare close times. */
const REL_SECONDS = ["100000", "250000", "1000000", "5000000"];
const REL_MS = ["100000000", "2500000000", "7000000000"];
/** Absolute expiries in 2096: EXPIREAT/PEXPIREAT and EXAT/PXAT are exact on both sides. */
const ABS_SECONDS = ["4000000000", "4000001000", "4000002000", "4000005000"];
const ABS_MS = ["4000000000000", "4000000500123", "4000001000000", "4000003000999"];
/** Times already past (the immediate-delete path): relative ones ≤ 0, absolute ones in 1970. */
const PAST_REL = ["0", "-5", "-1000"];
const PAST_ABS = ["1", "0", "-5", "100"];

/** Seeded choices; every generator draws only from it, so a seed names one command stream. */
export class Gen {
  constructor(readonly rnd: () => number) {}
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.rnd() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.rnd() < p;
  }
  pick<T>(a: readonly T[]): T {
    return a[Math.floor(this.rnd() * a.length)];
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

const c = (family: Family, name: string, weight: number, gen: (g: Gen, n: string) => string[], blocking = false): CommandGen => ({
  family,
  name,
  weight,
  blocking,
  gen: (g) => gen(g, g.name(name)),
});

function expiryOption(g: Gen, withPersist: boolean, withKeepTtl: boolean): string[] {
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

function scanOptions(g: Gen, patterns: readonly string[], type: boolean): string[] {
  const out: string[][] = [];
  if (g.chance(0.5)) out.push([g.word("MATCH"), g.pick(patterns)]);
  if (g.chance(0.5)) out.push([g.word("COUNT"), g.chance(0.05) ? g.pick(["0", "-1", "abc"]) : g.pick(["1", "2", "5", "10", "100"])]);
  if (type && g.chance(0.3)) out.push([g.word("TYPE"), g.pick(["string", "hash", "set", "zset", "list", "stream", "nosuch"])]);
  return g.shuffle(out).flat();
}

const flat = (pairs: string[][]): string[] => pairs.flat();
const range = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

/** Number of keys then the keys: sometimes a wrong numkeys for the error paths. */
function numkeys(g: Gen, keys: string[]): string[] {
  const r = g.rnd();
  if (r < 0.03) return ["0", ...keys];
  if (r < 0.06) return [String(keys.length + 2), ...keys];
  if (r < 0.08) return ["abc", ...keys];
  if (r < 0.09) return ["-1", ...keys];
  return [String(keys.length), ...keys];
}

function zaddFlags(g: Gen): string[] {
  const out: string[] = [];
  if (g.chance(0.2)) out.push(g.word(g.pick(["NX", "XX"])));
  if (g.chance(0.15)) out.push(g.word(g.pick(["GT", "LT"])));
  if (g.chance(0.2)) out.push(g.word("CH"));
  if (g.chance(0.1)) out.push(g.word("INCR"));
  return g.shuffle(out);
}

function weightsAggregate(g: Gen, n: number): string[] {
  const out: string[] = [];
  if (g.chance(0.3)) {
    out.push(g.word("WEIGHTS"), ...range(g.chance(0.05) ? n + 1 : n, () => (g.chance(0.03) ? "x" : g.pick(["1", "2", "0", "-1", "0.5", "inf", "-inf"]))));
  }
  if (g.chance(0.3)) out.push(g.word("AGGREGATE"), g.chance(0.05) ? "AVG" : g.word(g.pick(["SUM", "MIN", "MAX"])));
  return out;
}

function limit(g: Gen): string[] {
  return [g.word("LIMIT"), g.intArg(["0", "1", "2", "-1"], 0.02), g.intArg(["0", "1", "2", "3", "-1", "10"], 0.02)];
}

/** The source of a lex-range command: mostly the one-score zset. */
const lexKey = (g: Gen): string => (g.chance(0.75) ? g.key("zlex") : g.key("zset", "zlex"));
const isLex = (args: string[]): boolean => args.some((a) => a.toUpperCase() === "BYLEX");

function zrangeArgs(g: Gen): string[] {
  const by = g.rnd();
  const out: string[] = [];
  if (by < 0.4) out.push(g.intArg(INDEXES, 0.02), g.intArg(INDEXES, 0.02));
  else if (by < 0.75) out.push(g.scoreBound(), g.scoreBound(), g.word("BYSCORE"));
  else out.push(g.lexBound(), g.lexBound(), g.word("BYLEX"));
  if (g.chance(0.3)) out.push(g.word("REV"));
  if (g.chance(0.25)) out.push(...limit(g));
  return out;
}

function bitfieldType(g: Gen): string {
  if (g.chance(0.04)) return g.pick(["u64", "i65", "x8", "u0", "i0"]);
  return g.pick(["i", "u"]) + String(g.pick([1, 3, 4, 8, 8, 16, 31, 32, 63])) + "";
}
function bitfieldOffset(g: Gen): string {
  if (g.chance(0.03)) return g.pick(["-1", "abc", "#-1"]);
  return g.chance(0.3) ? "#" + g.int(0, 4) : String(g.int(0, 80));
}
function bitfieldOps(g: Gen, readonly: boolean): string[] {
  const out: string[] = [];
  const n = g.int(1, 3);
  for (let i = 0; i < n; i++) {
    const r = g.rnd();
    if (readonly || r < 0.4) out.push(g.word("GET"), bitfieldType(g), bitfieldOffset(g));
    else if (r < 0.65) out.push(g.word("SET"), bitfieldType(g), bitfieldOffset(g), g.pick(["0", "1", "-1", "100", "255", "-128", "9223372036854775807", "x"]));
    else if (r < 0.9) out.push(g.word("INCRBY"), bitfieldType(g), bitfieldOffset(g), g.pick(["1", "-1", "10", "200", "-300", "x"]));
    else out.push(g.word("OVERFLOW"), g.chance(0.05) ? "BOGUS" : g.word(g.pick(["WRAP", "SAT", "FAIL"])));
  }
  return out;
}

function sortArgs(g: Gen, store: boolean): string[] {
  const out: string[] = [];
  if (g.chance(0.3)) out.push(g.word("BY"), g.pick(["w_*", "w_*->f1", "nosort", "k1", "w_*->", "*"]));
  if (g.chance(0.25)) out.push(...limit(g));
  const gets = g.chance(0.3) ? g.int(1, 2) : 0;
  for (let i = 0; i < gets; i++) out.push(g.word("GET"), g.pick(["#", "w_*", "w_*->f1", "k*", "nosuch_*"]));
  if (g.chance(0.3)) out.push(g.word(g.pick(["ASC", "DESC"])));
  if (g.chance(0.35)) out.push(g.word("ALPHA"));
  if (store && g.chance(0.25)) {
    out.push(g.word("STORE"), g.key("list"));
    // ALPHA with a BY pattern leaves equal weights in an unspecified order (an unstable sort), which
    // a stored list would keep: compared only unstored, as a multiset (see compareSort).
    const by = out.indexOf("BY") >= 0 ? out.indexOf("BY") : out.indexOf("by");
    if (by >= 0 && out[by + 1].includes("*")) return out.filter((w) => w.toUpperCase() !== "ALPHA");
  }
  if (g.chance(0.02)) out.push("BOGUS");
  return out;
}

const HLL_ELEMENTS = (g: Gen) => (g.chance(0.5) ? g.pick(SMALL) : "e" + g.int(0, 3000));

/** Every generator, by family. Weights are per command; families get roughly equal shares. */
export const GENERATORS: CommandGen[] = [
  // strings
  c("strings", "set", 6, (g, n) => {
    const opts: string[][] = [];
    if (g.chance(0.25)) opts.push([g.word(g.pick(["NX", "XX"]))]);
    if (g.chance(0.2)) opts.push([g.word("GET")]);
    if (g.chance(0.35)) opts.push(expiryOption(g, false, true));
    if (g.chance(0.03)) opts.push([g.word(g.pick(["NX", "XX", "EX", "GET", "BOGUS"]))]);
    return [n, g.key("string"), g.value(), ...flat(g.shuffle(opts))];
  }),
  c("strings", "setnx", 1, (g, n) => [n, g.key("string"), g.value()]),
  c("strings", "setex", 1, (g, n) => [n, g.key("string"), g.chance(0.8) ? g.pick(REL_SECONDS) : g.pick(["0", "-1", "abc"]), g.value()]),
  c("strings", "psetex", 1, (g, n) => [n, g.key("string"), g.chance(0.8) ? g.pick(REL_MS) : g.pick(["0", "-1", "abc"]), g.value()]),
  c("strings", "get", 4, (g, n) => [n, g.key("string", "bits", "hll")]),
  c("strings", "getset", 1, (g, n) => [n, g.key("string"), g.value()]),
  c("strings", "getdel", 1, (g, n) => [n, g.key("string")]),
  c("strings", "getex", 2, (g, n) => {
    const opts = g.chance(0.7) ? expiryOption(g, true, false) : [];
    if (g.chance(0.03)) opts.push(g.word("PERSIST"));
    return [n, g.key("string"), ...opts];
  }),
  c("strings", "mget", 2, (g, n) => [n, ...g.keys(1, 4, "string")]),
  c("strings", "mset", 2, (g, n) => {
    const pairs = range(g.int(1, 3), () => [g.key("string"), g.value()]).flat();
    return [n, ...pairs, ...(g.chance(0.03) ? ["orphan"] : [])];
  }),
  c("strings", "msetnx", 1, (g, n) => [n, ...range(g.int(1, 3), () => [g.key("string"), g.value()]).flat()]),
  c("strings", "append", 3, (g, n) => [n, g.key("string"), g.value()]),
  c("strings", "strlen", 1, (g, n) => [n, g.key("string")]),
  c("strings", "incr", 2, (g, n) => [n, g.key("string")]),
  c("strings", "decr", 1, (g, n) => [n, g.key("string")]),
  c("strings", "incrby", 2, (g, n) => [n, g.key("string"), g.pick(INCRS)]),
  c("strings", "decrby", 1, (g, n) => [n, g.key("string"), g.pick(INCRS)]),
  c("strings", "incrbyfloat", 3, (g, n) => [n, g.key("string"), g.float()]),
  c("strings", "getrange", 2, (g, n) => [n, g.key("string"), g.intArg(), g.intArg()]),
  c("strings", "substr", 0.5, (g, n) => [n, g.key("string"), g.intArg(), g.intArg()]),
  c("strings", "setrange", 2, (g, n) => [
    n,
    g.key("string"),
    g.chance(0.05) ? g.pick(["-1", "536870912", "abc"]) : g.pick(["0", "1", "3", "10", "50"]),
    g.chance(0.1) ? "" : g.value(),
  ]),
  c("strings", "lcs", 1.5, (g, n) => {
    const out = [n, g.key("string", "bits"), g.key("string", "bits")];
    const r = g.rnd();
    if (r < 0.3) out.push(g.word("LEN"));
    else if (r < 0.7) {
      out.push(g.word("IDX"));
      if (g.chance(0.5)) out.push(g.word("MINMATCHLEN"), g.pick(["0", "1", "2", "3", "-1", "abc"]));
      if (g.chance(0.5)) out.push(g.word("WITHMATCHLEN"));
    } else if (r < 0.75) out.push(g.word("LEN"), g.word("IDX"));
    return out;
  }),

  // keys
  c("keys", "del", 5, (g, n) => [n, ...g.keys(1, 3)]),
  c("keys", "unlink", 1, (g, n) => [n, ...g.keys(1, 3)]),
  c("keys", "exists", 2, (g, n) => [n, ...g.keys(1, 3)]),
  c("keys", "touch", 0.5, (g, n) => [n, ...g.keys(1, 3)]),
  c("keys", "type", 2, (g, n) => [n, g.key()]),
  c("keys", "rename", 1, (g, n) => [n, g.key(), g.chance(0.1) ? "k0" : g.key()]),
  c("keys", "renamenx", 0.5, (g, n) => [n, g.key(), g.key()]),
  c("keys", "copy", 1, (g, n) => {
    const out = [n, g.key(), g.key()];
    if (g.chance(0.4)) out.push(g.word("REPLACE"));
    if (g.chance(0.1)) out.push(g.word("DB"), g.pick(["0", "abc"]));
    if (g.chance(0.02)) out.push("BOGUS");
    return out;
  }),
  c("keys", "expire", 1.5, (g, n) => {
    const r = g.rnd();
    const t = r < 0.7 ? g.pick(REL_SECONDS) : r < 0.85 ? g.pick(PAST_REL) : g.pick(["abc", "9223372036854775807", "-9223372036854775808", "1.5"]);
    return [n, g.key(), t, ...(g.chance(0.3) ? [g.word(g.pick(["NX", "XX"]))] : g.chance(0.03) ? ["GT", "LT"] : [])];
  }),
  c("keys", "pexpire", 1, (g, n) => [n, g.key(), g.chance(0.8) ? g.pick(REL_MS) : g.pick(PAST_REL), ...(g.chance(0.3) ? [g.word(g.pick(["NX", "XX"]))] : [])]),
  c("keys", "expireat", 1, (g, n) => {
    const t = g.chance(0.85) ? g.pick(ABS_SECONDS) : g.pick(PAST_ABS);
    const o = g.chance(0.5) ? [g.word(g.pick(["NX", "XX", "GT", "LT"]))] : g.chance(0.05) ? [g.pick(["NX", "GT"]), g.pick(["XX", "LT", "BOGUS"])] : [];
    return [n, g.key(), t, ...o];
  }),
  c("keys", "pexpireat", 1, (g, n) => [n, g.key(), g.chance(0.85) ? g.pick(ABS_MS) : g.pick(PAST_ABS), ...(g.chance(0.5) ? [g.word(g.pick(["NX", "XX", "GT", "LT"]))] : [])]),
  c("keys", "ttl", 1, (g, n) => [n, g.key()]),
  c("keys", "pttl", 1, (g, n) => [n, g.key()]),
  c("keys", "expiretime", 1, (g, n) => [n, g.key()]),
  c("keys", "pexpiretime", 1, (g, n) => [n, g.key()]),
  c("keys", "persist", 1, (g, n) => [n, g.key()]),
  c("keys", "keys", 1, (g, n) => [n, g.pick(PATTERNS)]),
  c("keys", "scan", 1, (g, n) => [n, g.chance(0.04) ? g.pick(["abc", "-", " 0"]) : "0", ...scanOptions(g, PATTERNS, true)]),
  c("keys", "randomkey", 0.5, (g, n) => [n]),
  c("keys", "object", 4, (g, n) => {
    const r = g.rnd();
    if (r < 0.75) return [n, g.word("ENCODING"), g.key()];
    if (r < 0.82) return [n, g.word("REFCOUNT"), g.key()];
    if (r < 0.9) return [n, g.word("IDLETIME"), g.key()];
    if (r < 0.95) return [n, g.word("FREQ"), g.key()];
    return [n, g.pick(["NOSUCH", "encoding"]), ...(g.chance(0.5) ? [] : [g.key(), "x"])];
  }),
  c("server", "dbsize", 0.5, (g, n) => [n]),
  c("server", "ping", 0.3, (g, n) => (g.chance(0.5) ? [n] : [n, g.value()])),
  c("server", "echo", 0.3, (g, n) => [n, g.value()]),
  c("server", "flushdb", 0.02, (g, n) => [n]),

  // hashes
  c("hashes", "hset", 5, (g, n) => [n, g.key("hash"), ...range(g.int(1, 3), () => [g.field(), g.value()]).flat(), ...(g.chance(0.03) ? ["orphan"] : [])]),
  c("hashes", "hsetnx", 1, (g, n) => [n, g.key("hash"), g.field(), g.value()]),
  c("hashes", "hmset", 1, (g, n) => [n, g.key("hash"), ...range(g.int(1, 2), () => [g.field(), g.value()]).flat()]),
  c("hashes", "hget", 2, (g, n) => [n, g.key("hash"), g.field()]),
  c("hashes", "hmget", 1, (g, n) => [n, g.key("hash"), ...range(g.int(1, 3), () => g.field())]),
  c("hashes", "hdel", 2, (g, n) => [n, g.key("hash"), ...range(g.int(1, 3), () => g.field())]),
  c("hashes", "hlen", 1, (g, n) => [n, g.key("hash")]),
  c("hashes", "hstrlen", 1, (g, n) => [n, g.key("hash"), g.field()]),
  c("hashes", "hexists", 1, (g, n) => [n, g.key("hash"), g.field()]),
  c("hashes", "hkeys", 1, (g, n) => [n, g.key("hash")]),
  c("hashes", "hvals", 1, (g, n) => [n, g.key("hash")]),
  c("hashes", "hgetall", 2, (g, n) => [n, g.key("hash")]),
  c("hashes", "hincrby", 2, (g, n) => [n, g.key("hash"), g.field(), g.pick(INCRS)]),
  c("hashes", "hincrbyfloat", 2, (g, n) => [n, g.key("hash"), g.field(), g.float()]),
  c("hashes", "hrandfield", 1, (g, n) => {
    const out = [n, g.key("hash")];
    if (g.chance(0.7)) out.push(g.count());
    if (out.length === 3 && g.chance(0.5)) out.push(g.word("WITHVALUES"));
    if (g.chance(0.02)) out.push("BOGUS");
    return out;
  }),
  c("hashes", "hscan", 1, (g, n) => [n, g.key("hash"), g.chance(0.04) ? "abc" : "0", ...scanOptions(g, MEMBER_PATTERNS, false)]),
  // Past hash-max-listpack-entries (128): the hashtable encoding.
  c("hashes", "hset", 0.08, (g, n) => [n, g.key("hash"), ...range(130, (i) => ["g" + i, String(i)]).flat()]),

  // sets
  c("sets", "sadd", 5, (g, n) => {
    const k = g.key("set", "intset");
    return [n, k, ...g.members(1, 4, k === "k4")];
  }),
  c("sets", "srem", 2, (g, n) => [n, g.key("set", "intset"), ...g.members(1, 3)]),
  c("sets", "scard", 1, (g, n) => [n, g.key("set", "intset")]),
  c("sets", "sismember", 1, (g, n) => [n, g.key("set", "intset"), g.member()]),
  c("sets", "smismember", 1, (g, n) => [n, g.key("set", "intset"), ...g.members(1, 3)]),
  c("sets", "smembers", 2, (g, n) => [n, g.key("set", "intset")]),
  c("sets", "spop", 1.5, (g, n) => [n, g.key("set", "intset"), ...(g.chance(0.5) ? [g.count()] : [])]),
  c("sets", "srandmember", 1.5, (g, n) => [n, g.key("set", "intset"), ...(g.chance(0.7) ? [g.count()] : [])]),
  c("sets", "smove", 1, (g, n) => [n, g.key("set", "intset"), g.key("set", "intset"), g.member()]),
  c("sets", "sinter", 1, (g, n) => [n, ...g.keys(1, 3, "set", "intset")]),
  c("sets", "sintercard", 1, (g, n) => [n, ...numkeys(g, g.keys(1, 3, "set", "intset")), ...(g.chance(0.3) ? [g.word("LIMIT"), g.pick(["0", "1", "2", "-1", "abc"])] : [])]),
  c("sets", "sinterstore", 1, (g, n) => [n, g.key("set"), ...g.keys(1, 3, "set", "intset")]),
  c("sets", "sunion", 1, (g, n) => [n, ...g.keys(1, 3, "set", "intset")]),
  c("sets", "sunionstore", 1, (g, n) => [n, g.key("set"), ...g.keys(1, 3, "set", "intset")]),
  c("sets", "sdiff", 1, (g, n) => [n, ...g.keys(1, 3, "set", "intset")]),
  c("sets", "sdiffstore", 1, (g, n) => [n, g.key("set"), ...g.keys(1, 3, "set", "intset")]),
  c("sets", "sscan", 1, (g, n) => [n, g.key("set", "intset"), g.chance(0.04) ? "abc" : "0", ...scanOptions(g, MEMBER_PATTERNS, false)]),
  // Past set-max-intset-entries (512) with integers, or strings into an intset.
  c("sets", "sadd", 0.05, (g, n) => [n, g.key("intset"), ...range(520, (i) => String(i * 3 - 700))]),

  // lists
  c("lists", "lpush", 3, (g, n) => [n, g.key("list"), ...g.members(1, 4)]),
  c("lists", "rpush", 3, (g, n) => [n, g.key("list"), ...g.members(1, 4)]),
  c("lists", "lpushx", 0.5, (g, n) => [n, g.key("list"), ...g.members(1, 2)]),
  c("lists", "rpushx", 0.5, (g, n) => [n, g.key("list"), ...g.members(1, 2)]),
  c("lists", "lpop", 1.5, (g, n) => [n, g.key("list"), ...(g.chance(0.4) ? [g.count()] : [])]),
  c("lists", "rpop", 1.5, (g, n) => [n, g.key("list"), ...(g.chance(0.4) ? [g.count()] : [])]),
  c("lists", "llen", 1, (g, n) => [n, g.key("list")]),
  c("lists", "lrange", 2, (g, n) => [n, g.key("list"), g.intArg(), g.intArg()]),
  c("lists", "lindex", 1, (g, n) => [n, g.key("list"), g.intArg()]),
  c("lists", "lset", 1, (g, n) => [n, g.key("list"), g.intArg(), g.member()]),
  c("lists", "linsert", 1, (g, n) => [n, g.key("list"), g.chance(0.03) ? "MIDDLE" : g.word(g.pick(["BEFORE", "AFTER"])), g.member(), g.member()]),
  c("lists", "lrem", 1, (g, n) => [n, g.key("list"), g.intArg(["0", "1", "2", "-1", "-2", "5"]), g.member()]),
  c("lists", "ltrim", 1, (g, n) => [n, g.key("list"), g.intArg(), g.intArg()]),
  c("lists", "lpos", 1.5, (g, n) => {
    const out = [n, g.key("list"), g.member()];
    if (g.chance(0.4)) out.push(g.word("RANK"), g.intArg(["1", "2", "-1", "-2", "0", "-9223372036854775808"], 0.03));
    if (g.chance(0.4)) out.push(g.word("COUNT"), g.intArg(["0", "1", "2", "-1"], 0.03));
    if (g.chance(0.3)) out.push(g.word("MAXLEN"), g.intArg(["0", "1", "2", "-1"], 0.03));
    return out;
  }),
  c("lists", "lmove", 1, (g, n) => [n, g.key("list"), g.key("list"), g.word(g.pick(["LEFT", "RIGHT"])), g.chance(0.03) ? "UP" : g.word(g.pick(["LEFT", "RIGHT"]))]),
  c("lists", "rpoplpush", 0.5, (g, n) => [n, g.key("list"), g.key("list")]),
  c("lists", "lmpop", 1, (g, n) => [n, ...numkeys(g, g.keys(1, 3, "list")), g.chance(0.03) ? "UP" : g.word(g.pick(["LEFT", "RIGHT"])), ...(g.chance(0.4) ? [g.word("COUNT"), g.count()] : [])]),
  c("lists", "blpop", 0.15, (g, n) => [n, ...g.keys(1, 2, "list"), g.timeout()], true),
  c("lists", "brpop", 0.15, (g, n) => [n, ...g.keys(1, 2, "list"), g.timeout()], true),
  c("lists", "blmove", 0.1, (g, n) => [n, g.key("list"), g.key("list"), g.word(g.pick(["LEFT", "RIGHT"])), g.word(g.pick(["LEFT", "RIGHT"])), g.timeout()], true),
  c("lists", "brpoplpush", 0.05, (g, n) => [n, g.key("list"), g.key("list"), g.timeout()], true),
  c("lists", "blmpop", 0.1, (g, n) => [n, g.timeout(), String(1), g.key("list"), g.word(g.pick(["LEFT", "RIGHT"])), ...(g.chance(0.4) ? [g.word("COUNT"), g.pick(["1", "2", "5"])] : [])], true),
  c("lists", "rpush", 0.05, (g, n) => [n, g.key("list"), ...range(200, (i) => (i % 3 === 0 ? LONG : String(i)))]),

  // sorted sets
  c("zsets", "zadd", 5, (g, n) => [n, g.key("zset"), ...zaddFlags(g), ...range(g.int(1, 3), () => [g.score(), g.member()]).flat(), ...(g.chance(0.02) ? ["orphan"] : [])]),
  c("zsets", "zadd", 2, (g, n) => [n, g.key("zlex"), ...range(g.int(1, 3), () => [g.chance(0.95) ? "0" : g.score(), g.member()]).flat()]),
  c("zsets", "zcard", 1, (g, n) => [n, g.key("zset", "zlex")]),
  c("zsets", "zcount", 1, (g, n) => [n, g.key("zset", "zlex"), g.scoreBound(), g.scoreBound()]),
  c("zsets", "zlexcount", 1, (g, n) => [n, lexKey(g), g.lexBound(), g.lexBound()]),
  c("zsets", "zincrby", 2, (g, n) => [n, g.key("zset", "zlex"), g.chance(0.8) ? g.pick(["1", "-1", "0.1", "2.5", "1e-300", "-0"]) : g.score(), g.member()]),
  c("zsets", "zscore", 2, (g, n) => [n, g.key("zset", "zlex"), g.member()]),
  c("zsets", "zmscore", 1, (g, n) => [n, g.key("zset", "zlex"), ...g.members(1, 3)]),
  c("zsets", "zrank", 1, (g, n) => [n, g.key("zset", "zlex"), g.member()]),
  c("zsets", "zrevrank", 1, (g, n) => [n, g.key("zset", "zlex"), g.member()]),
  c("zsets", "zrem", 2, (g, n) => [n, g.key("zset", "zlex"), ...g.members(1, 3)]),
  c("zsets", "zrange", 4, (g, n) => {
    const args = zrangeArgs(g);
    return [n, isLex(args) ? lexKey(g) : g.key("zset", "zlex"), ...args, ...(g.chance(0.4) ? [g.word("WITHSCORES")] : [])];
  }),
  c("zsets", "zrangestore", 1, (g, n) => {
    const args = zrangeArgs(g);
    return [n, g.key("zset", "zlex"), isLex(args) ? lexKey(g) : g.key("zset", "zlex"), ...args];
  }),
  c("zsets", "zrevrange", 1, (g, n) => [n, g.key("zset", "zlex"), g.intArg(), g.intArg(), ...(g.chance(0.4) ? [g.word("WITHSCORES")] : [])]),
  c("zsets", "zrangebyscore", 1.5, (g, n) => [n, g.key("zset", "zlex"), g.scoreBound(), g.scoreBound(), ...g.shuffle([g.chance(0.4) ? [g.word("WITHSCORES")] : [], g.chance(0.3) ? limit(g) : []]).flat()]),
  c("zsets", "zrevrangebyscore", 1, (g, n) => [n, g.key("zset", "zlex"), g.scoreBound(), g.scoreBound(), ...(g.chance(0.4) ? [g.word("WITHSCORES")] : []), ...(g.chance(0.3) ? limit(g) : [])]),
  c("zsets", "zrangebylex", 1, (g, n) => [n, lexKey(g), g.lexBound(), g.lexBound(), ...(g.chance(0.3) ? limit(g) : [])]),
  c("zsets", "zrevrangebylex", 1, (g, n) => [n, lexKey(g), g.lexBound(), g.lexBound(), ...(g.chance(0.3) ? limit(g) : [])]),
  c("zsets", "zremrangebyrank", 1, (g, n) => [n, g.key("zset", "zlex"), g.intArg(), g.intArg()]),
  c("zsets", "zremrangebyscore", 1, (g, n) => [n, g.key("zset", "zlex"), g.scoreBound(), g.scoreBound()]),
  c("zsets", "zremrangebylex", 1, (g, n) => [n, lexKey(g), g.lexBound(), g.lexBound()]),
  c("zsets", "zunion", 1, (g, n) => {
    const keys = g.keys(1, 3, "zset", "set");
    return [n, ...numkeys(g, keys), ...weightsAggregate(g, keys.length), ...(g.chance(0.5) ? [g.word("WITHSCORES")] : [])];
  }),
  c("zsets", "zinter", 1, (g, n) => {
    const keys = g.keys(1, 3, "zset", "set");
    return [n, ...numkeys(g, keys), ...weightsAggregate(g, keys.length), ...(g.chance(0.5) ? [g.word("WITHSCORES")] : [])];
  }),
  c("zsets", "zdiff", 1, (g, n) => [n, ...numkeys(g, g.keys(1, 3, "zset", "set")), ...(g.chance(0.5) ? [g.word("WITHSCORES")] : [])]),
  c("zsets", "zunionstore", 1, (g, n) => {
    const keys = g.keys(1, 3, "zset", "set");
    return [n, g.key("zset", "zlex"), ...numkeys(g, keys), ...weightsAggregate(g, keys.length)];
  }),
  c("zsets", "zinterstore", 1, (g, n) => {
    const keys = g.keys(1, 3, "zset", "set");
    return [n, g.key("zset", "zlex"), ...numkeys(g, keys), ...weightsAggregate(g, keys.length)];
  }),
  c("zsets", "zdiffstore", 1, (g, n) => [n, g.key("zset", "zlex"), ...numkeys(g, g.keys(1, 3, "zset", "set"))]),
  c("zsets", "zintercard", 1, (g, n) => [n, ...numkeys(g, g.keys(1, 3, "zset", "set")), ...(g.chance(0.3) ? [g.word("LIMIT"), g.pick(["0", "1", "2", "-1"])] : [])]),
  c("zsets", "zpopmin", 1, (g, n) => [n, g.key("zset", "zlex"), ...(g.chance(0.5) ? [g.count()] : [])]),
  c("zsets", "zpopmax", 1, (g, n) => [n, g.key("zset", "zlex"), ...(g.chance(0.5) ? [g.count()] : [])]),
  c("zsets", "zmpop", 1, (g, n) => [n, ...numkeys(g, g.keys(1, 3, "zset")), g.chance(0.03) ? "MID" : g.word(g.pick(["MIN", "MAX"])), ...(g.chance(0.4) ? [g.word("COUNT"), g.count()] : [])]),
  c("zsets", "bzpopmin", 0.1, (g, n) => [n, ...g.keys(1, 2, "zset"), g.timeout()], true),
  c("zsets", "bzpopmax", 0.1, (g, n) => [n, ...g.keys(1, 2, "zset"), g.timeout()], true),
  c("zsets", "bzmpop", 0.1, (g, n) => [n, g.timeout(), "1", g.key("zset", "zlex"), g.word(g.pick(["MIN", "MAX"])), ...(g.chance(0.4) ? [g.word("COUNT"), g.pick(["1", "3"])] : [])], true),
  c("zsets", "zrandmember", 1, (g, n) => {
    const out = [n, g.key("zset", "zlex")];
    if (g.chance(0.7)) out.push(g.count());
    if (out.length === 3 && g.chance(0.5)) out.push(g.word("WITHSCORES"));
    return out;
  }),
  c("zsets", "zscan", 1, (g, n) => [n, g.key("zset", "zlex"), g.chance(0.04) ? "abc" : "0", ...scanOptions(g, MEMBER_PATTERNS, false)]),
  // Past zset-max-listpack-entries (128): the skiplist encoding.
  c("zsets", "zadd", 0.08, (g, n) => [n, g.key("zset", "zlex"), ...range(130, (i) => [String(i % 7 === 0 ? i / 2 : i), "z" + i]).flat()]),

  // HyperLogLog
  c("hyperloglog", "pfadd", 4, (g, n) => [n, g.key("hll"), ...range(g.int(0, 4), () => HLL_ELEMENTS(g))]),
  c("hyperloglog", "pfcount", 3, (g, n) => [n, ...g.keys(1, 2, "hll")]),
  c("hyperloglog", "pfmerge", 1, (g, n) => [n, g.key("hll"), ...g.keys(0, 2, "hll")]),
  // Enough elements to go past hll-sparse-max-bytes: the dense representation.
  c("hyperloglog", "pfadd", 0.1, (g, n) => [n, g.key("hll"), ...range(700, () => "d" + g.int(0, 100000))]),

  // bits
  c("bits", "setbit", 3, (g, n) => [n, g.key("bits"), g.chance(0.05) ? g.pick(["-1", "4294967296", "abc"]) : String(g.int(0, 100)), g.chance(0.04) ? g.pick(["2", "-1", "x"]) : g.pick(["0", "1"])]),
  c("bits", "getbit", 2, (g, n) => [n, g.key("bits"), g.chance(0.05) ? g.pick(["-1", "abc"]) : String(g.int(0, 120))]),
  c("bits", "bitcount", 2, (g, n) => {
    const out = [n, g.key("bits", "string")];
    if (g.chance(0.6)) out.push(g.intArg(), g.intArg());
    if (out.length === 4 && g.chance(0.4)) out.push(g.chance(0.05) ? "WORD" : g.word(g.pick(["BYTE", "BIT"])));
    if (g.chance(0.03)) out.push("1");
    return out;
  }),
  c("bits", "bitpos", 2, (g, n) => {
    const out = [n, g.key("bits", "string"), g.chance(0.04) ? "2" : g.pick(["0", "1"])];
    if (g.chance(0.5)) out.push(g.intArg());
    if (out.length === 4 && g.chance(0.5)) out.push(g.intArg());
    if (out.length === 5 && g.chance(0.4)) out.push(g.word(g.pick(["BYTE", "BIT"])));
    return out;
  }),
  c("bits", "bitop", 1.5, (g, n) => {
    const op = g.chance(0.03) ? "NAND" : g.word(g.pick(["AND", "OR", "XOR", "NOT"]));
    const srcs = op.toUpperCase() === "NOT" && g.chance(0.9) ? [g.key("bits")] : g.keys(1, 3, "bits", "string");
    return [n, op, g.key("bits"), ...srcs];
  }),
  c("bits", "bitfield", 2, (g, n) => [n, g.key("bits"), ...bitfieldOps(g, false)]),
  c("bits", "bitfield_ro", 1, (g, n) => [n, g.key("bits"), ...(g.chance(0.05) ? bitfieldOps(g, false) : bitfieldOps(g, true))]),

  // SORT
  c("sort", "sort", 3, (g, n) => [n, g.key("list", "set", "zset"), ...sortArgs(g, true)]),
  c("sort", "sort_ro", 1, (g, n) => [n, g.key("list", "set", "zset"), ...sortArgs(g, false)]),

  ...GEO_GENERATORS,
];

/**
 * Wrong arguments now and then, so error texts are compared too: a word dropped (arity), a junk word
 * appended, or one argument replaced with something that is not a number.
 */
function mutate(g: Gen, argv: string[]): string[] {
  const out = [...argv];
  const r = g.rnd();
  if (r < 0.4 && out.length > 1) out.pop();
  else if (r < 0.7) out.push(g.pick(["junk", "NX", "WITHSCORES", "COUNT"]));
  else if (out.length > 2) out[g.int(2, out.length - 1)] = g.pick(["abc", "-1", "0", "", "1.5", "99999999999999999999"]);
  return out;
}

/** A seeded stream of commands the engine knows. */
export class CommandStream {
  readonly g: Gen;
  readonly available: CommandGen[];
  /** Generators whose command the engine does not have (yet). */
  readonly missing: string[];
  private readonly total: number;

  constructor(seed: number, knows: (name: string) => boolean, readonly mutationRate = 0.03, families?: readonly Family[]) {
    this.g = new Gen(seededRandom(seed));
    this.available = GENERATORS.filter((x) => knows(x.name) && (families === undefined || families.includes(x.family)));
    this.missing = [...new Set(GENERATORS.filter((x) => !knows(x.name)).map((x) => `${x.family}:${x.name}`))];
    this.total = this.available.reduce((s, x) => s + x.weight, 0);
  }

  next(): string[] {
    let pick = this.g.rnd() * this.total;
    let chosen = this.available[this.available.length - 1];
    for (const x of this.available) {
      pick -= x.weight;
      if (pick < 0) {
        chosen = x;
        break;
      }
    }
    const argv = chosen.gen(this.g);
    return !chosen.blocking && this.g.chance(this.mutationRate) ? mutate(this.g, argv) : argv;
  }
}

// ---------------------------------------------------------------------------------------------------
// Replies in one comparable, printable form.

function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch === 0x22 || ch === 0x5c) out += "\\" + s[i];
    else if (ch >= 0x20 && ch < 0x7f) out += s[i];
    else out += "\\x" + ch.toString(16).padStart(2, "0");
  }
  return out + '"';
}

/** A reply as text: redis-cli-like, unambiguous, so two replies are equal when their texts are. */
export function show(r: Reply): string {
  if (r === null) return "(nil)";
  if (typeof r === "number" || typeof r === "bigint") return `(integer) ${r}`;
  if (typeof r === "string") return quote(r);
  if (Array.isArray(r)) return "[" + r.map(show).join(", ") + "]";
  if (isErrorReply(r)) return `(error) ${r.error}`;
  if (isStatusReply(r)) return `+${r.status}`;
  return JSON.stringify(r);
}

const clip = (s: string, n = 400): string => (s.length > n ? s.slice(0, n) + `… (${s.length} chars)` : s);
const byBytes = (a: string, b: string) => compareBytes(a, b);
const sortStrings = (r: Reply): Reply => (Array.isArray(r) ? [...(r as string[])].sort(byBytes) : r);
/** A flat reply cut into groups of n (field/value pairs, SORT's GET tuples), the groups sorted. */
function sortGroups(r: Reply, n: number): Reply {
  if (!Array.isArray(r)) return r;
  const groups: Reply[][] = [];
  for (let i = 0; i < r.length; i += n) groups.push(r.slice(i, i + n));
  return groups.sort((a, b) => compareBytes(show(a), show(b))).flat();
}

// ---------------------------------------------------------------------------------------------------
// A pipelining RESP client (the state checks send several commands at once).

export class Connection {
  private readonly parser = new RespReplyParser();
  private readonly queue: { resolve: (r: Reply) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> }[] = [];
  private failure: Error | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.parser.push(bytesToBinary(chunk));
      while (this.queue.length > 0) {
        const reply = this.parser.next();
        if (reply === undefined) break;
        const w = this.queue.shift()!;
        clearTimeout(w.timer);
        w.resolve(reply);
      }
    });
    const fail = (e: Error) => {
      this.failure ??= e;
      for (const w of this.queue.splice(0)) {
        clearTimeout(w.timer);
        w.reject(e);
      }
    };
    socket.on("error", fail);
    socket.on("close", () => fail(new Error("connection to redis-server closed")));
  }

  static connect(port: number, host = "127.0.0.1"): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = new Socket();
      socket.once("error", reject);
      socket.connect(port, host, () => {
        socket.off("error", reject);
        socket.setNoDelay(true);
        resolve(new Connection(socket));
      });
    });
  }

  /** Sends a command (pipelined after any in flight); its reply, error replies as {error}. */
  call(...argv: string[]): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      // A reply that never comes means Redis blocked (a blocking command with no timeout): fail loudly.
      const timer = setTimeout(() => {
        this.failure ??= new Error(`redis-server did not answer ${argv.join(" ").slice(0, 200)} within 10 s`);
        reject(this.failure);
        this.socket.destroy();
      }, 10_000);
      this.queue.push({ resolve, reject, timer });
      this.socket.write(binaryToBytes(encodeCommand(argv)));
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A throwaway redis-server (no persistence, its own temp dir) and a connection to it; null without the binary. */
/** The redis-server binary on PATH, or null. */
export const findRedis = (): string | null => findBinary("redis-server");

export async function startReference(): Promise<{ conn: Connection; version: string; stop(): Promise<void> } | null> {
  const bin = findRedis();
  if (!bin) return null;
  const dir = mkdtempSync(join(tmpdir(), "differential-"));
  const redis = await startRedis(bin, ["--dir", dir, "--appendonly", "no"]);
  const conn = await Connection.connect(redis.port);
  const info = (await conn.call("INFO", "server")) as string;
  const version = /redis_version:(\S+)/.exec(info)?.[1] ?? "?";
  return {
    conn,
    version,
    async stop() {
      conn.close();
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Key state on both sides, for the check after each command and the final comparison.

export interface KeyState {
  type: string;
  /** The value as text: lists in order, sets sorted, hashes as sorted pairs, zsets in order with %.17g scores. */
  value: string;
  encoding: string;
  /** Absolute expiry in ms, or null. */
  expireAt: number | null;
}

const NONE: KeyState = { type: "none", value: "", encoding: "", expireAt: null };

function hashText(pairs: [string, string][]): string {
  return show(pairs.sort((a, b) => compareBytes(a[0], b[0])).flat());
}

/** Our value at key without touching it (no lazy expiry, no hooks). */
function peek(engine: Engine, key: string, now: number): Value | undefined {
  if (engine.db.isExpired(key, now)) return undefined;
  return engine.db.data.get(key);
}

export function ourKeyState(engine: Engine, key: string, now: number): KeyState {
  const v = peek(engine, key, now);
  if (v === undefined) return NONE;
  const expireAt = engine.db.getExpire(key) ?? null;
  const encoding = (typeof v === "string" ? engine.db.stringEncodings.get(key) : undefined) ?? objectEncoding(v, engine.config);
  if (typeof v === "string") return { type: "string", value: show(v), encoding, expireAt };
  if (v instanceof RedisList) return { type: "list", value: show([...v.values()]), encoding, expireAt };
  if (v instanceof RedisSet) return { type: "set", value: show([...v.values()].sort(byBytes)), encoding, expireAt };
  if (v instanceof RedisHash) return { type: "hash", value: hashText([...v.entries()]), encoding, expireAt };
  const z = v as RedisZSet;
  return { type: "zset", value: show(z.entries().flatMap(([m, s]) => [m, formatDouble(s)])), encoding, expireAt };
}

/** The same for many keys on Redis, in two pipelined round trips. */
export async function redisKeyStates(conn: Connection, keys: string[]): Promise<KeyState[]> {
  const meta = await Promise.all(
    keys.map((k) => Promise.all([conn.call("TYPE", k), conn.call("PEXPIRETIME", k), conn.call("OBJECT", "ENCODING", k)])),
  );
  const values = await Promise.all(
    keys.map((k, i) => {
      const type = (meta[i][0] as { status: string }).status;
      if (type === "string") return conn.call("GET", k);
      if (type === "list") return conn.call("LRANGE", k, "0", "-1");
      if (type === "set") return conn.call("SMEMBERS", k);
      if (type === "zset") return conn.call("ZRANGE", k, "0", "-1", "WITHSCORES");
      if (type === "hash") return conn.call("HGETALL", k);
      return Promise.resolve(null);
    }),
  );
  return keys.map((_, i) => {
    const type = (meta[i][0] as { status: string }).status;
    if (type === "none") return NONE;
    const ms = Number(meta[i][1]);
    const expireAt = ms < 0 ? null : ms;
    const encoding = meta[i][2] as string;
    const v = values[i];
    let value: string;
    if (type === "set") value = show(sortStrings(v));
    else if (type === "hash") {
      const a = v as string[];
      value = hashText(Array.from({ length: a.length / 2 }, (_, j) => [a[2 * j], a[2 * j + 1]] as [string, string]));
    } else value = show(v);
    return { type, value, encoding, expireAt };
  });
}

/** GEORADIUS … STOREDIST, GEOSEARCHSTORE … STOREDIST: scores that are computed distances. */
function storesDistances(argv: string[]): boolean {
  return argv[0].toLowerCase().startsWith("geo") && argv.some((x) => x.toUpperCase() === "STOREDIST");
}

/** Two shown zsets equal but for scores a few units in the last place apart (numbers compared to 14 digits). */
function sameWithinUlps(a: string, b: string): boolean {
  const coarse = (v: string) => v.replace(/"(-?\d+\.\d+(?:e[-+]\d+)?)"/g, (_, n: string) => `"${Number(n).toPrecision(14)}"`);
  return coarse(a) === coarse(b);
}

/** Relative TTLs are set a moment apart on the two sides: expiries this close are the same. */
const EXPIRE_TOLERANCE_MS = 2000;

function sameExpiry(a: number | null, b: number | null): boolean {
  return a === null || b === null ? a === b : Math.abs(a - b) <= EXPIRE_TOLERANCE_MS;
}

export function showState(s: KeyState): string {
  if (s.type === "none") return "(no key)";
  const ttl = s.expireAt === null ? "no ttl" : `expires at ${s.expireAt}`;
  return `${s.type} ${s.encoding} ${clip(s.value, 300)} (${ttl})`;
}

// ---------------------------------------------------------------------------------------------------
// What Redis leaves unspecified, and how each such reply is compared.

/** Replies that are sets: Redis returns them in hash-table order. Compared sorted. */
const UNORDERED = new Set(["smembers", "sinter", "sunion", "sdiff", "keys"]);
/** Hash listings: ordered (insertion order) while a hash is a listpack, hash-table order once it is not. */
const HASH_LISTINGS = new Set(["hkeys", "hvals", "hgetall"]);
/** Cursor position of the SCAN family: pages are not comparable (cursors are opaque), full iterations are. */
const SCANS = new Map([["scan", 1], ["sscan", 2], ["hscan", 2], ["zscan", 2]]);
/** Commands that answer random elements: checked for validity against the state before the command. */
const RANDOM = new Set(["srandmember", "spop", "hrandfield", "zrandmember", "randomkey"]);
/** TTL replies: relative expiries were set a moment apart on the two sides. Tolerance in the reply's unit. */
const TTLS = new Map([["ttl", 2], ["pttl", 2000], ["expiretime", 2], ["pexpiretime", 2000]]);

/** Lex ranges: Redis leaves their result unspecified when the members' scores differ (it walks in score order). */
const LEX = new Set(["zrangebylex", "zrevrangebylex", "zlexcount", "zremrangebylex"]);

/** The zset a lex-range command reads, when its members have more than one score; else null. */
export function mixedLexSource(engine: Engine, argv: string[], now: number): string | null {
  const name = argv[0].toLowerCase();
  const byLex = LEX.has(name) || ((name === "zrange" || name === "zrangestore") && argv.some((a) => a.toUpperCase() === "BYLEX"));
  if (!byLex) return null;
  const src = name === "zrangestore" ? argv[2] : argv[1];
  const z = src === undefined ? undefined : peek(engine, src, now);
  if (!(z instanceof RedisZSet)) return null;
  return new Set(z.entries().map(([, sc]) => sc)).size > 1 ? src : null;
}

/** Whether a reply (or a random reply's validity) matches, and what to print. */
interface Verdict {
  equal: boolean;
  ours: string;
  theirs: string;
  note?: string;
}

function exact(ours: Reply, theirs: Reply, normalise: (r: Reply) => Reply = (r) => r, note?: string): Verdict {
  const a = show(isErrorReply(ours) ? ours : normalise(ours));
  const b = show(isErrorReply(theirs) ? theirs : normalise(theirs));
  return { equal: a === b, ours: a, theirs: b, note };
}

const asInt = (r: Reply): number | null => (typeof r === "number" ? r : typeof r === "bigint" ? Number(r) : null);

/**
 * Describes a random reply by what is specified about it (nil, one member, n distinct members, n
 * members with repeats), or says why it is invalid against the value the key held before.
 */
/** What a random command may answer from: member → its value (hash value, formatted score) or "" for sets. */
function universeOf(pre: Value | undefined): Map<string, string> {
  const universe = new Map<string, string>();
  if (pre instanceof RedisSet) for (const m of pre.values()) universe.set(m, "");
  else if (pre instanceof RedisHash) for (const [f, v] of pre.entries()) universe.set(f, v);
  else if (pre instanceof RedisZSet) for (const [m, s] of pre.entries()) universe.set(m, formatDouble(s));
  return universe;
}

function randomShape(name: string, argv: string[], reply: Reply, pre: Value | undefined, universe: Map<string, string>, liveKeys: string[]): string {
  if (isErrorReply(reply)) return show(reply);
  if (name === "randomkey") {
    if (liveKeys.length === 0) return reply === null ? "nil" : `invalid: ${show(reply)} from an empty keyspace`;
    return typeof reply === "string" && liveKeys.includes(reply) ? "an existing key" : `invalid: ${show(reply)} is not a key`;
  }
  const withValues = argv.length >= 4;
  if (argv.length === 2) {
    if (pre === undefined) return reply === null ? "nil" : `invalid: ${show(reply)} from a missing key`;
    return typeof reply === "string" && universe.has(reply) ? "one member" : `invalid: ${show(reply)} is not a member`;
  }
  if (!Array.isArray(reply)) return `invalid: ${show(reply)} is not an array`;
  if (pre === undefined) return reply.length === 0 ? "empty" : `invalid: ${show(reply)} from a missing key`;
  const count = Number(argv[2]);
  const step = withValues ? 2 : 1;
  const items: string[] = [];
  for (let i = 0; i < reply.length; i += step) {
    const m = reply[i];
    if (typeof m !== "string" || !universe.has(m)) return `invalid: ${show(m)} is not a member`;
    if (withValues && reply[i + 1] !== universe.get(m)) return `invalid: ${show(m)} comes with ${show(reply[i + 1])}, not ${show(universe.get(m)!)}`;
    items.push(m);
  }
  if (count >= 0) {
    if (new Set(items).size !== items.length) return `invalid: repeated members in ${show(reply)}`;
    const want = Math.min(count, universe.size);
    return items.length === want ? `${want} distinct members` : `invalid: ${items.length} members, not ${want}`;
  }
  return items.length === -count ? `${-count} members` : `invalid: ${items.length} members, not ${-count}`;
}

interface SortOptions {
  dontsort: boolean;
  byPattern: boolean;
  alpha: boolean;
  store: boolean;
  /** The STORE destination (the last one given, as Redis takes it). */
  storeKey?: string;
  limit: boolean;
  gets: number;
}

function sortOptions(argv: string[]): SortOptions {
  const o: SortOptions = { dontsort: false, byPattern: false, alpha: false, store: false, limit: false, gets: 0 };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i].toUpperCase();
    if (a === "BY" && i + 1 < argv.length) {
      const p = argv[++i];
      if (p.includes("*")) o.byPattern = true;
      else o.dontsort = true;
    } else if (a === "GET" && i + 1 < argv.length) {
      o.gets++;
      i++;
    } else if (a === "STORE" && i + 1 < argv.length) {
      o.store = true;
      o.storeKey = argv[++i];
    } else if (a === "LIMIT") {
      o.limit = true;
      i += 2;
    } else if (a === "ALPHA") o.alpha = true;
  }
  return o;
}

const STALE_ERRNO_SORT = "Redis's stale errno in SORT of a listpack zset with a subnormal score";

/**
 * SORT's order is unspecified in two cases: a set not sorted (BY without '*', no STORE: set order), and
 * ALPHA with a BY pattern, whose equal weights compare as 0 in an unstable sort. Then the result is
 * compared as a multiset of its GET tuples, or only by length when LIMIT picks an arbitrary part.
 */
function compareSort(argv: string[], ours: Reply, theirs: Reply, pre: Value | undefined, preBig: boolean): Verdict {
  const o = sortOptions(argv);
  // The same errno bug from inside SORT: converting a listpack zset to a skiplist parses its scores
  // with strtod, and a subnormal one leaves ERANGE for the elements' own parsing. Not emulated.
  const subnormal = (s: number) => s !== 0 && Math.abs(s) < 2.2250738585072014e-308;
  if (
    isErrorReply(theirs) &&
    theirs.error === "ERR One or more scores can't be converted into double" &&
    !isErrorReply(ours) &&
    pre instanceof RedisZSet &&
    !preBig &&
    pre.entries().some(([, s]) => subnormal(s))
  ) {
    return { equal: true, ours: show(ours), theirs: show(theirs), note: STALE_ERRNO_SORT };
  }
  const unordered = (o.dontsort && pre instanceof RedisSet && !o.store) || (o.alpha && o.byPattern && !o.store);
  if (!unordered || isErrorReply(ours) || isErrorReply(theirs) || !Array.isArray(ours) || !Array.isArray(theirs)) {
    return exact(ours, theirs);
  }
  if (o.limit) {
    const equal = ours.length === theirs.length;
    return { equal, ours: show(ours), theirs: show(theirs), note: "unordered SORT with LIMIT: lengths compared" };
  }
  return exact(ours, theirs, (r) => sortGroups(r, Math.max(1, o.gets)), "unordered SORT: compared as a multiset");
}

// ---------------------------------------------------------------------------------------------------
// The run.

/** Encoding thresholds for a run: Redis's defaults, or small ones so transitions happen often. */
export const PROFILES: Record<string, Record<string, string>> = {
  default: {
    "hash-max-listpack-entries": "128",
    "hash-max-listpack-value": "64",
    "set-max-intset-entries": "512",
    "zset-max-listpack-entries": "128",
    "zset-max-listpack-value": "64",
  },
  small: {
    "hash-max-listpack-entries": "4",
    "hash-max-listpack-value": "8",
    "set-max-intset-entries": "6",
    "zset-max-listpack-entries": "4",
    "zset-max-listpack-value": "8",
  },
};

export interface DiffOptions {
  seed: number;
  count: number;
  profile?: keyof typeof PROFILES;
  /** Share of commands given wrong arguments. */
  mutationRate?: number;
  /** Also replay our propagated log into a fresh engine and compare (default true). */
  replay?: boolean;
  /** Compare lex ranges over mixed scores too (Redis documents them as unspecified). */
  strictLex?: boolean;
  /** Generate only these families' commands (e.g. a geo-only run). */
  families?: Family[];
}

export type MismatchKind = "reply" | "state" | "encoding" | "final" | "replay";

export interface Mismatch {
  kind: MismatchKind;
  /** Index of the command in the run (-1 for the final and replay comparisons). */
  index: number;
  argv: string[];
  family: Family;
  ours: string;
  theirs: string;
  note?: string;
  /** Keys whose history explains it. */
  keys: string[];
}

export interface HistoryEntry {
  index: number;
  argv: string[];
  ours: string;
  theirs: string;
  /** Harness commands (resyncs, reclaiming expired keys) are not part of the generated stream. */
  harness?: boolean;
}

export interface Coverage {
  family: Family;
  runs: number;
  /** Runs whose reply (ours) was an error. */
  errors: number;
}

export interface DiffResult {
  seed: number;
  count: number;
  profile: string;
  mismatches: Mismatch[];
  coverage: Map<string, Coverage>;
  /** family:name of generators whose command the engine does not have. */
  missing: string[];
  /** Engine commands no generator covers. */
  ungenerated: string[];
  history: HistoryEntry[];
  keyHistory: Map<string, number[]>;
  millis: number;
}

/** Keys an argv names, by the engine's key positions and by name (SORT patterns, STORE targets). */
function keysOf(engine: Engine, argv: string[]): string[] {
  const out = new Set<string>();
  const spec = engine.lookup(argv[0]);
  if (spec) {
    try {
      for (const p of keyPositions(spec, argv)) if (p < argv.length) out.add(argv[p]);
    } catch {
      // A malformed argv may confuse a key-position function; the names below still count.
    }
  }
  for (let i = 1; i < argv.length; i++) if (KEY_SPACE.includes(argv[i])) out.add(argv[i]);
  if (argv[0].toLowerCase() === "flushdb") for (const k of KEY_SPACE) out.add(k);
  return [...out];
}

export async function runDifferential(conn: Connection, opts: DiffOptions): Promise<DiffResult> {
  const started = Date.now();
  const profile = opts.profile ?? "default";
  const config = PROFILES[profile];
  await conn.call("FLUSHALL");
  for (const [k, v] of Object.entries(config)) {
    const r = await conn.call("CONFIG", "SET", k, v);
    if (isErrorReply(r)) throw new Error(`CONFIG SET ${k} ${v}: ${r.error}`);
  }

  // The engine's clock is fixed while a command runs and moved to real time before each one, so
  // relative expiries land where Redis puts them (within EXPIRE_TOLERANCE_MS).
  let now = Date.now();
  const clock = () => now;
  const engine = new Engine({ clock, random: seededRandom(opts.seed ^ 0x5bd1e995), config });
  const log: string[][] = [];
  engine.sink = (cmds) => log.push(...cmds);

  const stream = new CommandStream(opts.seed, (n) => engine.lookup(n) !== undefined, opts.mutationRate, opts.families);
  const generated = new Set(GENERATORS.map((x) => x.name));
  const ungenerated = FAMILY_FILES.flatMap(([f, specs]) => specs.filter((s) => !generated.has(s.name)).map((s) => `${f}:${s.name}`));

  const mismatches: Mismatch[] = [];
  const coverage = new Map<string, Coverage>();
  const history: HistoryEntry[] = [];
  const keyHistory = new Map<string, number[]>();
  /** Keys whose encodings differ (reported once until they agree again). */
  const encodingDiverged = new Map<string, string>();

  const internal: string[] = [];
  const runOurs = (argv: string[]): Reply => {
    now = Date.now();
    const original = console.error;
    console.error = (...a: unknown[]) => internal.push(a.map(String).join(" "));
    try {
      return engine.execute(argv);
    } finally {
      console.error = original;
    }
  };
  const note = (index: number, argv: string[], ours: string, theirs: string, harness = false) => {
    const at = history.length;
    history.push({ index, argv, ours, theirs, harness });
    for (const k of keysOf(engine, argv)) {
      let list = keyHistory.get(k);
      if (!list) keyHistory.set(k, (list = []));
      list.push(at);
    }
  };
  /** Runs a bookkeeping command on both sides (not compared beyond recording it). */
  const both = async (index: number, argv: string[]) => {
    const ours = runOurs(argv);
    const theirs = await conn.call(...argv);
    note(index, argv, show(ours), show(theirs), true);
  };

  const liveKeys = () => [...engine.db.data.keys()].filter((k) => !engine.db.isExpired(k, Date.now()));

  /** Runs a SCAN-family command to the end on one side; the items found, deduplicated and sorted. */
  const fullScan = async (argv: string[], call: (a: string[]) => Reply | Promise<Reply>): Promise<Reply> => {
    const pos = SCANS.get(argv[0].toLowerCase())!;
    const pairs = argv[0].toLowerCase() === "hscan" || argv[0].toLowerCase() === "zscan";
    const a = [...argv];
    const seen = new Set<string>();
    for (let pages = 0; pages < 100_000; pages++) {
      const r = await call(a);
      if (!Array.isArray(r) || r.length !== 2 || !Array.isArray(r[1])) return r;
      const items = r[1] as string[];
      if (pairs) for (let i = 0; i < items.length; i += 2) seen.add(show([items[i], items[i + 1]]));
      else for (const x of items) seen.add(show(x));
      if (r[0] === "0") return ["(full iteration)", [...seen].sort(byBytes)];
      a[pos] = r[0] as string;
    }
    return { error: "scan did not finish" };
  };

  const compareKeys = async (index: number, argv: string[], keys: string[], kind: MismatchKind): Promise<void> => {
    if (keys.length === 0) return;
    const theirs = await redisKeyStates(conn, keys);
    const t = Date.now();
    const resync: string[] = [];
    keys.forEach((key, i) => {
      const a = ourKeyState(engine, key, t);
      const b = theirs[i];
      const family = familyOf(argv[0]);
      if (a.type === "zset" && b.type === "zset" && a.value !== b.value && storesDistances(argv) && sameWithinUlps(a.value, b.value)) {
        // Stored distances come from sin/cos/asin: V8's (fdlibm) and glibc's differ in the last bit
        // now and then. Equal up to that: start the key afresh on both sides rather than diverge.
        resync.push(key);
        return;
      }
      if (a.type !== b.type || a.value !== b.value || !sameExpiry(a.expireAt, b.expireAt)) {
        mismatches.push({ kind, index, argv, family, ours: showState(a), theirs: showState(b), keys: [key], note: `key ${key} differs` });
        resync.push(key);
        encodingDiverged.delete(key);
        return;
      }
      const pair = `${a.encoding} vs ${b.encoding}`;
      if (a.encoding === b.encoding) encodingDiverged.delete(key);
      else if (encodingDiverged.get(key) !== pair) {
        encodingDiverged.set(key, pair);
        mismatches.push({
          kind: kind === "state" ? "encoding" : kind,
          index,
          argv,
          family: familyOf(argv[0]),
          ours: a.encoding,
          theirs: b.encoding,
          keys: [key],
          note: `OBJECT ENCODING ${key} (${a.type}) differs`,
        });
      }
    });
    // A diverged key would make every later command on it differ too: delete it on both sides.
    if (resync.length > 0 && (kind === "state" || storesDistances(argv))) await both(index, ["DEL", ...resync]);
  };

  for (let index = 0; index < opts.count; index++) {
    const argv = stream.next();
    const name = argv[0].toLowerCase();
    const family = familyOf(name);

    // Redis reclaims keys past their expiry in the background (active expiry), we on access; DBSIZE
    // counts keys not yet reclaimed, so reclaim them on both sides first, by touching them.
    if (name === "dbsize") {
      const expired = [...engine.db.expires.keys()].filter((k) => engine.db.isExpired(k, Date.now()));
      if (expired.length > 0) await both(index, ["EXISTS", ...expired]);
    }
    // Redis's SORT tests errno after strtod without clearing it first (sort.c), so an ERANGE left by
    // any earlier command on this connection (ZADD … -1e-400) fails it spuriously. A float parsed by
    // getDoubleFromObject (which clears errno) resets it; nothing else is touched.
    if (name === "sort" || name === "sort_ro") await conn.call("ZUNION", "1", "__differential_errno__", "WEIGHTS", "1");
    const t0 = Date.now();
    const pre = argv.length > 1 ? peek(engine, argv[1], t0) : undefined;
    const preKeys = name === "randomkey" ? liveKeys() : [];
    const mixedLex = opts.strictLex ? null : mixedLexSource(engine, argv, t0);
    // Taken before the command: SPOP changes the very object `pre` refers to (SORT its encoding).
    const universe = RANDOM.has(name) ? universeOf(pre) : new Map<string, string>();
    const preBig = pre instanceof RedisHash || pre instanceof RedisSet || pre instanceof RedisZSet ? pre.bigEncoding : false;
    const internalBefore = internal.length;

    let ours: Reply;
    let theirs: Reply;
    if (SCANS.has(name) && argv.length > SCANS.get(name)!) {
      ours = await fullScan(argv, runOurs);
      theirs = await fullScan(argv, (a) => conn.call(...a));
    } else {
      ours = runOurs(argv);
      theirs = await conn.call(...argv);
    }

    let v: Verdict;
    if (UNORDERED.has(name)) v = exact(ours, theirs, sortStrings, "unordered reply: compared sorted");
    else if (HASH_LISTINGS.has(name) && pre instanceof RedisHash && preBig) {
      v = exact(ours, theirs, name === "hgetall" ? (r) => sortGroups(r, 2) : sortStrings, "hashtable-encoded hash: compared sorted");
    } else if (SCANS.has(name) && !isErrorReply(ours) && !isErrorReply(theirs) && !/^[+-]?0*$/.test(argv[SCANS.get(name)!])) {
      // A cursor no call returned is "undefined behavior" in Redis's documentation (small encodings ignore it).
      v = { equal: true, ours: show(ours), theirs: show(theirs), note: "SCAN from a cursor never returned: unspecified" };
    } else if (SCANS.has(name)) v = exact(ours, theirs, (r) => r, "SCAN family: full iterations compared as sets");
    else if (RANDOM.has(name)) {
      const a = randomShape(name, argv, ours, pre, universe, preKeys);
      const b = randomShape(name, argv, theirs, pre, universe, preKeys);
      v = { equal: a === b && !a.startsWith("invalid"), ours: `${show(ours)} → ${a}`, theirs: `${show(theirs)} → ${b}`, note: "random reply: validity compared" };
    } else if (name === "object" && argv[1]?.toLowerCase() === "idletime" && typeof ours === "number" && typeof theirs === "number") {
      // Seconds since the last access: Redis reads a clock cached 10 times a second, we read the time.
      v = { equal: Math.abs(ours - theirs) <= 1, ours: show(ours), theirs: show(theirs), note: "OBJECT IDLETIME compared within 1 s" };
    } else if (TTLS.has(name)) {
      const x = asInt(ours);
      const y = asInt(theirs);
      const tol = TTLS.get(name)!;
      const equal = x !== null && y !== null ? (x < 0 || y < 0 ? x === y : Math.abs(x - y) <= tol) : show(ours) === show(theirs);
      v = { equal, ours: show(ours), theirs: show(theirs), note: `TTL replies compared within ${tol}` };
    } else if (name === "sort" || name === "sort_ro") v = compareSort(argv, ours, theirs, pre, preBig);
    else if (mixedLex !== null && !isErrorReply(ours) && !isErrorReply(theirs)) {
      v = { equal: true, ours: show(ours), theirs: show(theirs), note: `lex range over ${mixedLex}, whose scores differ: unspecified` };
    } else v = exact(ours, theirs);

    if (internal.length > internalBefore) {
      v = { ...v, equal: false, note: `internal error: ${internal.slice(internalBefore).join("; ").slice(0, 500)}` };
    }
    const keys = keysOf(engine, argv);
    note(index, argv, v.ours, v.theirs);
    if (!v.equal) mismatches.push({ kind: "reply", index, argv, family, ours: v.ours, theirs: v.theirs, note: v.note, keys });
    const cov = coverage.get(name) ?? { family, runs: 0, errors: 0 };
    cov.runs++;
    if (isErrorReply(ours)) cov.errors++;
    coverage.set(name, cov);

    // SPOP removed different members on each side: remove the other side's too, so both hold the rest.
    if (name === "spop" && !isErrorReply(ours) && !isErrorReply(theirs)) {
      const a = new Set(Array.isArray(ours) ? (ours as string[]) : ours === null ? [] : [ours as string]);
      const b = new Set(Array.isArray(theirs) ? (theirs as string[]) : theirs === null ? [] : [theirs as string]);
      const onlyTheirs = [...b].filter((m) => !a.has(m));
      const onlyOurs = [...a].filter((m) => !b.has(m));
      if (onlyTheirs.length > 0) runOurs(["SREM", argv[1], ...onlyTheirs]);
      if (onlyOurs.length > 0) await conn.call("SREM", argv[1], ...onlyOurs);
      if (onlyTheirs.length + onlyOurs.length > 0) {
        note(index, ["SREM (resync)", argv[1], ...onlyTheirs, "|", ...onlyOurs], "", "", true);
      }
    }

    // What an unspecified lex removal or store left differs by design: start that key afresh on both sides.
    if (mixedLex !== null && (name === "zremrangebylex" || name === "zrangestore") && !isErrorReply(ours)) await both(index, ["DEL", argv[1]]);
    // Redis's stale-errno failure (see compareSort) left a STORE destination as it was, while ours
    // was written: start that key afresh on both sides too.
    if (v.note === STALE_ERRNO_SORT) {
      const dest = sortOptions(argv).storeKey;
      if (dest !== undefined) await both(index, ["DEL", dest]);
    }

    await compareKeys(index, argv, keys, "state");
  }

  // The whole dataset at the end: every key either side has.
  const redisKeys = (await conn.call("KEYS", "*")) as string[];
  const all = [...new Set([...KEY_SPACE, ...redisKeys, ...liveKeys()])].sort(byBytes);
  await compareKeys(-1, ["(final dataset)"], all, "final");

  // Replaying what we propagated must rebuild our dataset exactly (AOF correctness).
  if (opts.replay ?? true) {
    const replayed = new Engine({ clock, config });
    replayed.db.loading = true;
    for (const argv of log) {
      const r = replayed.replay(argv);
      if (isErrorReply(r)) {
        mismatches.push({ kind: "replay", index: -1, argv, family: familyOf(argv[0]), ours: "(logged)", theirs: show(r), keys: keysOf(engine, argv), note: "a logged command fails on replay" });
      }
    }
    replayed.db.loading = false;
    const t = Date.now();
    for (const key of [...new Set([...engine.db.data.keys(), ...replayed.db.data.keys()])].sort(byBytes)) {
      const a = ourKeyState(engine, key, t);
      const b = ourKeyState(replayed, key, t);
      // Encodings are not compared: a string's records how it was made (APPEND: raw), which the log's
      // rewrites (INCRBYFLOAT → SET) do not keep, and SORT converts a listpack zset in place without
      // propagating anything. Redis's own AOF behaves the same.
      // For the same reason a zset score of -0 (kept only by the skiplist encoding) may come back as 0.
      const value = (x: KeyState) => (x.type === "zset" ? x.value.replaceAll('"-0"', '"0"') : x.value);
      if (a.type !== b.type || value(a) !== value(b) || a.expireAt !== b.expireAt) {
        mismatches.push({ kind: "replay", index: -1, argv: ["(replay of our log)"], family: "keys", ours: showState(a), theirs: showState(b), keys: [key], note: `key ${key}: live vs replayed from the log` });
      }
    }
  }

  return { seed: opts.seed, count: opts.count, profile, mismatches, coverage, missing: stream.missing, ungenerated, history, keyHistory, millis: Date.now() - started };
}

// ---------------------------------------------------------------------------------------------------
// Reports.

const showArgv = (argv: string[]) => argv.map((a) => (/^[\x21-\x7e]+$/.test(a) && !a.includes('"') ? a : quote(a))).map((a) => clip(a, 80)).join(" ");

export function formatMismatch(m: Mismatch): string {
  const where = m.index >= 0 ? `#${m.index}` : m.kind;
  const lines = [`${where} [${m.family}] ${m.kind}: ${clip(showArgv(m.argv), 300)}`];
  if (m.note) lines.push(`    note:  ${m.note}`);
  lines.push(`    ours:  ${clip(m.ours)}`, `    redis: ${clip(m.theirs)}`);
  return lines.join("\n");
}

/** The commands that touched these keys, up to the mismatch (the last `limit` of them). */
export function formatHistory(result: DiffResult, m: Mismatch, limit = 25): string {
  const positions = new Set<number>();
  for (const k of m.keys) for (const p of result.keyHistory.get(k) ?? []) positions.add(p);
  const upto = m.index < 0 ? Infinity : m.index;
  const chosen = [...positions].filter((p) => result.history[p].index <= upto).sort((a, b) => a - b).slice(-limit);
  return chosen
    .map((p) => {
      const h = result.history[p];
      const same = h.ours === h.theirs;
      const tag = h.harness ? "harness" : `#${h.index}`;
      return `      ${tag.padStart(7)} ${clip(showArgv(h.argv), 160)}\n              → ${clip(h.ours, 160)}${same ? "" : `   | redis: ${clip(h.theirs, 160)}`}`;
    })
    .join("\n");
}

export function formatCoverage(result: DiffResult): string {
  const byFamily = new Map<Family, [string, Coverage][]>();
  for (const [name, cov] of result.coverage) {
    const list = byFamily.get(cov.family) ?? [];
    list.push([name, cov]);
    byFamily.set(cov.family, list);
  }
  const lines: string[] = [];
  for (const [family] of FAMILY_FILES) {
    const list = (byFamily.get(family) ?? []).sort((a, b) => a[0].localeCompare(b[0]));
    const runs = list.reduce((s, [, c]) => s + c.runs, 0);
    const missing = result.missing.filter((m) => m.startsWith(family + ":")).map((m) => m.slice(family.length + 1));
    lines.push(
      `${family.padEnd(12)} ${String(list.length).padStart(3)} commands, ${String(runs).padStart(6)} runs: ` +
        list.map(([n, c]) => `${n} ${c.runs}${c.errors ? `/${c.errors}err` : ""}`).join(", ") +
        (missing.length ? `\n${" ".repeat(13)}not in the engine yet: ${missing.join(", ")}` : ""),
    );
  }
  if (result.ungenerated.length) lines.push(`engine commands no generator covers: ${result.ungenerated.join(", ")}`);
  return lines.join("\n");
}

export function formatResult(result: DiffResult, opts: { limit?: number; history?: boolean } = {}): string {
  const limit = opts.limit ?? Infinity;
  const out = [
    `seed ${result.seed}, ${result.count} commands, profile ${result.profile}: ${result.mismatches.length} mismatches in ${(result.millis / 1000).toFixed(1)} s`,
  ];
  const perFamily = new Map<string, number>();
  for (const m of result.mismatches) perFamily.set(`${m.family}/${m.kind}`, (perFamily.get(`${m.family}/${m.kind}`) ?? 0) + 1);
  if (perFamily.size) out.push("by family: " + [...perFamily].map(([f, n]) => `${f} ${n}`).join(", "));
  for (const m of result.mismatches.slice(0, limit)) {
    out.push(formatMismatch(m));
    if (opts.history) out.push("    history of " + m.keys.join(", ") + ":\n" + formatHistory(result, m));
  }
  if (result.mismatches.length > limit && limit > 0) out.push(`… and ${result.mismatches.length - limit} more`);
  return out.join("\n");
}

/** Mismatches of many runs grouped by family, kind and command: a count and the first example of each. */
export function formatSummary(results: DiffResult[], maxGroups = Infinity): string {
  const groups = new Map<string, { n: number; first: Mismatch; seed: number; profile: string }>();
  for (const r of results) {
    for (const m of r.mismatches) {
      const key = `${m.family} ${m.kind} ${m.argv[0].toUpperCase()}`;
      const g = groups.get(key);
      if (g) g.n++;
      else groups.set(key, { n: 1, first: m, seed: r.seed, profile: r.profile });
    }
  }
  const out: string[] = [];
  let family = "";
  const sorted = [...groups].sort((a, b) => a[0].localeCompare(b[0]));
  for (const [key, g] of sorted.slice(0, maxGroups)) {
    if (g.first.family !== family) out.push(`== ${(family = g.first.family)}`);
    out.push(`${key.slice(family.length + 1)} ×${g.n} (first: seed ${g.seed} ${g.profile})\n${formatMismatch(g.first)}`);
  }
  if (sorted.length > maxGroups) out.push(`… and ${sorted.length - maxGroups} more kinds of mismatch`);
  return out.join("\n");
}
