import { describe, expect, it } from "vitest";
import { ELEMENT_BYTES, REPLY_ESTIMATES, REPLY_TOO_LARGE, WALK_ABOVE_ELEMENTS, jsonTextBytes, replyBytes } from "./reply-budget.js";
import { binaryToText, textToBinary } from "./bytes.js";
import { seededRandom, testEngine } from "./testing.js";

/** A small dataset of every type the estimates read, with members of random sizes. */
function dataset(seed: number) {
  const t = testEngine();
  const rnd = seededRandom(seed);
  const word = () => "m".repeat(Math.floor(rnd() * 40)) + Math.floor(rnd() * 1e6);
  const members = Array.from({ length: 30 }, word);
  t.engine.executeBatch([
    ["RPUSH", "l", ...members],
    ["SADD", "s", ...members],
    ["HSET", "h", ...members.flatMap((m) => [m, word()])],
    ["ZADD", "z", ...members.flatMap((m, i) => [String(i * 1.5), m])],
    ...members.slice(0, 10).map((m, i) => ["XADD", "x", `${i + 1}-0`, "f", m, "g", word()]),
    ...members.slice(0, 5).map((m, i) => ["SET", `v${i}`, m]),
    ["RPUSH", "idx", "0", "1", "2", "3", "4"],
    ["SET", "str", word()],
  ]);
  return { ...t, rnd };
}

/** Commands with estimates, over ranges, counts and options (some out of range or malformed). */
function commands(rnd: () => number): string[][] {
  const n = () => String(Math.floor(rnd() * 80) - 40);
  return [
    ["SRANDMEMBER", "s", n()],
    ["HRANDFIELD", "h", n(), "WITHVALUES"],
    ["HRANDFIELD", "h", n()],
    ["ZRANDMEMBER", "z", n(), "WITHSCORES"],
    ["LRANGE", "l", n(), n()],
    ["LPOP", "l", n()],
    ["RPOP", "l", n()],
    ["SPOP", "s", n()],
    ["ZPOPMIN", "z", n()],
    ["ZPOPMAX", "z", n()],
    ["LPOP", "l"],
    ["LMOVE", "l", "l2", "LEFT", "RIGHT"],
    ["LMOVE", "l", "l2", "RIGHT", "LEFT"],
    ["RPOPLPUSH", "l", "l2"],
    ["BLMOVE", "l", "l2", "LEFT", "LEFT", "0"],
    ["LMPOP", "2", "nope", "l", "LEFT", "COUNT", n()],
    ["BLMPOP", "0", "1", "l", "RIGHT"],
    ["LMPOP", "2", "s", "l", "LEFT"],
    ["ZMPOP", "1", "z", "MAX", "COUNT", n()],
    ["BZMPOP", "0", "2", "nope", "z", "MIN"],
    ["SMEMBERS", "s"],
    ["HGETALL", "h"],
    ["HKEYS", "h"],
    ["HVALS", "h"],
    ["ZRANGE", "z", n(), n()],
    ["ZRANGE", "z", n(), n(), "REV", "WITHSCORES"],
    ["ZREVRANGE", "z", n(), n(), "WITHSCORES"],
    ["ZRANGEBYSCORE", "z", n(), n(), "WITHSCORES", "LIMIT", n(), n()],
    ["ZRANGEBYSCORE", "z", "(" + n(), "+inf"],
    ["ZREVRANGEBYSCORE", "z", "+inf", "(" + n(), "WITHSCORES"],
    ["ZRANGE", "z", n(), "(" + n(), "BYSCORE", "LIMIT", n(), n()],
    ["ZRANGE", "z", "+inf", n(), "BYSCORE", "REV"],
    ["ZRANGEBYLEX", "z", "-", "+", "LIMIT", n(), n()],
    ["ZREVRANGEBYLEX", "z", "+", "-"],
    ["ZRANGE", "z", "-", "+", "BYLEX"],
    ["ZRANGE", "z", "0", "-1", "BYLEX"],
    ["SORT", "l", "ALPHA", "LIMIT", n(), n()],
    ["SORT", "idx", "BY", "nosort", "GET", "v*", "GET", "#"],
    ["SORT_RO", "s", "ALPHA"],
    ["XRANGE", "x", "-", "+", "COUNT", n()],
    ["XREVRANGE", "x", "+", "-"],
    ["XREAD", "COUNT", n(), "STREAMS", "x", "0"],
    ["XREAD", "STREAMS", "x", "s", "0-0", "0"],
    ["XREAD", "STREAMS", "x", "x", "0", "3-0"],
    ["MGET", "v0", "v1", "nope", "l", "v4"],
    ["GETDEL", "v" + Math.floor(rnd() * 6)],
    ["SET", "str", "new", "GET"],
    ["GETSET", "str", "newer"],
    ["GETEX", "str", "PX", "100000"],
    ["SRANDMEMBER", "s", "x"],
    ["LRANGE", "nope", "0", "-1"],
  ];
}

