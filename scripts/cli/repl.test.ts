// How `cli` prints replies: redis-cli's formats, for the shapes the server test's session lacks.

import { describe, expect, it } from "vitest";
import { formatRaw, formatTty, quoted } from "./repl.js";

describe("cli's reply formats", () => {
  it("quotes bulk strings as redis-cli does: printable ASCII as is, escapes, \\xHH for the rest", () => {
    expect(quoted('a "b"\\\n\r\t\x07\x08\x00\x7f\xff')).toBe('"a \\"b\\"\\\\\\n\\r\\t\\a\\b\\x00\\x7f\\xff"');
  });

  it("numbers nested arrays under their parent's prefix, as redis-cli prints EVAL's {1,{2,'x'},{}}", () => {
    expect(formatTty([1, [2, "x"], []])).toBe('1) (integer) 1\n2) 1) (integer) 2\n   2) "x"\n3) (empty array)');
  });

  it("pads indexes to the widest, nested ones included", () => {
    const inner = Array.from({ length: 10 }, (_, i) => String(i));
    const out = formatTty([null, inner]).split("\n");
    expect(out.slice(0, 3)).toEqual(["1) (nil)", '2)  1) "0"', '    2) "1"']);
    expect(out.at(-1)).toBe('   10) "9"');
  });

  it("prints raw replies as redis-cli --raw does: errors with a blank line after, nil as nothing", () => {
    expect(formatRaw([{ status: "OK" }, null, 7n, "v"])).toBe("OK\n\n7\nv");
    expect(formatRaw({ error: "ERR x" })).toBe("ERR x\n");
    expect(formatTty({ error: "ERR x" })).toBe("(error) ERR x");
    expect(formatTty(12345678901234567890n)).toBe("(integer) 12345678901234567890");
  });
});
