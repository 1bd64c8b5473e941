/** The Sandbox DO's lifecycle settings, parsed once from the Worker's environment. */
import type { Env } from "../types.ts";
import { STOP_TIMEOUT_MS } from "../../../contract/lifecycle.ts";

/** The one Durable Object (and so the one container): moltworker's name for it. */
export const SANDBOX_NAME = "moltbot";

export interface SandboxSettings {
  /** null: keep alive forever (moltworker's `never`, the default). */
  sleepAfterMs: number | null;
  /** Bound on SIGTERM → exit (the supervisor's final backup), then SIGKILL. */
  stopTimeoutMs: number;
  /** How long a non-HTML request waits for a cold container before a 503. */
  readyTimeoutMs: number;
  /** Pause between readiness probes while the gateway boots. */
  readyPollMs: number;
  /** After a Cron Trigger wakes the container: kept awake at least this long, so OpenClaw's missed jobs run (it starts them ~2 min after boot). */
  scheduleAwakeMs: number;
}

/**
 * OpenClaw runs missed agent-turn jobs and heartbeats about 120 s after its start, 5 s apart: room for a
 * cold start, that delay and a turn. An agent turn due while asleep ran up to 260 s after the trigger on a
 * busy 2-core machine (tests/integration/openclaw-jobs.test.ts, and before it the channels file), too close
 * to the 5 minutes this once was.
 */
const DEFAULT_SCHEDULE_AWAKE_MS = 10 * 60_000;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * `never` → null; `30s`, `10m`, `1h`, `500ms`; a bare number means seconds (as the
 * containers library's sleepAfter). Anything else → undefined (the config check reports it).
 */
export function parseSleepAfter(raw: string | undefined): number | null | undefined {
  const text = raw?.trim().toLowerCase() ?? "";
  if (text === "" || text === "never") return null;
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text);
  if (!match) return undefined;
  const ms = Number(match[1]) * UNIT_MS[match[2] ?? "s"]!;
  return ms > 0 ? ms : undefined;
}

export function sandboxSettings(env: Env): SandboxSettings {
  const stopSeconds = Number(env.MOLTLAB_STOP_TIMEOUT ?? "");
  return {
    // An invalid value never reaches here: the required-config check answers 503 first.
    sleepAfterMs: parseSleepAfter(env.SANDBOX_SLEEP_AFTER) ?? null,
    // The supervisor gives the gateway 30 s, then backs up; 60 s covers both.
    stopTimeoutMs: Number.isFinite(stopSeconds) && stopSeconds > 0 ? stopSeconds * 1000 : STOP_TIMEOUT_MS,
    // Cold starts take 1–2 minutes on Cloudflare.
    readyTimeoutMs: 180_000,
    readyPollMs: 1000,
    scheduleAwakeMs: parseSleepAfter(env.SANDBOX_SCHEDULE_AWAKE) ?? DEFAULT_SCHEDULE_AWAKE_MS,
  };
}
