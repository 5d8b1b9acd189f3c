// Stands in for fengari's Node-only optional dependencies in the Worker bundle (wrangler.toml
// [alias]): readline-sync, for debug.debug (fengari sets its prompt as it loads), and tmp, for
// os.tmpname. Scripts reach neither library; using them throws.
"use strict";
const unavailable = () => {
  throw new Error("not available in a Worker");
};
module.exports = { setDefaultOptions() {}, prompt: unavailable, tmpNameSync: unavailable, platform: () => "linux" };
