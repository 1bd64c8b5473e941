/**
 * `moltlab verify`: runs every evaluation item of the plan (../shared/reference/phase0.md)
 * and writes reports/verify.{md,json,html}. Each item is a small module in items/; the
 * verdict rules are in verdicts.ts; the writers in writers/. Exits 1 when a stop criterion
 * of the plan is hit.
 */
import { existsSync } from "node:fs";
import { relative } from "node:path";
import { machineFacts } from "../core/machine.ts";
import { UserError } from "../core/errors.ts";
import { ROOT } from "../core/host.ts";
import { formatSeconds } from "../core/ui.ts";
import { formatTime } from "./evidence.ts";
import { REPORTS_DIR } from "./evidence-files.ts";
import { architectureItem } from "./items/architecture.ts";
import { coldStartItem } from "./items/cold-start.ts";
import { costItem } from "./items/cost.ts";
import { dindItem } from "./items/dind.ts";
import { latencyItem } from "./items/latency.ts";
import { litellmItem } from "./items/litellm.ts";
import { persistenceItem } from "./items/persistence.ts";
import { structureItem } from "./items/structure.ts";
import { terraformItem } from "./items/terraform.ts";
import { toolsItem } from "./items/tools.ts";
import { parseVerifyArgs, VERIFY_USAGE } from "./options.ts";
import { type EvidenceRunner, refreshEvidence } from "./refresh.ts";
import type { ItemResult, VerifyContext, VerifyReport } from "./types.ts";
import { exitCodeFor } from "./verdicts.ts";
import { writeVerifyReports } from "./writers/index.ts";

type ItemRunner = { id: string; title: string; run: (ctx: VerifyContext) => ItemResult | Promise<ItemResult> };

/** In the plan's order; cost and latency are its Phase 2 numbers. */
export const ITEMS: readonly ItemRunner[] = [
  { id: "0-1", title: "Structure", run: structureItem },
  { id: "0-2", title: "Custom tools", run: toolsItem },
  { id: "0-3", title: "Docker-in-Docker", run: dindItem },
  { id: "0-4", title: "CPU architecture", run: architectureItem },
  { id: "0-5", title: "LiteLLM → AI Gateway", run: litellmItem },
  { id: "0-6", title: "Persistence through R2", run: persistenceItem },
  { id: "0-7", title: "Cold start → chat", run: coldStartItem },
  { id: "0-8", title: "Terraform", run: () => terraformItem() },
  { id: "cost", title: "Cost", run: costItem },
  { id: "latency", title: "Latency through the Worker", run: latencyItem },
];

/** An item whose code failed is not a verdict on the plan: it becomes "unverified" with the error. */
function crashed(runner: ItemRunner, error: unknown): ItemResult {
  const message = error instanceof Error ? error.message : String(error);
  return {
    id: runner.id, title: runner.title, question: "—", criterion: "—", verdict: "unverified",
    summary: `verify could not judge it: ${message.split("\n")[0]}`,
    evidence: [`The item's check threw: ${message}`], wouldChange: ["fix the error above and run verify again"], sources: [],
  };
}

/** `runner` re-runs the evidence tests (without --reuse): the CLI's `test` and `bench`. */
export async function verify(args: string[], runner: EvidenceRunner): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(VERIFY_USAGE);
    return 0;
  }
  const options = parseVerifyArgs(args);
  if (!existsSync(options.litellm)) throw new UserError(`the LiteLLM config ${options.litellm} does not exist`, "pass your config.yaml with `--litellm PATH`, or leave it out to use verify/samples/litellm.config.yaml");
  if (options.dockerfile && !existsSync(options.dockerfile)) throw new UserError(`the Dockerfile ${options.dockerfile} does not exist`, "pass the path of your Dockerfile with `--dockerfile PATH`");

  const runStartedAt = new Date();
  const reportsDir = REPORTS_DIR;
  const log = (line: string) => process.stdout.write(`${line}\n`);
  let evidenceMode: string;
  if (options.reuse) {
    evidenceMode = "reused from reports/ (--reuse): no test was re-run; each section says when its evidence was generated";
  } else {
    const outcome = await refreshEvidence(runner, log);
    evidenceMode = `re-ran ${outcome.ran.join(", ")} from ${formatTime(runStartedAt.toISOString())}` +
      (outcome.skipped.length ? `; skipped ${outcome.skipped.join("; ")}` : "") +
      (outcome.failures.length ? `; ${outcome.failures.join("; ")}` : "");
  }

  const ctx: VerifyContext = { options, root: ROOT, reportsDir, runStartedAt, progress: (text) => log(`         ${text}`) };
  log(`\nmoltlab verify: judging ${ITEMS.length} items`);
  const items: ItemResult[] = [];
  for (const runner of ITEMS) {
    const started = performance.now();
    let result: ItemResult;
    try {
      result = await runner.run(ctx);
    } catch (error) {
      if (error instanceof UserError) throw error;
      result = crashed(runner, error);
    }
    items.push(result);
    log(`  ${result.verdict.padEnd(19)} ${`${result.id} ${result.title}`.padEnd(32)} ${result.summary.length > 110 ? `${result.summary.slice(0, 109)}…` : result.summary} (${formatSeconds((performance.now() - started) / 1000)})`);
  }

  const stops = items.flatMap((item) => item.stops ?? []);
  const report: VerifyReport = { generatedAt: new Date().toISOString(), machine: await machineFacts(), options, evidenceMode, items, stops, exitCode: exitCodeFor(stops) };
  const paths = await writeVerifyReports(report, reportsDir);
  log(`\nmoltlab verify: ${stops.length ? `STOP — ${stops.map((stop) => `${stop.criterion} (${stop.detail})`).join("; ")}` : "no stop criterion hit"}`);
  log(`reports: ${paths.map((path) => relative(process.cwd(), path) || path).join(", ")}`);
  return report.exitCode;
}
