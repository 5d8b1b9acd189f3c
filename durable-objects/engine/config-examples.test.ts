// The persistence settings of Redis's persistence guide, as operators paste them (the project's
// shared spec, config-examples.md): every line is accepted by CONFIG SET and reads back with CONFIG GET.
import { describe, expect, it } from "vitest";
import { testEngine } from "./testing.js";

const BLOCKS: Record<string, string> = {
  RDB: `save 900 1
save 300 10
save 60 10000
dbfilename dump.rdb
dir /var/lib/redis/
rdbcompression yes
rdbchecksum yes
save 300 10
save 120 100
save 1800 10`,
  AOF: `appendonly yes
appendfilename "appendonly.aof"
appendfsync everysec
auto-aof-rewrite-percentage 100
auto-aof-rewrite-min-size 64mb
aof-load-truncated yes
no-appendfsync-on-rewrite no
aof-rewrite-incremental-fsync yes`,
  "hybrid, and a primary with a replica": `appendonly yes
aof-use-rdb-preamble yes
appendfsync everysec
save 900 1
save 300 10
save 60 10000
replica-read-only yes`,
  tuning: `rdbcompression yes
rdbchecksum yes
aof-rewrite-incremental-fsync yes
aof-load-truncated yes
dir /data/redis/snapshots/
appenddirname /logs/redis/aof/
auto-aof-rewrite-percentage 50
auto-aof-rewrite-min-size 32mb`,
};

/** A redis.conf line's words, as Redis splits them (double quotes group; enough for these lines). */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]);
}

/** What CONFIG GET shows for a value set from a config line (memory units in bytes). */
const MEMORY: Record<string, string> = { "64mb": String(64 * 1024 * 1024), "32mb": String(32 * 1024 * 1024) };

describe("Redis's persistence settings as written", () => {
  for (const [block, text] of Object.entries(BLOCKS)) {
    it(`accepts every line of the ${block} block with CONFIG SET, and CONFIG GET reads it back`, () => {
      const t = testEngine();
      for (const line of text.split("\n")) {
        const [name, ...values] = words(line);
        const value = values.join(" ");
        expect([line, t.run("CONFIG", "SET", name, value)]).toEqual([line, { status: "OK" }]);
        expect(t.run("CONFIG", "GET", name)).toEqual([name, MEMORY[value] ?? value]);
      }
    });
  }

  it("keeps a one-line save schedule as Redis's several save lines mean it", () => {
    const t = testEngine();
    expect(t.run("CONFIG", "SET", "save", "900 1 300 10 60 10000")).toEqual({ status: "OK" });
    expect(t.run("CONFIG", "GET", "save")).toEqual(["save", "900 1 300 10 60 10000"]);
  });

  it("refuses a dir that names no R2 prefix", () => {
    const t = testEngine();
    expect(t.run("CONFIG", "SET", "dir", "/")).toEqual({
      error: "ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or directory",
    });
  });
});
