// Geo commands against the engine: replies, errors and propagation as redis-server 7.0.15 gives them
// (expected values taken from it; scripts/differential/geo.ts compares many more at random).
import { describe, expect, it } from "vitest";
import { testEngine } from "../testing.js";
import { formatFixed, formatHumanDouble } from "../long-double.js";
import { decodeScore, geoScore, standardGeohash } from "../types/geohash.js";
import { formatDistance } from "./geo.js";

function sicily() {
  const t = testEngine();
  t.run("GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania");
  t.log.length = 0;
  return t;
}

describe("geohash arithmetic", () => {
  it("gives Redis's 52-bit scores, positions and geohash strings", () => {
    expect(geoScore(13.361389, 38.115556)).toBe(3479099956230698n);
    expect(geoScore(15.087269, 37.502669)).toBe(3479447370796909n);
    const [lon, lat] = decodeScore(3479099956230698);
    expect([formatHumanDouble(lon), formatHumanDouble(lat)]).toEqual(["13.36138933897018433", "38.11555639549629859"]);
    expect(standardGeohash(3479099956230698)).toBe("sqc8b49rny0");
  });

  it("scores the corners of the range beyond 2^53 exactly", () => {
    expect(geoScore(180, 85.05112878)).toBe((1n << 53n) | (1n << 52n));
    expect(geoScore(-180, -85.05112878)).toBe(0n);
  });

  it("formats distances as fixedpoint_d2string and coordinates as %f, both rounding halves to even", () => {
    expect(formatDistance(0)).toBe("0.0000");
    expect(formatDistance(0.00005)).toBe("0.0000");
    expect(formatDistance(56.44126)).toBe("56.4413");
    expect(formatDistance(1.00025)).toBe("1.0002");
    expect(formatFixed(181.0078125, 6)).toBe("181.007812");
    expect(formatFixed(-0, 6)).toBe("-0.000000");
    expect(formatFixed(1e22, 6)).toBe("10000000000000000000000.000000");
  });
});

describe("GEOADD", () => {
  it("adds members and propagates the ZADD Redis runs in its place", () => {
    const t = testEngine();
    expect(t.run("GEOADD", "g", "13.361389", "38.115556", "Palermo")).toBe(1);
    expect(t.run("GEOADD", "g", "CH", "NX", "15", "37", "Palermo", "15.087269", "37.502669", "Catania")).toBe(1);
    expect(t.run("GEOADD", "g", "XX", "CH", "15", "37", "Palermo")).toBe(1);
    expect(t.run("GEOADD", "g", "NX", "15", "37", "Palermo")).toBe(0);
    expect(t.log).toEqual([
      ["zadd", "g", "3479099956230698", "Palermo"],
      ["zadd", "g", "CH", "NX", geoScore(15, 37).toString(), "Palermo", "3479447370796909", "Catania"],
      ["zadd", "g", "XX", "CH", geoScore(15, 37).toString(), "Palermo"],
    ]);
  });

  it("answers Redis's errors", () => {
    const t = testEngine();
    expect(t.run("GEOADD", "g", "NX", "XX", "1", "2", "m")).toEqual({ error: "ERR syntax error" });
    expect(t.run("GEOADD", "g", "1", "2", "m", "3")).toEqual({ error: "ERR syntax error" });
    expect(t.run("GEOADD", "g", "CH", "CH", "CH")).toEqual({ error: "ERR syntax error" });
    expect(t.run("GEOADD", "g", "GT", "1", "2", "m")).toEqual({ error: "ERR syntax error" });
    expect(t.run("GEOADD", "g", "abc", "1", "m")).toEqual({ error: "ERR value is not a valid float" });
    expect(t.run("GEOADD", "g", "200", "10", "m")).toEqual({ error: "ERR invalid longitude,latitude pair 200.000000,10.000000" });
    expect(t.run("GEOADD", "g", "0", "86", "m")).toEqual({ error: "ERR invalid longitude,latitude pair 0.000000,86.000000" });
    t.run("SET", "s", "x");
    expect(t.run("GEOADD", "s", "1", "2", "m")).toEqual({ error: "WRONGTYPE Operation against a key holding the wrong kind of value" });
    expect(t.log).toEqual([["SET", "s", "x"]]);
  });
});

describe("GEODIST, GEOHASH, GEOPOS", () => {
  it("answer as Redis does, nil for missing members and keys", () => {
    const t = sicily();
    expect(t.run("GEODIST", "Sicily", "Palermo", "Catania")).toBe("166274.1516");
    expect(t.run("GEODIST", "Sicily", "Palermo", "Catania", "km")).toBe("166.2742");
    expect(t.run("GEODIST", "Sicily", "Palermo", "nosuch")).toBe(null);
    expect(t.run("GEODIST", "nokey", "Palermo", "Catania")).toBe(null);
    expect(t.run("GEODIST", "Sicily", "Palermo", "Catania", "yd")).toEqual({ error: "ERR unsupported unit provided. please use M, KM, FT, MI" });
    expect(t.run("GEODIST", "Sicily", "Palermo", "Catania", "km", "x")).toEqual({ error: "ERR syntax error" });
    expect(t.run("GEOHASH", "Sicily", "Palermo", "Catania", "nosuch")).toEqual(["sqc8b49rny0", "sqdtr74hyu0", null]);
    expect(t.run("GEOHASH", "nokey", "a")).toEqual([null]);
    expect(t.run("GEOPOS", "Sicily", "Palermo", "nosuch")).toEqual([["13.36138933897018433", "38.11555639549629859"], null]);
  });
});

