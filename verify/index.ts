/**
 * `moltlab verify`: runs every evaluation item of the plan (../shared/reference/phase0.md)
 * and writes reports/verify.{md,json,html}. The items are declared in items/registry.ts (each
 * judged by a small module in items/); the verdict rules are in verdicts.ts; the writers in
 * writers/. Exits 1 when a stop criterion of the plan is hit.
 */
import { existsSync, readFileSync } from "node:fs";
import { relative } from "node:path";
import { machineFacts } from "../core/machine.ts";
import { UserError } from "../core/errors.ts";
import { ROOT } from "../core/host.ts";
import { formatSeconds } from "../core/ui.ts";
import { formatTime } from "./evidence.ts";
import { REPORTS_DIR } from "./evidence-files.ts";
import { parseVerifyArgs, VERIFY_USAGE } from "./options.ts";
import { readMigrationInputs } from "./migration/inputs.ts";
import { readTerraformModule } from "./terraform/read-module.ts";
import { type EvidenceRunner, refreshEvidence } from "./refresh.ts";
import { analyseDockerfile } from "./items/dockerfile-analysis.ts";
import { type Item, ITEMS, judgeItem } from "./items/registry.ts";
import type { ItemResult, VerifyContext, VerifyReport } from "./types.ts";
import { exitCodeFor } from "./verdicts.ts";
import { writeVerifyReports } from "./writers/index.ts";

/** An item whose code failed is not a verdict on the plan: it becomes "unverified" with the error. */
function crashed(item: Item, error: unknown): ItemResult {
  const message = error instanceof Error ? error.message : String(error);
  return {
    id: item.id,
    title: item.title,
    question: "—",
    criterion: "—",
    verdict: "unverified",
    summary: `verify could not judge it: ${message.split("\n")[0]}`,
    evidence: [`The item's check threw: ${message}`],
    wouldChange: ["fix the error above and run verify again"],
    sources: [],
  };
}

/** `runner` re-runs the evidence tests (without --reuse): the CLI's `test` and `bench`. */
export async function verify(args: string[], runner: EvidenceRunner): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(VERIFY_USAGE);
    return 0;
  }
  const options = parseVerifyArgs(args);
  if (!existsSync(options.litellm))
    throw new UserError(
      `the LiteLLM config ${options.litellm} does not exist`,
      "pass your config.yaml with `--litellm PATH`, or leave it out to use verify/samples/litellm.config.yaml",
    );
  if (options.dockerfile && !existsSync(options.dockerfile))
    throw new UserError(`the Dockerfile ${options.dockerfile} does not exist`, "pass the path of your Dockerfile with `--dockerfile PATH`");
  // A Dockerfile that does not parse stops the run here, naming its line: before any test runs or report is written.
  if (options.dockerfile) analyseDockerfile(readFileSync(options.dockerfile, "utf8"), options.dockerfile);

  // The migration item's inputs (--moltworker, --secrets, --openclaw-config): bad input is refused
  // here, before any test runs or any file is written.
  await readMigrationInputs(options);
  // Item 0-8's module: HCL that does not parse stops the run here, naming the file and line.
  if (options.terraform) await readTerraformModule(options.terraform);

  const runStartedAt = new Date();
  const reportsDir = REPORTS_DIR;
  const log = (line: string) => process.stdout.write(`${line}\n`);
  let evidenceMode: string;
  if (options.reuse) {
    evidenceMode = "reused from reports/ (--reuse): no test was re-run; each section says when its evidence was generated";
  } else {
    const outcome = await refreshEvidence(runner, log);
    evidenceMode =
      `re-ran ${outcome.ran.join(", ")} from ${formatTime(runStartedAt.toISOString())}` +
      (outcome.skipped.length ? `; skipped ${outcome.skipped.join("; ")}` : "") +
      (outcome.failures.length ? `; ${outcome.failures.join("; ")}` : "");
  }

  const ctx: VerifyContext = { options, root: ROOT, reportsDir, runStartedAt, progress: (text) => log(`         ${text}`) };
  log(`\nmoltlab verify: judging ${ITEMS.length} items`);
  const items: ItemResult[] = [];
  for (const item of ITEMS) {
    const started = performance.now();
    let result: ItemResult;
    try {
      result = await judgeItem(item, ctx);
    } catch (error) {
      if (error instanceof UserError) throw error;
      result = crashed(item, error);
    }
    items.push(result);
    log(
      `  ${result.verdict.padEnd(19)} ${`${result.id} ${result.title}`.padEnd(32)} ${result.summary.length > 110 ? `${result.summary.slice(0, 109)}…` : result.summary} (${formatSeconds((performance.now() - started) / 1000)})`,
    );
  }

  const stops = items.flatMap((item) => item.stops ?? []);
  const report: VerifyReport = {
    generatedAt: new Date().toISOString(),
    machine: await machineFacts(),
    options,
    evidenceMode,
    items,
    stops,
    exitCode: exitCodeFor(stops),
  };
  const paths = await writeVerifyReports(report, reportsDir);
  log(`\nmoltlab verify: ${stops.length ? `STOP — ${stops.map((stop) => `${stop.criterion} (${stop.detail})`).join("; ")}` : "no stop criterion hit"}`);
  log(`reports: ${paths.map((path) => relative(process.cwd(), path) || path).join(", ")}`);
  return report.exitCode;
}
