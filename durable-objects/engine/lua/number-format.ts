// C's printf %.<p>g for doubles, as glibc prints them: Lua 5.1's tostring (%.14g), redis.call's
// number arguments (%.17g), cjson's numbers (%.14g).

const nanView = new Float64Array(1);
const nanBits = new Uint32Array(nanView.buffer);
const HIGH = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

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
  const exp = n.toExponential(p - 1); // d.ddd…e±X, correctly rounded
  const ePos = exp.indexOf("e");
  const x = Number(exp.slice(ePos + 1));
  if (x < -4 || x >= p) {
    let mant = exp.slice(0, ePos);
    if (mant.includes(".")) mant = mant.replace(/0+$/, "").replace(/\.$/, "");
    const ax = Math.abs(x);
    return `${mant}e${x < 0 ? "-" : "+"}${ax < 10 ? "0" : ""}${ax}`;
  }
  let fixed = n.toFixed(p - 1 - x);
  if (fixed.includes(".")) fixed = fixed.replace(/0+$/, "").replace(/\.$/, "");
  return fixed;
}
