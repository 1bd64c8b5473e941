/**
 * The measured part of item 0-8: the module applied to the Cloudflare API emulator, and the
 * runner's own check on a provider-free module (probe/main.tf, terraform_data only), which shows
 * the tool and the orchestration work even where the Cloudflare provider cannot be had.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCloudflareApi, type StartedCloudflareApi } from "../../emulators/cloudflare-api/index.ts";
import { addressType } from "./static-check.ts";
import type { TerraformModuleReading } from "./read-module.ts";
import { type ModuleRun, overrideFile, prepareWorkDir, runEnvironment, runModule } from "./runner.ts";
import type { TerraformTool } from "./tool.ts";

export const PROBE_MODULE = join(import.meta.dirname, "probe");

/** Variables a moltworker module commonly declares, answered with the emulator's account. */
function emulatorVariables(reading: TerraformModuleReading, api: StartedCloudflareApi): Record<string, string> {
  const values: Record<string, string> = {
    account_id: api.accountId,
    cloudflare_account_id: api.accountId,
    zone_id: api.zoneId,
    cloudflare_zone_id: api.zoneId,
    cloudflare_api_token: api.token,
    api_token: api.token,
  };
  return Object.fromEntries(reading.variables.filter((name) => name in values).map((name) => [`TF_VAR_${name}`, values[name] as string]));
}

/**
 * An import block needs its object to exist: R2 buckets named in one (`<account>/<name>[/<jurisdiction>]`)
 * are made in the emulator first, as they exist in the real account. Returns what was made.
 */
async function seedImports(reading: TerraformModuleReading, api: StartedCloudflareApi): Promise<string[]> {
  const made: string[] = [];
  for (const block of reading.imports) {
    if (addressType(block.to) !== "cloudflare_r2_bucket") continue;
    const name = block.id.split("/")[1];
    if (!name || name.includes("${")) continue;
    const response = await fetch(`${api.baseUrl}/accounts/${api.accountId}/r2/buckets`, {
      method: "POST",
      headers: { authorization: `Bearer ${api.token}`, "content-type": "application/json" },
      body: JSON.stringify({ name }),
    });
    if (response.ok) made.push(`R2 bucket ${name}`);
  }
  return made;
}

export interface MeasuredRun {
  run: ModuleRun;
  /** Objects made in the emulator before the run, for import blocks. */
  seeded: string[];
}

/** Applies the module to a fresh emulator account (in memory), in a scratch copy of the module. */
export async function measureModule(
  tool: TerraformTool,
  reading: TerraformModuleReading,
  providerDir: string | null,
  progress: (text: string) => void,
  logFile?: string,
): Promise<MeasuredRun> {
  const api = await startCloudflareApi();
  const workDir = mkdtempSync(join(tmpdir(), "moltlab-terraform-"));
  try {
    const seeded = await seedImports(reading, api);
    const override = overrideFile({ cloudflareProviderBlock: reading.providerBlocks.includes("cloudflare"), baseUrl: api.baseUrl, token: api.token });
    prepareWorkDir(reading.dir, workDir, override, providerDir);
    const env = runEnvironment(workDir, { CLOUDFLARE_BASE_URL: api.baseUrl, CLOUDFLARE_API_TOKEN: api.token, ...emulatorVariables(reading, api) });
    const run = await runModule(tool, workDir, env, { progress, ...(logFile ? { logFile } : {}) });
    return { run, seeded };
  } finally {
    await api.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** The runner on probe/main.tf: init … destroy with no provider to download. */
export async function measureProbe(tool: TerraformTool, progress: (text: string) => void, logFile?: string): Promise<ModuleRun> {
  const workDir = mkdtempSync(join(tmpdir(), "moltlab-terraform-probe-"));
  try {
    prepareWorkDir(PROBE_MODULE, workDir, overrideFile({ cloudflareProviderBlock: false }), null);
    return await runModule(tool, workDir, runEnvironment(workDir, {}), { progress, ...(logFile ? { logFile } : {}) });
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** The probe went init → destroy as expected: a clean first plan with changes, apply, no changes after, destroyed. */
export function probeWorked(run: ModuleRun): boolean {
  return (
    run.steps.every((step) => step.ok || step.step === "plan again") &&
    run.secondPlanExit === 0 &&
    run.destroyed === true &&
    (run.state?.length ?? 0) > 0 &&
    run.state?.length === run.firstPlan?.length
  );
}
