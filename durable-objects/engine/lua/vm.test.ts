// The VM against Redis 7.0.15: every expected reply below is what redis-server 7.0.15 answered to
// EVAL of the same script (run by hand when these were written; the differential test re-checks
// them against a live server). The host stands in for the engine with fixed replies.
import { describe, expect, it } from "vitest";
import type { Reply } from "../reply.js";
import type { ScriptHost } from "./api.js";
import { createLuaVm } from "./vm.js";
import { sha1hex } from "./sha1.js";

function fakeHost(replies: Record<string, Reply> = {}): ScriptHost & { calls: string[][]; logs: [number, string][] } {
  const calls: string[][] = [];
  const logs: [number, string][] = [];
  return {
    calls,
    logs,
    call(argv) {
      calls.push(argv);
      const r = replies[argv[0].toLowerCase()];
      if (r !== undefined) return r;
      return { error: `ERR unknown command '${argv[0]}', with args beginning with: ` };
    },
    setRepl() {},
    setResp() {},
    log(level, message) {
      logs.push([level, message]);
    },
  };
}

const vm = createLuaVm();
function evalScript(src: string, keys: string[] = [], args: string[] = [], host: ScriptHost = fakeHost()): Reply {
  const fn = vm.compile(src, "user_script");
  if ("error" in fn) return fn;
  return vm.run(fn, { keys, args, host });
}
const at = (src: string) => `script: ${sha1hex(src)}, on @user_script:1.`;

