import { parseWebServices } from "../contract/web-services.ts";
import { describe, expect, it } from "vitest";
import { serviceR2, wranglerR2 } from "./r2.ts";
import { emulatorKey, localGatewayModel, workerEnv, type WorkerWiring } from "./worker-env.ts";
import { providerFromEnv } from "./provider.ts";
import { openclawImageFor } from "./image.ts";
import { OPENCLAW_VERSION } from "../contract/openclaw.ts";

const credentials = { accessKeyId: "r2-id", secretAccessKey: "r2-secret" };

/** `npm run dev`'s wiring on Docker Desktop: everything on the host's loopback, the container on the bridge. */
const DEV: WorkerWiring = {
  listenOn: "127.0.0.1",
  access: { teamDomain: "http://127.0.0.1:4001", audience: "aud" },
  platform: { url: "http://127.0.0.1:4002", token: "platform-token" },
  image: openclawImageFor("arm64"),
  network: "bridge",
  instanceType: "standard-2",
  r2: wranglerR2("http://127.0.0.1:8787", "bridge", "moltbot-data", credentials),
  model: { kind: "emulator", baseUrl: "http://host.docker.internal:4003", apiKey: "sk-moltlab-1" },
  gatewayToken: "gateway-token",
};

describe("the Worker's vars and secrets", () => {
  it("wire npm run dev's Worker to what it started, the R2 endpoint being wrangler dev's own, as the container reaches it", () => {
    expect(workerEnv(DEV)).toEqual({
      vars: {
        MOLTLAB_DEV_SERVER: "loopback",
        CF_ACCESS_TEAM_DOMAIN: "http://127.0.0.1:4001",
        MOLTLAB_CONTAINERS_URL: "http://127.0.0.1:4002",
        MOLTLAB_CONTAINER_IMAGE: `moltlab/openclaw:${OPENCLAW_VERSION}-arm64`,
        MOLTLAB_CONTAINER_PLATFORM: "linux/arm64",
        MOLTLAB_CONTAINERS_NETWORK: "bridge",
        MOLTLAB_INSTANCE_TYPE: "standard-2",
        // wrangler serves S3 to loopback names only, and the signature covers Host: the endpoint
        // keeps localhost, and the supervisor connects to host.docker.internal for it.
        R2_ENDPOINT: "http://localhost:8787/cdn-cgi/local/r2/s3",
        R2_CONNECT_HOST: "host.docker.internal",
        R2_BUCKET_NAME: "moltbot-data",
        CF_AI_GATEWAY_ACCOUNT_ID: "moltlab-account",
        CF_AI_GATEWAY_GATEWAY_ID: "moltlab-gateway",
        CF_AI_GATEWAY_MODEL: "anthropic/claude-sonnet-4-5",
        CF_AI_GATEWAY_BASE_URL: "http://host.docker.internal:4003",
      },
      secrets: {
        MOLTBOT_GATEWAY_TOKEN: "gateway-token",
        MOLTLAB_PLATFORM_TOKEN: "platform-token",
        CF_ACCESS_AUD: "aud",
        R2_ACCESS_KEY_ID: "r2-id",
        R2_SECRET_ACCESS_KEY: "r2-secret",
        CLOUDFLARE_AI_GATEWAY_API_KEY: "sk-moltlab-1",
      },
    });
  });

  it("on the host's network give the container wrangler's own URL, with nothing to connect to instead", () => {
    const vars = workerEnv({ ...DEV, network: "host", r2: wranglerR2("http://127.0.0.1:8787", "host", "moltbot-data", credentials) }).vars;
    expect(vars).toMatchObject({ R2_ENDPOINT: "http://127.0.0.1:8787/cdn-cgi/local/r2/s3" });
    expect(vars).not.toHaveProperty("R2_CONNECT_HOST");
  });

  it("name the Worker's own address as WORKER_URL when given (the Control UI's origin for the supervisor)", () => {
    expect(workerEnv({ ...DEV, workerUrl: "http://127.0.0.1:8787" }).vars).toMatchObject({ WORKER_URL: "http://127.0.0.1:8787" });
    expect(workerEnv(DEV).vars).not.toHaveProperty("WORKER_URL");
  });

  it("set DEV_MODE only when asked, and the loopback marker only for a wrangler dev on a loopback address", () => {
    expect(workerEnv({ ...DEV, devMode: true }).vars).toMatchObject({ DEV_MODE: "true", MOLTLAB_DEV_SERVER: "loopback" });
    const composed = workerEnv({ ...DEV, listenOn: "0.0.0.0", devMode: true }).vars;
    expect(composed).not.toHaveProperty("MOLTLAB_DEV_SERVER");
    expect(workerEnv(DEV).vars).not.toHaveProperty("DEV_MODE");
  });

  it("set SANDBOX_SLEEP_AFTER only when asked (the soak's short sleepAfter), leaving the Worker's default otherwise", () => {
    expect(workerEnv({ ...DEV, sleepAfter: "1m" }).vars).toMatchObject({ SANDBOX_SLEEP_AFTER: "1m" });
    expect(workerEnv(DEV).vars).not.toHaveProperty("SANDBOX_SLEEP_AFTER");
  });

  it("name your web services in one setting, SANDBOX_WEB_SERVICES, only when there are some", () => {
    const webServices = [
      { host: "board.localhost", port: 8080 },
      { host: "grafana.localhost", port: 3000 },
    ];
    const vars = workerEnv({ ...DEV, webServices }).vars;
    expect(vars).toMatchObject({ SANDBOX_WEB_SERVICES: "board.localhost=8080,grafana.localhost=3000" });
    expect(parseWebServices(vars.SANDBOX_WEB_SERVICES)).toEqual(webServices);
    expect(workerEnv(DEV).vars).not.toHaveProperty("SANDBOX_WEB_SERVICES");
  });

  it("wire OpenClaw's Telegram channel only when asked: the token and webhook secret as secrets, the rest as vars", () => {
    const env = workerEnv({
      ...DEV,
      telegram: { botToken: "123:tg", apiRoot: "http://host.docker.internal:4004", dmPolicy: "allowlist", allowFrom: [1001, "1002"], webhookSecret: "hook" },
    });
    expect(env.vars).toMatchObject({
      TELEGRAM_API_ROOT: "http://host.docker.internal:4004",
      TELEGRAM_DM_POLICY: "allowlist",
      TELEGRAM_DM_ALLOW_FROM: "1001,1002",
    });
    expect(env.secrets).toMatchObject({ TELEGRAM_BOT_TOKEN: "123:tg", TELEGRAM_WEBHOOK_SECRET: "hook" });
    expect(Object.values(env.vars).join(" ")).not.toMatch(/123:tg|hook/);
    expect(Object.keys({ ...workerEnv(DEV).vars, ...workerEnv(DEV).secrets }).filter((name) => name.startsWith("TELEGRAM_"))).toEqual([]);
  });

  it("wire OpenClaw's Discord channel only when asked: the token as a secret, the API URL, allow-list and guild channels as vars", () => {
    const env = workerEnv({
      ...DEV,
      discord: {
        botToken: "MTIz.abcdef.secret-part",
        apiUrl: "http://host.docker.internal:4100/api/v10",
        dmPolicy: "allowlist",
        allowFrom: ["222"],
        guildChannels: [{ guildId: "333", channelId: "444" }],
      },
    });
    expect(env.vars).toMatchObject({
      DISCORD_API_URL: "http://host.docker.internal:4100/api/v10",
      DISCORD_DM_POLICY: "allowlist",
      DISCORD_DM_ALLOW_FROM: "222",
      DISCORD_GUILD_CHANNELS: "333/444",
    });
    expect(env.secrets).toMatchObject({ DISCORD_BOT_TOKEN: "MTIz.abcdef.secret-part" });
    expect(Object.values(env.vars).join(" ")).not.toContain("secret-part");
    expect(Object.keys({ ...workerEnv(DEV).vars, ...workerEnv(DEV).secrets }).filter((name) => name.startsWith("DISCORD_"))).toEqual([]);
  });

  it("pass a real provider's settings through instead of the emulator's", () => {
    const gateway = workerEnv({
      ...DEV,
      model: {
        kind: "ai-gateway",
        vars: { CF_AI_GATEWAY_ACCOUNT_ID: "a", CF_AI_GATEWAY_GATEWAY_ID: "g", CF_AI_GATEWAY_MODEL: "m" },
        secrets: { CLOUDFLARE_AI_GATEWAY_API_KEY: "k" },
      },
    });
    expect(gateway.vars).toMatchObject({ CF_AI_GATEWAY_ACCOUNT_ID: "a", CF_AI_GATEWAY_MODEL: "m" });
    expect(gateway.vars).not.toHaveProperty("CF_AI_GATEWAY_BASE_URL");
    expect(gateway.secrets.CLOUDFLARE_AI_GATEWAY_API_KEY).toBe("k");
    const anthropic = workerEnv({ ...DEV, model: { kind: "anthropic", secrets: { ANTHROPIC_API_KEY: "sk-ant" } } });
    expect(anthropic.secrets).toMatchObject({ ANTHROPIC_API_KEY: "sk-ant" });
    expect(anthropic.secrets).not.toHaveProperty("CLOUDFLARE_AI_GATEWAY_API_KEY");
    expect(emulatorKey((bytes) => "x".repeat(bytes))).toBe(`sk-moltlab-${"x".repeat(16)}`);
  });
});

