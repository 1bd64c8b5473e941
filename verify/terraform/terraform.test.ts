import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../../core/host.ts";
import { parseSetupArgs } from "../../setup/index.ts";
import { parseVerifyArgs } from "../options.ts";
import { parsePlanJson, parseStateJson, parseUiLines, parseValidateJson, resourceOutcomes } from "./outputs.ts";
import { readTerraformModule } from "./read-module.ts";
import { OVERRIDE_FILE, overrideFile, prepareWorkDir, runCommands, runEnvironment, runModule } from "./runner.ts";
import { addressType, checkModuleStatically } from "./static-check.ts";
import { cliConfig, linkProviderMirror, parseToolVersion, providerPackagesIn, providerUnavailable, providerVersionsIn, type TerraformTool } from "./tool.ts";
import { terraformVerdict } from "./verdict.ts";

const SAMPLE = join(ROOT, "verify/samples/terraform");
const V4_LEFTOVERS = join(ROOT, "verify/samples/terraform-v4-leftovers");
const FIXTURES = join(ROOT, "verify/terraform/fixtures");
const TOOLS = ["tofu-1.10.10", "terraform-1.11.4"] as const;

const scratch = mkdtempSync(join(tmpdir(), "moltlab-terraform-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const folder = (name: string, files: Record<string, string> = {}) => {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
};

describe("static reading", () => {
  it("finds every type of the sample module among v5's names, with nothing to change", async () => {
    const reading = await readTerraformModule(SAMPLE);
    const findings = checkModuleStatically(reading);
    expect(findings.names.map((name) => [name.type, name.status])).toEqual([
      ["cloudflare_ai_gateway", "v5"],
      ["cloudflare_r2_bucket", "v5"],
      ["cloudflare_workers_custom_domain", "v5"],
      ["cloudflare_zero_trust_access_application", "v5"],
      ["cloudflare_zero_trust_access_policy", "v5"],
      ["cloudflare_zero_trust_access_identity_providers", "v5"],
    ]);
    expect(findings.problems).toBe(0);
    expect(reading.backend).toBeNull();
  });

  it("flags v4 names with their v5 successor and unknown types, and reads import/moved/removed", async () => {
    const reading = await readTerraformModule(V4_LEFTOVERS);
    expect(reading.files).toEqual(["access.tf", "main.tf", "r2.tf", "workers.tf"]);
    expect(reading.backend).toBe("s3");
    const findings = checkModuleStatically(reading);
    const status = Object.fromEntries(findings.names.map((name) => [name.type, name]));
    expect(status.cloudflare_worker_route?.status).toBe("v4 name");
    expect(status.cloudflare_worker_route?.note).toContain("cloudflare_workers_route");
    expect(status.cloudflare_workers_custom_domains?.status).toBe("unknown");
    expect(status.terraform_data?.status).toBe("other provider");
    expect(status.cloudflare_zero_trust_access_identity_providers).toMatchObject({ kind: "data source", status: "v5" });
    expect(findings.problems).toBe(2);

    expect(findings.blocks.map((block) => [block.block, block.what, block.problem])).toEqual([
      ["import", 'cloudflare_r2_bucket.moltbot_data ← id "${var.account_id}/moltbot-data/default"', false],
      ["moved", "cloudflare_access_application.moltbot → cloudflare_zero_trust_access_application.moltbot", false],
      ["moved", "cloudflare_access_policy.github → cloudflare_zero_trust_access_policy.github", false],
      ["removed", "cloudflare_record.moltbot", false],
    ]);
    expect(findings.blocks[1]?.note).toContain("v4 → v5 rename");
    expect(findings.blocks[3]?.note).toMatch(/keeping the object.*cloudflare_dns_record/);
  });

  it("flags a moved block to a missing resource and an import into a v4 type", async () => {
    const dir = folder("broken-blocks", {
      "main.tf": [
        "moved {\n  from = cloudflare_record.a\n  to   = cloudflare_dns_record.a\n}",
        'import {\n  to = cloudflare_access_application.b\n  id = "x/y"\n}',
        'resource "cloudflare_access_application" "b" {}',
      ].join("\n"),
    });
    const findings = checkModuleStatically(await readTerraformModule(dir));
    expect(findings.blocks.map((block) => [block.block, block.problem, block.note])).toEqual([
      ["import", true, "imports into a v4 type: v5 calls it cloudflare_zero_trust_access_application"],
      ["moved", true, "no resource cloudflare_dns_record.a in the module: a moved block needs its target"],
    ]);
    expect(findings.names[0]).toMatchObject({ status: "v4 name" });
  });

  it("takes the resource type out of module, data and indexed addresses", () => {
    expect(addressType('module.edge.cloudflare_dns_record.www["a"]')).toBe("cloudflare_dns_record");
    expect(addressType("data.cloudflare_zone.this")).toBe("cloudflare_zone");
    expect(addressType("cloudflare_r2_bucket.b[0]")).toBe("cloudflare_r2_bucket");
  });
});

describe("--terraform and --terraform-provider", () => {
  it("refuses a folder that does not exist, a file, and a folder without .tf files, with the fix", () => {
    expect(() => parseVerifyArgs(["--terraform", join(scratch, "nowhere")])).toThrow(/--terraform .*nowhere does not exist/);
    const file = join(folder("a-file"), "main.tf");
    writeFileSync(file, "");
    expect(() => parseVerifyArgs(["--terraform", file])).toThrow(/is a file, not a folder/);
    const empty = folder("no-tf", { "README.md": "# not terraform" });
    expect(() => parseVerifyArgs(["--terraform", empty])).toThrow(/has no \.tf or \.tf\.json files/);
    expect(() => parseVerifyArgs(["--terraform"])).toThrow(/--terraform needs a path/);
  });

  it("resolves a relative folder against the caller's directory", () => {
    expect(parseVerifyArgs(["--terraform", "samples/terraform"], join(ROOT, "verify")).terraform).toBe(SAMPLE);
    expect(parseVerifyArgs([]).terraform).toBeNull();
  });

  it("names the file and line of HCL that does not parse", async () => {
    const dir = folder("bad-hcl", { "ok.tf": 'variable "a" {}\n', "broken.tf": 'resource "cloudflare_r2_bucket" "b" {\n  name = \n}\n' });
    await expect(readTerraformModule(dir)).rejects.toThrow(/cannot parse .*broken\.tf, line 2, column 10: Invalid expression/);
  });

  it("refuses a provider folder without the Cloudflare provider, and accepts a mirror layout", () => {
    expect(() => parseVerifyArgs(["--terraform-provider", folder("empty-mirror")])).toThrow(/holds no Cloudflare provider/);
    const mirror = folder("mirror");
    mkdirSync(join(mirror, "registry.opentofu.org/cloudflare/cloudflare/5.22.0/linux_amd64"), { recursive: true });
    expect(providerVersionsIn(mirror)).toEqual(["registry.opentofu.org/cloudflare/cloudflare 5.22.0"]);
    expect(parseVerifyArgs(["--terraform-provider", mirror]).terraformProvider).toBe(mirror);
  });

  it("reads the packed layout `tofu providers mirror` writes (zips beside index.json)", () => {
    const mirror = folder("packed-mirror");
    const dir = join(mirror, "registry.terraform.io/cloudflare/cloudflare");
    mkdirSync(dir, { recursive: true });
    for (const name of [
      "index.json",
      "5.22.0.json",
      "terraform-provider-cloudflare_5.22.0_linux_amd64.zip",
      "terraform-provider-cloudflare_5.22.0_darwin_arm64.zip",
    ])
      writeFileSync(join(dir, name), "");
    expect(providerPackagesIn(mirror).map((item) => [item.version, item.target])).toEqual([
      ["5.22.0", "darwin_arm64"],
      ["5.22.0", "linux_amd64"],
    ]);
    expect(providerVersionsIn(mirror)).toEqual(["registry.terraform.io/cloudflare/cloudflare 5.22.0"]);
  });

  it("links a folder's providers under both registries' names, and keeps them from the registry", () => {
    // `terraform providers mirror` writes registry.terraform.io; tofu looks for registry.opentofu.org.
    const mirror = folder("terraform-mirror");
    const target = join(mirror, "registry.terraform.io/cloudflare/cloudflare/5.22.0/linux_amd64");
    mkdirSync(target, { recursive: true });
    writeFileSync(join(target, "terraform-provider-cloudflare_v5.22.0"), "");
    mkdirSync(join(mirror, "registry.terraform.io/hashicorp/random"), { recursive: true });
    writeFileSync(join(mirror, "registry.terraform.io/hashicorp/random/terraform-provider-random_3.7.2_linux_amd64.zip"), "");
    const view = join(scratch, "view");
    expect(linkProviderMirror(mirror, view)).toEqual([
      "registry.opentofu.org/cloudflare/cloudflare",
      "registry.opentofu.org/hashicorp/random",
      "registry.terraform.io/cloudflare/cloudflare",
      "registry.terraform.io/hashicorp/random",
    ]);
    expect(readlinkSync(join(view, "registry.opentofu.org/cloudflare/cloudflare/5.22.0/linux_amd64"))).toBe(target);
    expect(readFileSync(join(view, "registry.opentofu.org/cloudflare/cloudflare/5.22.0/linux_amd64/terraform-provider-cloudflare_v5.22.0"), "utf8")).toBe("");
    expect(providerVersionsIn(view)).toEqual(["registry.opentofu.org/cloudflare/cloudflare 5.22.0", "registry.terraform.io/cloudflare/cloudflare 5.22.0"]);
  });

  it("setup builds OpenTofu only with --terraform", () => {
    expect(parseSetupArgs([])).toEqual({ terraform: false });
    expect(parseSetupArgs(["--terraform"])).toEqual({ terraform: true });
    expect(() => parseSetupArgs(["--tofu"])).toThrow(expect.objectContaining({ message: "unknown option --tofu", fix: "usage: moltlab setup [--terraform]" }));
  });
});

describe("the runner's commands", () => {
  it("plans with -detailed-exitcode, and only 'no changes' passes the second plan", () => {
    const commands = Object.fromEntries(runCommands().map((command) => [command.step, command]));
    expect(commands.plan?.args).toEqual(expect.arrayContaining(["-detailed-exitcode", "-json", "-out=moltlab-1.tfplan"]));
    expect(commands.plan?.ok).toEqual([0, 2]);
    expect(commands["plan again"]?.ok).toEqual([0]);
    expect(commands.apply?.args).toEqual(["apply", "-input=false", "-no-color", "-json", "-auto-approve", "moltlab-1.tfplan"]);
    expect(runCommands().map((command) => command.step)).toEqual([
      "init",
      "validate",
      "plan",
      "show plan",
      "apply",
      "show state",
      "plan again",
      "show plan again",
      "destroy",
    ]);
  });

  it("passes none of the user's credentials or TF_ settings, only the emulator's", () => {
    const env = runEnvironment(
      "/w",
      { CLOUDFLARE_BASE_URL: "http://127.0.0.1:1/client/v4" },
      { PATH: "/bin", CLOUDFLARE_API_KEY: "real", CLOUDFLARE_EMAIL: "me", TF_CLI_ARGS_apply: "-target=x", AWS_SECRET_ACCESS_KEY: "s" },
    );
    expect(env).toMatchObject({
      PATH: "/bin",
      CLOUDFLARE_BASE_URL: "http://127.0.0.1:1/client/v4",
      TF_CLI_CONFIG_FILE: "/w/moltlab.tfrc",
      TF_IN_AUTOMATION: "1",
    });
    for (const key of ["CLOUDFLARE_API_KEY", "CLOUDFLARE_EMAIL", "TF_CLI_ARGS_apply", "AWS_SECRET_ACCESS_KEY"]) expect(env).not.toHaveProperty(key);
  });

  it("runs a copy with local state, the emulator in the provider block, and its own CLI config", () => {
    const work = join(scratch, "work");
    const mirror = folder("work-mirror");
    mkdirSync(join(mirror, "registry.opentofu.org/cloudflare/cloudflare/5.22.0/linux_amd64"), { recursive: true });
    prepareWorkDir(V4_LEFTOVERS, work, overrideFile({ cloudflareProviderBlock: true, baseUrl: "http://e/client/v4", token: "t" }), mirror);
    expect(readdirSync(work).sort()).toEqual(["access.tf", "main.tf", "moltlab-providers", "moltlab.tfrc", "r2.tf", "workers.tf", OVERRIDE_FILE]);
    const override = readFileSync(join(work, OVERRIDE_FILE), "utf8");
    expect(override).toContain('backend "local"');
    expect(override).toContain('base_url  = "http://e/client/v4"');
    // Offline, a `direct {}` that may also serve the provider fails init even though the folder has it.
    const addresses = '["registry.opentofu.org/cloudflare/cloudflare","registry.terraform.io/cloudflare/cloudflare"]';
    expect(readFileSync(join(work, "moltlab.tfrc"), "utf8")).toContain(
      `  filesystem_mirror {\n    path    = ${JSON.stringify(join(work, "moltlab-providers"))}\n    include = ${addresses}\n  }\n  direct {\n    exclude = ${addresses}\n  }`,
    );
    expect(overrideFile({ cloudflareProviderBlock: false })).not.toContain('provider "cloudflare"');
    expect(cliConfig(null)).not.toContain("provider_installation");
  });
});

describe("availability", () => {
  it("reads both tools' version lines", () => {
    expect(parseToolVersion("OpenTofu v1.10.10\non linux_amd64\n")).toEqual({ kind: "tofu", version: "1.10.10" });
    expect(parseToolVersion("Terraform v1.11.4\non linux_amd64\n")).toEqual({ kind: "terraform", version: "1.11.4" });
    expect(parseToolVersion("bash: tofu: command not found")).toBeUndefined();
  });

  it.each(TOOLS)("tells a missing provider from another init failure (%s, recorded)", (tool) => {
    expect(providerUnavailable(readFileSync(join(FIXTURES, tool, "no-provider/init.err"), "utf8"))).toBe(true);
    expect(providerUnavailable("Error: Unsupported block type\n  on main.tf line 3")).toBe(false);
  });
});

/**
 * A stand-in for tofu/terraform that answers each command with what the real tool printed
 * (fixtures/<tool>/<module>/<step>.out|.err) and its exit code, so runModule is tested end to end.
 */
function recordedTool(tool: (typeof TOOLS)[number], module: string, exits: Record<string, number>): TerraformTool {
  const dir = join(FIXTURES, tool, module);
  const script = join(scratch, `${tool}-${module}.sh`);
  const cases = [
    ["init", "init"],
    ["validate", "validate"],
    ["plan*-out=moltlab-1.tfplan*", "plan"],
    ["plan*-out=moltlab-2.tfplan*", "plan-again"],
    ["show*moltlab-1.tfplan", "show-plan"],
    ["show*moltlab-2.tfplan", "show-plan-again"],
    ["show*", "show-state"],
    ["apply*", "apply"],
    ["destroy*", "destroy"],
  ];
  writeFileSync(
    script,
    [
      "#!/bin/sh",
      'case "$*" in',
      ...cases.map(([pattern, step]) =>
        `  ${pattern}) step=${step};;`.replace(
          /^ {2}(\S+)\)/,
          (_all, glob: string) => `  ${glob.replace(/^init$/, "init*").replace(/^validate$/, "validate*")})`,
        ),
      ),
      "esac",
      `[ -f "${dir}/$step.out" ] && cat "${dir}/$step.out"`,
      `[ -f "${dir}/$step.err" ] && cat "${dir}/$step.err" >&2`,
      `case "$step" in ${Object.entries(exits)
        .map(([step, code]) => `${step}) exit ${code};;`)
        .join(" ")} esac`,
      "exit 0",
      "",
    ].join("\n"),
  );
  chmodSync(script, 0o755);
  return { kind: tool.startsWith("tofu") ? "tofu" : "terraform", command: script, version: tool.split("-")[1] ?? "", from: "recorded" };
}

