// aof-timestamp-enabled: `#TS:<unix seconds>` annotations in the log where Redis writes them (before
// the first records of each new second), skipped by replay. The shard's clock is moved, not waited for.
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Shard } from "../durable-objects/shard.js";
import { type ShardStub, exec, execOn, logBytes, one, settle, shardNamed, uniq } from "./helpers.js";

const resp = (...argv: string[]) => `*${argv.length}\r\n` + argv.map((a) => `$${a.length}\r\n${a}\r\n`).join("");

/** Stops the shard's clock at `ms` (Unix milliseconds): the offset follows the real clock. */
const setTime = (stub: ShardStub, ms: number) =>
  runInDurableObject(stub, (i: Shard) => {
    Object.defineProperty(i, "clockOffset", { get: () => ms - Date.now(), configurable: true });
  });

const T = 1_800_000_000;

describe("AOF timestamp annotations", () => {
  it("writes #TS before the first records of each new second, before SELECT, and a transaction's before MULTI", async () => {
    const s = shardNamed(uniq("ts"));
    await one(s, "CONFIG", "SET", "appendfsync", "always");
    await one(s, "CONFIG", "SET", "aof-use-rdb-preamble", "no");
    await one(s, "BGREWRITEAOF");
    await settle(s);
    await one(s, "CONFIG", "SET", "aof-timestamp-enabled", "yes");
    await setTime(s, T * 1000 + 100);
    await one(s, "SET", "a", "1");
    await one(s, "SET", "b", "2");
    await setTime(s, (T + 1) * 1000 + 999);
    await exec(s, ["SET", "c", "3"], ["SET", "d", "4"]);
    await setTime(s, (T + 3) * 1000);
    await execOn(s, [["INCR", "n"], ["INCR", "n"]], true);
    // Back in time (a clock step): nothing until the second passes the last one written.
    await setTime(s, (T + 2) * 1000);
    await one(s, "SET", "e", "5");
    expect(await logBytes(s)).toBe(
      `#TS:${T}\r\n` + resp("SELECT", "0") + resp("SET", "a", "1") + resp("SET", "b", "2") +
        `#TS:${T + 1}\r\n` + resp("SET", "c", "3") + resp("SET", "d", "4") +
        `#TS:${T + 3}\r\n` + resp("MULTI") + resp("INCR", "n") + resp("INCR", "n") + resp("EXEC") +
        resp("SET", "e", "5"),
    );
  });

  it("is off by default: no annotation", async () => {
    const s = shardNamed(uniq("ts-off"));
    await one(s, "CONFIG", "SET", "appendfsync", "always");
    await one(s, "SET", "a", "1");
    expect(await logBytes(s)).not.toContain("#TS:");
  });

  it("a RESP base starts with the time of its cut, and replay skips every annotation", async () => {
    const name = uniq("ts-replay");
    let s = shardNamed(name);
    await one(s, "CONFIG", "SET", "appendfsync", "always");
    await one(s, "CONFIG", "SET", "aof-use-rdb-preamble", "no");
    await one(s, "CONFIG", "SET", "aof-timestamp-enabled", "yes");
    await setTime(s, T * 1000);
    await one(s, "SET", "a", "1");
    await one(s, "BGREWRITEAOF");
    await settle(s);
    const base = await runInDurableObject(s, (i: Shard) => [...i.aof.baseRows()].map((r) => String.fromCharCode(...r.data)).join(""));
    expect(base.startsWith(`#TS:${T}\r\n`)).toBe(true);
    await setTime(s, (T + 5) * 1000);
    await one(s, "SET", "b", "2");
    await abortAllDurableObjects();
    s = shardNamed(name);
    expect(await exec(s, ["GET", "a"], ["GET", "b"], ["DBSIZE"])).toEqual(["1", "2", 2]);
  });
});
