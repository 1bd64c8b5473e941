import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type StartedCloudflareApi, startCloudflareApi } from "./index.ts";
import { refusal, sdkFor } from "./testing.ts";

/** Zero Trust Access through the official SDK: what moltworker's Terraform creates to protect the Worker. */
let cf: StartedCloudflareApi;
beforeEach(async () => {
  cf = await startCloudflareApi({ teamName: "myteam" });
});
afterEach(() => cf.stop());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function github(cfApi: StartedCloudflareApi): Promise<string> {
  const client = sdkFor(cfApi);
  for await (const idp of client.zeroTrust.identityProviders.list({ account_id: cfApi.accountId })) if (idp.type === "github") return idp.id!;
  throw new Error("no GitHub identity provider");
}

describe("Access organization and identity providers", () => {
  it("has a team domain and a GitHub identity provider from the start", async () => {
    const client = sdkFor(cf);
    const organization = await client.zeroTrust.organizations.list({ account_id: cf.accountId });
    expect(organization).toMatchObject({ auth_domain: "myteam.cloudflareaccess.com", name: "myteam", session_duration: "24h" });
    expect(cf.teamDomain).toBe("myteam.cloudflareaccess.com");
    const idps = [];
    for await (const idp of client.zeroTrust.identityProviders.list({ account_id: cf.accountId })) idps.push(idp);
    expect(idps).toEqual([
      expect.objectContaining({
        id: expect.stringMatching(UUID),
        name: "GitHub",
        type: "github",
        config: expect.objectContaining({ redirect_url: "https://myteam.cloudflareaccess.com/cdn-cgi/access/callback" }),
      }),
    ]);
  });

  it("creates, updates and deletes an identity provider, never answering its secret", async () => {
    const client = sdkFor(cf);
    const account_id = cf.accountId;
    const created = await client.zeroTrust.identityProviders.create({
      account_id,
      name: "Google",
      type: "google",
      config: { client_id: "id-1", client_secret: "very-secret" },
    });
    expect(created.id).toMatch(UUID);
    expect(JSON.stringify(created)).not.toContain("very-secret");
    const updated = await client.zeroTrust.identityProviders.update(created.id!, {
      account_id,
      name: "Google Workspace",
      type: "google",
      config: { client_id: "id-2" },
    });
    expect(updated).toMatchObject({ id: created.id, name: "Google Workspace", config: { client_id: "id-2" } });
    expect((await client.zeroTrust.identityProviders.get(created.id!, { account_id })).name).toBe("Google Workspace");
    await client.zeroTrust.identityProviders.delete(created.id!, { account_id });
    expect(cf.identityProviders().map((idp) => idp.name)).toEqual(["GitHub"]);
  });

  it("changes the team domain with PUT, and refuses one outside cloudflareaccess.com", async () => {
    const client = sdkFor(cf);
    await client.zeroTrust.organizations.update({ account_id: cf.accountId, auth_domain: "other.cloudflareaccess.com" });
    expect(cf.teamDomain).toBe("other.cloudflareaccess.com");
    expect(await refusal(client.zeroTrust.organizations.update({ account_id: cf.accountId, auth_domain: "evil.example.com" }))).toMatchObject({
      status: 400,
      codes: [12130],
    });
    expect(cf.teamDomain).toBe("other.cloudflareaccess.com");
  });
});

describe("reusable Access policies", () => {
  it("creates a policy that allows GitHub logins of one email, with Cloudflare's defaults; updates and deletes it", async () => {
    const client = sdkFor(cf);
    const account_id = cf.accountId;
    const idp = await github(cf);
    const created = await client.zeroTrust.access.policies.create({
      account_id,
      name: "owner",
      decision: "allow",
      include: [{ email: { email: "you@example.com" } }],
      require: [{ login_method: { id: idp } }],
    });
    expect(created).toMatchObject({
      id: expect.stringMatching(UUID),
      name: "owner",
      decision: "allow",
      include: [{ email: { email: "you@example.com" } }],
      require: [{ login_method: { id: idp } }],
      exclude: [],
      session_duration: "24h",
      reusable: true,
      app_count: 0,
    });
    const updated = await client.zeroTrust.access.policies.update(created.id!, {
      account_id,
      name: "owners",
      decision: "allow",
      include: [{ email_domain: { domain: "example.com" } }],
      session_duration: "12h",
    });
    expect(updated).toMatchObject({ id: created.id, name: "owners", session_duration: "12h", created_at: created.created_at });
    await client.zeroTrust.access.policies.delete(created.id!, { account_id });
    expect(await refusal(client.zeroTrust.access.policies.get(created.id!, { account_id }))).toMatchObject({ status: 404, codes: [12130] });
  });

  it("refuses a login method naming no identity provider of the account (400, 12130), creating nothing", async () => {
    const client = sdkFor(cf);
    const missing = "00000000-0000-4000-8000-000000000000";
    const refused = await refusal(
      client.zeroTrust.access.policies.create({ account_id: cf.accountId, name: "bad", decision: "allow", include: [{ login_method: { id: missing } }] }),
    );
    expect(refused).toMatchObject({ status: 400, codes: [12130] });
    expect(refused.message).toBe(`access.api.error.invalid_request: include[0].login_method.id "${missing}" is not an identity provider of this account`);
    expect(await refusal(client.zeroTrust.access.policies.create({ account_id: cf.accountId, name: "empty", decision: "allow", include: [] }))).toMatchObject({
      status: 400,
      codes: [12130],
    });
    expect(cf.accessPolicies()).toEqual([]);
  });
});

