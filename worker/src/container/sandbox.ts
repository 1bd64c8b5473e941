/**
 * The Durable Object that owns the one OpenClaw container (moltworker's `Sandbox`, same
 * class and binding name so an existing deployment's migration and state carry over).
 *
 * - Start on first request; concurrent first requests share one start.
 * - Warm requests go straight to the gateway: "ready" is cached in memory, no control calls.
 * - An exit nobody asked for is a crash: counted, and the next request starts it again.
 * - SANDBOX_SLEEP_AFTER: `never` keeps it alive; a duration stops it after that much
 *   inactivity (no request in progress or answered since, no frame, no open WebSocket), checked
 *   with DO alarms. A request counts until its response starts: one held through a cold start or a
 *   slow answer is never cut, and the idle time starts when it is answered.
 * - Stop is graceful: SIGTERM, wait (bounded) for the supervisor's final R2 backup, then SIGKILL.
 * - `status()` reports the last known state and never touches the container.
 */
import { DurableObject } from "cloudflare:workers";
import type { BootPhases, ControlResult, Env, SandboxRpc, SandboxState, SandboxStatus, SandboxStatusReport } from "../types.ts";
import { isWebSocketUpgrade, wantsHtml } from "../http.ts";
import { CloudflareContainerDriver } from "./cloudflare-driver.ts";
import { containerEnv } from "./container-env.ts";
import { CONTAINER_ORIGIN, type ContainerDriver, type ExitInfo } from "./driver.ts";
import type { NetworkMode, Platform } from "../../../platform/client/types.ts";
import { PlatformDriver } from "./platform-driver.ts";
import { sandboxSettings, type SandboxSettings } from "./settings.ts";
import { relayWebSocket } from "./ws-relay.ts";
import { GATEWAY_PORT, CONTROL_PORT } from "../../../contract/ports.ts";
import { OPENCLAW_VERSION, openclawImage } from "../../../contract/openclaw.ts";
import type { InstanceType } from "../../../contract/instance-types.ts";
import { CONTROL_PATHS } from "../../../contract/control-api.ts";
import { OPENCLAW_TELEGRAM_PATH, TELEGRAM_SECRET_HEADER, TELEGRAM_WEBHOOK_PORT } from "../../../contract/telegram.ts";
import { parseWebServices, WEB_SERVICES_VAR, webServicePorts } from "../../../contract/web-services.ts";

/** Set by the DO on a cold HTML request; the Worker answers with the loading page instead. */
export const COLD_HEADER = "x-moltlab-sandbox";

const STATE_KEY = "state";

function initialState(): SandboxState {
  return {
    status: "stopped",
    starts: 0,
    crashes: 0,
    startedAt: null,
    readyAt: null,
    bootMs: null,
    phases: null,
    lastExit: null,
    lastStop: null,
    lastWake: null,
    lastError: null,
  };
}

