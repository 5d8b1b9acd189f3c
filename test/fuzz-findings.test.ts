// What the fuzzer (scripts/fuzz.ts) found, one test each: requests that answered HTTP 500 or did harm
// where a 4xx refusal was due.
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, TOKEN, cmd, uniq } from "./helpers.js";

const auth = (token = TOKEN) => ({ authorization: `Bearer ${token}` });

describe("requests the fuzzer found answering 500", () => {
  it("a path of slashes only names no command: 400, for GET, HEAD and an empty POST", async () => {
    for (const method of ["GET", "HEAD", "POST"]) {
      const res = await SELF.fetch("http://localhost//", { method, headers: auth() });
      expect(res.status, method).toBe(400);
      expect(await res.text(), method).toBe(method === "HEAD" ? "" : '{"error":"ERR failed to parse command: the path names no command"}');
    }
    // With a body, the body is the command's one argument, as on any path.
    const res = await SELF.fetch("http://localhost//", { method: "POST", headers: auth(), body: "PING" });
    expect(await res.json()).toEqual({ result: "PONG" });
  });

  it("/admin/restore-aof with a multipart type and a body that is not multipart: 400, nothing restored", async () => {
    const key = uniq("multipart");
    expect((await cmd("SET", key, "kept")).body).toEqual({ result: "OK" });
    for (const type of ["multipart/form-data; boundary=zz", "multipart/form-data"]) {
      const res = await SELF.fetch("http://localhost/admin/restore-aof", { method: "POST", headers: { ...auth(ADMIN_TOKEN), "content-type": type }, body: "REDIS0011 not a form" });
      expect(res.status, type).toBe(400);
      expect(((await res.json()) as { error: string }).error, type).toMatch(/^ERR the body is not multipart\/form-data: /);
    }
    expect((await cmd("GET", key)).body).toEqual({ result: "kept" });
  });
});

describe("requests the fuzzer found doing harm", () => {
  it("/admin/restore-aof?truncate=yes of a file damaged from its first byte is refused, not restored as an empty dataset", async () => {
    const key = uniq("garbage-aof");
    expect((await cmd("SET", key, "kept")).body).toEqual({ result: "OK" });
    for (const body of ["garbage", "*1\r\n$4\r\nPI"]) {
      const res = await SELF.fetch("http://localhost/admin/restore-aof?truncate=yes", { method: "POST", headers: auth(ADMIN_TOKEN), body });
      expect(res.status, body).toBe(400);
      expect(((await res.json()) as { error: string }).error, body).toMatch(/^ERR appendonly\.aof has no whole record before its damage at offset 0 \(.+\): nothing was restored$/);
    }
    expect((await cmd("GET", key)).body).toEqual({ result: "kept" });
  });
});
