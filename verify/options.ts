/**
 * `moltlab verify` options: parsed strictly by core/args.ts (node:util parseArgs), every bad
 * value named by its option's own parse, with the fix.
 */
import { join } from "node:path";
import { type OptionSpec, parseCommandArgs } from "../core/args.ts";
import { UserError } from "../core/errors.ts";
import { ROOT } from "../core/host.ts";
import type { VerifyOptions } from "./types.ts";
import { terraformModuleFiles } from "./terraform/read-module.ts";
import { providerVersionsIn } from "./terraform/tool.ts";
import { ARCHES, type Arch } from "../contract/arch.ts";
import { INSTANCE_TYPE_NAMES, type InstanceType, DEFAULT_INSTANCE_TYPE } from "../contract/instance-types.ts";

export const DEFAULT_LITELLM_CONFIG = join(ROOT, "verify/samples/litellm.config.yaml");
export const DEFAULT_BUDGET_USD = 50;
/** The plan's realistic second cost line: the container up for a working day, asleep otherwise. */
export const REALISTIC_ACTIVE_HOURS = 8;
/** @cloudflare/containers' default sleepAfter. */
export const DEFAULT_SLEEP_AFTER_MINUTES = 10;
/** Moltworker's own estimate assumes 10% CPU use. */
export const DEFAULT_CPU_UTILISATION = 0.1;

export const VERIFY_USAGE = `usage: moltlab verify [options]

Runs every evaluation item of the plan and writes reports/verify.{md,json,html}.
Exits 1 when a stop criterion is hit, 0 otherwise (unverified items do not fail it).

  --reuse                 use the evidence already in reports/ (tools matrix, DinD, chat,
                          persistence, channels, jobs, bench) instead of re-running the slow
                          tests (without it: those tests, then the bench's cold-start,
                          latency and backup files; \`npm run bench\` for all figures)
  --arch amd64|arm64|all  architectures to judge (default: all)
  --instance-type NAME    ${INSTANCE_TYPE_NAMES.join(", ")} (default: ${DEFAULT_INSTANCE_TYPE})
  --budget USD            monthly budget (default: ${DEFAULT_BUDGET_USD})
  --active-hours H        hours a day in use, 1–24 (default: 24; a second line uses ${REALISTIC_ACTIVE_HOURS})
  --sleep-after DURATION  sleepAfter for the part-time line: 10m, 1h, never (default: ${DEFAULT_SLEEP_AFTER_MINUTES}m)
  --cpu-percent P         average CPU use while running, % of the instance's vCPU (default: ${DEFAULT_CPU_UTILISATION * 100})
  --dockerfile PATH       your own OpenClaw Dockerfile: what it installs and patches, read statically; built
                          with the supervisor on top and its tools probed here if its base images exist
  --litellm PATH          your LiteLLM config.yaml (default: verify/samples/litellm.config.yaml)
  --moltworker PATH       your moltworker checkout (wrangler.jsonc/.json/.toml, its Dockerfile) or its
                          wrangler file: what carries over to the kit's Worker (default: a sample)
  --secrets PATH          your secrets' names (plain lines, KEY= env file — values ignored —, a JSON
                          array or \`wrangler secret list\` JSON): each mapped; writes
                          reports/migration/{dev.vars.template,wrangler-secret-put.sh}, names only
  --openclaw-config PATH  your openclaw.json: the keys the supervisor owns that replace yours
  --terraform DIR         your Terraform module (item 0-8): its types checked against the Cloudflare
                          provider v5 (v4 names, import/moved/removed blocks), and — with OpenTofu or
                          terraform and the provider — applied to the Cloudflare API emulator, planned
                          again (must be no changes) and destroyed (default: verify/samples/terraform)
  --terraform-provider DIR  a folder with the Cloudflare provider (\`tofu providers mirror DIR\` output)
                          for where the registry is not reachable; builds OpenTofu first if there is
                          no tofu or terraform (\`npm run setup -- --terraform\` does that ahead)
`;

const SEE_HELP = "(see `npm run verify -- --help`)";
const usage = (message: string, fix: string) => new UserError(message, `${fix}\n${SEE_HELP}`);

function number(flag: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value) || value < min || value > max) {
    throw usage(`${flag} ${raw || "(missing)"} is not a number from ${min} to ${max}`, `pass e.g. \`${flag} ${Math.min(max, 50)}\``);
  }
  return value;
}

/** `never` → null; `30s`, `10m`, `1h`, a bare number of minutes. */
export function parseSleepAfterMinutes(raw: string): number | null {
  const text = raw.trim().toLowerCase();
  if (text === "never") return null;
  const match = /^(\d+(?:\.\d+)?)\s*(s|m|h)?$/.exec(text);
  const minutes = match ? Number(match[1]) * ({ s: 1 / 60, m: 1, h: 60 }[match[2] ?? "m"] ?? 1) : NaN;
  if (!Number.isFinite(minutes) || minutes <= 0)
    throw usage(`--sleep-after ${raw || "(missing)"} is not a duration`, "use e.g. `--sleep-after 10m`, `1h` or `never`");
  return minutes;
}

