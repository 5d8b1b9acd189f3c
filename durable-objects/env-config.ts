// Default Redis configuration from wrangler vars (APPENDFSYNC → appendfsync, …). CONFIG SET
// overrides them at runtime and each shard keeps its overrides in its own storage.

const VAR_TO_PARAM: Record<string, string> = {
  APPENDONLY: "appendonly",
  APPENDFSYNC: "appendfsync",
  AOF_USE_RDB_PREAMBLE: "aof-use-rdb-preamble",
  AOF_LOAD_TRUNCATED: "aof-load-truncated",
  AOF_RETAIN_BASES: "aof-retain-bases",
  SAVE: "save",
  MAXMEMORY: "maxmemory",
  MAXMEMORY_POLICY: "maxmemory-policy",
  DIR: "dir",
  DBFILENAME: "dbfilename",
};

export function configFromEnv(env: object): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, param] of Object.entries(VAR_TO_PARAM)) {
    const v = (env as Record<string, unknown>)[name];
    if (typeof v === "string") out[param] = v;
  }
  return out;
}
