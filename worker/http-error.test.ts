// The worker's one error type and the one place it becomes a response.
import { describe, expect, it, vi } from "vitest";
import { HttpError, errorResponse } from "./http-error.js";

describe("errorResponse", () => {
  it("answers an HttpError with its status and {error} body, plus the headers given", async () => {
    const res = errorResponse(new HttpError(413, "ERR max request size exceeded"), { "access-control-allow-origin": "*" });
    expect(res.status).toBe(413);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(await res.text()).toBe('{"error":"ERR max request size exceeded"}');
  });

  it("answers anything else as ERR internal error (500), logged and without its details", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const res = errorResponse(new TypeError("secret detail"));
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('{"error":"ERR internal error"}');
    expect(log).toHaveBeenCalledOnce();
    log.mockRestore();
  });
});
