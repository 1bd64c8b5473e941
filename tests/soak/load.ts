/**
 * One soak run against a started sandbox (stack/sandbox.ts): a steady, bounded load through the
 * Worker — a chat turn with a tool call every interval, alternating the OpenAI-compatible HTTP
 * endpoint and a fresh WebSocket (every WebSocket turn is a reconnect), a backup through the
 * admin API after each turn — with load-free pauses in which sleepAfter stops the container
 * and a turn wakes it again, checking that every file the tool calls wrote came back.
 *
 * Samples, separately from the load: the Durable Object's state (never wakes or touches the
 * container), the gateway's and the supervisor's RSS and the size of the backed-up state from
 * inside the container (docker exec, /proc), and the supervisor's last backup from its /health
 * on the loopback (host networking), so sampling never counts as activity for sleepAfter.
 */
import { randomBytes } from "node:crypto";
import Docker from "dockerode";
import { CONTROL_PATHS } from "../../contract/control-api.ts";
import { CONTROL_PORT } from "../../contract/ports.ts";
import type { Scenario } from "../../emulators/ai-gateway/index.ts";
import type { StartedSandbox } from "../../stack/sandbox.ts";
import type { SoakFile, SoakSample, SoakTurn, SoakWake } from "../../verify/evidence-files.ts";
import { formatDuration } from "../../verify/soak-trend.ts";
// The tests' WebSocket client of OpenClaw's gateway protocol: the soak speaks it the same way.
import { chatTurn, GatewaySocket } from "../integration/openclaw-ws.ts";
import type { SoakArgs } from "./args.ts";
import { execInContainer } from "../shared/container-exec.ts";

const MINUTE = 60_000;
/** Where the fake model's tool calls write: inside the workspace, so backups carry it. */
const MARKER_DIR = "/home/node/.openclaw/workspace/soak";
/** The backup roots (container/supervisor/env.ts): the state a backup covers. */
const STATE_DIRS = ["/home/node/.openclaw", "/home/node/.config/openclaw"];
/**
 * Left out of the size: the Control UI's files unpacked from the package (~54 MiB, rebuilt after
 * every start), which backups leave out (OPENCLAW_RUNTIME_PATHS in container/supervisor/scan.ts).
 */
const NOT_BACKED_UP = "control-ui-assets";
const TURN_TIMEOUT_MS = 4 * MINUTE;
const BOOT_TIMEOUT_MS = 10 * MINUTE;

/** Thrown into the load when Ctrl-C asks it to stop. */
class Interrupted extends Error {}

export interface SoakRunOptions {
  sandbox: StartedSandbox;
  args: SoakArgs;
  signal: AbortSignal;
  /** Progress lines on the console. */
  log: (line: string) => void;
  /** Called after every sample with the report so far: it is written as the run goes. */
  onProgress: (report: SoakFile) => Promise<void>;
}

/** What the soak reads of the supervisor's /health. */
interface SupervisorHealth {
  gateway: { pid: number | null };
  lastBackup: { at: string; durationMs: number; files?: number; uploaded?: number; ok: boolean } | null;
}

interface DoState {
  status: string;
  starts: number;
  crashes: number;
}

export class SoakRun {
  readonly samples: SoakSample[] = [];
  readonly turns: SoakTurn[] = [];
  readonly wakes: SoakWake[] = [];
  readonly errors: string[] = [];
  #markers: string[] = [];
  #started = 0;
  #lastState: DoState = { status: "unknown", starts: 0, crashes: 0 };
  #docker = new Docker();
  readonly #options: SoakRunOptions;
  #runId = randomBytes(3).toString("hex");

  constructor(options: SoakRunOptions) {
    this.#options = options;
  }