const NO_STATIC_PROBLEMS = { names: [], blocks: [], problems: 0 };

describe.each(TOOLS)("recorded runs of %s", (tool) => {
  const run = (module: string, exits: Record<string, number>) =>
    runModule(recordedTool(tool, module, exits), folder(`${tool}-${module}-work`), { PATH: process.env.PATH ?? "" }, { progress: () => {} });

  it("probe: every step as expected, each resource created, verdict OK", async () => {
    const result = await run("probe", { plan: 2 });
    expect(result.steps.map((step) => [step.step, step.code, step.ok])).toEqual([
      ["init", 0, true],
      ["validate", 0, true],
      ["plan", 2, true],
      ["show plan", 0, true],
      ["apply", 0, true],
      ["show state", 0, true],
      ["plan again", 0, true],
      ["show plan again", 0, true],
      ["destroy", 0, true],
    ]);
    expect(result.apply?.completed).toEqual(["terraform_data.first", "terraform_data.second"]);
    expect(result.state).toEqual(["terraform_data.first", "terraform_data.second"]);
    expect(result.secondPlanExit).toBe(0);
    expect(terraformVerdict(NO_STATIC_PROBLEMS, result)).toMatchObject({
      verdict: "OK",
      resources: [
        { address: "terraform_data.first", outcome: "created" },
        { address: "terraform_data.second", outcome: "created" },
      ],
    });
  });

  it("drift: the second plan's changes name the resource and attributes, and destroy still runs", async () => {
    const result = await run("drift", { plan: 2, "plan-again": 2 });
    expect(result.secondPlanExit).toBe(2);
    expect(result.destroyed).toBe(true);
    const verdict = terraformVerdict(NO_STATIC_PROBLEMS, result);
    expect(verdict.verdict).toBe("OK with constraints");
    expect(verdict.resources).toEqual([
      { address: "terraform_data.drifting", outcome: "drifts", detail: "plan again: update of input, output" },
      { address: "terraform_data.steady", outcome: "created", detail: "in the state, and the second plan has no changes for it" },
    ]);
  });

  it("failure: a refused apply is attributed to the emulator, the state is read and destroy runs", async () => {
    const result = await run("failure", { plan: 2, apply: 1 });
    expect(result.steps.map((step) => step.step)).toEqual(["init", "validate", "plan", "show plan", "apply", "show state", "destroy"]);
    const verdict = terraformVerdict(NO_STATIC_PROBLEMS, result);
    expect(verdict.resources.map((line) => [line.address, line.outcome])).toEqual([
      ["terraform_data.fine", "created"],
      ["terraform_data.refused", "not supported by the emulator"],
    ]);
    expect(verdict.verdict).toBe("OK with constraints");
  });

  it("invalid: validate's diagnostics make it NG and nothing is planned", async () => {
    const result = await run("invalid", { validate: 1 });
    expect(result.steps.map((step) => step.step)).toEqual(["init", "validate"]);
    expect(result.diagnostics).toMatchObject([{ summary: "Unsupported argument", place: "main.tf:2" }]);
    expect(terraformVerdict(NO_STATIC_PROBLEMS, result).verdict).toBe("NG");
  });

  it("no provider: unverified, never OK, even when the static reading is clean", async () => {
    const result = await run("no-provider", { init: 1 });
    expect(result.providerMissing).toBe(true);
    expect(result.steps).toHaveLength(1);
    expect(terraformVerdict(NO_STATIC_PROBLEMS, result)).toMatchObject({ verdict: "unverified", resources: [] });
  });
});

