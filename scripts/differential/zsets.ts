// The differential test's generators for sorted-set commands: score and lex ranges, stores with
// WEIGHTS/AGGREGATE, and one that grows a zset past its listpack.

import { c, type CommandGen, Gen, INDEXES, limit, MEMBER_PATTERNS, numkeys, range, scanOptions } from "./gen.js";

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


export const ZSET_GENERATORS: CommandGen[] = [
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
];
