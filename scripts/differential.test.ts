// The differential test: 10,000 seeded random commands per run over every family, on our engine and on
// a real redis-server 7, every reply and every touched key compared (see scripts/differential.ts).
// Needs Debian's redis-server; under CI=true its absence fails the suite.
import { afterAll, beforeAll, describe, it } from "vitest";
import { type Connection, findRedis, formatCoverage, formatResult, runDifferential, startReference } from "./differential.js";

const missing = findRedis() === null;
const required = process.env.CI === "true";

describe.skipIf(missing && !required)("differential test against redis-server 7", () => {
  let ref: Awaited<ReturnType<typeof startReference>>;
  let conn: Connection;
  beforeAll(async () => {
    ref = await startReference();
    if (!ref) throw new Error("redis-server is required under CI: apt-get install -y redis-server");
    conn = ref.conn;
  }, 30_000);
  afterAll(async () => {
    await ref?.stop();
  });

  // Redis's default encoding thresholds, and small ones so that listpack/intset → hashtable/skiplist
  // transitions happen all the time.
  const runs: [number, "default" | "small"][] = [
    [1, "default"],
    [2, "small"],
    [3, "default"],
  ];
  for (const [seed, profile] of runs) {
    it(`seed ${seed} (${profile} encoding thresholds): 10,000 commands answer as Redis answers and leave the same data`, async () => {
      const result = await runDifferential(conn, { seed, count: 10_000, profile });
      console.log(`${formatResult(result, { limit: 0 })}\n${formatCoverage(result)}`);
      if (result.mismatches.length > 0) throw new Error(formatResult(result, { limit: 20 }));
    }, 120_000);
  }
});
