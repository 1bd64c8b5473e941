import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { accessSettings, openclawImageFromEnv, platformSettings, r2ServerSettings, workerSettings } from "./compose-settings.ts";
import { UserError } from "../core/errors.ts";
import { ROOT } from "../core/host.ts";
import { interpolate, serviceEnv } from "../tests/shared/compose-file.ts";
import { OPENCLAW_VERSION } from "../contract/openclaw.ts";

const counter = () => {
  let n = 0;
  return (bytes: number) => `s${++n}`.padEnd(bytes * 2, "0");
};

const WORKER_ENV = {
  MOLTLAB_WORKER_PORT: "8787",
  CF_ACCESS_TEAM_DOMAIN: "http://127.0.0.1:8788",
  CF_ACCESS_AUD: "aud",
  MOLTLAB_CONTAINERS_URL: "http://containers:8790",
  MOLTLAB_PLATFORM_TOKEN: "platform-token",
  MOLTLAB_CONTAINERS_NETWORK: "network:moltlab-sandbox",
  R2_ENDPOINT: "http://r2:9000",
  R2_BUCKET_NAME: "moltbot-data",
  R2_ACCESS_KEY_ID: "key",
  R2_SECRET_ACCESS_KEY: "secret",
  MOLTLAB_AI_GATEWAY_URL: "http://ai-gateway:8789",
};

describe("the worker service's settings", () => {
  it("point the Worker at the services by their compose names and generate the gateway token and emulator key per run", () => {
    const settings = workerSettings(WORKER_ENV, counter());
    expect(settings.url).toBe("http://127.0.0.1:8787");
    expect(settings.vars).toEqual({
      CF_ACCESS_TEAM_DOMAIN: "http://127.0.0.1:8788",
      MOLTLAB_CONTAINERS_URL: "http://containers:8790",
      MOLTLAB_CONTAINER_IMAGE: `moltlab/openclaw:${OPENCLAW_VERSION}-amd64`,
      MOLTLAB_CONTAINER_PLATFORM: "linux/amd64",
      MOLTLAB_CONTAINERS_NETWORK: "network:moltlab-sandbox",
      R2_ENDPOINT: "http://r2:9000",
      R2_BUCKET_NAME: "moltbot-data",
      CF_AI_GATEWAY_ACCOUNT_ID: "moltlab-account",
      CF_AI_GATEWAY_GATEWAY_ID: "moltlab-gateway",
      CF_AI_GATEWAY_MODEL: "anthropic/claude-sonnet-4-5",
      CF_AI_GATEWAY_BASE_URL: "http://ai-gateway:8789",
    });
    expect(settings.secrets).toEqual({
      MOLTBOT_GATEWAY_TOKEN: settings.gatewayToken,
      MOLTLAB_PLATFORM_TOKEN: "platform-token",
      CF_ACCESS_AUD: "aud",
      R2_ACCESS_KEY_ID: "key",
      R2_SECRET_ACCESS_KEY: "secret",
      CLOUDFLARE_AI_GATEWAY_API_KEY: expect.stringMatching(/^sk-moltlab-s2/),
    });
    expect(settings.gatewayToken).toMatch(/^s1/);
    // A second start gets other values.
    expect(workerSettings(WORKER_ENV).gatewayToken).not.toBe(workerSettings(WORKER_ENV).gatewayToken);
  });

  it("pass a real provider's key through instead of the emulator's settings", () => {
    const settings = workerSettings({ ...WORKER_ENV, ANTHROPIC_API_KEY: "sk-ant-real" }, counter());
    expect(settings.secrets).toMatchObject({ ANTHROPIC_API_KEY: "sk-ant-real" });
    expect(settings.secrets).not.toHaveProperty("CLOUDFLARE_AI_GATEWAY_API_KEY");
    expect(settings.vars).not.toHaveProperty("CF_AI_GATEWAY_BASE_URL");
    expect(settings.provider.kind).toBe("anthropic");
  });

  it("name the variable that is missing or wrong", () => {
    const { MOLTLAB_PLATFORM_TOKEN: _token, ...withoutToken } = WORKER_ENV;
    expect(() => workerSettings(withoutToken)).toThrow(/MOLTLAB_PLATFORM_TOKEN is not set/);
    expect(() => workerSettings({ ...WORKER_ENV, MOLTLAB_WORKER_PORT: "80000" })).toThrow(/MOLTLAB_WORKER_PORT=80000 is not a port/);
    expect(() => workerSettings({ ...WORKER_ENV, MOLTLAB_CONTAINERS_NETWORK: "network:bridge" })).toThrow(UserError);
  });

  it("say each problem with its fix, and every problem at once", () => {
    const thrown = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return { message: (error as UserError).message, fix: (error as UserError).fix };
      }
      throw new Error("did not throw");
    };
    const FIX = "set it in docker-compose.yml (the `environment` of the service), or use the compose file as shipped";
    expect(thrown(() => workerSettings({ ...WORKER_ENV, CF_ACCESS_AUD: " " }))).toEqual({
      message: "CF_ACCESS_AUD is not set in this service's environment",
      fix: FIX,
    });
    expect(thrown(() => accessSettings({ MOLTLAB_ACCESS_PORT: "0", CF_ACCESS_AUD: "aud" }))).toEqual({
      message: "MOLTLAB_ACCESS_PORT=0 is not a port number",
      fix: "set MOLTLAB_ACCESS_PORT to a port from 1 to 65535",
    });
    expect(thrown(() => workerSettings({ ...WORKER_ENV, MOLTLAB_CONTAINERS_NETWORK: "bridge2" }))).toEqual({
      message: "MOLTLAB_CONTAINERS_NETWORK=bridge2 is not a network mode of the Containers platform",
      fix: "set it to network:<the compose network OpenClaw joins>",
    });
    const { R2_ENDPOINT: _endpoint, MOLTLAB_AI_GATEWAY_URL: _url, ...partial } = WORKER_ENV;
    expect(thrown(() => workerSettings({ ...partial, MOLTLAB_WORKER_PORT: "x", MOLTLAB_OPENCLAW_ARCH: "riscv64" }))).toEqual({
      message:
        "MOLTLAB_WORKER_PORT=x is not a port number; MOLTLAB_OPENCLAW_ARCH=riscv64 is not amd64 or arm64; R2_ENDPOINT is not set in this service's environment",
      fix: `set MOLTLAB_WORKER_PORT to a port from 1 to 65535\nunset it (amd64, like Cloudflare) or set it to arm64\n${FIX}`,
    });
    // The emulator's URL is needed only when the emulator serves the model.
    expect(thrown(() => workerSettings(partial as NodeJS.ProcessEnv)).message).toBe("R2_ENDPOINT is not set in this service's environment");
    expect(workerSettings({ ...partial, R2_ENDPOINT: "http://r2:9000", ANTHROPIC_API_KEY: "sk-ant" }).provider.kind).toBe("anthropic");
    expect(thrown(() => workerSettings({ ...partial, R2_ENDPOINT: "http://r2:9000" })).message).toBe(
      "MOLTLAB_AI_GATEWAY_URL is not set in this service's environment",
    );
  });
});