describe("reply estimates", () => {
  it("are never more than the reply they estimate (so a reply that fits is never refused)", () => {
    for (let seed = 1; seed <= 150; seed++) {
      const { engine, rnd } = dataset(seed);
      for (const argv of commands(rnd)) {
        const estimate = REPLY_ESTIMATES.get(argv[0].toLowerCase())!;
        const guess = estimate(engine.db, argv, engine.clock(), Infinity);
        const reply = engine.execute(argv);
        expect(guess, `${argv.join(" ")} → ${JSON.stringify(reply)}`).toBeLessThanOrEqual(replyBytes(reply));
      }
    }
  });

  it("are exact for pops, strings and MGET", () => {
    const { engine } = dataset(7);
    for (const argv of [
      ["MGET", "v0", "nope", "v3"],
      ["LPOP", "l", "4"],
      ["RPOP", "l"],
      ["LMOVE", "l", "l", "LEFT", "RIGHT"],
      ["LMPOP", "2", "nope", "l", "RIGHT", "COUNT", "3"],
      ["GETDEL", "v2"],
    ]) {
      const guess = REPLY_ESTIMATES.get(argv[0].toLowerCase())!(engine.db, argv, engine.clock(), Infinity);
      expect(guess, argv.join(" ")).toBe(replyBytes(engine.execute(argv)));
    }
  });

  it("count the elements of a short read without walking it, and are exact for reads of lists, hashes and whole sets past WALK_ABOVE_ELEMENTS", () => {
    const { engine } = dataset(7);
    const short: [string[], number][] = [
      [["LRANGE", "l", "2", "-3"], 26],
      [["HGETALL", "h"], 60],
      [["HVALS", "h"], 30],
      [["SMEMBERS", "s"], 30],
      [["ZRANGE", "z", "0", "9", "WITHSCORES"], 20],
    ];
    for (const [argv, elements] of short) {
      expect(REPLY_ESTIMATES.get(argv[0].toLowerCase())!(engine.db, argv, engine.clock(), Infinity), argv.join(" ")).toBe((elements + 1) * ELEMENT_BYTES);
    }
    const n = WALK_ABOVE_ELEMENTS + 1;
    const members = Array.from({ length: n }, (_, i) => `member-${i}-${"x".repeat(i % 7)}`);
    engine.executeBatch([
      ["RPUSH", "big-l", ...members],
      ["SADD", "big-s", ...members],
      ["HSET", "big-h", ...members.flatMap((m) => [m, m + "!"])],
      ["ZADD", "big-z", ...members.flatMap((m, i) => [String(i), m])],
    ]);
    for (const argv of [
      ["LRANGE", "big-l", "0", "-1"],
      ["LRANGE", "big-l", "-1025", "-1"],
      ["ZRANGE", "big-z", "0", "1024", "REV"],
      ["ZREVRANGE", "big-z", "-1025", "-1"],
      ["HGETALL", "big-h"],
      ["HKEYS", "big-h"],
      ["SMEMBERS", "big-s"],
      ["ZRANGE", "big-z", "0", "-1"],
      ["RPOP", "big-l", "1025"],
    ]) {
      const guess = REPLY_ESTIMATES.get(argv[0].toLowerCase())!(engine.db, argv, engine.clock(), Infinity);
      expect(guess, argv.join(" ")).toBe(replyBytes(engine.execute(argv)));
    }
  });
});

