// FUNCTION LOAD / FCALL through the VM: redis.register_function's two forms and its errors, the
// library API while loading, errors naming the function. Expected texts are redis-server 7.0.15's.
import { describe, expect, it } from "vitest";
import type { Reply } from "../reply.js";
import type { LuaFunctionRef, ScriptHost } from "./api.js";
import { createLuaVm } from "./vm.js";

interface Registered {
  name: string;
  fn: LuaFunctionRef;
  flags: string[];
  description?: string;
}

function host(registered: Registered[], reject?: string): ScriptHost {
  return {
    call: (argv) => (argv[0] === "ping" ? { status: "PONG" } : { error: `ERR unknown command '${argv[0]}', with args beginning with: ` }),
    setRepl() {},
    setResp() {},
    log() {},
    registerFunction(name, fn, flags, description) {
      if (reject !== undefined) return reject;
      registered.push({ name, fn, flags, description });
    },
  };
}

const LIB1 = `#!lua name=lib1
redis.register_function('f1', function(keys, args) return {keys[1], args[1], #keys} end)
redis.register_function{function_name='f2', callback=function(keys, args) error('boom') end, flags={'no-writes'}, description='d'}
redis.register_function('f3', function(keys, args) return redis.call('nosuch') end)
redis.register_function('f4', function(keys, args) return x end)
redis.register_function('f15', function() local x = 1; y = 2 end)`;

describe("functions", () => {
  it("loads a library and calls its functions", () => {
    const vm = createLuaVm();
    const reg: Registered[] = [];
    const h = host(reg);
    expect(vm.loadLibrary(LIB1, "lib1", h)).toBe(null);
    expect(reg.map((r) => [r.name, r.flags, r.description])).toEqual([
      ["f1", [], undefined],
      ["f2", ["no-writes"], "d"],
      ["f3", [], undefined],
      ["f4", [], undefined],
      ["f15", [], undefined],
    ]);
    const call = (name: string, keys: string[] = [], args: string[] = []): Reply =>
      vm.callFunction(reg.find((r) => r.name === name)!.fn, { keys, args, host: h });
    expect(call("f1", ["k"], ["a"])).toEqual(["k", "a", 1]);
    expect(call("f2")).toEqual({ error: "ERR user_function:3: boom script: f2, on @user_function:3." });
    expect(call("f3")).toEqual({ error: "ERR Unknown Redis command called from script script: f3, on @user_function:4." });
    expect(call("f4")).toEqual({
      error: "ERR user_function:5: Script attempted to access nonexistent global variable 'x' script: f4, on @user_function:5.",
    });
    expect(call("f15")).toEqual({ error: "ERR user_function:6: Attempt to modify a readonly table script: f15, on @user_function:6." });
    // EVAL's state is apart: no KEYS leak, no register_function.
    const e = vm.compile("return redis.register_function", "user_script");
    expect("error" in e ? e : vm.run(e, { keys: [], args: [], host: h })).toBe(null);
  });

  it("answers Redis's errors while loading", () => {
    const vm = createLuaVm();
    const load = (body: string) => vm.loadLibrary(`#!lua name=l\n${body}`, "l", host([]));
    expect(load("return x(")).toEqual({ error: "ERR Error compiling function: user_function:2: unexpected symbol near '<eof>'" });
    expect(load("error('oops')")).toEqual({
      error: "ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'error'",
    });
    expect(load("local s = string.len('x')")).toEqual({
      error: "ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'string'",
    });
    expect(load("redis.register_function('g', function() end)\nredis.call('ping')")).toEqual({
      error: "ERR Error registering functions: ERR user_function:3: Script attempted to access nonexistent global variable 'call'",
    });
    expect(load("redis.register_function{function_name='h', callback=function() end, flags={'bad-flag'}}")).toEqual({
      error: "ERR Error registering functions: ERR unknown flag given",
    });
    expect(load("redis.register_function('h2')")).toEqual({
      error:
        "ERR Error registering functions: ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).",
    });
    expect(load("redis.register_function{function_name='h3'}")).toEqual({
      error: "ERR Error registering functions: ERR redis.register_function must get a callback argument",
    });
    expect(load("redis.register_function{callback=function() end}")).toEqual({
      error: "ERR Error registering functions: ERR redis.register_function must get a function name argument",
    });
    expect(load("redis.register_function{function_name='x', callback=function() end, foo=1}")).toEqual({
      error: "ERR Error registering functions: ERR unknown argument given to redis.register_function",
    });
    expect(load("redis.register_function(1, 2, 3)")).toEqual({
      error: "ERR Error registering functions: ERR wrong number of arguments to redis.register_function",
    });
    expect(load("a = 1")).toEqual({ error: "ERR Error registering functions: ERR user_function:2: Attempt to modify a readonly table" });
    expect(vm.loadLibrary("#!lua name=l\nredis.register_function('f', function() end)", "l", host([], "ERR Function already exists in the library"))).toEqual({
      error: "ERR Error registering functions: ERR Function already exists in the library",
    });
  });

  it("stops a library body that runs too long", () => {
    const vm = createLuaVm();
    expect(vm.loadLibrary("#!lua name=l\nwhile true do end", "l", host([]))).toEqual({
      error: "ERR Error registering functions: ERR FUNCTION LOAD timeout",
    });
  });
});