describe("the OpenClaw image the sandbox runs", () => {
  it("is npm run image's tag for the chosen arch and version, with the command that builds it", () => {
    expect(openclawImageFromEnv({})).toEqual({
      tag: `moltlab/openclaw:${OPENCLAW_VERSION}-amd64`,
      version: OPENCLAW_VERSION,
      arch: "amd64",
      platform: "linux/amd64",
      buildCommand: "npm run image -- --platform amd64",
    });
    expect(openclawImageFromEnv({ MOLTLAB_OPENCLAW_ARCH: "linux/arm64", MOLTLAB_OPENCLAW_VERSION: "2026.1.2" })).toMatchObject({
      tag: "moltlab/openclaw:2026.1.2-arm64",
      platform: "linux/arm64",
      buildCommand: "npm run image -- --platform arm64 --openclaw 2026.1.2",
    });
    expect(() => openclawImageFromEnv({ MOLTLAB_OPENCLAW_ARCH: "riscv64" })).toThrow(/not amd64 or arm64/);
  });
});

/** `${NAME:-default}` and `${NAME}` as compose resolves them, for an environment without overrides. */
describe("docker-compose.yml and compose/r2-offline.yml, as shipped", () => {
  const env = { COMPOSE_PROJECT_NAME: "moltlab" };
  const worker = serviceEnv("docker-compose.yml", "worker", env);
  const compose = parse(readFileSync(join(ROOT, "docker-compose.yml"), "utf8"), { merge: true }) as { networks: Record<string, { name?: string }> };

  it("give every service what its settings need, and the shared values agree", () => {
    const settings = workerSettings(worker);
    const platform = platformSettings(serviceEnv("docker-compose.yml", "containers", env));
    const access = accessSettings(serviceEnv("docker-compose.yml", "access", env));
    const minio = serviceEnv("docker-compose.yml", "r2", env);
    const offline = r2ServerSettings(serviceEnv("compose/r2-offline.yml", "r2", env));
    expect(settings.secrets.MOLTLAB_PLATFORM_TOKEN).toBe(platform.token);
    expect(settings.secrets.CF_ACCESS_AUD).toBe(access.audience);
    expect(settings.vars.CF_ACCESS_TEAM_DOMAIN).toBe(`http://127.0.0.1:${access.port}`);
    expect([minio.MINIO_ROOT_USER, minio.MINIO_ROOT_PASSWORD]).toEqual([settings.r2.accessKeyId, settings.r2.secretAccessKey]);
    expect(offline).toMatchObject({
      bucket: settings.r2.bucket,
      accessKeyId: settings.r2.accessKeyId,
      secretAccessKey: settings.r2.secretAccessKey,
      hostnames: ["r2"],
    });
    expect(settings.image.tag).toBe(platform.image.tag);
  });

  it("send OpenClaw to the sandbox network compose creates, and the offline endpoint to the simulator's S3 prefix", () => {
    expect(worker.MOLTLAB_CONTAINERS_NETWORK).toBe(`network:${interpolate(compose.networks.sandbox!.name, env)}`);
    expect(serviceEnv("compose/r2-offline.yml", "worker", env).R2_ENDPOINT).toBe("http://r2:9000/cdn-cgi/local/r2/s3");
  });

  it("hold no provider key value: those pass through by name only", () => {
    const raw = (
      parse(readFileSync(join(ROOT, "docker-compose.yml"), "utf8"), { merge: true }) as { services: { worker: { environment: Record<string, unknown> } } }
    ).services.worker.environment;
    for (const name of ["ANTHROPIC_API_KEY", "CLOUDFLARE_AI_GATEWAY_API_KEY", "CF_AI_GATEWAY_ACCOUNT_ID", "CF_AI_GATEWAY_GATEWAY_ID", "CF_AI_GATEWAY_MODEL"]) {
      expect(raw).toHaveProperty(name, null);
    }
  });
});
