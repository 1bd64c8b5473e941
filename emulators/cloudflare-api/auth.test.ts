import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type StartedCloudflareApi, startCloudflareApi } from "./index.ts";
import { refusal, sdkFor } from "./testing.ts";

/** Authentication and routing answers, through the SDK where it can send the request and plain fetch where it cannot. */
let cf: StartedCloudflareApi;
beforeEach(async () => {
  cf = await startCloudflareApi();
});
afterEach(() => cf.stop());

async function raw(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown>; text: string }> {
  const response = await fetch(`${cf.baseUrl}${path}`, { headers });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as Record<string, unknown>, text };
}

describe("API tokens", () => {
  it("verifies the token (user and account routes), as tools do before anything else", async () => {
    const client = sdkFor(cf);
    const verified = await client.user.tokens.verify();
    expect(verified).toEqual({ id: expect.stringMatching(/^[0-9a-f]{32}$/), status: "active" });
    expect(await client.accounts.tokens.verify({ account_id: cf.accountId })).toEqual(verified);
    const { body } = await raw("/user/tokens/verify", { authorization: `Bearer ${cf.token}` });
    expect(body).toMatchObject({ success: true, errors: [], messages: [{ code: 10000, message: "This API Token is valid and active" }] });
    expect(cf.token).toMatch(/^[A-Za-z0-9_-]{40}$/);
    expect(Object.keys(cf)).not.toContain("token");
  });

  it("answers 403 9109 to an unknown token (401 1000 on verify), never echoing it", async () => {
    const wrong = `${"x".repeat(39)}y`;
    const client = sdkFor(cf, wrong);
    expect(await refusal(client.r2.buckets.list({ account_id: cf.accountId }))).toEqual({ status: 403, codes: [9109], message: "Invalid access token" });
    expect(await refusal(client.user.tokens.verify())).toEqual({ status: 401, codes: [1000], message: "Invalid API Token" });
    const { text } = await raw(`/accounts/${cf.accountId}/r2/buckets`, { authorization: `Bearer ${wrong}` });
    expect(text).not.toContain(wrong);
  });

  it("answers 400 to a request without credentials (9106) or with a malformed Authorization header (6003 → 6111)", async () => {
    expect(await raw("/zones")).toMatchObject({
      status: 400,
      body: { success: false, errors: [{ code: 9106, message: "Missing X-Auth-Key, X-Auth-Email or Authorization headers" }], result: null },
    });
    expect(await raw("/zones", { authorization: `Token ${cf.token}` })).toMatchObject({
      status: 400,
      body: { errors: [{ code: 6003, message: "Invalid request headers", error_chain: [{ code: 6111, message: "Invalid format for Authorization header" }] }] },
    });
    expect(await raw("/zones", { "x-auth-email": "you@example.com", "x-auth-key": "k" })).toMatchObject({ status: 403, body: { errors: [{ code: 9103 }] } });
  });

  it("refuses everything once the token is revoked", async () => {
    const client = sdkFor(cf);
    await client.user.tokens.verify();
    cf.revoke();
    expect(await refusal(client.zones.list())).toMatchObject({ status: 403, codes: [9109] });
  });
});

describe("routing", () => {
  it("answers another account's id with 403 10000, and an id of the wrong shape or an unknown path with 7003 and 7000", async () => {
    const client = sdkFor(cf);
    expect(await refusal(client.r2.buckets.list({ account_id: "f".repeat(32) }))).toEqual({ status: 403, codes: [10000], message: "Authentication error" });
    expect(await refusal(client.dns.records.list({ zone_id: "e".repeat(32) }))).toMatchObject({ status: 403, codes: [10000] });
    const malformed = await refusal(client.r2.buckets.list({ account_id: "not-an-account" }));
    expect(malformed).toEqual({
      status: 400,
      codes: [7003, 7000],
      message: "Could not route to /client/v4/accounts/not-an-account/r2/buckets, perhaps your object identifier is invalid?",
    });
    expect(await raw(`/accounts/${cf.accountId}/no-such-product`, { authorization: `Bearer ${cf.token}` })).toMatchObject({
      status: 400,
      body: { success: false, errors: [{ code: 7003 }, { code: 7000, message: "No route for that URI" }] },
    });
  });

  it("answers a body that is not JSON with 6007", async () => {
    const response = await fetch(`${cf.baseUrl}/accounts/${cf.accountId}/r2/buckets`, {
      method: "POST",
      headers: { authorization: `Bearer ${cf.token}`, "content-type": "application/json" },
      body: "{name:",
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ errors: [{ code: 6007, message: "Malformed JSON in request body" }] });
  });
});
