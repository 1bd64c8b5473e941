/**
 * What has to be undone, as named steps: each part of the stack adds its step as soon as it is
 * up, and `run` undoes them last-added first — on a stop, and on a failed or interrupted start
 * (what had started is stopped, nothing else). Used by `npm run dev` (sandbox.ts) and by the
 * compose services (compose-service.ts).
 */
import { formatError } from "../core/errors.ts";
import { StepFailed, type StepRunner } from "../core/ui.ts";

export interface CleanupStep {
  /** What the step does, as a step line says it: "stop wrangler dev". */
  readonly name: string;
  /** Returns what it did (the step line's detail). */
  readonly run: () => Promise<string | undefined>;
}

/**
 * Where the steps report. A StepRunner prints every step with its outcome (its failures with
 * the error under the step's name); a plain writer (the compose services' log) gets failures
 * only, as "<step> failed: <error>".
 */
export type CleanupReport = StepRunner | ((line: string) => void);

export class Cleanup {
  private readonly steps: CleanupStep[] = [];

  add(name: string, run: () => Promise<string | undefined>): void {
    this.steps.push({ name, run });
  }

  /**
   * Runs every step once, last added first. A failed step does not stop the others; after all
   * have run, the first failure is thrown as a StepFailed (its step's name and error are
   * already printed). A second call runs only the steps added since.
   */
  async run(report: CleanupReport): Promise<void> {
    const failures: StepFailed[] = [];
    for (const step of this.steps.splice(0).reverse()) {
      if (typeof report === "function") {
        await step.run().catch((error: unknown) => {
          report(`${step.name} failed: ${formatError(error)}`);
          failures.push(new StepFailed(step.name, error));
        });
      } else {
        await report
          .step(step.name, async () => ({ status: "done", detail: (await step.run()) ?? "" }))
          .catch((error: unknown) => failures.push(error instanceof StepFailed ? error : new StepFailed(step.name, error)));
      }
    }
    if (failures.length) throw failures[0];
  }
}
