/**
 * A fake `ctx.container` for the workerd test pool (where real containers cannot run). It
 * behaves like Cloudflare's: start() refuses a running container, monitor() settles when the
 * main process ends (rejecting with `exitCode` when non-zero), getTcpPort() throws while
 * nothing listens. Behind port 18789 it serves a fake OpenClaw gateway (/readyz, an HTTP echo,
 * and a WebSocket speaking connect.challenge → connect → hello-ok, then echoing), behind
 * 18790 a fake supervisor control API, behind 18791 OpenClaw's Telegram webhook listener
 * (checks the secret, keeps the updates). Knobs: crash, ignore SIGTERM, hold readiness, hold
 * the gateway's answers, hold the final backup, require pairing, expect a different token.
 */
import type { ContainerApi } from "../src/container/cloudflare-driver.ts";

export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export interface SeenRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
}

interface Device {
  requestId: string;
  deviceId: string;
  platform: string;
}

const GATEWAY_PORT = 18789;
const CONTROL_PORT = 18790;
const TELEGRAM_PORT = 18791;

export class FakeContainer implements ContainerApi {
  /** start() calls that actually started the container. */
  starts = 0;
  readonly startOptions: ContainerStartupOptions[] = [];
  readonly signals: number[] = [];
  readonly gatewayRequests: SeenRequest[] = [];
  readonly controlRequests: SeenRequest[] = [];
  /** Bodies OpenClaw's Telegram listener accepted. */
  readonly telegramUpdates: string[] = [];
  /** Off: nothing listens on the Telegram port yet (OpenClaw starts its channels after /readyz). */
  telegramListening = true;
  /** Resolves at the first connection to the Telegram port, refused or not. */
  readonly telegramTried = deferred();
  /** Sent frames from the fake gateway's side, for assertions about what went upstream. */
  readonly framesFromClient: string[] = [];
  ignoreSigterm = false;
  pairingRequired = false;
  /** When set, the gateway expects this token instead of the one it was started with. */
  expectedToken: string | null = null;
  /** While set, SIGTERM waits for it before exiting (the supervisor's final backup). */
  finalBackup: Deferred | null = null;
  sigtermReceived = deferred();
  devices: { pending: Device[]; paired: Device[] } = {
    pending: [
      { requestId: "req-1", deviceId: "dev-abc", platform: "test" },
      { requestId: "req-2", deviceId: "dev-def", platform: "test" },
    ],
    paired: [],
  };
  lastBackup: { ok: boolean; id: string; changed: boolean; reason: string; at: string; durationMs: number } | null = null;

  #running = false;
  #exit: Deferred | null = null;
  #readyGate: Deferred | null = null;
  #started = deferred();
  #startWaiters: Deferred[] = [];

  get running(): boolean {
    return this.#running;
  }

