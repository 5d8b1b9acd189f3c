// Keyspace notifications in the engine: notify-keyspace-events as Redis 7.0 parses and prints it, the
// events representative commands raise (channel and order exact), expiry and eviction, transactions,
// and silence while loading. The full comparison with redis-server is scripts/differential/notify.ts.
import { describe, expect, it } from "vitest";
import { Config } from "./config.js";
import { type TestEngine, testEngine } from "./testing.js";

/** An engine with these flags whose notifications are kept, batch by batch. */
function notifying(flags: string, config: Record<string, string> = {}): TestEngine & { batches: [string, string][][]; events(): [string, string][] } {
  const t = testEngine({ config: { "notify-keyspace-events": flags, ...config } });
  const batches: [string, string][][] = [];
  t.engine.notificationSink = (messages) => batches.push(messages);
  return {
    ...t,
    batches,
    events() {
      const out = batches.flat();
      batches.length = 0;
      return out;
    },
  };
}

/** Keyevent channels only, as (event, key) pairs: shorter to read. */
const keyevents = (messages: [string, string][]) => messages.map(([ch, key]) => [ch.replace("__keyevent@0__:", ""), key]);

describe("notify-keyspace-events", () => {
  it("CONFIG GET prints Redis 7.0's canonical form (A for every class, n not shown beside A)", () => {
    const t = testEngine();
    const cases: [string, string][] = [
      ["KEA", "AKE"], ["AKE", "AKE"], ["K", "K"], ["Ag", "A"], ["Kg$lshzxetdnm", "AKm"], ["KEAmn", "AKEm"],
      ["", ""], ["nK", "nK"], ["KEg$lshzxet", "g$lshzxetKE"], ["Elx", "lxE"],
    ];
    for (const [set, shown] of cases) {
      expect(t.run("CONFIG", "SET", "notify-keyspace-events", set)).toEqual({ status: "OK" });
      expect(t.run("CONFIG", "GET", "notify-keyspace-events")).toEqual(["notify-keyspace-events", shown]);
    }
  });

  it("refuses an unknown class character with Redis's error and keeps the old value", () => {
    const t = testEngine();
    t.run("CONFIG", "SET", "notify-keyspace-events", "KEA");
    expect(t.run("CONFIG", "SET", "notify-keyspace-events", "KEq")).toEqual({
      error: "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'.",
    });
    expect(t.run("CONFIG", "GET", "notify-keyspace-events")).toEqual(["notify-keyspace-events", "AKE"]);
  });

  it("keeps n beside A when stored and restored, though CONFIG GET does not show it", () => {
    const config = new Config();
    config.set([["notify-keyspace-events", "KEAn"]]);
    const restored = new Config();
    restored.restore(config.all());
    const t = notifying(restored.get("notify-keyspace-events"));
    t.run("SET", "k", "v");
    expect(t.events()).toEqual([
      ["__keyspace@0__:k", "new"], ["__keyevent@0__:new", "k"], ["__keyspace@0__:k", "set"], ["__keyevent@0__:set", "k"],
    ]);
  });

  it("raises nothing, and never calls the sink, while the flags are empty (the default)", () => {
    const t = testEngine();
    let calls = 0;
    t.engine.notificationSink = () => calls++;
    t.run("SET", "k", "v", "PX", "10");
    t.run("LPUSH", "l", "a");
    t.clock.advance(20);
    t.run("GET", "k");
    expect(calls).toBe(0);
  });

  it("K alone publishes on __keyspace@0__:<key>, E alone on __keyevent@0__:<event>, both in Redis's order", () => {
    expect((() => {
      const t = notifying("K$");
      t.run("SET", "k", "v");
      return t.events();
    })()).toEqual([["__keyspace@0__:k", "set"]]);
    expect((() => {
      const t = notifying("E$");
      t.run("SET", "k", "v");
      return t.events();
    })()).toEqual([["__keyevent@0__:set", "k"]]);
    const t = notifying("KEA");
    t.run("SET", "k\xff", "v", "EX", "10");
    expect(t.events()).toEqual([
      ["__keyspace@0__:k\xff", "set"], ["__keyevent@0__:set", "k\xff"],
      ["__keyspace@0__:k\xff", "expire"], ["__keyevent@0__:expire", "k\xff"],
    ]);
  });

  it("only the classes enabled are raised (l: list events, not the generic del)", () => {
    const t = notifying("El");
    t.run("RPUSH", "l", "a");
    t.run("LPOP", "l");
    t.run("SET", "s", "v");
    expect(keyevents(t.events())).toEqual([["rpush", "l"], ["lpop", "l"]]);
  });
});

