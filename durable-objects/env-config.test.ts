import { describe, expect, it } from "vitest";
import { Config } from "./engine/config.js";
import { configFromEnv } from "./env-config.js";

describe("configuration from wrangler vars", () => {
  it("maps each var to its parameter, ignores the rest, and the engine's config takes the values", () => {
    const env = { APPENDFSYNC: "always", AOF_RETAIN_BASES: "3", SAVE: "", SHARDS: "4", SNAPSHOTS: {} };
    expect(configFromEnv(env)).toEqual({ appendfsync: "always", "aof-retain-bases": "3", save: "" });
    const config = new Config(configFromEnv(env));
    expect([config.get("appendfsync"), config.getNumber("aof-retain-bases"), config.get("save")]).toEqual(["always", 3, ""]);
  });
});
