// Key commands where the differential test against redis-server 7 found us apart: OBJECT's
// subcommand errors, EXPIRE's order of checks, and string encodings kept by RENAME and COPY.
import { describe, expect, it } from "vitest";
import { testEngine } from "../testing.js";

describe("OBJECT", () => {
  it("names the subcommand in a wrong-arity error, as Redis 7 does", () => {
    const t = testEngine();
    expect(t.run("OBJECT")).toEqual({ error: "ERR wrong number of arguments for 'object' command" });
    expect(t.run("OBJECT", "ENCODING")).toEqual({ error: "ERR wrong number of arguments for 'object|encoding' command" });
    expect(t.run("OBJECT", "Encoding", "a", "b")).toEqual({ error: "ERR wrong number of arguments for 'object|encoding' command" });
    expect(t.run("OBJECT", "freq")).toEqual({ error: "ERR wrong number of arguments for 'object|freq' command" });
    expect(t.run("OBJECT", "HELP", "x")).toEqual({ error: "ERR wrong number of arguments for 'object|help' command" });
  });

  it("answers an unknown subcommand with its name as sent", () => {
    const t = testEngine();
    expect(t.run("OBJECT", "Nosuch", "a")).toEqual({ error: "ERR unknown subcommand 'Nosuch'. Try OBJECT HELP." });
    expect(t.run("OBJECT", "nosuch")).toEqual({ error: "ERR unknown subcommand 'nosuch'. Try OBJECT HELP." });
  });

  it("answers nil for a missing key, before FREQ's LFU error", () => {
    const t = testEngine();
    expect(t.run("OBJECT", "ENCODING", "nokey")).toBe(null);
    expect(t.run("OBJECT", "FREQ", "nokey")).toBe(null);
  });

  it("prints Redis 7.0's help text", () => {
    const t = testEngine();
    const help = t.run("OBJECT", "HELP") as string[];
    expect(help[0]).toBe("OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    expect(help).toHaveLength(15);
    expect(help.at(-1)).toBe("    Prints this help.");
  });
});

describe("EXPIRE", () => {
  it("checks its options before its number", () => {
    const t = testEngine();
    t.run("SET", "k", "v");
    expect(t.run("EXPIRE", "k", "abc", "GT", "LT")).toEqual({ error: "ERR GT and LT options at the same time are not compatible" });
    expect(t.run("EXPIRE", "k", "abc", "NX", "XX")).toEqual({ error: "ERR NX and XX, GT or LT options at the same time are not compatible" });
    expect(t.run("EXPIRE", "k", "abc", "bogus")).toEqual({ error: "ERR Unsupported option bogus" });
    expect(t.run("EXPIRE", "k", "abc", "NX")).toEqual({ error: "ERR value is not an integer or out of range" });
  });

  it("accepts a time up to int64's largest and logs one that replays", () => {
    const t = testEngine();
    t.run("SET", "k", "v");
    expect(t.run("EXPIRE", "k", "9223372036854775807")).toEqual({ error: "ERR invalid expire time in 'expire' command" });
    expect(t.run("PEXPIREAT", "k", "9223372036854775807")).toBe(1);
    // Kept to the nearest double below 2^63: an int64 again when logged.
    expect(t.log.at(-1)).toEqual(["PEXPIREAT", "k", "9223372036854774784"]);
  });
});

describe("RENAME and COPY", () => {
  it("keep a string's encoding, as Redis moves or duplicates the object", () => {
    const t = testEngine();
    t.run("SET", "s", "a");
    t.run("APPEND", "s", "b");
    t.run("RENAME", "s", "t");
    expect(t.run("OBJECT", "ENCODING", "t")).toBe("raw");
    t.run("COPY", "t", "u");
    expect(t.run("OBJECT", "ENCODING", "u")).toBe("raw");
    t.run("RENAMENX", "t", "v");
    expect(t.run("OBJECT", "ENCODING", "v")).toBe("raw");
    t.run("SET", "w", "a");
    t.run("RENAME", "w", "v");
    expect(t.run("OBJECT", "ENCODING", "v")).toBe("embstr");
  });
});

describe("SCAN", () => {
  it("reads its cursor as strtoul does: empty is 0, a sign is allowed, spaces and 2^64 are not", () => {
    const t = testEngine();
    t.run("SET", "a", "1");
    expect(t.run("SCAN", "")).toEqual(["0", ["a"]]);
    expect(t.run("SCAN", "+0")).toEqual(["0", ["a"]]);
    expect(t.run("SCAN", "007")).toEqual(["0", ["a"]]);
    for (const bad of ["-", "+", " 0", "abc", "1.5", "18446744073709551616"]) {
      expect(t.run("SCAN", bad)).toEqual({ error: "ERR invalid cursor" });
    }
    // Beyond any position of ours: the iteration is over.
    expect(t.run("SCAN", "18446744073709551615")).toEqual(["0", []]);
    expect(t.run("SCAN", "-1")).toEqual(["0", []]);
  });
});
