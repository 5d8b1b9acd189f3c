// Issue 14, requests: what one request may ask of the worker and its shards (commands per request,
// JSON numbers the parser cannot keep, HEAD), with exact replies.
import { SELF, env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_COMMANDS_PER_REQUEST } from "../worker/protocol.js";
import { MAX_REPLY_BYTES } from "../durable-objects/engine/reply-budget.js";
import type { Shard } from "../durable-objects/shard.js";
import { TOKEN, cmd, post, uniq } from "./helpers.js";

const INEXACT = "ERR failed to parse command: a number is not finite or is an integer beyond 2^53 - 1; send it as a string";

/** A pipeline body of n unknown one-letter commands: small enough for the tests' 64 KiB request limit. */
const manyCommands = (n: number) => "[" + Array.from({ length: n }, () => '["x"]').join(",") + "]";

describe("commands per request", () => {
  it("runs a /pipeline of MAX_COMMANDS_PER_REQUEST commands", async () => {
    expect(MAX_COMMANDS_PER_REQUEST).toBe(10_000);
    const r = await post("/pipeline", manyCommands(MAX_COMMANDS_PER_REQUEST));
    expect(r.status).toBe(200);
    expect(r.body).toHaveLength(MAX_COMMANDS_PER_REQUEST);
    expect(r.body[9999]).toEqual({ error: "ERR unknown command 'x', with args beginning with: " });
  });

  it("refuses a /pipeline or /multi-exec of one more, running none of it", async () => {
    const k = uniq("cap");
    const body = manyCommands(MAX_COMMANDS_PER_REQUEST).replace('["x"]', JSON.stringify(["SET", k, "1"]));
    const over = body.slice(0, -1) + ',["x"]]';
    for (const path of ["/pipeline", "/multi-exec"]) {
      expect(await post(path, over)).toMatchObject({ status: 400, body: { error: "ERR max commands per request exceeded (10000)" } });
    }
    expect((await cmd("GET", k)).body).toEqual({ result: null });
  });
});

describe("JSON numbers", () => {
  it("refuses numbers past the double range and integers beyond 2^53 - 1, writing nothing", async () => {
    const k = uniq("num");
    for (const n of ["1e400", "-1e400", "9007199254740993", "9007199254740992", "-9007199254740993", "1e20"]) {
      expect(await post("/", `["SET","${k}",${n}]`)).toMatchObject({ status: 400, body: { error: INEXACT } });
      expect(await post("/pipeline", `[["SET","${k}",1],["SET","${k}",${n}]]`)).toMatchObject({ status: 400, body: { error: INEXACT } });
      expect(await post("/multi-exec", `[["SET","${k}",1],["INCRBY","${k}",${n}]]`)).toMatchObject({ status: 400, body: { error: INEXACT } });
    }
    expect((await cmd("GET", k)).body).toEqual({ result: null });
  });

  it("keeps exact numbers as JavaScript prints them", async () => {
    const k = uniq("num");
    const r = await post("/pipeline", `[["SET","${k}",9007199254740991],["GET","${k}"],["SET","${k}",-9007199254740991],["GET","${k}"],["SET","${k}",1.50],["GET","${k}"],["SET","${k}",2e3],["GET","${k}"]]`);
    expect(r.body).toEqual([
      { result: "OK" },
      { result: "9007199254740991" },
      { result: "OK" },
      { result: "-9007199254740991" },
      { result: "OK" },
      { result: "1.5" },
      { result: "OK" },
      { result: "2000" },
    ]);
  });
});

describe("HEAD", () => {
  const head = (path: string) => SELF.fetch(`http://localhost${path}`, { method: "HEAD", headers: { authorization: `Bearer ${TOKEN}` } });

  it("runs no write: a write in the path is refused as for the read-only token", async () => {
    const k = uniq("head");
    for (const path of [`/set/${k}/v`, `/incr/${k}`, `/lpush/${k}/a`, `/flushall`, `/publish/${k}/m`]) {
      const r = await head(path);
      expect(r.status).toBe(400);
      expect(await r.text()).toBe("");
    }
    expect((await cmd("EXISTS", k)).body).toEqual({ result: 0 });
  });

  it("answers a read with its status and no body", async () => {
    const k = uniq("head");
    await cmd("SET", k, "v");
    const r = await head(`/get/${k}`);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe("");
    expect((await head("/")).status).toBe(200);
  });
});

const MB = 1 << 20;
const TOO_LARGE = { error: "ERR max reply size exceeded" };

/**
 * Runs commands straight in the (only) shard's engine: values past the HTTP request limits, and past
 * the tests' small proto-max-bulk-len (it defaults to MAX_RECORD_BYTES), which the load raises first.
 */
