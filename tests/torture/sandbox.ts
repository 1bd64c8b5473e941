/**
 * One torture container: the real supervisor (the image's esbuild bundle) as the container's
 * main process under an init, the fake gateway with the workload as its child, OpenClaw's
 * state on a tmpfs home (every boot starts empty and restores from R2, as on Cloudflare), and
 * a memory limit for the OOM kill. On the host's network (loopback only), so it reaches the
 * R2 stand-in on 127.0.0.1; secrets go in through an env file, never the command line.
 */
import { tryRun } from "../../core/exec.ts";
import { docker } from "../../core/docker.ts";
import { labelFlags, moltlabLabels } from "../../core/labels.ts";
import { PollAborted, waitFor } from "../shared/wait.ts";

export interface SandboxSpec {
  name: string;
  image: string;
  /** Host folder with supervisor.mjs, the fake gateway, the workload and the inspector (read-only). */
  toolsDir: string;
  /** Host folder for the journal and the clock file (read-write). */
  journalDir: string;
  envFile: string;
  gatewayPort: number;
  homeMiB: number;
  memoryMiB: number;
}

export interface SupervisorLine {
  /** When the engine received the line (the host's clock, whatever the supervisor's says). */
  receivedAt: number;
  msg: string;
  [field: string]: unknown;
}

export interface Exit {
  code: number;
  oomKilled: boolean;
}

export class TortureSandbox {
  readonly spec: SandboxSpec;

  private constructor(spec: SandboxSpec) {
    this.spec = spec;
  }

  static async start(spec: SandboxSpec): Promise<TortureSandbox> {
    const labels = labelFlags(moltlabLabels("test", { "moltlab.torture": "1" }));
    await docker([
      "run",
      "--detach",
      "--name",
      spec.name,
      ...labels,
      "--network",
      "host",
      "--init",
      "--memory",
      `${spec.memoryMiB}m`,
      "--memory-swap",
      `${spec.memoryMiB}m`,
      "--tmpfs",
      `/root:rw,exec,size=${spec.homeMiB}m,mode=0700`,
      "--volume",
      `${spec.toolsDir}:/torture:ro`,
      "--volume",
      `${spec.journalDir}:/journal`,
      "--env-file",
      spec.envFile,
      spec.image,
      "node",
      "/torture/supervisor.mjs",
    ]);
    return new TortureSandbox(spec);
  }

  async running(): Promise<boolean> {
    const result = await tryRun("docker", ["inspect", "--format", "{{.State.Running}}", this.spec.name]);
    return result.code === 0 && result.stdout.trim() === "true";
  }

  /** Resolves "ready" once the gateway answers (restore done), or "exited" if the supervisor gave up first. */
  async waitReady(timeoutMs = 90_000): Promise<"ready" | "exited"> {
    let polls = 0;
    try {
      return await waitFor(
        "the gateway's /readyz (restore finished, gateway started)",
        async () => {
          const ready = await fetch(`http://127.0.0.1:${this.spec.gatewayPort}/readyz`, { signal: AbortSignal.timeout(1_000) })
            .then((response) => response.ok)
            .catch(() => false);
          if (ready) return "ready" as const;
          if (++polls % 10 === 0 && !(await this.running())) throw new PollAborted("exited");
          return undefined;
        },
        timeoutMs,
        50,
      );
    } catch (error) {
      if (error instanceof PollAborted) return "exited";
      throw error;
    }
  }

  async exec(command: readonly string[], timeoutMs = 60_000): Promise<string> {
    return (await docker(["exec", this.spec.name, ...command], { timeoutMs })).stdout;
  }

  async startWorkload(cycle: number, fill: boolean): Promise<void> {
    const response = await fetch(`http://127.0.0.1:${this.spec.gatewayPort}/fake/workload?cycle=${cycle}&fill=${fill ? 1 : 0}`, { method: "POST" });
    if (!response.ok) throw new Error(`starting the workload answered ${response.status}`);
  }

  async signal(signal: "SIGTERM" | "SIGKILL"): Promise<void> {
    await tryRun("docker", ["kill", "--signal", signal, this.spec.name]);
  }

  /** Makes the supervisor the memory cgroup's first victim, then starts a hog that fills the limit. */
  async oomKill(): Promise<void> {
    const mark = `for p in /proc/[0-9]*; do if tr '\\0' ' ' < $p/cmdline 2>/dev/null | grep -q '^node /torture/supervisor.mjs'; then echo 1000 > $p/oom_score_adj; fi; done`;
    await docker(["exec", this.spec.name, "sh", "-c", mark]);
    await tryRun("docker", ["exec", "--detach", this.spec.name, "node", "-e", "const hog = []; for (;;) hog.push(Buffer.alloc(32 << 20, 1));"]);
  }

  async waitExit(timeoutMs = 90_000): Promise<Exit> {
    await waitFor(`container ${this.spec.name} to exit`, async () => !(await this.running()), timeoutMs, 50);
    const state = JSON.parse((await docker(["inspect", "--format", "{{json .State}}", this.spec.name])).stdout) as { ExitCode: number; OOMKilled: boolean };
    return { code: state.ExitCode, oomKilled: state.OOMKilled };
  }

  /** The supervisor's JSON lines, stamped with the engine's receive time. */
  async supervisorLines(): Promise<SupervisorLine[]> {
    const result = await docker(["logs", "--timestamps", this.spec.name], { timeoutMs: 60_000 });
    const lines: SupervisorLine[] = [];
    for (const raw of `${result.stdout}\n${result.stderr}`.split("\n")) {
      const space = raw.indexOf(" ");
      if (space < 0 || raw[space + 1] !== "{") continue;
      try {
        const record = JSON.parse(raw.slice(space + 1)) as { msg?: unknown };
        if (typeof record.msg !== "string") continue;
        lines.push({ ...record, msg: record.msg, receivedAt: Date.parse(raw.slice(0, space)) });
      } catch {
        // The gateway's or the workload's own output.
      }
    }
    return lines.sort((a, b) => a.receivedAt - b.receivedAt);
  }

  async remove(): Promise<void> {
    await tryRun("docker", ["rm", "--force", "--volumes", this.spec.name]);
  }
}
