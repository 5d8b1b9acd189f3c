import { describe, expect, it } from "vitest";
import { encodeCommand } from "../resp.js";
import { checkToolOutput, fixtureRdbPreamble, readFixture, readFixtureDir } from "../testing/fixtures.js";
import {
  checkAof,
  checkAofDir,
  describeFileReport,
  fixAof,
  fixAofDir,
  truncateAofDirToTimestamp,
  truncateToTimestamp,
} from "./check.js";
import { AofError } from "./format.js";

const S = encodeCommand(["SET", "k", "v"]);
const MULTI = encodeCommand(["MULTI"]);
const EXEC = encodeCommand(["EXEC"]);
const ts = (n: number) => `#TS:${n}\r\n`;

/** The "AOF analyzed: …" lines redis-check-aof printed for a fixture. */
const analyzedLines = (section: string) => checkToolOutput(section).filter((l) => l.startsWith("AOF analyzed"));

function thrown(f: () => unknown): AofError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(AofError);
    return e as AofError;
  }
  throw new Error("expected an AofError");
}

describe("checkAofDir on Redis 7.0.15's directories", () => {
  it("finds the RESP fixture valid, with redis-check-aof's figures", () => {
    const report = checkAofDir(readFixtureDir("resp/appendonlydir"));
    expect(report.ok).toBe(true);
    expect(report.files.map((f) => describeFileReport(f)[0])).toEqual(analyzedLines("aof/resp/appendonlydir"));
  });

  it("checks an RDB base with the RDB checker it is given, then the incremental file", () => {
    const dir = readFixtureDir("preamble/appendonlydir");
    const report = checkAofDir(dir, { rdbCheck: fixtureRdbPreamble });
    expect(report.ok).toBe(true);
    expect(report.files.map((f) => describeFileReport(f)[0])).toEqual(analyzedLines("aof/preamble/appendonlydir"));
    // Without one, the base cannot be vouched for.
    const unchecked = checkAofDir(dir);
    expect(unchecked.ok).toBe(false);
    expect(unchecked.error!.code).toBe("AOF_RDB_PREAMBLE");
  });

  it("finds the old single-file layout valid: RDB preamble then RESP", () => {
    const report = checkAof(readFixture("oldstyle_preamble.aof"), { name: "old.aof", rdbCheck: fixtureRdbPreamble });
    expect(report.status).toBe("ok");
    expect(describeFileReport(report)).toEqual(checkToolOutput("aof/oldstyle_preamble.aof").slice(-2));
  });

  it("reports the cut incremental file exactly as redis-check-aof does", () => {
    const report = checkAofDir(readFixtureDir("negative/aof_truncated/appendonlydir"));
    expect(report.ok).toBe(false);
    const incr = report.files[1];
    expect(incr).toMatchObject({ status: "truncated", size: 1586, okUpTo: 1566, okUpToLine: 448, diff: 20 });
    const tool = checkToolOutput("negative/aof_truncated/appendonlydir");
    expect(describeFileReport(incr)).toEqual(tool.slice(tool.indexOf("Start to check INCR files.") + 1));
    expect(report.error).toMatchObject({ code: "AOF_TRUNCATED", file: "appendonly.aof.2.incr.aof", offset: 0x62f });
  });

  it("reports an unclosed MULTI with redis-check-aof's ok_up_to and diff", () => {
    const report = checkAofDir(readFixtureDir("negative/aof_unclosed_multi/appendonlydir"));
    expect(report.files[1]).toMatchObject({ status: "truncated", okUpTo: 1609, diff: 52 });
    expect(describeFileReport(report.files[1])[1]).toBe(analyzedLines("negative/aof_unclosed_multi/appendonlydir")[1]);
  });

  it("fixes a cut file as --fix does: the last file shrinks to its whole records", () => {
    const dir = readFixtureDir("negative/aof_truncated/appendonlydir");
    const { files } = fixAofDir(dir);
    const fixed = files.get("appendonly.aof.2.incr.aof")!;
    expect(fixed).toBe(dir.files.get("appendonly.aof.2.incr.aof")!.slice(0, 1566));
    expect(files.get("appendonly.aof.2.base.aof")).toBe(dir.files.get("appendonly.aof.2.base.aof"));
    expect(checkAofDir({ manifest: dir.manifest, files }).ok).toBe(true);
  });

  it("fixes an unclosed MULTI by cutting before it, which gives back the file Redis wrote", () => {
    const { files } = fixAofDir(readFixtureDir("negative/aof_unclosed_multi/appendonlydir"));
    expect(files.get("appendonly.aof.2.incr.aof")).toBe(readFixture("resp/appendonlydir/appendonly.aof.2.incr.aof"));
  });
});

