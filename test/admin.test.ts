// The admin API: only the admin token opens it; status, health, manifest and AOF download.
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, READONLY_TOKEN, TOKEN, cmd } from "./helpers.js";

const adminFetch = (path: string, init: RequestInit = {}, token = ADMIN_TOKEN) =>
  SELF.fetch(`http://localhost/admin${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) } });

describe("admin API", () => {
  it("refuses no token, the data tokens and a wrong token", async () => {
    for (const path of ["/health", "/info", "/manifest?shard=0", "/aof?shard=0", "/snapshot?shard=0", "/lastsave"]) {
      expect((await SELF.fetch(`http://localhost/admin${path}`)).status).toBe(401);
      expect((await adminFetch(path, {}, TOKEN)).status).toBe(401);
      expect((await adminFetch(path, {}, READONLY_TOKEN)).status).toBe(401);
      expect((await adminFetch(path, {}, "nope")).status).toBe(401);
    }
    expect((await adminFetch("/bgsave", { method: "POST" }, TOKEN)).status).toBe(401);
    expect((await adminFetch("/restore?shard=0", { method: "POST", body: "x" }, TOKEN)).status).toBe(401);
  });

  it("the admin token does not open the data API", async () => {
    const res = await SELF.fetch("http://localhost/get/x", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(401);
  });

  it("reports INFO persistence as text and JSON", async () => {
    const text = await (await adminFetch("/info")).text();
    expect(text.startsWith("# Shard 0\r\n")).toBe(true);
    expect(text).toContain("# Persistence\r\nloading:0\r\n");
    const json = (await (await adminFetch("/info?format=json")).json()) as Record<string, unknown>[];
    expect(json[0]).toMatchObject({ shard: 0, loading: 0, aof_enabled: 1, aof_last_write_status: "ok" });
  });

  it("is healthy when nothing fails", async () => {
    const res = await adminFetch("/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, failing: [] });
  });

  it("serves the manifest in Redis 7's form and the AOF as one file", async () => {
    await cmd("CONFIG", "SET", "appendfsync", "always");
    await cmd("SET", "admin:k", "v");
    const m = await (await adminFetch("/manifest?shard=0&format=redis")).text();
    expect(m).toMatch(/^file appendonly\.aof\.\d+\.incr\.aof seq \d+ type i\n$/m);
    const aof = await (await adminFetch("/aof?shard=0")).text();
    expect(aof).toContain("*3\r\n$3\r\nSET\r\n$7\r\nadmin:k\r\n$1\r\nv\r\n");
    expect((await adminFetch("/manifest")).status).toBe(200);
    expect((await adminFetch("/manifest?shard=9")).status).toBe(400);
  });
});
