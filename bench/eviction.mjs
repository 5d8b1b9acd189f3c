// Eviction quality beside redis-server: the same skewed cache trace (80% of reads on 20% of the keys;
// a miss is followed by a SET, as a cache-aside client does) against each side, with maxmemory set so
// that each holds the same share of the keys, under allkeys-lru and allkeys-lfu. The figure is the
// hit ratio; ours should be within a few points of Redis's (both approximate LRU/LFU by sampling).
import { Engine, findBinary, seededRandom, startRedis } from "./.build/lib.mjs";

const KEYS = 5_000;
const OPS = 60_000;
const VALUE = "v".repeat(100);
/** The share of the keys maxmemory leaves room for. */
const SHARE = 0.3;

/** The trace: key ids, 80% drawn from the first 20% (shuffled, so hot keys are not written first). */
function trace(seed) {
  const rnd = seededRandom(seed);
  const ids = Array.from({ length: KEYS }, (_, i) => i);
  for (let i = ids.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [ids[i], ids[j]] = [ids[j], ids[i]];
  }
  const hot = Math.floor(KEYS * 0.2);
  return Array.from({ length: OPS }, () => `key:${ids[rnd() < 0.8 ? Math.floor(rnd() * hot) : hot + Math.floor(rnd() * (KEYS - hot))]}`);
}

const usedMemory = (info) => Number(/used_memory:(\d+)/.exec(info)[1]);

/** Redis: bytes per key measured by loading them all, then the trace under the policy. */
async function redisRun(client, policy, keys) {
  const fill = async () => {
    for (let i = 0; i < KEYS; i++) await client.ok("SET", `key:${i}`, VALUE);
  };
  await client.ok("CONFIG", "SET", "maxmemory", "0");
  // A first fill and flush, so the baseline includes what the server keeps once it has held a dataset
  // (measured cold, the baseline is ~80 KB lower and the limit holds a fifth fewer keys).
  await fill();
  await client.ok("FLUSHALL");
  const base = usedMemory(await client.ok("INFO", "memory"));
  await fill();
  const full = usedMemory(await client.ok("INFO", "memory"));
  await client.ok("FLUSHALL");
  await client.ok("CONFIG", "SET", "maxmemory-policy", policy, "maxmemory", String(Math.floor(base + (full - base) * SHARE)));
  let hits = 0;
  const t0 = performance.now();
  for (const key of keys) {
    if ((await client.call("GET", key)) !== null) hits++;
    else await client.ok("SET", key, VALUE);
  }
  return { hits, ms: performance.now() - t0, held: await client.call("DBSIZE") };
}

/** Ours, with a clock that moves at Redis's pace per operation (LRU idle times are in seconds). */
function ourRun(policy, keys, msPerOp) {
  const probe = new Engine();
  const base = probe.db.usedMemory;
  for (let i = 0; i < KEYS; i++) probe.execute(["SET", `key:${i}`, VALUE]);
  const full = probe.db.usedMemory;
  let now = 1_700_000_000_000;
  const e = new Engine({
    clock: () => now,
    random: seededRandom(7),
    config: { "maxmemory-policy": policy, maxmemory: String(Math.floor(base + (full - base) * SHARE)) },
  });
  let hits = 0;
  for (let i = 0; i < keys.length; i++) {
    now = 1_700_000_000_000 + Math.floor(i * msPerOp);
    if (e.execute(["GET", keys[i]]) !== null) hits++;
    else e.execute(["SET", keys[i], VALUE]);
  }
  return { hits, held: e.db.size };
}

export async function evictionBench(report) {
  const bin = findBinary("redis-server");
  if (!bin) {
    report.note("Eviction: hit ratio beside redis-server", "skipped: redis-server not found");
    return;
  }
  const keys = trace(42);
  const redis = await startRedis(bin, ["--appendonly", "no", "--maxmemory-samples", "5", "--lfu-log-factor", "10", "--lfu-decay-time", "1"]);
  const rows = [];
  try {
    // A first run on a fresh server holds a sixth fewer keys under the same limit (its allocator and
    // tables settle during it): one run to warm it up, not counted.
    await redisRun(redis.client, "allkeys-random", keys);
    for (const policy of ["allkeys-lru", "allkeys-lfu", "allkeys-random"]) {
      const theirs = await redisRun(redis.client, policy, keys);
      const ours = ourRun(policy, keys, theirs.ms / OPS);
      const pct = (h) => (100 * h) / OPS;
      rows.push([policy, pct(ours.hits).toFixed(1), pct(theirs.hits).toFixed(1), (pct(ours.hits) - pct(theirs.hits)).toFixed(1), `${ours.held} / ${theirs.held}`]);
    }
  } finally {
    await redis.stop();
  }
  report.table(
    `Eviction: hit ratio under a skewed trace beside redis-server (${KEYS.toLocaleString("en-US")} keys, ${OPS.toLocaleString("en-US")} reads, room for ${SHARE * 100}%)`,
    ["policy", "durable-redis hit %", "redis-server hit %", "difference (points)", "keys held at the end (ours / Redis)"],
    rows,
    "80% of reads go to 20% of the keys; a miss SETs the key (cache-aside). maxmemory is set on each side to hold the same share of the keys " +
      "(their bytes per key differ). maxmemory-samples 5 on both; our clock advances at Redis's measured pace per operation, since LRU idle times are in seconds.",
  );
}
