// Scripts in a shard: a kill during a script under appendfsync always leaves all of its writes or
// none, the log holds its effects in MULTI … EXEC (never the script), and replaying that log runs no
// Lua. Then scripts over HTTP in /pipeline and /multi-exec, with base64 replies and the read-only token.
// "Kill" is the Durable Object aborted (memory lost, storage kept).
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Shard } from "../durable-objects/shard.js";
import { READONLY_TOKEN, exec, logBytes, one, post, shardNamed, uniq } from "./helpers.js";

const resp = (...argv: string[]) => `*${argv.length}\r\n${argv.map((a) => `$${a.length}\r\n${a}\r\n`).join("")}`;

/** A script of four writes (the last after a read), returning what it wrote. */
const SCRIPT =
  "redis.call('SET', KEYS[1], ARGV[1]) redis.call('RPUSH', KEYS[2], 'x', 'y') redis.call('INCRBY', KEYS[3], 5) " +
  "local n = redis.call('LLEN', KEYS[2]) redis.call('HSET', KEYS[4], 'n', n) return {redis.call('GET', KEYS[1]), n}";
const KEYS = ["s", "l", "c", "h"];
const evalArgv = (v: string) => ["EVAL", SCRIPT, "4", ...KEYS, v];

/** The dataset the script leaves on an empty shard. */
async function dataset(s: ReturnType<typeof shardNamed>) {
  return exec(s, ["GET", "s"], ["LRANGE", "l", "0", "-1"], ["GET", "c"], ["HGETALL", "h"], ["DBSIZE"]);
}
const NONE = [null, [], null, [], 0];
const ALL = ["v1", ["x", "y"], "5", ["n", "2"], 4];

/** The Lua states a shard's scripting has made so far (none until a script runs). */
const luaStates = (s: ReturnType<typeof shardNamed>) =>
  runInDurableObject(s, (i: Shard) => {
    const sc = i.engine.scripting as unknown as { evalVm: unknown; functionVm: unknown };
    return [sc.evalVm !== null, sc.functionVm !== null];
  });

describe("a kill during a script under appendfsync always", () => {
  it("leaves none of its writes when it strikes at any redis.call, and all of them once the script has answered", async () => {
    // The script makes six redis.calls; at 7 the kill comes after it answered (the crash below).
    for (let killAt = 1; killAt <= 7; killAt++) {
      const name = uniq("script-kill");
      const s = shardNamed(name);
      await one(s, "CONFIG", "SET", "appendfsync", "always");
      // The shard dies inside the k-th redis.call of the script: it never finishes its turn.
      await runInDurableObject(s, (i: Shard, state) => {
        const host = (i.engine.scripting as unknown as { engine: { runNested: (...a: unknown[]) => unknown } }).engine;
        const run = host.runNested;
        let calls = 0;
        host.runNested = (...a: unknown[]) => {
          if (++calls === killAt) state.abort("killed during a script");
          return run(...a);
        };
      });
      if (killAt <= 6) await expect(exec(s, evalArgv("v1"))).rejects.toThrow("killed during a script");
      else {
        expect(await exec(s, evalArgv("v1"))).toEqual([["v1", 2]]);
        await abortAllDurableObjects();
      }
      const after = shardNamed(name);
      expect(await dataset(after)).toEqual(killAt <= 6 ? NONE : ALL);
      expect((await logBytes(after)).includes(resp("RPUSH", "l", "x", "y"))).toBe(killAt > 6);
    }
  });

  it("keeps every write of a script that answered, logged as MULTI, its effects, EXEC, and recovers them without running Lua", async () => {
    const name = uniq("script-crash");
    const before = shardNamed(name);
    await one(before, "CONFIG", "SET", "appendfsync", "always");
    expect(await exec(before, evalArgv("v1"))).toEqual([["v1", 2]]);
    await abortAllDurableObjects();
    const s = shardNamed(name);
    const log = await logBytes(s);
    expect(log).toContain(
      resp("MULTI") +
        resp("SET", "s", "v1") +
        resp("RPUSH", "l", "x", "y") +
        resp("INCRBY", "c", "5") +
        resp("HSET", "h", "n", "2") +
        resp("EXEC"),
    );
    expect(log).not.toMatch(/EVAL|redis\.call/i);
    expect(await dataset(s)).toEqual(ALL);
    // The recovered shard replayed the log with no Lua state made.
    expect(await luaStates(s)).toEqual([false, false]);
  });

  it("keeps the writes a script made before its error (as Redis does), and replays them alone", async () => {
    const name = uniq("script-error");
    const before = shardNamed(name);
    await one(before, "CONFIG", "SET", "appendfsync", "always");
    const reply = await exec(before, ["EVAL", "redis.call('SET', KEYS[1], 'kept') redis.call('SET', KEYS[2], 'too') redis.call('INCR', KEYS[1]) return 1", "2", "k", "k2"]);
    expect(reply).toEqual([{ error: expect.stringMatching(/^ERR value is not an integer or out of range script: [0-9a-f]{40}, on @user_script:1\.$/) }]);
    await abortAllDurableObjects();
    const s = shardNamed(name);
    expect(await logBytes(s)).toContain(resp("MULTI") + resp("SET", "k", "kept") + resp("SET", "k2", "too") + resp("EXEC"));
    expect(await exec(s, ["GET", "k"], ["GET", "k2"])).toEqual(["kept", "too"]);
    expect(await luaStates(s)).toEqual([false, false]);
  });

  it("logs a script with one write as that write alone, as Redis 7.0 does", async () => {
    const s = shardNamed(uniq("script-one"));
    await one(s, "CONFIG", "SET", "appendfsync", "always");
    expect(await one(s, "EVAL", "redis.call('GET', KEYS[1]) return redis.call('SET', KEYS[1], 'v')", "1", "k")).toEqual({ status: "OK" });
    const log = await logBytes(s);
    expect(log.endsWith(resp("SET", "k", "v"))).toBe(true);
    expect(log).not.toContain(resp("MULTI"));
  });

  it("logs a read-only script as nothing", async () => {
    const s = shardNamed(uniq("script-ro"));
    await one(s, "CONFIG", "SET", "appendfsync", "always");
    await one(s, "SET", "k", "v");
    const before = await logBytes(s);
    expect(await exec(s, ["EVAL_RO", "return redis.call('GET', KEYS[1])", "1", "k"], ["EVAL", "return redis.call('GET', KEYS[1])", "1", "k"])).toEqual(["v", "v"]);
    expect(await logBytes(s)).toBe(before);
  });
});

