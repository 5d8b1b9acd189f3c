// check-rdb and check-aof against Debian's redis-check-rdb and redis-check-aof: the same report lines,
// offsets, verdicts and exit statuses on the fixtures, on files cut anywhere, and the same repairs.
// Locally the comparisons are skipped without the binaries; under CI=true their absence fails.

import { copyFileSync, cpSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findBinary } from "../../durable-objects/persistence/testing/redis.js";
import { encodeCommand } from "../../durable-objects/persistence/resp.js";
import { checkRdb } from "./check-rdb.js";
import { AOF_FIXTURES, RDB_FIXTURES, cli, runProgram, tempDir } from "./testing.js";

const CHECK_RDB = findBinary("redis-check-rdb");
const CHECK_AOF = findBinary("redis-check-aof");
const missing = CHECK_RDB === null || CHECK_AOF === null;
const required = process.env.CI === "true";

const lines = (s: string) => s.split("\n").filter((l) => l.length > 0);
/** redis-check-rdb's lines, without the parts that name its C source or its process. */
const toolLines = (s: string) =>
  lines(s)
    .filter((l) => !l.includes("Terminating server after rdb file reading failure"))
    .map((l) => l.replace(/Internal error in RDB reading offset 0, function at rdb\.c:\d+ -> /, ""));
const withoutSummary = (s: string) => lines(s).filter((l) => !l.startsWith("[summary]"));

const RDB_NAMES = readdirSync(RDB_FIXTURES).filter((n) => n.endsWith(".rdb"));

describe.skipIf(missing && !required)("check-rdb beside redis-check-rdb", () => {
  beforeAll(() => {
    if (missing) throw new Error("redis-check-rdb and redis-check-aof are required under CI: apt-get install -y redis-tools");
  });

  it.each(RDB_NAMES)("reports %s with redis-check-rdb's lines and exit status", async (name) => {
    const [tool, ours] = await Promise.all([runProgram(CHECK_RDB!, [name], { cwd: RDB_FIXTURES }), cli(["check-rdb", name], { cwd: RDB_FIXTURES })]);
    expect(withoutSummary(ours.stdout)).toEqual(toolLines(tool.stdout));
    expect(ours.code).toBe(tool.code);
  });

  it("finds the same offset and context as redis-check-rdb wherever a file is cut", async () => {
    const tmp = tempDir("cli-rdb-cut-");
    try {
      for (const name of ["all.rdb", "streams.rdb", "functions.rdb", "lfu.rdb", "list_plain_nodes.rdb"]) {
        const file = readFileSync(join(RDB_FIXTURES, name));
        const cuts = new Set<number>();
        for (let i = 0; i < 40; i++) cuts.add(Math.floor((i * file.length) / 40));
        for (let i = 0; i < 100 && i < file.length; i += 3) cuts.add(i);
        for (let i = Math.max(0, file.length - 12); i < file.length; i++) cuts.add(i);
        for (const n of cuts) {
          const path = join(tmp.path, "cut.rdb");
          writeFileSync(path, file.subarray(0, n));
          const tool = await runProgram(CHECK_RDB!, [path]);
          const ours = checkRdb(file.subarray(0, n), path);
          expect({ name, n, lines: ours.lines }).toEqual({ name, n, lines: toolLines(tool.stdout) });
          expect(tool.code).toBe(1);
        }
      }
    } finally {
      tmp.remove();
    }
  }, 30_000);
});

