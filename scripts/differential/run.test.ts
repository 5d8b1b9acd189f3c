// The differential test: 10,000 seeded random commands per run over every family, on our engine and on
// a real redis-server 7, every reply and every touched key compared (see scripts/differential/).
// Needs Debian's redis-server; under CI=true its absence fails the suite.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine } from "../../durable-objects/engine/engine.js";
import type { RespClient } from "../../durable-objects/persistence/testing/resp-client.js";
import { CommandStream, GENERATORS, findRedis, formatCoverage, formatResult, formatSummary, runDifferential, show, startReference } from "./index.js";

const missing = findRedis() === null;
const required = process.env.CI === "true";

describe.skipIf(missing && !required)("differential test against redis-server 7", () => {
  let ref: Awaited<ReturnType<typeof startReference>>;
  let conn: RespClient;
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
  it("seed 4 (geo commands only): 3,000 geo commands answer as Redis answers and leave the same data", async () => {
    const result = await runDifferential(conn, { seed: 4, count: 3_000, families: ["geo"] });
    if (result.mismatches.length > 0) throw new Error(`${formatSummary([result], 20)}\n\nin order:\n${formatResult(result, { limit: 20 })}`);
  }, 120_000);

  for (const [seed, profile] of runs) {
    it(`seed ${seed} (${profile} encoding thresholds): 10,000 commands answer as Redis answers and leave the same data`, async () => {
      const result = await runDifferential(conn, { seed, count: 10_000, profile });
      console.log(`${formatResult(result, { limit: 0 })}\n${formatCoverage(result)}`);
      // One example per family, kind and command (so one noisy kind does not hide the others), then the
      // first mismatches in order.
      if (result.mismatches.length > 0) throw new Error(`${formatSummary([result], 20)}\n\nin order:\n${formatResult(result, { limit: 20 })}`);
    }, 120_000);
  }
});

describe("the command stream", () => {
  const knows = (name: string) => new Engine().lookup(name) !== undefined;

  it("is the same for the same seed and differs for another", () => {
    const take = (seed: number) => {
      const s = new CommandStream(seed, knows);
      return Array.from({ length: 200 }, () => s.next());
    };
    expect(take(7)).toEqual(take(7));
    expect(take(7)).not.toEqual(take(8));
  });

  it("only names commands the engine knows, and says which generators wait for one", () => {
    const s = new CommandStream(1, (name) => name !== "lcs" && knows(name));
    for (let i = 0; i < 2000; i++) expect(knows(s.next()[0])).toBe(true);
    expect(s.missing).toContain("strings:lcs");
    expect(GENERATORS.every((g) => g.name === g.name.toLowerCase())).toBe(true);
  });

  it("prints replies unambiguously, bytes escaped", () => {
    expect(show([null, 1, 2n ** 70n, "a\"b\x00\xff", { status: "OK" }, { error: "ERR x" }, []])).toBe(
      '[(nil), (integer) 1, (integer) 1180591620717411303424, "a\\"b\\x00\\xff", +OK, (error) ERR x, []]',
    );
  });
});
