/**
 * An older OpenClaw release, installed from npm into a temp folder and run on the host with
 * the project's Node 24, its state in a folder of our choosing: what a user's years-old
 * install looks like, made here by the real program. Used by the cross-version import test.
 * Its gateway listens on loopback on a port of its own (never 18789), with the AI Gateway
 * emulator as its model.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../../core/exec.ts";
import { DEFAULT_ACCOUNT, DEFAULT_GATEWAY, type StartedAiGateway } from "../../emulators/ai-gateway/index.ts";
import { freePort } from "../../core/wrangler-dev.ts";
import { PollAborted, waitFor } from "../shared/wait.ts";

/** The model id the emulator serves under the anthropic provider (bare, as OpenClaw sends it). */
const MODEL_ID = "claude-sonnet-4-5";

/** `npm install openclaw@<version>` into `dir` (kept between runs: a second call is a no-op). */
export async function installOpenclaw(version: string, dir: string): Promise<string> {
  const bin = join(dir, "node_modules", "openclaw", "openclaw.mjs");
  if (existsSync(bin)) return bin;
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "package.json"), JSON.stringify({ name: "old-openclaw", private: true }));
  await run("npm", ["install", "--no-audit", "--no-fund", `openclaw@${version}`], { cwd: dir, timeoutMs: 10 * 60_000 });
  return bin;
}

export interface OldGateway {
  port: number;
  url: string;
  stop(): Promise<void>;
  output(): string;
}

/** The config a moltworker-era user would have had: the AI Gateway as a custom Anthropic provider, quiet offline. */
export function oldConfig(aiGateway: StartedAiGateway, port: number): object {
  return {
    gateway: {
      mode: "local",
      port,
      bind: "loopback",
      auth: { mode: "token", token: "${OPENCLAW_GATEWAY_TOKEN}" },
      http: { endpoints: { chatCompletions: { enabled: true } } },
    },
    models: {
      providers: {
        "cf-ai-gw-anthropic": {
          baseUrl: `${aiGateway.url}/v1/${DEFAULT_ACCOUNT}/${DEFAULT_GATEWAY}/anthropic`,
          api: "anthropic-messages",
          apiKey: "${MOLTWORKER_AI_GATEWAY_KEY}",
          models: [{ id: MODEL_ID, name: MODEL_ID, contextWindow: 200000, maxTokens: 8192 }],
        },
      },
    },
    agents: { defaults: { model: { primary: `cf-ai-gw-anthropic/${MODEL_ID}` }, heartbeat: { every: "0m" } } },
    update: { checkOnStart: false },
    cron: { enabled: false },
  };
}

/** Starts `openclaw gateway` of the installed release on `stateDir`, ready when /readyz answers 200. */
export async function startOldGateway(bin: string, stateDir: string, aiGateway: StartedAiGateway, token: string): Promise<OldGateway> {
  const port = await freePort("127.0.0.1");
  await mkdir(stateDir, { recursive: true });
  await writeFile(join(stateDir, "openclaw.json"), JSON.stringify(oldConfig(aiGateway, port), null, 2));
  // HOME is the state folder's parent, as on a pod whose volume is mounted at ~/.openclaw (OpenClaw
  // puts the workspace under HOME's .openclaw, not OPENCLAW_STATE_DIR); its temp folder is apart.
  const home = join(stateDir, "..");
  const temp = await mkdtemp(join(tmpdir(), "moltlab-old-openclaw-"));
  let output = "";
  const child: ChildProcess = spawn(process.execPath, [bin, "gateway", "--port", String(port), "--bind", "loopback"], {
    env: {
      PATH: process.env.PATH,
      HOME: home,
      OPENCLAW_STATE_DIR: stateDir,
      OPENCLAW_GATEWAY_TOKEN: token,
      MOLTWORKER_AI_GATEWAY_KEY: `sk-ant-moltlab-fake-${token.slice(0, 8)}`,
      TMPDIR: temp,
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid!, "SIGTERM");
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          // gone
        }
      }, 20_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(temp, { recursive: true, force: true });
  };
  try {
    await waitFor(
      "the old OpenClaw gateway's /readyz",
      async () => {
        if (child.exitCode !== null) throw new PollAborted(`openclaw gateway exited with ${child.exitCode}:\n${output.slice(-3000)}`);
        const response = await fetch(`${url}/readyz`).catch(() => undefined);
        return response?.status === 200;
      },
      180_000,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, url, stop, output: () => output };
}

/** One chat turn through the gateway's OpenAI-compatible endpoint, `user` keeping one session. */
export async function oldChat(gateway: OldGateway, token: string, text: string, user: string): Promise<string> {
  const response = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "openclaw", user, messages: [{ role: "user", content: text }] }),
  });
  const body = await response.text();
  if (!response.ok) throw new Error(`chat turn failed: HTTP ${response.status} ${body.slice(0, 500)}`);
  return (JSON.parse(body) as { choices: { message: { content: string } }[] }).choices[0]!.message.content;
}
