import { formatError } from "./errors.ts";

export type StepStatus = "ok" | "done" | "skip";

/** What a step reports when it finishes: `ok` = already fine, `done` = changed something, `skip` = not applicable. */
export interface StepOutcome {
  status: StepStatus;
  detail: string;
}

export interface StepContext {
  /** A progress line under the step, for long steps. */
  progress(text: string): void;
}

export interface StepRecord extends StepOutcome {
  label: string;
  seconds: number;
}

const HEARTBEAT_MS = 20_000;
const TAGS: Record<StepStatus | "fail", string> = { ok: "[ok]  ", done: "[done]", skip: "[skip]", fail: "[FAIL]" };

export function formatSeconds(seconds: number): string {
  const tenths = seconds.toFixed(1);
  if (Number(tenths) < 60) return `${tenths}s`;
  // Rounded before it is split, so 479.6 s reads 8m0s, never 7m60s.
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)}m${whole % 60}s`;
}

/**
 * Runs named steps one after another and prints each with its outcome and duration.
 * Long steps print a heartbeat so CI logs never go silent for minutes.
 */
export class StepRunner {
  readonly records: StepRecord[] = [];
  private readonly write: (line: string) => void;

  constructor(write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)) {
    this.write = write;
  }

  async step(label: string, body: (context: StepContext) => Promise<StepOutcome>): Promise<StepOutcome> {
    const started = performance.now();
    const elapsed = () => (performance.now() - started) / 1000;
    const heartbeat = setInterval(() => this.write(`         ${label}: still working (${formatSeconds(elapsed())})`), HEARTBEAT_MS);
    const context: StepContext = { progress: (text) => this.write(`         ${label}: ${text}`) };
    try {
      const outcome = await body(context);
      const seconds = elapsed();
      this.records.push({ label, seconds, ...outcome });
      this.write(`  ${TAGS[outcome.status]} ${label} — ${outcome.detail} (${formatSeconds(seconds)})`);
      return outcome;
    } catch (error) {
      this.write(`  ${TAGS.fail} ${label} (${formatSeconds(elapsed())})`);
      for (const line of formatError(error).split("\n")) this.write(`         ${line}`);
      throw new StepFailed(label, error);
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** True when every step found the machine already as it should be. */
  get changedNothing(): boolean {
    return this.records.every((record) => record.status !== "done");
  }
}

/** Thrown after a step's failure was printed, so callers exit without printing it again. */
export class StepFailed extends Error {
  readonly step: string;

  constructor(step: string, cause: unknown) {
    super(`step "${step}" failed`, { cause });
    this.name = "StepFailed";
    this.step = step;
  }
}
