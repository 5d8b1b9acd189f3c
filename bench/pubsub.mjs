// Pub/sub: publish-to-receive latency with 1, 10 and 100 subscribers (each message stamped with its
// send time, each delivery timed in this process), and messages/s one hub takes with 32 publishes in
// flight; beside redis-server's PUBLISH → SUBSCRIBE over RESP, measured the same way in the same run.
import { Socket } from "node:net";
import { TOKEN, startOurs } from "./http.mjs";
import { findBinary, startRedis } from "./.build/lib.mjs";

const MESSAGES = 200;

/** Collects `t<seq>;` stamps out of a byte stream as they arrive, calling back with each seq. */
function stampReader(onSeq) {
  let tail = "";
  return (text) => {
    const s = tail + text;
    const re = /t(\d+);/g;
    let m;
    let last = 0;
    while ((m = re.exec(s))) {
      onSeq(Number(m[1]));
      last = re.lastIndex;
    }
    tail = s.slice(Math.max(last, s.length - 16));
  };
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/**
 * Publishes MESSAGES messages one after another (each after the previous one's reply) and returns
 * every delivery's latency, sorted. `publish(payload)` sends one; subscribers call `delivered(seq)`.
 */
async function measure(subscribers, publish) {
  const sentAt = new Array(MESSAGES);
  const latencies = [];
  let expected = MESSAGES * subscribers;
  let done;
  const all = new Promise((r) => (done = r));
  const delivered = (seq) => {
    latencies.push(performance.now() - sentAt[seq]);
    if (--expected === 0) done();
  };
  return {
    delivered,
    async run() {
      for (let i = 0; i < MESSAGES; i++) {
        sentAt[i] = performance.now();
        await publish(`t${i};`);
      }
      await Promise.race([all, new Promise((r) => setTimeout(r, 20_000))]);
      if (expected !== 0) throw new Error(`${expected} deliveries missing`);
      return latencies.sort((a, b) => a - b);
    },
  };
}

async function oursLatency(url, subscribers) {
  const channel = `bench-${subscribers}-${Date.now()}`;
  const controllers = [];
  let m;
  const ready = [];
  for (let s = 0; s < subscribers; s++) {
    const ac = new AbortController();
    controllers.push(ac);
    const res = await fetch(`${url}/subscribe/${channel}`, { method: "POST", body: "[]", headers: { authorization: `Bearer ${TOKEN}` }, signal: ac.signal });
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    const onText = stampReader((seq) => m.delivered(seq));
    // The first chunk holds the confirmation: the subscription is in place.
    ready.push(reader.read());
    (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          onText(decoder.decode(value, { stream: true }));
        }
      } catch {
        /* aborted at the end */
      }
    })();
  }
  await Promise.all(ready);
  m = await measure(subscribers, async (payload) => {
    const res = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(["PUBLISH", channel, payload]) });
    const { result } = await res.json();
    if (result !== subscribers) throw new Error(`PUBLISH reached ${result} of ${subscribers}`);
  });
  const sorted = await m.run();
  for (const ac of controllers) ac.abort();
  return sorted;
}

function respSubscriber(port, channel, onText) {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    socket.once("error", reject);
    let confirmed = false;
    socket.on("data", (chunk) => {
      const text = chunk.toString("latin1");
      if (!confirmed) {
        confirmed = true;
        resolve(socket);
      }
      onText(text);
    });
    socket.connect(port, "127.0.0.1", () => socket.write(`*2\r\n$9\r\nSUBSCRIBE\r\n$${channel.length}\r\n${channel}\r\n`));
  });
}

async function redisLatency(redis, subscribers) {
  const channel = `bench-${subscribers}`;
  let m;
  const sockets = [];
  for (let s = 0; s < subscribers; s++) sockets.push(await respSubscriber(redis.port, channel, stampReader((seq) => m.delivered(seq))));
  m = await measure(subscribers, async (payload) => {
    const n = await redis.client.ok("PUBLISH", channel, payload);
    if (n !== subscribers) throw new Error(`PUBLISH reached ${n} of ${subscribers}`);
  });
  const sorted = await m.run();
  for (const s of sockets) s.destroy();
  return sorted;
}

