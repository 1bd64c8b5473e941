/**
 * The production driver: Cloudflare Containers through the Durable Object's `ctx.container`.
 * Exits are observed with `monitor()`, which settles when the container stops (resolves on a
 * clean exit, rejects otherwise), so the DO learns about a crash without polling.
 */
import {
  CONTAINER_ORIGIN,
  type ContainerDriver,
  type DriverState,
  type ExitInfo,
  type PortFetcher,
  SIGNALS,
  type SignalName,
  signalThenKill,
  type StartSpec,
  type StopOptions,
  type StopOutcome,
} from "./driver.ts";

/** The part of `ctx.container` this driver uses; the tests' fake implements exactly this. */
export interface ContainerApi {
  readonly running: boolean;
  start(options?: ContainerStartupOptions): void;
  monitor(): Promise<void>;
  destroy(error?: unknown): Promise<void>;
  signal(signo: number): void;
  getTcpPort(port: number): { fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> };
}

export class CloudflareContainerDriver implements ContainerDriver {
  readonly #container: ContainerApi;
  readonly #listeners: ((exit: ExitInfo) => void)[] = [];
  #exited: Promise<ExitInfo> | null = null;
  #lastExit: ExitInfo | null = null;

  constructor(container: ContainerApi) {
    this.#container = container;
    // A DO that was restarted while its container kept running must still see the exit.
    if (container.running) this.#watch();
  }

  async start(spec: StartSpec): Promise<void> {
    if (this.#container.running) throw new Error("the container is already running");
    this.#container.start({ env: spec.env, entrypoint: spec.entrypoint, enableInternet: spec.enableInternet ?? true });
    this.#lastExit = null;
    this.#watch();
  }

  async state(): Promise<DriverState> {
    if (this.#container.running) return { status: "running" };
    // `running` turns false before monitor() settles; the exit details follow at once.
    const exit = this.#exited ? await this.#exited : this.#lastExit;
    return exit ? { status: "exited", exit } : { status: "stopped" };
  }

  async signal(signal: SignalName): Promise<void> {
    if (this.#container.running) this.#container.signal(SIGNALS[signal]);
  }

  async stop(options: StopOptions): Promise<StopOutcome> {
    if (!this.#container.running || !this.#exited) return { graceful: true, exit: this.#lastExit };
    return signalThenKill(this, this.#exited, options);
  }

  async destroy(): Promise<void> {
    await this.#container.destroy();
  }

  async portUrl(port: number): Promise<string> {
    return `${CONTAINER_ORIGIN}:${port}`;
  }

  port(port: number): PortFetcher {
    const tcp = this.#container.getTcpPort(port);
    return { fetch: (request) => tcp.fetch(request) };
  }

  onExit(listener: (exit: ExitInfo) => void): void {
    this.#listeners.push(listener);
  }

  #watch(): void {
    const exited = this.#container.monitor().then(
      (): ExitInfo => ({ code: 0, at: Date.now() }),
      (error: unknown): ExitInfo => ({ code: exitCodeOf(error), at: Date.now(), message: error instanceof Error ? error.message : String(error) }),
    );
    this.#exited = exited;
    void exited.then((exit) => {
      if (this.#exited !== exited) return; // a newer run replaced this one
      this.#lastExit = exit;
      for (const listener of this.#listeners) listener(exit);
    });
  }
}

/** workerd attaches the exit code to monitor()'s rejection when it knows it. */
function exitCodeOf(error: unknown): number | null {
  const code = (error as { exitCode?: unknown } | null)?.exitCode;
  return typeof code === "number" ? code : null;
}
