// C's printf %.<p>g for doubles, as glibc prints them: Lua 5.1's tostring (%.14g), redis.call's
// number arguments (%.17g), cjson's numbers (%.14g).

const nanView = new Float64Array(1);
const nanBits = new Uint32Array(nanView.buffer);
const HIGH = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** x.toFixed(p) with C's rounding: an exact tie goes to the even digit (JavaScript rounds it up). */
export function toFixedEven(x: number, p: number): string {
  const s = x.toFixed(p);
  if (!Number.isFinite(x) || Math.abs(x) >= 1e21) return s;
  const long = x.toFixed(Math.min(100, p + 30));
  const dot = long.indexOf(".");
  const cut = dot + 1 + p;
  if (!/^50*$/.test(long.slice(cut))) return s;
  const down = long.slice(0, p === 0 ? dot : cut);
  return Number(down[down.length - 1]) % 2 === 0 ? down : s;
}

/** x.toExponential(p) with C's rounding of exact ties to even. */
export function toExponentialEven(x: number, p: number): string {
  const s = x.toExponential(p);
  if (!Number.isFinite(x) || x === 0) return s;
  const long = x.toExponential(Math.min(100, p + 30));
  const e = long.indexOf("e");
  const mant = long.slice(0, e);
  const dot = mant.indexOf(".");
  const cut = p === 0 ? (dot === -1 ? mant.length : dot) : dot + 1 + p;
  const tail = mant.slice(p === 0 ? cut + 1 : cut);
  if (!/^50*$/.test(tail)) return s;
  const down = mant.slice(0, cut);
  return Number(down[down.length - 1]) % 2 === 0 ? down + long.slice(e) : s;
}

export function formatG(n: number, precision: number): string {
  // glibc prints a NaN's sign: x86-64's 0/0 (in C and in JavaScript alike) has it set, "-nan".
  if (Number.isNaN(n)) {
    nanView[0] = n;
    return nanBits[HIGH] >>> 31 ? "-nan" : "nan";
  }
  if (n === Infinity) return "inf";
  if (n === -Infinity) return "-inf";
  if (n === 0) return Object.is(n, -0) ? "-0" : "0";
  const p = precision === 0 ? 1 : precision;
  // Whole numbers with at most p digits print as themselves.
  if (Number.isInteger(n) && Math.abs(n) < 10 ** p && Math.abs(n) <= Number.MAX_SAFE_INTEGER) return String(n);
  const exp = toExponentialEven(n, p - 1); // d.ddd…e±X, rounded as C does
  const ePos = exp.indexOf("e");
  const x = Number(exp.slice(ePos + 1));
  if (x < -4 || x >= p) {
    let mant = exp.slice(0, ePos);
    if (mant.includes(".")) mant = mant.replace(/0+$/, "").replace(/\.$/, "");
    const ax = Math.abs(x);
    return `${mant}e${x < 0 ? "-" : "+"}${ax < 10 ? "0" : ""}${ax}`;
  }
  let fixed = toFixedEven(n, p - 1 - x);
  if (fixed.includes(".")) fixed = fixed.replace(/0+$/, "").replace(/\.$/, "");
  return fixed;
}
