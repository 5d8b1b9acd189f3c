// CONFIG as a table: every parameter of engine/config.ts has a row here (a parameter without one fails
// the first test, so a new parameter comes with its row): a valid value set and read back as Redis
// shows it, an invalid one refused with Redis 7's text, and the effect where it has one cheap to see.
// Then aliases, CONFIG GET globs, all-or-nothing CONFIG SET, what a restart keeps, and the deployment's vars.
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Config } from "../durable-objects/engine/config.js";
import type { Shard } from "../durable-objects/shard.js";
import { type ShardStub, exec, infoField, logBytes, one, shardNamed, uniq } from "./helpers.js";

const OK = { status: "OK" };
const refused = (name: string, why: string) => ({ error: `ERR CONFIG SET failed (possibly related to argument '${name}') - ${why}` });
const BOOL = "argument must be 'yes' or 'no'";
const INT = "argument couldn't be parsed into an integer";
const MEMORY = "argument must be a memory value";
const between = (min: number, max: number) => `argument must be between ${min} and ${max} inclusive`;

interface Row {
  /** A valid value to set, and what CONFIG GET then answers. */
  set: string;
  get: string;
  /** Values refused, each with the reason Redis gives. */
  invalid: [string, string][];
  /** The setting at work, on a shard where it was just set. */
  effect?: (s: ShardStub) => Promise<void>;
}

