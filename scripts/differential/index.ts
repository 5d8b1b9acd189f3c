// Differential tests of the engine against a real redis-server 7: seeded streams of random commands,
// each run in-process on our Engine and over a socket on Redis, every reply and every written key
// compared. One file per command family's generators (strings.ts … geo.ts, on the kit in gen.ts),
// the weighted stream over them (command-stream.ts), the run (run.ts: replies.ts, state.ts and
// compare.ts say how things are compared), and its reports (report.ts). The stream and
// keyspace-notification differentials (streams.ts, notify.ts) run on their own. The CLIs
// (scripts/differential*-cli.mjs) and the tests beside these files use this index.

export { CommandStream, GENERATORS, familyOf } from "./command-stream.js";
export { type CommandGen, type Family, Gen, KEY_SPACE } from "./gen.js";
export { show } from "./replies.js";
export { findRedis, startReference } from "./reference.js";
export { PROFILES, type Coverage, type DiffOptions, type DiffResult, type HistoryEntry, type Mismatch, type MismatchKind, runDifferential } from "./run.js";
export { formatCoverage, formatHistory, formatMismatch, formatResult, formatSummary } from "./report.js";
export { formatStreamResult, runStreamDifferential } from "./streams.js";
export { formatNotifyResult, runNotifyDifferential } from "./notify.js";
export { RespClient } from "../../durable-objects/persistence/testing/resp-client.js";
export { findBinary, startRedis } from "../../durable-objects/persistence/testing/redis.js";
