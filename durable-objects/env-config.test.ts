import { describe, expect, it } from "vitest";
import { Config, r2Prefix } from "./engine/config.js";
import { configFromEnv, varName } from "./env-config.js";

describe("configuration from wrangler vars", () => {
  it("maps each var to its parameter, ignores the rest, and the engine's config takes the values", () => {
    const env = { APPENDFSYNC: "always", AOF_RETAIN_BASES: "3", SAVE: "", SHARDS: "4", REST_TOKEN: "secret", SNAPSHOTS: {} };
    expect(configFromEnv(env)).toEqual({ appendfsync: "always", "aof-retain-bases": "3", save: "", "proto-max-bulk-len": "10485760" });
    const config = new Config(configFromEnv(env));
    expect([config.get("appendfsync"), config.getNumber("aof-retain-bases"), config.get("save")]).toEqual(["always", 3, ""]);
  });

  it("takes every Redis parameter by its name in capitals, aliases too, with no list to keep by hand", () => {
    const env = {
      AUTO_AOF_REWRITE_MIN_SIZE: "32mb",
      NO_APPENDFSYNC_ON_REWRITE: "no",
      AOF_REWRITE_INCREMENTAL_FSYNC: "yes",
      APPENDDIRNAME: "/logs/redis/aof/",
      HASH_MAX_ZIPLIST_ENTRIES: "64",
      NOTIFY_KEYSPACE_EVENTS: "KEA",
      // Not a parameter, and not in capitals: ignored.
      MAX_REQUEST_BYTES: "100",
      appendfsync: "no",
    };
    const config = new Config(configFromEnv(env));
    expect(config.getNumber("auto-aof-rewrite-min-size")).toBe(32 * 1024 * 1024);
    expect(config.get("hash-max-listpack-entries")).toBe("64");
    expect(config.get("appenddirname")).toBe("/logs/redis/aof/");
    expect(config.match(["notify-keyspace-events"])).toEqual(["notify-keyspace-events", "AKE"]);
    expect(config.get("appendfsync")).toBe("everysec");
    expect(varName("aof-use-rdb-preamble")).toBe("AOF_USE_RDB_PREAMBLE");
  });

  it("bounds values by MAX_RECORD_BYTES (the largest argument a request may carry) unless PROTO_MAX_BULK_LEN is set", () => {
    expect(new Config(configFromEnv({ MAX_RECORD_BYTES: "32768" })).getNumber("proto-max-bulk-len")).toBe(32768);
    expect(new Config(configFromEnv({})).getNumber("proto-max-bulk-len")).toBe(10 * 1024 * 1024);
    expect(new Config(configFromEnv({ MAX_RECORD_BYTES: "32768", PROTO_MAX_BULK_LEN: "1mb" })).getNumber("proto-max-bulk-len")).toBe(1024 * 1024);
  });

  it("turns dir into an R2 prefix", () => {
    expect(["/var/lib/redis/", "durable-redis", "./data//redis", "a/b"].map(r2Prefix)).toEqual(["var/lib/redis", "durable-redis", "data/redis", "a/b"]);
  });
});
