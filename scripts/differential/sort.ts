// The differential test's generators for SORT and SORT_RO, with BY/GET patterns, LIMIT and STORE.

import { c, type CommandGen, Gen, limit } from "./gen.js";

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

export const SORT_GENERATORS: CommandGen[] = [
  c("sort", "sort", 3, (g, n) => [n, g.key("list", "set", "zset"), ...sortArgs(g, true)]),
  c("sort", "sort_ro", 1, (g, n) => [n, g.key("list", "set", "zset"), ...sortArgs(g, false)]),
];
