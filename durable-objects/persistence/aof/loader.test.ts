import { describe, expect, it } from "vitest";
import { encodeCommand, encodeCommands } from "../resp.js";
import {
  FIXTURE_RDB_LENGTH,
  decodedRecords,
  fixtureInfo,
  fixtureRdbPreamble,
  readFixture,
} from "../testing/fixtures.js";
import { AofError } from "./format.js";
import { type AofItem, AofReader, hasRdbPreamble, loadAof } from "./loader.js";

const RESP = "aof/resp/appendonlydir";
const PREAMBLE = "aof/preamble/appendonlydir";
const TRUNCATED = "negative/aof_truncated/appendonlydir";
const UNCLOSED = "negative/aof_unclosed_multi/appendonlydir";
const BASE = "appendonly.aof.2.base.aof";
const INCR = "appendonly.aof.2.incr.aof";

const respBase = readFixture(`resp/appendonlydir/${BASE}`);
const respIncr = readFixture(`resp/appendonlydir/${INCR}`);

const SET = (k: string, v: string) => encodeCommand(["SET", k, v]);
const MULTI = encodeCommand(["MULTI"]);
const EXEC = encodeCommand(["EXEC"]);

/** Loads and expects the error to be an AofError with this code and offset. */
function expectError(result: ReturnType<typeof loadAof>, code: AofError["code"], offset: number): AofError {
  expect(result.error).toBeInstanceOf(AofError);
  expect(result.error!.code).toBe(code);
  expect(result.error!.offset).toBe(offset);
  return result.error!;
}

describe("loadAof on files written by Redis 7.0.15", () => {
  it("reads a RESP base written by BGREWRITEAOF as the commands Redis logged", () => {
    const r = loadAof(respBase, { collect: true });
    expect(r.status).toBe("OK");
    expect(r.records).toEqual(decodedRecords(RESP, BASE));
    expect(r.validUpTo).toBe(respBase.length);
    expect(r.error).toBeNull();
    // redis-check-aof: ok_up_to_line=119, which is 1 + the lines it read.
    expect(r.lines).toBe(118);
  });

  it("reads an incremental file with transactions, binary values and SELECTs", () => {
    const r = loadAof(respIncr, { collect: true });
    expect(r.status).toBe("OK");
    expect(r.records).toEqual(decodedRecords(RESP, INCR));
    expect(r.commands).toBe(decodedRecords(RESP, INCR).filter((c) => c[0] !== "MULTI" && c[0] !== "EXEC").length);
  });

  it("delivers a transaction as one item, only once its EXEC has been read", () => {
    const items: AofItem[] = [];
    loadAof(respIncr, { onItem: (i) => items.push(i) });
    const txs = items.filter((i) => i.kind === "transaction");
    expect(txs.map((t) => (t.kind === "transaction" ? t.commands : []))).toEqual([
      [["SET", "m1", "a"], ["SET", "m2", "b"]],
      [["SET", "ev1", "1"], ["SET", "ev2", "2"]],
      [["DEL", "lazy"], ["SET", "lazy", "v2"]],
    ]);
    // Items tile the file: each starts where the previous ended.
    let at = 0;
    for (const i of items) {
      expect(i.start).toBe(at);
      at = i.end;
    }
    expect(at).toBe(respIncr.length);
  });

  it("detects the RDB preamble of an RDB base and leaves it to the caller", () => {
    const base = readFixture("preamble/appendonlydir/appendonly.aof.2.base.rdb");
    expect(hasRdbPreamble(base)).toBe(true);
    const r = loadAof(base);
    expect(r.status).toBe("FAILED");
    expect(r.rdbPreamble).toBe(true);
    expectError(r, "AOF_RDB_PREAMBLE", 0);
    // With the RDB decoder handed in, the base is the RDB and nothing after it.
    const decoded = loadAof(base, { rdbPreamble: fixtureRdbPreamble, collect: true });
    expect(decoded).toMatchObject({ status: "OK", rdbPreamble: true, respOffset: FIXTURE_RDB_LENGTH, records: [] });
  });

  it("reads the incremental file that follows an RDB base", () => {
    const r = loadAof(readFixture(`preamble/appendonlydir/${INCR}`), { collect: true });
    expect(r.status).toBe("OK");
    expect(r.records).toEqual(decodedRecords(PREAMBLE, INCR));
  });

  it("reads a pre-7.0 single file: RDB preamble, then RESP from where the RDB ends", () => {
    const old = readFixture("oldstyle_preamble.aof");
    const r = loadAof(old, { rdbPreamble: fixtureRdbPreamble, collect: true });
    expect(r.status).toBe("OK");
    expect(r.respOffset).toBe(FIXTURE_RDB_LENGTH);
    expect(r.records).toEqual(decodedRecords(PREAMBLE, INCR));
    expect(r.validUpTo).toBe(old.length);
    // The same, with the caller having decoded the preamble itself.
    const tail = loadAof(old, { startOffset: FIXTURE_RDB_LENGTH, collect: true });
    expect(tail.records).toEqual(r.records);
    expect(tail.validUpTo).toBe(old.length);
  });

  it("reports a bad preamble as FAILED with the decoder's error as the cause", () => {
    const old = readFixture("oldstyle_preamble.aof");
    const broken = old.slice(0, 5) + "9" + old.slice(6);
    const r = loadAof(broken, { rdbPreamble: fixtureRdbPreamble });
    expect(r.status).toBe("FAILED");
    expect(expectError(r, "AOF_BAD_PREAMBLE", 0).cause).toBeInstanceOf(Error);
  });

  it("loads a cut tail as TRUNCATED, valid up to the last whole command, as Redis does", () => {
    const info = fixtureInfo(TRUNCATED);
    const incr = readFixture(`negative/aof_truncated/appendonlydir/${INCR}`);
    const r = loadAof(incr, { collect: true });
    expect(r.status).toBe("TRUNCATED");
    expect(r.size).toBe(info.truncated_at_offset);
    expect(r.validUpTo).toBe(info.last_complete_command_ends_at);
    expect(r.validUpTo).toBe(1566);
    // redis-check-aof: "0x 62f: Expected to read 6 bytes, got 3 bytes", ok_up_to_line=448 (330 in this file).
    const e = expectError(r, "AOF_TRUNCATED", 0x62f);
    expect(e.reason).toBe("Expected to read 6 bytes, got 3 bytes");
    expect(r.records).toEqual(decodedRecords(RESP, INCR).slice(0, -1));
  });

  it("refuses a cut tail when aof-load-truncated is off", () => {
    const incr = readFixture(`negative/aof_truncated/appendonlydir/${INCR}`);
    const r = loadAof(incr, { loadTruncated: false });
    expect(r.status).toBe("FAILED");
    expectError(r, "AOF_TRUNCATED", 0x62f);
    expect(r.validUpTo).toBe(1566);
  });

  it("drops a MULTI with no EXEC at the end and treats the file as truncated before it", () => {
    const incr = readFixture(`negative/aof_unclosed_multi/appendonlydir/${INCR}`);
    const r = loadAof(incr, { collect: true });
    expect(r.status).toBe("TRUNCATED");
    expect(r.validUpTo).toBe(1609);
    expectError(r, "AOF_UNFINISHED_MULTI", 1609);
    expect(r.records).toEqual(decodedRecords(RESP, INCR));
    expect(fixtureInfo(UNCLOSED).redis_load_log_excerpt).toContain(
      "19326:M 24 Nov 2026 09:47:14.993 # !!! Truncating the AOF appendonly.aof.2.incr.aof at offset 1609 !!!",
    );
  });
});

