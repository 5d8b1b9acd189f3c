// WAITAOF and the Durable-Redis-Fsync header: under everysec and `no`, the writes before them are in
// committed log rows before the reply, so they survive a crash (abortAllDurableObjects) right after it.
// Manual timers keep the everysec / `no` timers from writing on their own.
import { abortAllDurableObjects, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { type ShardStub, exec, infoField, one, post, shardNamed, uniq } from "./helpers.js";
import { useManualTimers } from "./manual-timers.js";

async function config(stub: ShardStub, name: string, value: string) {
  expect(await one(stub, "CONFIG", "SET", name, value)).toEqual({ status: "OK" });
}

describe("WAITAOF", () => {
  for (const policy of ["everysec", "no"]) {
    it(`${policy}: a write followed by WAITAOF 1 0 0 survives a crash right after the reply, every time`, async () => {
      const name = uniq(`waitaof-${policy}`);
      let s = shardNamed(name);
      await config(s, "appendfsync", policy);
      for (let i = 0; i < 8; i++) {
        await useManualTimers(s);
        // The write after WAITAOF is the control: nothing made it durable, and the crash loses it.
        expect(await exec(s, ["SET", "k", `v${i}`], ["INCR", "n"], ["WAITAOF", "1", "0", "0"], ["SET", "after", `a${i}`])).toEqual([
          { status: "OK" },
          i + 1,
          [1, 0],
          { status: "OK" },
        ]);
        await abortAllDurableObjects();
        s = shardNamed(name);
        expect(await exec(s, ["GET", "k"], ["GET", "n"], ["GET", "after"])).toEqual([`v${i}`, String(i + 1), null]);
      }
    });
  }

  it("without WAITAOF the same write is lost under everysec (the test above can fail)", async () => {
    const name = uniq("waitaof-control");
    let s = shardNamed(name);
    await config(s, "appendfsync", "everysec");
    await one(s, "WAITAOF", "1", "0", "0");
    await useManualTimers(s);
    await one(s, "SET", "k", "v");
    await abortAllDurableObjects();
    s = shardNamed(name);
    expect(await one(s, "GET", "k")).toBe(null);
  });

  it("with appendonly no: Redis 7.2's error for numlocal 1, and [0, 0] for numlocal 0", async () => {
    const s = shardNamed(uniq("waitaof-off"));
    await config(s, "appendonly", "no");
    expect(await one(s, "WAITAOF", "1", "0", "0")).toEqual({ error: "ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled." });
    expect(await one(s, "WAITAOF", "0", "0", "0")).toEqual([0, 0]);
  });

  it("counts its calls in INFO persistence", async () => {
    const s = shardNamed(uniq("waitaof-info"));
    expect(await infoField(s, "aof_waitaof_calls")).toBe("0");
    await exec(s, ["WAITAOF", "1", "0", "0"], ["WAITAOF", "0", "0", "0"]);
    expect(await infoField(s, "aof_waitaof_calls")).toBe("2");
  });
});

describe("the Durable-Redis-Fsync header", () => {
  const shard0 = (): ShardStub => env.SHARD.get(env.SHARD.idFromName("shard-0")) as ShardStub;

  it("makes a request's writes durable before its reply under everysec, on every route", async () => {
    const k = uniq("hdr");
    await config(shard0(), "appendfsync", "everysec");
    const durable = { "durable-redis-fsync": "always" };
    for (let i = 0; i < 3; i++) {
      await useManualTimers(shard0());
      expect(await post("/", ["SET", `${k}:one`, `v${i}`], durable)).toMatchObject({ status: 200, body: { result: "OK" } });
      expect(await post("/pipeline", [["RPUSH", `${k}:list`, `p${i}`]], durable)).toMatchObject({ status: 200, body: [{ result: i + 1 }] });
      expect(await post("/multi-exec", [["INCR", `${k}:n`]], durable)).toMatchObject({ status: 200, body: [{ result: i + 1 }] });
      // The control, without the header: lost in the crash.
      expect(await post("/", ["SET", `${k}:plain`, `v${i}`])).toMatchObject({ status: 200 });
      await abortAllDurableObjects();
      expect(await exec(shard0(), ["GET", `${k}:one`], ["LLEN", `${k}:list`], ["GET", `${k}:n`], ["GET", `${k}:plain`])).toEqual([
        `v${i}`,
        i + 1,
        String(i + 1),
        null,
      ]);
    }
    expect(Number(await infoField(shard0(), "aof_durable_requests"))).toBe(0); // counted since the last start
    await post("/", ["GET", k], durable);
    expect(Number(await infoField(shard0(), "aof_durable_requests"))).toBe(1);
  });

  it("refuses a value other than always with 400", async () => {
    expect(await post("/", ["PING"], { "durable-redis-fsync": "sometimes" })).toMatchObject({
      status: 400,
      body: { error: "ERR invalid Durable-Redis-Fsync header: the only value is 'always'" },
    });
  });

  it("WAITAOF over HTTP answers [1, 0]", async () => {
    expect(await post("/", ["WAITAOF", "1", "0", "0"])).toMatchObject({ status: 200, body: { result: [1, 0] } });
  });
});