const TABLE: Record<string, Row> = {
  appendonly: {
    set: "no",
    get: "no",
    invalid: [["maybe", BOOL]],
    effect: async (s) => {
      await one(s, "SET", "k", "v");
      expect(await infoField(s, "aof_enabled")).toBe("0");
      expect(await logBytes(s)).toBe("");
    },
  },
  appendfsync: {
    set: "ALWAYS",
    get: "always",
    invalid: [["sometimes", "argument(s) must be one of the following: always, everysec, no"]],
    effect: async (s) => {
      await one(s, "SET", "k", "v");
      expect((await logBytes(s)).endsWith("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n")).toBe(true);
    },
  },
  appendfilename: { set: "other.aof", get: "other.aof", invalid: [] },
  "aof-use-rdb-preamble": {
    set: "no",
    get: "no",
    invalid: [["1", BOOL]],
    effect: async (s) => {
      await exec(s, ["SET", "k", "v"], ["BGREWRITEAOF"]);
      await runInDurableObject(s, async (i: Shard) => {
        while (i.aof.rewriteInProgress) await new Promise((r) => setTimeout(r, 0));
        expect(i.aof.manifest.base.kind).toBe("aof");
      });
    },
  },
  "aof-load-truncated": { set: "no", get: "no", invalid: [["true", BOOL]] },
  "aof-timestamp-enabled": { set: "yes", get: "yes", invalid: [["on", BOOL]] },
  "aof-retain-bases": { set: "3", get: "3", invalid: [["101", between(0, 100)], ["x", INT]] },
  "auto-aof-rewrite-percentage": { set: "50", get: "50", invalid: [["-1", between(0, 2147483647)], ["1.5", INT]] },
  "auto-aof-rewrite-min-size": { set: "1mb", get: "1048576", invalid: [["1xb", MEMORY], ["-1", MEMORY]] },
  save: {
    set: " 900 1   300 10 ",
    get: "900 1 300 10",
    invalid: [["900", "Invalid save parameters"], ["900 x", "Invalid save parameters"]],
    // Seen without a write: a change would arm the cron, and alarms firing while the plugin tears a
    // file's storage down stall the next file (vitest.config.ts).
    effect: async (s) => {
      expect(await runInDurableObject(s, (i: Shard) => i.snapshots.rules)).toEqual([
        { seconds: 900, changes: 1 },
        { seconds: 300, changes: 10 },
      ]);
    },
  },
  rdbcompression: { set: "no", get: "no", invalid: [["off", BOOL]] },
  rdbchecksum: { set: "no", get: "no", invalid: [["off", BOOL]] },
  "rdb-retain-snapshots": { set: "5", get: "5", invalid: [["0", between(1, 1000)]] },
  "rdb-load-fallback": { set: "yes", get: "yes", invalid: [["y", BOOL]] },
  dbfilename: { set: "other.rdb", get: "other.rdb", invalid: [] },
  dir: { set: "elsewhere", get: "elsewhere", invalid: [["/", "No such file or directory"], ["", "No such file or directory"]] },
  // Accepted as Redis's persistence guide writes them, with no effect here (see engine/config.ts).
  appenddirname: { set: "aofdir", get: "aofdir", invalid: [["/", "No such file or directory"]] },
  "no-appendfsync-on-rewrite": { set: "yes", get: "yes", invalid: [["x", BOOL]] },
  "aof-rewrite-incremental-fsync": { set: "no", get: "no", invalid: [["x", BOOL]] },
  "rdb-save-incremental-fsync": { set: "no", get: "no", invalid: [["x", BOOL]] },
  // Its effect (writes refused after a failed snapshot, and accepted once it is no): test/misconf.test.ts.
  "stop-writes-on-bgsave-error": { set: "no", get: "no", invalid: [["x", BOOL]] },
  "replica-read-only": { set: "no", get: "no", invalid: [["x", BOOL]] },
  maxmemory: {
    set: "1kb",
    get: "1024",
    invalid: [["100 mb", MEMORY], ["1tb", MEMORY], ["-5", MEMORY]],
    effect: async (s) => {
      // As Redis: a write is refused once used memory is over the limit, not when it would go over.
      expect(await exec(s, ["SET", "k", "x".repeat(2000)], ["SET", "k2", "x"], ["GET", "k2"])).toEqual([OK, { error: "OOM command not allowed when used memory > 'maxmemory'." }, null]);
    },
  },
  "maxmemory-policy": {
    set: "Volatile-TTL",
    get: "volatile-ttl",
    invalid: [["lru", "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"]],
  },
  "client-output-buffer-limit": {
    set: "PUBSUB 1kb 0 0 replica 1 2 3",
    get: "normal 0 0 0 slave 1 2 3 pubsub 1024 0 0",
    invalid: [
      ["pubsub 1 2", "Wrong number of arguments in buffer limit configuration."],
      ["foo 1 2 3", "Invalid client class specified in buffer limit configuration."],
      ["pubsub x 2 3", "Error in hard, soft or soft_seconds setting in buffer limit configuration."],
      ["pubsub 1k 2 -3", "Error in hard, soft or soft_seconds setting in buffer limit configuration."],
    ],
  },
  "lfu-log-factor": { set: "5", get: "5", invalid: [["-1", between(0, 2147483647)]] },
  "lfu-decay-time": { set: "2", get: "2", invalid: [["x", INT]] },
  // Capped under the platform's 30 s of CPU per request; a script past it is stopped (scripting.test, in the engine).
  "busy-reply-threshold": { set: "100", get: "100", invalid: [["25001", between(0, 25000)], ["x", INT]] },
  "maxmemory-samples": { set: "10", get: "10", invalid: [["0", between(1, 64)], ["65", between(1, 64)]] },
  "hash-max-listpack-entries": {
    set: "2",
    get: "2",
    invalid: [["-1", between(0, 2147483647)]],
    effect: async (s) => {
      expect(await exec(s, ["HSET", "h", "a", "1", "b", "2"], ["OBJECT", "ENCODING", "h"], ["HSET", "h", "c", "3"], ["OBJECT", "ENCODING", "h"])).toEqual([2, "listpack", 1, "hashtable"]);
    },
  },
  "hash-max-listpack-value": {
    set: "4",
    get: "4",
    invalid: [["x", INT]],
    effect: async (s) => {
      expect(await exec(s, ["HSET", "h", "a", "1234"], ["OBJECT", "ENCODING", "h"], ["HSET", "h", "b", "12345"], ["OBJECT", "ENCODING", "h"])).toEqual([1, "listpack", 1, "hashtable"]);
    },
  },
  "list-max-listpack-size": { set: "-3", get: "-3", invalid: [["-6", between(-5, 2147483647)]] },
  "list-compress-depth": { set: "1", get: "1", invalid: [["-1", between(0, 2147483647)]] },
  "set-max-intset-entries": {
    set: "2",
    get: "2",
    invalid: [["x", INT]],
    effect: async (s) => {
      expect(await exec(s, ["SADD", "s", "1", "2"], ["OBJECT", "ENCODING", "s"], ["SADD", "s", "3"], ["OBJECT", "ENCODING", "s"])).toEqual([2, "intset", 1, "hashtable"]);
    },
  },
  "zset-max-listpack-entries": {
    set: "1",
    get: "1",
    invalid: [["-1", between(0, 2147483647)]],
    effect: async (s) => {
      expect(await exec(s, ["ZADD", "z", "1", "a"], ["OBJECT", "ENCODING", "z"], ["ZADD", "z", "2", "b"], ["OBJECT", "ENCODING", "z"])).toEqual([1, "listpack", 1, "skiplist"]);
    },
  },
  "zset-max-listpack-value": {
    set: "3",
    get: "3",
    invalid: [["x", INT]],
    effect: async (s) => {
      expect(await exec(s, ["ZADD", "z", "1", "abc"], ["OBJECT", "ENCODING", "z"], ["ZADD", "z", "2", "abcd"], ["OBJECT", "ENCODING", "z"])).toEqual([1, "listpack", 1, "skiplist"]);
    },
  },
  "stream-node-max-bytes": { set: "8kb", get: "8192", invalid: [["lots", MEMORY]] },
  "stream-node-max-entries": { set: "50", get: "50", invalid: [["-1", between(0, Number.MAX_SAFE_INTEGER)]] },
  "hll-sparse-max-bytes": { set: "0", get: "0", invalid: [["-1", between(0, 2147483647)]] },
  "proto-max-bulk-len": {
    set: "1kb",
    get: "1024",
    invalid: [["big", MEMORY]],
    effect: async (s) => {
      expect(await exec(s, ["SET", "k", "x".repeat(1000)], ["APPEND", "k", "x".repeat(100)])).toEqual([OK, { error: "ERR string exceeds maximum allowed size (proto-max-bulk-len)" }]);
    },
  },
  hz: {
    set: "100",
    get: "100",
    invalid: [["0", between(1, 500)]],
    effect: async (s) => {
      expect(await infoField(s, "hz", "server")).toBe("100");
      expect(await infoField(s, "configured_hz", "server")).toBe("100");
    },
  },
  "notify-keyspace-events": {
    set: "KEA",
    get: "AKE",
    invalid: [["KEq", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."]],
  },
  "health-snapshot-max-age": { set: "600", get: "600", invalid: [["-1", between(0, 2147483647)]] },
  "health-memory-percent": { set: "80", get: "80", invalid: [["0", between(1, 100)], ["101", between(1, 100)]] },
  "health-rewrite-failures": { set: "5", get: "5", invalid: [["0", between(1, 1000)]] },
  "loading-block-ms": { set: "100", get: "100", invalid: [["25001", between(0, 25000)]] },
};

/** Aliases Redis 7 keeps for renamed parameters, each with a value to set through it. */
const ALIASES: Record<string, [string, string]> = {
  "hash-max-ziplist-entries": ["hash-max-listpack-entries", "7"],
  "hash-max-ziplist-value": ["hash-max-listpack-value", "7"],
  "list-max-ziplist-size": ["list-max-listpack-size", "7"],
  "zset-max-ziplist-entries": ["zset-max-listpack-entries", "7"],
  "zset-max-ziplist-value": ["zset-max-listpack-value", "7"],
  "slave-read-only": ["replica-read-only", "no"],
  "lua-time-limit": ["busy-reply-threshold", "7"],
};

describe("CONFIG: every parameter", () => {
  it("has a row in this table", () => {
    expect(Object.keys(TABLE).sort()).toEqual(Object.keys(new Config().all()).sort());
  });

  for (const [name, row] of Object.entries(TABLE)) {
    it(`${name}: set, read back, refused when invalid${row.effect ? ", and at work" : ""}`, async () => {
      const s = shardNamed(uniq(`config-${name}`));
      const before = (await one(s, "CONFIG", "GET", name)) as string[];
      for (const [bad, why] of row.invalid) expect(await one(s, "CONFIG", "SET", name, bad), `${name} ${bad}`).toEqual(refused(name, why));
      expect(await one(s, "CONFIG", "GET", name)).toEqual(before);
      expect(await one(s, "CONFIG", "SET", name.toUpperCase(), row.set)).toEqual(OK);
      expect(await one(s, "CONFIG", "GET", name)).toEqual([name, row.get]);
      await row.effect?.(s);
    });
  }
});

describe("CONFIG: names, globs and atomicity", () => {
  it("an alias sets the same parameter, and CONFIG GET answers under both names", async () => {
    const s = shardNamed(uniq("config-alias"));
    for (const [alias, [name, value]] of Object.entries(ALIASES)) {
      expect(await one(s, "CONFIG", "SET", alias, value)).toEqual(OK);
      expect(await one(s, "CONFIG", "GET", name)).toEqual([name, value]);
      expect(await one(s, "CONFIG", "GET", alias)).toEqual([alias, value]);
    }
  });

  it("CONFIG GET matches glob patterns, several at once, each name once", async () => {
    const s = shardNamed(uniq("config-glob"));
    expect(await one(s, "CONFIG", "GET", "appendf*")).toEqual(["appendfsync", "everysec", "appendfilename", "appendonly.aof"]);
    // Redis answers in its dictionary's order; here, the table's.
    expect(await one(s, "CONFIG", "GET", "zset-max-*", "*-max-listpack-?ntries", "ZSET-MAX-ZIPLIST-VALUE")).toEqual([
      "hash-max-listpack-entries", "128",
      "zset-max-listpack-entries", "128", "zset-max-ziplist-entries", "128", "zset-max-listpack-value", "64", "zset-max-ziplist-value", "64",
    ]);
    expect(await one(s, "CONFIG", "GET", "no-such-*")).toEqual([]);
    const all = (await one(s, "CONFIG", "GET", "*")) as string[];
    expect(all.length).toBe(2 * (Object.keys(TABLE).length + Object.keys(ALIASES).length));
  });

  it("CONFIG SET of several parameters is all or nothing, and refuses unknown and repeated names", async () => {
    const s = shardNamed(uniq("config-atomic"));
    expect(await one(s, "CONFIG", "SET", "maxmemory", "10mb", "maxmemory-policy", "bogus")).toEqual(
      refused("maxmemory-policy", "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"),
    );
    expect(await one(s, "CONFIG", "GET", "maxmemory")).toEqual(["maxmemory", "25165824"]);
    expect(await one(s, "CONFIG", "SET", "no-such-thing", "1")).toEqual({ error: "ERR Unknown option or number of arguments for CONFIG SET - 'no-such-thing'" });
    expect(await one(s, "CONFIG", "SET", "maxmemory", "1mb", "MAXMEMORY", "2mb")).toEqual({ error: "ERR Duplicate parameter - MAXMEMORY" });
    expect(await one(s, "CONFIG", "SET", "maxmemory", "1mb", "maxmemory-policy", "allkeys-lru")).toEqual(OK);
    expect(await one(s, "CONFIG", "GET", "maxmemory*")).toEqual(["maxmemory", "1048576", "maxmemory-policy", "allkeys-lru", "maxmemory-samples", "5"]);
  });

  it("memory values take Redis's units, case-insensitive", async () => {
    const s = shardNamed(uniq("config-units"));
    const units: [string, string][] = [["1k", "1000"], ["1kb", "1024"], ["2M", "2000000"], ["2mb", "2097152"], ["1g", "1000000000"], ["1GB", "1073741824"], ["123", "123"], ["5b", "5"]];
    for (const [value, bytes] of units) {
      expect(await one(s, "CONFIG", "SET", "auto-aof-rewrite-min-size", value)).toEqual(OK);
      expect(await one(s, "CONFIG", "GET", "auto-aof-rewrite-min-size"), value).toEqual(["auto-aof-rewrite-min-size", bytes]);
    }
  });
});

describe("CONFIG across restarts and deployments", () => {
  it("every value set is kept through a crash; the rest follows the deployment's vars", async () => {
    const name = uniq("config-restart");
    const s = shardNamed(name);
    // appendonly stays on, so the log that holds the dataset stays too; every other row is set.
    const rows = Object.entries(TABLE).filter(([n]) => n !== "appendonly");
    for (const [n, row] of rows) expect(await one(s, "CONFIG", "SET", n, row.set), n).toEqual(OK);
    await abortAllDurableObjects();
    const back = shardNamed(name);
    const got = (await exec(back, ...rows.map(([n]) => ["CONFIG", "GET", n]))) as string[][];
    expect(Object.fromEntries(got)).toEqual(Object.fromEntries(rows.map(([n, row]) => [n, row.get])));
  });

  it("the deployment's vars are the defaults (this test deployment sets SAVE to nothing, wrangler.toml the rest)", async () => {
    const s = shardNamed(uniq("config-vars"));
    expect(await exec(s, ["CONFIG", "GET", "save"], ["CONFIG", "GET", "appendonly"], ["CONFIG", "GET", "appendfsync"], ["CONFIG", "GET", "aof-use-rdb-preamble"], ["CONFIG", "GET", "maxmemory"], ["CONFIG", "GET", "maxmemory-policy"])).toEqual([
      ["save", ""],
      ["appendonly", "yes"],
      ["appendfsync", "everysec"],
      ["aof-use-rdb-preamble", "yes"],
      ["maxmemory", "25165824"],
      ["maxmemory-policy", "noeviction"],
    ]);
  });
});
