// The differential test's generators for set commands, with intsets grown and broken.

import { c, type CommandGen, MEMBER_PATTERNS, numkeys, range, scanOptions } from "./gen.js";

export const SET_GENERATORS: CommandGen[] = [
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
];
