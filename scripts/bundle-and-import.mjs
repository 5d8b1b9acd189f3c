// How the Node scripts run the project's TypeScript without a build step: esbuild bundles an entry
// into one ES module for Node, and the script imports it.
import { execFileSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The repository's root (this file is in scripts/). */
export const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Bundles `entry` (a path from the repository root, or an absolute one) into `outfile`, an ES module
 * for Node. `flags` are more esbuild flags (a banner, `--packages=external`).
 */
export function bundle(entry, outfile, flags = []) {
  const args = [resolve(root, entry), "--bundle", "--format=esm", "--platform=node", `--outfile=${outfile}`, "--log-level=warning", ...flags];
  execFileSync(join(root, "node_modules/.bin/esbuild"), args, { stdio: "inherit" });
}

/** Bundles `entry` into `outfile` (as `bundle` does) and imports it. */
export async function bundleAndImport(entry, outfile, flags = []) {
  bundle(entry, outfile, flags);
  return import(pathToFileURL(outfile).href);
}
