// Default Redis configuration from wrangler vars: a var named after a Redis parameter in capitals
// with underscores (APPENDFSYNC → appendfsync, AUTO_AOF_REWRITE_MIN_SIZE → auto-aof-rewrite-min-size)
// sets it. CONFIG SET overrides them at runtime and each shard keeps its overrides in its own storage.

import { isConfigParam } from "./engine/config.js";

/** The var a parameter is read from: `aof-use-rdb-preamble` → `AOF_USE_RDB_PREAMBLE`. */
export function varName(param: string): string {
  return param.toUpperCase().replace(/-/g, "_");
}

export function configFromEnv(env: object): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(env)) {
    if (typeof v !== "string" || name !== name.toUpperCase()) continue;
    const param = name.toLowerCase().replace(/_/g, "-");
    if (isConfigParam(param)) out[param] = v;
  }
  return out;
}