describe("verdict without a run", () => {
  it("is unverified with no tool, whatever the static reading says", async () => {
    const clean = checkModuleStatically(await readTerraformModule(SAMPLE));
    expect(terraformVerdict(clean, null)).toMatchObject({ verdict: "unverified", why: expect.stringContaining("no OpenTofu or Terraform") });
  });
});

describe("output parsing", () => {
  it("reads validate, plan, state and UI lines as recorded", () => {
    const probe = (file: string) => readFileSync(join(FIXTURES, "tofu-1.10.10/probe", file), "utf8");
    expect(parseValidateJson(probe("validate.out"))).toEqual({ valid: true, diagnostics: [] });
    expect(parsePlanJson(probe("show-plan.out")).map((change) => [change.address, change.actions, change.changedAttributes])).toEqual([
      ["terraform_data.first", ["create"], ["id", "input", "output"]],
      ["terraform_data.second", ["create"], ["id", "input", "output", "triggers_replace"]],
    ]);
    expect(parseStateJson(probe("show-state.out"))).toEqual(["terraform_data.first", "terraform_data.second"]);
    expect(parseUiLines(probe("destroy.out")).summary).toEqual({ add: 0, change: 0, import: 0, remove: 2 });
    expect(parseUiLines("not json\n{broken\n")).toEqual({ completed: [], errored: [], diagnostics: [], summary: null });
  });

  it("marks a resource not applied when the run stopped before apply", () => {
    const plan = parsePlanJson(readFileSync(join(FIXTURES, "terraform-1.11.4/probe/show-plan.out"), "utf8"));
    expect(resourceOutcomes(plan, null, null, null).map((line) => line.outcome)).toEqual(["not applied", "not applied"]);
  });
});
