// Geo commands (GEOADD … GEOSEARCHSTORE), as Redis 7.0 parses, answers and propagates them. A geo set
// is a sorted set whose scores are 52-bit geohashes (types/geohash.ts): GEOADD is ZADD with computed
// scores (and is propagated as that ZADD), searches scan the score ranges of nine geohash boxes.

import { type CommandContext, type CommandSpec, command, withGrowth } from "../command.js";
import { derivedGrowth } from "../growth.js";
import { RedisError, syntaxError } from "../errors.js";
import { formatFixed, formatHumanDouble } from "../long-double.js";
import { partialSort } from "../partial-sort.js";
import type { Reply } from "../reply.js";
import {
  GEO_LAT_MAX,
  GEO_LAT_MIN,
  GEO_LONG_MAX,
  GEO_LONG_MIN,
  type GeoShape,
  areasByShape,
  decodeScore,
  distanceIfWithin,
  geoDistance,
  geoScore,
  scoresOfBox,
  searchBoxes,
  standardGeohash,
} from "../types/geohash.js";
import { RedisZSet } from "../types/index.js";
import { NOTIFY_GENERIC, NOTIFY_ZSET } from "../notify.js";
import { getZSet, int64Arg, opt } from "./args.js";
import { compactIfSmall, scoreArg, zadd } from "./zsets.js";

// ---------------------------------------------------------------------------------------------
// Arguments

/** A longitude, latitude pair (both parsed before the range is checked, as Redis does). */
function lonLatArg(lonText: string, latText: string): [number, number] {
  const lon = scoreArg(lonText);
  const lat = scoreArg(latText);
  if (lon < GEO_LONG_MIN || lon > GEO_LONG_MAX || lat < GEO_LAT_MIN || lat > GEO_LAT_MAX) {
    throw new RedisError(`ERR invalid longitude,latitude pair ${formatFixed(lon, 6)},${formatFixed(lat, 6)}`);
  }
  return [lon, lat];
}

/** Meters per unit. */
function unitArg(s: string): number {
  switch (s.toLowerCase()) {
    case "m":
      return 1;
    case "km":
      return 1000;
    case "ft":
      return 0.3048;
    case "mi":
      return 1609.34;
  }
  throw new RedisError("ERR unsupported unit provided. please use M, KM, FT, MI");
}

/** <radius> <unit>: [radius, meters per unit]. */
function distanceArg(radiusText: string, unitText: string): [number, number] {
  const radius = scoreArg(radiusText, () => new RedisError("ERR need numeric radius"));
  if (radius < 0) throw new RedisError("ERR radius cannot be negative");
  return [radius, unitArg(unitText)];
}

/** <width> <height> <unit>: [width, height, meters per unit]. */
function boxArg(widthText: string, heightText: string, unitText: string): [number, number, number] {
  const width = scoreArg(widthText, () => new RedisError("ERR need numeric width"));
  const height = scoreArg(heightText, () => new RedisError("ERR need numeric height"));
  if (height < 0 || width < 0) throw new RedisError("ERR height or width cannot be negative");
  return [width, height, unitArg(unitText)];
}

/** The position a member's score stands for. */
function memberPosition(z: RedisZSet, member: string): [number, number] {
  const score = z.score(member);
  if (score === undefined) throw new RedisError("ERR could not decode requested zset member");
  return decodeScore(score);
}

/** Redis's fixedpoint_d2string(…, 4): round half to even to 4 decimals (llrint), always 4 digits. */
export function formatDistance(d: number): string {
  if (d === 0) return "0.0000";
  const scaled = d * 10000;
  let r = Math.round(scaled);
  // Math.round takes halves up; llrint takes them to even.
  if (r - scaled === 0.5 && r % 2 !== 0) r -= 1;
  const negative = r < 0;
  const digits = BigInt(Math.abs(r)).toString().padStart(5, "0");
  return `${negative ? "-" : ""}${digits.slice(0, -4)}.${digits.slice(-4)}`;
}

/** C's (long long) of a score, for WITHHASH. */
function hashReply(score: number): number | bigint {
  const t = Math.trunc(score);
  if (Number.isSafeInteger(t)) return t;
  if (t >= 2 ** 63 || t < -(2 ** 63)) return -(2n ** 63n);
  return BigInt(t);
}

// ---------------------------------------------------------------------------------------------
// GEOADD, GEODIST, GEOHASH, GEOPOS

