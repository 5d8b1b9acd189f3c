import { describe, expect, it } from "vitest";
import { monitorLine, repr } from "./monitor.js";

describe("MONITOR lines", () => {
  it("quote each argument and escape as Redis's sdscatrepr does", () => {
    expect(repr('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(repr("\n\r\t\x07\b")).toBe('"\\n\\r\\t\\a\\b"');
    expect(repr("\x00\xff\x7f")).toBe('"\\x00\\xff\\x7f"');
  });
  it("start with seconds and microseconds, then the db and the client", () => {
    expect(monitorLine(1339518083107, "127.0.0.1:60866", ["keys", "*"])).toBe('1339518083.107000 [0 127.0.0.1:60866] "keys" "*"');
    expect(monitorLine(5, "lua", ["set", "k", "v"])).toBe('0.005000 [0 lua] "set" "k" "v"');
  });
});
