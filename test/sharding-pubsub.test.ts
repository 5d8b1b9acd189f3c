// Pub/sub over four hubs (the four-shard project sets PUBSUB_HUBS=4): channels live on the hub of their
// hash, patterns on every hub, and a stream spanning hubs is merged by the worker.
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { TOKEN, cmd, uniq } from "./helpers.js";
import { hubOf } from "../durable-objects/pubsub/hubs.js";

async function open(path: string) {
  const res = await SELF.fetch(`http://localhost${path}`, { method: "POST", body: "[]", headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  return {
    async take(n: number): Promise<string[]> {
      const out: string[] = [];
      while (out.length < n) {
        const end = buffer.indexOf("\n\n");
        if (end >= 0) {
          out.push(buffer.slice(0, end).replace(/^data: /, ""));
          buffer = buffer.slice(end + 2);
          continue;
        }
        const { done, value } = await reader.read();
        if (done) throw new Error("stream ended");
        buffer += decoder.decode(value, { stream: true });
      }
      return out;
    },
    close: () => reader.cancel(),
  };
}

/** Channels under `base`, one on each of the four hubs. */
function oneOnEachHub(base: string): string[] {
  const found: string[] = [];
  for (let i = 0; found.length < 4; i++) {
    const c = `${base}:${i}`;
    if (!found.some((f) => hubOf(f, 4) === hubOf(c, 4))) found.push(c);
  }
  return found;
}

describe("Pub/sub over four hubs", () => {
  it("a stream over channels on every hub confirms them in order and gets each channel's messages in order", async () => {
    const channels = oneOnEachHub(uniq("spread"));
    const s = await open(`/subscribe/${channels.join("/")}`);
    expect(await s.take(4)).toEqual(channels.map((c, i) => `subscribe,${c},${i + 1}`));
    for (const c of channels) {
      expect((await cmd("PUBLISH", c, `${c}-1`)).body).toEqual({ result: 1 });
      expect((await cmd("PUBLISH", c, `${c}-2`)).body).toEqual({ result: 1 });
    }
    const got = await s.take(8);
    for (const c of channels) expect(got.filter((e) => e.startsWith(`message,${c},`))).toEqual([`message,${c},${c}-1`, `message,${c},${c}-2`]);
    expect((await cmd("PUBSUB", "NUMSUB", ...channels)).body).toEqual({ result: channels.flatMap((c) => [c, 1]) });
    expect(((await cmd("PUBSUB", "CHANNELS", `${channels[0].split(":").slice(0, -1).join(":")}:*`)).body.result as string[]).sort()).toEqual([...channels].sort());
    await s.close();
  });

  it("a pattern subscriber hears channels of every hub, and NUMPAT counts the pattern once", async () => {
    const base = uniq("pat");
    const channels = oneOnEachHub(base);
    const s = await open(`/psubscribe/${base}:*`);
    expect(await s.take(1)).toEqual([`psubscribe,${base}:*,1`]);
    expect((await cmd("PUBSUB", "NUMPAT")).body.result).toBeGreaterThanOrEqual(1);
    for (const c of channels) expect((await cmd("PUBLISH", c, "m")).body).toEqual({ result: 1 });
    expect((await s.take(4)).sort()).toEqual(channels.map((c) => `pmessage,${base}:*,${c},m`).sort());
    await s.close();
  });
});
