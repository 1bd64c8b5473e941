/**
 * The migration item's inputs — a moltworker deployment (`--moltworker DIR`), a secrets inventory
 * (`--secrets FILE`) and an openclaw.json (`--openclaw-config FILE`), each defaulting to the sample
 * in verify/samples/moltworker/ — read and validated together. verify calls this before it runs
 * anything, so bad input is refused up front with nothing written.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../../core/errors.ts";
import { parseJson5 } from "../../core/json5.ts";
import { ROOT } from "../../core/host.ts";
import type { VerifyOptions } from "../types.ts";
import { compareDeployment, type DeploymentRow } from "./deployment.ts";
import { type OpenclawConfigReading, readOpenclawConfig } from "./openclaw-config.ts";
import { classifySecret, parseInventory, type SecretMapping, secretsInVars } from "./secrets.ts";
import { type Deployment, readDeployment, type WranglerConfig } from "./wrangler-config.ts";

export const MIGRATION_SAMPLES = join(ROOT, "verify/samples/moltworker");
export const SAMPLE_SECRETS = join(MIGRATION_SAMPLES, "secrets.txt");
export const SAMPLE_OPENCLAW_CONFIG = join(MIGRATION_SAMPLES, "openclaw.json");

export interface MigrationInputs {
  deployment: Deployment;
  rows: DeploymentRow[];
  secrets: { path: string; mappings: SecretMapping[] };
  openclaw: OpenclawConfigReading;
  /** Which inputs are the samples (the user passed none of their own). */
  samples: { moltworker: boolean; secrets: boolean; openclawConfig: boolean };
}

type MigrationOptions = Pick<VerifyOptions, "moltworker" | "secrets" | "openclawConfig">;

export async function readMigrationInputs(options: MigrationOptions, root: string = ROOT): Promise<MigrationInputs> {
  const deployment = await readDeployment(options.moltworker ?? MIGRATION_SAMPLES);
  const secretsPath = options.secrets ?? SAMPLE_SECRETS;
  let text: string;
  try {
    text = readFileSync(secretsPath, "utf8");
  } catch (error) {
    throw new UserError(
      `cannot read --secrets ${secretsPath}: ${(error as Error).message}`,
      "pass a file listing your secrets' names, e.g. `--secrets ./secret-names.txt`",
    );
  }
  const names = parseInventory(text, secretsPath);
  secretsInVars(deployment.config.vars, names, deployment.configPath);
  for (const [envName, env] of Object.entries(deployment.config.env ?? {})) {
    const vars = (env as { vars?: Record<string, unknown> } | null)?.vars;
    secretsInVars(vars, names, `${deployment.configPath} (env.${envName})`);
  }
  const mappings = names.map(classifySecret);
  const workerNames = [
    ...new Set([...mappings.flatMap((mapping) => (mapping.workerName ? [mapping.workerName] : [])), ...Object.keys(deployment.config.vars ?? {})]),
  ];
  const openclaw = readOpenclawConfig(options.openclawConfig ?? SAMPLE_OPENCLAW_CONFIG, workerNames);
  const kit = parseJson5(readFileSync(join(root, "worker/wrangler.jsonc"), "utf8")) as WranglerConfig;
  return {
    deployment,
    rows: compareDeployment(deployment, kit),
    secrets: { path: secretsPath, mappings },
    openclaw,
    samples: { moltworker: options.moltworker === null, secrets: options.secrets === null, openclawConfig: options.openclawConfig === null },
  };
}
