/**
 * The local Containers platform as the stack runs it: started with its cleanup step, and
 * OpenClaw's graceful stop — SIGTERM, its final backup to R2, SIGKILL after STOP_TIMEOUT_MS —
 * which must come before the platform removes the container, and while R2 still answers.
 * `npm run dev` and the compose containers service both stop OpenClaw this way.
 */
import type { ContainersPlatformOptions, StartedContainersPlatform } from "../platform/index.ts";
import { STOP_TIMEOUT_MS } from "../contract/lifecycle.ts";
import type { Cleanup } from "./cleanup.ts";

/** Starts the platform and adds "remove the containers" (every container it started, then its API) to `cleanup`. */
export async function startPlatform(options: ContainersPlatformOptions, cleanup: Cleanup): Promise<StartedContainersPlatform> {
  // Loaded on demand: it brings dockerode.
  const { startContainersPlatform } = await import("../platform/index.ts");
  const platform = await startContainersPlatform(options);
  cleanup.add("remove the containers", async () => {
    const names = platform.containers.names();
    await platform.stop();
    return names.length ? `removed ${names.join(", ")}` : "none left";
  });
  return platform;
}

/** What a graceful stop needs of the platform's containers (states and stop of its public API). */
export interface StoppableContainers {
  states(): readonly { name: string; status: string }[];
  stop(name: string, options: { signal: string; timeoutMs: number }): Promise<{ state: { name: string }; killed: boolean; exitCode?: number }>;
}

export interface StoppedOpenClaw {
  name: string;
  /** Outlived STOP_TIMEOUT_MS and was SIGKILLed. */
  killed: boolean;
  exitCode?: number;
}

/** A container has a process to stop in these states. */
const LIVE = new Set(["running", "starting"]);

/** SIGTERMs every live container at once and waits for each to exit, or SIGKILLs it after STOP_TIMEOUT_MS. */
export async function stopOpenClaw(containers: StoppableContainers): Promise<StoppedOpenClaw[]> {
  const live = containers
    .states()
    .filter((state) => LIVE.has(state.status))
    .map((state) => state.name);
  const results = await Promise.all(live.map((name) => containers.stop(name, { signal: "SIGTERM", timeoutMs: STOP_TIMEOUT_MS })));
  return results.map((result) => ({ name: result.state.name, killed: result.killed, exitCode: result.exitCode }));
}