/** Messages per second one hub takes: 32 publishers, each sending its next PUBLISH on the previous one's reply. */
async function oursRate(url) {
  const total = 3000;
  let sent = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (sent < total) {
        sent++;
        const res = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(["PUBLISH", "rate", "m"]) });
        await res.arrayBuffer();
      }
    }),
  );
  return total / ((performance.now() - t0) / 1000);
}

/** The same through /pipeline: 8 requests in flight, each 100 PUBLISHes (one call to the hub). */
async function oursPipelineRate(url) {
  const total = 20_000;
  const body = JSON.stringify(Array.from({ length: 100 }, () => ["PUBLISH", "rate", "m"]));
  let sent = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (sent < total) {
        sent += 100;
        const res = await fetch(url + "/pipeline", { method: "POST", headers: { authorization: `Bearer ${TOKEN}` }, body });
        await res.arrayBuffer();
      }
    }),
  );
  return total / ((performance.now() - t0) / 1000);
}

async function redisRate(redis) {
  // The same 32-at-a-time shape over one connection: batches of 32 pipelined PUBLISHes.
  const total = 30_000;
  const socket = await new Promise((resolve) => {
    const s = new Socket();
    s.connect(redis.port, "127.0.0.1", () => resolve(s));
  });
  const cmd = "*3\r\n$7\r\nPUBLISH\r\n$4\r\nrate\r\n$1\r\nm\r\n".repeat(32);
  const t0 = performance.now();
  for (let sent = 0; sent < total; sent += 32) {
    await new Promise((resolve) => {
      let replies = 0;
      const on = (chunk) => {
        replies += (chunk.toString("latin1").match(/:/g) ?? []).length;
        if (replies >= 32) {
          socket.off("data", on);
          resolve();
        }
      };
      socket.on("data", on);
      socket.write(cmd);
    });
  }
  const rate = total / ((performance.now() - t0) / 1000);
  socket.destroy();
  return rate;
}

const ms = (n) => n.toFixed(2);

export async function pubsubBench(report) {
  const ours = await startOurs();
  const bin = findBinary("redis-server");
  const redis = bin ? await startRedis(bin, ["--appendonly", "no"]) : null;
  try {
    await oursLatency(ours.url, 1); // warm-up: the hub's creation, the JIT
    const rows = [];
    for (const n of [1, 10, 100]) {
      const o = await oursLatency(ours.url, n);
      const r = redis ? await redisLatency(redis, n) : null;
      rows.push([`${n} subscriber${n > 1 ? "s" : ""}`, ms(pct(o, 50)), ms(pct(o, 99)), r ? ms(pct(r, 50)) : "—", r ? ms(pct(r, 99)) : "—", r ? (pct(o, 50) / pct(r, 50)).toFixed(1) : "—"]);
    }
    report.table(
      "Pub/sub: publish-to-receive latency (ms), one hub vs redis-server over RESP",
      ["subscribers", "ours p50", "ours p99", "redis p50", "redis p99", "p50 ours ÷ redis"],
      rows,
      `${MESSAGES} messages published one after another (each on the previous reply), timed from the send to each subscriber's receipt, all in this process. Ours: PUBLISH over HTTP to the worker, the hub, SSE streams through the worker; redis: PUBLISH and SUBSCRIBE connections on 127.0.0.1.`,
    );
    const oRate = await oursRate(ours.url);
    const pRate = await oursPipelineRate(ours.url);
    const rRate = redis ? await redisRate(redis) : null;
    const f = (n) => Math.round(n).toLocaleString("en-US");
    report.table(
      "Pub/sub: messages/s into one hub (no subscribers)",
      ["server", "messages/s"],
      [
        ["ours, one PUBLISH per request, 32 in flight", f(oRate)],
        ["ours, /pipeline of 100 PUBLISH, 8 in flight", f(pRate)],
        ["redis-server, 32 pipelined PUBLISH per round trip", rRate ? f(rRate) : "—"],
      ],
      "Ours is bound by the HTTP request per PUBLISH (a pipeline of PUBLISHes is one request); redis-server's figure is 32 pipelined PUBLISHes per round trip on one connection.",
    );
  } finally {
    await ours.mf.dispose();
    await redis?.stop();
  }
}
