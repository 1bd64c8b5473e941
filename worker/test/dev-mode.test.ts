import { afterEach, describe, expect, it, vi } from "vitest";
import { devModeDecision, isLoopbackHost } from "../src/dev-mode.ts";
import type { Env } from "../src/env.ts";
import { fetchWithEnv } from "./helpers.ts";

afterEach(() => vi.restoreAllMocks());

const status = (origin: string) => new Request(`${origin}/api/status`, { headers: { accept: "application/json" } });

describe("DEV_MODE / E2E_TEST_MODE guard", () => {
  it("skips Access on a loopback host, loudly: a response header and a log line per request", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const response = await fetchWithEnv(status("http://127.0.0.1:8787"), { DEV_MODE: "true" });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-moltlab-dev-mode")).toBe("access-bypassed (DEV_MODE)");
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("Cloudflare Access is NOT checked"));
  });

  it("works the same for E2E_TEST_MODE on localhost", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const response = await fetchWithEnv(status("http://localhost:8787"), { E2E_TEST_MODE: "true" });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-moltlab-dev-mode")).toBe("access-bypassed (E2E_TEST_MODE)");
  });

  it("is refused on a public host: Access is enforced, and the refusal is logged and marked", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const response = await fetchWithEnv(status("https://moltbot-sandbox.example.workers.dev"), { DEV_MODE: "true" });
    expect(response.status).toBe(401);
    expect(response.headers.get("x-moltlab-dev-mode")).toBe("refused: not a loopback host");
    expect(error).toHaveBeenCalledWith(expect.stringContaining("DEV_MODE=true ignored"));
  });

  it("applies to a public host only when DEV_MODE_ALLOWED_HOSTS names it", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const response = await fetchWithEnv(status("https://e2e.example.com"), { DEV_MODE: "true", DEV_MODE_ALLOWED_HOSTS: "other.example.com, e2e.example.com" });
    expect(response.status).toBe(200);
  });

  it("is off unless the flag is exactly true", async () => {
    for (const value of [undefined, "false", "1", "yes"]) {
      const response = await fetchWithEnv(status("http://localhost"), { DEV_MODE: value });
      expect(response.status).toBe(401);
      expect(response.headers.get("x-moltlab-dev-mode")).toBeNull();
    }
  });

  it("knows loopback hosts", () => {
    for (const host of ["localhost", "app.localhost", "127.0.0.1", "127.1.2.3", "[::1]"]) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ["localhost.example.com", "128.0.0.1", "example.com", "1127.0.0.1"]) expect(isLoopbackHost(host)).toBe(false);
    expect(devModeDecision({ DEV_MODE: "TRUE" } as Env, new URL("http://localhost/"))).toEqual({ bypass: true, flag: "DEV_MODE" });
  });
});