/** A browser navigating: it can be given the loading page instead of waiting for the boot. */
function isPageLoad(request: Request): boolean {
  return request.method === "GET" && wantsHtml(request) && !isWebSocketUpgrade(request);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** How long an update waits for OpenClaw's Telegram listener once the gateway is ready. */
const TELEGRAM_LISTENER_WAIT_MS = 30_000;

export class Sandbox extends DurableObject<Env> implements SandboxRpc {
  protected settings: SandboxSettings;
  #state: SandboxState = initialState();
  #driver: ContainerDriver | null | undefined;
  /** Cached "the gateway answers": the warm path's only check. */
  #ready = false;
  #booting: Promise<void> | null = null;
  #stopping: Promise<SandboxState> | null = null;
  #lastActivity: number;
  #sockets = 0;
  /** Requests being served (until their response starts): activity in themselves, like open WebSockets. */
  #inFlight = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.settings = sandboxSettings(env);
    this.#lastActivity = Date.now();
    void ctx.blockConcurrencyWhile(async () => {
      this.#state = { ...initialState(), ...(await ctx.storage.get<SandboxState>(STATE_KEY)) };
      // A recorded "running" from before an eviction is only a claim; the next request re-probes.
      if (this.#state.status === "starting" || this.#state.status === "stopping") this.#state.status = "stopped";
    });
  }

  /** Which container runtime this DO uses. Tests override it with a fake `ctx.container`. */
  protected createDriver(): ContainerDriver | null {
    if (this.ctx.container) return new CloudflareContainerDriver(this.ctx.container);
    if (this.env.MOLTLAB_CONTAINERS_URL) {
      return new PlatformDriver({
        baseUrl: this.env.MOLTLAB_CONTAINERS_URL,
        token: this.env.MOLTLAB_PLATFORM_TOKEN,
        name: `moltlab-sandbox-${this.ctx.id.toString().slice(0, 16)}`,
        image: this.env.MOLTLAB_CONTAINER_IMAGE ?? openclawImage(OPENCLAW_VERSION, "amd64"),
        // Unchecked here: the platform validates all three and answers with the accepted values.
        ...(this.env.MOLTLAB_CONTAINER_PLATFORM ? { platform: this.env.MOLTLAB_CONTAINER_PLATFORM as Platform } : {}),
        ...(this.env.MOLTLAB_CONTAINERS_NETWORK ? { network: this.env.MOLTLAB_CONTAINERS_NETWORK as NetworkMode } : {}),
        ...(this.env.MOLTLAB_INSTANCE_TYPE ? { instanceType: this.env.MOLTLAB_INSTANCE_TYPE as InstanceType } : {}),
        // OpenClaw's Telegram listener exists only in webhook mode (the supervisor configures it then).
        ports: [
          GATEWAY_PORT,
          CONTROL_PORT,
          ...(this.env.TELEGRAM_BOT_TOKEN && this.env.TELEGRAM_WEBHOOK_SECRET ? [TELEGRAM_WEBHOOK_PORT] : []),
          // The Worker refuses requests while the setting is invalid (middleware/config.ts), so none are opened then.
          ...webServicePorts(this.env.SANDBOX_WEB_SERVICES),
        ],
      });
    }
    return null;
  }

  /** The clock for inactivity; tests replace it to step over sleepAfter without waiting. */
  protected now(): number {
    return Date.now();
  }

  get #containers(): ContainerDriver {
    if (this.#driver === undefined) {
      this.#driver = this.createDriver();
      this.#driver?.onExit((exit) => this.#exited(exit));
    }
    if (!this.#driver) {
      throw new Error("no container runtime: deploy with the `containers` section, or set MOLTLAB_CONTAINERS_URL to moltlab's local Containers platform");
    }
    return this.#driver;
  }

  // ---- requests -------------------------------------------------------------------------

  override fetch(request: Request): Promise<Response> {
    return this.#serving(() => this.#serve(request));
  }

  async #serve(request: Request): Promise<Response> {
    if (!this.#ready) {
      const instead = await this.#bootFor(request, "starting", (error) =>
        Response.json(
          { error: "The OpenClaw container is not ready", detail: describe(error), status: this.#state.status },
          { status: 503, headers: { "retry-after": "10" } },
        ),
      );
      if (instead) return instead;
    }
    try {
      return await this.#proxy(request);
    } catch (error) {
      // Nothing listens: the container may have died since the last request.
      this.#ready = false;
      this.#state.lastError = `proxy failed: ${describe(error)}`;
      const state = await this.#containers.state().catch(() => null);
      if (state?.status === "running") return Response.json({ error: "The gateway did not answer", detail: describe(error) }, { status: 502 });
      const instead = await this.#bootFor(request, "restarting", (restartError) =>
        Response.json({ error: "The OpenClaw container stopped and did not come back", detail: describe(restartError) }, { status: 503 }),
      );
      return instead ?? this.#proxy(request);
    }
  }

  /**
   * Boots the container for a request. A browser's page load gets the loading page at once
   * (503 with COLD_HEADER: `phase`) and the boot continues without it; anything else waits for
   * the boot, and gets `failed` if it fails. Null: booted, the request can go through.
   */
  async #bootFor(request: Request, phase: "starting" | "restarting", failed: (error: unknown) => Response): Promise<Response | null> {
    if (isPageLoad(request)) {
      this.#boot().catch(() => undefined);
      return new Response(null, { status: 503, headers: { [COLD_HEADER]: phase } });
    }
    try {
      await this.#boot();
      return null;
    } catch (error) {
      return failed(error);
    }
  }

  #proxy(request: Request): Promise<Response> {
    const gateway = this.#containers.port(GATEWAY_PORT);
    if (!isWebSocketUpgrade(request)) return gateway.fetch(request);
    return relayWebSocket(request, gateway, this.env.MOLTBOT_GATEWAY_TOKEN ?? "", {
      activity: () => this.#touch(),
      opened: () => {
        this.#sockets++;
      },
      closed: () => {
        this.#sockets--;
        this.#touch();
      },
    });
  }

  /**
   * A Telegram update for OpenClaw's webhook listener: wakes the container like any request
   * (it counts as activity), then answers with OpenClaw's status. OpenClaw starts the listener
   * a few seconds after its gateway is ready, so a refused connection is tried again for up to
   * TELEGRAM_LISTENER_WAIT_MS; past that, or when the boot fails, the answer is 503 and Telegram
   * keeps the update and sends it again later.
   */
  telegramUpdate(body: string): Promise<{ status: number; body: string; contentType?: string }> {
    return this.#serving(() => this.#deliverTelegramUpdate(body));
  }

  async #deliverTelegramUpdate(body: string): Promise<{ status: number; body: string; contentType?: string }> {
    const unavailable = (error: string) => ({ status: 503, body: JSON.stringify({ error }) });
    if (!this.#ready) {
      try {
        await this.#boot();
      } catch (error) {
        return unavailable(`the OpenClaw container did not start: ${describe(error)}`);
      }
    }
    const deadline = this.now() + TELEGRAM_LISTENER_WAIT_MS;
    for (;;) {
      try {
        const response = await this.#containers.port(TELEGRAM_WEBHOOK_PORT).fetch(
          new Request(`${CONTAINER_ORIGIN}${OPENCLAW_TELEGRAM_PATH}`, {
            method: "POST",
            headers: { "content-type": "application/json", [TELEGRAM_SECRET_HEADER]: this.env.TELEGRAM_WEBHOOK_SECRET ?? "" },
            body,
          }),
        );
        const contentType = response.headers.get("content-type");
        return { status: response.status, body: await response.text(), ...(contentType ? { contentType } : {}) };
      } catch (error) {
        if (this.now() >= deadline) return unavailable(`OpenClaw's Telegram listener did not answer: ${describe(error)}`);
        await pause(this.settings.readyPollMs);
      }
    }
  }

  /**
   * A request for one of the user's web services (SANDBOX_WEB_SERVICES), already past Access:
   * starts the container if needed (it counts as activity) and hands the request to the port.
   * A service that does not listen answers 502 naming the port: the kit starts OpenClaw, not it.
   */
  webService(port: number, request: Request): Promise<Response> {
    return this.#serving(() => this.#serveWebService(port, request));
  }

  async #serveWebService(port: number, request: Request): Promise<Response> {
    if (!parseWebServices(this.env.SANDBOX_WEB_SERVICES).some((service) => service.port === port)) {
      return Response.json({ error: `port ${port} is not one of ${WEB_SERVICES_VAR}'s` }, { status: 404 });
    }
    if (!this.#ready) {
      try {
        await this.#boot();
      } catch (error) {
        return Response.json({ error: "The OpenClaw container is not ready", detail: describe(error) }, { status: 503, headers: { "retry-after": "10" } });
      }
    }
    try {
      return await this.#containers.port(port).fetch(request);
    } catch (error) {
      return Response.json(
        {
          error: `nothing answered on port ${port} in the container: ${describe(error)}`,
          fix: `start your service on port ${port} in the image (it is yours, not OpenClaw's), or change ${WEB_SERVICES_VAR}`,
        },
        { status: 502 },
      );
    }
  }

  /** Calls the supervisor's control API (port 18790) with the gateway token. */
  control(method: "GET" | "POST", path: string, options: { wake: boolean }): Promise<ControlResult> {
    return this.#serving(() => this.#askControl(method, path, options));
  }

  async #askControl(method: "GET" | "POST", path: string, options: { wake: boolean }): Promise<ControlResult> {
    if (!this.#ready) {
      if (!options.wake) return { status: 409, json: JSON.stringify({ error: "The container is not running; nothing to ask.", status: this.#state.status }) };
      try {
        await this.#boot();
      } catch (error) {
        return { status: 503, json: JSON.stringify({ error: "The OpenClaw container is not ready", detail: describe(error) }) };
      }
    }
    const response = await this.#callControl(method, path);
    const text = await response.text();
    try {
      JSON.parse(text);
      return { status: response.status, json: text };
    } catch {
      return { status: 502, json: JSON.stringify({ error: `the control endpoint answered ${response.status} with something that is not JSON` }) };
    }
  }

  /** Last known state; never starts, probes or wakes the container. */
  async status(): Promise<SandboxStatusReport> {
    return {
      ...this.#state,
      sleepAfterMs: this.settings.sleepAfterMs,
      lastActivityAt: this.#lastActivity,
      openWebSockets: this.#sockets,
      driver: this.#driver === undefined ? "not yet used" : (this.#driver?.constructor.name ?? "none"),
    };
  }

  /**
   * A Cron Trigger fired: OpenClaw's scheduler lives in the container, so a sleeping container
   * runs nothing. Start it (OpenClaw catches up on jobs that came due meanwhile, ~2 min after its
   * start) and keep it up at least scheduleAwakeMs, even without requests. The start happens in
   * this object's alarm, not here: the scheduled event that asks may end (and take its pending
   * work with it) long before a cold start does. The window is stored, so an eviction keeps it.
   */
  async wakeForSchedule(cron: string): Promise<SandboxState> {
    const until = Math.max(this.#awakeUntil(), this.now() + this.settings.scheduleAwakeMs);
    this.#state.lastWake = { reason: `cron ${cron}`, at: this.now(), until };
    await this.#save();
    await this.ctx.storage.setAlarm(this.now());
    return this.#state;
  }

  /** Until when a Cron Trigger's wake holds the container up, whatever the activity (epoch ms; 0: none). */
  #awakeUntil(): number {
    return this.#state.lastWake?.until ?? 0;
  }

  /** Restart = graceful stop (final backup) + a fresh start in the background. */
  async restart(): Promise<SandboxState> {
    await this.stop("restart");
    // A boot in flight (a Cron Trigger's wake, a first request) ends with that stop. Let it settle
    // first: #boot() would otherwise hand back that failing boot, and the restart would start nothing.
    await this.#booting?.catch(() => undefined);
    this.#boot().catch(() => undefined);
    return this.#state;
  }

  async stop(reason = "requested"): Promise<SandboxState> {
    this.#stopping ??= this.#stop(reason).finally(() => {
      this.#stopping = null;
    });
    return this.#stopping;
  }

  override async alarm(): Promise<void> {
    // A Cron Trigger's wake (wakeForSchedule): start the container in this event of its own.
    if (this.#awakeUntil() > this.now() && !this.#ready) {
      try {
        await this.#boot();
      } catch (error) {
        // A stop or restart asked for meanwhile is not the wake failing.
        if (this.#state.status !== "stopped" && this.#state.status !== "stopping") {
          this.#state.lastError = `wake for ${this.#state.lastWake?.reason ?? "a Cron Trigger"} failed: ${describe(error)}`;
          await this.#save();
        }
      }
      await this.#scheduleSleepCheck();
      return;
    }
    const sleepAfter = this.settings.sleepAfterMs;
    if (sleepAfter === null || this.#state.status !== "running") return;
    const lastActivity = this.#countedActivity(sleepAfter);
    const idle = this.now() - lastActivity;
    const busy = this.#sockets > 0 || this.#inFlight > 0;
    if (!busy && idle >= sleepAfter) {
      await this.stop("sleepAfter");
      return;
    }
    // An open WebSocket or a request being served is activity in itself: look again a full period from now.
    const from = busy ? this.now() : lastActivity;
    await this.ctx.storage.setAlarm(from + sleepAfter);
  }

  /** The last activity sleepAfter counts from: a Cron Trigger's wake counts as activity until its window ends. */
  #countedActivity(sleepAfter: number): number {
    return Math.max(this.#lastActivity, this.#awakeUntil() - sleepAfter);
  }

  /** The next inactivity check, when sleepAfter is set (also after a wake that needed no request). */
  async #scheduleSleepCheck(): Promise<void> {
    const sleepAfter = this.settings.sleepAfterMs;
    if (sleepAfter === null) return;
    const due = this.#countedActivity(sleepAfter) + sleepAfter;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current < due) await this.ctx.storage.setAlarm(due);
  }

  // ---- lifecycle ------------------------------------------------------------------------

  #touch(): void {
    this.#lastActivity = this.now();
  }

  /** Serves one request: activity from its arrival until its response starts, and the idle time counts from then. */
  async #serving<T>(serve: () => Promise<T>): Promise<T> {
    this.#touch();
    this.#inFlight++;
    try {
      return await serve();
    } finally {
      this.#inFlight--;
      this.#touch();
    }
  }

  /** Start (if needed) and wait until the gateway answers. One boot at a time. */
  #boot(): Promise<void> {
    this.#booting ??= this.#startAndWait().finally(() => {
      this.#booting = null;
    });
    return this.#booting;
  }

  async #startAndWait(): Promise<void> {
    if (this.#stopping) await this.#stopping;
    const driver = this.#containers;
    const current = await driver.state();
    if (current.status !== "running") {
      this.#state = {
        ...this.#state,
        status: "starting",
        starts: this.#state.starts + 1,
        startedAt: this.now(),
        readyAt: null,
        bootMs: null,
        phases: null,
        lastError: null,
      };
      await this.#save();
      try {
        await driver.start({ env: containerEnv(this.env), enableInternet: true });
      } catch (error) {
        await this.#fail(`start failed: ${describe(error)}`, "stopped");
        throw error;
      }
    } else if (this.#state.status !== "running") {
      this.#state.status = "starting";
    }
    await this.#waitReady(driver);
    const readyAt = this.now();
    this.#ready = true;
    this.#state = {
      ...this.#state,
      status: "running",
      readyAt,
      bootMs: this.#state.startedAt === null ? null : readyAt - this.#state.startedAt,
      lastError: null,
    };
    await this.#save();
    if (this.settings.sleepAfterMs !== null) await this.ctx.storage.setAlarm(this.now() + this.settings.sleepAfterMs);
    // The boot breakdown for the admin page: one control call per boot, off the request path.
    this.ctx.waitUntil(this.#recordPhases());
  }

  async #waitReady(driver: ContainerDriver): Promise<void> {
    const deadline = Date.now() + this.settings.readyTimeoutMs;
    for (;;) {
      try {
        const response = await driver.port(GATEWAY_PORT).fetch(new Request(`${CONTAINER_ORIGIN}/readyz`));
        await response.body?.cancel();
        if (response.ok) return;
        // OpenClaw's /readyz also answers 503 for as long as a configured chat channel fails (a revoked
        // token): the gateway serves, and its Control UI is where the token gets fixed. The supervisor,
        // which wrote the config, tells the two apart (container/supervisor/gateway-process.ts readiness()).
        if (response.status === 503 && (await this.#supervisorSaysReady())) return;
      } catch {
        // Not listening yet: the supervisor restores from R2 before the gateway starts.
      }
      const state = await driver.state();
      if (state.status !== "running") {
        const exit = state.status === "exited" ? ` (exit code ${state.exit.code ?? "unknown"})` : "";
        const message = `the container stopped while booting${exit}`;
        this.#state.lastError = message;
        throw new Error(message);
      }
      if (Date.now() >= deadline) {
        const message = `the gateway did not become ready within ${Math.round(this.settings.readyTimeoutMs / 1000)} s`;
        this.#state.lastError = message;
        throw new Error(message);
      }
      await pause(this.settings.readyPollMs);
    }
  }

  /** The supervisor's verdict on the gateway (its /health `gateway.ready`); false when it cannot say. */
  async #supervisorSaysReady(): Promise<boolean> {
    try {
      const response = await this.#callControl("GET", CONTROL_PATHS.health);
      if (!response.ok) {
        await response.body?.cancel();
        return false;
      }
      const health = (await response.json()) as { gateway?: { ready?: unknown } };
      return health.gateway?.ready === true;
    } catch {
      return false;
    }
  }

  async #recordPhases(): Promise<void> {
    try {
      const response = await this.#callControl("GET", CONTROL_PATHS.health);
      if (!response.ok) return;
      const health = (await response.json()) as { phases?: BootPhases };
      if (health.phases) {
        this.#state.phases = health.phases;
        await this.#save();
      }
    } catch {
      // Best effort: the admin page shows "unknown" phases.
    }
  }

  #callControl(method: string, path: string): Promise<Response> {
    const driver = this.#containers;
    return driver
      .port(CONTROL_PORT)
      .fetch(new Request(`${CONTAINER_ORIGIN}${path}`, { method, headers: { authorization: `Bearer ${this.env.MOLTBOT_GATEWAY_TOKEN ?? ""}` } }));
  }

  async #stop(reason: string): Promise<SandboxState> {
    const driver = this.#containers;
    if ((await driver.state()).status !== "running") {
      this.#ready = false;
      return this.#state;
    }
    this.#ready = false;
    this.#state.status = "stopping";
    await this.#save();
    const outcome = await driver.stop({ signal: "SIGTERM", timeoutMs: this.settings.stopTimeoutMs });
    this.#state = { ...this.#state, status: "stopped", lastStop: { reason, graceful: outcome.graceful, at: this.now() } };
    if (outcome.exit) this.#state.lastExit = { ...outcome.exit, expected: true };
    await this.#save();
    await this.ctx.storage.deleteAlarm();
    return this.#state;
  }

  /** From the driver: the container's main process ended. */
  #exited(exit: ExitInfo): void {
    this.#ready = false;
    if (this.#state.status === "stopping") return; // #stop records it
    const crashed = this.#state.status === "running" || this.#state.status === "starting";
    this.#state = {
      ...this.#state,
      status: crashed ? "crashed" : "stopped",
      crashes: this.#state.crashes + (crashed ? 1 : 0),
      lastExit: { ...exit, expected: !crashed },
    };
    this.ctx.waitUntil(this.#save());
  }

  async #fail(message: string, status: SandboxStatus): Promise<void> {
    this.#state = { ...this.#state, status, lastError: message };
    await this.#save();
  }

  #save(): Promise<void> {
    return this.ctx.storage.put(STATE_KEY, this.#state);
  }
}
