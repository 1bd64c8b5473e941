/**
 * The floors a cold start is compared with, in the same image and CPU/memory profile:
 * the image doing nothing, and OpenClaw's gateway started alone (no supervisor, no
 * restore, no Worker). Containers carry moltlab.kind=test and are removed after each run.
 */
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { run, tryRun } from "../../core/exec.ts";
import { labelFlags, moltlabLabels } from "../../core/labels.ts";
import { EMULATED_MODEL } from "../../stack/sandbox.ts";
import { freePort } from "../../core/wrangler-dev.ts";
import { AI_GATEWAY_KEY_ALIAS, buildConfig } from "../../container/supervisor/config.ts";
import { DEFAULT_ACCOUNT, DEFAULT_GATEWAY } from "../../emulators/ai-gateway/index.ts";
import { limitsFor, type InstanceType } from "../../contract/instance-types.ts";
import { PollAborted, waitFor } from "../shared/wait.ts";
import { containerLog, failedPluginInstall, type PluginInstallAttempt } from "./openclaw-logs.ts";
import type { Arch } from "../../contract/arch.ts";

const TEST_LABELS = labelFlags(moltlabLabels("test", { "moltlab.bench": "cold-start" }));

/** `docker run` options for an instance type's profile, as the platform applies it. */
function profileFlags(instanceType: InstanceType): string[] {
  const limits = limitsFor(instanceType, cpus().length);
  return [
    "--cpus",
    String(limits.nanoCpus / 1e9),
    "--memory",
    String(limits.memoryBytes),
    "--memory-swap",
    String(limits.memorySwapBytes),
    "--pids-limit",
    String(limits.pidsLimit),
  ];
}

/** The image doing nothing: `docker run --rm … true` (create, start, exit, remove). */
export async function noopRun(image: string, arch: Arch, instanceType: InstanceType): Promise<number> {
  const started = performance.now();
  await run("docker", ["run", "--rm", "--platform", `linux/${arch}`, ...TEST_LABELS, ...profileFlags(instanceType), "--entrypoint", "true", image]);
  return performance.now() - started;
}

/** Which openclaw.json the gateway alone starts with. */
export type AloneConfig = "image-default" | "supervisor";

/**
 * The config the supervisor writes on a first boot with the AI Gateway settings `npm run dev`
 * passes (built by its own buildConfig), the model endpoint pointing nowhere: starting the
 * gateway calls no model.
 */
function supervisorConfig(): string {
  const built = buildConfig(
    null,
    {
      CF_AI_GATEWAY_ACCOUNT_ID: DEFAULT_ACCOUNT,
      CF_AI_GATEWAY_GATEWAY_ID: DEFAULT_GATEWAY,
      CF_AI_GATEWAY_MODEL: EMULATED_MODEL,
      CF_AI_GATEWAY_BASE_URL: "http://127.0.0.1:9",
      CLOUDFLARE_AI_GATEWAY_API_KEY: "unused",
      OPENCLAW_GATEWAY_TOKEN: "unused",
    },
    { gatewayPort: 18789, gatewayBind: "lan" },
  );
  if (!built.ok) throw new Error(`the supervisor's config builder refused: ${built.problems.join("; ")}`);
  return JSON.stringify(built.config);
}

const START_GATEWAY = "exec openclaw gateway --port 18789 --bind lan --allow-unconfigured";
const WRITE_CONFIG: Record<AloneConfig, string> = {
  "image-default": 'cp /opt/moltlab/openclaw.default.json "$HOME/.openclaw/openclaw.json"',
  supervisor: 'printf "%s" "$MOLTLAB_BENCH_CONFIG" > "$HOME/.openclaw/openclaw.json" && unset MOLTLAB_BENCH_CONFIG',
};

/**
 * `openclaw gateway` started directly in the same image and profile (tini, then a shell that
 * writes openclaw.json and execs the gateway as the supervisor would), on Docker's bridge
 * with its port published on a free loopback port (the host's 18789 may be in use): from
 * `docker run` to /readyz answering 200.
 */
export async function gatewayAlone(
  image: string,
  arch: Arch,
  instanceType: InstanceType,
  config: AloneConfig,
  boundMs: number,
): Promise<{ ms: number; pluginInstall: PluginInstallAttempt | null }> {
  const port = await freePort("127.0.0.1");
  const name = `moltlab-bench-gateway-${randomBytes(4).toString("hex")}`;
  // Token, key and config go through a 0600 env file: never on a command line.
  const envDir = await mkdtemp(join(tmpdir(), "moltlab-bench-env-"));
  const envFile = join(envDir, "gateway.env");
  const env = [
    `OPENCLAW_GATEWAY_TOKEN=${randomBytes(24).toString("hex")}`,
    // The key under the name the supervisor gives the gateway (see AI_GATEWAY_KEY_ALIAS).
    ...(config === "supervisor" ? [`${AI_GATEWAY_KEY_ALIAS}=sk-bench-${randomBytes(8).toString("hex")}`, `MOLTLAB_BENCH_CONFIG=${supervisorConfig()}`] : []),
  ];
  await writeFile(envFile, `${env.join("\n")}\n`, { mode: 0o600 });
  // An interrupted run skips `finally`: the file with the token must go anyway.
  const removeEnv = () => rmSync(envDir, { recursive: true, force: true });
  process.on("exit", removeEnv);
  try {
    const started = performance.now();
    await run("docker", [
      "run",
      "-d",
      "--name",
      name,
      "--platform",
      `linux/${arch}`,
      ...TEST_LABELS,
      ...profileFlags(instanceType),
      "-p",
      `127.0.0.1:${port}:18789`,
      "--env-file",
      envFile,
      "--entrypoint",
      "tini",
      image,
      "--",
      "sh",
      "-c",
      `mkdir -p "$HOME/.openclaw" && ${WRITE_CONFIG[config]} && ${START_GATEWAY}`,
    ]);
    let polls = 0;
    await waitFor(
      "the gateway alone answering /readyz",
      async () => {
        if (++polls % 20 === 0) {
          const running = await tryRun("docker", ["inspect", "--format", "{{.State.Running}}", name]);
          if (running.stdout.trim() !== "true")
            throw new PollAborted(`the gateway container stopped: ${(await tryRun("docker", ["logs", "--tail", "20", name])).stderr}`);
        }
        const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) });
        await response.body?.cancel();
        return response.ok;
      },
      boundMs,
      200,
    );
    const ms = performance.now() - started;
    return { ms, pluginInstall: failedPluginInstall(await containerLog(name)) };
  } finally {
    await tryRun("docker", ["rm", "-f", name]);
    process.off("exit", removeEnv);
    await rm(envDir, { recursive: true, force: true });
  }
}
