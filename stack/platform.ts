/**
 * The local Containers platform as the stack runs it: started with its cleanup step, and
 * OpenClaw's graceful stop — SIGTERM, its final backup to R2, SIGKILL after STOP_TIMEOUT_MS —
 * which must come before the platform removes the container, and while R2 still answers.
 * `npm run dev` and the compose containers service both stop OpenClaw this way.
 */
import type { ContainersPlatformOptions, StartedContainersPlatform } from "../platform/index.ts";
import { STOP_TIMEOUT_MS } from "../contract/lifecycle.ts";
import type { Cleanup } from "./cleanup.ts";
import { UserError } from "../core/errors.ts";

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

/**
 * The stop step's words for what stopOpenClaw returned. The supervisor exits 0 after SIGTERM only
 * once its final backup has reached R2 (or when no R2 is set); a non-zero exit means that backup
 * failed, and a SIGKILL cut it off. Either way the changes since its last good backup are not in
 * R2, and the container is removed next, so the step fails and says so rather than reporting done.
 */
export function describeStopped(stopped: readonly StoppedOpenClaw[]): string {
  if (!stopped.length) return "was not running";
  const outcome = (item: StoppedOpenClaw) =>
    `${item.name}: ${item.killed ? `killed after the ${STOP_TIMEOUT_MS / 1000} s grace period` : item.exitCode === undefined ? "exited (code unknown)" : `exited ${item.exitCode}`}`;
  const text = stopped.map(outcome).join(", ");
  if (stopped.some((item) => item.killed || (item.exitCode !== undefined && item.exitCode !== 0))) {
    throw new UserError(
      `${text}: its final backup did not complete, so the changes since its last good backup are not in R2 and are gone with the container`,
      'the supervisor\'s log says why (its "final backup" line: R2 unreachable or failing, or a backup longer than the grace period); the next start restores the last backup that reached R2',
    );
  }
  return text;
}
