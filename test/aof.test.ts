// The AOF in a shard's SQLite storage: policies, crash recovery, Redis's AOF loading scenarios, rewrite.
// Each test uses its own Durable Object; "crash" is abortAllDurableObjects() (memory lost, storage kept).
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Shard } from "../durable-objects/shard.js";
import { type ShardStub as Stub, exec, execOn, logBytes, one, setLog, settle, shardNamed, uniq, untilLoaded } from "./helpers.js";

const shard = (name = uniq("aof")): Stub => shardNamed(name);
const txn = (stub: Stub, ...batch: (string | number)[][]) => execOn(stub, batch, true);

const resp = (...argv: string[]) => `*${argv.length}\r\n` + argv.map((a) => `$${a.length}\r\n${a}\r\n`).join("");

async function config(stub: Stub, name: string, value: string) {
  expect(await one(stub, "CONFIG", "SET", name, value)).toEqual({ status: "OK" });
}

async function crash(): Promise<void> {
  await abortAllDurableObjects();
}

describe("AOF logging", () => {
  it("logs effects in Redis's AOF form, starting with SELECT", async () => {
    const s = shard();
    await config(s, "appendfsync", "always");
    await exec(s, ["SET", "k", "v", "EX", "100"], ["INCRBYFLOAT", "f", "1.5"], ["SET", "k2", "x", "NX"], ["SET", "k2", "y", "NX"]);
    const log = await logBytes(s);
    expect(log.startsWith(resp("CONFIG", "SET", "appendfsync", "always") + resp("SELECT", "0")) || log.startsWith(resp("SELECT", "0"))).toBe(true);
    expect(log).toMatch(/\*5\r\n\$3\r\nSET\r\n\$1\r\nk\r\n\$1\r\nv\r\n\$4\r\nPXAT\r\n\$13\r\n\d{13}\r\n/);
    expect(log).toContain(resp("SET", "f", "1.5", "KEEPTTL"));
    expect(log).toContain(resp("SET", "k2", "x"));
    expect(log).not.toContain(resp("SET", "k2", "y"));
  });

  it("logs a transaction as one MULTI … EXEC block", async () => {
    const s = shard();
    await config(s, "appendfsync", "always");
    await txn(s, ["SET", "a", "1"], ["GET", "a"], ["INCR", "a"]);
    expect(await logBytes(s)).toContain(resp("MULTI") + resp("SET", "a", "1") + resp("INCR", "a") + resp("EXEC"));
  });
});

describe("appendfsync and crashes", () => {
  it("always: every acknowledged write survives a crash", async () => {
    const name = uniq("always");
    const s = shard(name);
    await config(s, "appendfsync", "always");
    for (let i = 0; i < 50; i++) await one(s, "INCR", "n");
    await exec(s, ["RPUSH", "l", "a"], ["SET", "s", "x"]);
    await crash();
    const t = shard(name);
    expect(await exec(t, ["GET", "n"], ["GET", "s"])).toEqual(["50", "x"]);
  });

  it("everysec: a crash loses at most what the timer had not written yet", async () => {
    const name = uniq("everysec");
    const s = shard(name);
    await config(s, "appendfsync", "everysec");
    for (let i = 0; i < 10; i++) await one(s, "INCR", "n");
    // The once-a-second timer fires: everything so far is written as one row.
    await runInDurableObject(s, (i: Shard) => i.aof.flush());
    for (let i = 0; i < 5; i++) await one(s, "INCR", "n");
    await crash();
    const t = shard(name);
    expect(await one(t, "GET", "n")).toBe("10");
  });

  it("everysec: writes one row per flush whatever the number of writes", async () => {
    const s = shard();
    await config(s, "appendfsync", "everysec");
    await runInDurableObject(s, (i: Shard) => i.aof.flush());
    const before = await runInDurableObject(s, (i: Shard) => i.aof.rowsWritten);
    for (let i = 0; i < 200; i++) await one(s, "SET", `k${i}`, "v");
    await runInDurableObject(s, (i: Shard) => i.aof.flush());
    expect(await runInDurableObject(s, (i: Shard) => i.aof.rowsWritten)).toBe(before + 1);
  });

  it("appendonly no: nothing is logged", async () => {
    const s = shard();
    await config(s, "appendonly", "no");
    await one(s, "SET", "a", "1");
    await runInDurableObject(s, (i: Shard) => i.aof.flush());
    expect(await logBytes(s)).toBe("");
  });
});

