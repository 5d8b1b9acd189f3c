// INFO persistence: Redis 7's fields in Redis's order, then durable-redis's own. The save in
// progress is a forkless cut, so "copy on write" is what the cut copied before a write changed it,
// and the fork's progress is the cut's.

import type { AofManager } from "./aof-manager.js";
import type { BackgroundJobs } from "./background-jobs.js";
import type { Recovery } from "./recovery.js";
import type { SnapshotManager } from "./snapshot-manager.js";

export function persistenceInfo(aof: AofManager, snapshots: SnapshotManager, recovery: Recovery, jobs: BackgroundJobs): [string, string | number][] {
  const cut = snapshots.inProgress?.cut ?? aof.rewriteCut;
  return [
    ["loading", recovery.loading ? 1 : 0],
    ["async_loading", 0],
    ["current_cow_peak", cut?.copiedBytes ?? 0],
    ["current_cow_size", cut?.copiedBytes ?? 0],
    ["current_cow_size_age", 0],
    ["current_fork_perc", cut && cut.total > 0 ? ((cut.emittedKeys * 100) / cut.total).toFixed(2) : "0.00"],
    ["current_save_keys_processed", cut?.emittedKeys ?? 0],
    ["current_save_keys_total", cut?.total ?? 0],
    ...snapshots.info(),
    ...recovery.rdbLoadInfo(),
    ...aof.info(jobs.rewriteScheduled),
    ...recovery.loadingInfo(),
    // durable-redis's own: snapshots kept in R2, log rows written, how long the last load took,
    // WAITAOF calls and requests made durable by their header.
    ["rdb_snapshots", snapshots.snapshots.length],
    ["aof_rows_written", aof.rowsWritten],
    ["loading_last_duration_sec", recovery.lastLoadDuration],
    ["aof_waitaof_calls", aof.waitaofCalls],
    ["aof_durable_requests", aof.durableRequests],
  ];
}
