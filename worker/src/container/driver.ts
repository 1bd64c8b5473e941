/**
 * What the Sandbox Durable Object needs from "a place that runs one container". Three
 * implementations: Cloudflare's `ctx.container` (production), moltlab's local Containers
 * platform over HTTP (`wrangler dev`, where workerd cannot run containers here), and the
 * tests' fake (which is a fake `ctx.container`, so the production driver is what tests drive).
 *
 * Kept free of Node and of any one runtime's types so every side can import it.
 */

/** POSIX signal numbers the DO sends (Linux values, as `ctx.container.signal` expects). */
export const SIGNALS = { SIGKILL: 9, SIGTERM: 15 } as const;
export type SignalName = keyof typeof SIGNALS;

/** Requests to container ports are addressed by port (`driver.port(n)`); this host is a placeholder. */
export const CONTAINER_ORIGIN = "http://container.internal";

export interface StartSpec {
  /** Environment of the container's main process. Secrets travel only here, never in argv. */
  env: Record<string, string>;
  /** Override the image's ENTRYPOINT; moltlab leaves it unset (the image runs the supervisor). */
  entrypoint?: string[];
  enableInternet?: boolean;
}

export interface ExitInfo {
  /** null when the runtime did not say (killed, destroyed, lost). */
  code: number | null;
  /** Epoch ms. */
  at: number;
  /** The runtime's message for a non-zero or abnormal exit; never contains env values. */
  message?: string;
}

export type DriverState =
  | { status: "running" }
  /** Never started by this driver (or destroyed). */
  | { status: "stopped" }
  | { status: "exited"; exit: ExitInfo };

export interface StopOptions {
  /** First signal; default SIGTERM. */
  signal?: SignalName;
  /** How long to wait for the container to exit on its own before SIGKILL. */
  timeoutMs: number;
}

export interface StopOutcome {
  /** True when it exited within the bound, false when it had to be killed. */
  graceful: boolean;
  exit: ExitInfo | null;
}

/** Something that answers fetches for one container port (HTTP and WebSocket upgrades). */
export interface PortFetcher {
  fetch(request: Request): Promise<Response>;
}

export interface ContainerDriver {
  /** Starts the container. Rejects if it is already running. Resolves once the runtime accepted it (not when it is ready). */
  start(spec: StartSpec): Promise<void>;
  state(): Promise<DriverState>;
  signal(signal: SignalName): Promise<void>;
  /** Signal, wait up to `timeoutMs` for the exit, then SIGKILL. */
  stop(options: StopOptions): Promise<StopOutcome>;
  /** Immediate teardown, no grace period. */
  destroy(): Promise<void>;
  /** Base URL for HTTP/WS to a container port (a placeholder host for Cloudflare's, whose ports are reached only through `port()`). */
  portUrl(port: number): Promise<string>;
  /** Send a request to a container port (the request's host is ignored). Throws (a network-style error) when nothing listens. */
  port(port: number): PortFetcher;
  /**
   * Called once per run when the container exits by itself or is stopped. Drivers that
   * cannot observe exits (HTTP platform) call it when they notice one in `state()`.
   */
  onExit(listener: (exit: ExitInfo) => void): void;
}

/** Waits for `exited` up to `timeoutMs`; the shared core of `stop` for drivers that only have signals. */
export async function signalThenKill(driver: Pick<ContainerDriver, "signal">, exited: Promise<ExitInfo>, options: StopOptions): Promise<StopOutcome> {
  await driver.signal(options.signal ?? "SIGTERM");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), options.timeoutMs);
  });
  const first = await Promise.race([exited, timedOut]);
  if (timer !== undefined) clearTimeout(timer);
  if (first !== "timeout") return { graceful: true, exit: first };
  await driver.signal("SIGKILL");
  return { graceful: false, exit: await exited };
}
