/**
 * Runs a Terraform module through OpenTofu or Terraform the way a careful person would try it
 * on a new account: init, validate, plan, apply, plan again (which must say "no changes":
 * -detailed-exitcode 0), destroy. It runs on a copy of the module in a scratch folder with a
 * local backend and its own CLI configuration, so the user's folder, their remote state and
 * their ~/.terraformrc are never touched, and with an environment that carries no credentials
 * of theirs: only what the caller passes (the emulator's URL and token).
 */
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { lastLines, tryRun } from "../../core/exec.ts";
import { type Diagnostic, type PlannedChange, parsePlanJson, parseStateJson, parseUiLines, parseValidateJson, type UiRun } from "./outputs.ts";
import { cliConfig, linkProviderMirror, providerUnavailable, type TerraformTool } from "./tool.ts";

export const STEP_NAMES = ["init", "validate", "plan", "apply", "plan again", "destroy"] as const;
export type StepName = (typeof STEP_NAMES)[number];

export interface StepCommand {
  step: StepName | "show plan" | "show state" | "show plan again";
  args: string[];
  /** Exit codes that mean it worked (plan's -detailed-exitcode: 0 no changes, 2 changes). */
  ok: readonly number[];
}

export const FIRST_PLAN = "moltlab-1.tfplan";
export const SECOND_PLAN = "moltlab-2.tfplan";
/** Sorted last, so it overrides the module's own blocks. */
export const OVERRIDE_FILE = "zz_moltlab_override.tf";

/** Every command of a run, in order; the arguments are the same for tofu and terraform. */
export function runCommands(): StepCommand[] {
  const plan = (file: string) => ["plan", "-input=false", "-no-color", "-json", "-detailed-exitcode", `-out=${file}`];
  return [
    { step: "init", args: ["init", "-input=false", "-no-color"], ok: [0] },
    { step: "validate", args: ["validate", "-json", "-no-color"], ok: [0] },
    { step: "plan", args: plan(FIRST_PLAN), ok: [0, 2] },
    { step: "show plan", args: ["show", "-json", FIRST_PLAN], ok: [0] },
    { step: "apply", args: ["apply", "-input=false", "-no-color", "-json", "-auto-approve", FIRST_PLAN], ok: [0] },
    { step: "show state", args: ["show", "-json"], ok: [0] },
    // 0 = no changes is the only success: anything else after an apply is drift.
    { step: "plan again", args: plan(SECOND_PLAN), ok: [0] },
    { step: "show plan again", args: ["show", "-json", SECOND_PLAN], ok: [0] },
    { step: "destroy", args: ["destroy", "-input=false", "-no-color", "-json", "-auto-approve"], ok: [0] },
  ];
}

/** The environment of every command: the caller's variables (CLOUDFLARE_BASE_URL …) and nothing of the user's TF_*, CLOUDFLARE_* or cloud credentials. */
export function runEnvironment(workDir: string, extra: Record<string, string>, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(base))
    if (!/^(TF_|TOFU_|CLOUDFLARE_|CF_|AWS_|GOOGLE_|AZURE_|ARM_)/.test(key) && value !== undefined) env[key] = value;
  return {
    ...env,
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    CHECKPOINT_DISABLE: "1",
    TF_CLI_CONFIG_FILE: join(workDir, "moltlab.tfrc"),
    ...extra,
  };
}

/**
 * The override that keeps the run local: state in the scratch folder whatever backend the module
 * names, and — when the module configures the Cloudflare provider itself (an api_token from a
 * variable, say) — the emulator's address and token in that block.
 */
export function overrideFile(options: { cloudflareProviderBlock: boolean; baseUrl?: string; token?: string }): string {
  const lines = [
    "# Written by moltlab verify: local state, and the Cloudflare API emulator for the provider.",
    "terraform {",
    '  backend "local" {',
    '    path = "moltlab.tfstate"',
    "  }",
    "}",
  ];
  if (options.cloudflareProviderBlock && options.baseUrl && options.token)
    lines.push('provider "cloudflare" {', `  base_url  = ${JSON.stringify(options.baseUrl)}`, `  api_token = ${JSON.stringify(options.token)}`, "}");
  return `${lines.join("\n")}\n`;
}

/** Where the run's CLI configuration finds the providers of --terraform-provider (links, see linkProviderMirror). */
export const PROVIDER_VIEW = "moltlab-providers";

/**
 * Copies what Terraform reads of the module (.tf, .tf.json, .tfvars) into `workDir`, not its state,
 * lock file or .terraform/; writes the override and the CLI configuration, with the provider
 * folder's packages linked under both public registries' names.
 */
