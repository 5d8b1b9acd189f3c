// Geohash arithmetic as Redis's geo commands use it: positions as 52-bit interleaved hashes (the
// scores of a sorted set), the nine boxes that cover a search area, and haversine distances on
// Redis's earth radius. Every step is done in the order Redis does it, so scores, box bounds and
// distances come out bit for bit the same doubles (up to the platform's sin/cos/asin).

export const GEO_STEP_MAX = 26;
export const GEO_LAT_MIN = -85.05112878;
export const GEO_LAT_MAX = 85.05112878;
export const GEO_LONG_MIN = -180;
export const GEO_LONG_MAX = 180;
/** Redis's earth radius (the quadratic mean radius of WGS-84), in meters. */
export const EARTH_RADIUS_IN_METERS = 6372797.560856;
const MERCATOR_MAX = 20037726.37;
const D_R = Math.PI / 180.0;

const degRad = (ang: number): number => ang * D_R;
const radDeg = (ang: number): number => ang / D_R;

export interface CoordRange {
  min: number;
  max: number;
}
/** The ranges Redis hashes positions in (latitude cut at ±85.05112878, as EPSG:900913). */
export const WGS84_LONG: CoordRange = { min: GEO_LONG_MIN, max: GEO_LONG_MAX };
export const WGS84_LAT: CoordRange = { min: GEO_LAT_MIN, max: GEO_LAT_MAX };
/** The ranges of a standard geohash (GEOHASH's strings). */
export const STANDARD_LAT: CoordRange = { min: -90, max: 90 };

/** A hash of `step` bits per coordinate; bits are uint64 (a BigInt, since a few exceed 2^53). */
export interface GeoHashBits {
  bits: bigint;
  step: number;
}

export interface GeoArea {
  lonMin: number;
  lonMax: number;
  latMin: number;
  latMax: number;
}

const U64 = (n: bigint): bigint => BigInt.asUintN(64, n);
/** C's double → uint32_t of a value already in [0, 2^32). */
const toUint32 = (x: number): number => Math.trunc(x) >>> 0;

/** The 16 low bits of v spread to the even bits of a 32-bit word. */
function spread16(v: number): number {
  v &= 0xffff;
  v = (v | (v << 8)) & 0x00ff00ff;
  v = (v | (v << 4)) & 0x0f0f0f0f;
  v = (v | (v << 2)) & 0x33333333;
  v = (v | (v << 1)) & 0x55555555;
  return v >>> 0;
}

/** The even bits of a 32-bit word gathered into 16 bits. */
function squash32(v: number): number {
  v &= 0x55555555;
  v = (v | (v >>> 1)) & 0x33333333;
  v = (v | (v >>> 2)) & 0x0f0f0f0f;
  v = (v | (v >>> 4)) & 0x00ff00ff;
  v = (v | (v >>> 8)) & 0x0000ffff;
  return v;
}