describe("checkAof against redis-check-aof's verdicts", () => {
  // Each file was given to redis-check-aof 7.0.15; ok_up_to and ok_up_to_line are what it printed.
  const cases: [string, string, number, number][] = [
    ["a stray byte between records", S + "x" + S, 27, 8],
    ["a nested MULTI", S + MULTI + MULTI + S, 27, 14],
    ["an EXEC without MULTI", S + EXEC + S, 27, 11],
    ["a bulk without its CRLF", S + "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nvXX" + S, 27, 14],
    ["an argument that is not a bulk", S + "*3\r\n$3\r\nSET\r\n:1\r\nk\r\n", 27, 11],
    ["a count with a stray byte", S + "*3x\r\n", 27, 8],
    ["a record cut in a payload", S + "*3\r\n$3\r\nSE", 27, 10],
    ["a MULTI at the end", S + MULTI, 27, 11],
    ["a record cut inside a transaction", S + MULTI + S + "*3\r\n$3\r\nSE", 27, 20],
    ["a negative bulk length", "*1\r\n$-1\r\n" + S, 0, 3],
    ["bare LF line ends", "*1\n$4\nPING\n", 0, 1],
  ];
  for (const [what, file, okUpTo, okUpToLine] of cases) {
    it(`flags ${what} at ok_up_to=${okUpTo}, ok_up_to_line=${okUpToLine}`, () => {
      const r = checkAof(file);
      expect(r.status === "bad" || r.status === "truncated").toBe(true);
      expect({ okUpTo: r.okUpTo, okUpToLine: r.okUpToLine, diff: r.diff }).toEqual({ okUpTo, okUpToLine, diff: file.length - okUpTo });
      expect(fixAof(file).bytes).toBe(file.slice(0, okUpTo));
    });
  }

  it("finds annotations valid and counts no lines for them", () => {
    const file = ts(100) + S + ts(200) + S;
    expect(checkAof(file)).toMatchObject({ status: "ok", okUpTo: file.length, okUpToLine: 15, diff: 0 });
  });

  it("calls an empty file empty, and valid", () => {
    expect(checkAof("")).toMatchObject({ status: "empty", diff: 0 });
    expect(describeFileReport(checkAof("", { name: "e.aof" }))).toEqual(["AOF e.aof is empty"]);
  });

  it("words a format error as redis-check-aof does", () => {
    expect(describeFileReport(checkAof(S + "x" + S, { name: "fmt.aof" }))).toEqual([
      "AOF fmt.aof format error",
      "AOF analyzed: filename=fmt.aof, size=55, ok_up_to=27, ok_up_to_line=8, diff=28",
      "AOF fmt.aof is not valid. Use the --fix option to try fixing it.",
    ]);
  });
});

describe("checkAofDir and fixAofDir on hand-made directories", () => {
  const manifest = "file a.aof seq 1 type b\nfile b.aof seq 1 type i\n";

  it("refuses to fix a file that is not the last, as redis-check-aof does", () => {
    const dir = { manifest, files: { "a.aof": S + "*3\r\n$3", "b.aof": S } };
    expect(checkAofDir(dir).files.map((f) => f.status)).toEqual(["truncated"]);
    const e = thrown(() => fixAofDir(dir));
    expect(e.code).toBe("AOF_CANNOT_TRUNCATE");
    expect(e.reason).toBe("Failed to truncate AOF a.aof because it is not the last file");
  });

  it("reports a file the manifest lists that is missing", () => {
    const report = checkAofDir({ manifest, files: new Map([["a.aof", S]]) });
    expect(report.error).toMatchObject({ code: "AOF_MISSING_FILE", file: "b.aof" });
  });

  it("reports a bad manifest", () => {
    expect(checkAofDir({ manifest: "", files: {} }).error!.code).toBe("AOF_MANIFEST_EMPTY");
  });

  it("accepts an empty base and counts lines across files", () => {
    const report = checkAofDir({ manifest, files: { "a.aof": "", "b.aof": S + MULTI } });
    expect(report.files.map((f) => [f.status, f.okUpToLine])).toEqual([
      ["empty", 1],
      ["truncated", 11],
    ]);
  });
});

describe("truncateToTimestamp", () => {
  const file = ts(100) + S + ts(200) + S + ts(300) + S;

  it("cuts before the first annotation later than the time", () => {
    expect(truncateToTimestamp(file, 150)).toEqual({ bytes: ts(100) + S, cutAt: 36 });
    expect(truncateToTimestamp(file, 200).cutAt).toBe(36 + 36);
  });

  it("cuts nothing when no annotation is later", () => {
    expect(truncateToTimestamp(file, 500)).toEqual({ bytes: file, cutAt: null });
    expect(truncateToTimestamp(S, 1)).toEqual({ bytes: S, cutAt: null });
  });

  it("refuses to leave nothing, and refuses a timestamp that is not a number", () => {
    expect(thrown(() => truncateToTimestamp(file, 50))).toMatchObject({
      code: "AOF_CANNOT_TRUNCATE",
      reason: "AOF appendonly.aof has nothing before timestamp 50, aborting...",
    });
    expect(thrown(() => truncateToTimestamp(S + "#TS:abc\r\n" + S, 500))).toMatchObject({ code: "AOF_BAD_TIMESTAMP", offset: 27 });
  });

  it("moves a cut inside MULTI … EXEC back to the MULTI, so only whole records remain", () => {
    const tx = S + MULTI + S + ts(900) + S + EXEC;
    expect(truncateToTimestamp(tx, 500)).toEqual({ bytes: S, cutAt: 27 });
  });

  it("reads past an RDB preamble with the checker it is given", () => {
    const old = readFixture("oldstyle_preamble.aof");
    const withTs = old + ts(1000) + S;
    expect(truncateToTimestamp(withTs, 10, { rdbCheck: fixtureRdbPreamble })).toEqual({ bytes: old, cutAt: old.length });
  });

  it("cuts only the last file of a directory, as redis-check-aof insists", () => {
    const manifest = "file a.aof seq 1 type b\nfile b.aof seq 1 type i\n";
    const files = { "a.aof": S, "b.aof": ts(100) + S + ts(200) + S };
    const r = truncateAofDirToTimestamp({ manifest, files }, 150);
    expect(r.cut).toEqual({ file: "b.aof", offset: 36 });
    expect(r.files.get("b.aof")).toBe(ts(100) + S);
    const early = { "a.aof": ts(100) + S + ts(200) + S, "b.aof": S };
    expect(thrown(() => truncateAofDirToTimestamp({ manifest, files: early }, 150))).toMatchObject({
      code: "AOF_CANNOT_TRUNCATE",
      reason: "Failed to truncate AOF a.aof to timestamp 150 to offset 36 because it is not the last file",
    });
  });
});