/** linux/amd64, arm64 or all. */
function parseArches(raw: string): Arch[] {
  const arch = raw.replace(/^linux\//, "");
  if (arch === "all") return [...ARCHES];
  if ((ARCHES as readonly string[]).includes(arch)) return [arch as Arch];
  throw usage(`--arch ${arch || "(missing)"} is not amd64, arm64 or all`, "use `--arch amd64`, `--arch arm64` or `--arch all`");
}

function parseInstanceType(raw: string): InstanceType {
  if ((INSTANCE_TYPE_NAMES as readonly string[]).includes(raw)) return raw as InstanceType;
  throw usage(`--instance-type ${raw || "(missing)"} is not a Cloudflare instance type`, `use one of ${INSTANCE_TYPE_NAMES.join(", ")}`);
}

/** A path option, relative to `cwd`. */
function pathOption(flag: string, example: string, cwd: string): (raw: string) => string {
  return (raw) => {
    if (!raw) throw usage(`${flag} needs a path`, example);
    return raw.startsWith("/") ? raw : join(cwd, raw);
  };
}

/** A Terraform module folder: it exists and has .tf files (its HCL is parsed up front by verify). */
function terraformDirOption(cwd: string): (raw: string) => string {
  const path = pathOption("--terraform", "pass the folder of your Terraform module, e.g. `--terraform ../infra/cloudflare`", cwd);
  return (raw) => {
    const dir = path(raw);
    terraformModuleFiles(dir, "--terraform");
    return dir;
  };
}

/** A provider folder laid out as the tools' mirrors are, holding cloudflare/cloudflare. */
function terraformProviderOption(cwd: string): (raw: string) => string {
  const path = pathOption("--terraform-provider", "pass a folder made by `tofu providers mirror DIR`, e.g. `--terraform-provider ~/tf-mirror`", cwd);
  return (raw) => {
    const dir = path(raw);
    if (!providerVersionsIn(dir).length)
      throw usage(
        `--terraform-provider ${dir} holds no Cloudflare provider`,
        "pass a folder laid out as <host>/cloudflare/cloudflare/<version>/<os_arch>/ (or its .zip), e.g. made by `tofu providers mirror DIR` in a module that requires cloudflare/cloudflare, on a machine that reaches the registry",
      );
    return dir;
  };
}

/** Every option of `moltlab verify`, each with the parse that names its fix. */
function verifySpec(cwd: string) {
  return {
    reuse: { type: "boolean" },
    arch: { type: "string", parse: parseArches },
    "instance-type": { type: "string", parse: parseInstanceType },
    budget: { type: "string", parse: (raw: string) => number("--budget", raw.replace(/^\$/, ""), 0, 100_000) },
    "active-hours": { type: "string", parse: (raw: string) => number("--active-hours", raw, 1, 24) },
    "sleep-after": { type: "string", parse: parseSleepAfterMinutes },
    "cpu-percent": { type: "string", parse: (raw: string) => number("--cpu-percent", raw.replace(/%$/, ""), 0, 100) / 100 },
    dockerfile: {
      type: "string",
      parse: pathOption("--dockerfile", "pass the path of your Dockerfile, e.g. `--dockerfile ../openclaw-image/Dockerfile`", cwd),
    },
    litellm: { type: "string", parse: pathOption("--litellm", "pass the path of your LiteLLM config, e.g. `--litellm ~/litellm/config.yaml`", cwd) },
    moltworker: { type: "string", parse: pathOption("--moltworker", "pass your moltworker checkout, e.g. `--moltworker ../moltworker`", cwd) },
    secrets: { type: "string", parse: pathOption("--secrets", "pass a file of your secrets' names, e.g. `--secrets ./secret-names.txt`", cwd) },
    "openclaw-config": {
      type: "string",
      parse: pathOption("--openclaw-config", "pass your openclaw.json, e.g. `--openclaw-config ~/.openclaw/openclaw.json`", cwd),
    },
    terraform: { type: "string", parse: terraformDirOption(cwd) },
    "terraform-provider": { type: "string", parse: terraformProviderOption(cwd) },
  } satisfies Record<string, OptionSpec<unknown>>;
}

/**
 * `cwd` resolves relative paths: npm runs scripts in the package root but keeps the
 * caller's directory in INIT_CWD, which is where a user's `--dockerfile ./Dockerfile` lives.
 */
export function parseVerifyArgs(args: readonly string[], cwd: string = process.env.INIT_CWD ?? process.cwd()): VerifyOptions {
  const { values } = parseCommandArgs(args, verifySpec(cwd), { usage: `remove it\n${SEE_HELP}`, optionJudgesValue: true });
  return {
    arches: values.arch ?? [...ARCHES],
    instanceType: values["instance-type"] ?? DEFAULT_INSTANCE_TYPE,
    budget: values.budget ?? DEFAULT_BUDGET_USD,
    activeHours: values["active-hours"] ?? 24,
    sleepAfterMinutes: values["sleep-after"] === undefined ? DEFAULT_SLEEP_AFTER_MINUTES : values["sleep-after"],
    cpuUtilisation: values["cpu-percent"] ?? DEFAULT_CPU_UTILISATION,
    dockerfile: values.dockerfile ?? null,
    litellm: values.litellm ?? DEFAULT_LITELLM_CONFIG,
    moltworker: values.moltworker ?? null,
    secrets: values.secrets ?? null,
    openclawConfig: values["openclaw-config"] ?? null,
    terraform: values.terraform ?? null,
    terraformProvider: values["terraform-provider"] ?? null,
    reuse: values.reuse ?? false,
  };
}
