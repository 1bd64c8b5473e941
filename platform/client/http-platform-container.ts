/**
 * One named container on moltlab's Containers platform, as its client sees it
 * (PlatformContainer), and the client itself, over the platform's HTTP API
 * (HttpPlatformContainer). The Worker adapts it to what its Sandbox needs from any container
 * runtime (worker/src/container/platform-driver.ts). Runs inside workerd: no Node imports,
 * only fetch, streams and TextDecoderStream.
 *
 *   const sandbox = new HttpPlatformContainer({ baseUrl: env.MOLTLAB_CONTAINERS_URL, name: "moltbot" });
 *   await sandbox.start({ image, ports: [18789], env });
 *   const response = await fetch(new URL(path, await sandbox.portUrl(18789)), request);
 */
import { PlatformError, type ErrorBody } from "./errors.ts";
import { eventStreamData } from "./event-stream.ts";
import type { ContainerSpec, ContainerState, LifecycleEvent, PlatformStopOptions, PlatformStopResult } from "./types.ts";

/** One named container, as its owner (a Durable Object) sees it. Errors are PlatformErrors. */
export interface PlatformContainer {
  /** Starts the container, or joins the start in progress, or returns the running one's state. Resolves once every port answers HTTP (unless `spec.waitForPorts` is false). */
  start(spec: ContainerSpec): Promise<ContainerState>;
  state(): Promise<ContainerState>;
  /** Sends a signal to the running process (409 not_running otherwise). */
  signal(signal: string): Promise<ContainerState>;
  /** Signal (default SIGTERM), wait up to `timeoutMs` for the exit, then SIGKILL; says which happened. */
  stop(options?: PlatformStopOptions): Promise<PlatformStopResult>;
  /** Kills and removes the container now; the state becomes "stopped". */
  destroy(): Promise<ContainerState>;
  /** "http://127.0.0.1:NNNNN" for a published container port of the running container. */
  portUrl(port: number): Promise<string>;
  /** Lifecycle events: the recorded ones (after `since`), then live ones until aborted. */
  events(options?: { since?: number; signal?: AbortSignal }): AsyncIterable<LifecycleEvent>;
}

export interface HttpPlatformContainerOptions {
  /** The platform's URL, e.g. "http://127.0.0.1:8790". */
  baseUrl: string;
  /** The container's name on the platform (letters, digits, _ . -). */
  name: string;
  /** MOLTLAB_PLATFORM_TOKEN, when the platform requires one. */
  token?: string;
  /** Default: the global fetch. */
  fetch?: (input: string, init?: RequestInit) => Promise<Response>;
}

export class HttpPlatformContainer implements PlatformContainer {
  readonly name: string;
  private readonly base: string;
  private readonly token: string | undefined;
  private readonly fetcher: (input: string, init?: RequestInit) => Promise<Response>;
  /** Ports of the running container; they change only with a new container, i.e. after start/stop/destroy. */
  private ports: Record<string, string> | undefined;

  constructor(options: HttpPlatformContainerOptions) {
    this.name = options.name;
    this.base = `${options.baseUrl.replace(/\/+$/, "")}/v1/containers/${encodeURIComponent(options.name)}`;
    this.token = options.token;
    // Wrapped: workerd throws "Illegal invocation" for fetch called as another object's method.
    this.fetcher = options.fetch ?? ((input, init) => fetch(input, init));
  }

  async start(spec: ContainerSpec): Promise<ContainerState> {
    return this.remember(await this.call<ContainerState>("PUT", "", spec));
  }

  async state(): Promise<ContainerState> {
    return this.remember(await this.call<ContainerState>("GET", ""));
  }

  async signal(signal: string): Promise<ContainerState> {
    return this.remember(await this.call<ContainerState>("POST", "/signal", { signal }));
  }

  async stop(options: PlatformStopOptions = {}): Promise<PlatformStopResult> {
    const result = await this.call<PlatformStopResult>("POST", "/stop", options);
    this.remember(result.state);
    return result;
  }

  async destroy(): Promise<ContainerState> {
    return this.remember(await this.call<ContainerState>("DELETE", ""));
  }

  async portUrl(port: number): Promise<string> {
    const cached = this.ports?.[String(port)];
    if (cached) return cached;
    const state = await this.state();
    const url = state.ports[String(port)];
    if (url) return url;
    if (state.status !== "running" && state.status !== "stopping") {
      throw new PlatformError("not_running", `container ${this.name} is ${state.status}; start it before asking for port ${port}`);
    }
    throw new PlatformError(
      "not_found",
      `port ${port} of container ${this.name} is not published; add it to spec.ports (published: ${Object.keys(state.ports).join(", ") || "none"})`,
    );
  }

  async *events(options: { since?: number; signal?: AbortSignal } = {}): AsyncIterable<LifecycleEvent> {
    const response = await this.send("GET", `/events${options.since ? `?since=${options.since}` : ""}`, undefined, options.signal);
    if (!response.body) return;
    for await (const data of eventStreamData(response.body)) yield JSON.parse(data) as LifecycleEvent;
  }

  private remember(state: ContainerState): ContainerState {
    this.ports = state.status === "running" ? state.ports : undefined;
    return state;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.send(method, path, body);
    return (await response.json()) as T;
  }

  private async send(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers["content-type"] = "application/json";
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let response: Response;
    try {
      response = await this.fetcher(`${this.base}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new PlatformError(
        "platform_unreachable",
        `the Containers platform at ${this.base} is unreachable (${error instanceof Error ? error.message : String(error)}); start it with \`npm run emulate -- containers\``,
      );
    }
    if (response.ok) return response;
    const text = await response.text();
    let error: ErrorBody["error"] | undefined;
    try {
      error = (JSON.parse(text) as Partial<ErrorBody>).error;
    } catch {
      // Not the platform (a proxy, a wrong URL): report what came back.
    }
    throw new PlatformError(
      error?.code ?? "internal",
      error?.message ?? `HTTP ${response.status} from ${this.base}${path}: ${text.slice(0, 200)}`,
      response.status,
    );
  }
}
