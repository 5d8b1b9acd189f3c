import { describe, expect, it } from "vitest";
import { fixtureInfo, readFixture } from "../testing/fixtures.js";
import { AofError } from "./format.js";
import {
  type AofManifest,
  baseFileName,
  incrFileName,
  loadOrder,
  manifestFileName,
  parseManifest,
  serializeManifest,
  splitArgs,
} from "./manifest.js";

/** Parses and expects an AofError with this code, reason and line. */
function expectRefused(text: string, code: AofError["code"], reason: string, line: number, opts = {}): void {
  let err: unknown;
  try {
    parseManifest(text, opts);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(AofError);
  expect(err).toMatchObject({ code, reason, line });
}

const B = "file appendonly.aof.1.base.aof seq 1 type b\n";
const I1 = "file appendonly.aof.1.incr.aof seq 1 type i\n";
const I2 = "file appendonly.aof.2.incr.aof seq 2 type i\n";
const I3 = "file appendonly.aof.3.incr.aof seq 3 type i\n";

describe("parseManifest and serializeManifest", () => {
  for (const dir of ["resp", "preamble"]) {
    it(`read the ${dir} fixture's manifest and write it back byte for byte`, () => {
      const text = readFixture(`${dir}/appendonlydir/appendonly.aof.manifest`);
      expect(text).toBe(fixtureInfo(`aof/${dir}/appendonlydir`).manifest_text);
      const m = parseManifest(text);
      const ext = dir === "resp" ? "aof" : "rdb";
      expect(m).toEqual({
        base: { name: `appendonly.aof.2.base.${ext}`, seq: 2, type: "b" },
        incrs: [{ name: "appendonly.aof.2.incr.aof", seq: 2, type: "i" }],
        history: [],
      });
      expect(serializeManifest(m)).toBe(text);
    });
  }

  it("names files as Redis does", () => {
    expect(baseFileName(2, "rdb")).toBe("appendonly.aof.2.base.rdb");
    expect(baseFileName(7, "aof", "my.aof")).toBe("my.aof.7.base.aof");
    expect(incrFileName(3)).toBe("appendonly.aof.3.incr.aof");
    expect(manifestFileName()).toBe("appendonly.aof.manifest");
  });

  it("writes the base first, then history, then incremental files, and loads base then incrs", () => {
    const m: AofManifest = {
      base: { name: "b.rdb", seq: 4, type: "b" },
      incrs: [{ name: "i4", seq: 4, type: "i" }, { name: "i5", seq: 5, type: "i" }],
      history: [{ name: "old", seq: 3, type: "h" }],
    };
    expect(serializeManifest(m)).toBe("file b.rdb seq 4 type b\nfile old seq 3 type h\nfile i4 seq 4 type i\nfile i5 seq 5 type i\n");
    expect(parseManifest(serializeManifest(m))).toEqual(m);
    expect(loadOrder(m).map((f) => f.name)).toEqual(["b.rdb", "i4", "i5"]);
  });

  it("quotes a name that needs it and reads it back", () => {
    for (const name of ['my "odd" file', "tab\there", "\x01\xff", "spa ce"]) {
      const m: AofManifest = { base: { name, seq: 1, type: "b" }, incrs: [], history: [] };
      const text = serializeManifest(m);
      expect(text.startsWith('file "')).toBe(true);
      expect(parseManifest(text).base!.name).toBe(name);
    }
    expect(serializeManifest({ base: { name: "a\x01", seq: 1, type: "b" }, incrs: [], history: [] })).toBe('file "a\\x01" seq 1 type b\n');
  });

  it("accepts what Redis 7.0.15 accepts: comments, CRLF, keys in any order or case, extra pairs", () => {
    expect(parseManifest("# written by hand\n" + B.replace("\n", "\r\n") + "SEQ 1 FILE x TYPE i extra pair\n")).toEqual({
      base: { name: "appendonly.aof.1.base.aof", seq: 1, type: "b" },
      incrs: [{ name: "x", seq: 1, type: "i" }],
      history: [],
    });
  });

  it("accepts, as Redis 7.0.15 does, incremental files without a base and sequence numbers with holes", () => {
    expect(parseManifest(I1).base).toBeNull();
    expect(parseManifest(B + I1 + I3).incrs.map((f) => f.seq)).toEqual([1, 3]);
    // A manifest of comments only lists no files: Redis then starts a fresh AOF.
    expect(parseManifest("# nothing\n")).toEqual({ base: null, incrs: [], history: [] });
  });

  it("refuses, on request, a manifest without a base or with holes in the sequence", () => {
    expectRefused(I1, "AOF_MANIFEST_NO_BASE", "The AOF manifest has no base file", 1, { requireBase: true });
    expectRefused(B + I1 + I3, "AOF_MANIFEST_SEQUENCE_GAP", "Incremental file sequence jumps from 1 to 3", 3, { contiguous: true });
    expect(parseManifest(B + I1 + I2, { requireBase: true, contiguous: true }).incrs).toHaveLength(2);
  });

  // Each case was run against redis-server 7.0.15; the reason is the text it logged.
  const refused: [string, string, AofError["code"], string, number][] = [
    ["an empty file", "", "AOF_MANIFEST_EMPTY", "Found an empty AOF manifest", 0],
    ["incremental sequences out of order", B + I3 + I2, "AOF_MANIFEST_BAD_SEQUENCE", "Found a non-monotonic sequence number", 3],
    ["a repeated incremental sequence", B + I2 + I2, "AOF_MANIFEST_BAD_SEQUENCE", "Found a non-monotonic sequence number", 3],
    ["two bases", B + "file b.aof seq 2 type b\n", "AOF_MANIFEST_DUPLICATE_BASE", "Found duplicate base file information", 2],
    ["an empty line", B + "\n" + I1, "AOF_MANIFEST_BAD_FORMAT", "Invalid AOF manifest file format", 2],
    ["sequence 0", "file a seq 0 type b\n", "AOF_MANIFEST_BAD_FORMAT", "Invalid AOF manifest file format", 1],
    ["an unknown type", "file a seq 1 type x\n", "AOF_MANIFEST_BAD_FORMAT", "Unknown AOF file type", 1],
    ["a path for a name", "file ../a.aof seq 1 type b\n", "AOF_MANIFEST_BAD_FORMAT", "File can't be a path, just a filename", 1],
    ["a Windows path for a name", 'file "a\\\\b" seq 1 type b\n', "AOF_MANIFEST_BAD_FORMAT", "File can't be a path, just a filename", 1],
    ["an odd number of words", "file a seq 1 type b extra\n", "AOF_MANIFEST_BAD_FORMAT", "Invalid AOF manifest file format", 1],
    ["a missing key", "file a seq 1 kind b\n", "AOF_MANIFEST_BAD_FORMAT", "Invalid AOF manifest file format", 1],
    ["a last line without newline", B + "file a seq 2 type i", "AOF_MANIFEST_BAD_FORMAT", "The AOF manifest file contains too long line", 2],
    ["a line over 1024 bytes", `file ${"a".repeat(1020)} seq 1 type b\n`, "AOF_MANIFEST_BAD_FORMAT", "The AOF manifest file contains too long line", 1],
    ["an unbalanced quote", 'file "a seq 1 type b\n', "AOF_MANIFEST_BAD_FORMAT", "Invalid AOF manifest file format", 1],
  ];
  for (const [what, text, code, reason, line] of refused) {
    it(`refuses ${what} as Redis does`, () => expectRefused(text, code, reason, line));
  }

  it("gives the offset of the refused line", () => {
    try {
      parseManifest(B + I3 + I2);
    } catch (e) {
      expect((e as AofError).offset).toBe(B.length + I3.length);
    }
    expect.assertions(1);
  });
});

describe("splitArgs", () => {
  it("splits on whitespace", () => {
    expect(splitArgs("  a  bb\tccc ")).toEqual(["a", "bb", "ccc"]);
    expect(splitArgs("")).toEqual([]);
  });

  it("reads double quotes with escapes, and single quotes with only \\'", () => {
    expect(splitArgs('"a b" "x\\"y" "\\x41\\n\\t\\z"')).toEqual(["a b", 'x"y', "A\n\tz"]);
    expect(splitArgs("'it\\'s' 'a\\nb'")).toEqual(["it's", "a\\nb"]);
  });

  it("joins a quoted part to the word it starts in", () => {
    expect(splitArgs('ab"c d"')).toEqual(["abc d"]);
  });

  it("refuses unbalanced quotes and a closing quote followed by a letter", () => {
    expect(splitArgs('"abc')).toBeNull();
    expect(splitArgs("'abc")).toBeNull();
    expect(splitArgs('"a"b')).toBeNull();
  });
});