describe("loadAof on chunked input", () => {
  const expected = decodedRecords(RESP, INCR);

  it("gives the same commands whatever byte the file is split at", () => {
    for (let cut = 0; cut <= respIncr.length; cut++) {
      const r = loadAof([respIncr.slice(0, cut), respIncr.slice(cut)], { collect: true });
      expect(r.status).toBe("OK");
      expect(r.records).toEqual(expected);
    }
  });

  it("reads a file fed one byte at a time", () => {
    const r = loadAof(respIncr.split(""), { collect: true });
    expect(r.records).toEqual(expected);
    expect(r.size).toBe(respIncr.length);
  });

  it("answers, for every prefix of a file, TRUNCATED and the end of the last whole item it holds", () => {
    const ends = [0];
    loadAof(respIncr, { onItem: (i) => ends.push(i.end) });
    for (let n = 1; n <= respIncr.length; n++) {
      const r = loadAof(respIncr.slice(0, n));
      const lastWhole = Math.max(...ends.filter((e) => e <= n));
      expect(r.validUpTo).toBe(lastWhole);
      expect(r.status).toBe(lastWhole === n ? "OK" : "TRUNCATED");
    }
  });
});

describe("loadAof on hand-made files", () => {
  it("calls a file of no bytes EMPTY", () => {
    expect(loadAof("")).toMatchObject({ status: "EMPTY", size: 0, validUpTo: 0, error: null });
    expect(loadAof([])).toMatchObject({ status: "EMPTY" });
  });

  it("accepts annotation lines and surfaces #TS timestamps", () => {
    const items: AofItem[] = [];
    const file = "#TS:1700000000\r\n" + SET("a", "1") + "#note\n" + "#TS:1700000005\r\n" + SET("b", "2");
    const r = loadAof(file, { collect: true, onItem: (i) => items.push(i) });
    expect(r.status).toBe("OK");
    expect(r.records).toEqual([["SET", "a", "1"], ["SET", "b", "2"]]);
    expect(r.lastTimestamp).toBe(1700000005);
    expect(items.filter((i) => i.kind === "annotation")).toEqual([
      { kind: "annotation", text: "TS:1700000000", timestamp: 1700000000, start: 0, end: 16 },
      { kind: "annotation", text: "note", timestamp: null, start: 43, end: 49 },
      { kind: "annotation", text: "TS:1700000005", timestamp: 1700000005, start: 49, end: 65 },
    ]);
  });

  it("calls a file with only annotations OK, with nothing to replay", () => {
    expect(loadAof("#TS:5\r\n", { collect: true })).toMatchObject({ status: "OK", records: [], lastTimestamp: 5 });
  });

  it("fails on bad bytes in the middle, with their offset, after delivering what came before", () => {
    const head = SET("a", "1");
    const r = loadAof(head + "garbage\r\n" + SET("b", "2"), { collect: true });
    expect(r.status).toBe("FAILED");
    expectError(r, "AOF_BAD_FORMAT", head.length);
    expect(r.validUpTo).toBe(head.length);
    expect(r.records).toEqual([["SET", "a", "1"]]);
  });

  it("fails on a bulk whose CRLF is missing rather than skipping it", () => {
    const head = SET("a", "1");
    const r = loadAof(head + "*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2XX" + SET("c", "3"));
    expect(r.status).toBe("FAILED");
    expect(expectError(r, "AOF_BAD_FORMAT", head.length + 24).reason).toBe("Expected \\r\\n, got: 5858");
    expect(r.validUpTo).toBe(head.length);
  });

  it("fails on an empty command, which Redis's loader refuses", () => {
    expect(loadAof("*0\r\n" + SET("a", "1")).status).toBe("FAILED");
  });

  it("fails on a nested MULTI and on an EXEC without MULTI", () => {
    const nested = loadAof(SET("a", "1") + MULTI + MULTI + SET("b", "2") + EXEC);
    expect(nested.status).toBe("FAILED");
    expect(expectError(nested, "AOF_BAD_FORMAT", 27 + 15).reason).toBe("Unexpected MULTI");
    expect(nested.validUpTo).toBe(27);
    const stray = loadAof(SET("a", "1") + EXEC);
    expect(expectError(stray, "AOF_BAD_FORMAT", 27).reason).toBe("Unexpected EXEC");
  });

  it("recognises multi and exec in any case", () => {
    const r = loadAof(encodeCommands([["multi"], ["SET", "a", "1"], ["Exec"]]), { collect: true });
    expect(r.records).toEqual([["MULTI"], ["SET", "a", "1"], ["EXEC"]]);
  });

  it("treats a file cut inside a transaction as truncated before its MULTI", () => {
    const head = SET("a", "1");
    const file = head + MULTI + SET("b", "2") + SET("c", "3").slice(0, 10);
    const r = loadAof(file, { collect: true });
    expect(r.status).toBe("TRUNCATED");
    expect(r.validUpTo).toBe(head.length);
    // The cut is in the payload of "SET" (8 bytes into the third record): "Expected to read 5 bytes, got 2 bytes".
    expect(expectError(r, "AOF_TRUNCATED", head.length + MULTI.length + 27 + 8).reason).toBe("Expected to read 5 bytes, got 2 bytes");
    expect(r.records).toEqual([["SET", "a", "1"]]);
  });

  it("refuses an annotation line longer than Redis's 1023-byte line buffer", () => {
    const r = loadAof(SET("a", "1") + "#" + "x".repeat(1100) + "\r\n");
    expect(r.status).toBe("FAILED");
    expectError(r, "AOF_BAD_FORMAT", 27);
    expect(loadAof("#" + "x".repeat(1020) + "\r\n").status).toBe("OK");
  });

  it("calls a short file that only begins like REDIS a format error, not a preamble", () => {
    expect(loadAof("REDI")).toMatchObject({ status: "FAILED", rdbPreamble: false });
    expect(loadAof("RESP")).toMatchObject({ status: "FAILED", rdbPreamble: false });
    expect(loadAof("REDIS")).toMatchObject({ status: "FAILED", rdbPreamble: true });
  });

  it("counts offsets from the start offset of a reader", () => {
    const reader = new AofReader(1000);
    reader.push(SET("a", "1"));
    expect(reader.next()).toMatchObject({ kind: "command", start: 1000, end: 1027 });
    expect(reader.finish()).toBeNull();
  });

  it("rejects a start offset past the end of the file", () => {
    expect(loadAof("abc", { startOffset: 10 }).status).toBe("FAILED");
  });
});