/** GEOADD key [NX|XX] [CH] longitude latitude member [longitude latitude member …] */
function geoadd(ctx: CommandContext, argv: string[]): Reply {
  let nx = false;
  let xx = false;
  let at = 2;
  for (; at < argv.length; at++) {
    const o = opt(argv[at]);
    if (o === "NX") nx = true;
    else if (o === "XX") xx = true;
    else if (o !== "CH") break;
  }
  if ((argv.length - at) % 3 !== 0 || (xx && nx)) throw syntaxError();
  // The ZADD Redis runs in its place, which is also what it propagates.
  const zaddArgv = ["zadd", ...argv.slice(1, at)];
  for (let i = at; i < argv.length; i += 3) {
    const [lon, lat] = lonLatArg(argv[i], argv[i + 1]);
    zaddArgv.push(geoScore(lon, lat).toString(), argv[i + 2]);
  }
  const reply = zadd(ctx, zaddArgv);
  if (ctx.dirty > 0) ctx.rewrite(zaddArgv);
  return reply;
}

/** GEODIST key member1 member2 [M|KM|FT|MI] */
function geodist(ctx: CommandContext, argv: string[]): Reply {
  let toMeters = 1;
  if (argv.length === 5) toMeters = unitArg(argv[4]);
  else if (argv.length > 5) throw syntaxError();
  const z = getZSet(ctx, argv[1]);
  if (z === undefined) return null;
  const s1 = z.score(argv[2]);
  const s2 = z.score(argv[3]);
  if (s1 === undefined || s2 === undefined) return null;
  const [lon1, lat1] = decodeScore(s1);
  const [lon2, lat2] = decodeScore(s2);
  return formatDistance(geoDistance(lon1, lat1, lon2, lat2) / toMeters);
}

/** GEOHASH key [member …] */
function geohash(ctx: CommandContext, argv: string[]): Reply {
  const z = getZSet(ctx, argv[1]);
  const out: Reply[] = [];
  for (let j = 2; j < argv.length; j++) {
    const score = z?.score(argv[j]);
    out.push(score === undefined ? null : standardGeohash(score));
  }
  return out;
}

