import { describe, expect, it } from "vitest";
import { dataAccess, tokenEquals } from "./auth.js";

describe("token checks", () => {
  it("accepts only the exact token", () => {
    const secret = "s3cret-token";
    expect(tokenEquals(secret, secret)).toBe(true);
    expect(tokenEquals("s3cret-tokeN", secret)).toBe(false);
    expect(tokenEquals("s3cret-toke", secret)).toBe(false); // a prefix
    expect(tokenEquals("s3cret-token!", secret)).toBe(false); // an extension
    expect(tokenEquals(secret + secret, secret)).toBe(false); // the secret repeated matches every compared character
    expect(tokenEquals("", secret)).toBe(false);
    expect(tokenEquals("x", "y")).toBe(false);
  });

  it("never accepts against a token that is not configured", () => {
    expect(tokenEquals("", undefined)).toBe(false);
    expect(tokenEquals("", "")).toBe(false);
    expect(tokenEquals("anything", "")).toBe(false);
  });

  it("grants write, read-only or nothing on the data API; the admin token is not a data token", () => {
    const env = { REST_TOKEN: "w", READONLY_REST_TOKEN: "r", ADMIN_TOKEN: "a" };
    expect(dataAccess("w", env)).toBe("write");
    expect(dataAccess("r", env)).toBe("readonly");
    expect(dataAccess("a", env)).toBe(null);
    expect(dataAccess(null, env)).toBe(null);
    expect(dataAccess("r", { REST_TOKEN: "w" })).toBe(null);
  });

  it("compares non-ASCII tokens by their characters", () => {
    expect(tokenEquals("tökén", "tökén")).toBe(true);
    expect(tokenEquals("tökén", "tökèn")).toBe(false);
  });
});
