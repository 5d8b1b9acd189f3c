// Secrets are not in wrangler.toml, so `wrangler types` does not know them: declared here.
interface Env {
  /** Token with full access (wrangler secret put REST_TOKEN). */
  REST_TOKEN?: string;
  /** Token limited to read commands. */
  READONLY_REST_TOKEN?: string;
  /** Token for /admin endpoints only. */
  ADMIN_TOKEN?: string;
}
