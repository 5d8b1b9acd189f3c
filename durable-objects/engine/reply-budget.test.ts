import { afterEach, describe, expect, it, vi } from "vitest";
import { ELEMENT_BYTES, REPLY_ESTIMATES, REPLY_TOO_LARGE, REPLY_WITHIN_KEY, ReplyBudget, WALK_ABOVE_ELEMENTS, jsonTextBytes, replyBytes } from "./reply-budget.js";
import { binaryToText, textToBinary } from "./bytes.js";
import { seededRandom, testEngine } from "./testing.js";
import { RedisList, RedisStream, RedisZSet } from "./types/index.js";

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

/** Commands with estimates (REPLY_ESTIMATES), over counts and options (some out of range or malformed). */
function commands(rnd: () => number): string[][] {
  const n = () => String(Math.floor(rnd() * 80) - 40);
  return [
    ["SRANDMEMBER", "s", n()],
    ["HRANDFIELD", "h", n(), "WITHVALUES"],
    ["HRANDFIELD", "h", n()],
    ["ZRANDMEMBER", "z", n(), "WITHSCORES"],
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
    ["SORT", "l", "ALPHA", "LIMIT", n(), n()],
    ["SORT", "idx", "BY", "nosort", "GET", "v*", "GET", "#"],
    ["SORT_RO", "s", "ALPHA"],
    ["XREAD", "COUNT", n(), "STREAMS", "x", "0"],
    ["XREAD", "STREAMS", "x", "s", "0-0", "0"],
    ["XREAD", "STREAMS", "x", "x", "0", "3-0"],
    ["GETDEL", "v" + Math.floor(rnd() * 6)],
    ["SET", "str", "new", "GET"],
    ["GETSET", "str", "newer"],
    ["GETEX", "str", "PX", "100000"],
    ["SRANDMEMBER", "s", "x"],
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

  it("are exact for pops and strings", () => {
    const { engine } = dataset(7);
    for (const argv of [
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

});

describe("reads past WALK_ABOVE_ELEMENTS", () => {
  afterEach(() => vi.restoreAllMocks());

  /** Collections of WALK_ABOVE_ELEMENTS + 1 members of varied sizes, in a list, set, hash, zset and stream. */
  function big() {
    const t = testEngine();
    const n = WALK_ABOVE_ELEMENTS + 1;
    const members = Array.from({ length: n }, (_, i) => `member-${i}-${"x".repeat(i % 7)}`);
    t.engine.executeBatch([
      ["RPUSH", "big-l", ...members],
      ["SADD", "big-s", ...members],
      ["HSET", "big-h", ...members.flatMap((m) => [m, m + "!"])],
      ["ZADD", "big-z", ...members.flatMap((m, i) => [String(i), m])],
      ...members.map((m, i) => ["XADD", "big-x", `${i + 1}-0`, "f", m, ...(i % 3 === 0 ? ["g", "y".repeat(i % 5)] : [])]),
    ]);
    return { ...t, members };
  }

  it("answer within a budget of exactly their size, and are refused one byte below it", () => {
    const { engine } = big();
    for (const argv of [
      ["LRANGE", "big-l", "0", "-1"],
      ["LRANGE", "big-l", "-1025", "-1"],
      ["SMEMBERS", "big-s"],
      ["HGETALL", "big-h"],
      ["HKEYS", "big-h"],
      ["HVALS", "big-h"],
      ["ZRANGE", "big-z", "0", "-1"],
      ["ZRANGE", "big-z", "0", "1024", "REV"],
      ["ZREVRANGE", "big-z", "-1025", "-1"],
      ["ZRANGEBYSCORE", "big-z", "-inf", "+inf"],
      ["ZRANGE", "big-z", "(1", "+inf", "BYSCORE", "LIMIT", "1", "1025"],
      ["ZRANGE", "big-z", "+", "-", "BYLEX", "REV"],
      ["ZRANGEBYLEX", "big-z", "-", "+", "LIMIT", "0", "1025"],
      // Counted by its handler as it is built.
      ["XRANGE", "big-x", "-", "+"],
      ["XREVRANGE", "big-x", "+", "(5-0", "COUNT", "7"],
      ["XRANGE", "big-x", "1000", "1010"],
    ]) {
      const reply = engine.execute(argv);
      const size = replyBytes(reply);
      expect(engine.executeBatch([argv, ["PING"]], { replyBudget: size + 12 }), argv.join(" ")).toEqual([reply, { status: "PONG" }]);
      expect(engine.executeBatch([argv, ["PING"]], { replyBudget: size - 1 }), argv.join(" ")).toEqual([{ error: REPLY_TOO_LARGE }, { status: "PONG" }]);
    }
  });

  it("are refused before their reply is built", () => {
    const { engine } = big();
    const builders = [vi.spyOn(RedisList.prototype, "slice"), vi.spyOn(RedisZSet.prototype, "range"), vi.spyOn(RedisStream.prototype, "range")];
    const budget = 1000;
    for (const argv of [
      ["LRANGE", "big-l", "0", "-1"],
      ["ZRANGE", "big-z", "0", "-1", "WITHSCORES"],
      ["ZREVRANGEBYSCORE", "big-z", "+inf", "-inf"],
      ["XRANGE", "big-x", "-", "+"],
      ["XREVRANGE", "big-x", "+", "-", "COUNT", "2000"],
    ]) {
      expect(engine.executeBatch([argv], { replyBudget: budget }), argv.join(" ")).toEqual([{ error: REPLY_TOO_LARGE }]);
    }
    for (const builder of builders) expect(builder).not.toHaveBeenCalled();
    // The sizing walk stops once past the budget.
    const walk = vi.spyOn(RedisZSet.prototype, "walk");
    engine.executeBatch([["ZRANGE", "big-z", "0", "-1"]], { replyBudget: budget });
    expect(walk).toHaveBeenCalledTimes(1);
  });
});

describe("replies within their key (REPLY_WITHIN_KEY)", () => {
  /** Collections of every type those commands read, with members of any bytes (control bytes, quotes, high bytes, empty). */
  function collections(seed: number) {
    const t = testEngine();
    const rnd = seededRandom(seed);
    // Some long runs of control bytes, which JSON text takes 6 bytes each for.
    const word = () =>
      rnd() < 0.3 ? "\x01".repeat(Math.floor(rnd() * 300)) + Math.floor(rnd() * 1e6) : Array.from({ length: Math.floor(rnd() * 12) }, () => String.fromCharCode(Math.floor(rnd() * 256))).join("");
    const members = [...new Set(Array.from({ length: 1 + Math.floor(rnd() * 40) }, word))];
    t.engine.executeBatch([
      ["RPUSH", "l", ...members],
      ["SADD", "s", ...members],
      ["HSET", "h", ...members.flatMap((m) => [m, word()])],
      ["ZADD", "z", ...members.flatMap((m) => [String(Math.floor(rnd() * 5)), m])],
    ]);
    return t.engine;
  }

  it("take no more than the bound they are charged, as binary and as JSON text", () => {
    const argvs = [
      ["LRANGE", "l", "0", "-1"],
      ["SMEMBERS", "s"],
      ["HGETALL", "h"],
      ["HKEYS", "h"],
      ["HVALS", "h"],
      ["ZRANGE", "z", "0", "-1"],
      ["ZREVRANGE", "z", "0", "-1"],
      ["ZRANGEBYSCORE", "z", "-inf", "+inf"],
      ["ZREVRANGEBYSCORE", "z", "+inf", "-inf"],
      ["ZRANGEBYLEX", "z", "-", "+"],
      ["ZREVRANGEBYLEX", "z", "+", "-"],
      ["LRANGE", "nope", "0", "-1"],
    ];
    expect(new Set(argvs.map((a) => a[0].toLowerCase()))).toEqual(new Set(REPLY_WITHIN_KEY.keys()));
    for (let seed = 1; seed <= 100; seed++) {
      const engine = collections(seed);
      for (const argv of argvs) {
        const reply = engine.execute(argv);
        const v = engine.db.data.get(argv[1]);
        const usage = v === undefined || typeof v === "string" ? 0 : v.memoryUsage();
        for (const text of [false, true]) {
          const budget = new ReplyBudget();
          budget.reset(1 << 30, text);
          expect(replyBytes(reply, Infinity, text), `${argv.join(" ")} text=${text}`).toBeLessThanOrEqual(budget.withinBound(usage));
        }
      }
    }
  });

  it("are walked only when the budget runs short: a pipeline of them answers exactly what fits", () => {
    const { engine } = testEngine();
    engine.execute(["RPUSH", "l", ...Array.from({ length: 20 }, (_, i) => `element-${i}`)]);
    const one = replyBytes(engine.execute(["LRANGE", "l", "0", "-1"]));
    const v = engine.db.data.get("l") as RedisList;
    // Far less than the 20 replies' bounds, exactly their sizes.
    expect(20 * v.memoryUsage()).toBeGreaterThan(20 * one + 1000);
    const batch = Array.from({ length: 21 }, () => ["LRANGE", "l", "0", "-1"]);
    const replies = engine.executeBatch(batch, { replyBudget: 20 * one });
    expect(replies.slice(0, 20).every((r) => Array.isArray(r) && r.length === 20)).toBe(true);
    expect(replies[20]).toEqual({ error: REPLY_TOO_LARGE });
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

  it("charges a command refused before its handler ran its own error, not the count of the reply before it", () => {
    const { engine } = testEngine();
    for (let i = 1; i <= 50; i++) engine.execute(["XADD", "x", `${i}-0`, "f", "v".repeat(100)]);
    engine.execute(["CONFIG", "SET", "proto-max-bulk-len", "10"]);
    const xrange = engine.execute(["XRANGE", "x", "-", "+"]);
    // Room for the XRANGE and a short error, not for a second XRANGE's size.
    const replies = engine.executeBatch([["XRANGE", "x", "-", "+"], ["SET", "k", "v".repeat(20)]], { replyBudget: replyBytes(xrange) + 100 });
    expect(replies[1]).toEqual({ error: "ERR string exceeds maximum allowed size (proto-max-bulk-len)" });
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
