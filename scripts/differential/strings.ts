// The differential test's generators for string commands (SET and its variants, INCR…, GETRANGE, LCS).

import { c, type CommandGen, expiryOption, flat, INCRS, range, REL_MS, REL_SECONDS } from "./gen.js";

export const STRING_GENERATORS: CommandGen[] = [
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
];
