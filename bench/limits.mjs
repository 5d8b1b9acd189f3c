// Limits (issue 14): the glob matcher on the pattern class of CVE-2022-36021, our SSCAN beside
// redis-server's same SSCAN in the same run.
import { Engine, findBinary, startRedis } from "./.build/lib.mjs";

const MEMBER = "a".repeat(1000);
const PATTERN = "*a".repeat(20) + "b"; // no match: a backtracking matcher tries every split

/** The median of `runs` timings of fn, in ms. */
async function medianMs(runs, fn) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

export async function limitsBench(report) {
  const e = new Engine();
  e.execute(["SADD", "s", MEMBER]);
  const argv = ["SSCAN", "s", "0", "MATCH", PATTERN];
  const ours = await medianMs(21, () => e.execute(argv));
  let theirs = "—";
  const bin = findBinary("redis-server");
  if (bin) {
    const redis = await startRedis(bin, ["--appendonly", "no"]);
    try {
      await redis.client.call("SADD", "s", MEMBER);
      theirs = (await medianMs(21, () => redis.client.call(...argv))).toFixed(3);
    } finally {
      await redis.stop();
    }
  }
  report.table("Limits: glob matching (SSCAN MATCH of 20 `*a` + `b` against one 1,000-byte member)", ["matcher", "ms (median of 21)"],
    [["ours (engine, in process)", ours.toFixed(3)], ["redis-server 7.0 (over loopback, round trip included)", theirs]],
    "Issue 14 asks for under 10 ms. The backtracking matcher it replaced took 2.9 s for 8 `*a` against 40 bytes (issue 14), each `*a` multiplying it.");
}
