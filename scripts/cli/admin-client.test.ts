// The CLI's one-line errors from the admin API's error bodies (a stand-in server answers: this tests
// only how AdminClient reads them; the real endpoints are exercised in server.test.ts).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminClient } from "./admin-client.js";

let server: Server;
let url = "";
const replies: Record<string, [number, string]> = {
  "/admin/bgsave": [409, JSON.stringify([{ shard: 0, error: "LOADING Redis is loading the dataset in memory" }, { shard: 1, result: "Background saving started" }])],
  "/admin/restore-to-time": [409, JSON.stringify({ error: "ERR no base kept can be used" })],
  "/admin/info": [502, "<html>bad gateway</html>"],
};

beforeAll(async () => {
  server = createServer((req, res) => {
    const [status, body] = replies[new URL(req.url!, "http://x").pathname] ?? [404, "{}"];
    res.writeHead(status, { "content-type": "application/json" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("AdminClient errors", () => {
  const client = () => new AdminClient({ url, token: "secret-token" });

  it("names each shard that refused in a per-shard reply", async () => {
    await expect(client().json("POST", "/admin/bgsave", { shard: 0 })).rejects.toThrow(
      "POST /admin/bgsave?shard=0: HTTP 409: shard 0: LOADING Redis is loading the dataset in memory",
    );
  });

  it("carries the error of a single reply, and a page that is not JSON as it is", async () => {
    await expect(client().json("POST", "/admin/restore-to-time", { shard: 0, time: 5 })).rejects.toThrow(
      "POST /admin/restore-to-time?shard=0&time=5: HTTP 409: ERR no base kept can be used",
    );
    await expect(client().json("GET", "/admin/info")).rejects.toThrow("GET /admin/info: HTTP 502: <html>bad gateway</html>");
  });
});
