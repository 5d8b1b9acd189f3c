import { describe, expect, it } from "vitest";
import { testShard } from "./testing.js";

/** Lets the jobs run to their end (the in-memory stores answer at once: a few turns are enough). */
async function settle(s: ReturnType<typeof testShard>): Promise<void> {
  for (let i = 0; i < 100 && (s.snapshots.inProgress || s.aof.rewriteInProgress || s.jobs.saveScheduled || s.jobs.rewriteScheduled); i++) {
    s.runTimers();
    await new Promise((r) => setTimeout(r, 0));
  }
}

const infoField = (s: ReturnType<typeof testShard>, name: string) => new RegExp(`\r\n${name}:([^\r]*)\r\n`).exec(s.run("INFO", "persistence") as string)?.[1];

describe("background jobs: SAVE, BGSAVE and BGREWRITEAOF as Redis answers them", () => {
  it("BGSAVE SCHEDULE during a rewrite is scheduled, and the save starts when the rewrite ends", async () => {
    const s = testShard({ "aof-use-rdb-preamble": "no" });
    for (let i = 0; i < 200; i++) s.run("SET", `k${i}`, "v");
    expect(s.run("BGREWRITEAOF")).toEqual({ status: "Background append only file rewriting started" });
    expect(s.run("BGSAVE")).toEqual({
      error: "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
    });
    expect(s.run("BGSAVE", "SCHEDULE")).toEqual({ status: "Background saving scheduled" });
    expect(s.run("BGREWRITEAOF")).toEqual({ error: "ERR Background append only file rewriting already in progress" });
    expect(s.snapshots.inProgress).toBe(null);
    s.runTimers(); // the rewrite's slices, to its end
    expect(s.aof.rewriteInProgress).toBe(false);
    expect(s.aof.rewrites).toBe(1);
    await settle(s);
    expect(s.jobs.saveScheduled).toBe(false);
    expect(s.snapshots.snapshots).toHaveLength(1);
    expect(s.snapshots.saves).toBe(1);
  });

  it("BGREWRITEAOF during a BGSAVE is scheduled (aof_rewrite_scheduled:1) and runs when the save ends", async () => {
    const s = testShard({ "aof-use-rdb-preamble": "yes" });
    s.run("SET", "a", "1");
    expect(s.run("BGSAVE")).toEqual({ status: "Background saving started" });
    expect(s.run("BGSAVE")).toEqual({ error: "ERR Background save already in progress" });
    expect(s.run("BGREWRITEAOF")).toEqual({ status: "Background append only file rewriting scheduled" });
    expect(infoField(s, "aof_rewrite_scheduled")).toBe("1");
    expect(s.aof.rewriteInProgress).toBe(false);
    await settle(s);
    expect(infoField(s, "aof_rewrite_scheduled")).toBe("0");
    expect(s.aof.lastRewriteOk).toBe(true);
    expect(s.aof.rewrites).toBe(1);
    expect(s.aof.manifest.base.kind).toBe("rdb");
    expect(s.snapshots.snapshots.map((r) => r.aofBase)).toEqual([false, true]);
  });

  it("SAVE answers OK once stored, and the error when the store fails; a second SAVE during one is refused", async () => {
    const s = testShard({ appendonly: "no" });
    s.run("SET", "a", "1");
    const ok = s.engine.executeBatch([["SAVE"], ["SAVE"]]);
    expect(ok).toEqual([{ status: "OK" }, { error: "ERR Background save already in progress" }]);
    expect(s.engine.settleSaves(ok, await s.jobs.blockingSaveEnded())).toEqual([{ status: "OK" }, { error: "ERR Background save already in progress" }]);
    expect(s.snapshots.saves).toBe(1);
    s.stores.snapshots.failUploads = new Error("R2 500 (injected)");
    const failed = s.engine.executeBatch([["SET", "b", "2"], ["SAVE"]]);
    expect(s.engine.settleSaves(failed, await s.jobs.blockingSaveEnded())).toEqual([{ status: "OK" }, { error: "ERR R2 500 (injected)" }]);
    expect(s.snapshots.lastOk).toBe(false);
  });

  it("turning the AOF on while a save runs schedules the first base after it; recovery ignores the log until then", async () => {
    const s = testShard({ appendonly: "no", "aof-use-rdb-preamble": "yes" });
    s.run("SET", "a", "1");
    expect(s.run("BGSAVE")).toEqual({ status: "Background saving started" });
    expect(s.run("CONFIG", "SET", "appendonly", "yes")).toEqual({ status: "OK" });
    s.jobs.appendonlyChanged(true);
    expect(s.aof.manifest.waitingForBase).toBe(true);
    expect(s.jobs.rewriteScheduled).toBe(true);
    await settle(s);
    expect(s.aof.manifest.waitingForBase).toBeUndefined();
    expect(s.aof.manifest.base.kind).toBe("rdb");
  });
});
