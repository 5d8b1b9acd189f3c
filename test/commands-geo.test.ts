// Geo commands through @upstash/redis against the worker (replies as redis-server 7.0.15 gives them),
// and the AOF records they leave: GEOADD as the ZADD Redis runs in its place.
import { Redis } from "@upstash/redis/cloudflare";
import { describe, expect, it } from "vitest";
import { TOKEN, cmd, uniq, useWorkerFetch } from "./helpers.js";

useWorkerFetch();

const redis = () => new Redis({ url: "http://localhost", token: TOKEN, enableAutoPipelining: true });

const PALERMO = { longitude: 13.361389, latitude: 38.115556, member: "Palermo" };
const CATANIA = { longitude: 15.087269, latitude: 37.502669, member: "Catania" };

describe("geo commands through @upstash/redis", () => {
  it("adds positions and reads distances, hashes and positions back", async () => {
    const r = redis();
    const k = uniq("Sicily");
    expect(await r.geoadd(k, PALERMO, CATANIA)).toBe(2);
    expect(await r.geoadd(k, { nx: true }, { ...PALERMO, longitude: 13 })).toBe(0);
    expect(await r.geoadd(k, { xx: true, ch: true }, { ...PALERMO, longitude: 13.361389 })).toBe(0);
    expect(await r.geodist(k, "Palermo", "Catania")).toBe(166274.1516);
    expect(await r.geodist(k, "Palermo", "Catania", "KM")).toBe(166.2742);
    expect(await r.geodist(k, "Palermo", "nosuch")).toBe(null);
    expect(await r.geohash(k, "Palermo", "Catania", "nosuch")).toEqual(["sqc8b49rny0", "sqdtr74hyu0", null]);
    expect(await r.geopos(k, "Palermo", "nosuch")).toEqual([{ lng: 13.36138933897018433, lat: 38.11555639549629859 }]);
    // The scores are the 52-bit geohashes a Redis would hold.
    expect(await r.zscore(k, "Palermo")).toBe(3479099956230698);
    expect((await cmd("GEOPOS", k, "Catania")).body).toEqual({ result: [["15.08726745843887329", "37.50266842333162032"]] });
  });

  it("searches by radius and box, with distances, hashes and coordinates", async () => {
    const r = redis();
    const k = uniq("Sicily");
    await r.geoadd(k, PALERMO, CATANIA);
    expect(
      await r.geosearch(k, { type: "FROMLONLAT", coordinate: { lon: 15, lat: 37 } }, { type: "BYBOX", rect: { width: 400, height: 400 }, rectType: "KM" }, "ASC", {
        withCoord: true,
        withDist: true,
        withHash: true,
      }),
    ).toEqual([
      { member: "Catania", dist: 56.4413, hash: "3479447370796909", coord: { long: 15.08726745843887329, lat: 37.50266842333162032 } },
      { member: "Palermo", dist: 190.4424, hash: "3479099956230698", coord: { long: 13.36138933897018433, lat: 38.11555639549629859 } },
    ]);
    expect(await r.geosearch(k, { type: "FROMMEMBER", member: "Palermo" }, { type: "BYRADIUS", radius: 200, radiusType: "KM" }, "DESC")).toEqual([
      { member: "Catania" },
      { member: "Palermo" },
    ]);
    expect((await cmd("GEORADIUS_RO", k, "15", "37", "200", "km", "WITHDIST", "COUNT", "1")).body).toEqual({ result: [["Catania", "56.4413"]] });
    expect((await cmd("GEORADIUSBYMEMBER", k, "Palermo", "100", "km")).body).toEqual({ result: ["Palermo"] });
  });

  it("stores results with their hashes or distances", async () => {
    const r = redis();
    const k = uniq("{geo}src");
    const dst = uniq("{geo}dst");
    await r.geoadd(k, PALERMO, CATANIA);
    expect(
      await r.geosearchstore(dst, k, { type: "FROMMEMBER", member: "Palermo" }, { type: "BYRADIUS", radius: 200, radiusType: "KM" }, "ASC", { storeDist: true }),
    ).toBe(2);
    expect(await r.zrange(dst, 0, -1, { withScores: true })).toEqual(["Palermo", 0, "Catania", 166.27415156960032]);
    expect((await cmd("GEORADIUS", k, "15", "37", "100", "km", "STORE", dst)).body).toEqual({ result: 1 });
    expect(await r.zrange(dst, 0, -1, { withScores: true })).toEqual(["Catania", 3479447370796909]);
  });

  it("answers Redis's errors", async () => {
    const k = uniq("g");
    expect((await cmd("GEOADD", k, "200", "10", "m")).body).toEqual({ error: "ERR invalid longitude,latitude pair 200.000000,10.000000" });
    expect((await cmd("GEOADD", k, "NX", "XX", "1", "2", "m")).body).toEqual({ error: "ERR syntax error" });
    expect((await cmd("GEOSEARCH", k, "FROMLONLAT", "1", "2", "BYRADIUS", "1", "yd")).body).toEqual({
      error: "ERR unsupported unit provided. please use M, KM, FT, MI",
    });
    await cmd("GEOADD", k, "1", "2", "m");
    expect((await cmd("GEOSEARCH", k, "FROMMEMBER", "x", "BYRADIUS", "1", "km")).body).toEqual({ error: "ERR could not decode requested zset member" });
  });
});