  start(options: ContainerStartupOptions = {}): void {
    if (this.#running) throw new Error("start() cannot be called on a container that is already running.");
    this.starts++;
    this.startOptions.push(options);
    this.#running = true;
    const exit = deferred();
    exit.promise.catch(() => undefined); // a rejection nobody monitors is not an error
    this.#exit = exit;
    this.sigtermReceived = deferred();
    this.#started.resolve();
    for (const waiter of this.#startWaiters.splice(0)) waiter.resolve();
  }

  monitor(): Promise<void> {
    if (!this.#exit) return Promise.reject(new Error("the container was never started"));
    return this.#exit.promise;
  }

  async destroy(): Promise<void> {
    this.#end(null, "destroyed");
  }

  signal(signo: number): void {
    if (!this.#running) return;
    this.signals.push(signo);
    if (signo === 9) this.#end(137, "killed");
    else if (signo === 15) {
      this.sigtermReceived.resolve();
      if (!this.ignoreSigterm) void this.#gracefulExit();
    }
  }

  /** The main process dies on its own. */
  crash(code = 1): void {
    this.#end(code, `the container exited with code ${code}`);
  }

  /** Resolves at the first start. */
  whenStarted(): Promise<void> {
    return this.#started.promise;
  }

  /** Resolves once the container has been started `count` times in all. */
  async whenStarts(count: number): Promise<void> {
    while (this.starts < count) {
      const next = deferred();
      this.#startWaiters.push(next);
      await next.promise;
    }
  }

  /**
   * Set: /readyz answers 503 naming these channels, as OpenClaw does while a channel fails (a revoked
   * token), and the supervisor's /health says the gateway is ready with them failing.
   */
  failingChannels: string[] | null = null;

  /** The gateway's HTTP answers (not /readyz) wait until `releaseAnswers()`; `answerHeld` settles when one waits. */
  holdAnswers(): void {
    this.#answerGate = deferred();
    this.answerHeld = deferred();
  }

  releaseAnswers(): void {
    this.#answerGate?.resolve();
    this.#answerGate = null;
  }

  answerHeld = deferred();
  #answerGate: Deferred | null = null;

  /** /readyz answers 503 until `releaseReady()`. */
  holdReady(): void {
    this.#readyGate = deferred();
  }

  releaseReady(): void {
    this.#readyGate?.resolve();
    this.#readyGate = null;
  }

  get env(): Record<string, string> {
    return this.startOptions.at(-1)?.env ?? {};
  }

  getTcpPort(port: number): { fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> } {
    return {
      fetch: async (input, init) => {
        const request = new Request(input, init);
        if (!this.#running) throw new Error("The container is not running, consider calling start()");
        if (port === GATEWAY_PORT) return this.#gateway(request);
        if (port === CONTROL_PORT) return this.#control(request);
        if (port === TELEGRAM_PORT) this.telegramTried.resolve();
        if (port === TELEGRAM_PORT && this.telegramListening) return this.#telegram(request);
        if (port === this.webServicePort) return this.#webService(request);
        throw new Error(`connect ECONNREFUSED: nothing listens on port ${port}`);
      },
    };
  }

  /** A user's own web service listens here when set (SANDBOX_WEB_SERVICES); requests it saw. */
  webServicePort: number | null = null;
  readonly webServiceRequests: SeenRequest[] = [];

  #webService(request: Request): Response {
    this.webServiceRequests.push(seen(request));
    return new Response(`board: ${request.method} ${new URL(request.url).pathname}`, { headers: { "content-type": "text/plain" } });
  }

  async #gracefulExit(): Promise<void> {
    if (this.finalBackup) await this.finalBackup.promise;
    this.#end(0);
  }

  #end(code: number | null, message?: string): void {
    if (!this.#running) return;
    this.#running = false;
    if (code === 0) this.#exit?.resolve();
    else this.#exit?.reject(Object.assign(new Error(message ?? "exited"), { exitCode: code }));
  }

  #token(): string {
    return this.expectedToken ?? this.env.OPENCLAW_GATEWAY_TOKEN ?? "";
  }

  // ---- the fake gateway (port 18789) ----------------------------------------------------

  async #gateway(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/readyz" && this.failingChannels && !this.#readyGate)
      return Response.json({ ready: false, failing: this.failingChannels }, { status: 503 });
    if (url.pathname === "/readyz") return new Response(this.#readyGate ? "starting" : "ready", { status: this.#readyGate ? 503 : 200 });
    this.gatewayRequests.push(seen(request));
    if (request.headers.get("upgrade")?.toLowerCase() === "websocket") return this.#socket();
    if (this.#answerGate) {
      this.answerHeld.resolve();
      await this.#answerGate.promise;
    }
    return Response.json({ fakeGateway: true, method: request.method, path: url.pathname, query: url.search, headers: seen(request).headers });
  }

  #socket(): Response {
    const pair = new WebSocketPair();
    const server = pair[1];
    server.binaryType = "arraybuffer";
    server.accept();
    server.send(JSON.stringify({ type: "event", event: "connect.challenge", payload: { nonce: "nonce-1", ts: 1 } }));
    let connected = false;
    server.addEventListener("message", (event) => {
      if (typeof event.data !== "string") {
        server.send(event.data); // binary frames echo as they are
        return;
      }
      this.framesFromClient.push(event.data);
      if (connected) {
        if (event.data === "close-me") server.close(4000, "bye from the gateway");
        else if (event.data === "show-token") server.send(JSON.stringify({ type: "event", event: "debug", payload: { token: this.#token() } }));
        else server.send(JSON.stringify({ type: "event", event: "echo", payload: event.data }));
        return;
      }
      const frame = JSON.parse(event.data) as { id?: string; method?: string; params?: { auth?: { token?: string } } };
      // Like OpenClaw: only the connect request's auth.token counts, never the URL's query.
      const token = frame.params?.auth?.token;
      const error = !token
        ? "unauthorized: gateway token missing (set gateway.remote.token to match gateway.auth.token)"
        : token !== this.#token()
          ? "unauthorized: gateway token mismatch (set gateway.remote.token to match gateway.auth.token)"
          : this.pairingRequired
            ? "pairing required"
            : null;
      if (frame.method !== "connect" || error) {
        server.send(JSON.stringify({ type: "res", id: frame.id, ok: false, error: { code: "UNAUTHORIZED", message: error ?? "first frame must be connect" } }));
        server.close(1008, error ?? "protocol error");
        return;
      }
      connected = true;
      server.send(JSON.stringify({ type: "res", id: frame.id, ok: true, payload: { type: "hello-ok", protocol: 4 } }));
    });
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  // ---- OpenClaw's Telegram webhook listener (port 18791) ---------------------------------

  async #telegram(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (request.method !== "POST" || path !== "/telegram-webhook") return new Response("not found", { status: 404 });
    // Like OpenClaw: the secret it gave setWebhook, or 401.
    if (request.headers.get("x-telegram-bot-api-secret-token") !== this.env.TELEGRAM_WEBHOOK_SECRET) return new Response("unauthorized", { status: 401 });
    this.telegramUpdates.push(await request.text());
    return new Response(null, { status: 200, headers: { "x-openclaw-delivery-accepted": "durable" } });
  }

  // ---- the fake supervisor control API (port 18790) -------------------------------------

  #control(request: Request): Response {
    this.controlRequests.push(seen(request));
    if (request.headers.get("authorization") !== `Bearer ${this.env.OPENCLAW_GATEWAY_TOKEN}`) {
      return Response.json({ error: "missing or wrong bearer token" }, { status: 401 });
    }
    const path = new URL(request.url).pathname;
    const approve = /^\/devices\/([^/]+)\/approve$/.exec(path);
    if (request.method === "GET" && path === "/health") {
      return Response.json({
        status: "running",
        gateway: { ready: !this.#readyGate, failingChannels: this.failingChannels ?? [] },
        phases: { restore: { durationMs: 1200, ok: true }, config: { durationMs: 40, ok: true }, gateway: { durationMs: 9000, ok: true } },
        persistence: { bucket: this.env.R2_BUCKET_NAME, prefix: "" },
        lastRestore: null,
        lastBackup: this.lastBackup,
      });
    }
    if (request.method === "POST" && path === "/backup") {
      this.lastBackup = { ok: true, id: "snap-1", changed: true, reason: "request", at: "2026-11-20T10:00:00.000Z", durationMs: 5 };
      return Response.json(this.lastBackup);
    }
    if (request.method === "GET" && path === "/devices") return Response.json(this.devices);
    if (request.method === "POST" && approve) {
      const id = decodeURIComponent(approve[1]!);
      const device = this.devices.pending.find((d) => d.requestId === id);
      if (!device) return Response.json({ error: `openclaw devices approve ${id} failed with exit code 1` }, { status: 502 });
      this.devices.pending = this.devices.pending.filter((d) => d !== device);
      this.devices.paired.push(device);
      return Response.json({ approved: id, output: "approved" });
    }
    return Response.json({ error: `no route ${path}` }, { status: 404 });
  }
}

function seen(request: Request): SeenRequest {
  return { method: request.method, url: request.url, headers: Object.fromEntries(request.headers) };
}