  get #sandbox(): StartedSandbox {
    return this.#options.sandbox;
  }

  #elapsed(): number {
    return Date.now() - this.#started;
  }

  #log(line: string): void {
    this.#options.log(`  [${formatClock(this.#elapsed())}] ${line}`);
  }

  /** A request through the Worker, signed in with a fresh Access token. */
  #api(path: string, init: RequestInit = {}, timeoutMs = TURN_TIMEOUT_MS): Promise<Response> {
    return fetch(`${this.#sandbox.url}${path}`, {
      ...init,
      headers: { "CF-Access-JWT-Assertion": this.#sandbox.access.mint(), ...(init.headers as Record<string, string> | undefined) },
      signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), this.#options.signal]),
      redirect: "manual",
    });
  }

  /** The Durable Object's last known state: never starts, wakes or touches the container. */
  async #state(): Promise<DoState> {
    const state = (await (await this.#api("/api/admin/state", {}, 30_000)).json()) as DoState;
    this.#lastState = state;
    return state;
  }

  /** Boot from cold: a page load starts it (and gets the loading page), then wait for "running". */
  async #boot(): Promise<number> {
    const started = Date.now();
    const page = await this.#api("/", { headers: { accept: "text/html" } });
    await page.body?.cancel();
    await this.#until("the sandbox running", BOOT_TIMEOUT_MS, async () => (await this.#state()).status === "running");
    return Date.now() - started;
  }

  /** Polls `check` every 2 s until it holds; throws Interrupted on Ctrl-C, an Error on timeout. */
  async #until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.#checkInterrupted();
      if (await check().catch(() => false)) return;
      if (Date.now() > deadline) throw new Error(`timed out after ${formatDuration(timeoutMs)} waiting for ${what}`);
      await this.#pause(2000);
    }
  }

  #checkInterrupted(): void {
    if (this.#options.signal.aborted) throw new Interrupted("interrupted");
  }

  /** A pause that Ctrl-C ends at once. */
  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#options.signal.addEventListener("abort", done, { once: true });
    });
  }

  /** The platform's running OpenClaw container, if any. */
  #container(): Docker.Container | null {
    const running = this.#sandbox.platform.containers.states().find((state) => state.status === "running" && state.containerId);
    return running?.containerId ? this.#docker.getContainer(running.containerId) : null;
  }

  async #exec(container: Docker.Container, script: string): Promise<string> {
    return (await execInContainer(container, ["sh", "-c", script], "root")).output;
  }

  /** The marker files the tool calls wrote, as the running container has them. */
  async #markersPresent(): Promise<Set<string>> {
    const container = this.#container();
    if (!container) return new Set();
    const listing = await this.#exec(container, `ls -1 ${MARKER_DIR} 2>/dev/null || true`);
    return new Set(
      listing
        .split("\n")
        .map((line) => line.trim())
        .filter(Boolean),
    );
  }

  /** The supervisor's /health on the loopback (host networking): not through the Worker, so not activity. */
  async #health(): Promise<SupervisorHealth | null> {
    try {
      const response = await fetch(`http://127.0.0.1:${CONTROL_PORT}${CONTROL_PATHS.health}`, {
        headers: { authorization: `Bearer ${this.#sandbox.gatewayToken}` },
        signal: AbortSignal.timeout(15_000),
      });
      return response.ok ? ((await response.json()) as SupervisorHealth) : null;
    } catch {
      return null;
    }
  }

  /** One sample: the DO's state, and from inside a running container the RSS and the state's size. */
  async sample(): Promise<SoakSample> {
    const state = await this.#state().catch(() => this.#lastState);
    const sample: SoakSample = {
      t: this.#elapsed(),
      status: state.status,
      starts: state.starts,
      crashes: state.crashes,
      gatewayRssMiB: null,
      supervisorRssMiB: null,
      stateBytes: null,
      lastBackup: null,
    };
    const container = state.status === "running" ? this.#container() : null;
    const health = container ? await this.#health() : null;
    if (container && health) {
      // tini is PID 1; its child is the supervisor. VmRSS is in KiB.
      const script = [
        `rss() { awk '/^VmRSS:/ { print $2 }' /proc/$1/status 2>/dev/null; }`,
        `sup=$(awk '$4 == 1 { print $1; exit }' /proc/[0-9]*/stat 2>/dev/null)`,
        `echo "$(rss "$sup") $(rss ${health.gateway.pid ?? 0}) $(du -sbc --exclude=${NOT_BACKED_UP} ${STATE_DIRS.join(" ")} 2>/dev/null | tail -1 | cut -f1)"`,
      ].join("\n");
      const [supervisor, gateway, bytes] = (await this.#exec(container, script).catch(() => "")).trim().split(/\s+/).map(Number);
      sample.supervisorRssMiB = supervisor ? round(supervisor / 1024) : null;
      sample.gatewayRssMiB = gateway ? round(gateway / 1024) : null;
      sample.stateBytes = bytes || null;
      const backup = health.lastBackup;
      sample.lastBackup = backup
        ? { at: backup.at, durationMs: backup.durationMs, files: backup.files ?? null, uploaded: backup.uploaded ?? null, ok: backup.ok }
        : null;
    }
    this.samples.push(sample);
    this.#log(
      `sample: ${sample.status} (starts ${sample.starts}, crashes ${sample.crashes})` +
        (sample.gatewayRssMiB !== null ? `, gateway ${sample.gatewayRssMiB} MiB, supervisor ${sample.supervisorRssMiB} MiB` : "") +
        (sample.stateBytes !== null ? `, state ${(sample.stateBytes / 1024 / 1024).toFixed(1)} MiB` : "") +
        (sample.lastBackup
          ? `, last backup ${sample.lastBackup.durationMs} ms (${sample.lastBackup.files ?? "?"} files, ${sample.lastBackup.uploaded ?? "?"} uploaded)`
          : ""),
    );
    return sample;
  }

  /** A tool-call scenario for turn `n`: write marker n, then say so. */
  #scenario(n: number, marker: string): Scenario[] {
    return [
      {
        name: `soak-${n}`,
        match: { provider: "anthropic" },
        turns: [
          { text: "Writing it down.", toolCalls: [{ name: "write", input: { path: `${MARKER_DIR}/${marker}`, content: `soak turn ${n}\n` } }] },
          { text: `Noted ${n}.` },
        ],
      },
    ];
  }

  /** One chat turn through the Worker: HTTP, or a new WebSocket (a reconnect). */
  async turn(transport: SoakTurn["transport"], cold: boolean): Promise<SoakTurn> {
    const n = this.turns.length + 1;
    const marker = `turn-${this.#runId}-${n}.md`;
    this.#sandbox.aiGateway!.load(this.#scenario(n, marker));
    const t = this.#elapsed();
    const started = Date.now();
    const expected = `Noted ${n}.`;
    let record: SoakTurn;
    try {
      const text = transport === "http" ? await this.#httpTurn(n) : await this.#wsTurn(n);
      const ms = Date.now() - started;
      if (!text.includes(expected)) throw new Error(`the reply did not contain "${expected}": ${text.slice(0, 200)}`);
      const toolRan = (await this.#markersPresent()).has(marker);
      if (toolRan) this.#markers.push(marker);
      record = { t, transport, cold, ok: true, ms, toolRan };
    } catch (error) {
      if (error instanceof Interrupted || this.#options.signal.aborted) throw new Interrupted("interrupted");
      const message = error instanceof Error ? error.message : String(error);
      record = { t, transport, cold, ok: false, ms: Date.now() - started, toolRan: false, error: message.slice(0, 300) };
      this.errors.push(`turn ${n} (${transport}): ${message.slice(0, 300)}`);
    }
    this.turns.push(record);
    this.#log(
      `turn ${n} ${transport}${cold ? " (first of this container)" : ""}: ${record.ok ? "ok" : "FAILED"} ${(record.ms / 1000).toFixed(1)} s${record.ok ? (record.toolRan ? ", tool ran" : ", tool did NOT run") : `: ${record.error}`}`,
    );
    // A backup through the Worker's admin API after every turn (the supervisor also backs up changes on its own).
    if (record.ok)
      await this.#api("/api/admin/storage/sync", { method: "POST" }).then(
        (response) => response.body?.cancel(),
        () => undefined,
      );
    return record;
  }

  async #httpTurn(n: number): Promise<string> {
    const response = await this.#api("/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${this.#sandbox.gatewayToken}` },
      body: JSON.stringify({
        model: "openclaw",
        user: `moltlab-soak-${this.#runId}-${n}`,
        messages: [{ role: "user", content: `soak turn ${n}: write it down` }],
      }),
    });
    const body = await response.text();
    if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${body.slice(0, 200)}`);
    return (JSON.parse(body) as { choices?: { message?: { content?: string } }[] }).choices?.[0]?.message?.content ?? "";
  }

  async #wsTurn(n: number): Promise<string> {
    const connect = () =>
      GatewaySocket.connect({
        url: this.#sandbox.url,
        headers: { "CF-Access-JWT-Assertion": this.#sandbox.access.mint() },
        userAgent: "moltlab-soak/0.1.0",
        timeoutMs: 2 * MINUTE,
      });
    const { socket } = await connect().catch(async (error: unknown) => {
      // A device the gateway does not know waits for pairing: the admin API approves it.
      if (!/pair/i.test(String(error))) throw error;
      await (await this.#api("/api/admin/devices/approve-all", { method: "POST" })).body?.cancel();
      return connect();
    });
    try {
      return (
        await raceAbort(chatTurn(socket, `agent:main:moltlab-soak-${this.#runId}-${n}`, `soak turn ${n}: write it down`, TURN_TIMEOUT_MS), this.#options.signal)
      ).text;
    } finally {
      socket.close();
    }
  }

  /** Let sleepAfter stop the container (no requests), then wake it with a turn and check the markers. */
  async sleepAndWake(): Promise<void> {
    const quietFrom = Date.now();
    const expected = [...this.#markers];
    this.#log(`sleep: no requests until sleepAfter (${this.#options.args.sleepAfter}) stops the container`);
    await this.#until("sleepAfter to stop the container", this.#options.args.sleepAfterMs + 5 * MINUTE, async () => (await this.#state()).status === "stopped");
    const sleptAfterMs = Date.now() - quietFrom;
    this.#log(`sleep: stopped ${(sleptAfterMs / 1000).toFixed(0)} s after the last request; waking it`);
    const t = this.#elapsed();
    const wakeStarted = Date.now();
    let bootMs = 0;
    try {
      bootMs = await this.#boot();
    } catch (error) {
      if (error instanceof Interrupted) throw error;
      this.errors.push(`wake: ${error instanceof Error ? error.message : String(error)}`);
    }
    const turn = await this.turn(this.turns.length % 2 ? "ws" : "http", true);
    const present = await this.#markersPresent();
    const found = expected.filter((marker) => present.has(marker)).length;
    const storage = (await (await this.#api("/api/admin/storage", {}, 30_000)).json().catch(() => null)) as { lastRestore?: { source?: string } | null } | null;
    const wake: SoakWake = {
      t,
      sleptAfterMs,
      wakeMs: Date.now() - wakeStarted,
      restored: turn.ok && found === expected.length,
      markersExpected: expected.length,
      markersFound: found,
      restoreSource: storage?.lastRestore?.source ?? null,
    };
    this.wakes.push(wake);
    this.#log(
      `wake: running after ${(bootMs / 1000).toFixed(1)} s, first turn done after ${(wake.wakeMs / 1000).toFixed(1)} s; ${found}/${expected.length} marker files back (restore: ${wake.restoreSource ?? "unknown"})`,
    );
  }

  /** The whole run: boot, then turns at the pace, sleep cycles, samples; ends at the duration or on Ctrl-C. */
  async run(): Promise<string | null> {
    const { args } = this.#options;
    this.#started = Date.now();
    const sampler = this.#sampleLoop();
    let interrupted: string | null = null;
    try {
      this.#log("booting the sandbox through the Worker (a page load starts it)");
      const bootMs = await this.#boot();
      this.#log(`running after ${(bootMs / 1000).toFixed(1)} s`);
      let nextSleep = args.sleepEveryMs;
      let nextTurn = this.#elapsed();
      while (this.#elapsed() < args.durationMs) {
        // A sleep cycle needs sleepAfter plus a cold start: only when that still fits.
        if (this.#elapsed() >= nextSleep && this.#elapsed() + args.sleepAfterMs + 3 * MINUTE < args.durationMs) {
          await this.sleepAndWake();
          nextSleep = this.#elapsed() + args.sleepEveryMs;
          nextTurn = this.#elapsed() + args.intervalMs;
        } else {
          await this.turn(this.turns.length % 2 ? "ws" : "http", this.turns.length === 0);
          nextTurn += args.intervalMs;
        }
        const wait = Math.min(nextTurn, args.durationMs) - this.#elapsed();
        if (wait > 0) await this.#pause(wait);
        this.#checkInterrupted();
      }
    } catch (error) {
      interrupted = error instanceof Interrupted ? "interrupted (Ctrl-C)" : `stopped by an error: ${error instanceof Error ? error.message : String(error)}`;
      if (!(error instanceof Interrupted)) this.errors.push(interrupted);
    }
    this.#stopSampling = true;
    await sampler;
    if (!this.#options.signal.aborted) await this.sample().catch(() => undefined);
    return interrupted;
  }

  #stopSampling = false;

  async #sampleLoop(): Promise<void> {
    while (!this.#stopSampling && !this.#options.signal.aborted) {
      await this.sample().catch((error: unknown) => this.errors.push(`sample: ${error instanceof Error ? error.message : String(error)}`));
      await this.#options.onProgress(this.report(null)).catch(() => undefined);
      const until = Date.now() + this.#options.args.sampleEveryMs;
      while (!this.#stopSampling && !this.#options.signal.aborted && Date.now() < until) await this.#pause(Math.min(1000, until - Date.now()));
    }
  }

  /** The run so far, in reports/soak.json's shape. */
  report(interrupted: string | null): SoakFile {
    const { args, sandbox } = this.#options;
    return {
      generatedAt: new Date().toISOString(),
      source: "npm run soak",
      requestedMs: args.durationMs,
      ranMs: this.#started ? this.#elapsed() : 0,
      interrupted,
      intervalMs: args.intervalMs,
      sleepAfter: args.sleepAfter,
      instanceType: sandbox.instanceType,
      samples: this.samples,
      turns: this.turns,
      wakes: this.wakes,
      starts: this.#lastState.starts,
      crashes: this.#lastState.crashes,
      errors: this.errors,
    };
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** "1:02:03" or "12:03". */
function formatClock(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const two = (value: number) => String(value).padStart(2, "0");
  const hours = Math.floor(seconds / 3600);
  return hours ? `${hours}:${two(Math.floor(seconds / 60) % 60)}:${two(seconds % 60)}` : `${two(Math.floor(seconds / 60))}:${two(seconds % 60)}`;
}

/** Ends the wait for `promise` when `signal` aborts (the promise itself is abandoned). */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Interrupted("interrupted"));
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new Interrupted("interrupted"));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
