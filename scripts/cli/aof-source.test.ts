// restore --aof's first half: Redis 7.0.15's own AOFs (an appendonlydir with an RDB or a RESP base,
// a single file with an RDB preamble) replayed into one RDB file whose databases are exactly the
// datasets the fixture corpus's manifest records; truncated and damaged files refused with their
// offset, or cut back with `truncate` to what redis-server loads with aof-load-truncated yes.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Keyspace } from "../../durable-objects/engine/keyspace.js";
import { decodeRdb } from "../../durable-objects/persistence/rdb-codec/index.js";
import { fixtureDataset, fixtureInfo } from "../../durable-objects/persistence/testing/fixtures.js";
import { type KeyDump, dumpKeyspace } from "../../durable-objects/persistence/testing/redis.js";
import { aofToRdb } from "./aof-source.js";
import { CliError } from "./args.js";
import { AOF_FIXTURES, tempDir } from "./testing.js";

const NOW = Date.UTC(2026, 11, 1);
/** A fixture's path in the repository's copy of the corpus (its keys say "aof/…", the copy has no "aof/"). */
const fixture = (key: string) => join(AOF_FIXTURES, key.replace(/^aof\//, ""));
const tmp = tempDir("aof-source-");
afterAll(() => tmp.remove());

let n = 0;
/** The AOF at `target` through aofToRdb, and the RDB it wrote read back: database → dump. */
function restored(target: string, truncate = false) {
  const path = join(tmp.path, `out-${n++}.rdb`);
  const result = aofToRdb(target, { truncate, now: NOW }, path);
  const dbs = new Map<number, Keyspace>();
  decodeRdb(readFileSync(path), (db, key, value, expireAt) => {
    if (!dbs.has(db)) dbs.set(db, new Keyspace(() => NOW));
    dbs.get(db)!.load(key, value, expireAt);
  }, { checksum: true });
  const dump = new Map<string, Map<string, KeyDump>>([...dbs].map(([db, ks]) => [String(db), dumpKeyspace(ks)]));
  return { result, dump };
}

/** The manifest's databases of a fixture, in dump form ("databases" unless told). */
function expected(key: string, field = "databases"): Map<string, Map<string, KeyDump>> {
  const dbs = fixtureInfo(key)[field] as Record<string, unknown>;
  const info = fixtureInfo(key);
  // fixtureDataset reads "databases": point it at the field asked for.
  const saved = info.databases;
  info.databases = dbs;
  try {
    return new Map(Object.keys(dbs).map((db) => [db, fixtureDataset(key, db)]));
  } finally {
    info.databases = saved;
  }
}

describe("aofToRdb: Redis's AOFs to one RDB", () => {
  it.each([
    ["aof/preamble/appendonlydir", "an appendonlydir with an RDB base"],
    ["aof/resp/appendonlydir", "an appendonlydir with a RESP base"],
    ["aof/oldstyle_preamble.aof", "a single file with an RDB preamble"],
  ])("%s (%s) gives exactly the manifest's databases", (key) => {
    const { result, dump } = restored(fixture(key));
    expect(dump).toEqual(expected(key));
    expect(result.cut).toBe(null);
    expect(result.keysByDb).toEqual(new Map([[0, 26], [3, 2]]));
  });

  it("takes the manifest file itself, or the directory", () => {
    const dir = fixture("aof/preamble/appendonlydir");
    expect(restored(join(dir, "appendonly.aof.manifest")).dump).toEqual(restored(dir).dump);
  });

  it("refuses a truncated last file with its offset; --truncate loads what redis-server loads with aof-load-truncated yes", () => {
    const key = "negative/aof_truncated/appendonlydir";
    const dir = fixture(key);
    expect(() => restored(dir)).toThrow(
      new CliError("appendonly.aof.2.incr.aof is truncated at offset 1566: Expected to read 6 bytes, got 3 bytes; --truncate restores up to its last whole record"),
    );
    const { result, dump } = restored(dir, true);
    expect(dump).toEqual(expected(key, "databases_after_load_with_aof_load_truncated_yes"));
    expect(result.cut).toMatchObject({ file: "appendonly.aof.2.incr.aof", offset: 1566, dropped: 20 });
  });

  it("an unfinished MULTI at the end is a truncated tail: refused, or left out with --truncate", () => {
    const key = "negative/aof_unclosed_multi/appendonlydir";
    const dir = fixture(key);
    expect(() => restored(dir)).toThrow(/^appendonly\.aof\.2\.incr\.aof is truncated at offset 1609: /);
    const { result, dump } = restored(dir, true);
    expect(dump).toEqual(expected(key, "databases_after_load"));
    expect(result.cut).toMatchObject({ offset: 1609, dropped: 52 });
  });

  it("refuses bad bytes with their offset, and in a file that is not the last even with --truncate", () => {
    const dir = join(tmp.path, "damaged");
    mkdirSync(dir);
    const src = fixture("aof/resp/appendonlydir");
    for (const f of ["appendonly.aof.manifest", "appendonly.aof.2.incr.aof"]) copyFileSync(join(src, f), join(dir, f));
    const base = readFileSync(join(src, "appendonly.aof.2.base.aof"));
    base[100] = "!".charCodeAt(0);
    writeFileSync(join(dir, "appendonly.aof.2.base.aof"), base);
    expect(() => restored(dir)).toThrow(/^appendonly\.aof\.2\.base\.aof is damaged at offset \d+: .*\(it is not the last file: nothing can be cut\)$/);
    expect(() => restored(dir, true)).toThrow(/not the last file/);
  });

  it("refuses a damaged RDB preamble with its offset", () => {
    const bytes = readFileSync(fixture("aof/oldstyle_preamble.aof"));
    bytes[200] ^= 0xff;
    const file = join(tmp.path, "bad-preamble.aof");
    writeFileSync(file, bytes);
    expect(() => restored(file, true)).toThrow(/^.*bad-preamble\.aof is damaged: its RDB part at offset \d+: /);
  });

  it("refuses a command it cannot run, naming it and its offset", () => {
    const file = join(tmp.path, "unknown.aof");
    writeFileSync(file, "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*1\r\n$7\r\nNOSUCHX\r\n");
    expect(() => restored(file, true)).toThrow(/unknown\.aof: Unknown command 'NOSUCHX' reading the append only file .*, at offset 23$/);
  });
});
