import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { containerView, defaultNetwork } from "./network.ts";
import { providerFromEnv } from "./provider.ts";
import { reapSession, SANDBOX_TEMP_PREFIX } from "./session.ts";
import { bucketOf, devServerVars, devVars, instanceTypeOf, readWorkerConfig, sandboxWranglerConfig, WORKER_CONFIG, withBucket } from "./sandbox-config.ts";
import { DEV_SERVER_BINDING } from "../contract/dev-server.ts";

describe("the sandbox's wrangler config", () => {
  const base = readWorkerConfig();
  const config = sandboxWranglerConfig(base, { MOLTLAB_CONTAINERS_NETWORK: "host" }, { accessKeyId: "id", secretAccessKey: "secret" }, "/repo/worker") as {
    main: string;
    assets: { directory: string };
    containers?: unknown;
    env: { local: { vars: Record<string, string>; r2_buckets: { bucket_name: string; local_dev: unknown }[] } };
  };

  it("is env.local of worker/wrangler.jsonc with absolute paths and no containers section", () => {
    expect(config.main).toBe("/repo/worker/src/index.ts");
    expect(config.assets.directory).toBe("/repo/worker/public");
    expect(config).not.toHaveProperty("containers");
    expect(config).not.toHaveProperty("$schema");
    expect(config.env.local.vars).toMatchObject({ MOLTLAB_CONTAINERS_NETWORK: "host", MOLTLAB_CONTAINERS_URL: expect.any(String) });
  });

  it("serves the binding's bucket over S3 with the run's credentials", () => {
    expect(config.env.local.r2_buckets).toEqual([
      expect.objectContaining({ bucket_name: bucketOf(base), local_dev: { experimental_s3_credentials: { accessKeyId: "id", secretAccessKey: "secret" } } }),
    ]);
    expect(bucketOf(base)).toBe("moltbot-data");
  });

  it("binds another bucket (a Terraform apply's) in env.local only, leaving the other bindings and the file's object as they were", () => {
    const other = { binding: "LOGS", bucket_name: "logs" };
    const withLogs = { ...base, env: { local: { ...base.env!.local!, r2_buckets: [...base.env!.local!.r2_buckets!, other] } } };
    const renamed = withBucket(withLogs, "openclaw-state");
    expect(bucketOf(renamed)).toBe("openclaw-state");
    expect(renamed.env!.local!.r2_buckets).toEqual([{ binding: "MOLTBOT_BUCKET", bucket_name: "openclaw-state" }, other]);
    expect(bucketOf(withLogs)).toBe("moltbot-data");
    expect(() => withBucket({ ...base, env: { local: {} } }, "x")).toThrow(/has no MOLTBOT_BUCKET r2_buckets entry/);
  });

  it("takes the Sandbox container's instance type from wrangler.jsonc, and names the fix for one it cannot emulate", () => {
    expect(instanceTypeOf(base)).toBe("standard-1");
    const withType = (instance_type: unknown) => ({ ...base, containers: [{ class_name: "Sandbox", image: "x", instance_type }] });
    expect(instanceTypeOf(withType("basic"))).toBe("basic");
    expect(() => instanceTypeOf(withType({ vcpu: 1, memory_mib: 4096 }))).toThrow(/not a named instance type \(custom types are not emulated\)/);
    expect(() => instanceTypeOf({ ...base, containers: [] })).toThrow(/has no instance_type for the Sandbox container/);
  });

  it("marks the Worker as the loopback-only dev server only for a wrangler dev listening on a loopback address", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1"]) expect(devServerVars(host), host).toEqual({ MOLTLAB_DEV_SERVER: "loopback" });
    for (const host of ["0.0.0.0", "::", "localhost", "192.168.1.10", "1127.0.0.1", "127.0.0.1.example.com"]) expect(devServerVars(host), host).toEqual({});
  });

  it("never has the loopback marker in worker/wrangler.jsonc (so docker compose and deployments never get it)", () => {
    const vars = [base.vars as Record<string, string> | undefined, ...Object.values(base.env ?? {}).map((env) => env.vars)];
    for (const set of vars) expect(Object.keys(set ?? {})).not.toContain(DEV_SERVER_BINDING);
    expect(WORKER_CONFIG).toMatch(/worker\/wrangler\.jsonc$/);
  });

  it("writes .dev.vars lines and refuses values dotenv would reinterpret", () => {
    expect(devVars({ A_TOKEN: "abc123", B_KEY: "sk-x_y.z" })).toBe("A_TOKEN=abc123\nB_KEY=sk-x_y.z\n");
    for (const bad of ['a"b', "a b", "a#b", "a\nb", "$x", ""]) expect(() => devVars({ K: bad })).toThrow(/K contains/);
  });
});

describe("the sandbox's network and model provider", () => {
  it("uses host networking on Linux and the bridge (host.docker.internal) elsewhere", () => {
    expect(defaultNetwork("linux")).toBe("host");
    expect(defaultNetwork("darwin")).toBe("bridge");
    expect(containerView("http://127.0.0.1:8787", "host")).toBe("http://127.0.0.1:8787");
    expect(containerView("http://127.0.0.1:8787", "bridge")).toBe("http://host.docker.internal:8787");
  });

  it("takes a real provider from the environment: all of the AI Gateway settings, or ANTHROPIC_API_KEY; the emulator otherwise", () => {
    expect(providerFromEnv({})).toEqual({ kind: "emulator" });
    expect(providerFromEnv({ ANTHROPIC_API_KEY: "sk-ant-1" })).toEqual({ kind: "anthropic", secrets: { ANTHROPIC_API_KEY: "sk-ant-1" } });
    expect(
      providerFromEnv({
        CLOUDFLARE_AI_GATEWAY_API_KEY: "k",
        CF_AI_GATEWAY_ACCOUNT_ID: "a",
        CF_AI_GATEWAY_GATEWAY_ID: "g",
        CF_AI_GATEWAY_MODEL: "openai/gpt-5",
      }),
    ).toEqual({
      kind: "ai-gateway",
      vars: { CF_AI_GATEWAY_ACCOUNT_ID: "a", CF_AI_GATEWAY_GATEWAY_ID: "g", CF_AI_GATEWAY_MODEL: "openai/gpt-5" },
      secrets: { CLOUDFLARE_AI_GATEWAY_API_KEY: "k" },
    });
    expect(() => providerFromEnv({ CF_AI_GATEWAY_ACCOUNT_ID: "a" })).toThrow(/only CF_AI_GATEWAY_ACCOUNT_ID/);
  });
});

describe("after a SIGKILLed run", () => {
  it("removes its temp dir with the secrets, and never kills a process that is not wrangler", async () => {
    const root = await mkdtemp(join(tmpdir(), "moltlab-reap-test-"));
    const configDir = await mkdtemp(join(tmpdir(), SANDBOX_TEMP_PREFIX));
    try {
      const state = join(root, "state");
      // This very process stands in for a recycled pid: it must survive.
      await writeFile(`${state}.session.json`, JSON.stringify({ wranglerGroup: process.pid, configDir }));
      expect(await reapSession(state)).toEqual([]);
      expect(existsSync(configDir)).toBe(false);
      expect(existsSync(`${state}.session.json`)).toBe(false);
      expect(await reapSession(state)).toEqual([]);
    } finally {
      await rm(root, { recursive: true, force: true });
      await rm(configDir, { recursive: true, force: true });
    }
  });
});
