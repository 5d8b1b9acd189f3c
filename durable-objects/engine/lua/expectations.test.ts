// Every script of fixtures/eval-cases.txt gives the reply redis-server 7.0.15 gave to EVAL of it
// (fixtures/redis-7.0-eval.json, made by scripts/lua-expectations.mjs against a real server).
// Scripts whose replies cannot match are listed in KNOWN_DEVIATIONS with the reason (and in the
// README's scripting section).
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { Reply } from "../reply.js";
import type { ScriptHost } from "./api.js";
import { createLuaVm } from "./vm.js";

const cases: { script: string; reply: Reply }[] = JSON.parse(
  readFileSync(join(dirname(fileURLToPath(import.meta.url)), "fixtures/redis-7.0-eval.json"), "latin1"),
  (_k, v) => (typeof v === "string" && /^-?\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v),
);

/** script → why ours differs. */
export const KNOWN_DEVIATIONS: Record<string, string> = {
  "return '\\65\\066\\x43'": "the parser is 5.3's: \\x escapes exist",
  "return #'\\u{48}'": "the parser is 5.3's: \\u{…} escapes exist",
  "return 7 // 2": "the parser is 5.3's: // (floor division) exists",
  "return 1 & 3": "the parser is 5.3's: bitwise operators exist",
};

const host: ScriptHost = {
  call: () => ({ error: "ERR no commands in these scripts" }),
  setRepl() {},
  setResp() {},
  log() {},
};

describe("scripts against redis-server 7.0.15's replies", () => {
  it(`gives Redis's reply for each of the ${cases.length} scripts`, () => {
    const vm = createLuaVm();
    const mismatches: string[] = [];
    for (const { script, reply } of cases) {
      if (script in KNOWN_DEVIATIONS) continue;
      const fn = vm.compile(script, "user_script");
      const got = "error" in fn ? fn : vm.run(fn, { keys: [], args: [], host });
      try {
        expect(got).toEqual(reply);
      } catch {
        const show = (r: unknown) => JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? `${v}n` : v));
        mismatches.push(`${script}\n    redis: ${show(reply)}\n    ours:  ${show(got)}`);
      }
    }
    expect(mismatches.join("\n")).toBe("");
  });
});