describe("searches", () => {
  it("GEOSEARCH by box and radius, with every WITH option, sorted", () => {
    const t = sicily();
    expect(t.run("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "ASC", "WITHCOORD", "WITHDIST", "WITHHASH")).toEqual([
      ["Catania", "56.4413", 3479447370796909, ["15.08726745843887329", "37.50266842333162032"]],
      ["Palermo", "190.4424", 3479099956230698, ["13.36138933897018433", "38.11555639549629859"]],
    ]);
    expect(t.run("GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "DESC")).toEqual([["Palermo", "190.4424"], ["Catania", "56.4413"]]);
    expect(t.run("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "100", "km", "WITHDIST")).toEqual([["Catania", "56.4413"]]);
    expect(t.run("GEORADIUSBYMEMBER_RO", "Sicily", "Palermo", "200", "km", "COUNT", "1")).toEqual(["Palermo"]);
    expect(t.run("GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1", "km")).toEqual([]);
    expect(t.log).toEqual([]);
  });

  it("stores members with their hashes or distances, and propagates the command as sent", () => {
    const t = sicily();
    expect(t.run("GEOSEARCHSTORE", "dst", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "200", "km", "STOREDIST")).toBe(2);
    expect(t.run("ZRANGE", "dst", "0", "-1", "WITHSCORES")).toEqual(["Palermo", "0", "Catania", "166.27415156960032"]);
    expect(t.run("GEORADIUS", "Sicily", "15", "37", "100", "km", "STORE", "dst")).toBe(1);
    expect(t.run("ZRANGE", "dst", "0", "-1", "WITHSCORES")).toEqual(["Catania", "3479447370796909"]);
    // Nothing found, or no source: the destination is deleted.
    expect(t.run("GEORADIUS", "nokey", "15", "37", "100", "km", "STORE", "dst")).toBe(0);
    expect(t.run("EXISTS", "dst")).toBe(0);
    expect(t.log).toEqual([
      ["GEOSEARCHSTORE", "dst", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "200", "km", "STOREDIST"],
      ["GEORADIUS", "Sicily", "15", "37", "100", "km", "STORE", "dst"],
      ["GEORADIUS", "nokey", "15", "37", "100", "km", "STORE", "dst"],
    ]);
  });

  it("answers Redis's errors, in Redis's order", () => {
    const t = sicily();
    const err = (error: string) => ({ error });
    expect(t.run("GEOSEARCH", "Sicily", "FROMMEMBER", "nosuch", "BYRADIUS", "1", "km")).toEqual(err("ERR could not decode requested zset member"));
    expect(t.run("GEOSEARCH", "Sicily", "BYRADIUS", "1", "km", "ASC", "WITHDIST")).toEqual(err("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH"));
    expect(t.run("geosearch", "Sicily", "FROMLONLAT", "1", "2", "ASC", "WITHDIST")).toEqual(err("ERR exactly one of BYRADIUS and BYBOX can be specified for geosearch"));
    expect(t.run("GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYRADIUS", "-1", "km")).toEqual(err("ERR radius cannot be negative"));
    expect(t.run("GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYRADIUS", "x", "km")).toEqual(err("ERR need numeric radius"));
    expect(t.run("GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYBOX", "1", "x", "km")).toEqual(err("ERR need numeric height"));
    expect(t.run("GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYBOX", "-1", "1", "km")).toEqual(err("ERR height or width cannot be negative"));
    expect(t.run("GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "ANY")).toEqual(err("ERR the ANY argument requires COUNT argument"));
    expect(t.run("GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "COUNT", "0")).toEqual(err("ERR COUNT must be > 0"));
    expect(t.run("GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "STORE", "x")).toEqual(err("ERR syntax error"));
    expect(t.run("GEORADIUS_RO", "Sicily", "15", "37", "1", "km", "STORE", "x")).toEqual(err("ERR syntax error"));
    expect(t.run("GEORADIUS", "Sicily", "15", "37", "1", "km", "STORE", "x", "WITHDIST")).toEqual(
      err("ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options"),
    );
    expect(t.run("GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "WITHHASH")).toEqual(
      err("ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"),
    );
    // A missing key skips the member lookup, so the radius is never read either.
    expect(t.run("GEORADIUSBYMEMBER", "nokey", "m", "-5", "km")).toEqual([]);
  });
});
