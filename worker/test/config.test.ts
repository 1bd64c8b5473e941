import { beforeAll, describe, expect, it } from "vitest";
import { checkConfig } from "../src/middleware/config.ts";
import type { Env } from "../src/types.ts";
import { accessToken, BASE, fetchWithEnv, freshSandbox, inSandbox, leakedSecrets } from "./helpers.ts";

let token: string;
beforeAll(async () => {
  token = await accessToken();
});

const anonymous = (accept = "application/json") => new Request(`${BASE}/`, { headers: { accept }, redirect: "manual" });
const signedIn = () => new Request(`${BASE}/`, { headers: { accept: "application/json", "CF-Access-JWT-Assertion": token } });

/** A variable's name (ANTHROPIC_API_KEY, CF_ACCESS_AUD, …): what an anonymous visitor must not learn. */
const VARIABLE_NAME = /\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/;

/** Everything an anonymous response shows: status line aside, its headers and body. */
async function shown(response: Response): Promise<string> {
  return `${JSON.stringify(Object.fromEntries(response.headers))}\n${await response.text()}`;
}

describe("required-config check", () => {
  it("answers a signed-in user 503 naming every missing variable with the wrangler secret put hint, before the container", async () => {
    await freshSandbox();
    const response = await fetchWithEnv(signedIn(), { MOLTBOT_GATEWAY_TOKEN: undefined, ANTHROPIC_API_KEY: undefined });
    expect(response.status).toBe(503);
    const body = (await response.json()) as { missing: string[]; commands: string[]; hint: string };
    expect(body.missing).toEqual(["MOLTBOT_GATEWAY_TOKEN", expect.stringMatching(/^ANTHROPIC_API_KEY or OPENAI_API_KEY or CLOUDFLARE_AI_GATEWAY_API_KEY/)]);
    expect(body.commands).toEqual(["wrangler secret put MOLTBOT_GATEWAY_TOKEN", "wrangler secret put ANTHROPIC_API_KEY"]);
    expect(body.hint).toContain("wrangler secret put");
    expect(leakedSecrets(JSON.stringify(body))).toEqual([]);
    expect(await inSandbox((sandbox) => sandbox.fake.starts)).toBe(0);
  });

  it("tells a visitor who is not signed in nothing about the configuration: Access answers first", async () => {
    const missing = { MOLTBOT_GATEWAY_TOKEN: undefined, ANTHROPIC_API_KEY: undefined, R2_SECRET_ACCESS_KEY: undefined };
    const api = await fetchWithEnv(anonymous(), missing);
    expect(api.status).toBe(401);
    expect(await shown(api)).not.toMatch(VARIABLE_NAME);
    const browser = await fetchWithEnv(anonymous("text/html"), missing);
    expect(browser.status).toBe(302);
    expect(await shown(browser)).not.toMatch(VARIABLE_NAME);
  });

  it("with Access itself unconfigured, names only Access's own variables", async () => {
    const response = await fetchWithEnv(anonymous(), { CF_ACCESS_AUD: undefined, MOLTBOT_GATEWAY_TOKEN: undefined, ANTHROPIC_API_KEY: undefined });
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).toContain("CF_ACCESS_AUD");
    expect(text).not.toMatch(/MOLTBOT_GATEWAY_TOKEN|ANTHROPIC_API_KEY|missing/);
  });

  it("names the missing members of a partly configured AI Gateway", () => {
    const report = checkConfig({ MOLTBOT_GATEWAY_TOKEN: "t", CF_ACCESS_TEAM_DOMAIN: "d", CF_ACCESS_AUD: "a", CLOUDFLARE_AI_GATEWAY_API_KEY: "k" } as Env, {
      accessRequired: true,
    });
    expect(report.missing).toEqual(["CF_AI_GATEWAY_ACCOUNT_ID", "CF_AI_GATEWAY_GATEWAY_ID"]);
  });

  it("accepts each kind of model provider", () => {
    const base = { MOLTBOT_GATEWAY_TOKEN: "t" } as Env;
    for (const provider of [
      { ANTHROPIC_API_KEY: "k" },
      { OPENAI_API_KEY: "k" },
      { AI_GATEWAY_API_KEY: "k", AI_GATEWAY_BASE_URL: "https://gw" },
      { CLOUDFLARE_AI_GATEWAY_API_KEY: "k", CF_AI_GATEWAY_ACCOUNT_ID: "a", CF_AI_GATEWAY_GATEWAY_ID: "g" },
    ]) {
      expect(checkConfig({ ...base, ...provider }, { accessRequired: false })).toEqual({ missing: [], invalid: [] });
    }
  });

  it("reports half-configured R2 and an unparseable SANDBOX_SLEEP_AFTER", async () => {
    const response = await fetchWithEnv(signedIn(), { R2_SECRET_ACCESS_KEY: undefined, SANDBOX_SLEEP_AFTER: "ten minutes" });
    expect(response.status).toBe(503);
    const body = (await response.json()) as { missing: string[]; invalid: string[] };
    expect(body.missing).toEqual(["R2_SECRET_ACCESS_KEY"]);
    expect(body.invalid).toEqual([expect.stringContaining("SANDBOX_SLEEP_AFTER")]);
  });

  it("does not require the Access variables when the dev-mode bypass applies", async () => {
    const response = await fetchWithEnv(new Request("http://localhost/api/status"), {
      DEV_MODE: "true",
      MOLTLAB_DEV_SERVER: "loopback",
      CF_ACCESS_AUD: undefined,
      CF_ACCESS_TEAM_DOMAIN: undefined,
    });
    expect(response.status).toBe(200);
  });
});
