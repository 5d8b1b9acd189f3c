// The admin API: only the admin token opens it; status, health, manifest and AOF download.
import { SELF, abortAllDurableObjects, env, runInDurableObject } from "cloudflare:test";
import { Keyspace } from "../durable-objects/engine/keyspace.js";
import { RedisHash } from "../durable-objects/engine/types/index.js";
import { encodeRdb } from "../durable-objects/persistence/rdb-codec/index.js";
import type { Shard } from "../durable-objects/shard.js";
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, adminCmd, cmd, exec, READONLY_TOKEN, settle, shardNamed, TOKEN, uniq } from "./helpers.js";

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
    await adminCmd("CONFIG", "SET", "appendfsync", "always");
    await cmd("SET", "admin:k", "v");
    const m = await (await adminFetch("/manifest?shard=0&format=redis")).text();
    expect(m).toMatch(/^file appendonly\.aof\.\d+\.incr\.aof seq \d+ type i\n$/m);
    const aof = await (await adminFetch("/aof?shard=0")).text();
    expect(aof).toContain("*3\r\n$3\r\nSET\r\n$7\r\nadmin:k\r\n$1\r\nv\r\n");
    expect((await adminFetch("/manifest")).status).toBe(200);
    expect((await adminFetch("/manifest?shard=9")).status).toBe(400);
  });

  it("/health turns 503 when saves fail (injected R2 failure) or are overdue, and back to 200 after a good save", async () => {
    const shard0 = env.SHARD.get(env.SHARD.idFromName("shard-0"));
    const health = async () => {
      const res = await adminFetch("/health");
      return { status: res.status, failing: ((await res.json()) as { failing: string[] }).failing };
    };
    /** Runs BGSAVE through the admin API and waits (yielding inside the shard) until it is over. */
    const bgsave = async () => {
      expect((await adminFetch("/bgsave", { method: "POST" })).status).toBe(200);
      await runInDurableObject(shard0, async (i: Shard) => {
        while (i.snapshots.inProgress) await new Promise((r) => setTimeout(r, 0));
      });
    };
    expect(await adminCmd("CONFIG", "SET", "health-snapshot-max-age", "60")).toMatchObject({ status: 200 });
    expect(await cmd("SET", "admin:health", "1")).toMatchObject({ status: 200 });
    await bgsave();
    expect(await health()).toEqual({ status: 200, failing: [] });

    await runInDurableObject(shard0, (i: Shard) => {
      const store = i.snapshots.r2!;
      const start = store.startUpload.bind(store);
      (i as unknown as { healR2: () => void }).healR2 = () => (store.startUpload = start);
      store.startUpload = async () => {
        throw new Error("injected R2 failure");
      };
    });
    await bgsave();
    expect(await health()).toEqual({ status: 503, failing: ["shard 0: the last snapshot failed"] });

    // Overdue too once the window passes with changes unsaved.
    await cmd("SET", "admin:health", "2");
    await runInDurableObject(shard0, (i: Shard) => void (i.clockOffset += 61_000));
    expect((await health()).failing).toEqual([
      "shard 0: the last snapshot failed",
      expect.stringMatching(/^shard 0: no snapshot in the last 60 s while there are \d+ changes$/),
    ]);

    await runInDurableObject(shard0, (i: Shard) => (i as unknown as { healR2: () => void }).healR2());
    await bgsave();
    expect(await health()).toEqual({ status: 200, failing: [] });
    await adminCmd("CONFIG", "SET", "health-snapshot-max-age", "0");
  });
});


