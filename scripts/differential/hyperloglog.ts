// The differential test's generators for HyperLogLog commands, sparse and dense.

import { c, type CommandGen, Gen, range, SMALL } from "./gen.js";

const HLL_ELEMENTS = (g: Gen) => (g.chance(0.5) ? g.pick(SMALL) : "e" + g.int(0, 3000));

export const HYPERLOGLOG_GENERATORS: CommandGen[] = [
  c("hyperloglog", "pfadd", 4, (g, n) => [n, g.key("hll"), ...range(g.int(0, 4), () => HLL_ELEMENTS(g))]),
  c("hyperloglog", "pfcount", 3, (g, n) => [n, ...g.keys(1, 2, "hll")]),
  c("hyperloglog", "pfmerge", 1, (g, n) => [n, g.key("hll"), ...g.keys(0, 2, "hll")]),
  // Enough elements to go past hll-sparse-max-bytes: the dense representation.
  c("hyperloglog", "pfadd", 0.1, (g, n) => [n, g.key("hll"), ...range(700, () => "d" + g.int(0, 100000))]),
];
