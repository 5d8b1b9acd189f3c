// What each token may run: the admin token everything (on the data API too, from the Authorization
// header only), the data token all but Redis's @admin commands, the read-only token reads.
import { SELF, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, READONLY_TOKEN, TOKEN, post, uniq } from "./helpers.js";

const as = (token: string) => ({ authorization: `Bearer ${token}` });
const run = (token: string, ...argv: unknown[]) => post("/", argv, as(token));
const noperm = (name: string) => ({ error: `NOPERM this user has no permissions to run the '${name}' command` });
const ADMIN_IN_QUERY = { error: "WRONGPASS the admin token is accepted only in the Authorization header, not in ?_token=" };

/** Redis's @admin commands that we implement, each with the name its refusal gives. */
const ADMIN_COMMANDS: [string[], string][] = [
  [["CONFIG", "SET", "save", ""], "config|set"],
  [["CONFIG", "SET", "appendonly", "no"], "config|set"],
  [["CONFIG", "SET", "maxmemory", "0", "appendfsync", "no"], "config|set"],
  [["config", "set", "maxmemory", "0"], "config|set"],
  [["CONFIG", "RESETSTAT"], "config|resetstat"],
  [["CONFIG", "REWRITE"], "config|rewrite"],
  [["SAVE"], "save"],
  [["BGSAVE"], "bgsave"],
  [["BGSAVE", "SCHEDULE"], "bgsave"],
  [["BGREWRITEAOF"], "bgrewriteaof"],
];

/** Every header whose name starts with access-control-. */
const corsHeaders = (res: Response) => [...res.headers.keys()].filter((h) => h.startsWith("access-control-"));