describe("AOF download (GET /admin/aof)", () => {
  /** Reads a stream to its end: the chunks, or the error it failed with. */
  async function drain(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<Uint8Array[]> {
    const chunks: Uint8Array[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return chunks;
      chunks.push(value);
    }
  }
  const concat = (parts: Uint8Array[]) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) out.set(p, (at += p.length) - p.length);
    return out;
  };

  it("streams the RDB base from R2 then the log rows, a piece at a time, as the bytes of base and rows", async () => {
    const s = shardNamed(uniq("aof-stream"));
    await exec(s, ["CONFIG", "SET", "appendfsync", "always"], ["SET", "a", "1"]);
    await exec(s, ["BGREWRITEAOF"]);
    await settle(s);
    for (let i = 0; i < 40; i++) await exec(s, ["SET", `k${i}`, "v".repeat(i)]);
    const got = await runInDurableObject(s, async (i: Shard, ctx) => {
      const chunks = await drain((await i.adminAof()).getReader());
      const base = (i.aof.manifest.base as { key: string }).key;
      const rdb = new Uint8Array(await (await env.SNAPSHOTS.get(base))!.arrayBuffer());
      const rows = ctx.storage.sql
        .exec<{ data: ArrayBuffer }>("SELECT data FROM aof_segments WHERE seq > ? ORDER BY seq", i.aof.manifest.base.seq)
        .toArray()
        .map((r) => new Uint8Array(r.data));
      return { chunks: chunks.length, bytes: [...concat(chunks)], expected: [...concat([rdb, ...rows])] };
    });
    expect(got.chunks).toBeGreaterThan(3);
    expect(got.bytes).toEqual(got.expected);
  });

  it("fails, rather than skip rows, when a rewrite drops rows it has not sent yet", async () => {
    const s = shardNamed(uniq("aof-stream-rewrite"));
    await exec(s, ["CONFIG", "SET", "appendfsync", "always"], ["CONFIG", "SET", "aof-retain-bases", "0"]);
    for (let i = 0; i < 40; i++) await exec(s, ["SET", `k${i}`, "v"]);
    const outcome = await runInDurableObject(s, async (i: Shard) => {
      const reader = (await i.adminAof()).getReader();
      await reader.read();
      i.jobs.bgrewriteaof();
      while (i.aof.rewriteInProgress) await new Promise((r) => setTimeout(r, 0));
      return drain(reader).then(
        () => "completed",
        (e: Error) => e.message,
      );
    });
    expect(outcome).toBe("a rewrite changed the log during the download; download it again");
  });
});

describe("restore from an RDB upload (POST /admin/restore)", () => {
  it("replaces the dataset with the file's, logged so a crash keeps it; a damaged file changes nothing", async () => {
    const ks = new Keyspace(() => Date.now());
    for (let i = 0; i < 3000; i++) ks.set(`r:${i}`, `${i}:`.padEnd(500, "x"));
    const h = new RedisHash();
    h.set("f", "v");
    ks.set("r:hash", h);
    ks.set("r:ttl", "soon");
    ks.setExpire("r:ttl", Date.now() + 3_600_000);
    // Over a megabyte of records: the log gets them in several rows, committed together.
    const file = encodeRdb([...ks.data].map(([k, v]) => [k, v, ks.expires.get(k)]));
    const restored = await adminFetch("/restore?shard=0", { method: "POST", body: file });
    expect(await restored.json()).toEqual({ shard: 0, keys: 3002 });
    expect((await cmd("DBSIZE")).body).toEqual({ result: 3002 });
    expect((await cmd("GET", "r:2999")).body).toEqual({ result: "2999:".padEnd(500, "x") });
    await abortAllDurableObjects();
    expect((await cmd("DBSIZE")).body).toEqual({ result: 3002 });
    expect((await cmd("HGET", "r:hash", "f")).body).toEqual({ result: "v" });
    expect((await cmd("TTL", "r:ttl")).body.result).toBeGreaterThan(3500);

    const damaged = await adminFetch("/restore?shard=0", { method: "POST", body: file.subarray(0, file.length - 1000) });
    expect(damaged.status).toBe(400);
    expect(((await damaged.json()) as { error: string }).error).toMatch(/^ERR unexpected end of file/);
    expect((await cmd("DBSIZE")).body).toEqual({ result: 3002 });
  });
});
