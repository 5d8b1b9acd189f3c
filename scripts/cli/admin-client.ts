// The admin API seen from the CLI: JSON calls, downloads and uploads with progress, and errors in one
// line that a script can act on (the exit status says whether the server was reachable). The token
// travels only in the Authorization header; no message ever includes it.

import type { SnapshotRecord } from "../../durable-objects/snapshot-manager.js";
import { createHash } from "node:crypto";
import { closeSync, createReadStream, openSync, writeSync } from "node:fs";
import { Readable } from "node:stream";
import { CliError, type Connection, EXIT } from "./args.js";
import type { Progress } from "./progress.js";

export interface ShardInfo {
  shard: number;
  [field: string]: string | number;
}

/** As the shard records it (the admin API sends it as JSON). */
export type { SnapshotRecord };

export interface ShardManifest {
  shard: number;
  base: { kind: string; seq: number; key?: string };
  increment: { firstSeq: number; lastSeq: number };
  snapshots: SnapshotRecord[];
  redis: string;
}

export interface Health {
  ok: boolean;
  failing: string[];
  shards: { shard: number; failing: string[] }[];
}

export class AdminClient {
  constructor(
    readonly conn: Connection,
    /** Longest a single request may take. */
    private readonly requestTimeoutMs = 120_000,
  ) {}

  /** One call; a status outside 2xx (and `accept`) becomes a CliError carrying the server's error text. */
  private async request(
    method: string,
    path: string,
    query: Record<string, string | number> = {},
    body?: Uint8Array | ReadableStream<Uint8Array>,
    accept: number[] = [],
  ): Promise<Response> {
    const url = new URL(this.conn.url + path);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, String(v));
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${this.conn.token}`, ...(body ? { "content-type": "application/octet-stream" } : {}) },
        body,
        // A streamed body is sent as it is read (Node's fetch needs to be told).
        ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
        signal: AbortSignal.timeout(this.requestTimeoutMs),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const why = (e as Error).name === "TimeoutError" ? `no answer within ${this.requestTimeoutMs / 1000} s` : (cause?.code ?? cause?.message ?? (e as Error).message);
      throw new CliError(`cannot reach ${this.conn.url} (${why})`, EXIT.UNREACHABLE);
    }
    if (res.ok || accept.includes(res.status)) return res;
    const text = await res.text();
    let message = text;
    try {
      const parsed = JSON.parse(text) as { error?: string } | { shard: number; error?: string }[];
      // Per-shard replies (BGSAVE, BGREWRITEAOF) carry each shard's refusal.
      message = Array.isArray(parsed)
        ? parsed.filter((r) => r.error).map((r) => `shard ${r.shard}: ${r.error}`).join("; ") || text
        : (parsed.error ?? text);
    } catch {
      // Not JSON (a proxy's page): keep the text.
    }
    message = message.slice(0, 300);
    if (res.status === 401 || res.status === 403) {
      throw new CliError(`${this.conn.url} refused the admin token (HTTP ${res.status}: ${message})`, EXIT.UNREACHABLE);
    }
    throw new CliError(`${method} ${path}${url.search}: HTTP ${res.status}: ${message}`);
  }

  async json<T>(method: string, path: string, query?: Record<string, string | number>): Promise<T> {
    const res = await this.request(method, path, query);
    return (await res.json()) as T;
  }

  async text(path: string, query?: Record<string, string | number>): Promise<string> {
    const res = await this.request("GET", path, query);
    return res.text();
  }

  /**
   * A download written to `file` as it arrives (never held in memory), with progress; returns its
   * size and SHA-256.
   */
  async downloadTo(path: string, query: Record<string, string | number>, file: string, progress?: Progress, label = path): Promise<{ size: number; sha256: string }> {
    const res = await this.request("GET", path, query);
    const total = Number(res.headers.get("content-length")) || 0;
    const hash = createHash("sha256");
    const fd = openSync(file, "w");
    let got = 0;
    try {
      const reader = res.body!.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        writeSync(fd, value);
        hash.update(value);
        got += value.length;
        progress?.bytes(label, got, total);
      }
    } catch (e) {
      throw new CliError(`${label}: the download failed after ${got} bytes (${(e as Error).message})`);
    } finally {
      closeSync(fd);
    }
    if (total && got !== total) throw new CliError(`${label}: the download stopped at ${got} of ${total} bytes`);
    progress?.done(label, got);
    return { size: got, sha256: hash.digest("hex") };
  }

  async post<T>(path: string, query: Record<string, string | number>): Promise<T> {
    const res = await this.request("POST", path, query);
    return (await res.json()) as T;
  }

  /** Uploads a file as the request body, streamed from disk. */
  async uploadFile<T>(path: string, query: Record<string, string | number>, file: string): Promise<T> {
    const res = await this.request("POST", path, query, Readable.toWeb(createReadStream(file)) as unknown as ReadableStream<Uint8Array>);
    return (await res.json()) as T;
  }

  /** The number of shards, from the deployment itself. */
  async shardCount(): Promise<number> {
    const all = await this.json<{ shard: number }[]>("GET", "/admin/lastsave");
    return all.length;
  }

  info(): Promise<ShardInfo[]> {
    return this.json<ShardInfo[]>("GET", "/admin/info", { format: "json" });
  }

  manifest(shard: number): Promise<ShardManifest> {
    return this.json<ShardManifest>("GET", "/admin/manifest", { shard });
  }

  /** The health checks (/admin/health answers 503, with the same body, when one fails). */
  async health(): Promise<Health> {
    const res = await this.request("GET", "/admin/health", {}, undefined, [503]);
    return (await res.json()) as Health;
  }
}
