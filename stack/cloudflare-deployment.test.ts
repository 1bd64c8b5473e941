import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { describe, expect, it, onTestFinished } from "vitest";
import { UserError } from "../core/errors.ts";
import { startAccess } from "../emulators/access/index.ts";
import { type AccessApp, type CloudflareState, STATE_FILE, startCloudflareApi } from "../emulators/cloudflare-api/index.ts";
import { sdkFor } from "../emulators/cloudflare-api/testing.ts";
import { CERTS_PATH } from "../contract/access.ts";
import { openclawImageFor } from "./image.ts";
import { wranglerR2 } from "./r2.ts";
import { accessEmulatorOptions } from "./sandbox.ts";
import { bucketOf, readWorkerConfig, sandboxWranglerConfig, withBucket } from "./sandbox-config.ts";
import { deploymentFrom, readCloudflareDeployment, sandboxSettings, type DeploymentChoice } from "./cloudflare-deployment.ts";
import { workerEnv } from "./worker-env.ts";

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), "moltlab-deployment-"));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** What the call throws: a UserError's message and fix. */
function refusal(call: () => unknown): { message: string; fix: string } {
  try {
    call();
  } catch (error) {
    if (error instanceof UserError) return { message: error.message, fix: error.fix };
    throw error;
  }
  throw new Error("accepted");
}

describe("the deployment a Terraform apply left in the Cloudflare API emulator", () => {
  it("is read from the emulator's state file, and the sandbox's Access emulator, Worker env and R2 binding carry it", async () => {
    const dataDir = scratch();
    const cf = await startCloudflareApi({ dataDir, teamName: "myteam" });
    const client = sdkFor(cf);
    const account_id = cf.accountId;
    // What moltworker's Terraform makes: the bucket, a reusable policy, the application protecting the Worker.
    await client.r2.buckets.create({ account_id, name: "openclaw-state" });
    const policy = await client.zeroTrust.access.policies.create({
      account_id,
      name: "me",
      decision: "allow",
      include: [{ email: { email: "you@example.com" } }],
    });
    const app = await client.zeroTrust.access.applications.create({
      account_id,
      type: "self_hosted",
      name: "moltbot",
      domain: "moltbot.example.com",
      policies: [{ id: policy.id!, precedence: 1 }],
    });
    await cf.stop();

    const deployment = readCloudflareDeployment({}, dataDir);
    const aud = (app as { aud: string }).aud;
    expect(deployment).toEqual({
      source: join(dataDir, STATE_FILE),
      bucket: "openclaw-state",
      access: {
        app: { id: (app as { id: string }).id, name: "moltbot", domain: "moltbot.example.com" },
        audience: aud,
        teamDomain: "myteam.cloudflareaccess.com",
      },
    });
    const settings = sandboxSettings(deployment);
    expect(settings).toEqual({ bucket: "openclaw-state", accessAudience: aud });

    // The Access emulator signs for the application's AUD, and a token passes the Worker's check:
    // RS256 from the team domain's certs, issuer = the team domain the Worker is given, audience = CF_ACCESS_AUD.
    const access = await startAccess(accessEmulatorOptions(settings));
    onTestFinished(() => access.stop());
    expect(access.audience).toBe(aud);
    const { payload } = await jwtVerify(access.mint(), createRemoteJWKSet(new URL(`${access.teamDomain}${CERTS_PATH}`)), {
      issuer: access.teamDomain,
      audience: aud,
      algorithms: ["RS256"],
    });
    expect(payload).toMatchObject({ aud: [aud], iss: access.teamDomain });

    // The Worker is bound to the bucket and configured with that AUD and team.
    const config = withBucket(readWorkerConfig(), settings.bucket);
    expect(bucketOf(config)).toBe("openclaw-state");
    const credentials = { accessKeyId: "id", secretAccessKey: "secret" };
    const env = workerEnv({
      listenOn: "127.0.0.1",
      access: { teamDomain: access.teamDomain, audience: access.audience },
      platform: { url: "http://127.0.0.1:4002", token: "platform-token" },
      image: openclawImageFor("amd64"),
      network: "host",
      r2: wranglerR2("http://127.0.0.1:8787", "host", bucketOf(config), credentials),
      model: { kind: "emulator", baseUrl: "http://127.0.0.1:4003", apiKey: "sk-moltlab-1" },
      gatewayToken: "gateway-token",
    });
    expect(env.vars).toMatchObject({ R2_BUCKET_NAME: "openclaw-state", CF_ACCESS_TEAM_DOMAIN: access.teamDomain });
    expect(env.secrets).toMatchObject({ CF_ACCESS_AUD: aud });
    const generated = sandboxWranglerConfig(config, env.vars, credentials) as { env: { local: { r2_buckets: { binding: string; bucket_name: string }[] } } };
    expect(generated.env.local.r2_buckets).toEqual([expect.objectContaining({ binding: "MOLTBOT_BUCKET", bucket_name: "openclaw-state" })]);
  });

  it("without a state names how to make one", () => {
    const dataDir = scratch();
    const { message, fix } = refusal(() => readCloudflareDeployment({}, dataDir));
    expect(message).toBe(`--from-cloudflare-api found no Cloudflare API emulator state at ${join(dataDir, STATE_FILE)}`);
    expect(fix).toMatch(/^run `npm run emulate -- cloudflare-api`, apply your Terraform against it/);
  });
});

