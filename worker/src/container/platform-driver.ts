/**
 * The local driver: moltlab's Containers platform (platform/), a Docker-backed
 * HTTP API on the host, for `wrangler dev` — where workerd cannot run `containers` itself.
 * A thin adapter over that platform's own `HttpPlatformContainer` (Node-free, so the Worker can
 * bundle it). Container ports are published on 127.0.0.1 and the Worker talks to them
 * directly; the platform driver caches their URLs, so warm requests cost no platform call.
 */
import { HttpPlatformContainer } from "../../../platform/client/http-platform-container.ts";
import type { ContainerState, NetworkMode, Platform } from "../../../platform/client/types.ts";
import type { ContainerDriver, DriverState, ExitInfo, PortFetcher, SignalName, StartSpec, StopOptions, StopOutcome } from "./driver.ts";
import type { InstanceType } from "../../../contract/instance-types.ts";

export interface PlatformDriverOptions {
  /** The platform's base URL (MOLTLAB_CONTAINERS_URL). */
  baseUrl: string;
  /** MOLTLAB_PLATFORM_TOKEN, when the platform requires one. */
  token?: string;
  /** Container name on the platform: one per Durable Object. */
  name: string;
  image: string;
  /** Default linux/amd64 (the platform's default, like Cloudflare). */
  platform?: Platform;
  /** Default bridge. */
  network?: NetworkMode;
  /** Default standard-1 (the platform's default). */
  instanceType?: InstanceType;
  ports: readonly number[];
}

/**
 * On the host's network a gateway bound to every interface would be reachable from the
 * host's LAN: both servers in the container bind loopback instead (the supervisor's
 * OPENCLAW_BIND; the control API follows it).
 */
export const HOST_NETWORK_ENV = { OPENCLAW_BIND: "loopback" } as const;

export class PlatformDriver implements ContainerDriver {
  readonly #platform: HttpPlatformContainer;
  readonly #options: PlatformDriverOptions;
  readonly #listeners: ((exit: ExitInfo) => void)[] = [];
  /** The run whose exit was already reported (its finishedAt), so each exit is reported once. */
  #reported: string | null = null;

  constructor(options: PlatformDriverOptions) {
    this.#options = options;
    this.#platform = new HttpPlatformContainer({ baseUrl: options.baseUrl, name: options.name, token: options.token });
  }

  async start(spec: StartSpec): Promise<void> {
    // The DO does its own readiness wait (and serves the loading page meanwhile), so the
    // platform returns as soon as the process runs.
    const { image, platform, network, instanceType, ports } = this.#options;
    const env = network === "host" ? { ...spec.env, ...HOST_NETWORK_ENV } : spec.env;
    await this.#platform.start({
      image,
      env,
      entrypoint: spec.entrypoint,
      ports: [...ports],
      waitForPorts: false,
      ...(platform ? { platform } : {}),
      ...(network ? { network } : {}),
      ...(instanceType ? { instanceType } : {}),
    });
    this.#reported = null;
  }

  async state(): Promise<DriverState> {
    const state = await this.#platform.state();
    if (state.status === "running" || state.status === "starting" || state.status === "stopping") return { status: "running" };
    if (state.status === "stopped") return { status: "stopped" };
    const exit = exitOf(state);
    if (this.#reported !== (state.finishedAt ?? "")) {
      this.#reported = state.finishedAt ?? "";
      for (const listener of this.#listeners) listener(exit);
    }
    return { status: "exited", exit };
  }

  async signal(signal: SignalName): Promise<void> {
    await this.#platform.signal(signal);
  }

  async stop(options: StopOptions): Promise<StopOutcome> {
    const result = await this.#platform.stop({ signal: options.signal ?? "SIGTERM", timeoutMs: options.timeoutMs });
    if (result.signalSent === null) return { graceful: true, exit: null };
    const exit = { ...exitOf(result.state), code: result.exitCode ?? result.state.exitCode ?? null };
    this.#reported = result.state.finishedAt ?? "";
    for (const listener of this.#listeners) listener(exit);
    return { graceful: !result.killed, exit };
  }

  async destroy(): Promise<void> {
    await this.#platform.destroy();
  }

  portUrl(port: number): Promise<string> {
    return this.#platform.portUrl(port);
  }

  port(port: number): PortFetcher {
    return {
      fetch: async (request) => {
        const source = new URL(request.url);
        const target = new URL(source.pathname + source.search, await this.#platform.portUrl(port));
        return fetch(new Request(target, request));
      },
    };
  }

  onExit(listener: (exit: ExitInfo) => void): void {
    this.#listeners.push(listener);
  }
}

function exitOf(state: ContainerState): ExitInfo {
  const message = state.oomKilled ? "killed by the OOM killer" : state.exitSignal ? `ended by ${state.exitSignal}` : state.error?.message;
  return { code: state.exitCode ?? null, at: state.finishedAt ? Date.parse(state.finishedAt) : Date.now(), ...(message ? { message } : {}) };
}