async function load(...batch: string[][]): Promise<unknown[]> {
  const stub = env.SHARD.get(env.SHARD.idFromName("shard-0"));
  return runInDurableObject(stub, (i: Shard) => i.engine.executeBatch([["CONFIG", "SET", "proto-max-bulk-len", "4mb"], ...batch]));
}

describe("the reply budget (MAX_REPLY_BYTES)", () => {
  it("is 16 MiB", () => {
    expect(MAX_REPLY_BYTES).toBe(16 * MB);
  });

  it("refuses random counts that would repeat members past it, and the rest of the pipeline answers", async () => {
    const tag = uniq("rand");
    const [s, h, z] = [`{${tag}}s`, `{${tag}}h`, `{${tag}}z`];
    const r = await post("/pipeline", [
      ["SADD", s, "a", "b", "c"],
      ["HSET", h, "a", "1", "b", "2"],
      ["ZADD", z, "1", "a", "2", "b"],
      ["SRANDMEMBER", s, "-50000000"],
      ["HRANDFIELD", h, "-50000000", "WITHVALUES"],
      ["ZRANDMEMBER", z, "-50000000", "WITHSCORES"],
      ["SRANDMEMBER", s, "-4"],
      ["SRANDMEMBER", s, "50000000"],
      ["SCARD", s],
    ]);
    expect(r.status).toBe(200);
    expect(r.body.slice(0, 6)).toEqual([{ result: 3 }, { result: 2 }, { result: 2 }, TOO_LARGE, TOO_LARGE, TOO_LARGE]);
    expect(r.body[6].result).toHaveLength(4);
    expect([...r.body[7].result].sort()).toEqual(["a", "b", "c"]);
    expect(r.body[8]).toEqual({ result: 3 });
    expect(await cmd("SRANDMEMBER", s, "-50000000")).toMatchObject({ status: 400, body: TOO_LARGE });
  });

  it("answers the GETs of a pipeline while they fit, then the error; small replies after them still answer", async () => {
    const k = uniq("big");
    const c = uniq("counter");
    await load(["FLUSHALL"], ["SET", k, "x".repeat(MB)]);
    const r = await post("/pipeline", [...Array.from({ length: 40 }, () => ["GET", k]), ["INCR", c], ["STRLEN", k]]);
    expect(r.status).toBe(200);
    // Each GET takes 1 MiB + 8 bytes of the budget: 15 fit in 16 MiB.
    const fit = Math.floor(MAX_REPLY_BYTES / (MB + 8));
    expect(fit).toBe(15);
    expect(r.body).toHaveLength(42);
    for (let i = 0; i < 40; i++) {
      if (i < fit) expect(r.body[i].result.length).toBe(MB);
      else expect(r.body[i]).toEqual(TOO_LARGE);
    }
    expect(r.body.slice(40)).toEqual([{ result: 1 }, { result: MB }]);
  });

  // One collection at a time (and FLUSHALL first): 17 MiB each, under the shard's maxmemory.
  const items = Array.from({ length: 17 }, (_, i) => String.fromCharCode(97 + i) + "x".repeat(MB - 1));
  const firstLetters = (r: { result: string[] }) => r.result.map((v) => v[0]).join("");
  const collections: [string, (k: string) => string[][], (k: string) => string[][], (k: string) => string[][]][] = [
    ["list", (k) => [["RPUSH", k, ...items]], (k) => [["LRANGE", k, "0", "-1"], ["LPOP", k, "17"], ["SORT", k, "ALPHA"]], (k) => [["LRANGE", k, "0", "14"], ["LRANGE", k, "-15", "-1"]]],
    ["set", (k) => [["SADD", k, ...items]], (k) => [["SMEMBERS", k], ["SPOP", k, "17"], ["SORT", k, "ALPHA"]], (k) => [["SORT", k, "ALPHA", "LIMIT", "0", "15"]]],
    ["hash", (k) => [["HSET", k, ...items.flatMap((v, i) => [`f${i}`, v])]], (k) => [["HGETALL", k], ["HVALS", k]], () => []],
    [
      "sorted set",
      (k) => [["ZADD", k, ...items.flatMap((v, i) => [String(i), v])]],
      (k) => [
        ["ZRANGE", k, "0", "-1"],
        ["ZREVRANGE", k, "0", "-1"],
        ["ZRANGE", k, "0", "-1", "REV", "WITHSCORES"],
        ["ZRANGEBYSCORE", k, "-inf", "+inf"],
        ["ZRANGE", k, "+inf", "(-1", "BYSCORE", "REV", "LIMIT", "0", "16"],
      ],
      (k) => [["ZRANGE", k, "0", "14"], ["ZRANGE", k, "0", "14", "REV"]],
    ],
    ["stream", (k) => items.map((v, i) => ["XADD", k, `${i + 1}-1`, "f", v]), (k) => [["XRANGE", k, "-", "+"], ["XREVRANGE", k, "+", "-"], ["XREAD", "STREAMS", k, "0"]], (k) => [["XRANGE", k, "-", "+", "COUNT", "15"]]],
  ];
  for (const [type, fill, tooBig, fitting] of collections) {
    it(`refuses whole-${type} reads past it before building them; ranges that fit answer`, async () => {
      const k = uniq(type.replace(" ", ""));
      await load(["FLUSHALL"], ...fill(k));
      const r = await post("/pipeline", [...tooBig(k), ["TYPE", k]]);
      expect(r.status).toBe(200);
      expect(r.body).toEqual([...tooBig(k).map(() => TOO_LARGE), { result: type === "sorted set" ? "zset" : type }]);
      // 15 of the 1 MiB elements fit in a request of their own.
      const fits = [];
      for (const argv of fitting(k)) fits.push((await post("/", argv)).body);
      for (const f of fits) expect(f.result).toHaveLength(15);
      if (type === "list") expect(fits.map(firstLetters)).toEqual(["abcdefghijklmno", "cdefghijklmnopq"]);
      if (type === "sorted set") expect(fits.map(firstLetters)).toEqual(["abcdefghijklmno", "qponmlkjihgfedc"]);
    });
  }

  it("refuses MGET, SORT … GET and KEYS whose replies would pass it", async () => {
    const tag = uniq("keys");
    const idx = `{${tag}}idx`;
    await load(["FLUSHALL"], ["RPUSH", idx, ...items.map((_, i) => String(i))], ...items.map((v, i) => ["SET", `{${tag}}v${i}`, v]));
    const r = await post("/pipeline", [
      ["MGET", ...items.map((_, i) => `{${tag}}v${i}`)],
      ["SORT", idx, "BY", "nosort", "GET", `{${tag}}v*`],
      ["SORT", idx, "BY", "nosort", "LIMIT", "0", "8", "GET", `{${tag}}v*`],
      ["KEYS", `{${tag}}v*`],
    ]);
    expect(r.body.slice(0, 2)).toEqual([TOO_LARGE, TOO_LARGE]);
    expect(firstLetters(r.body[2])).toBe("abcdefgh");
    expect(r.body[3].result).toHaveLength(17);
  });

  it("refuses a write whose reply would pass it before the write runs", async () => {
    const tag = uniq("pop");
    const [l, k] = [`{${tag}}l`, `{${tag}}k`];
    await load(["FLUSHALL"], ["RPUSH", l, ...Array.from({ length: 17 }, () => "y".repeat(MB))], ["SET", k, "z".repeat(MB)]);
    const r = await post("/pipeline", [["LRANGE", l, "0", "14"], ["RPOP", l, "2"], ["GETDEL", k], ["LLEN", l], ["EXISTS", k]]);
    expect(r.body.slice(1)).toEqual([TOO_LARGE, TOO_LARGE, { result: 17 }, { result: 1 }]);
  });

  it("counts strings as their JSON text when replies go out as JSON, as their bytes in base64 or RESP", async () => {
    const k = uniq("ctl");
    await load(["FLUSHALL"], ["SET", k, "\x01".repeat(MB)]);
    const gets = Array.from({ length: 16 }, () => ["GET", k]);
    // As JSON text each byte is \u0001: 6 MiB a GET, so 2 fit.
    const text = await post("/pipeline", gets);
    expect(text.body.map((b: { result?: string }) => b.result?.length ?? b)).toEqual([MB, MB, ...Array(14).fill(TOO_LARGE)]);
    expect(text.body[0].result).toBe("\x01".repeat(MB));
    // As base64, the bytes are counted: 15 fit.
    const b64 = await post("/pipeline", gets, { "upstash-encoding": "base64" });
    expect(b64.body.map((b: { result?: string }) => (b.result !== undefined ? atob(b.result).length : b))).toEqual([...Array(15).fill(MB), TOO_LARGE]);
  });

  it("refuses a script's command whose reply would pass it, before building it", async () => {
    const s = uniq("script");
    await cmd("SADD", s, "a", "b", "c");
    expect(await cmd("EVAL", "return redis.pcall('SRANDMEMBER', KEYS[1], '-50000000')", "1", s)).toMatchObject({ status: 400, body: TOO_LARGE });
    expect(await cmd("EVAL", "return #redis.call('SRANDMEMBER', KEYS[1], '-5')", "1", s)).toMatchObject({ status: 200, body: { result: 5 } });
  });

  it("bounds a transaction's replies the same way", async () => {
    const tag = uniq("tx");
    const [k, c] = [`{${tag}}k`, `{${tag}}c`];
    await load(["FLUSHALL"], ["SET", k, "x".repeat(MB)]);
    const r = await post("/multi-exec", [...Array.from({ length: 16 }, () => ["GET", k]), ["INCR", c]]);
    expect(r.status).toBe(200);
    expect(r.body.slice(15)).toEqual([TOO_LARGE, { result: 1 }]);
  });
});