/** A state holding the given buckets, applications and Workers hostnames (the rest empty). */
function stateWith(parts: { buckets?: string[]; apps?: Partial<AccessApp>[]; domains?: string[]; routes?: string[] }): CloudflareState {
  return {
    version: 1,
    token: "t",
    tokenId: "0".repeat(32),
    accountId: "a".repeat(32),
    accountName: "moltlab",
    zones: [{ id: "z".repeat(32), name: "example.com" }],
    r2Buckets: (parts.buckets ?? []).map((name) => ({ name, creation_date: "", location: "ENAM", storage_class: "Standard", jurisdiction: "default" })),
    accessApps: (parts.apps ?? []).map((app, index) => ({
      id: `app-${index}`,
      aud: `aud-${index}`,
      name: `app ${index}`,
      domain: `app${index}.example.com`,
      type: "self_hosted",
      policies: [],
      created_at: "",
      updated_at: "",
      ...app,
    })),
    accessPolicies: [],
    identityProviders: [],
    organization: { auth_domain: "myteam.cloudflareaccess.com" },
    aiGateways: [],
    dnsRecords: {},
    workersDomains: (parts.domains ?? []).map((hostname, index) => ({
      id: `d${index}`,
      cert_id: "",
      environment: "production",
      hostname,
      service: "moltbot-sandbox",
      zone_id: "z".repeat(32),
      zone_name: "example.com",
    })),
    workersRoutes: { ["z".repeat(32)]: (parts.routes ?? []).map((pattern, index) => ({ id: `r${index}`, pattern })) },
  };
}

const pick = (state: CloudflareState, choice: DeploymentChoice = {}) => deploymentFrom(state, "/cache/state.json", choice);
const refused = (state: CloudflareState, choice: DeploymentChoice = {}) => refusal(() => pick(state, choice));

describe("choosing the bucket", () => {
  it("takes the only one (once, whatever its jurisdictions), or the one --bucket names", () => {
    const two = stateWith({ buckets: ["moltbot-data", "logs"], apps: [{}] });
    expect(pick(stateWith({ buckets: ["moltbot-data", "moltbot-data"], apps: [{}] })).bucket).toBe("moltbot-data");
    expect(pick(two, { bucket: "logs" }).bucket).toBe("logs");
  });

  it("refuses none, several, and an unknown --bucket, naming the option", () => {
    expect(refused(stateWith({ apps: [{}] }))).toMatchObject({
      message: "/cache/state.json holds no R2 bucket: the Worker's bucket comes from your Terraform's cloudflare_r2_bucket",
      fix: expect.stringMatching(/^apply it against the emulator/),
    });
    const two = stateWith({ buckets: ["moltbot-data", "logs"], apps: [{}] });
    expect(refused(two)).toEqual({
      message: "/cache/state.json holds 2 R2 buckets (logs, moltbot-data): which one the Worker binds is not in the state",
      fix: "choose one: `npm run dev -- --from-cloudflare-api --bucket logs`",
    });
    expect(refused(two, { bucket: "nope" })).toEqual({
      message: "--bucket nope: /cache/state.json holds no such R2 bucket (it holds logs, moltbot-data)",
      fix: "pass one of them: --bucket logs, --bucket moltbot-data",
    });
  });
});