describe("events commands raise", () => {
  it("a write that empties a collection raises its own event, then del", () => {
    const t = notifying("EA");
    t.run("RPUSH", "l", "a", "b");
    t.run("LPOP", "l", "5");
    t.run("SADD", "s", "x");
    t.run("SREM", "s", "x", "y");
    t.run("HSET", "h", "f", "v");
    t.run("HDEL", "h", "f");
    t.run("ZADD", "z", "1", "m");
    t.run("ZREMRANGEBYSCORE", "z", "-inf", "+inf");
    expect(keyevents(t.events())).toEqual([
      ["rpush", "l"], ["lpop", "l"], ["del", "l"],
      ["sadd", "s"], ["srem", "s"], ["del", "s"],
      ["hset", "h"], ["hdel", "h"], ["del", "h"],
      ["zadd", "z"], ["zremrangebyscore", "z"], ["del", "z"],
    ]);
  });

  it("n raises new when a key is added, before the command's event; RENAME adds its destination anew", () => {
    const t = notifying("EAn");
    t.run("SET", "a", "1");
    t.run("SET", "a", "2");
    t.run("SET", "b", "3");
    t.run("RENAME", "a", "b");
    expect(keyevents(t.events())).toEqual([
      ["new", "a"], ["set", "a"], ["set", "a"], ["new", "b"], ["set", "b"],
      ["new", "b"], ["rename_from", "a"], ["rename_to", "b"],
    ]);
  });

  it("LMOVE, SMOVE, INCRBYFLOAT, stores and stream groups raise Redis's names in Redis's order", () => {
    const t = notifying("EA");
    t.run("RPUSH", "src", "x");
    t.run("LMOVE", "src", "dst", "LEFT", "RIGHT");
    t.run("SADD", "s1", "m");
    t.run("SMOVE", "s1", "s2", "m");
    t.run("INCRBYFLOAT", "f", "1.5");
    t.run("SUNIONSTORE", "u", "s2");
    t.run("ZUNIONSTORE", "zu", "1", "nothing");
    t.run("XADD", "st", "1-1", "f", "v");
    t.run("XGROUP", "CREATE", "st", "g", "0");
    t.run("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "st", ">");
    t.run("XADD", "st", "MAXLEN", "0", "2-1", "f", "v");
    expect(keyevents(t.events())).toEqual([
      ["rpush", "src"], ["rpush", "dst"], ["lpop", "src"], ["del", "src"],
      ["sadd", "s1"], ["srem", "s1"], ["del", "s1"], ["sadd", "s2"],
      ["incrbyfloat", "f"],
      ["sunionstore", "u"],
      ["xadd", "st"], ["xgroup-create", "st"], ["xgroup-createconsumer", "st"], ["xadd", "st"], ["xtrim", "st"],
    ]);
  });

  it("a command that changes nothing raises nothing (SADD of a member already there, LPOP of a missing key)", () => {
    const t = notifying("EA");
    t.run("SADD", "s", "x");
    t.events();
    t.run("SADD", "s", "x");
    t.run("LPOP", "missing");
    t.run("ZADD", "s2", "XX", "1", "a");
    t.run("EXPIRE", "missing", "10");
    expect(t.events()).toEqual([]);
  });
});

describe("expiry and eviction", () => {
  it("a key found expired on access raises expired before the command's own events; reads too", () => {
    const t = notifying("EA");
    t.run("SET", "k", "v", "PX", "100");
    t.run("RPUSH", "l", "a");
    t.run("PEXPIRE", "l", "100");
    t.events();
    t.clock.advance(200);
    expect(t.run("GET", "k")).toBe(null);
    t.run("RPUSH", "l", "b");
    expect(keyevents(t.events())).toEqual([["expired", "k"], ["expired", "l"], ["rpush", "l"]]);
  });

  it("an expiry in the past deletes at once (del, not expired)", () => {
    const t = notifying("EA");
    t.run("SET", "k", "v");
    t.run("PEXPIREAT", "k", "1");
    expect(keyevents(t.events())).toEqual([["set", "k"], ["del", "k"]]);
  });

  it("active expiry raises expired for every key it reclaims, handed over once per cycle", () => {
    const t = notifying("Ex");
    for (const k of ["a", "b", "c"]) t.run("SET", k, "v", "PX", "10");
    t.run("SET", "keep", "v");
    t.clock.advance(20);
    t.batches.length = 0;
    expect(t.engine.activeExpireCycle(25)).toBe(3);
    expect(t.batches).toHaveLength(1);
    expect(keyevents(t.batches[0]).sort()).toEqual([["expired", "a"], ["expired", "b"], ["expired", "c"]]);
  });

  it("eviction raises evicted for each key it removes, before the command that needed the room", () => {
    const t = notifying("EA", { "maxmemory-policy": "allkeys-lru", "maxmemory-samples": "10", maxmemory: "0" });
    for (let i = 1; i <= 3; i++) {
      t.run("SET", `k${i}`, "v".repeat(10));
      t.clock.advance(1000);
    }
    t.events();
    t.run("CONFIG", "SET", "maxmemory", String(t.engine.db.usedMemory - 1));
    t.run("SET", "new", "x");
    expect(keyevents(t.events())).toEqual([["evicted", "k1"], ["set", "new"]]);
  });
});

describe("batches, transactions and loading", () => {
  it("a pipeline hands its notifications over once, at its end, in order", () => {
    const t = notifying("EA");
    t.engine.executeBatch([["SET", "a", "1"], ["INCR", "a"], ["DEL", "a", "b"]]);
    expect(t.batches).toHaveLength(1);
    expect(keyevents(t.batches[0])).toEqual([["set", "a"], ["incrby", "a"], ["del", "a"]]);
  });

  it("a transaction hands its notifications over once; an aborted one raises none", () => {
    const t = notifying("EA");
    t.engine.executeTransaction([["SET", "a", "1"], ["APPEND", "a", "2"]]);
    expect(t.batches).toHaveLength(1);
    expect(keyevents(t.batches[0])).toEqual([["set", "a"], ["append", "a"]]);
    t.engine.executeTransaction([["SET", "a", "1"], ["NOSUCH"]]);
    expect(t.batches).toHaveLength(1);
  });

  it("replaying the log raises nothing (Redis loads with notifications off)", () => {
    const t = notifying("EAn");
    t.engine.db.loading = true;
    for (const argv of [["SET", "a", "1"], ["RPUSH", "l", "x"], ["DEL", "a"]]) t.engine.replay(argv);
    t.engine.db.loading = false;
    expect(t.batches).toEqual([]);
    t.run("GET", "a");
    expect(t.batches).toEqual([]);
  });

  it("turning notifications on with CONFIG SET takes effect from the next command", () => {
    const t = notifying("");
    t.run("SET", "a", "1");
    t.run("CONFIG", "SET", "notify-keyspace-events", "E$");
    t.run("SET", "a", "2");
    expect(t.events()).toEqual([["__keyevent@0__:set", "a"]]);
  });
});
