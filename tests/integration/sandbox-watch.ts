/**
 * Watching a sandbox that a test lets sleep and wake (the channels and the jobs files): its status
 * through the Worker, requests that keep it awake while OpenClaw works on its own (an agent turn, a
 * reply that goes straight to a chat service: neither counts as activity), the wait for its sleep,
 * the running container's logs, and the model requests that carry a message.
 */
import Docker from "dockerode";
import { demuxLogs } from "../../platform/server/docker-logs.ts";
import type { StartedSandbox } from "../../stack/sandbox.ts";
import { waitFor } from "../shared/wait.ts";

const MINUTES = 60_000;
/** How often keepAwake() sends a request: well under any SANDBOX_SLEEP_AFTER a test sets. */
const KEEP_AWAKE_EVERY_MS = 5000;

/** The Worker's /api/status, the fields these tests read. */
export interface SandboxReport {
  status: string;
  container: { status: string; starts: number; lastError: string | null; lastWake: { reason: string; at: number } | null };
}

export class SandboxWatch {
  readonly #sandbox: StartedSandbox;
  readonly #docker = new Docker();
  #keepAwake: NodeJS.Timeout | undefined;

  constructor(sandbox: StartedSandbox) {
    this.#sandbox = sandbox;
  }

  async status(): Promise<SandboxReport> {
    return (await (await fetch(`${this.#sandbox.url}/api/status`, { signal: AbortSignal.timeout(30_000) })).json()) as SandboxReport;
  }

  /** A request every few seconds until stopKeepingAwake(): the container stays up whatever OpenClaw does meanwhile. */
  keepAwake(): void {
    this.#keepAwake ??= setInterval(
      () => void fetch(`${this.#sandbox.url}/healthz`, { signal: AbortSignal.timeout(MINUTES) }).catch(() => undefined),
      KEEP_AWAKE_EVERY_MS,
    );
  }

  stopKeepingAwake(): void {
    clearInterval(this.#keepAwake);
    this.#keepAwake = undefined;
  }

  waitAsleep(): Promise<boolean> {
    return waitFor("the container to go to sleep (SANDBOX_SLEEP_AFTER)", async () => (await this.status()).status === "not_running", 3 * MINUTES, 1000);
  }

  runningId(): string | undefined {
    return this.#sandbox.platform.containers.states().find((state) => state.status === "running")?.containerId;
  }

  /** The running container's output so far ("" when none runs). */
  async containerLogs(): Promise<string> {
    const id = this.runningId();
    if (!id) return "";
    return demuxLogs((await this.#docker.getContainer(id).logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer);
  }

  /** The running container, for `docker exec` (undefined when none runs). */
  runningContainer(): Docker.Container | undefined {
    const id = this.runningId();
    return id ? this.#docker.getContainer(id) : undefined;
  }

  /** Model requests (at the AI Gateway emulator) that carry a message. */
  modelRequestsWith(text: string) {
    return this.#sandbox.aiGateway!.log.all().filter((entry) => JSON.stringify(entry.body).includes(text));
  }
}
