// A worker entry for Node interop tests that need the shards' clock at a given time (no test sleeps
// until a second passes): the real worker, plus POST /__clock?ms=T, which stops every shard's clock
// at T (Unix milliseconds). Only tests bundle it (scripts/cli/testing.ts startWorker's `entry`).
import { app } from "../worker/app.js";
import { Shard as RealShard } from "../durable-objects/shard.js";
// The pub/sub hubs, as the real entry exports them (startWorker binds PUBSUB to them).
export { PubSubHub } from "../durable-objects/pubsub-hub.js";

export class Shard extends RealShard {
  async stopClockAt(ms: number): Promise<void> {
    // The shard's clock is Date.now() + clockOffset: an offset that follows Date.now() stops it.
    Object.defineProperty(this, "clockOffset", { get: () => ms - Date.now(), configurable: true });
  }
}

export default {
  async fetch(req: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname !== "/__clock") return app.fetch(req, env, ctx);
    const ms = Number(url.searchParams.get("ms"));
    for (let n = 0; n < (Number(env.SHARDS) || 1); n++) {
      await (env.SHARD.get(env.SHARD.idFromName(`shard-${n}`)) as unknown as Pick<Shard, "stopClockAt">).stopClockAt(ms);
    }
    return new Response("OK");
  },
};