describe("the data and read-only tokens", () => {
  it("are refused Redis's @admin commands with Redis's ACL text, naming container|subcommand", async () => {
    for (const token of [TOKEN, READONLY_TOKEN]) {
      for (const [argv, name] of ADMIN_COMMANDS) {
        expect({ argv, token, ...(await run(token, ...argv)) }).toMatchObject({ argv, token, status: 400, body: noperm(name) });
      }
    }
    // Nothing changed.
    expect((await run(ADMIN_TOKEN, "CONFIG", "GET", "appendonly")).body).toEqual({ result: ["appendonly", "yes"] });
  });

  it("may read the configuration and the server's state: CONFIG GET, CONFIG HELP, INFO, DBSIZE, LASTSAVE", async () => {
    const help = ["CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", "GET <pattern>", "SET <directive> <value>", "RESETSTAT", "REWRITE", "HELP"];
    for (const token of [TOKEN, READONLY_TOKEN]) {
      expect(await run(token, "CONFIG", "GET", "maxmemory-policy")).toMatchObject({ status: 200, body: { result: ["maxmemory-policy", "noeviction"] } });
      expect(await run(token, "CONFIG", "HELP")).toMatchObject({ status: 200, body: { result: help } });
      expect((await run(token, "INFO", "server")).body.result).toContain("redis_version:7.0.15\r\n");
      // The same answers the admin token gets.
      expect((await run(token, "DBSIZE")).body).toEqual((await run(ADMIN_TOKEN, "DBSIZE")).body);
      expect((await run(token, "LASTSAVE")).body).toEqual((await run(ADMIN_TOKEN, "LASTSAVE")).body);
    }
  });

  it("get a subcommand's own error, not NOPERM, for an unknown subcommand or a wrong argument count", async () => {
    for (const token of [TOKEN, ADMIN_TOKEN]) {
      expect((await run(token, "CONFIG", "FOO")).body).toEqual({ error: "ERR unknown subcommand 'FOO'. Try CONFIG HELP." });
      expect((await run(token, "CONFIG", "SET", "save")).body).toEqual({ error: "ERR unknown subcommand or wrong number of arguments for 'SET'. Try CONFIG HELP." });
      expect((await run(token, "CONFIG", "RESETSTAT", "x")).body).toEqual({
        error: "ERR unknown subcommand or wrong number of arguments for 'RESETSTAT'. Try CONFIG HELP.",
      });
      expect((await run(token, "SAVE", "x")).body).toEqual({ error: "ERR wrong number of arguments for 'save' command" });
    }
  });

  it("get unknown command for Redis's admin commands this server does not have", async () => {
    for (const token of [TOKEN, ADMIN_TOKEN]) {
      expect((await run(token, "DEBUG", "SLEEP", "0")).body).toEqual({ error: "ERR unknown command 'DEBUG', with args beginning with: 'SLEEP' '0' " });
      expect((await run(token, "SHUTDOWN")).body).toEqual({ error: "ERR unknown command 'SHUTDOWN', with args beginning with: " });
      expect((await run(token, "MONITOR")).body).toEqual({ error: "ERR unknown command 'MONITOR', with args beginning with: " });
      expect((await run(token, "FAILOVER")).body).toEqual({ error: "ERR unknown command 'FAILOVER', with args beginning with: " });
      expect((await run(token, "REPLICAOF", "NO", "ONE")).body).toEqual({ error: "ERR unknown command 'REPLICAOF', with args beginning with: 'NO' 'ONE' " });
      expect((await run(token, "SLAVEOF", "NO", "ONE")).body).toEqual({ error: "ERR unknown command 'SLAVEOF', with args beginning with: 'NO' 'ONE' " });
    }
  });

  it("may still run what is not @admin: FUNCTION, SCRIPT and WAITAOF for the data token, reads for the read-only one", async () => {
    const k = uniq("k");
    expect((await run(TOKEN, "SET", k, "v")).body).toEqual({ result: "OK" });
    expect((await run(READONLY_TOKEN, "GET", k)).body).toEqual({ result: "v" });
    expect((await run(READONLY_TOKEN, "SET", k, "w")).body).toEqual(noperm("set"));
    expect((await run(READONLY_TOKEN, "FUNCTION", "FLUSH")).body).toEqual(noperm("function|flush"));
    expect((await run(TOKEN, "FUNCTION", "FLUSH")).body).toEqual({ result: "OK" });
    expect((await run(TOKEN, "SCRIPT", "FLUSH")).body).toEqual({ result: "OK" });
    expect((await run(TOKEN, "WAITAOF", "0", "0", "0")).body).toEqual({ result: [1, 0] });
    expect((await run(TOKEN, "DEL", k)).body).toEqual({ result: 1 });
  });

  it("in a pipeline, an @admin command answers NOPERM and the others run", async () => {
    const k = uniq("k");
    const res = await post(
      "/pipeline",
      [["SET", k, "1"], ["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"], ["INCR", k], ["SAVE"], ["CONFIG", "GET", "maxmemory-policy"], ["BGREWRITEAOF"], ["GET", k]],
      as(TOKEN),
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      { result: "OK" },
      noperm("config|set"),
      { result: 2 },
      noperm("save"),
      { result: ["maxmemory-policy", "noeviction"] },
      noperm("bgrewriteaof"),
      { result: "2" },
    ]);
  });

  it("in a transaction, an @admin command aborts it before anything runs", async () => {
    const k = uniq("k");
    const res = await post("/multi-exec", [["SET", k, "1"], ["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"]], as(TOKEN));
    // With several shards a command for every shard cannot join a one-slot transaction, whoever sends it.
    const error =
      env.SHARDS === "1"
        ? "EXECABORT Transaction discarded because of previous errors. NOPERM this user has no permissions to run the 'config|set' command"
        : "CROSSSLOT Keys in request don't hash to the same slot";
    expect(res).toMatchObject({ status: 400, body: { error } });
    expect((await run(TOKEN, "EXISTS", k)).body).toEqual({ result: 0 });
    expect((await run(TOKEN, "CONFIG", "GET", "maxmemory-policy")).body).toEqual({ result: ["maxmemory-policy", "noeviction"] });
  });
});

