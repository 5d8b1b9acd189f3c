import { describe, expect, it } from "vitest";
import { type Outlet, Registry, confirmationBytes, eventBytes, newSubscriber, pubsubLimit } from "./registry.js";

const text = new TextDecoder();

/** An outlet that keeps what it was sent; `taken` marks bytes as read by the client. */
function outlet() {
  const chunks: Uint8Array[] = [];
  const o = {
    chunks,
    taken: 0,
    cutReason: null as string | null,
    write: (b: Uint8Array) => void chunks.push(b),
    queued: () => chunks.reduce((a, c) => a + c.length, 0) - o.taken,
    cut: (r: string) => void (o.cutReason = r),
    lines: () => chunks.map((c) => text.decode(c)),
  };
  return o satisfies Outlet;
}

describe("Registry", () => {
  it("PUBLISH counts channel subscribers and each matching pattern subscription, as Redis does", () => {
    const r = new Registry();
    const [a, b] = [outlet(), outlet()];
    const sa = newSubscriber(a, false);
    const sb = newSubscriber(b, false);
    expect(r.add(sa, "channel", ["news", "news", "sport"])).toEqual([1, 1, 2]);
    expect(r.add(sb, "pattern", ["n*", "ne?s"])).toEqual([1, 2]);
    expect(r.publish("news", "hi")).toBe(3);
    expect(a.lines()).toEqual(["data: message,news,hi\n\n"]);
    expect(b.lines()).toEqual(["data: pmessage,n*,news,hi\n\n", "data: pmessage,ne?s,news,hi\n\n"]);
    expect(r.numsub("channel", ["news", "sport", "x"])).toEqual([1, 1, 0]);
    expect(r.numpat()).toBe(2);
    expect(r.channels("channel", "s*")).toEqual(["sport"]);
    r.remove(sb);
    expect(r.numpat()).toBe(0);
    expect(r.publish("news", "again")).toBe(1);
  });

  it("SPUBLISH reaches shard-channel subscribers only", () => {
    const r = new Registry();
    const o = outlet();
    r.add(newSubscriber(o, false), "shard", ["s"]);
    r.add(newSubscriber(outlet(), false), "pattern", ["*"]);
    expect(r.spublish("s", "m")).toBe(1);
    expect(o.lines()).toEqual(["data: smessage,s,m\n\n"]);
    expect(r.numsub("shard", ["s"])).toEqual([1]);
  });

  it("a stream over the hard limit is cut off at once and stops counting", () => {
    const r = new Registry();
    const o = outlet();
    r.add(newSubscriber(o, false, { hardBytes: 100, softBytes: 0, softSeconds: 0 }), "channel", ["c"]);
    expect(r.publish("c", "x".repeat(50))).toBe(1);
    expect(o.cutReason).toBeNull();
    expect(r.publish("c", "x".repeat(50))).toBe(1);
    expect(o.cutReason).toMatch(/client-output-buffer-limit pubsub/);
    expect(r.numsub("channel", ["c"])).toEqual([0]);
    expect(r.publish("c", "y")).toBe(0);
    expect(r.cutOff).toBe(1);
  });

  it("a stream over the soft limit is cut off once it has stayed over it for the soft seconds", () => {
    let now = 1000;
    const r = new Registry(() => now);
    const o = outlet();
    r.add(newSubscriber(o, false, { hardBytes: 0, softBytes: 100, softSeconds: 60 }), "channel", ["c"]);
    const big = "x".repeat(100);
    r.publish("c", big);
    now += 59_999;
    r.publish("c", "a");
    expect(o.cutReason).toBeNull();
    // The client read everything: back under the soft limit, the clock restarts.
    o.taken += o.queued();
    r.publish("c", "a");
    now += 61_000;
    r.publish("c", big);
    expect(o.cutReason).toBeNull();
    now += 60_000;
    r.publish("c", "a");
    expect(o.cutReason).not.toBeNull();
  });
});

describe("Event lines", () => {
  it("text fields are UTF-8, a line break continues the event on a new data line; base64 fields are the bytes' base64", () => {
    expect(text.decode(eventBytes(["message", "c", "a\r\nb\xff"], false))).toBe("data: message,c,a\ndata: b\ufffd\n\n");
    expect(text.decode(eventBytes(["message", "c", "a\nb\xff"], true))).toBe(`data: message,${btoa("c")},${btoa("a\nb\xff")}\n\n`);
    expect(text.decode(confirmationBytes("pattern", "p*", 3, true))).toBe(`data: psubscribe,${btoa("p*")},3\n\n`);
  });

  it("the pubsub class is read out of client-output-buffer-limit", () => {
    expect(pubsubLimit("normal 0 0 0 slave 1 2 3 pubsub 1024 512 9")).toEqual({ hardBytes: 1024, softBytes: 512, softSeconds: 9 });
  });
});