describe("choosing the Access application", () => {
  it("takes the only one, with the organization's team domain", () => {
    expect(pick(stateWith({ buckets: ["b-1"], apps: [{ name: "moltbot", domain: "moltbot.example.com" }] })).access).toEqual({
      app: { id: "app-0", name: "moltbot", domain: "moltbot.example.com" },
      audience: "aud-0",
      teamDomain: "myteam.cloudflareaccess.com",
    });
  });

  it("among several, takes the one protecting the Worker's custom domain or route", () => {
    const apps = [{ domain: "grafana.example.com" }, { domain: "moltbot.example.com/admin" }];
    expect(pick(stateWith({ buckets: ["b-1"], apps, domains: ["moltbot.example.com"] })).access?.audience).toBe("aud-1");
    expect(pick(stateWith({ buckets: ["b-1"], apps, routes: ["grafana.example.com/*"] })).access?.audience).toBe("aud-0");
    // self_hosted_domains count as well as the primary domain.
    const more = [{ domain: "a.example.com" }, { domain: "b.example.com", self_hosted_domains: ["b.example.com", "bot.example.com"] }];
    expect(pick(stateWith({ buckets: ["b-1"], apps: more, domains: ["bot.example.com"] })).access?.audience).toBe("aud-1");
  });

  it("takes the one --access-app names by id, name or domain", () => {
    const state = stateWith({ buckets: ["b-1"], apps: [{ name: "one" }, { name: "two", domain: "two.example.com" }] });
    expect(pick(state, { accessApp: "app-1" }).access?.audience).toBe("aud-1");
    expect(pick(state, { accessApp: "one" }).access?.audience).toBe("aud-0");
    expect(pick(state, { accessApp: "two.example.com" }).access?.audience).toBe("aud-1");
  });

  it("refuses none (unless Access is not needed), an undecided choice and an unknown --access-app, naming the option", () => {
    expect(refused(stateWith({ buckets: ["b-1"] }))).toMatchObject({
      message: expect.stringMatching(/holds no Access application: the Worker's CF_ACCESS_AUD comes from your Terraform's/),
      fix: expect.stringMatching(/or add --dev-mode to run without Access$/),
    });
    expect(pick(stateWith({ buckets: ["b-1"] }), { needsAccess: false })).toEqual({ source: "/cache/state.json", bucket: "b-1" });

    const two = stateWith({ buckets: ["b-1"], apps: [{ name: "one" }, { name: "two" }] });
    expect(refused(two)).toEqual({
      message:
        '/cache/state.json holds 2 Access applications ("one" (app0.example.com, id app-0), "two" (app1.example.com, id app-1)) and no Workers custom domain or route says which hostname is the Worker\'s',
      fix: "choose one: `npm run dev -- --from-cloudflare-api --access-app app-0` (an application's id, name or domain)",
    });
    expect(refused(stateWith({ buckets: ["b-1"], apps: [{ name: "one" }, { name: "two" }], domains: ["bot.example.com"] })).message).toMatch(
      /and none protects the Worker's hostnames \(bot\.example\.com\)$/,
    );
    const both = stateWith({
      buckets: ["b-1"],
      apps: [{ domain: "bot.example.com" }, { domain: "bot.example.com/api" }, { domain: "x.example.com" }],
      domains: ["bot.example.com"],
    });
    expect(refused(both)).toMatchObject({
      message: expect.stringMatching(
        /holds 3 Access applications \("app 0" .*, "app 1" .*\) and 2 of them protect the Worker's hostnames \(bot\.example\.com\)$/,
      ),
      fix: "choose one: `npm run dev -- --from-cloudflare-api --access-app app-0` (an application's id, name or domain)",
    });
    expect(refused(two, { accessApp: "three" })).toMatchObject({
      message: expect.stringMatching(/^--access-app three: no application matches in \/cache\/state\.json/),
      fix: "name one by its id: --access-app app-0",
    });
  });
});