/** x in the even bits, y in the odd bits (x, y uint32). */
export function interleave(x: number, y: number): bigint {
  const lo = (spread16(x) | (spread16(y) << 1)) >>> 0;
  const hi = (spread16(x >>> 16) | (spread16(y >>> 16) << 1)) >>> 0;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** The inverse of interleave on a uint64 given as two 32-bit halves: [even bits, odd bits]. */
function deinterleave(hi: number, lo: number): [x: number, y: number] {
  const x = (squash32(lo) | (squash32(hi) << 16)) >>> 0;
  const y = (squash32(lo >>> 1) | (squash32(hi >>> 1) << 16)) >>> 0;
  return [x, y];
}

/** Hashes a position at `step` bits per coordinate; null outside the ranges (as Redis's returns 0). */
export function geohashEncode(lonRange: CoordRange, latRange: CoordRange, longitude: number, latitude: number, step: number): GeoHashBits | null {
  if (step > 32 || step === 0) return null;
  if (longitude > GEO_LONG_MAX || longitude < GEO_LONG_MIN || latitude > GEO_LAT_MAX || latitude < GEO_LAT_MIN) return null;
  if (latitude < latRange.min || latitude > latRange.max || longitude < lonRange.min || longitude > lonRange.max) return null;
  let latOffset = (latitude - latRange.min) / (latRange.max - latRange.min);
  let lonOffset = (longitude - lonRange.min) / (lonRange.max - lonRange.min);
  latOffset *= 2 ** step;
  lonOffset *= 2 ** step;
  return { bits: interleave(toUint32(latOffset), toUint32(lonOffset)), step };
}

/** The hash left-aligned to 52 bits: the score a position has in the sorted set. */
export function align52(hash: GeoHashBits): bigint {
  return U64(hash.bits << BigInt(52 - hash.step * 2));
}

/** The score of a position, as the integer text GEOADD hands to ZADD (exact: some exceed 2^53). */
export function geoScore(longitude: number, latitude: number): bigint {
  return align52(geohashEncode(WGS84_LONG, WGS84_LAT, longitude, latitude, GEO_STEP_MAX)!);
}

function areaOf(lonRange: CoordRange, latRange: CoordRange, x: number, y: number, step: number): GeoArea {
  const latScale = latRange.max - latRange.min;
  const lonScale = lonRange.max - lonRange.min;
  const cells = 2 ** step;
  return {
    latMin: latRange.min + (x / cells) * latScale,
    latMax: latRange.min + (((x + 1) >>> 0) / cells) * latScale,
    lonMin: lonRange.min + (y / cells) * lonScale,
    lonMax: lonRange.min + (((y + 1) >>> 0) / cells) * lonScale,
  };
}

/** The box a hash stands for. */
export function geohashDecode(lonRange: CoordRange, latRange: CoordRange, hash: GeoHashBits): GeoArea {
  const [x, y] = deinterleave(Number(hash.bits >> 32n), Number(hash.bits & 0xffffffffn));
  return areaOf(lonRange, latRange, x, y, hash.step);
}

const TWO_32 = 2 ** 32;
const TWO_53 = 2 ** 53;

/** C's (uint64_t) of a double as x86-64 code does it (truncation; out-of-range values as the CPU leaves them). */
function scoreToUint64(score: number): bigint {
  if (score >= 0 && score < 2 ** 63) return BigInt(Math.trunc(score));
  if (score >= 2 ** 63 && score < 2 ** 64) return BigInt(Math.trunc(score));
  if (score >= 2 ** 64) return 0n;
  // Negative: cvttsd2si gives the two's complement of the truncated value, or 2^63 when out of range.
  const t = Math.trunc(score);
  if (t >= -(2 ** 63)) return U64(BigInt(t));
  return 1n << 63n;
}

/**
 * The position a score stands for: the centre of its 52-bit box, clamped to the ranges (Redis's
 * decodeGeohash). Any score decodes; scores not made by GEOADD give some position.
 */
export function decodeScore(score: number, out: [number, number] = [0, 0]): [lon: number, lat: number] {
  let hi: number;
  let lo: number;
  if (score >= 0 && score < TWO_53) {
    const t = Math.trunc(score);
    hi = Math.floor(t / TWO_32);
    lo = t - hi * TWO_32;
  } else {
    const u = scoreToUint64(score);
    hi = Number(u >> 32n);
    lo = Number(u & 0xffffffffn);
  }
  const [x, y] = deinterleave(hi, lo);
  const a = areaOf(WGS84_LONG, WGS84_LAT, x, y, GEO_STEP_MAX);
  let lon = (a.lonMin + a.lonMax) / 2;
  if (lon > GEO_LONG_MAX) lon = GEO_LONG_MAX;
  if (lon < GEO_LONG_MIN) lon = GEO_LONG_MIN;
  let lat = (a.latMin + a.latMax) / 2;
  if (lat > GEO_LAT_MAX) lat = GEO_LAT_MAX;
  if (lat < GEO_LAT_MIN) lat = GEO_LAT_MIN;
  out[0] = lon;
  out[1] = lat;
  return out;
}

const EVEN = 0x5555555555555555n;
const ODD = 0xaaaaaaaaaaaaaaaan;

/**
 * Moves one box along a coordinate: the bits under `moving` (odd: longitude, even: latitude) taken
 * as one number, plus or minus one, wrapping around; the other coordinate's bits stay.
 */
function moveBits(hash: GeoHashBits, d: number, moving: bigint, fixed: bigint): GeoHashBits {
  if (d === 0) return hash;
  const shift = BigInt(64 - hash.step * 2);
  let m = hash.bits & moving;
  const zz = fixed >> shift;
  m = d > 0 ? U64(m + (zz + 1n)) : U64((m | zz) - (zz + 1n));
  m &= moving >> shift;
  return { bits: m | (hash.bits & fixed), step: hash.step };
}

/** East (d > 0) or west (d < 0). */
const moveX = (hash: GeoHashBits, d: number) => moveBits(hash, d, ODD, EVEN);
/** North (d > 0) or south (d < 0). */
const moveY = (hash: GeoHashBits, d: number) => moveBits(hash, d, EVEN, ODD);

export interface Neighbors {
  north: GeoHashBits | null;
  south: GeoHashBits | null;
  east: GeoHashBits | null;
  west: GeoHashBits | null;
  northEast: GeoHashBits | null;
  northWest: GeoHashBits | null;
  southEast: GeoHashBits | null;
  southWest: GeoHashBits | null;
}

function neighborsOf(h: GeoHashBits): Neighbors {
  return {
    east: moveX(h, 1),
    west: moveX(h, -1),
    south: moveY(h, -1),
    north: moveY(h, 1),
    northWest: moveY(moveX(h, -1), 1),
    northEast: moveY(moveX(h, 1), 1),
    southEast: moveY(moveX(h, 1), -1),
    southWest: moveY(moveX(h, -1), -1),
  };
}

/** The step (bits per coordinate) whose boxes are about the size of the search radius. */
export function estimateStepsByRadius(rangeMeters: number, lat: number): number {
  if (rangeMeters === 0) return 26;
  let step = 1;
  while (rangeMeters < MERCATOR_MAX) {
    rangeMeters *= 2;
    step++;
  }
  step -= 2;
  // Boxes narrow towards the poles.
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > 26) step = 26;
  return step;
}

