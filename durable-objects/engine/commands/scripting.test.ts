// EVAL and FCALL on an Engine with the real Lua VM: what spans the two Lua states (EVAL's and the
// functions') and outlives SCRIPT FLUSH. The replies themselves are checked against redis-server 7.0 by
// scripts/differential/scripting.test.ts.
import { describe, expect, it } from "vitest";
import { Engine } from "../engine.js";
import { createLuaVm } from "../lua/vm.js";

const DRAW = "return tostring(math.random())";
const LIB = `#!lua name=draws\nredis.register_function('draw', function() ${DRAW} end)`;

describe("math.random across scripts", () => {
  it("is one sequence for EVAL and functions, which SCRIPT FLUSH does not restart", () => {
    const mixed = new Engine({ createLuaVm });
    expect(mixed.execute(["FUNCTION", "LOAD", LIB])).toBe("draws");
    const drawn = [
      mixed.execute(["EVAL", DRAW, "0"]),
      mixed.execute(["FCALL", "draw", "0"]),
      (mixed.execute(["SCRIPT", "FLUSH"]), mixed.execute(["EVAL", DRAW, "0"])),
      mixed.execute(["FCALL", "draw", "0"]),
    ];
    const evalOnly = new Engine({ createLuaVm });
    const expected = Array.from({ length: 4 }, () => evalOnly.execute(["EVAL", DRAW, "0"]));
    expect(drawn).toEqual(expected);
    expect(new Set(expected).size).toBe(4);
  });

  it("starts where a fresh redis-server starts, and math.randomseed moves it for both", () => {
    const e = new Engine({ createLuaVm });
    e.execute(["FUNCTION", "LOAD", LIB]);
    e.execute(["EVAL", "math.randomseed(305441741) return 1", "0"]);
    const fresh = new Engine({ createLuaVm });
    // Seed 0x1234ABCD puts the generator at Redis's initial state: a fresh redis-server 7.0.15 draws this first.
    expect(fresh.execute(["EVAL", DRAW, "0"])).toBe("0.39646477363839");
    expect(e.execute(["FCALL", "draw", "0"])).toBe("0.39646477363839");
  });
});
