// Stream commands on the engine: exact replies and errors, and what each propagates (the AOF's
// records), checked against Redis 7.0's propagation. The differential test covers the breadth.
import { describe, expect, it } from "vitest";
import { testEngine } from "../testing.js";
import { RedisStream } from "../types/index.js";

const NOW = 1_700_000_000_000;

describe("XADD", () => {
  it("propagates the ID it picked, and an approximate trim as = with where it stopped", () => {
    const { run, log } = testEngine({ config: { "stream-node-max-entries": "2" } });
    expect(run("XADD", "s", "*", "f", "v")).toBe(`${NOW}-0`);
    expect(run("XADD", "s", "*", "f", "v")).toBe(`${NOW}-1`);
    expect(run("XADD", "s", "7-*", "f", "v")).toEqual({ error: "ERR The ID specified in XADD is equal or smaller than the target stream top item" });
    expect(run("XADD", "s", `${NOW}-*`, "f", "v")).toBe(`${NOW}-2`);
    expect(run("XADD", "s", "MAXLEN", "~", "1", "LIMIT", "5", "*", "g", "w")).toBe(`${NOW}-3`);
    expect(log).toEqual([
      ["XADD", "s", `${NOW}-0`, "f", "v"],
      ["XADD", "s", `${NOW}-1`, "f", "v"],
      ["XADD", "s", `${NOW}-2`, "f", "v"],
      ["XADD", "s", "MAXLEN", "=", "2", "LIMIT", "5", `${NOW}-3`, "g", "w"],
    ]);
    expect(run("XLEN", "s")).toBe(2);
  });

  it("answers Redis's errors for bad options and IDs", () => {
    const { run } = testEngine();
    expect(run("XADD", "s", "0-0", "f", "v")).toEqual({ error: "ERR The ID specified in XADD must be greater than 0-0" });
    expect(run("XADD", "s", "1-x", "f", "v")).toEqual({ error: "ERR Invalid stream ID specified as stream command argument" });
    expect(run("XADD", "s", "MAXLEN", "1", "MINID", "1", "*", "f", "v")).toEqual({
      error: "ERR syntax error, MAXLEN and MINID options at the same time are not compatible",
    });
    expect(run("XADD", "s", "MAXLEN", "1", "LIMIT", "1", "*", "f", "v")).toEqual({
      error: "ERR syntax error, LIMIT cannot be used without the special ~ option",
    });
    expect(run("XADD", "s", "*", "f")).toEqual({ error: "ERR wrong number of arguments for 'xadd' command" });
    expect(run("XADD", "s", "NOMKSTREAM", "*", "f", "v")).toBe(null);
    expect(run("EXISTS", "s")).toBe(0);
    expect(run("XTRIM", "s", "LIMIT", "1")).toEqual({ error: "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy" });
    expect(run("XADD", "s", "18446744073709551615-18446744073709551615", "f", "v")).toBe("18446744073709551615-18446744073709551615");
    expect(run("XADD", "s", "*", "f", "v")).toEqual({ error: "ERR The stream has exhausted the last possible ID, unable to add more items" });
  });
});

