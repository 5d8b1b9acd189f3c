// Replies as plain data, so they cross the Durable Object RPC boundary (structured clone) as is.
// Bulk strings are byte strings; integers are numbers (bigint beyond 2^53); floats are bulk strings.

export interface StatusReply {
  status: string;
}
export interface ErrorReply {
  error: string;
}
export type Reply = null | number | bigint | string | StatusReply | ErrorReply | Reply[];

export const OK: StatusReply = Object.freeze({ status: "OK" });
export const QUEUED: StatusReply = Object.freeze({ status: "QUEUED" });
export const PONG: StatusReply = Object.freeze({ status: "PONG" });

export const status = (text: string): StatusReply => ({ status: text });
export const errorReply = (text: string): ErrorReply => ({ error: text });

export function isErrorReply(r: Reply): r is ErrorReply {
  return r !== null && typeof r === "object" && !Array.isArray(r) && "error" in r;
}
export function isStatusReply(r: Reply): r is StatusReply {
  return r !== null && typeof r === "object" && !Array.isArray(r) && "status" in r;
}
