// The Lua VM runs inside a shard Durable Object in workerd (no eval, no runtime-compiled
// WebAssembly): a script with KEYS/ARGV, redis.call through a host, and an error text.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ScriptHost } from "../durable-objects/engine/lua/api.js";
import { sha1hex } from "../durable-objects/engine/lua/sha1.js";
import { createLuaVm } from "../durable-objects/engine/lua/vm.js";
import type { Shard } from "../durable-objects/shard.js";
import { cmd, shardNamed, uniq } from "./helpers.js";

describe("the Lua VM in a Durable Object", () => {
  it("compiles and runs a script with KEYS, ARGV and redis.call", async () => {
    const out = await runInDurableObject(shardNamed("lua-vm"), (_i: Shard) => {
      const vm = createLuaVm();
      const calls: string[][] = [];
      const host: ScriptHost = {
        call: (argv) => {
          calls.push(argv);
          return argv[0] === "INCRBY" ? 42 : { error: "ERR value is not an integer or out of range" };
        },
        setRepl: () => {},
        setResp: () => {},
        log: () => {},
      };
      const fn = vm.compile(
        "return {redis.call('INCRBY', KEYS[1], ARGV[1]), tostring(10/2), (10/2) .. '', cjson.encode({a = {1, 2}}), #cmsgpack.pack(1), bit.band(6, 3)}",
        "user_script",
      );
      if ("error" in fn) throw new Error(fn.error);
      const ok = vm.run(fn, { keys: ["k"], args: ["2.5"], host });
      const bad = vm.compile("return redis.call('INCR', 'x')", "user_script");
      if ("error" in bad) throw new Error(bad.error);
      const err = vm.run(bad, { keys: [], args: [], host });
      return { ok, err, calls };
    });
    expect(out.ok).toEqual([42, "5", "5", '{"a":[1,2]}', 1, 2]);
    expect(out.err).toEqual({
      error: `ERR value is not an integer or out of range script: ${sha1hex("return redis.call('INCR', 'x')")}, on @user_script:1.`,
    });
    expect(out.calls).toEqual([["INCRBY", "k", "2.5"], ["INCR", "x"]]);
  });
});

describe("scripts over HTTP, in the shard's VM", () => {
  it("runs EVAL, EVALSHA and FCALL with Redis's replies and error texts", async () => {
    const k = uniq("lua");
    expect((await cmd("EVAL", "return redis.call('INCRBY', KEYS[1], ARGV[1])", "1", k, "5")).body).toEqual({ result: 5 });
    expect((await cmd("EVAL", "return {cjson.encode({n = tonumber(redis.call('GET', KEYS[1]))}), tostring(10/2)}", "1", k)).body).toEqual({
      result: ['{"n":5}', "5"],
    });
    const body = "return redis.call('GET', KEYS[1])";
    const sha = (await cmd("SCRIPT", "LOAD", body)).body.result;
    expect(sha).toBe(sha1hex(body));
    expect((await cmd("EVALSHA", sha, "1", k)).body).toEqual({ result: "5" });
    expect((await cmd("EVAL", "return redis.call('nosuch')", "0")).body).toEqual({
      error: `ERR Unknown Redis command called from script script: ${sha1hex("return redis.call('nosuch')")}, on @user_script:1.`,
    });
    expect((await cmd("FUNCTION", "LOAD", "REPLACE", "#!lua name=luavmtest\nredis.register_function('luavm_echo', function(keys, args) return args[1] end)")).body).toEqual({
      result: "luavmtest",
    });
    expect((await cmd("FCALL", "luavm_echo", "0", "hi")).body).toEqual({ result: "hi" });
  });
});