/** A search area: a circle (radius) or an axis-aligned box (width × height), centred on a position. */
export interface GeoShape {
  lon: number;
  lat: number;
  /** Meters per unit of the radius / width / height. */
  conversion: number;
  kind: "radius" | "box";
  radius: number;
  width: number;
  height: number;
}

/** [min lon, min lat, max lon, max lat] around the shape (Redis's geohashBoundingBox). */
export function boundingBox(shape: GeoShape): [number, number, number, number] {
  const { lon, lat } = shape;
  const height = shape.conversion * (shape.kind === "radius" ? shape.radius : shape.height / 2);
  const width = shape.conversion * (shape.kind === "radius" ? shape.radius : shape.width / 2);
  const latDelta = radDeg(height / EARTH_RADIUS_IN_METERS);
  const lonDeltaTop = radDeg(width / EARTH_RADIUS_IN_METERS / Math.cos(degRad(lat + latDelta)));
  const lonDeltaBottom = radDeg(width / EARTH_RADIUS_IN_METERS / Math.cos(degRad(lat - latDelta)));
  // The box's wide edge is the one nearer the equator.
  const southern = lat < 0;
  return [
    southern ? lon - lonDeltaBottom : lon - lonDeltaTop,
    lat - latDelta,
    southern ? lon + lonDeltaBottom : lon + lonDeltaTop,
    lat + latDelta,
  ];
}

/** The centre box and its eight neighbours (null: not needed) that cover the shape. */
export interface SearchAreas {
  hash: GeoHashBits;
  neighbors: Neighbors;
}

