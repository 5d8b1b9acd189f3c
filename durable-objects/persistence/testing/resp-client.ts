// The one RESP client of the Node tests and the differential scripts: commands pipelined over
// node:net, replies in order as the engine's Reply (byte strings; error replies as {error}), and
// replies that answer no call (messages in subscribe mode) handed to onPush.

import { Socket } from "node:net";
import { binaryToBytes, bytesToBinary } from "../../engine/bytes.js";
import { type Reply, isErrorReply } from "../../engine/reply.js";
import { RespReplyParser, encodeCommand } from "../resp.js";

export interface RespClientOptions {
  /**
   * A reply that takes longer fails the connection: the differential scripts' guard against a command
   * that blocked Redis for good. No limit when absent.
   */
  timeoutMs?: number;
}

interface Waiter {
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
  timer?: ReturnType<typeof setTimeout>;
}

export class RespClient {
  private readonly parser = new RespReplyParser();
  private readonly queue: Waiter[] = [];
  private failure: Error | null = null;
  /** Receives the replies no call waits for (pub/sub messages, subscribe confirmations of send()). */
  onPush: ((reply: Reply) => void) | null = null;

  private constructor(
    private readonly socket: Socket,
    private readonly opts: RespClientOptions,
  ) {
    socket.on("data", (chunk: Buffer) => {
      this.parser.push(bytesToBinary(chunk));
      for (let reply = this.parser.next(); reply !== undefined; reply = this.parser.next()) {
        const w = this.queue.shift();
        if (w === undefined) {
          this.onPush?.(reply);
          continue;
        }
        clearTimeout(w.timer);
        w.resolve(reply);
      }
    });
    socket.on("error", (e) => this.fail(e));
    socket.on("close", () => this.fail(new Error("connection to redis-server closed")));
  }

  static connect(port: number, host = "127.0.0.1", opts: RespClientOptions = {}): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const socket = new Socket();
      socket.once("error", reject);
      socket.connect(port, host, () => {
        socket.off("error", reject);
        socket.setNoDelay(true);
        resolve(new RespClient(socket, opts));
      });
    });
  }

  /** Sends a command (pipelined after any in flight); resolves with its reply, error replies as {error}. */
  call(...argv: string[]): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const w: Waiter = { resolve, reject };
      const limit = this.opts.timeoutMs;
      if (limit !== undefined) {
        w.timer = setTimeout(() => {
          this.fail(new Error(`redis-server did not answer ${argv.join(" ").slice(0, 200)} within ${limit / 1000} s`));
          this.socket.destroy();
        }, limit);
      }
      this.queue.push(w);
      this.socket.write(binaryToBytes(encodeCommand(argv)));
    });
  }

  /** Like call(), but an error reply rejects. */
  async ok(...argv: string[]): Promise<Reply> {
    const r = await this.call(...argv);
    if (isErrorReply(r)) throw new Error(`${argv[0]}: ${r.error}`);
    return r;
  }

  /** Sends a command whose replies come to onPush (SUBSCRIBE, PSUBSCRIBE: no call waits for them). */
  send(...argv: string[]): void {
    this.socket.write(binaryToBytes(encodeCommand(argv)));
  }

  close(): void {
    this.socket.destroy();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.queue.splice(0)) {
      clearTimeout(w.timer);
      w.reject(this.failure);
    }
  }
}
