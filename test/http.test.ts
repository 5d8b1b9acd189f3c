import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { READONLY_TOKEN, cmd, post, uniq } from "./helpers.js";

describe("Upstash REST protocol", () => {
  it("runs a command posted as a JSON array", async () => {
    const k = uniq("k");
    expect(await cmd("SET", k, "v")).toMatchObject({ status: 200, body: { result: "OK" } });
    expect(await cmd("GET", k)).toMatchObject({ status: 200, body: { result: "v" } });
  });

  it("turns numbers, booleans and null into byte strings", async () => {
    const k = uniq("k");
    await cmd("SET", k, 12.5);
    expect((await cmd("GET", k)).body).toEqual({ result: "12.5" });
    await cmd("SET", k, true);
    expect((await cmd("GET", k)).body).toEqual({ result: "true" });
  });

  it("answers a failing command with 400 and Redis's error text", async () => {
    const k = uniq("k");
    await cmd("SET", k, "abc");
    expect(await cmd("INCR", k)).toMatchObject({ status: 400, body: { error: "ERR value is not an integer or out of range" } });
    expect(await cmd("GET")).toMatchObject({ status: 400, body: { error: "ERR wrong number of arguments for 'get' command" } });
  });

  it("refuses a missing or wrong token with 401", async () => {
    const res = await SELF.fetch("http://localhost/", { method: "POST", body: '["PING"]' });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: "WRONGPASS invalid or missing auth token" });
    const wrong = await post("/", ["PING"], { authorization: "Bearer nope" });
    expect(wrong).toMatchObject({ status: 401, body: { error: "WRONGPASS invalid or missing auth token" } });
  });

  it("accepts the token as ?_token=", async () => {
    const res = await SELF.fetch("http://localhost/ping?_token=test-token");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ result: "PONG" });
  });

  it("answers bad JSON and wrong body shapes with 400 and a JSON error", async () => {
    expect(await post("/", "{not json")).toMatchObject({ status: 400, body: { error: "ERR failed to parse request body: invalid JSON" } });
    expect((await post("/", { a: 1 })).status).toBe(400);
    expect((await post("/", [])).status).toBe(400);
    expect((await post("/", [["nested"]])).status).toBe(400);
    expect((await post("/pipeline", ["SET", "a", "b"])).status).toBe(400);
  });

  it("runs path-style commands with URL-decoded segments", async () => {
    const k = uniq("a/b+c=");
    const res = await SELF.fetch(`http://localhost/set/${encodeURIComponent(k)}/hello%20world`, {
      headers: { authorization: "Bearer test-token" },
    });
    expect(await res.json()).toEqual({ result: "OK" });
    expect((await cmd("GET", k)).body).toEqual({ result: "hello world" });
  });

  it("takes a POST body as the last argument, then query pairs", async () => {
    const k = uniq("k");
    const res = await SELF.fetch(`http://localhost/set/${k}?EX=100`, {
      method: "POST",
      headers: { authorization: "Bearer test-token" },
      body: "the body",
    });
    expect(await res.json()).toEqual({ result: "OK" });
    expect((await cmd("GET", k)).body).toEqual({ result: "the body" });
    const ttl = (await cmd("TTL", k)).body.result;
    expect(ttl).toBeGreaterThan(95);
    expect(ttl).toBeLessThanOrEqual(100);
  });

  it("runs a pipeline and answers each command, errors included", async () => {
    const k = uniq("k");
    const res = await post("/pipeline", [["SET", k, "1"], ["INCR", k], ["INCRBYFLOAT", k, "x"], ["GET", k]]);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      { result: "OK" },
      { result: 2 },
      { error: "ERR value is not a valid float" },
      { result: "2" },
    ]);
  });

  it("runs /multi-exec atomically and rejects a bad transaction whole", async () => {
    const k = uniq("k");
    expect((await post("/multi-exec", [["SET", k, "1"], ["INCR", k]])).body).toEqual([{ result: "OK" }, { result: 2 }]);
    const bad = await post("/multi-exec", [["SET", k, "5"], ["NOSUCH"]]);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^EXECABORT Transaction discarded because of previous errors\. ERR unknown command 'NOSUCH'/);
    expect((await cmd("GET", k)).body).toEqual({ result: "2" });
  });

  it("encodes every string as base64 with Upstash-Encoding, except a top-level OK", async () => {
    const k = uniq("k");
    const enc = { "upstash-encoding": "base64" };
    expect((await post("/", ["SET", k, "héllo"], enc)).body).toEqual({ result: "OK" });
    expect((await post("/", ["GET", k], enc)).body).toEqual({ result: btoa("h\xc3\xa9llo") });
    expect((await post("/", ["MGET", k, "missing"], enc)).body).toEqual({ result: [btoa("h\xc3\xa9llo"), null] });
    expect((await post("/pipeline", [["SET", k, "OK"], ["MGET", k]], enc)).body).toEqual([
      { result: "OK" },
      { result: [btoa("OK")] },
    ]);
  });

  it("keeps binary values byte-exact through base64", async () => {
    const k = uniq("k");
    const res = await SELF.fetch(`http://localhost/set/${k}`, {
      method: "POST",
      headers: { authorization: "Bearer test-token" },
      body: new Uint8Array([0, 255, 128, 10]),
    });
    expect(res.status).toBe(200);
    const got = await post("/", ["GET", k], { "upstash-encoding": "base64" });
    expect(got.body).toEqual({ result: btoa("\x00\xff\x80\x0a") });
    expect((await cmd("STRLEN", k)).body).toEqual({ result: 4 });
  });

  it("sends a sync token that changes after every write", async () => {
    const k = uniq("k");
    const a = (await cmd("SET", k, "1")).headers.get("upstash-sync-token");
    const b = (await cmd("GET", k)).headers.get("upstash-sync-token");
    const c = (await cmd("INCR", k)).headers.get("upstash-sync-token");
    expect(a).toBeTruthy();
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });

  it("limits the read-only token to read commands, and not KEYS or SCAN", async () => {
    const ro = { authorization: `Bearer ${READONLY_TOKEN}` };
    expect(await post("/", ["SET", "x", "1"], ro)).toMatchObject({
      status: 400,
      body: { error: "NOPERM this user has no permissions to run the 'set' command" },
    });
    expect((await post("/", ["GET", "x"], ro)).status).toBe(200);
    expect((await post("/", ["KEYS", "*"], ro)).status).toBe(400);
    expect((await post("/", ["SCAN", "0"], ro)).status).toBe(400);
  });

  it("refuses oversized requests and values with Upstash's texts", async () => {
    // The test config sets a small limit (see vitest.config.ts).
    const big = "x".repeat(70_000);
    expect(await cmd("SET", uniq("k"), big)).toMatchObject({ status: 413, body: { error: "ERR max request size exceeded" } });
    expect(await cmd("SET", uniq("k"), "y".repeat(40_000))).toMatchObject({
      status: 400,
      body: { error: "ERR max single record size exceeded" },
    });
  });

  it("answers CORS preflights and other methods", async () => {
    const pre = await SELF.fetch("http://localhost/", {
      method: "OPTIONS",
      headers: { origin: "https://example.com", "access-control-request-method": "POST", "access-control-request-headers": "authorization,upstash-encoding" },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("upstash-encoding");
    expect(pre.headers.get("access-control-allow-origin")).toBe("*");
    const ok = await SELF.fetch("http://localhost/", { method: "POST", headers: { authorization: "Bearer test-token", origin: "https://example.com" }, body: '["PING"]' });
    expect(ok.headers.get("access-control-allow-origin")).toBe("*");
    expect(ok.headers.get("access-control-expose-headers")).toBe("upstash-sync-token");
    const unauthorized = await SELF.fetch("http://localhost/", { method: "POST", headers: { origin: "https://example.com" }, body: '["PING"]' });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get("access-control-allow-origin")).toBe("*");
    const del = await SELF.fetch("http://localhost/", { method: "DELETE", headers: { authorization: "Bearer test-token" } });
    expect(del.status).toBe(405);
    expect(await del.json()).toEqual({ error: "ERR method not allowed" });
  });
});

describe("Upstash-Response-Format: resp2", () => {
  it("answers with the raw RESP2 bytes", async () => {
    const k = uniq("k");
    const h = { "upstash-response-format": "resp2" };
    const set = await SELF.fetch("http://localhost/", { method: "POST", headers: { authorization: "Bearer test-token", ...h }, body: JSON.stringify(["SET", k, "v"]) });
    expect(set.headers.get("content-type")).toBe("application/octet-stream");
    expect(await set.text()).toBe("+OK\r\n");
    const pipe = await SELF.fetch("http://localhost/pipeline", {
      method: "POST",
      headers: { authorization: "Bearer test-token", ...h },
      body: JSON.stringify([["GET", k], ["INCR", k], ["MGET", k, "nope"], ["STRLEN", k]]),
    });
    expect(await pipe.text()).toBe("$1\r\nv\r\n-ERR value is not an integer or out of range\r\n*2\r\n$1\r\nv\r\n$-1\r\n:1\r\n");
  });
});