describe("the reply budget in a batch", () => {
  it("refuses a command whose estimate passes what is left without running it; the batch goes on", () => {
    const { engine, log } = testEngine();
    engine.execute(["RPUSH", "l", "a".repeat(100), "b".repeat(100), "c".repeat(100)]);
    engine.execute(["SADD", "s", "x", "y"]);
    const before = engine.server.commandsProcessed;
    const logged = log.length;
    const replies = engine.executeBatch(
      [
        ["LRANGE", "l", "0", "0"],
        ["RPOP", "l", "3"],
        ["SRANDMEMBER", "s", "-1000000000"],
        ["LLEN", "l"],
      ],
      { replyBudget: 250 },
    );
    expect(replies).toEqual([["a".repeat(100)], { error: REPLY_TOO_LARGE }, { error: REPLY_TOO_LARGE }, 3]);
    // LRANGE and LLEN ran; RPOP and SRANDMEMBER did not (nothing popped, nothing logged).
    expect(engine.server.commandsProcessed - before).toBe(2);
    expect(log.length).toBe(logged);
  });

  it("refuses a reply past what is left after it ran when no estimate covers it", () => {
    const { engine } = testEngine();
    engine.execute(["SET", "k", "v".repeat(100)]);
    const budget = 2 * (100 + ELEMENT_BYTES) + 10;
    expect(engine.executeBatch([["GET", "k"], ["GET", "k"], ["GET", "k"], ["STRLEN", "k"]], { replyBudget: budget })).toEqual([
      "v".repeat(100),
      "v".repeat(100),
      { error: REPLY_TOO_LARGE },
      100,
    ]);
  });

  it("refuses a short read of big elements after building it (it is not walked before)", () => {
    const { engine } = testEngine();
    engine.execute(["RPUSH", "l", "a".repeat(200), "b".repeat(200)]);
    engine.execute(["HSET", "h", "f", "v".repeat(200)]);
    expect(engine.executeBatch([["LRANGE", "l", "0", "-1"], ["HGETALL", "h"], ["LLEN", "l"]], { replyBudget: 300 })).toEqual([
      { error: REPLY_TOO_LARGE },
      ["f", "v".repeat(200)],
      2,
    ]);
  });

  it("counts a reply's strings' bytes and ELEMENT_BYTES per element", () => {
    expect(replyBytes(null)).toBe(8);
    expect(replyBytes("abc")).toBe(11);
    expect(replyBytes(["abc", 1, null, ["de"], { status: "OK" }])).toBe(8 + 11 + 8 + 8 + (8 + 10) + 10);
    // It stops counting once past the limit.
    expect(replyBytes(Array(1000).fill("x"), 100)).toBeLessThan(200);
  });
});

describe("jsonTextBytes", () => {
  it("is never less than the UTF-8 bytes of the JSON text the worker sends for a string", () => {
    const rnd = seededRandom(3);
    const utf8 = new TextEncoder();
    const samples = ["plain text", 'a "quoted" \\ path', "\n\t\x00\x1f\x7f", textToBinary("héllo wörld ✓ 😀"), "\xff\xfe\x80abc\xc3"];
    for (let i = 0; i < 200; i++) samples.push(Array.from({ length: Math.floor(rnd() * 50) }, () => String.fromCharCode(Math.floor(rnd() * 256))).join(""));
    for (const s of samples) {
      const sent = utf8.encode(JSON.stringify(binaryToText(s))).length - 2;
      expect(jsonTextBytes(s), JSON.stringify(s)).toBeGreaterThanOrEqual(sent);
    }
    expect(jsonTextBytes("plain")).toBe(5);
    expect(jsonTextBytes('"\\')).toBe(4);
    expect(jsonTextBytes("\x01\xff")).toBe(9);
  });

  it("counts replies as JSON text when asked", () => {
    expect(replyBytes(["\x01\x01", "ab"], Infinity, true)).toBe(8 + (12 + 8) + (2 + 8));
    expect(replyBytes(["\x01\x01", "ab"])).toBe(8 + (2 + 8) + (2 + 8));
  });
});
