// Issue 14, CPU: glob patterns match in linear time (no exponential backtracking) through every
// command that takes one, with Redis's answers.
import { describe, expect, it } from "vitest";
import { cmd, post, uniq } from "./helpers.js";

const MEMBER = "a".repeat(1000);
const HOSTILE = "*a".repeat(20) + "b";

describe("glob patterns (KEYS, SCAN, SSCAN, HSCAN, ZSCAN MATCH)", () => {
  it("answers the CVE-2022-36021 pattern class at once, with Redis's replies", async () => {
    const tag = uniq("glob");
    const s = `{${tag}}s`;
    const h = `{${tag}}h`;
    const z = `{${tag}}z`;
    const replies = await post("/pipeline", [
      ["SADD", s, MEMBER, "x"],
      ["HSET", h, MEMBER, "1"],
      ["ZADD", z, "1", MEMBER],
      ["SSCAN", s, "0", "MATCH", HOSTILE],
      ["SSCAN", s, "0", "MATCH", "*a".repeat(20)],
      ["HSCAN", h, "0", "MATCH", HOSTILE],
      ["ZSCAN", z, "0", "MATCH", HOSTILE],
      ["KEYS", `*${tag}*${"*a".repeat(20)}`],
    ]);
    expect(replies).toEqual({
      status: 200,
      body: [
        { result: 2 },
        { result: 1 },
        { result: 1 },
        { result: ["0", []] },
        { result: ["0", [MEMBER]] },
        { result: ["0", []] },
        { result: ["0", []] },
        { result: [] },
      ],
      headers: replies.headers,
    });
  });

  it("keeps Redis's semantics: classes, ranges, negation, escapes, and MATCH * returning an empty member", async () => {
    const s = uniq("glob-set");
    await cmd("SADD", s, "", "a]", "b*", "hello", "hallo", "hxllo");
    const match = async (p: string) => ((await cmd("SSCAN", s, "0", "MATCH", p, "COUNT", "100")).body.result[1] as string[]).sort();
    expect(await match("h[ae]llo")).toEqual(["hallo", "hello"]);
    expect(await match("h[^e]llo")).toEqual(["hallo", "hxllo"]);
    expect(await match("h[a-e]llo")).toEqual(["hallo", "hello"]);
    expect(await match("b\\*")).toEqual(["b*"]);
    expect(await match("a[\\]]")).toEqual(["a]"]);
    expect(await match("*")).toEqual(["", "a]", "b*", "hallo", "hello", "hxllo"]);
    expect(await match("**")).toEqual(["a]", "b*", "hallo", "hello", "hxllo"]); // as Redis: "" only matches MATCH *
  });
});
