// The differential test's generators for hash commands, with one that grows a hash past its listpack.

import { c, type CommandGen, INCRS, MEMBER_PATTERNS, range, scanOptions } from "./gen.js";

export const HASH_GENERATORS: CommandGen[] = [
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
];
