// Issue 14, requests: what one request may ask of the worker and its shards (commands per request,
// JSON numbers the parser cannot keep, HEAD), with exact replies.
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_COMMANDS_PER_REQUEST } from "../worker/protocol.js";
import { TOKEN, cmd, post, uniq } from "./helpers.js";

const INEXACT = "ERR failed to parse command: a number is not finite or is an integer beyond 2^53 - 1; send it as a string";

/** A pipeline body of n unknown one-letter commands: small enough for the tests' 64 KiB request limit. */
const manyCommands = (n: number) => "[" + Array.from({ length: n }, () => '["x"]').join(",") + "]";

describe("commands per request", () => {
  it("runs a /pipeline of MAX_COMMANDS_PER_REQUEST commands", async () => {
    expect(MAX_COMMANDS_PER_REQUEST).toBe(10_000);
    const r = await post("/pipeline", manyCommands(MAX_COMMANDS_PER_REQUEST));
    expect(r.status).toBe(200);
    expect(r.body).toHaveLength(MAX_COMMANDS_PER_REQUEST);
    expect(r.body[9999]).toEqual({ error: "ERR unknown command 'x', with args beginning with: " });
  });

  it("refuses a /pipeline or /multi-exec of one more, running none of it", async () => {
    const k = uniq("cap");
    const body = manyCommands(MAX_COMMANDS_PER_REQUEST).replace('["x"]', JSON.stringify(["SET", k, "1"]));
    const over = body.slice(0, -1) + ',["x"]]';
    for (const path of ["/pipeline", "/multi-exec"]) {
      expect(await post(path, over)).toMatchObject({ status: 400, body: { error: "ERR max commands per request exceeded (10000)" } });
    }
    expect((await cmd("GET", k)).body).toEqual({ result: null });
  });
});

describe("JSON numbers", () => {
  it("refuses numbers past the double range and integers beyond 2^53 - 1, writing nothing", async () => {
    const k = uniq("num");
    for (const n of ["1e400", "-1e400", "9007199254740993", "9007199254740992", "-9007199254740993", "1e20"]) {
      expect(await post("/", `["SET","${k}",${n}]`)).toMatchObject({ status: 400, body: { error: INEXACT } });
      expect(await post("/pipeline", `[["SET","${k}",1],["SET","${k}",${n}]]`)).toMatchObject({ status: 400, body: { error: INEXACT } });
      expect(await post("/multi-exec", `[["SET","${k}",1],["INCRBY","${k}",${n}]]`)).toMatchObject({ status: 400, body: { error: INEXACT } });
    }
    expect((await cmd("GET", k)).body).toEqual({ result: null });
  });

  it("keeps exact numbers as JavaScript prints them", async () => {
    const k = uniq("num");
    const r = await post("/pipeline", `[["SET","${k}",9007199254740991],["GET","${k}"],["SET","${k}",-9007199254740991],["GET","${k}"],["SET","${k}",1.50],["GET","${k}"],["SET","${k}",2e3],["GET","${k}"]]`);
    expect(r.body).toEqual([
      { result: "OK" },
      { result: "9007199254740991" },
      { result: "OK" },
      { result: "-9007199254740991" },
      { result: "OK" },
      { result: "1.5" },
      { result: "OK" },
      { result: "2000" },
    ]);
  });
});

describe("HEAD", () => {
  const head = (path: string) => SELF.fetch(`http://localhost${path}`, { method: "HEAD", headers: { authorization: `Bearer ${TOKEN}` } });

  it("runs no write: a write in the path is refused as for the read-only token", async () => {
    const k = uniq("head");
    for (const path of [`/set/${k}/v`, `/incr/${k}`, `/lpush/${k}/a`, `/flushall`, `/publish/${k}/m`]) {
      const r = await head(path);
      expect(r.status).toBe(400);
      expect(await r.text()).toBe("");
    }
    expect((await cmd("EXISTS", k)).body).toEqual({ result: 0 });
  });

  it("answers a read with its status and no body", async () => {
    const k = uniq("head");
    await cmd("SET", k, "v");
    const r = await head(`/get/${k}`);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe("");
    expect((await head("/")).status).toBe(200);
  });
});