describe("Access applications", () => {
  it("creates a self-hosted app with a 64-hex AUD and the defaults Terraform reads back; updates keep the AUD; deletes", async () => {
    const client = sdkFor(cf);
    const account_id = cf.accountId;
    const policy = await client.zeroTrust.access.policies.create({
      account_id,
      name: "owner",
      decision: "allow",
      include: [{ email: { email: "you@example.com" } }],
    });
    const created = await client.zeroTrust.access.applications.create({
      account_id,
      type: "self_hosted",
      name: "moltbot",
      domain: "moltbot.example.workers.dev",
      policies: [{ id: policy.id!, precedence: 1 }],
    });
    expect(created).toMatchObject({
      id: expect.stringMatching(UUID),
      aud: expect.stringMatching(/^[0-9a-f]{64}$/),
      type: "self_hosted",
      name: "moltbot",
      domain: "moltbot.example.workers.dev",
      self_hosted_domains: ["moltbot.example.workers.dev"],
      destinations: [{ type: "public", uri: "moltbot.example.workers.dev" }],
      session_duration: "24h",
      app_launcher_visible: true,
      auto_redirect_to_identity: false,
      enable_binding_cookie: false,
      http_only_cookie_attribute: true,
      options_preflight_bypass: false,
      allowed_idps: [],
      tags: [],
      policies: [expect.objectContaining({ id: policy.id, name: "owner", decision: "allow", precedence: 1 })],
    });
    const app = created as { id: string; aud: string };
    expect((await client.zeroTrust.access.policies.get(policy.id!, { account_id })).app_count).toBe(1);
    expect(cf.accessApps()[0]?.aud).toBe(app.aud);

    const updated = (await client.zeroTrust.access.applications.update(app.id, {
      account_id,
      type: "self_hosted",
      name: "moltbot (renamed)",
      domain: "moltbot.example.workers.dev",
      auto_redirect_to_identity: true,
      allowed_idps: [await github(cf)],
      policies: [policy.id!],
    })) as { aud: string; name: string; auto_redirect_to_identity: boolean };
    expect(updated).toMatchObject({ aud: app.aud, name: "moltbot (renamed)", auto_redirect_to_identity: true });
    expect(await client.zeroTrust.access.applications.get(app.id, { account_id })).toMatchObject({ name: "moltbot (renamed)" });

    // A policy linked to an app cannot be deleted from under it.
    expect(await refusal(client.zeroTrust.access.policies.delete(policy.id!, { account_id }))).toMatchObject({ status: 400, codes: [12130] });
    expect(await client.zeroTrust.access.applications.delete(app.id, { account_id })).toEqual({ id: app.id });
    expect(cf.accessApps()).toEqual([]);
    await client.zeroTrust.access.policies.delete(policy.id!, { account_id });
  });

  it("pages the list: the SDK's auto-pagination walks every page", async () => {
    const client = sdkFor(cf);
    const account_id = cf.accountId;
    const domains = Array.from({ length: 5 }, (_, index) => `app${index}.example.com`);
    for (const domain of domains) await client.zeroTrust.access.applications.create({ account_id, type: "self_hosted", domain });
    const before = cf.requestsServed();
    const seen: string[] = [];
    for await (const app of client.zeroTrust.access.applications.list({ account_id, per_page: 2 })) seen.push((app as { domain: string }).domain);
    expect(seen).toEqual(domains);
    // Pages of 2, 2 and 1, then the empty page that ends the walk.
    expect(cf.requestsServed() - before).toBe(4);
    const first = await client.zeroTrust.access.applications.list({ account_id, per_page: 2 });
    expect(first.result_info).toEqual({ page: 1, per_page: 2, count: 2, total_count: 5, total_pages: 3 });
  });

  it("refuses an app linking a policy that does not exist, or without a domain, creating nothing", async () => {
    const client = sdkFor(cf);
    const account_id = cf.accountId;
    expect(
      await refusal(
        client.zeroTrust.access.applications.create({
          account_id,
          type: "self_hosted",
          domain: "x.example.com",
          policies: ["00000000-0000-4000-8000-000000000000"],
        }),
      ),
    ).toMatchObject({ status: 400, codes: [12130] });
    expect(await refusal(client.zeroTrust.access.applications.create({ account_id, type: "self_hosted" } as never))).toMatchObject({
      status: 400,
      codes: [12130],
    });
    expect(await refusal(client.zeroTrust.access.applications.get("00000000-0000-4000-8000-000000000000", { account_id }))).toMatchObject({
      status: 404,
      codes: [12130],
    });
    expect(cf.accessApps()).toEqual([]);
  });
});
