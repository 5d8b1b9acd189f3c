// Default Redis configuration from wrangler vars: a var named after a Redis parameter in capitals
// with underscores (APPENDFSYNC → appendfsync, AUTO_AOF_REWRITE_MIN_SIZE → auto-aof-rewrite-min-size)
// sets it. CONFIG SET overrides them at runtime and each shard keeps its overrides in its own storage.

import { isConfigParam } from "./engine/config.js";

/** The worker's largest single argument when MAX_RECORD_BYTES is not set (Upstash's 10 MB). */
export const DEFAULT_MAX_RECORD_BYTES = 10 * 1024 * 1024;

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
  // No value may grow past what a request could carry in one argument: a 60-byte SETRANGE must not
  // make a value that no request could have sent, nor that the shard's 128 MB could hold (Redis's own
  // default, 512 MB, is four times that). PROTO_MAX_BULK_LEN, when set, wins.
  if (out["proto-max-bulk-len"] === undefined) {
    const record = (env as { MAX_RECORD_BYTES?: unknown }).MAX_RECORD_BYTES;
    out["proto-max-bulk-len"] = String(Number(record) > 0 ? Number(record) : DEFAULT_MAX_RECORD_BYTES);
  }
  return out;
}