describe("running scripts", () => {
  it("sees KEYS and ARGV as byte strings", () => {
    expect(evalScript("return {KEYS[1], ARGV[1], #KEYS, #ARGV}", ["k\u00ff"], ["a\u0000b"])).toEqual(["k\u00ff", "a\u0000b", 1, 1]);
  });

  it("converts Lua values to replies as Redis does", () => {
    expect(evalScript("return {1,2,3.7,nil,5}")).toEqual([1, 2, 3]);
    expect(evalScript("return 1e20")).toBe(-9223372036854775808n);
    expect(evalScript("return -3.9")).toBe(-3);
    expect(evalScript("return {true, false}")).toEqual([1, null]);
    expect(evalScript("return nil")).toBe(null);
    expect(evalScript("return redis.status_reply('FINE')")).toEqual({ status: "FINE" });
    expect(evalScript("return {redis.error_reply('My'), 1}")).toEqual([{ error: "ERR My" }, 1]);
    expect(evalScript("return redis.error_reply('x y')")).toEqual({ error: "x y" });
    expect(evalScript("return redis.error_reply('-My x\\r\\n')")).toEqual({ error: "My x" });
    expect(evalScript("return redis.error_reply(1)")).toEqual({ error: "ERR wrong number or type of arguments" });
    expect(evalScript("return {double=1.5}")).toBe("1.5");
    expect(evalScript("return {ok='a\\r\\nb'}")).toEqual({ status: "a  b" });
  });

  it("converts replies to Lua values as Redis does", () => {
    const host = fakeHost({ get: "v", incr: 7, hgetall: ["a", null, 3], set: { status: "OK" }, bad: { error: "ERR boom" }, nil: null });
    expect(evalScript("return {type(redis.call('get','k')), redis.call('incr','k') + 0.5, type(redis.call('nil'))}", [], [], host)).toEqual(["string", 7, "boolean"]);
    expect(evalScript("local t = redis.call('hgetall','k') return {#t, t[1], tostring(t[2]), t[3]}", [], [], host)).toEqual([3, "a", "false", 3]);
    expect(evalScript("return redis.call('set','k','v')['ok']", [], [], host)).toBe("OK");
    expect(evalScript("return redis.pcall('bad')['err']", [], [], host)).toBe("ERR boom");
  });

  it("passes numbers to commands as %.17g", () => {
    const host = fakeHost({ set: { status: "OK" } });
    evalScript("redis.call('set', 1, 0.1, 2^53, -0.5, 1e300)", [], [], host);
    expect(host.calls).toEqual([["set", "1", "0.10000000000000001", "9007199254740992", "-0.5", "1.0000000000000001e+300"]]);
  });

  it("formats errors as Redis 7.0 does", () => {
    const host = fakeHost({ incr: { error: "ERR value is not an integer or out of range" }, get: { error: "ERR wrong number of arguments for 'get' command" } });
    let s = "return redis.call('nosuch')";
    expect(evalScript(s)).toEqual({ error: `ERR Unknown Redis command called from script ${at(s)}` });
    s = "return redis.call('get')";
    expect(evalScript(s, [], [], host)).toEqual({ error: `ERR Wrong number of args calling Redis command from script ${at(s)}` });
    s = "return redis.call('incr','s')";
    expect(evalScript(s, [], [], host)).toEqual({ error: `ERR value is not an integer or out of range ${at(s)}` });
    expect(evalScript("return redis.pcall('incr','s')", [], [], host)).toEqual({ error: "ERR value is not an integer or out of range" });
    expect(evalScript("return {pcall(redis.call,'incr','s')}", [], [], host)).toEqual([null, "ERR value is not an integer or out of range"]);
    s = "error('boom')";
    expect(evalScript(s)).toEqual({ error: `ERR user_script:1: boom ${at(s)}` });
    s = "error({err='My Err'})";
    expect(evalScript(s)).toEqual({ error: `My Err ${at(s)}` });
    expect(evalScript("return x(")).toEqual({ error: "ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'" });
    s = "return redis.call()";
    expect(evalScript(s)).toEqual({ error: `ERR Please specify at least one argument for this redis lib call ${at(s)}` });
    s = "return redis.call('get', {})";
    expect(evalScript(s)).toEqual({ error: `ERR Lua redis lib command arguments must be strings or integers ${at(s)}` });
  });

  it("protects the globals as Redis 7.0 does", () => {
    let s = "a=1";
    expect(evalScript(s)).toEqual({ error: `ERR user_script:1: Attempt to modify a readonly table ${at(s)}` });
    s = "return b";
    expect(evalScript(s)).toEqual({ error: `ERR user_script:1: Script attempted to access nonexistent global variable 'b' ${at(s)}` });
    s = "string.foo = 1";
    expect(evalScript(s)).toEqual({ error: `ERR user_script:1: Attempt to modify a readonly table ${at(s)}` });
    for (const g of ["print", "os", "io", "require", "loadfile", "dofile", "setfenv", "getfenv", "newproxy", "module", "debug", "package"]) {
      s = `return type(${g})`;
      expect(evalScript(s)).toEqual({ error: `ERR user_script:1: Script attempted to access nonexistent global variable '${g}' ${at(s)}` });
    }
  });

  it("shows Lua 5.1's library as Redis does", () => {
    expect(evalScript("local t={} for k,v in pairs(_G) do t[#t+1]=k end table.sort(t) return t")).toEqual(
      "ARGV KEYS _G _VERSION __redis__err__handler assert bit cjson cmsgpack collectgarbage coroutine error gcinfo getmetatable ipairs load loadstring math next pairs pcall rawequal rawget rawset redis select setmetatable string struct table tonumber tostring type unpack xpcall".split(" "),
    );
    expect(evalScript("local t={} for k,v in pairs(redis) do t[#t+1]=k..'='..type(v) end table.sort(t) return t")).toEqual(
      "LOG_DEBUG=number LOG_NOTICE=number LOG_VERBOSE=number LOG_WARNING=number REDIS_VERSION=string REDIS_VERSION_NUM=number REPL_ALL=number REPL_AOF=number REPL_NONE=number REPL_REPLICA=number REPL_SLAVE=number acl_check_cmd=function breakpoint=function call=function debug=function error_reply=function log=function pcall=function replicate_commands=function set_repl=function setresp=function sha1hex=function status_reply=function".split(" "),
    );
    const lib = (name: string) => evalScript(`local t={} for k,v in pairs(${name}) do t[#t+1]=k end table.sort(t) return t`);
    expect(lib("string")).toEqual("byte char dump find format gfind gmatch gsub len lower match rep reverse sub upper".split(" "));
    expect(lib("math")).toEqual("abs acos asin atan atan2 ceil cos cosh deg exp floor fmod frexp huge ldexp log log10 max min mod modf pi pow rad random randomseed sin sinh sqrt tan tanh".split(" "));
    expect(lib("table")).toEqual("concat foreach foreachi getn insert maxn remove setn sort".split(" "));
    expect(lib("coroutine")).toEqual("create resume running status wrap yield".split(" "));
  });

  it("prints and computes numbers as Lua 5.1", () => {
    expect(evalScript("return tostring(10/2)")).toBe("5");
    expect(evalScript("return (10/2) .. ''")).toBe("5");
    expect(evalScript("return tostring(0/0)..' '..tostring(1/0)..' '..tostring(1e15)..' '..tostring(2^53)..' '..tostring(0.1)")).toBe("-nan inf 1e+15 9.007199254741e+15 0.1");
    expect(evalScript("return tostring(2147483647 + 1)")).toBe("2147483648");
    expect(evalScript("local x = tonumber('4294967296') return tostring(x * 4)")).toBe("17179869184");
    expect(evalScript("return _VERSION")).toBe("Lua 5.1");
    expect(evalScript("return {loadstring('return 1+1')(), table.getn({1,2,3}), math.mod(7,3), unpack({4,5})}")).toEqual([2, 3, 1, 4, 5]);
    expect(evalScript("return {pcall(table.setn, {}, 1)}")).toEqual([null, "'setn' is obsolete"]);
  });

  it("has Redis's math.random: one sequence from a fixed seed, not reset between scripts", () => {
    const fresh = createLuaVm();
    const host = fakeHost();
    const run = (s: string) => {
      const f = fresh.compile(s, "user_script");
      if ("error" in f) throw new Error(f.error);
      return fresh.run(f, { keys: [], args: [], host });
    };
    expect(run("return {math.random(), math.random(10), math.random(5,8)}")).toEqual([0, 9, 6]);
    expect(run("return tostring(math.random())")).toBe("0.44658343468168");
  });

  it("has redis.sha1hex, redis.log and the version", () => {
    const host = fakeHost();
    expect(evalScript("return {redis.sha1hex(''), redis.sha1hex('abc')}")).toEqual(["da39a3ee5e6b4b0d3255bfef95601890afd80709", "a9993e364706816aba3e25717850c26c9cd0d89d"]);
    expect(evalScript("redis.log(redis.LOG_WARNING, 'a', 1, 'b') return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM}", [], [], host)).toEqual(["7.0.15", 0x07000f]);
    expect(host.logs).toEqual([[3, "a 1 b"]]);
  });
});
