// What the bench runs, built from a checkout: the worker (dist/) and the engine and persistence bundled
// for Node (bench/.build/lib.mjs). `cwd` is this checkout, or an older commit's for the A/B (bench/ab.mjs).
import { execFileSync } from "node:child_process";

// The banner gives the bundle a require() for the Node built-ins that CommonJS dependencies (fengari) ask for.
const BANNER = "--banner:js=import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

export function buildForBench(cwd = ".") {
  execFileSync("npm", ["run", "build", "--silent"], { cwd, stdio: ["ignore", "ignore", "inherit"] });
  execFileSync("npx", ["esbuild", "bench/entry.ts", "--bundle", "--format=esm", "--platform=node", "--outfile=bench/.build/lib.mjs", "--log-level=warning", BANNER], {
    cwd,
    stdio: "inherit",
  });
}