describe("Redis's AOF loading scenarios", () => {
  async function restartWith(bytes: string, settings: Record<string, string> = {}): Promise<Stub> {
    const name = uniq("load");
    const s = shard(name);
    for (const [k, v] of Object.entries(settings)) await config(s, k, v);
    await setLog(s, bytes);
    await crash();
    return shard(name);
  }

  it("a truncated tail loads up to the last whole record with aof-load-truncated yes, and is trimmed", async () => {
    const good = resp("SELECT", "0") + resp("SET", "a", "1") + resp("SET", "b", "2");
    const s = await restartWith(good + "*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1");
    expect(await exec(s, ["GET", "a"], ["GET", "b"], ["GET", "c"])).toEqual(["1", "2", null]);
    expect(await logBytes(s)).toBe(good);
  });

  it("appending after loading a truncated log, then restarting, keeps both", async () => {
    const name = uniq("append-after-trunc");
    let s = shard(name);
    await setLog(s, resp("SELECT", "0") + resp("SET", "a", "1") + "*2\r\n$3\r\nGE");
    await crash();
    s = shard(name);
    await config(s, "appendfsync", "always");
    await one(s, "SET", "b", "2");
    await crash();
    s = shard(name);
    expect(await exec(s, ["GET", "a"], ["GET", "b"])).toEqual(["1", "2"]);
  });

  it("a truncated tail with aof-load-truncated no refuses to serve and loses nothing", async () => {
    const bytes = resp("SELECT", "0") + resp("SET", "a", "1") + "*3\r\n$3\r\nSET";
    const s = await restartWith(bytes, { "aof-load-truncated": "no" });
    const reply = (await one(s, "GET", "a")) as { error: string };
    expect(reply.error).toMatch(/^ERR Unexpected end of file reading the append only file/);
    expect(await one(s, "SET", "x", "1")).toEqual(reply);
    expect(await logBytes(s)).toBe(bytes);
  });

  it("an unfinished MULTI at the end is dropped as a truncated tail", async () => {
    const good = resp("SELECT", "0") + resp("SET", "a", "1");
    const s = await restartWith(good + resp("MULTI") + resp("SET", "b", "2"));
    expect(await exec(s, ["GET", "a"], ["GET", "b"])).toEqual(["1", null]);
  });

  it("a bad record in the middle refuses to serve, whatever aof-load-truncated says", async () => {
    const s = await restartWith(resp("SELECT", "0") + resp("SET", "a", "1") + "garbage\r\n" + resp("SET", "b", "2"));
    expect(((await one(s, "GET", "a")) as { error: string }).error).toMatch(/^ERR Bad file format reading the append only file/);
  });

  it("an unknown command refuses to serve", async () => {
    const s = await restartWith(resp("SELECT", "0") + resp("NOSUCHCMD", "a") + resp("SET", "b", "2"));
    expect(((await one(s, "GET", "b")) as { error: string }).error).toMatch(/Unknown command 'NOSUCHCMD'/);
  });

  it("EXPIRE and SET EX replayed after the key should have expired leave it gone", async () => {
    const past = String(Date.now() - 10_000);
    const s = await restartWith(resp("SELECT", "0") + resp("SET", "a", "1", "PXAT", past) + resp("SET", "b", "2") + resp("PEXPIREAT", "b", past) + resp("SET", "c", "3"));
    expect(await exec(s, ["GET", "a"], ["GET", "b"], ["GET", "c"], ["DBSIZE"])).toEqual([null, null, "3", 1]);
  });

  it("replays INCRBYFLOAT deterministically", async () => {
    const name = uniq("det");
    let s = shard(name);
    await config(s, "appendfsync", "always");
    const before = await exec(s, ["INCRBYFLOAT", "f", "0.1"], ["INCRBYFLOAT", "f", "0.2"], ["GET", "f"]);
    await crash();
    s = shard(name);
    expect(await one(s, "GET", "f")).toBe(before[2]);
  });

  it("replays SPOP deterministically: it is logged as the SREM of what it popped", async () => {
    const name = uniq("spop");
    let s = shard(name);
    await config(s, "appendfsync", "always");
    await exec(s, ["SADD", "s", ...Array.from({ length: 40 }, (_, i) => `m${i}`)]);
    const [popped, one1] = (await exec(s, ["SPOP", "s", "5"], ["SPOP", "s"])) as [string[], string];
    const left = ((await one(s, "SMEMBERS", "s")) as string[]).sort();
    expect(left.length).toBe(34);
    expect(left).not.toContain(one1);
    for (const m of popped) expect(left).not.toContain(m);
    await crash();
    s = shard(name);
    expect(((await one(s, "SMEMBERS", "s")) as string[]).sort()).toEqual(left);
  });

  it("persists FLUSHALL", async () => {
    const name = uniq("flush");
    let s = shard(name);
    await config(s, "appendfsync", "always");
    await exec(s, ["SET", "a", "1"], ["FLUSHALL"], ["SET", "b", "2"]);
    await crash();
    s = shard(name);
    expect(await exec(s, ["GET", "a"], ["GET", "b"])).toEqual([null, "2"]);
  });

  it("a row whose checksum fails at the tail is a torn write: dropped with aof-load-truncated yes, refused with no", async () => {
    for (const truncated of ["yes", "no"]) {
      const name = uniq(`crc-tail-${truncated}`);
      let s = shard(name);
      await config(s, "appendfsync", "always");
      await config(s, "aof-load-truncated", truncated);
      await one(s, "SET", "a", "1");
      await one(s, "SET", "b", "2");
      await runInDurableObject(s, (_i: Shard, state) => {
        state.storage.sql.exec("UPDATE aof_segments SET crc = crc + 1 WHERE seq = (SELECT MAX(seq) FROM aof_segments)");
      });
      await crash();
      s = shard(name);
      if (truncated === "yes") expect(await exec(s, ["GET", "a"], ["GET", "b"])).toEqual(["1", null]);
      else expect(((await one(s, "GET", "a")) as { error: string }).error).toMatch(/^ERR Unexpected end of file reading the append only file/);
    }
  });

  it("a row whose checksum fails in the middle of the log refuses to serve", async () => {
    const name = uniq("crc");
    let s = shard(name);
    await config(s, "appendfsync", "always");
    await one(s, "SET", "a", "1");
    await one(s, "SET", "b", "2");
    await one(s, "SET", "c", "3");
    await runInDurableObject(s, (_i: Shard, state) => {
      state.storage.sql.exec("UPDATE aof_segments SET crc = crc + 1 WHERE seq = (SELECT MIN(seq) + 1 FROM aof_segments)");
    });
    await crash();
    s = shard(name);
    expect(((await one(s, "GET", "a")) as { error: string }).error).toMatch(/checksum/i);
  });
});

