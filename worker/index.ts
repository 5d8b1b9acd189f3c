// Worker entry: the HTTP front, and the Durable Object class it routes to.

import { app } from "./app.js";

export { Shard } from "../durable-objects/shard.js";
export { PubSubHub } from "../durable-objects/pubsub-hub.js";
export default app;