describe("the R2 stand-in", () => {
  it("is wrangler dev's own simulator for npm run dev, serving the binding and the container the same bucket", () => {
    expect(wranglerR2("http://127.0.0.1:8787", "host", "moltbot-data", credentials)).toEqual({
      backend: "wrangler",
      endpoint: "http://127.0.0.1:8787/cdn-cgi/local/r2/s3",
      bucket: "moltbot-data",
      ...credentials,
      binding: credentials,
    });
  });

  it("is the compose r2 service otherwise: the simulator when the endpoint has its S3 prefix, else MinIO", () => {
    const service = { endpoint: "http://r2:9000", bucket: "moltbot-data", accessKeyId: "key", secretAccessKey: "secret" };
    expect(serviceR2(service, credentials)).toEqual({ backend: "minio", ...service, binding: credentials });
    expect(serviceR2({ ...service, endpoint: "http://r2:9000/cdn-cgi/local/r2/s3" }, credentials).backend).toBe("miniflare");
  });
});

describe("the Worker's model behind a cassette or a recording (the local gateway)", () => {
  const secret = (bytes: number) => "x".repeat(bytes);

  it("is the emulator's route with a fresh key by default", () => {
    expect(localGatewayModel({ kind: "emulator" }, "http://127.0.0.1:4003", secret)).toEqual({
      kind: "emulator",
      baseUrl: "http://127.0.0.1:4003",
      apiKey: `sk-moltlab-${"x".repeat(16)}`,
    });
  });

  it("keeps the user's AI Gateway account, gateway, model and key, sent to the local gateway (what a recording forwards, what a cassette matches)", () => {
    const provider = providerFromEnv({
      CLOUDFLARE_AI_GATEWAY_API_KEY: "real-key",
      CF_AI_GATEWAY_ACCOUNT_ID: "acct-1",
      CF_AI_GATEWAY_GATEWAY_ID: "gw-1",
      CF_AI_GATEWAY_MODEL: "anthropic/claude-opus-4",
    });
    const model = localGatewayModel(provider, "http://127.0.0.1:4003", secret);
    const env = workerEnv({ ...DEV, model });
    expect(env.vars).toMatchObject({
      CF_AI_GATEWAY_ACCOUNT_ID: "acct-1",
      CF_AI_GATEWAY_GATEWAY_ID: "gw-1",
      CF_AI_GATEWAY_MODEL: "anthropic/claude-opus-4",
      CF_AI_GATEWAY_BASE_URL: "http://127.0.0.1:4003",
    });
    expect(env.secrets.CLOUDFLARE_AI_GATEWAY_API_KEY).toBe("real-key");
  });

  it("refuses Anthropic directly: it has no AI Gateway URL to stand in front of", () => {
    expect(() => localGatewayModel({ kind: "anthropic", secrets: { ANTHROPIC_API_KEY: "k" } }, "http://127.0.0.1:4003", secret)).toThrow(
      /ANTHROPIC_API_KEY sends the model to Anthropic directly/,
    );
  });
});
