// The differential test's generators for bit commands (SETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD).

import { c, type CommandGen, Gen } from "./gen.js";

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


export const BIT_GENERATORS: CommandGen[] = [
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
];
