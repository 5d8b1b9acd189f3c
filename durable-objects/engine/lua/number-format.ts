// C's printf %.<p>g for doubles, as glibc prints them: Lua 5.1's tostring (%.14g), redis.call's
// number arguments (%.17g), cjson's numbers (%.14g).

export function formatG(n: number, precision: number): string {
  if (Number.isNaN(n)) return "-nan"; // glibc on x86-64: the NaN that 0/0 gives has its sign bit set
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
