import { afterEach, describe, expect, it, vi } from "vitest";
import { containerEnv } from "../src/container/container-env.ts";
import { devModeDecision } from "../src/middleware/dev-mode.ts";
import type { Env } from "../src/types.ts";
import { fetchWithEnv } from "./helpers.ts";

afterEach(() => vi.restoreAllMocks());

const status = (origin: string, headers: Record<string, string> = {}) =>
  new Request(`${origin}/api/status`, { headers: { accept: "application/json", ...headers } });
/** What moltlab's own `wrangler dev` on 127.0.0.1 has in its generated config (stack/sandbox.ts). */
const KIT_DEV_SERVER = { MOLTLAB_DEV_SERVER: "loopback" };

describe("DEV_MODE / E2E_TEST_MODE guard", () => {
  it("skips Access on the kit's loopback dev server, loudly: a response header and a log line per request", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const response = await fetchWithEnv(status("http://127.0.0.1:8787"), { DEV_MODE: "true", ...KIT_DEV_SERVER });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-moltlab-dev-mode")).toBe("access-bypassed (DEV_MODE)");
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("Cloudflare Access is NOT checked"));
  });

  it("works the same for E2E_TEST_MODE", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const response = await fetchWithEnv(status("http://127.0.0.1:8787"), { E2E_TEST_MODE: "true", ...KIT_DEV_SERVER });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-moltlab-dev-mode")).toBe("access-bypassed (E2E_TEST_MODE)");
  });

  it("is refused for a loopback Host without the dev server's marker: the Host header proves nothing under wrangler dev", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    for (const origin of ["http://127.0.0.1:8787", "http://localhost:8787", "http://[::1]:8787"]) {
      const response = await fetchWithEnv(status(origin, { host: new URL(origin).host }), { DEV_MODE: "true" });
      expect(response.status, origin).toBe(401);
      expect(response.headers.get("x-moltlab-dev-mode")).toBe("refused: not moltlab's loopback dev server");
    }
    expect(error).toHaveBeenCalledTimes(3);
    expect(error).toHaveBeenCalledWith(
      expect.stringMatching(/^moltlab: DEV_MODE=true ignored, Cloudflare Access is enforced: .*MOLTLAB_DEV_SERVER.*npm run dev -- --dev-mode/),
    );
  });

  it("is refused on a deployed Worker (a public host, no marker): Access is enforced, and the refusal is logged and marked", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const response = await fetchWithEnv(status("https://moltbot-sandbox.example.workers.dev"), { DEV_MODE: "true" });
    expect(response.status).toBe(401);
    expect(response.headers.get("x-moltlab-dev-mode")).toBe("refused: not moltlab's loopback dev server");
    expect(error).toHaveBeenCalledWith(expect.stringContaining("DEV_MODE=true ignored"));
  });

  it("lets the Host only take the bypass away: on the kit's dev server a name rebound to 127.0.0.1 (DNS rebinding) is refused", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const response = await fetchWithEnv(status("http://moltbot.example.com:8787"), { DEV_MODE: "true", ...KIT_DEV_SERVER });
    expect(response.status).toBe(401);
    expect(response.headers.get("x-moltlab-dev-mode")).toBe("refused: not a loopback host");
    expect(error).toHaveBeenCalledWith(expect.stringMatching(/DEV_MODE=true ignored for host moltbot\.example\.com.*DNS rebinding/));
  });

  it("no longer honours DEV_MODE_ALLOWED_HOSTS, and says so", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const response = await fetchWithEnv(status("https://e2e.example.com"), { DEV_MODE: "true", DEV_MODE_ALLOWED_HOSTS: "e2e.example.com" });
    expect(response.status).toBe(401);
    expect(error).toHaveBeenCalledWith(expect.stringMatching(/DEV_MODE_ALLOWED_HOSTS is no longer honoured.*remove it/));
  });

  it("needs the marker's exact value", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    for (const marker of ["true", "LOOPBACK", "loopback,public", ""]) {
      const response = await fetchWithEnv(status("http://127.0.0.1:8787"), { DEV_MODE: "true", MOLTLAB_DEV_SERVER: marker });
      expect(response.status, marker).toBe(401);
    }
  });

  it("is off unless the flag is exactly true", async () => {
    for (const value of [undefined, "false", "1", "yes"]) {
      const response = await fetchWithEnv(status("http://127.0.0.1:8787"), { DEV_MODE: value, ...KIT_DEV_SERVER });
      expect(response.status).toBe(401);
      expect(response.headers.get("x-moltlab-dev-mode")).toBeNull();
    }
  });

  it("is enabled by the bindings alone; the request can only refuse it", () => {
    const local = new URL("http://127.0.0.1:8787/");
    expect(devModeDecision({ DEV_MODE: "TRUE", ...KIT_DEV_SERVER } as Env, local)).toEqual({ bypass: true, flag: "DEV_MODE" });
    expect(devModeDecision({ E2E_TEST_MODE: "true" } as Env, local)).toMatchObject({
      bypass: false,
      refused: expect.stringContaining("E2E_TEST_MODE=true ignored"),
    });
    expect(devModeDecision({ ...KIT_DEV_SERVER } as Env, local)).toEqual({ bypass: false });
  });
});

describe("OPENCLAW_DEV_MODE (OpenClaw's insecure Control UI login)", () => {
  it("reaches the container only where the Worker honours DEV_MODE: never from a deployed Worker", () => {
    expect(containerEnv({ DEV_MODE: "true", ...KIT_DEV_SERVER } as Env).OPENCLAW_DEV_MODE).toBe("true");
    expect(containerEnv({ DEV_MODE: "true" } as Env)).not.toHaveProperty("OPENCLAW_DEV_MODE");
    expect(containerEnv({ ...KIT_DEV_SERVER } as Env)).not.toHaveProperty("OPENCLAW_DEV_MODE");
  });
});
