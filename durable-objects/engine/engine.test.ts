import { describe, expect, it } from "vitest";
import { testEngine } from "./testing.js";

describe("dispatcher", () => {
  it("answers an unknown command with Redis's text", () => {
    const { run } = testEngine();
    expect(run("NOPE", "a", "b")).toEqual({
      error: "ERR unknown command 'NOPE', with args beginning with: 'a' 'b' ",
    });
  });

  it("checks arity with Redis's sign convention", () => {
    const { run } = testEngine();
    expect(run("GET")).toEqual({ error: "ERR wrong number of arguments for 'get' command" });
    expect(run("GET", "a", "b")).toEqual({ error: "ERR wrong number of arguments for 'get' command" });
    expect(run("DEL")).toEqual({ error: "ERR wrong number of arguments for 'del' command" });
  });

  it("refuses writes for a read-only caller", () => {
    const { engine } = testEngine();
    expect(engine.execute(["SET", "a", "1"], { access: "readonly" })).toEqual({
      error: "NOPERM this user has no permissions to run the 'set' command",
    });
    expect(engine.execute(["GET", "a"], { access: "readonly" })).toBe(null);
  });

  it("while the dataset loads, answers only what Redis 7 answers then (its `loading` commands), after the usual checks", () => {
    const { engine } = testEngine();
    const LOADING = { error: "LOADING Redis is loading the dataset in memory" };
    const replies = engine.executeBatch(
      [["SET", "a", "1"], ["GET", "a"], ["PING"], ["DBSIZE"], ["ECHO", "x"], ["SELECT", "0"], ["CONFIG", "GET", "appendonly"], ["CONFIG", "SET", "appendonly", "no"], ["NOPE"], ["GET"]],
      { datasetLoading: true },
    );
    expect(replies).toEqual([
      LOADING,
      LOADING,
      LOADING, // PING is not among them in Redis 7.0
      LOADING,
      "x",
      { status: "OK" },
      ["appendonly", "yes"],
      LOADING, // Redis runs it; switching the AOF mid-load would cut a base from a partial dataset
      { error: "ERR unknown command 'NOPE', with args beginning with: " },
      { error: "ERR wrong number of arguments for 'get' command" },
    ]);
    expect(engine.execute(["INFO", "server"], { datasetLoading: true })).toMatch(/^# Server\r\n/);
    expect(engine.execute(["TIME"], { datasetLoading: true })).toHaveLength(2);
    expect(engine.execute(["GET", "a"])).toBe(null);
  });

  it("propagates SET EX as SET PXAT with an absolute time", () => {
    const { run, log, clock } = testEngine();
    expect(run("SET", "k", "v", "EX", 10)).toEqual({ status: "OK" });
    expect(log).toEqual([["SET", "k", "v", "PXAT", String(clock.ms + 10_000)]]);
  });

  it("propagates EXPIRE as PEXPIREAT with an absolute time, keeping its NX/XX/GT/LT word as Redis does", () => {
    const t = testEngine();
    t.run("SET", "k", "v");
    expect(t.run("EXPIRE", "k", "100", "NX")).toBe(1);
    expect(t.run("PEXPIRE", "k", "200000", "gt")).toBe(1);
    expect(t.log.slice(1)).toEqual([
      ["PEXPIREAT", "k", String(t.clock.ms + 100_000), "NX"],
      ["PEXPIREAT", "k", String(t.clock.ms + 200_000), "gt"],
    ]);
  });

  it("propagates nothing for a command that changed nothing", () => {
    const { run, log } = testEngine();
    run("GET", "k");
    run("DEL", "k");
    run("SET", "k", "v", "XX");
    expect(log).toEqual([]);
  });

  it("propagates a DEL for a lazily expired key before the command's own effect", () => {
    const { run, log, clock } = testEngine();
    run("SET", "k", "v", "PX", 100);
    clock.advance(100);
    log.length = 0;
    expect(run("GET", "k")).toBe(null);
    expect(log).toEqual([["DEL", "k"]]);
  });

  it("wraps a transaction's effects in MULTI … EXEC", () => {
    const { engine, log } = testEngine();
    expect(engine.executeTransaction([["SET", "a", "1"], ["GET", "a"], ["INCR", "a"]])).toEqual([
      { status: "OK" },
      "1",
      2,
    ]);
    expect(log).toEqual([["MULTI"], ["SET", "a", "1"], ["INCR", "a"], ["EXEC"]]);
  });

  it("discards a whole transaction when a command is refused while queueing", () => {
    const { engine, log } = testEngine();
    expect(engine.executeTransaction([["SET", "a", "1"], ["GET"]])).toEqual({
      error: "EXECABORT Transaction discarded because of previous errors. ERR wrong number of arguments for 'get' command",
    });
    expect(log).toEqual([]);
    expect(engine.execute(["GET", "a"])).toBe(null);
  });

  it("refuses denyoom commands over maxmemory under noeviction", () => {
    const { run } = testEngine({ config: { maxmemory: "1000" } });
    run("SET", "big", "x".repeat(2000));
    expect(run("SET", "more", "1")).toEqual({ error: "OOM command not allowed when used memory > 'maxmemory'." });
    expect(run("GET", "big")).toBe("x".repeat(2000));
    expect(run("DEL", "big")).toBe(1);
  });

  it("tracks used memory through in-place changes and deletion", () => {
    const { engine, run } = testEngine();
    const base = engine.db.usedMemory;
    run("SET", "a", "hello");
    expect(engine.db.usedMemory).toBeGreaterThan(base);
    run("DEL", "a");
    expect(engine.db.usedMemory).toBe(base);
  });

  it("turns an internal bug into ERR internal error", () => {
    const { engine } = testEngine();
    const spec = engine.lookup("echo")!;
    const saved = spec.handler;
    spec.handler = () => {
      throw new TypeError("boom");
    };
    try {
      expect(engine.execute(["ECHO", "x"])).toEqual({ error: "ERR internal error" });
    } finally {
      spec.handler = saved;
    }
  });
});

describe("transactions over REST", () => {
  it("refuses MULTI, EXEC, DISCARD, WATCH and UNWATCH as single commands, as Upstash does", () => {
    const { run } = testEngine();
    for (const argv of [["MULTI"], ["EXEC"], ["DISCARD"], ["WATCH", "k"], ["UNWATCH"]]) {
      expect(run(...argv)).toEqual({
        error: `ERR Command is not available: '${argv[0]}'. Over REST a transaction is one /multi-exec request`,
      });
    }
  });

  it("refuses them inside a transaction too", () => {
    const { engine } = testEngine();
    expect(engine.executeTransaction([["SET", "a", "1"], ["WATCH", "a"]])).toEqual({
      error: "EXECABORT Transaction discarded because of previous errors. ERR Command not allowed inside a transaction",
    });
  });
});
