// The differential test's generators for list commands, the blocking ones with short timeouts.

import { c, type CommandGen, LONG, numkeys, range } from "./gen.js";

export const LIST_GENERATORS: CommandGen[] = [
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
];
