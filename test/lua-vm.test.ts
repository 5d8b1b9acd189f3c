// The Lua VM runs inside a shard Durable Object in workerd (no eval, no runtime-compiled
// WebAssembly): a script with KEYS/ARGV, redis.call through a host, and an error text.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ScriptHost } from "../durable-objects/engine/lua/api.js";
import { createLuaVm } from "../durable-objects/engine/lua/vm.js";
import type { Shard } from "../durable-objects/shard.js";
import { shardNamed } from "./helpers.js";

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
      const fn = vm.compile("return {redis.call('INCRBY', KEYS[1], ARGV[1]), tostring(10/2), (10/2) .. ''}", "user_script");
      if ("error" in fn) throw new Error(fn.error);
      const ok = vm.run(fn, { keys: ["k"], args: ["2.5"], host });
      const bad = vm.compile("return redis.call('INCR', 'x')", "user_script");
      if ("error" in bad) throw new Error(bad.error);
      const err = vm.run(bad, { keys: [], args: [], host });
      return { ok, err, calls };
    });
    expect(out.ok).toEqual([42, "5", "5"]);
    expect(out.err).toEqual({
      error: "ERR value is not an integer or out of range script: c24fb1e1b5f1ae80e0f0a9b87c1aee0bbdbab5a5, on @user_script:1.",
    });
    expect(out.calls).toEqual([["INCRBY", "k", "2.5"], ["INCR", "x"]]);
  });
});
