import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

describe("worker project", () => {
  it("runs inside workerd, not Node", () => {
    expect(navigator.userAgent).toBe("Cloudflare-Workers");
    // WebSocketPair exists only in the Workers runtime.
    expect(typeof WebSocketPair).toBe("function");
  });

  it("serves /sandbox-health without touching anything else", async () => {
    const response = await exports.default.fetch("http://moltlab.test/sandbox-health");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("answers 404 for an unknown route", async () => {
    const response = await exports.default.fetch("http://moltlab.test/no-such-route");
    expect(response.status).toBe(404);
  });
});