describe("check-rdb", () => {
  it("sums up keys per database and type, expiries, and what cannot be restored", async () => {
    const r = await cli(["check-rdb", "all.rdb"], { cwd: RDB_FIXTURES });
    expect(r.code).toBe(0);
    expect(lines(r.stdout).filter((l) => l.startsWith("[summary]"))).toEqual([
      "[summary] db 0: 58 keys (hash 4, list 5, set 8, string 37, zset 4), 5 with an expiry",
      "[summary] db 3: 3 keys (hash 1, list 1, string 1), 1 with an expiry",
      "[summary] db 15: 1 keys (string 1), 0 with an expiry",
      "[summary] restore --rdb takes one database (--db, default 0); also present: db 3, db 15",
    ]);
    const streams = await cli(["check-rdb", "streams.rdb"], { cwd: RDB_FIXTURES });
    expect(streams.code).toBe(0);
    expect(streams.stdout).toContain("[summary] db 0: 2 keys (stream 2), 0 with an expiry\n");
    expect(streams.stdout).not.toContain("cannot restore");
  });

  it("names the first problem's offset in the summary of a corrupt file", async () => {
    const r = await cli(["check-rdb", "corrupt_truncated.rdb"], { cwd: RDB_FIXTURES });
    expect(r.code).toBe(1);
    expect(lines(r.stdout).at(-1)).toBe("[summary] first problem at offset 27437: Unexpected EOF reading RDB file");
    const crc = await cli(["check-rdb", "--quiet", "corrupt_crc.rdb"], { cwd: RDB_FIXTURES });
    expect(crc.code).toBe(1);
    expect(lines(crc.stdout)[0]).toBe("[offset 55956] RDB CRC error");
  });

  it("accepts a newer RDB version only when told to", async () => {
    expect((await cli(["check-rdb", "version11_header.rdb"], { cwd: RDB_FIXTURES })).code).toBe(1);
    const r = await cli(["check-rdb", "--max-version", "12", "version11_header.rdb"], { cwd: RDB_FIXTURES });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("\\o/ RDB looks OK! \\o/\n[info] 34 keys read\n");
  });

  it("exits 1 for a missing file and 2 for a usage error, with --help on stdout", async () => {
    const missingFile = await cli(["check-rdb", "/nonexistent/dump.rdb"]);
    expect(missingFile).toMatchObject({ code: 1, stdout: "Cannot open file /nonexistent/dump.rdb: No such file or directory\n" });
    const usage = await cli(["check-rdb"]);
    expect(usage).toMatchObject({ code: 2, stdout: "", stderr: "durable-redis check-rdb: missing argument. Run 'durable-redis check-rdb --help' for usage.\n" });
    const unknown = await cli(["check-rdb", "--bogus", "x"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe("durable-redis check-rdb: Unknown option '--bogus'. Run 'durable-redis check-rdb --help' for usage.\n");
    const help = await cli(["check-rdb", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: durable-redis check-rdb \[options\] FILE\n/);
  });
});

describe.skipIf(missing && !required)("check-aof beside redis-check-aof", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => {
    tmp = tempDir("cli-aof-");
  });
  afterAll(() => tmp.remove());

  /** A fixture copied twice, for the tool and for us, both run from inside the copy's parent. */
  function twoCopies(fixture: string, n: number): [string, string] {
    const a = join(tmp.path, `tool-${n}`);
    const b = join(tmp.path, `ours-${n}`);
    cpSync(join(AOF_FIXTURES, fixture), a, { recursive: true });
    cpSync(join(AOF_FIXTURES, fixture), b, { recursive: true });
    return [a, b];
  }

  it.each([
    ["resp/appendonlydir", "appendonly.aof.manifest"],
    ["preamble/appendonlydir", "appendonly.aof.manifest"],
    ["negative/aof_truncated/appendonlydir", "appendonly.aof.manifest"],
    ["resp/appendonlydir", "appendonly.aof.2.incr.aof"],
    ["preamble/appendonlydir", "appendonly.aof.2.base.rdb"],
  ])("checks %s/%s with redis-check-aof's report and exit status", async (dir, file) => {
    const [tool, ours] = await Promise.all([runProgram(CHECK_AOF!, [file], { cwd: join(AOF_FIXTURES, dir) }), cli(["check-aof", file], { cwd: join(AOF_FIXTURES, dir) })]);
    expect(ours.stdout).toBe(tool.stdout);
    expect(ours.code).toBe(tool.code);
  });

  it("checks an old-style file with an RDB preamble as redis-check-aof does", async () => {
    const tool = await runProgram(CHECK_AOF!, ["oldstyle_preamble.aof"], { cwd: AOF_FIXTURES });
    const ours = await cli(["check-aof", "oldstyle_preamble.aof"], { cwd: AOF_FIXTURES });
    expect(ours).toMatchObject({ code: 0, stdout: tool.stdout });
  });

  it("reports an unclosed MULTI with redis-check-aof's figures, at the MULTI's offset", async () => {
    const dir = join(AOF_FIXTURES, "negative/aof_unclosed_multi/appendonlydir");
    const tool = lines((await runProgram(CHECK_AOF!, ["appendonly.aof.manifest"], { cwd: dir })).stdout);
    const ours = await cli(["check-aof", dir]);
    expect(ours.code).toBe(1);
    const mine = lines(ours.stdout);
    // redis-check-aof names where it read the last argument (0x674); we name where the MULTI starts.
    expect(mine[5]).toBe("0x             649: Reached EOF before reading EXEC for MULTI");
    expect(tool[5]).toBe("0x             674: Reached EOF before reading EXEC for MULTI");
    expect([...mine.slice(0, 5), ...mine.slice(6)]).toEqual([...tool.slice(0, 5), ...tool.slice(6)]);
  });

  it("--fix shrinks the cut file of a directory to redis-check-aof's bytes, asking first", async () => {
    const [a, b] = twoCopies("negative/aof_truncated/appendonlydir", 1);
    const tool = await runProgram(CHECK_AOF!, ["--fix", join(a, "appendonly.aof.manifest")], { input: "y\n" });
    const ours = await cli(["check-aof", "--fix", b], { input: "y\n" });
    expect(ours.stdout).toBe(tool.stdout);
    expect([ours.code, tool.code]).toEqual([0, 0]);
    expect(readFileSync(join(b, "appendonly.aof.2.incr.aof"))).toEqual(readFileSync(join(a, "appendonly.aof.2.incr.aof")));
    expect(readFileSync(join(b, "appendonly.aof.2.incr.aof")).length).toBe(1566);
    // Refused without a yes: nothing changes, exit 1.
    const [, c] = twoCopies("negative/aof_truncated/appendonlydir", 2);
    const refused = await cli(["check-aof", "--fix", c], { input: "n\n" });
    expect(refused.code).toBe(1);
    expect(lines(refused.stdout).at(-1)).toBe("Continue? [y/N]: Aborting...");
    expect(readFileSync(join(c, "appendonly.aof.2.incr.aof")).length).toBe(1586);
  });

  it("--fix on a log cut anywhere keeps exactly the whole records, as redis-check-aof does", async () => {
    const file = readFileSync(join(AOF_FIXTURES, "resp/appendonlydir/appendonly.aof.2.incr.aof"));
    // Where whole records end, read here from the RESP framing: inside MULTI … EXEC only at the EXEC.
    const text = file.toString("latin1");
    const ends: number[] = [];
    let inMulti = false;
    for (let p = 0; p < text.length; ) {
      const argc = Number(/^\*(\d+)\r\n/.exec(text.slice(p))![1]);
      let q = text.indexOf("\r\n", p) + 2;
      let name = "";
      for (let i = 0; i < argc; i++) {
        const len = Number(/^\$(\d+)\r\n/.exec(text.slice(q))![1]);
        q = text.indexOf("\r\n", q) + 2;
        if (i === 0) name = text.slice(q, q + len).toUpperCase();
        q += len + 2;
      }
      if (name === "MULTI") inMulti = true;
      if (name === "EXEC") inMulti = false;
      if (!inMulti) ends.push(q);
      p = q;
    }
    expect(ends.at(-1)).toBe(file.length);
    for (let i = 1; i < 24; i++) {
      const n = Math.floor((i * file.length) / 24) + (i % 3);
      const toolPath = join(tmp.path, `t${i}.aof`);
      const ourPath = join(tmp.path, `o${i}.aof`);
      writeFileSync(toolPath, file.subarray(0, n));
      writeFileSync(ourPath, file.subarray(0, n));
      const [tool, ours] = await Promise.all([runProgram(CHECK_AOF!, ["--fix", toolPath], { input: "y\n" }), cli(["check-aof", "--fix", "--yes", ourPath])]);
      const whole = ends.filter((e) => e <= n).at(-1) ?? 0;
      const fixed = readFileSync(ourPath);
      expect({ n, length: fixed.length }).toEqual({ n, length: whole });
      expect(fixed).toEqual(readFileSync(toolPath));
      expect(ours.code).toBe(tool.code);
    }
  }, 30_000);

  it("--truncate-to-timestamp cuts where redis-check-aof cuts, and refuses what it refuses", async () => {
    const S = (k: string) => encodeCommand(["SET", k, "v"]);
    const file = `#TS:100\r\n${S("a")}#TS:200\r\n${S("b")}#TS:300\r\n${S("c")}`;
    let n = 0;
    for (const t of ["150", "250", "500", "50"]) {
      n++;
      const toolPath = join(tmp.path, `ts-tool-${n}.aof`);
      const ourPath = join(tmp.path, `ts-ours-${n}.aof`);
      writeFileSync(toolPath, file, "latin1");
      writeFileSync(ourPath, file, "latin1");
      const tool = await runProgram(CHECK_AOF!, ["--truncate-to-timestamp", t, toolPath]);
      const ours = await cli(["check-aof", "--truncate-to-timestamp", t, ourPath]);
      expect(ours.stdout.replaceAll(ourPath, toolPath)).toBe(tool.stdout);
      expect(ours.code).toBe(tool.code);
      expect(readFileSync(ourPath)).toEqual(readFileSync(toolPath));
    }
    // In a directory only the last file may be cut.
    const [a, b] = twoCopies("resp/appendonlydir", 3);
    for (const dir of [a, b]) writeFileSync(join(dir, "appendonly.aof.2.base.aof"), file, "latin1");
    const tool = await runProgram(CHECK_AOF!, ["--truncate-to-timestamp", "150", "appendonly.aof.manifest"], { cwd: a });
    const ours = await cli(["check-aof", "--truncate-to-timestamp", "150", "appendonly.aof.manifest"], { cwd: b });
    expect(ours).toMatchObject({ code: 1, stdout: tool.stdout });
    expect(tool.code).toBe(1);
  });
});

describe("check-aof", () => {
  it("checks a directory through its manifest, and says when there is none", async () => {
    const r = await cli(["check-aof", join(AOF_FIXTURES, "resp/appendonlydir")]);
    expect(r.code).toBe(0);
    expect(lines(r.stdout).at(-1)).toBe("All AOF files and manifest are valid");
    const tmp = tempDir("cli-aof-empty-");
    try {
      copyFileSync(join(AOF_FIXTURES, "oldstyle_preamble.aof"), join(tmp.path, "x.aof"));
      const none = await cli(["check-aof", tmp.path]);
      expect(none).toMatchObject({ code: 1, stdout: `No AOF manifest in directory ${tmp.path}\n` });
    } finally {
      tmp.remove();
    }
  });

  it("refuses --fix with --truncate-to-timestamp, and a timestamp that is not a number", async () => {
    const both = await cli(["check-aof", "--fix", "--truncate-to-timestamp", "5", "x.aof"]);
    expect(both).toMatchObject({ code: 2, stderr: "durable-redis check-aof: --fix and --truncate-to-timestamp do not go together. Run 'durable-redis check-aof --help' for usage.\n" });
    const bad = await cli(["check-aof", "--truncate-to-timestamp", "soon", "x.aof"]);
    expect(bad).toMatchObject({ code: 2, stderr: "durable-redis check-aof: invalid timestamp 'soon' (Unix seconds). Run 'durable-redis check-aof --help' for usage.\n" });
  });
});

describe("durable-redis", () => {
  it("lists the commands with --help, and exits 2 without one or with an unknown one", async () => {
    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: durable-redis <command> \[options\]\n/);
    for (const c of ["check-rdb", "check-aof", "export", "backup", "restore", "info", "health", "cli"]) {
      expect(help.stdout).toContain(`  ${c} `);
      const own = await cli([c, "--help"]);
      expect({ c, code: own.code, first: own.stdout.split("\n")[0] }).toEqual({ c, code: 0, first: expect.stringMatching(new RegExp(`^Usage: durable-redis ${c} `)) });
    }
    expect((await cli([])).code).toBe(2);
    expect(await cli(["bogus"])).toMatchObject({ code: 2, stderr: "durable-redis: unknown command 'bogus'. Run 'durable-redis --help' for the list.\n" });
  });
});
