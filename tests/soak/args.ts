/**
 * `moltlab soak` options: how long, how fast, and how soon the sandbox sleeps. The pace scales
 * with the duration when not given, so a 10-minute run still has several turns and a sleep
 * cycle, and a 24-hour run stays a light, steady load (a turn every few minutes).
 */
import { parseCommandArgs, type OptionSpec } from "../../core/args.ts";
import { UserError } from "../../core/errors.ts";

export const SOAK_USAGE = "usage: moltlab soak [--duration 1h] [--interval 90s] [--sleep-after 1m] [--sleep-every 20m]  (durations: 500ms, 30s, 10m, 1h, 24h)";

export interface SoakArgs {
  durationMs: number;
  /** Between the starts of two chat turns. */
  intervalMs: number;
  /** The Worker's SANDBOX_SLEEP_AFTER for the run, as the Worker reads it. */
  sleepAfter: string;
  sleepAfterMs: number;
  /** Load-free pauses long enough for sleepAfter to stop the container, then a wake: one every this much. */
  sleepEveryMs: number;
  /** Between two samples of memory, backups and state. */
  sampleEveryMs: number;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const MINUTE = 60_000;
const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));

/** `30s`, `10m`, `1h`, `1.5h`, `500ms` → ms; a unit is required (a bare 10 could be minutes or seconds). */
export function parseDuration(option: string, raw: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/.exec(raw.trim().toLowerCase());
  const ms = match ? Number(match[1]) * UNIT_MS[match[2]!]! : NaN;
  if (!Number.isFinite(ms) || ms <= 0)
    throw new UserError(`${option} ${raw || "(missing)"} is not a duration`, `give a number and a unit, e.g. \`${option} 10m\`, \`1h\` or \`30s\``);
  return ms;
}

const SOAK_OPTIONS = {
  duration: { type: "string", parse: (raw: string) => parseDuration("--duration", raw) },
  interval: { type: "string", parse: (raw: string) => parseDuration("--interval", raw) },
  "sleep-after": { type: "string", parse: (raw: string) => ({ raw: raw.trim().toLowerCase(), ms: parseDuration("--sleep-after", raw) }) },
  "sleep-every": { type: "string", parse: (raw: string) => parseDuration("--sleep-every", raw) },
} satisfies Record<string, OptionSpec<unknown>>;

export function parseSoakArgs(args: readonly string[]): SoakArgs {
  const { values } = parseCommandArgs(args, SOAK_OPTIONS, { usage: SOAK_USAGE, optionJudgesValue: true });
  const durationMs = values.duration ?? 60 * MINUTE;
  // A tenth of the run, between 30 s and 3 min: 10 min → a turn a minute; 1 h and longer → every 3 min.
  const intervalMs = values.interval ?? clamp(durationMs / 10, 30_000, 3 * MINUTE);
  const sleepAfter = values["sleep-after"] ?? { raw: "1m", ms: MINUTE };
  // A third of the run, between 4 min and 1 h: a 10-minute run sleeps once, 24 h sleeps 24 times.
  const sleepEveryMs = values["sleep-every"] ?? clamp(durationMs / 3, 4 * MINUTE, 60 * MINUTE);
  if (intervalMs >= durationMs)
    throw new UserError(`--interval is not shorter than --duration`, "give a shorter --interval (or leave it out: it scales with the duration)");
  return {
    durationMs,
    intervalMs,
    sleepAfter: sleepAfter.raw,
    sleepAfterMs: sleepAfter.ms,
    sleepEveryMs,
    sampleEveryMs: clamp(intervalMs / 3, 10_000, MINUTE),
  };
}