describe("consumer groups", () => {
  it("XREADGROUP propagates each delivery as XCLAIM … JUSTID LASTID, NOACK as XGROUP SETID", () => {
    const { run, log, clock } = testEngine();
    run("XADD", "s", "1-0", "f", "a");
    run("XADD", "s", "2-0", "f", "b");
    run("XGROUP", "CREATE", "s", "g", "0");
    log.length = 0;
    expect(run("XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", ">")).toEqual([["s", [["1-0", ["f", "a"]]]]]);
    clock.advance(5);
    expect(run("XREADGROUP", "GROUP", "g", "bob", "NOACK", "STREAMS", "s", ">")).toEqual([["s", [["2-0", ["f", "b"]]]]]);
    expect(log).toEqual([
      ["XCLAIM", "s", "g", "alice", "0", "1-0", "TIME", String(NOW), "RETRYCOUNT", "1", "FORCE", "JUSTID", "LASTID", "1-0"],
      ["XGROUP", "CREATECONSUMER", "s", "g", "bob"],
      ["XGROUP", "SETID", "s", "g", "2-0", "ENTRIESREAD", "2"],
    ]);
    expect(run("XPENDING", "s", "g")).toEqual([1, "1-0", "1-0", [["alice", "1"]]]);
    expect(run("XPENDING", "s", "g", "-", "+", "10")).toEqual([["1-0", "alice", 5, 1]]);
    expect(run("XINFO", "GROUPS", "s")).toEqual([["name", "g", "consumers", 2, "pending", 1, "last-delivered-id", "2-0", "entries-read", 2, "lag", 0]]);
    expect(run("XINFO", "CONSUMERS", "s", "g")).toEqual([
      ["name", "alice", "pending", 1, "idle", 5],
      ["name", "bob", "pending", 0, "idle", 0],
    ]);
  });

  it("XAUTOCLAIM claims idle entries and drops deleted ones, each propagated as XCLAIM", () => {
    const { run, log, clock } = testEngine();
    for (let i = 1; i <= 3; i++) run("XADD", "s", `${i}-0`, "f", `v${i}`);
    run("XGROUP", "CREATE", "s", "g", "0");
    run("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">");
    run("XDEL", "s", "2-0");
    clock.advance(100);
    log.length = 0;
    expect(run("XAUTOCLAIM", "s", "g", "bob", "50", "0", "COUNT", "2")).toEqual(["3-0", [["1-0", ["f", "v1"]]], ["2-0"]]);
    const t = String(NOW + 100);
    expect(log).toEqual([
      ["XCLAIM", "s", "g", "bob", "0", "1-0", "TIME", t, "RETRYCOUNT", "2", "FORCE", "JUSTID", "LASTID", "3-0"],
      ["XCLAIM", "s", "g", "alice", "0", "2-0", "TIME", String(NOW), "RETRYCOUNT", "1", "FORCE", "JUSTID", "LASTID", "3-0"],
    ]);
    expect(run("XCLAIM", "s", "g", "carol", "0", "3-0", "JUSTID", "BOGUS")).toEqual({ error: "ERR Unrecognized XCLAIM option 'BOGUS'" });
    expect(run("XCLAIM", "s", "nogroup", "carol", "0", "3-0")).toEqual({ error: "NOGROUP No such key 's' or consumer group 'nogroup'" });
  });

  it("XGROUP checks its subcommands and arities as Redis's command table does", () => {
    const { run } = testEngine();
    expect(run("XGROUP", "CREATE", "s", "g")).toEqual({ error: "ERR wrong number of arguments for 'xgroup|create' command" });
    expect(run("XGROUP", "NOPE", "s")).toEqual({ error: "ERR unknown subcommand 'NOPE'. Try XGROUP HELP." });
    expect(run("XGROUP", "CREATE", "s", "g", "$")).toEqual({
      error: "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
    });
    expect(run("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")).toEqual({ status: "OK" });
    expect(run("XGROUP", "SETID", "s", "nope", "0")).toEqual({ error: "NOGROUP No such consumer group 'nope' for key name 's'" });
    expect(run("XGROUP", "CREATE", "s", "g2", "0", "ENTRIESREAD", "-3")).toEqual({ error: "ERR value for ENTRIESREAD must be positive or -1" });
    expect(run("TYPE", "s")).toEqual({ status: "stream" });
    expect(run("OBJECT", "ENCODING", "s")).toBe("stream");
  });
});

describe("the stream type", () => {
  it("reads a range from the middle of a thousand entries through a binary search, and charges memory per entry", () => {
    const { engine, run } = testEngine();
    for (let i = 1; i <= 1000; i++) run("XADD", "s", `${i}-0`, "f", "0123456789");
    const s = engine.db.data.get("s") as RedisStream;
    expect(s.nodes.length).toBe(10);
    expect(run("XRANGE", "s", "500", "+", "COUNT", "2")).toEqual([["500-0", ["f", "0123456789"]], ["501-0", ["f", "0123456789"]]]);
    // An end without a sequence is ms-18446744073709551615: "(500" still takes 500-0.
    expect(run("XREVRANGE", "s", "(500", "-", "COUNT", "1")).toEqual([["500-0", ["f", "0123456789"]]]);
    expect(run("XREVRANGE", "s", "(500-0", "-", "COUNT", "1")).toEqual([["499-0", ["f", "0123456789"]]]);
    const perEntry = s.memoryUsage() / 1000;
    expect(perEntry).toBeGreaterThan(80);
    expect(perEntry).toBeLessThan(200);
    run("XTRIM", "s", "MAXLEN", "0");
    expect(s.memoryUsage()).toBeLessThan(400);
    expect(run("XINFO", "STREAM", "s")).toEqual([
      "length", 0, "radix-tree-keys", 0, "radix-tree-nodes", 1, "last-generated-id", "1000-0", "max-deleted-entry-id", "0-0",
      "entries-added", 1000, "recorded-first-entry-id", "0-0", "groups", 0, "first-entry", null, "last-entry", null,
    ]);
  });

  it("reads past a tombstone that lies above a later entry (XDEL of the top, XSETID lower, XADD), as Redis 7.0 answers", () => {
    const { run } = testEngine();
    for (const id of ["1-1", "2-1", "3-1"]) run("XADD", "s", id, "f", id);
    expect(run("XDEL", "s", "3-1")).toBe(1);
    expect(run("XSETID", "s", "2-5")).toEqual({ status: "OK" });
    expect(run("XADD", "s", "2-6", "f", "2-6")).toBe("2-6");
    expect(run("XRANGE", "s", "-", "2-6")).toEqual([["1-1", ["f", "1-1"]], ["2-1", ["f", "2-1"]], ["2-6", ["f", "2-6"]]]);
    expect(run("XRANGE", "s", "(2-1", "+")).toEqual([["2-6", ["f", "2-6"]]]);
    expect(run("XREVRANGE", "s", "+", "-", "COUNT", "2")).toEqual([["2-6", ["f", "2-6"]], ["2-1", ["f", "2-1"]]]);
    expect(run("XREVRANGE", "s", "2-6", "2-6")).toEqual([["2-6", ["f", "2-6"]]]);
  });
});
