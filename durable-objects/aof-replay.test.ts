import { describe, expect, it } from "vitest";
import { binaryToBytes } from "./engine/bytes.js";
import { testEngine } from "./engine/testing.js";
import { encodeCommands } from "./persistence/resp.js";
import type { SegmentRow } from "./persistence/sqlite-aof-store.js";
import { replayAof } from "./aof-replay.js";

/** Stored rows holding these byte strings, numbered from `firstSeq`. */
const rows = (texts: string[], firstSeq = 1): SegmentRow[] => texts.map((t, i) => ({ seq: firstSeq + i, data: binaryToBytes(t), valid: true, createdMs: 0 }));
const SET_A = encodeCommands([["SET", "a", "1"]]); // 27 bytes
const SET_B = encodeCommands([["SET", "b", "2"]]);

describe("replaying a stored log: one AofLoadResult with codes and offsets", () => {
  it("OK: every record replayed, valid up to the end, no error", () => {
    const { engine } = testEngine();
    const r = replayAof(engine, rows([SET_A, SET_B]));
    expect(r).toMatchObject({ status: "OK", size: 54, validUpTo: 54, commands: 2, error: null });
    expect(r.truncateAt).toBeUndefined();
    expect(engine.execute(["MGET", "a", "b"])).toEqual(["1", "2"]);
  });

  it("EMPTY: no rows", () => {
    expect(replayAof(testEngine().engine, [])).toMatchObject({ status: "EMPTY", size: 0, validUpTo: 0, commands: 0, error: null });
  });

  it("a record cut short at the end is TRUNCATED (AOF_TRUNCATED), valid up to the last whole record, with the row and bytes to keep", () => {
    const r = replayAof(testEngine().engine, rows([SET_A, SET_B.slice(0, 10)], 7));
    expect(r).toMatchObject({ status: "TRUNCATED", validUpTo: 27, commands: 1, truncateAt: { seq: 7, keep: 27 } }); // the rows after it go
    expect(r.error?.code).toBe("AOF_TRUNCATED");
  });

  it("a record split over two rows and cut in the second keeps the first row whole", () => {
    const r = replayAof(testEngine().engine, rows([SET_A + SET_B.slice(0, 5), SET_B.slice(5, 12)]));
    expect(r).toMatchObject({ status: "TRUNCATED", validUpTo: 27, truncateAt: { seq: 1, keep: 27 } });
  });

  it("a last row whose checksum does not match is a torn tail: TRUNCATED with AOF_BAD_CHECKSUM; before the last, FAILED", () => {
    const torn = rows([SET_A, SET_B]);
    torn[1].valid = false;
    const r = replayAof(testEngine().engine, torn);
    expect(r).toMatchObject({ status: "TRUNCATED", validUpTo: 27, truncateAt: { seq: 1, keep: 27 } });
    expect([r.error?.code, r.error?.reason]).toEqual(["AOF_BAD_CHECKSUM", "bad checksum in segment 2"]);
    const damaged = rows([SET_A, SET_B]);
    damaged[0].valid = false;
    const f = replayAof(testEngine().engine, damaged);
    expect(f).toMatchObject({ status: "FAILED", commands: 0 });
    expect([f.error?.code, f.error?.offset]).toEqual(["AOF_BAD_CHECKSUM", 0]);
  });

  it("an unknown command or a wrong arity stops the load: FAILED, AOF_UNKNOWN_COMMAND at the record's offset", () => {
    const unknown = replayAof(testEngine().engine, rows([SET_A + encodeCommands([["NOSUCH", "x"]])]));
    expect(unknown).toMatchObject({ status: "FAILED", commands: 1 });
    expect([unknown.error?.code, unknown.error?.offset, unknown.error?.reason]).toEqual([
      "AOF_UNKNOWN_COMMAND",
      27,
      "Unknown command 'NOSUCH' reading the append only file (ERR unknown command 'NOSUCH', with args beginning with: 'x' )",
    ]);
    const arity = replayAof(testEngine().engine, rows([encodeCommands([["GET"]])]));
    expect([arity.error?.code, arity.error?.reason]).toEqual(["AOF_UNKNOWN_COMMAND", "Unknown command 'GET' reading the append only file (ERR wrong number of arguments for 'get' command)"]);
  });

  it("a command's own error reply does not stop the load (as Redis's loader)", () => {
    const { engine } = testEngine();
    const r = replayAof(engine, rows([SET_A + encodeCommands([["INCR", "a"], ["LPUSH", "a", "x"]]) + SET_B]));
    expect(r).toMatchObject({ status: "OK", commands: 4, error: null });
    expect(engine.execute(["MGET", "a", "b"])).toEqual(["2", "2"]);
  });

  it("SELECT of another database: FAILED, AOF_BAD_SELECT", () => {
    const r = replayAof(testEngine().engine, rows([encodeCommands([["SELECT", "0"], ["SET", "a", "1"], ["SELECT", "3"]])]));
    expect(r).toMatchObject({ status: "FAILED", commands: 1 });
    expect([r.error?.code, r.error?.reason]).toEqual(["AOF_BAD_SELECT", "SELECT 3: only database 0 exists"]);
  });

  it("a MULTI with no EXEC at the end: TRUNCATED (AOF_UNFINISHED_MULTI), valid up to the MULTI, its commands not run", () => {
    const { engine } = testEngine();
    const r = replayAof(engine, rows([SET_A + encodeCommands([["MULTI"], ["SET", "b", "2"]])]));
    expect(r).toMatchObject({ status: "TRUNCATED", validUpTo: 27, commands: 1, truncateAt: { seq: 1, keep: 27 } });
    expect(r.error?.code).toBe("AOF_UNFINISHED_MULTI");
    expect(engine.execute(["EXISTS", "b"])).toBe(0);
  });
});