/** GEOPOS key [member …] */
function geopos(ctx: CommandContext, argv: string[]): Reply {
  const z = getZSet(ctx, argv[1]);
  const out: Reply[] = [];
  for (let j = 2; j < argv.length; j++) {
    const score = z?.score(argv[j]);
    if (score === undefined) out.push(null);
    else {
      const [lon, lat] = decodeScore(score);
      out.push([formatHumanDouble(lon), formatHumanDouble(lat)]);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Searches: GEORADIUS, GEORADIUSBYMEMBER (and _RO), GEOSEARCH, GEOSEARCHSTORE

const enum Search {
  /** Around coordinates (GEORADIUS). */
  Coords = 1,
  /** Around a member (GEORADIUSBYMEMBER). */
  Member = 2,
  /** No STORE/STOREDIST (the _RO forms). */
  NoStore = 4,
  /** GEOSEARCH's arguments. */
  GeoSearch = 8,
  /** GEOSEARCHSTORE (takes STOREDIST as a flag). */
  GeoSearchStore = 16,
}

interface GeoPoint {
  member: string;
  score: number;
  lon: number;
  lat: number;
  dist: number;
}

/**
 * The members inside the shape, box by box (centre, then the neighbours) and in score order within
 * a box; with a limit (ANY), stops once that many are found.
 */
function pointsInShape(z: RedisZSet, shape: GeoShape, limit: number): GeoPoint[] {
  const found: GeoPoint[] = [];
  const boxes = searchBoxes(areasByShape(shape));
  const xy: [number, number] = [0, 0];
  let lastProcessed = 0;
  for (let i = 0; i < boxes.length; i++) {
    const box = boxes[i];
    if (box === null) continue;
    // With a huge radius neighbours can repeat: skip a box equal to the one scanned before it
    // (as Redis, which starts comparing only once a neighbour has been scanned).
    const last = boxes[lastProcessed];
    if (lastProcessed !== 0 && last !== null && box.bits === last.bits && box.step === last.step) continue;
    if (found.length > 0 && limit > 0 && found.length >= limit) break;
    const [min, max] = scoresOfBox(box);
    z.walk(z.countScoreBelow(min, false), false, (member, score) => {
      if (score >= max) return false;
      decodeScore(score, xy);
      const dist = distanceIfWithin(shape, xy[0], xy[1]);
      if (dist >= 0) found.push({ member, score, lon: xy[0], lat: xy[1], dist });
      return !(found.length > 0 && limit > 0 && found.length >= limit);
    });
    lastProcessed = i;
  }
  return found;
}

const byDistance = (p: GeoPoint, q: GeoPoint): number => (p.dist > q.dist ? 1 : p.dist === q.dist ? 0 : -1);

/** Where the STORE/STOREDIST targets of GEORADIUS(BYMEMBER) sit, found as the option parser walks. */
function storeKeyPositions(base: number) {
  return (argv: string[]): number[] => {
    const out = [1];
    for (let i = base; i < argv.length; i++) {
      const a = opt(argv[i]);
      if (a === "COUNT" && i + 1 < argv.length) i++;
      else if ((a === "STORE" || a === "STOREDIST") && i + 1 < argv.length) out.push(++i);
    }
    return out;
  };
}

/** Redis's georadiusGeneric: every search command, with its own argument forms. */
function searchGeneric(ctx: CommandContext, argv: string[], srcIndex: number, flags: number): Reply {
  const z = getZSet(ctx, argv[srcIndex]);
  let storeKey: string | null = null;
  let storeDist = false;
  const shape: GeoShape = { lon: 0, lat: 0, conversion: 1, kind: "radius", radius: 0, width: 0, height: 0 };

  let base: number;
  if (flags & Search.Coords) {
    base = 6;
    [shape.lon, shape.lat] = lonLatArg(argv[2], argv[3]);
    [shape.radius, shape.conversion] = distanceArg(argv[4], argv[5]);
  } else if (flags & Search.Member) {
    // Without the key, the arguments are still parsed to pick the reply (0 for STORE, else empty).
    base = 5;
    if (z !== undefined) {
      [shape.lon, shape.lat] = memberPosition(z, argv[2]);
      [shape.radius, shape.conversion] = distanceArg(argv[3], argv[4]);
    }
  } else {
    base = 2;
    if (flags & Search.GeoSearchStore) {
      base = 3;
      storeKey = argv[1];
    }
  }

  let withDist = false;
  let withHash = false;
  let withCoord = false;
  let fromMember = false;
  let fromLonLat = false;
  let byRadius = false;
  let byBox = false;
  let sort: "none" | "asc" | "desc" = "none";
  let any = false;
  let count = 0;
  const geosearch = (flags & Search.GeoSearch) !== 0;
  const canStore = !(flags & Search.NoStore) && !geosearch;
  const remaining = argv.length - base;
  for (let i = 0; i < remaining; i++) {
    const at = base + i;
    const a = opt(argv[at]);
    if (a === "WITHDIST") withDist = true;
    else if (a === "WITHHASH") withHash = true;
    else if (a === "WITHCOORD") withCoord = true;
    else if (a === "ANY") any = true;
    else if (a === "ASC") sort = "asc";
    else if (a === "DESC") sort = "desc";
    else if (a === "COUNT" && i + 1 < remaining) {
      const n = int64Arg(argv[at + 1]);
      if (n <= 0n) throw new RedisError("ERR COUNT must be > 0");
      count = Number(n);
      i++;
    } else if ((a === "STORE" || a === "STOREDIST") && i + 1 < remaining && canStore) {
      storeKey = argv[at + 1];
      storeDist = a === "STOREDIST";
      i++;
    } else if (a === "STOREDIST" && geosearch && flags & Search.GeoSearchStore) {
      storeDist = true;
    } else if (a === "FROMMEMBER" && i + 1 < remaining && geosearch && !fromLonLat) {
      if (z !== undefined) [shape.lon, shape.lat] = memberPosition(z, argv[at + 1]);
      fromMember = true;
      i++;
    } else if (a === "FROMLONLAT" && i + 2 < remaining && geosearch && !fromMember) {
      [shape.lon, shape.lat] = lonLatArg(argv[at + 1], argv[at + 2]);
      fromLonLat = true;
      i += 2;
    } else if (a === "BYRADIUS" && i + 2 < remaining && geosearch && !byBox) {
      [shape.radius, shape.conversion] = distanceArg(argv[at + 1], argv[at + 2]);
      shape.kind = "radius";
      byRadius = true;
      i += 2;
    } else if (a === "BYBOX" && i + 3 < remaining && geosearch && !byRadius) {
      [shape.width, shape.height, shape.conversion] = boxArg(argv[at + 1], argv[at + 2], argv[at + 3]);
      shape.kind = "box";
      byBox = true;
      i += 3;
    } else throw syntaxError();
  }

  if (storeKey !== null && (withDist || withHash || withCoord)) {
    const what = flags & Search.GeoSearchStore ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS";
    throw new RedisError(`ERR ${what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`);
  }
  if (geosearch && !(fromMember || fromLonLat)) {
    throw new RedisError(`ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${argv[0]}`);
  }
  if (geosearch && !(byRadius || byBox)) {
    throw new RedisError(`ERR exactly one of BYRADIUS and BYBOX can be specified for ${argv[0]}`);
  }
  if (any && count === 0) throw new RedisError("ERR the ANY argument requires COUNT argument");

  if (z === undefined) {
    if (storeKey === null) return [];
    if (ctx.db.delete(storeKey)) {
      ctx.notify(NOTIFY_GENERIC, "del", storeKey);
      ctx.dirty++;
    }
    return 0;
  }

  // COUNT keeps the closest ones: sort ascending unless told otherwise (ANY keeps the first found).
  if (count !== 0 && sort === "none" && !any) sort = "asc";

  const points = pointsInShape(z, shape, any ? count : 0);
  if (points.length === 0 && storeKey === null) return [];
  const returned = count === 0 || points.length < count ? points.length : count;
  if (sort !== "none") {
    const cmp = sort === "asc" ? byDistance : (p: GeoPoint, q: GeoPoint) => -byDistance(p, q);
    // All of them: stable, as glibc's qsort (a merge sort) is. The first COUNT: Redis's partial
    // quicksort, which leaves equal distances in its own order.
    if (returned === points.length) points.sort(cmp);
    else partialSort(points, cmp, 0, returned - 1);
  }

  if (storeKey === null) {
    const out: Reply[] = new Array(returned);
    const withAny = withDist || withHash || withCoord;
    for (let i = 0; i < returned; i++) {
      const p = points[i];
      if (!withAny) {
        out[i] = p.member;
        continue;
      }
      const item: Reply[] = [p.member];
      if (withDist) item.push(formatDistance(p.dist / shape.conversion));
      if (withHash) item.push(hashReply(p.score));
      if (withCoord) item.push([formatHumanDouble(p.lon), formatHumanDouble(p.lat)]);
      out[i] = item;
    }
    return out;
  }

  if (returned > 0) {
    const stored = new RedisZSet();
    for (let i = 0; i < returned; i++) {
      const p = points[i];
      stored.add(p.member, storeDist ? p.dist / shape.conversion : p.score);
    }
    compactIfSmall(ctx, stored);
    ctx.db.set(storeKey, stored);
    ctx.notify(NOTIFY_ZSET, geosearch ? "geosearchstore" : "georadiusstore", storeKey);
    ctx.dirty += returned;
  } else if (ctx.db.delete(storeKey)) {
    ctx.notify(NOTIFY_GENERIC, "del", storeKey);
    ctx.dirty++;
  }
  return returned;
}

/** GEORADIUS key longitude latitude radius M|KM|FT|MI [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC|DESC] [STORE key|STOREDIST key] */
const georadius = (ctx: CommandContext, argv: string[]) => searchGeneric(ctx, argv, 1, Search.Coords);
/** GEORADIUS_RO key longitude latitude radius M|KM|FT|MI [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC|DESC] */
const georadiusRo = (ctx: CommandContext, argv: string[]) => searchGeneric(ctx, argv, 1, Search.Coords | Search.NoStore);
/** GEORADIUSBYMEMBER key member radius M|KM|FT|MI [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC|DESC] [STORE key|STOREDIST key] */
const georadiusByMember = (ctx: CommandContext, argv: string[]) => searchGeneric(ctx, argv, 1, Search.Member);
/** GEORADIUSBYMEMBER_RO key member radius M|KM|FT|MI [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC|DESC] */
const georadiusByMemberRo = (ctx: CommandContext, argv: string[]) => searchGeneric(ctx, argv, 1, Search.Member | Search.NoStore);
/** GEOSEARCH key FROMMEMBER member|FROMLONLAT longitude latitude BYRADIUS radius unit|BYBOX width height unit [ASC|DESC] [COUNT count [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH] */
const geosearch = (ctx: CommandContext, argv: string[]) => searchGeneric(ctx, argv, 1, Search.GeoSearch);
/** GEOSEARCHSTORE destination source FROMMEMBER …|FROMLONLAT … BYRADIUS …|BYBOX … [ASC|DESC] [COUNT count [ANY]] [STOREDIST] */
const geosearchstore = (ctx: CommandContext, argv: string[]) => searchGeneric(ctx, argv, 2, Search.GeoSearch | Search.GeoSearchStore);

// GEORADIUS and GEORADIUSBYMEMBER are write commands even without STORE, as in Redis (hence the _RO forms).
export const geoCommands: CommandSpec[] = [
  command("geoadd", -5, ["write", "denyoom"], [1, 1, 1], geoadd),
  command("geodist", -4, ["readonly"], [1, 1, 1], geodist),
  command("geohash", -2, ["readonly"], [1, 1, 1], geohash),
  command("geopos", -2, ["readonly"], [1, 1, 1], geopos),
  withGrowth(command("georadius", -6, ["write", "denyoom"], storeKeyPositions(6), georadius), derivedGrowth("first", "last")),
  command("georadius_ro", -6, ["readonly"], [1, 1, 1], georadiusRo),
  withGrowth(command("georadiusbymember", -5, ["write", "denyoom"], storeKeyPositions(5), georadiusByMember), derivedGrowth("first", "last")),
  command("georadiusbymember_ro", -5, ["readonly"], [1, 1, 1], georadiusByMemberRo),
  command("geosearch", -7, ["readonly"], [1, 1, 1], geosearch),
  withGrowth(command("geosearchstore", -8, ["write", "denyoom"], [1, 2, 1], geosearchstore), derivedGrowth("first", "first")),
];
