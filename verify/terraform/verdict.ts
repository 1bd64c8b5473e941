/**
 * Item 0-8's verdict, from a measured run only. Without one (no tool, or no Cloudflare provider
 * to be had) it is "unverified" whatever the static reading found: names that exist in v5 say
 * nothing about whether an apply works. With one: NG when the module does not validate or plan,
 * or a resource fails to apply; OK with constraints when something drifts, is not supported by
 * the emulator, or is not destroyed; OK when every resource is created and the second plan has no
 * changes.
 */
import type { Verdict } from "../types.ts";
import { resourceOutcomes, type ResourceLine } from "./outputs.ts";
import type { ModuleRun } from "./runner.ts";
import type { StaticFindings } from "./static-check.ts";

export interface TerraformVerdict {
  verdict: Verdict;
  /** Why, in one line (the summary's tail). */
  why: string;
  resources: ResourceLine[];
}

export function terraformVerdict(findings: StaticFindings, run: ModuleRun | null): TerraformVerdict {
  const staticPart = `static reading: ${findings.names.length} types, ${findings.problems} to change`;
  if (!run) return { verdict: "unverified", why: `no OpenTofu or Terraform to run it; ${staticPart}`, resources: [] };
  const failedStep = run.steps.find((step) => !step.ok && step.step !== "plan again");
  if (run.providerMissing)
    return {
      verdict: "unverified",
      why: `${run.tool.kind} found no Cloudflare provider (registry unreachable, no --terraform-provider folder); ${staticPart}`,
      resources: [],
    };
  if (failedStep?.step === "init")
    return { verdict: "unverified", why: `${run.tool.kind} init failed: ${failedStep.tail.split("\n")[0] ?? ""}`, resources: [] };
  if (run.validate && !run.validate.valid)
    return {
      verdict: "NG",
      why: `${run.tool.kind} validate: ${run.validate.diagnostics.filter((entry) => entry.severity === "error").length} errors`,
      resources: [],
    };
  if (!run.firstPlan) return { verdict: "NG", why: `${run.tool.kind} ${failedStep?.step ?? "plan"} failed`, resources: [] };

  const resources = resourceOutcomes(run.firstPlan, run.apply, run.state, run.secondPlan);
  const count = (outcome: ResourceLine["outcome"]) => resources.filter((line) => line.outcome === outcome).length;
  const made = count("created") + count("imported");
  const tally = `${made}/${resources.length} created${count("imported") ? ` (${count("imported")} imported)` : ""}, ${count("drifts")} drift, ${count("not supported by the emulator")} not supported by the emulator, ${count("failed")} failed${count("not applied") ? `, ${count("not applied")} not applied` : ""}`;
  // An apply that stopped at a route the emulator lacks measured nothing about the rest: a constraint of this run, not a failure of the module.
  const gap = count("not supported by the emulator") > 0;
  const stepFailure = failedStep && !["apply", "show state", "destroy"].includes(failedStep.step);
  if (count("failed") || stepFailure || (count("not applied") && !gap))
    return { verdict: "NG", why: `${tally}${failedStep ? `; ${failedStep.step} failed` : ""}`, resources };
  const secondPlanClean = run.secondPlanExit === 0;
  if (count("drifts") || gap || count("not applied") || !secondPlanClean || run.destroyed !== true)
    return {
      verdict: "OK with constraints",
      why: `${tally}; plan again ${secondPlanClean ? "no changes" : "has changes"}; destroy ${run.destroyed ? "done" : "failed"}`,
      resources,
    };
  return { verdict: "OK", why: `${tally}; plan again: no changes; destroyed`, resources };
}