describe("AOF rewrite", () => {
  it("rewrites to the minimal commands: four INCRs become one SET", async () => {
    const name = uniq("rewrite");
    let s = shard(name);
    await config(s, "aof-use-rdb-preamble", "no");
    await config(s, "appendfsync", "always");
    for (let i = 0; i < 4; i++) await one(s, "INCR", "counter");
    expect(await one(s, "BGREWRITEAOF")).toEqual({ status: "Background append only file rewriting started" });
    await runInDurableObject(s, async (i: Shard) => {
      while (i.aof.rewriteInProgress) await new Promise((r) => setTimeout(r, 0));
    });
    const base = await runInDurableObject(s, (i: Shard) => {
      return (i as unknown as { aof: { manifest: unknown } }).aof.manifest;
    });
    expect(base).toMatchObject({ base: { kind: "aof" } });
    await crash();
    s = shard(name);
    expect(await one(s, "GET", "counter")).toBe("4");
  });

  it("20,000 INCRs during a rewrite give exactly 20000 after restart", async () => {
    const name = uniq("rewrite-load");
    let s = shard(name);
    await config(s, "aof-use-rdb-preamble", "no");
    await config(s, "appendfsync", "always");
    // A dataset big enough that the rewrite takes many slices.
    for (let b = 0; b < 20; b++) {
      await exec(s, ...Array.from({ length: 500 }, (_, i) => ["SET", `filler:${b}:${i}`, "x".repeat(20)]));
    }
    await one(s, "BGREWRITEAOF");
    let during = 0;
    for (let b = 0; b < 200; b++) {
      await exec(s, ...Array.from({ length: 100 }, () => ["INCR", "counter"]));
      if (await runInDurableObject(s, (i: Shard) => i.aof.rewriteInProgress)) during++;
    }
    expect(during).toBeGreaterThan(0);
    await runInDurableObject(s, async (i: Shard) => {
      while (i.aof.rewriteInProgress) await new Promise((r) => setTimeout(r, 0));
    });
    await crash();
    s = shard(name);
    expect(await exec(s, ["GET", "counter"], ["DBSIZE"])).toEqual(["20000", 10_001]);
  });

  it("a crash mid-rewrite keeps the old log and loses nothing", async () => {
    const name = uniq("rewrite-crash");
    let s = shard(name);
    await config(s, "aof-use-rdb-preamble", "no");
    await config(s, "appendfsync", "always");
    await exec(s, ...Array.from({ length: 3000 }, (_, i) => ["SET", `k${i}`, String(i)]));
    await one(s, "BGREWRITEAOF");
    await one(s, "SET", "after", "1");
    await crash();
    s = shard(name);
    expect(await exec(s, ["DBSIZE"], ["GET", "k2999"], ["GET", "after"])).toEqual([3001, "2999", "1"]);
  });

  it("reports the rewrite in INFO persistence", async () => {
    const s = shard();
    const info = (await one(s, "INFO", "persistence")) as string;
    expect(info).toMatch(/^# Persistence\r\n/);
    for (const field of ["loading:0", "aof_enabled:1", "aof_rewrite_in_progress:0", "aof_last_bgrewrite_status:ok", "aof_last_write_status:ok", "aof_delayed_fsync:0"]) {
      expect(info).toContain(`${field}\r\n`);
    }
  });

  it("INFO persistence has Redis 7.0's fields in Redis's order, then durable-redis's own", async () => {
    const s = shard();
    const info = (await one(s, "INFO", "persistence")) as string;
    const names = info.split("\r\n").slice(1, -1).map((line) => line.split(":")[0]);
    // As redis-server 7.0.15 prints them with appendonly yes.
    const redis = [
      "loading", "async_loading", "current_cow_peak", "current_cow_size", "current_cow_size_age", "current_fork_perc",
      "current_save_keys_processed", "current_save_keys_total", "rdb_changes_since_last_save", "rdb_bgsave_in_progress",
      "rdb_last_save_time", "rdb_last_bgsave_status", "rdb_last_bgsave_time_sec", "rdb_current_bgsave_time_sec", "rdb_saves",
      "rdb_last_cow_size", "rdb_last_load_keys_expired", "rdb_last_load_keys_loaded", "aof_enabled", "aof_rewrite_in_progress",
      "aof_rewrite_scheduled", "aof_last_rewrite_time_sec", "aof_current_rewrite_time_sec", "aof_last_bgrewrite_status",
      "aof_rewrites", "aof_rewrites_consecutive_failures", "aof_last_write_status", "aof_last_cow_size", "module_fork_in_progress",
      "module_fork_last_cow_size", "aof_current_size", "aof_base_size", "aof_pending_rewrite", "aof_buffer_length",
      "aof_pending_bio_fsync", "aof_delayed_fsync",
    ];
    const OURS = ["rdb_snapshots", "aof_rows_written", "loading_last_duration_sec", "aof_waitaof_calls", "aof_durable_requests"];
    expect(names).toEqual([...redis, ...OURS]);
    // With appendonly no, Redis leaves out the log's own fields.
    await config(s, "appendonly", "no");
    const off = ((await one(s, "INFO", "persistence")) as string).split("\r\n").slice(1, -1).map((line) => line.split(":")[0]);
    expect(off).toEqual([...redis.slice(0, redis.indexOf("aof_current_size")), ...OURS]);
  });

  it("reports a rewrite in progress as the fork's progress and copy-on-write, and its copies after", async () => {
    const s = shard();
    await config(s, "aof-use-rdb-preamble", "no");
    await exec(s, ...Array.from({ length: 3000 }, (_, i) => ["SET", `k${i}`, "v".repeat(100)]));
    const field = (info: string, name: string) => new RegExp(`\r\n${name}:([^\r]*)\r\n`).exec(info)![1];
    const during = await runInDurableObject(s, (i: Shard) => {
      i.jobs.bgrewriteaof();
      i.aof.rewriteStep(); // one slice: part of the keys written out
      i.engine.execute(["SET", "k2999", "changed"]); // not written out yet: copied first
      return i.engine.execute(["INFO", "persistence"]) as string;
    });
    expect(field(during, "aof_rewrite_in_progress")).toBe("1");
    expect(field(during, "current_save_keys_total")).toBe("3000");
    const processed = Number(field(during, "current_save_keys_processed"));
    expect(processed).toBeGreaterThan(0);
    expect(processed).toBeLessThan(3000);
    expect(field(during, "current_fork_perc")).toBe(((processed * 100) / 3000).toFixed(2));
    expect(Number(field(during, "current_cow_size"))).toBeGreaterThan(100);
    await settle(s);
    const after = (await one(s, "INFO", "persistence")) as string;
    expect(field(after, "current_save_keys_total")).toBe("0");
    expect(field(after, "aof_last_cow_size")).toBe(field(during, "current_cow_size"));
    expect(field(after, "rdb_last_cow_size")).toBe("0");
  });
});

describe("loading in slices", () => {
  it("answers LOADING while a long replay goes on after the start-up budget, then serves", async () => {
    const name = uniq("slices");
    let s = shard(name);
    await config(s, "appendfsync", "always");
    await config(s, "loading-block-ms", "0");
    for (let b = 0; b < 10; b++) await exec(s, ...Array.from({ length: 1000 }, (_, i) => ["SET", `k${b}:${i}`, "v"]));
    await crash();
    s = shard(name);
    // As in Redis, INFO is answered while loading (it reports the load); DBSIZE is not.
    const [dbsize, info] = (await exec(s, ["DBSIZE"], ["INFO", "persistence"])) as [unknown, string];
    expect(dbsize).toEqual({ error: "LOADING Redis is loading the dataset in memory" });
    expect(info).toContain("loading:1\r\n");
    expect(info).toMatch(/loading_loaded_perc:\d+\.\d\d\r\n/);
    expect(info).toMatch(/loading_eta_seconds:\d+\r\n/);
    // Let the slices run (each is a macrotask) until the shard serves.
    await untilLoaded(s);
    expect(await one(s, "DBSIZE")).toBe(10_000);
    expect(await one(s, "INFO", "persistence")).toMatch(/loading:0\r\n/);
  });
});

describe("switching appendonly at runtime", () => {
  it("turning the AOF on writes a base first; once it is there, the log recovers the dataset", async () => {
    const name = uniq("switch");
    let s = shard(name);
    await config(s, "appendonly", "no");
    await config(s, "aof-use-rdb-preamble", "no");
    await exec(s, ["SET", "before", "1"], ["SET", "x", "y"]);
    expect(await logBytes(s)).toBe("");
    await config(s, "appendonly", "yes");
    await config(s, "appendfsync", "always");
    await one(s, "SET", "after", "2");
    await runInDurableObject(s, async (i: Shard) => {
      while (i.aof.rewriteInProgress) await new Promise((r) => setTimeout(r, 0));
      expect(i.aof.manifest).toMatchObject({ base: { kind: "aof" } });
      expect(i.aof.manifest.waitingForBase).toBeUndefined();
    });
    await crash();
    s = shard(name);
    expect(await exec(s, ["GET", "before"], ["GET", "x"], ["GET", "after"])).toEqual(["1", "y", "2"]);
  });

  it("turning the AOF off drops the log so it can never be replayed stale", async () => {
    const s = shard();
    await config(s, "appendfsync", "always");
    await one(s, "SET", "a", "1");
    expect(await logBytes(s)).not.toBe("");
    await config(s, "appendonly", "no");
    expect(await logBytes(s)).toBe("");
  });
});

describe("configuration kept by a shard", () => {
  it("keeps only what CONFIG SET changed, so the rest follows the deployment's vars after a restart", async () => {
    const name = uniq("config");
    let s = shard(name);
    await config(s, "appendfsync", "always");
    await config(s, "hash-max-listpack-entries", "64");
    await config(s, "appendfsync", "no");
    expect(await runInDurableObject(s, (_i: Shard, state) => state.storage.kv.get("config"))).toEqual({
      appendfsync: "no",
      "hash-max-listpack-entries": "64",
    });
    await crash();
    s = shard(name);
    expect(await exec(s, ["CONFIG", "GET", "appendfsync"], ["CONFIG", "GET", "hash-max-listpack-entries"], ["CONFIG", "GET", "maxmemory"])).toEqual([
      ["appendfsync", "no"],
      ["hash-max-listpack-entries", "64"],
      ["maxmemory", "25165824"],
    ]);
  });
});

describe("AOF size and automatic rewrites", () => {
  it("aof_current_size follows the log's bytes through appends and rewrites, and auto-aof-rewrite-* start a rewrite", async () => {
    const s = shard();
    await config(s, "appendfsync", "always");
    await config(s, "aof-use-rdb-preamble", "no");
    const size = async () => Number(/aof_current_size:(\d+)/.exec((await one(s, "INFO", "persistence")) as string)![1]);
    const logSize = async () => (await logBytes(s)).length + (await runInDurableObject(s, (i: Shard) => i.aof.baseSize()));
    await exec(s, ["SET", "a", "1"]);
    expect(await size()).toBe(await logSize());
    await exec(s, ...Array.from({ length: 50 }, (_, i) => ["SET", `k${i}`, "x".repeat(100)]));
    expect(await size()).toBe(await logSize());
    await one(s, "BGREWRITEAOF");
    await runInDurableObject(s, async (i: Shard) => {
      while (i.aof.rewriteInProgress) await new Promise((r) => setTimeout(r, 0));
    });
    expect(await size()).toBe(await logSize());
    const rewrites = async () => Number(/aof_rewrites:(\d+)/.exec((await one(s, "INFO", "persistence")) as string)![1]);
    const before = await rewrites();
    await config(s, "auto-aof-rewrite-min-size", "1");
    await config(s, "auto-aof-rewrite-percentage", "50");
    // Grow the log past 150% of its size after the last rewrite: the shard's cron starts one.
    await exec(s, ...Array.from({ length: 100 }, (_, i) => ["SET", `k${i}`, "y".repeat(100), "EX", "1000"]));
    await runInDurableObject(s, async (i: Shard) => {
      await i.alarm();
      while (i.aof.rewriteInProgress) await new Promise((r) => setTimeout(r, 0));
    });
    expect(await rewrites()).toBe(before + 1);
    expect(await size()).toBe(await logSize());
  });
});