/** Redis's geohashCalculateAreasByShapeWGS84. */
export function areasByShape(shape: GeoShape): SearchAreas {
  const [minLon, minLat, maxLon, maxLat] = boundingBox(shape);
  const { lon, lat } = shape;
  let radiusMeters = shape.kind === "radius" ? shape.radius : Math.sqrt((shape.width / 2) * (shape.width / 2) + (shape.height / 2) * (shape.height / 2));
  radiusMeters *= shape.conversion;

  let steps = estimateStepsByRadius(radiusMeters, lat);
  let hash = geohashEncode(WGS84_LONG, WGS84_LAT, lon, lat, steps)!;
  let neighbors = neighborsOf(hash);
  let area = geohashDecode(WGS84_LONG, WGS84_LAT, hash);

  // Near a box's edge the estimated step can leave part of the area uncovered: one step coarser then.
  const decode = (h: GeoHashBits | null) => geohashDecode(WGS84_LONG, WGS84_LAT, h!);
  const decrease =
    decode(neighbors.north).latMax < maxLat ||
    decode(neighbors.south).latMin > minLat ||
    decode(neighbors.east).lonMax < maxLon ||
    decode(neighbors.west).lonMin > minLon;
  if (steps > 1 && decrease) {
    steps--;
    hash = geohashEncode(WGS84_LONG, WGS84_LAT, lon, lat, steps)!;
    neighbors = neighborsOf(hash);
    area = geohashDecode(WGS84_LONG, WGS84_LAT, hash);
  }

  // Drop the neighbours the area does not reach.
  if (steps >= 2) {
    if (area.latMin < minLat) neighbors.south = neighbors.southWest = neighbors.southEast = null;
    if (area.latMax > maxLat) neighbors.north = neighbors.northEast = neighbors.northWest = null;
    if (area.lonMin < minLon) neighbors.west = neighbors.southWest = neighbors.northWest = null;
    if (area.lonMax > maxLon) neighbors.east = neighbors.southEast = neighbors.northEast = null;
  }
  return { hash, neighbors };
}

/** The nine boxes in Redis's search order: centre, N, S, E, W, NE, NW, SE, SW. */
export function searchBoxes(a: SearchAreas): (GeoHashBits | null)[] {
  const n = a.neighbors;
  return [a.hash, n.north, n.south, n.east, n.west, n.northEast, n.northWest, n.southEast, n.southWest];
}

/** Scores min (inclusive) and max (exclusive) of the members inside a box. */
export function scoresOfBox(hash: GeoHashBits): [number, number] {
  const min = align52(hash);
  const max = align52({ bits: hash.bits + 1n, step: hash.step });
  return [Number(min), Number(max)];
}

/** Distance along a meridian. */
export function latDistance(lat1: number, lat2: number): number {
  return EARTH_RADIUS_IN_METERS * Math.abs(degRad(lat2) - degRad(lat1));
}

/** Haversine great-circle distance in meters. */
export function geoDistance(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const lon1r = degRad(lon1);
  const lon2r = degRad(lon2);
  const v = Math.sin((lon2r - lon1r) / 2);
  if (v === 0.0) return latDistance(lat1, lat2);
  const lat1r = degRad(lat1);
  const lat2r = degRad(lat2);
  const u = Math.sin((lat2r - lat1r) / 2);
  const a = u * u + Math.cos(lat1r) * Math.cos(lat2r) * v * v;
  return 2.0 * EARTH_RADIUS_IN_METERS * Math.asin(Math.sqrt(a));
}

/** The distance from the shape's centre to a point inside it, or -1 when the point is outside. */
export function distanceIfWithin(shape: GeoShape, lon: number, lat: number): number {
  if (shape.kind === "radius") {
    const d = geoDistance(shape.lon, shape.lat, lon, lat);
    return d > shape.radius * shape.conversion ? -1 : d;
  }
  const widthM = shape.width * shape.conversion;
  const heightM = shape.height * shape.conversion;
  if (latDistance(lat, shape.lat) > heightM / 2) return -1;
  if (geoDistance(lon, lat, shape.lon, lat) > widthM / 2) return -1;
  return geoDistance(shape.lon, shape.lat, lon, lat);
}

const GEOALPHABET = "0123456789bcdefghjkmnpqrstuvwxyz";

/** GEOHASH's 11-character standard geohash of a score (re-encoded over latitude ±90; the last char is 0). */
export function standardGeohash(score: number): string {
  const [lon, lat] = decodeScore(score);
  const hash = geohashEncode(WGS84_LONG, STANDARD_LAT, lon, lat, 26);
  const bits = hash === null ? 0n : hash.bits;
  let out = "";
  for (let i = 0; i < 11; i++) {
    const idx = i === 10 ? 0 : Number((bits >> BigInt(52 - (i + 1) * 5)) & 0x1fn);
    out += GEOALPHABET[idx];
  }
  return out;
}
