// The VM's limits: the instruction hook (busy-reply-threshold, SCRIPT KILL) and the heap bound.
// A script that allocates without end fails with "not enough memory"; the VM runs the next one.
import { describe, expect, it } from "vitest";
import type { ScriptHost } from "./api.js";
import { HOOK_EVERY, LUA_HEAP_LIMIT, createLuaVm } from "./vm.js";
import { sha1hex } from "./sha1.js";

const host: ScriptHost = { call: () => ({ status: "OK" }), setRepl() {}, setResp() {}, log() {} };

function run(vm: ReturnType<typeof createLuaVm>, src: string, onHook?: () => string | null) {
  const fn = vm.compile(src, "user_script");
  if ("error" in fn) return fn;
  return vm.run(fn, { keys: [], args: [], host, onHook });
}

describe("the instruction hook", () => {
  it("calls onHook every HOOK_EVERY instructions and stops the script with its text", () => {
    const vm = createLuaVm();
    let calls = 0;
    const src = "local i = 0 while true do i = i + 1 end";
    const r = run(vm, src, () => (++calls === 3 ? "ERR Script killed by user with SCRIPT KILL..." : null));
    expect(calls).toBe(3);
    expect(r).toEqual({ error: `ERR Script killed by user with SCRIPT KILL... script: ${sha1hex(src)}, on @user_script:1.` });
    expect(HOOK_EVERY).toBe(10_000);
  });

  it("cannot be caught by pcall", () => {
    const vm = createLuaVm();
    let calls = 0;
    const src = "while true do pcall(function() while true do end end) end";
    const r = run(vm, src, () => (++calls >= 2 ? "BUSY stop" : null));
    expect(r).toEqual({ error: `BUSY stop script: ${sha1hex(src)}, on @user_script:1.` });
    // The next script runs normally.
    expect(run(vm, "return 1", () => null)).toBe(1);
  });
});

describe("the heap bound", () => {
  const oom = (src: string) => ({ error: `ERR not enough memory script: ${sha1hex(src)}, on @user_script:1.` });

  it("stops a script that grows a table of big strings", () => {
    const vm = createLuaVm();
    const src = "local t = {} while true do t[#t+1] = string.rep('x', 1e6) end";
    expect(run(vm, src)).toEqual(oom(src));
    expect(run(vm, "return #string.rep('y', 1000)")).toBe(1000);
  });

  it("stops doubling a string", () => {
    const vm = createLuaVm();
    const src = "local s = 'x' while true do s = s .. s end";
    expect(run(vm, src)).toEqual(oom(src));
  });

  it("stops a table of numbers that grows without end", () => {
    const vm = createLuaVm();
    const src = "local t = {} local i = 0 while true do i = i + 1 t[i] = i end";
    expect(run(vm, src)).toEqual(oom(src));
  });

  it("stops many big concatenations kept alive", () => {
    const vm = createLuaVm();
    const src = "local s = string.rep('x', 1e6) local t = {} for i = 1, 1e5 do t[i] = s .. i end";
    expect(run(vm, src)).toEqual(oom(src));
  });

  it("stops a gsub that would build a huge string", () => {
    const vm = createLuaVm();
    const src = "return #string.gsub(string.rep('x', 1e6), 'x', string.rep('y', 1000))";
    expect(run(vm, src)).toEqual(oom(src));
  });

  it("lets garbage go: a script that allocates a lot but keeps little runs to the end", () => {
    const vm = createLuaVm();
    const src = "local n = 0 for i = 1, 200 do local s = string.rep('x', 1e6) .. i n = n + #s end return n";
    expect(run(vm, src)).toBe(200 * 1e6 + 9 + 90 * 2 + 101 * 3);
  });

  it("reports its heap for INFO, under the limit after a failed script", () => {
    const vm = createLuaVm();
    const before = vm.usedMemory();
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(1024 * 1024);
    run(vm, "local t = {} while true do t[#t+1] = string.rep('x', 1e6) end");
    run(vm, "return 1");
    expect(vm.usedMemory()).toBeLessThan(LUA_HEAP_LIMIT);
  });
});