export function prepareWorkDir(moduleDir: string, workDir: string, override: string, providerDir: string | null): void {
  mkdirSync(workDir, { recursive: true });
  for (const name of readdirSync(moduleDir))
    if (/\.(tf|tf\.json|tfvars|tfvars\.json)$/.test(name) && name !== OVERRIDE_FILE) copyFileSync(join(moduleDir, name), join(workDir, name));
  writeFileSync(join(workDir, OVERRIDE_FILE), override);
  const view = join(workDir, PROVIDER_VIEW);
  const mirror = providerDir ? { dir: view, addresses: linkProviderMirror(providerDir, view) } : null;
  writeFileSync(join(workDir, "moltlab.tfrc"), cliConfig(mirror));
}

export interface StepRecord {
  step: StepCommand["step"];
  command: string;
  code: number;
  ok: boolean;
  seconds: number;
  /** The last lines it printed, for the report. */
  tail: string;
}

export interface ModuleRun {
  tool: TerraformTool;
  steps: StepRecord[];
  /** init failed because no Cloudflare provider could be had (registry or folder). */
  providerMissing: boolean;
  validate: { valid: boolean; diagnostics: Diagnostic[] } | null;
  firstPlan: PlannedChange[] | null;
  apply: UiRun | null;
  state: string[] | null;
  secondPlan: PlannedChange[] | null;
  /** plan again's -detailed-exitcode: 0 no changes, 2 changes, 1 error; null when not run. */
  secondPlanExit: number | null;
  destroyed: boolean | null;
  /** Errors the tool reported, from every step's JSON diagnostics. */
  diagnostics: Diagnostic[];
}

/**
 * Runs the commands in `workDir` (prepared by prepareWorkDir). Stops at the first failing step,
 * but once apply has run, the state is read and destroy runs, so no object is left behind.
 */
export interface RunHooks {
  progress(text: string): void;
  /** Everything the tools print is appended here. */
  logFile?: string;
  /** Each command's standard output, e.g. to keep it as a test fixture. */
  onOutput?(step: StepCommand["step"], stdout: string, stderr: string): void;
}

export async function runModule(tool: TerraformTool, workDir: string, env: NodeJS.ProcessEnv, hooks: RunHooks): Promise<ModuleRun> {
  const { progress, logFile } = hooks;
  const run: ModuleRun = {
    tool,
    steps: [],
    providerMissing: false,
    validate: null,
    firstPlan: null,
    apply: null,
    state: null,
    secondPlan: null,
    secondPlanExit: null,
    destroyed: null,
    diagnostics: [],
  };
  let applied = false;
  let stopped = false;
  for (const command of runCommands()) {
    // After an apply, even a failed one, the state is read and destroy runs: what it made is known and removed.
    if (stopped && !(applied && (command.step === "destroy" || command.step === "show state"))) continue;
    progress(`${tool.kind} ${command.args.join(" ")}`);
    const started = performance.now();
    const result = await tryRun(tool.command, command.args, { cwd: workDir, env, timeoutMs: 600_000, ...(logFile ? { logFile } : {}) });
    const ok = !result.timedOut && command.ok.includes(result.code);
    hooks.onOutput?.(command.step, result.stdout, result.stderr);
    const record: StepRecord = {
      step: command.step,
      command: `${tool.kind} ${command.args.join(" ")}`,
      code: result.code,
      ok,
      seconds: (performance.now() - started) / 1000,
      tail: lastLines(result.stderr || result.stdout, 6),
    };
    run.steps.push(record);
    const ui = command.args.includes("-json") && command.step !== "validate" && !command.step.startsWith("show") ? parseUiLines(result.stdout) : null;
    if (ui) run.diagnostics.push(...ui.diagnostics.filter((entry) => entry.severity === "error"));
    try {
      if (command.step === "init" && !ok) run.providerMissing = providerUnavailable(`${result.stdout}\n${result.stderr}`);
      if (command.step === "validate") {
        run.validate = parseValidateJson(result.stdout);
        run.diagnostics.push(...run.validate.diagnostics.filter((entry) => entry.severity === "error"));
      }
      if (command.step === "show plan" && ok) run.firstPlan = parsePlanJson(result.stdout);
      if (command.step === "apply") {
        applied = true;
        run.apply = ui;
      }
      if (command.step === "show state" && ok) run.state = parseStateJson(result.stdout);
      if (command.step === "plan again") run.secondPlanExit = result.timedOut ? null : result.code;
      if (command.step === "show plan again" && ok) run.secondPlan = parsePlanJson(result.stdout);
      if (command.step === "destroy") run.destroyed = ok;
    } catch (error) {
      record.tail += `\n(moltlab could not read its JSON output: ${(error as Error).message})`;
    }
    // Drift is a finding, not a reason to stop: the second plan is still shown, and destroy runs.
    if (!ok && command.step !== "plan again") stopped = true;
  }
  return run;
}
