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

  it("grants admin, write, read-only or nothing on the data API; the admin token only from the Authorization header", () => {
    const env = { REST_TOKEN: "w", READONLY_REST_TOKEN: "r", ADMIN_TOKEN: "a" };
    const header = (value: string) => ({ value, inHeader: true });
    const query = (value: string) => ({ value, inHeader: false });
    expect(dataAccess(header("a"), env)).toBe("admin");
    expect(dataAccess(header("w"), env)).toBe("write");
    expect(dataAccess(header("r"), env)).toBe("readonly");
    expect(dataAccess(query("a"), env)).toBe(null);
    expect(dataAccess(query("w"), env)).toBe("write");
    expect(dataAccess(query("r"), env)).toBe("readonly");
    expect(dataAccess(null, env)).toBe(null);
    expect(dataAccess(header("r"), { REST_TOKEN: "w" })).toBe(null);
    expect(dataAccess(header("a"), { REST_TOKEN: "w" })).toBe(null);
  });

  it("compares non-ASCII tokens by their characters", () => {
    expect(tokenEquals("tökén", "tökén")).toBe(true);
    expect(tokenEquals("tökén", "tökèn")).toBe(false);
  });
});