describe("scripts over HTTP", () => {
  const enc = { "upstash-encoding": "base64" };

  it("run in /pipeline beside other commands, each with its own reply, base64 when asked", async () => {
    const k = uniq("p");
    const body = "return redis.call('GET', KEYS[1])";
    const sha = (await post("/", ["SCRIPT", "LOAD", body])).body.result as string;
    const res = await post(
      "/pipeline",
      [
        ["SET", k, "h\u00e9"],
        ["EVALSHA", sha, "1", k],
        ["EVAL", "return {1, 'two', {ok='FINE'}, false}", "0"],
        ["EVAL", "return redis.call('INCR', KEYS[1])", "1", k],
        ["EVALSHA", "0".repeat(40), "0"],
        ["GET", k],
      ],
      enc,
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      { result: "OK" },
      { result: btoa("h\xc3\xa9") },
      { result: [1, btoa("two"), btoa("FINE"), null] },
      { error: expect.stringMatching(/^ERR value is not an integer or out of range script: [0-9a-f]{40}, on @user_script:1\.$/) },
      { error: "NOSCRIPT No matching script. Please use EVAL." },
      { result: btoa("h\xc3\xa9") },
    ]);
  });

  it("run in /multi-exec atomically with the transaction, and are logged inside its MULTI … EXEC", async () => {
    const k = uniq("{m}k");
    const res = await post(
      "/multi-exec",
      [
        ["SET", k, "1"],
        ["EVAL", "redis.call('INCRBY', KEYS[1], 10) return redis.call('GET', KEYS[1])", "1", k],
        ["FCALL_RO", "nosuchfn", "0"],
        ["INCR", k],
      ],
      enc,
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual([{ result: "OK" }, { result: btoa("11") }, { error: "ERR Function not found" }, { result: 12 }]);
    expect((await post("/", ["GET", k])).body).toEqual({ result: "12" });
  });

  it("the read-only token runs EVAL_RO, EVALSHA_RO and FCALL_RO, refuses EVAL and EVALSHA, and writes inside", async () => {
    const ro = { authorization: `Bearer ${READONLY_TOKEN}` };
    const k = uniq("ro");
    await post("/", ["SET", k, "v"]);
    const body = "return redis.call('GET', KEYS[1])";
    const sha = (await post("/", ["SCRIPT", "LOAD", body])).body.result as string;
    await post("/", ["FUNCTION", "LOAD", "REPLACE", "#!lua name=rolib\nredis.register_function{function_name='ro_get', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}"]);
    expect((await post("/", ["EVAL_RO", body, "1", k], ro)).body).toEqual({ result: "v" });
    expect((await post("/", ["EVALSHA_RO", sha, "1", k], ro)).body).toEqual({ result: "v" });
    expect((await post("/", ["FCALL_RO", "ro_get", "1", k], ro)).body).toEqual({ result: "v" });
    expect(await post("/", ["EVAL", body, "1", k], ro)).toMatchObject({ status: 400, body: { error: "NOPERM this user has no permissions to run the 'eval' command" } });
    expect(await post("/", ["EVALSHA", sha, "1", k], ro)).toMatchObject({ status: 400, body: { error: "NOPERM this user has no permissions to run the 'evalsha' command" } });
    expect((await post("/", ["EVAL_RO", "return redis.call('SET', KEYS[1], 'w')", "1", k], ro)).body).toEqual({
      // The token's check comes first, as Redis checks a script's ACL before its read-only flag, with Redis 7.0's text.
      error: expect.stringMatching(/^ERR The user executing the script can't run this command or subcommand script: [0-9a-f]{40}, on @user_script:1\.$/),
    });
    expect((await post("/pipeline", [["EVAL_RO", body, "1", k], ["EVAL", body, "1", k]], { ...ro, ...enc })).body).toEqual([
      { result: btoa("v") },
      { error: "NOPERM this user has no permissions to run the 'eval' command" },
    ]);
    expect((await post("/", ["GET", k])).body).toEqual({ result: "v" });
  });
});
