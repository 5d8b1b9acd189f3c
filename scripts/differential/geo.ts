// The differential test's geo generators (scripts/differential/command-stream.ts draws from them): GEOADD and every search
// form over a few geo keys, with positions in clusters (so searches find several members), at the
// edges of the hashable range, and now and then invalid.
//
// Each member has its own two positions (one per variant); the rare ones sometimes share a centre's,
// so equal distances occur and COUNT's partial sort must order ties as Redis's pqsort does.

import type { CommandGen, Gen } from "./gen.js";

const MEMBERS = ["Palermo", "Catania", "a", "b", "c", "x y", "\xff\x00", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"];

/** Two positions per member, all distinct: clusters around Sicily, the origin and the antimeridian, and edges. */
const POSITIONS: [string, string][] = (() => {
  const out: [string, string][] = [
    ["13.361389", "38.115556"], ["15.087269", "37.502669"],
    ["180", "85.05112878"], ["-180", "-85.05112878"],
    ["0", "0"], ["-0.0001", "0.0001"],
    ["179.9999", "-0.5"], ["-179.9999", "0.5"],
  ];
  // Pseudo-random but fixed offsets, irregular enough that no two are at the same distance from a centre.
  for (let i = 0; out.length < MEMBERS.length * 2; i++) {
    const cluster = i % 3;
    const jitterA = ((i * 7919) % 1000) / 1000;
    const jitterB = ((i * 104729) % 997) / 997;
    if (cluster === 0) out.push([(12.5 + jitterA * 3.1).toFixed(6), (36.9 + jitterB * 1.6).toFixed(6)]);
    else if (cluster === 1) out.push([(-0.8 + jitterA * 1.7).toFixed(5), (-0.7 + jitterB * 1.3).toFixed(5)]);
    else out.push([(178.3 + jitterA * 1.69).toFixed(4), (-60 + jitterB * 140).toFixed(4)]);
  }
  return out;
})();

const CENTRES: [string, string][] = [
  ["15", "37"], ["13.5", "38"], ["0", "0"], ["180", "0"], ["-180", "10"], ["179.5", "-40"],
  ["0", "85.05112878"], ["10", "-85"], ["-73.9", "40.7"], ["14", "37.5"],
];
const BAD_POSITIONS: [string, string][] = [["181", "0"], ["0", "86"], ["-180.5", "1"], ["abc", "1"], ["1", ""], ["nan", "0"], ["inf", "0"]];
const RADII = ["0", "1", "10", "50", "100", "200", "500", "1000", "5000", "20000", "0.5"];
const UNITS = ["m", "km", "mi", "ft", "KM", "M"];

const RARE_MEMBERS = ["nosuch", "", "Palermo2"];
/** The rare members' own positions. */
const RARE_POSITIONS: [string, string][] = [["-73.935242", "40.730610"], ["151.2093", "-33.8688"], ["13.40", "38.12"]];

function member(g: Gen): string {
  return g.chance(0.05) ? g.pick(RARE_MEMBERS) : g.pick(MEMBERS);
}

/** A longitude, latitude pair: mostly a member's own position, sometimes a centre, rarely invalid. */
function position(g: Gen, m: string): [string, string] {
  const i = MEMBERS.indexOf(m);
  if (g.chance(0.03)) return g.pick(BAD_POSITIONS);
  if (i < 0) return g.chance(0.5) ? RARE_POSITIONS[RARE_MEMBERS.indexOf(m)] : g.pick(CENTRES);
  return POSITIONS[i * 2 + (g.chance(0.75) ? 0 : 1)];
}

function centre(g: Gen): [string, string] {
  return g.chance(0.04) ? g.pick(BAD_POSITIONS) : g.pick(CENTRES);
}

function radius(g: Gen): string[] {
  const r = g.chance(0.03) ? g.pick(["-1", "abc", ""]) : g.pick(RADII);
  const unit = g.chance(0.02) ? "yd" : g.pick(UNITS);
  // Metres and feet need bigger numbers to find anything.
  return [unit.toLowerCase() === "m" || unit === "ft" ? String(Number(r) * 1000 || r) : r, unit];
}

function box(g: Gen): string[] {
  const w = g.chance(0.03) ? g.pick(["-1", "abc"]) : g.pick(RADII);
  const h = g.chance(0.03) ? g.pick(["-2", "x"]) : g.pick(RADII);
  return [w, h, g.chance(0.02) ? "yd" : g.pick(["km", "mi", "KM"])];
}

const geoKey = (g: Gen): string => g.key("geo");

/** WITH*, COUNT [ANY], ASC|DESC in random order (and now and then a COUNT the parser refuses). */
function searchOptions(g: Gen, withs: boolean): string[][] {
  const out: string[][] = [];
  if (withs) {
    if (g.chance(0.4)) out.push([g.word("WITHDIST")]);
    if (g.chance(0.3)) out.push([g.word("WITHCOORD")]);
    if (g.chance(0.25)) out.push([g.word("WITHHASH")]);
  }
  if (g.chance(0.35)) {
    const count = g.chance(0.04) ? g.pick(["0", "-1", "abc"]) : g.pick(["1", "2", "3", "5", "100"]);
    out.push(g.chance(0.3) ? [g.word("COUNT"), count, g.word("ANY")] : [g.word("COUNT"), count]);
  } else if (g.chance(0.02)) out.push([g.word("ANY")]);
  if (g.chance(0.4)) out.push([g.word(g.pick(["ASC", "DESC"]))]);
  return out;
}

function storeOption(g: Gen): string[][] {
  if (!g.chance(0.3)) return [];
  return [[g.word(g.pick(["STORE", "STOREDIST"])), g.chance(0.8) ? g.key("geo") : g.key("zset", "string")]];
}

function searchFrom(g: Gen): string[][] {
  const r = g.rnd();
  if (r < 0.45) return [[g.word("FROMMEMBER"), member(g)]];
  if (r < 0.95) return [[g.word("FROMLONLAT"), ...centre(g)]];
  if (r < 0.975) return [];
  return [[g.word("FROMMEMBER"), member(g)], [g.word("FROMLONLAT"), ...centre(g)]];
}

function searchBy(g: Gen): string[][] {
  const r = g.rnd();
  if (r < 0.5) return [[g.word("BYRADIUS"), ...radius(g)]];
  if (r < 0.97) return [[g.word("BYBOX"), ...box(g)]];
  if (r < 0.985) return [];
  return [[g.word("BYRADIUS"), ...radius(g)], [g.word("BYBOX"), ...box(g)]];
}

const c = (name: string, weight: number, gen: (g: Gen, n: string) => string[]): CommandGen => ({
  family: "geo",
  name,
  weight,
  gen: (g) => gen(g, g.name(name)),
});

export const GEO_GENERATORS: CommandGen[] = [
  c("geoadd", 5, (g, n) => {
    const flags: string[] = [];
    if (g.chance(0.25)) flags.push(g.word(g.pick(["NX", "XX"])));
    if (g.chance(0.25)) flags.push(g.word("CH"));
    if (g.chance(0.02)) flags.push(g.word(g.pick(["GT", "NX", "XX"])));
    const items = Array.from({ length: g.int(1, 4) }, () => {
      const m = member(g);
      return [...position(g, m), m];
    }).flat();
    return [n, g.chance(0.95) ? geoKey(g) : g.key(), ...g.shuffle(flags), ...items, ...(g.chance(0.02) ? ["orphan"] : [])];
  }),
  c("geodist", 2, (g, n) => [n, geoKey(g), member(g), member(g), ...(g.chance(0.6) ? [g.chance(0.03) ? "yd" : g.pick(UNITS)] : [])]),
  c("geohash", 1, (g, n) => [n, geoKey(g), ...Array.from({ length: g.int(0, 3) }, () => member(g))]),
  c("geopos", 1.5, (g, n) => [n, geoKey(g), ...Array.from({ length: g.int(0, 3) }, () => member(g))]),
  c("georadius", 2, (g, n) => [n, geoKey(g), ...centre(g), ...radius(g), ...g.shuffle([...searchOptions(g, g.chance(0.8)), ...storeOption(g)]).flat()]),
  c("georadius_ro", 1, (g, n) => [n, geoKey(g), ...centre(g), ...radius(g), ...g.shuffle(searchOptions(g, true)).flat()]),
  c("georadiusbymember", 2, (g, n) => [n, geoKey(g), member(g), ...radius(g), ...g.shuffle([...searchOptions(g, g.chance(0.8)), ...storeOption(g)]).flat()]),
  c("georadiusbymember_ro", 1, (g, n) => [n, geoKey(g), member(g), ...radius(g), ...g.shuffle(searchOptions(g, true)).flat()]),
  c("geosearch", 3, (g, n) => [n, geoKey(g), ...g.shuffle([...searchFrom(g), ...searchBy(g), ...searchOptions(g, true)]).flat()]),
  c("geosearchstore", 2, (g, n) => {
    const opts = [...searchFrom(g), ...searchBy(g), ...searchOptions(g, g.chance(0.05))];
    if (g.chance(0.4)) opts.push([g.word("STOREDIST")]);
    return [n, g.chance(0.85) ? geoKey(g) : g.key("zset", "string"), geoKey(g), ...g.shuffle(opts).flat()];
  }),
  // The geo keys are sorted sets: their members read and removed with the zset commands too.
  c("zrange", 0.5, (g, n) => [n, geoKey(g), "0", "-1", "WITHSCORES"]),
  c("zrem", 0.5, (g, n) => [n, geoKey(g), member(g)]),
];
