// Two projects: the pure engine and persistence code in Node, and everything that needs workerd
// (Durable Objects, SQLite storage, alarms, R2, the HTTP front) in the Workers runtime.
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Generous per-test limits: on a shared, loaded machine a property test or a crash loop can take far
// longer than its usual second or two, and speed is the bench's business, not the tests'. A test
// that truly hangs is still stopped, by scripts/run-tests.mjs.
const SLOW_MACHINE = { testTimeout: 120_000, hookTimeout: 120_000 };

const FENGARI_MODULES = ["lua", "lauxlib", "lobject", "ltable", "lstring", "ldebug", "ltm", "lbaselib", "ltablib", "lstrlib", "lmathlib", "lcorolib"].map(
  (m) => `fengari/src/${m}.js`,
);

/** What fengari requires for libraries scripts never get (io, os, package, debug.debug). */
const FENGARI_NODE_REQUIRES = ["fs", "os", "path", "child_process", "crypto", "readline-sync", "tmp"];

function workerdProject(name: string, shards: string, include: string[], exclude: string[] = [], hubs = "1") {
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            SHARDS: shards,
            PUBSUB_HUBS: hubs,
            REST_TOKEN: "test-token",
            READONLY_REST_TOKEN: "test-readonly-token",
            ADMIN_TOKEN: "test-admin-token",
            // Small limits so the size-limit tests send little data.
            MAX_REQUEST_BYTES: "65536",
            MAX_RECORD_BYTES: "32768",
            // No default save rules: with them every shard that took a write arms an alarm, and alarms
            // firing across the plugin's per-file storage teardown stalled the next file for good.
            // Tests that need save rules set them with CONFIG SET.
            SAVE: "",
          },
        },
      }),
    ],
    test: {
      name,
      include,
      exclude,
      // fengari (the Lua VM, CommonJS) is bundled into one module as in the Worker's bundle: the
      // runner's module fallback would load some of its files twice (one per path spelling), and
      // the VM patches the copy that fengari's own code uses. Its Node-only startup requires are
      // answered by the setup file.
      deps: { optimizer: { ssr: { enabled: true, include: FENGARI_MODULES, rolldownOptions: { external: FENGARI_NODE_REQUIRES } } } },
      setupFiles: ["test/setup/fengari-node-shims.ts"],
      ...SLOW_MACHINE,
    },
  };
}

/** Tests of commands through HTTP: they must pass with one shard and with four. */
const COMMAND_TESTS = ["test/http.test.ts", "test/access.test.ts", "test/fuzz.test.ts", "test/upstash-client.test.ts", "test/ratelimit.test.ts", "test/commands-*.test.ts"];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          include: ["durable-objects/**/*.test.ts", "worker/**/*.test.ts", "scripts/**/*.test.ts"],
          environment: "node",
          ...SLOW_MACHINE,
        },
      },
      workerdProject("workerd", "1", ["test/**/*.test.ts"], ["test/sharding*.test.ts", "test/loading-refusals.test.ts"]),
      // A run of its own: in a run with other files the runtime has hung after this file's last test,
      // before the next file started (no test at fault; cf. workers-sdk#15498).
      workerdProject("workerd-loading", "1", ["test/loading-refusals.test.ts"]),
      // Four pub/sub hubs as well: channels spread over them, patterns on each.
      workerdProject("workerd-4-shards", "4", [...COMMAND_TESTS, "test/sharding*.test.ts"], [], "4"),
    ],
  },
});