describe("the admin token", () => {
  it("runs every command on the data API: @admin ones and data ones", async () => {
    const k = uniq("k");
    expect((await run(ADMIN_TOKEN, "SET", k, "v")).body).toEqual({ result: "OK" });
    expect((await run(ADMIN_TOKEN, "GET", k)).body).toEqual({ result: "v" });
    expect((await run(ADMIN_TOKEN, "CONFIG", "SET", "maxmemory-policy", "allkeys-lru")).body).toEqual({ result: "OK" });
    expect((await run(TOKEN, "CONFIG", "GET", "maxmemory-policy")).body).toEqual({ result: ["maxmemory-policy", "allkeys-lru"] });
    expect((await run(ADMIN_TOKEN, "CONFIG", "SET", "maxmemory-policy", "noeviction")).body).toEqual({ result: "OK" });
    expect((await run(ADMIN_TOKEN, "CONFIG", "RESETSTAT")).body).toEqual({ result: "OK" });
    expect((await run(ADMIN_TOKEN, "CONFIG", "REWRITE")).body).toEqual({ result: "OK" });
    expect((await run(ADMIN_TOKEN, "SAVE")).body).toEqual({ result: "OK" });
    const res = await post("/pipeline", [["CONFIG", "SET", "maxmemory-policy", "noeviction"], ["GET", k], ["DEL", k]], as(ADMIN_TOKEN));
    expect(res.body).toEqual([{ result: "OK" }, { result: "v" }, { result: 1 }]);
    // Path style too.
    const path = await SELF.fetch("http://localhost/config/get/maxmemory-policy", { headers: as(ADMIN_TOKEN) });
    expect(await path.json()).toEqual({ result: ["maxmemory-policy", "noeviction"] });
  });

  it("is refused in ?_token=, on the data API and the admin API, where the data token is accepted", async () => {
    const data = await SELF.fetch(`http://localhost/ping?_token=${TOKEN}`);
    expect([data.status, await data.json()]).toEqual([200, { result: "PONG" }]);
    const admin = await SELF.fetch(`http://localhost/ping?_token=${ADMIN_TOKEN}`);
    expect([admin.status, await admin.json()]).toEqual([401, ADMIN_IN_QUERY]);
    const config = await SELF.fetch(`http://localhost/config/set/maxmemory-policy/allkeys-lru?_token=${ADMIN_TOKEN}`, { method: "POST" });
    expect([config.status, await config.json()]).toEqual([401, ADMIN_IN_QUERY]);
    const health = await SELF.fetch(`http://localhost/admin/health?_token=${ADMIN_TOKEN}`);
    expect([health.status, await health.json()]).toEqual([401, ADMIN_IN_QUERY]);
    const monitor = await SELF.fetch(`http://localhost/monitor?_token=${ADMIN_TOKEN}`);
    expect([monitor.status, await monitor.json()]).toEqual([401, ADMIN_IN_QUERY]);
    expect((await run(TOKEN, "CONFIG", "GET", "maxmemory-policy")).body).toEqual({ result: ["maxmemory-policy", "noeviction"] });
  });
});

describe("CORS", () => {
  const origin = { origin: "https://example.com" };

  it("is not offered on /admin nor /monitor: no Access-Control-* header on preflights or answers", async () => {
    for (const path of ["/admin", "/admin/health", "/admin/bgsave", "/admin/nope", "/monitor"]) {
      const pre = await SELF.fetch(`http://localhost${path}`, {
        method: "OPTIONS",
        headers: { ...origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization" },
      });
      expect({ path, status: pre.status, cors: corsHeaders(pre) }).toEqual({ path, status: 405, cors: [] });
    }
    const health = await SELF.fetch("http://localhost/admin/health", { headers: { ...origin, ...as(ADMIN_TOKEN) } });
    expect({ status: health.status, cors: corsHeaders(health) }).toEqual({ status: 200, cors: [] });
    const refused = await SELF.fetch("http://localhost/admin/health", { headers: { ...origin, ...as(TOKEN) } });
    expect({ status: refused.status, cors: corsHeaders(refused) }).toEqual({ status: 401, cors: [] });
    const missing = await SELF.fetch("http://localhost/admin/nope", { headers: { ...origin, ...as(ADMIN_TOKEN) } });
    expect({ status: missing.status, cors: corsHeaders(missing) }).toEqual({ status: 404, cors: [] });
    const monitor = await SELF.fetch("http://localhost/monitor", { headers: { ...origin, ...as(TOKEN) } });
    expect({ status: monitor.status, cors: corsHeaders(monitor) }).toEqual({ status: 401, cors: [] });
  });

  it("is still offered on the data API", async () => {
    const pre = await SELF.fetch("http://localhost/pipeline", {
      method: "OPTIONS",
      headers: { ...origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization" },
    });
    expect([pre.status, pre.headers.get("access-control-allow-origin")]).toEqual([204, "*"]);
  });
});
