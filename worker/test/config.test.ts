import { describe, expect, it } from "vitest";
import { checkConfig } from "../src/config.ts";
import type { Env } from "../src/env.ts";
import { BASE, fetchWithEnv, freshSandbox, inSandbox, leakedSecrets } from "./helpers.ts";

const request = () => new Request(`${BASE}/`, { headers: { accept: "application/json" } });

describe("required-config check", () => {
  it("answers 503 naming every missing variable with the wrangler secret put hint, before Access or the container", async () => {
    await freshSandbox();
    const response = await fetchWithEnv(request(), { MOLTBOT_GATEWAY_TOKEN: undefined, CF_ACCESS_AUD: undefined, ANTHROPIC_API_KEY: undefined });
    expect(response.status).toBe(503);
    const body = (await response.json()) as { missing: string[]; commands: string[]; hint: string };
    expect(body.missing).toEqual(["MOLTBOT_GATEWAY_TOKEN", "CF_ACCESS_AUD", expect.stringMatching(/^ANTHROPIC_API_KEY or OPENAI_API_KEY or CLOUDFLARE_AI_GATEWAY_API_KEY/)]);
    expect(body.commands).toEqual(["wrangler secret put MOLTBOT_GATEWAY_TOKEN", "wrangler secret put CF_ACCESS_AUD", "wrangler secret put ANTHROPIC_API_KEY"]);
    expect(body.hint).toContain("wrangler secret put");
    expect(leakedSecrets(JSON.stringify(body))).toEqual([]);
    expect(await inSandbox((sandbox) => sandbox.fake.starts)).toBe(0);
  });

  it("names the missing members of a partly configured AI Gateway", () => {
    const report = checkConfig({ MOLTBOT_GATEWAY_TOKEN: "t", CF_ACCESS_TEAM_DOMAIN: "d", CF_ACCESS_AUD: "a", CLOUDFLARE_AI_GATEWAY_API_KEY: "k" } as Env, { accessRequired: true });
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
    const response = await fetchWithEnv(request(), { R2_SECRET_ACCESS_KEY: undefined, SANDBOX_SLEEP_AFTER: "ten minutes" });
    expect(response.status).toBe(503);
    const body = (await response.json()) as { missing: string[]; invalid: string[] };
    expect(body.missing).toEqual(["R2_SECRET_ACCESS_KEY"]);
    expect(body.invalid).toEqual([expect.stringContaining("SANDBOX_SLEEP_AFTER")]);
  });

  it("does not require the Access variables when the dev-mode bypass applies", async () => {
    const response = await fetchWithEnv(new Request("http://localhost/api/status"), { DEV_MODE: "true", CF_ACCESS_AUD: undefined, CF_ACCESS_TEAM_DOMAIN: undefined });
    expect(response.status).toBe(200);
  });
});
