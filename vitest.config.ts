// Two projects: the pure engine and persistence code in Node, and everything that needs workerd
// (Durable Objects, SQLite storage, alarms, R2, the HTTP front) in the Workers runtime.
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          include: ["durable-objects/**/*.test.ts", "worker/**/*.test.ts", "scripts/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                REST_TOKEN: "test-token",
                READONLY_REST_TOKEN: "test-readonly-token",
                ADMIN_TOKEN: "test-admin-token",
                // Small limits so the size-limit tests send little data.
                MAX_REQUEST_BYTES: "65536",
                MAX_RECORD_BYTES: "32768",
              },
            },
          }),
        ],
        test: {
          name: "workerd",
          include: ["test/**/*.test.ts"],
        },
      },
    ],
  },
});
