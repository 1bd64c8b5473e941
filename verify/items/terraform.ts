/**
 * 0-8 Terraform: which pieces of the deployment the Cloudflare Terraform provider (v5) manages,
 * measured. The module — yours (`--terraform DIR`) or the kit's sample for this deployment
 * (verify/samples/terraform) — is read statically (types against v5's names, import / moved /
 * removed blocks), then, where OpenTofu or Terraform and the Cloudflare provider can be had,
 * applied to the Cloudflare API emulator: init, validate, plan, apply, plan again (must be "no
 * changes"), destroy. Without a provider the item stays "unverified" with the static findings;
 * the desk-research table below is context only, never the verdict.
 */
import { join, relative } from "node:path";
import { cacheDir, ROOT } from "../../core/host.ts";
import type { StepContext } from "../../core/ui.ts";
import { ensureTofu, TOFU_VERSION } from "../../setup/tofu.ts";
import { measureModule, measureProbe, probeWorked, type MeasuredRun } from "../terraform/measure.ts";
import { readTerraformModule } from "../terraform/read-module.ts";
import type { ModuleRun } from "../terraform/runner.ts";
import { checkModuleStatically } from "../terraform/static-check.ts";
import { findTerraformTool, type TerraformTool } from "../terraform/tool.ts";
import { terraformVerdict } from "../terraform/verdict.ts";
import { V5_PROVIDER_RELEASE } from "../terraform/cloudflare-names.ts";
import type { Judgement, VerifyContext } from "../types.ts";

export const TERRAFORM_RESEARCH = {
  readOn: "2026-11-25",
  provider: "cloudflare/cloudflare v5 (resource docs of the provider repository; release notes of v5.19.0, 2026-04-24)",
  sources: [
    "github.com/cloudflare/terraform-provider-cloudflare docs/resources/*.md",
    "terraform-provider-cloudflare v5.19.0 release notes (new resource cloudflare_ai_gateway)",
    "developers.cloudflare.com/containers (containers deploy with wrangler)",
  ],
};

export interface TerraformRow {
  piece: string;
  managed: "yes" | "partly" | "no";
  resource: string;
  note: string;
}

export const TERRAFORM_ROWS: readonly TerraformRow[] = [
  { piece: "DNS record", managed: "yes", resource: "cloudflare_dns_record", note: "v5 name (v4: cloudflare_record)" },
  {
    piece: "Access application",
    managed: "yes",
    resource: "cloudflare_zero_trust_access_application",
    note: "gives the AUD tag the Worker checks (CF_ACCESS_AUD)",
  },
  { piece: "Access policy", managed: "yes", resource: "cloudflare_zero_trust_access_policy", note: "reusable policies attached to the application" },
  {
    piece: "R2 bucket",
    managed: "yes",
    resource: "cloudflare_r2_bucket",
    note: "the bucket; R2 S3 credentials are API tokens (cloudflare_api_token), not a bucket attribute",
  },
  {
    piece: "AI Gateway",
    managed: "yes",
    resource: "cloudflare_ai_gateway",
    note: "since v5.19.0 (not in v5.17, the plan's version); dynamic routes: cloudflare_ai_gateway_dynamic_routing",
  },
  {
    piece: "Worker script",
    managed: "yes",
    resource: "cloudflare_workers_script",
    note: "uploads a built bundle; bindings and Durable Object migrations in its metadata",
  },
  { piece: "Worker routes / custom domain", managed: "yes", resource: "cloudflare_workers_route, cloudflare_workers_custom_domain", note: "" },
  {
    piece: "Worker secrets",
    managed: "partly",
    resource: "secret_text bindings of cloudflare_workers_script",
    note: "the values then live in Terraform state; cloudflare_workers_secret is deprecated in v5 (Workers for Platforms only); `wrangler secret put` keeps them out of state",
  },
  {
    piece: "Durable Object binding",
    managed: "yes",
    resource: "durable_object_namespace binding + migrations of cloudflare_workers_script",
    note: "the Sandbox class's namespace and its new_sqlite_classes migration",
  },
  {
    piece: "Containers application (image, instance type, max instances, DO link)",
    managed: "no",
    resource: "none found",
    note: "deployed by `wrangler deploy`, which builds and pushes the image and creates the application; no container resource in the provider docs read (v5.17 per the plan; later releases not checked exhaustively)",
  },
];

export const SAMPLE_TERRAFORM = join(ROOT, "verify/samples/terraform");

/** What would turn "unverified" into a measured verdict: the tool and the provider, by command. */
export function howToMeasure(tool: TerraformTool | undefined): string[] {
  return [
    ...(tool
      ? []
      : [
          `\`npm run setup -- --terraform\` builds OpenTofu v${TOFU_VERSION} into the cache (about 6 minutes), or put \`tofu\` or your own \`terraform\` on PATH`,
        ]),
    "the Cloudflare provider v5 (cloudflare/cloudflare ≥ 5.19 for cloudflare_ai_gateway): from the registry (registry.opentofu.org / registry.terraform.io) where it is reachable, or `--terraform-provider DIR` — a folder laid out as <host>/cloudflare/cloudflare/<version>/<os_arch>/, made by `tofu providers mirror DIR` (or `terraform providers mirror DIR`) on a machine that reaches the registry",
  ];
}

function stepsTable(run: ModuleRun, caption: string) {
  return {
    caption,
    header: ["step", "command", "exit", "result"],
    rows: run.steps.map((step) => [
      step.step,
      step.command,
      String(step.code),
      step.ok ? "ok" : (step.tail.split("\n").find((line) => line.trim()) ?? "failed"),
    ]),
  };
}

export async function judgeTerraformItem(ctx: VerifyContext): Promise<Judgement> {
  const dir = ctx.options.terraform ?? SAMPLE_TERRAFORM;
  const shown = relative(ctx.root, dir).startsWith("..") ? dir : relative(ctx.root, dir);
  const reading = await readTerraformModule(dir);
  const findings = checkModuleStatically(reading);

  let { tool } = await findTerraformTool();
  // Building OpenTofu takes minutes: only when a provider folder was named, so the run can measure something.
  if (!tool && ctx.options.terraformProvider) {
    const context: StepContext = { progress: ctx.progress };
    ctx.progress(`building OpenTofu v${TOFU_VERSION}, which --terraform-provider needs to run (about 6 minutes, once)`);
    await ensureTofu(context, cacheDir(), join(cacheDir(), "setup.log"));
    tool = (await findTerraformTool()).tool;
  }

  let probe: ModuleRun | null = null;
  let measured: MeasuredRun | null = null;
  if (tool) {
    ctx.progress(`${tool.kind} ${tool.version}: the runner's check on a terraform_data module`);
    probe = await measureProbe(tool, ctx.progress);
    ctx.progress(`${tool.kind} ${tool.version}: ${shown} against the Cloudflare API emulator`);
    measured = await measureModule(tool, reading, ctx.options.terraformProvider, ctx.progress);
  }
  const run = measured?.run ?? null;
  const { verdict, why, resources } = terraformVerdict(findings, run);
  const sample = ctx.options.terraform === null;
  const v4 = findings.names.filter((name) => name.status === "v4 name");
  const unknown = findings.names.filter((name) => name.status === "unknown");
  const measuredRun = run && !run.providerMissing && run.steps[0]?.ok;

  const evidence = [
    `Read ${shown} (${reading.files.join(", ")}): ${reading.resources.length} resources, ${reading.dataSources.length} data sources, ${reading.imports.length} import, ${reading.moved.length} moved, ${reading.removed.length} removed blocks${reading.backend ? `; its ${reading.backend} backend is replaced by local state in a scratch copy, never used` : ""}.`,
    `Against the provider's ${V5_PROVIDER_RELEASE} names: ${findings.names.filter((name) => name.status === "v5").length} v5 types, ${v4.length} v4 names${v4.length ? ` (${v4.map((name) => `${name.type} → ${name.note.replace(/^v4 name: v5 calls it ([a-z0-9_]+).*$/, "$1")}`).join(", ")})` : ""}, ${unknown.length} unknown${unknown.length ? ` (${unknown.map((name) => name.type).join(", ")})` : ""}.`,
    tool
      ? `Tool: ${tool.kind} ${tool.version} (${tool.from}).`
      : `No OpenTofu or Terraform here (looked for OpenTofu v${TOFU_VERSION} in the cache, tofu and terraform on PATH): nothing was run.`,
    ...(probe
      ? [
          probeWorked(probe)
            ? `The runner's check: ${tool?.kind} ran init, validate, plan, apply, plan again (no changes, -detailed-exitcode 0) and destroy on a terraform_data module (no provider needed): the orchestration works on this machine.`
            : `The runner's check on a terraform_data module did not go through: ${probe.steps.map((step) => `${step.step} ${step.ok ? "ok" : `exit ${step.code}`}`).join(", ")}.`,
        ]
      : []),
    ...(run?.providerMissing
      ? [
          `${run.tool.kind} init found no Cloudflare provider: ${
            run.steps[0]?.tail
              .split("\n")
              .find((line) => /Error|Could not|could not/.test(line))
              ?.trim() ?? "see the steps table"
          }. The module was not applied.`,
        ]
      : []),
    ...(measuredRun
      ? [
          `Applied to the Cloudflare API emulator (CLOUDFLARE_BASE_URL=<emulator>/client/v4, its token): ${why}.${measured?.seeded.length ? ` Made first for import blocks: ${measured.seeded.join(", ")}.` : ""}`,
        ]
      : []),
    "The Containers application (image, instance type, max instances, the Durable Object link) stays `wrangler deploy`'s: the provider has no resource for it, so a deployment applies Terraform for the account pieces and runs `wrangler deploy` for the Worker and its container.",
  ];

  const tables = [
    ...(resources.length
      ? [
          {
            caption: "Each resource, applied to the emulator",
            header: ["resource", "outcome", "detail"],
            rows: resources.map((line) => [line.address, line.outcome, line.detail]),
          },
        ]
      : []),
    ...(run ? [stepsTable(run, `${run.tool.kind} on ${shown}`)] : []),
    {
      caption: `Static reading of ${shown}: types against the provider ${V5_PROVIDER_RELEASE}`,
      header: ["kind", "type", "name", "file", "status", "note"],
      rows: findings.names.map((name) => [name.kind, name.type, name.name, name.file, name.status, name.note]),
    },
    ...(findings.blocks.length
      ? [
          {
            caption: "import, moved and removed blocks",
            header: ["block", "what", "file", "problem", "note"],
            rows: findings.blocks.map((block) => [block.block, block.what, block.file, block.problem ? "yes" : "no", block.note]),
          },
        ]
      : []),
    ...(probe ? [stepsTable(probe, `${probe.tool.kind} on the runner's terraform_data check`)] : []),
    {
      caption: `Context only, not the verdict: what the provider manages per its docs (desk research, ${TERRAFORM_RESEARCH.readOn})`,
      header: ["piece", "Terraform", "resource", "note"],
      rows: TERRAFORM_ROWS.map((row) => [row.piece, row.managed, row.resource, row.note]),
    },
  ];

  return {
    verdict,
    summary: `${sample ? "sample module: " : ""}${why}${verdict === "unverified" ? " — not OK from static reading alone" : ""}; Containers app stays wrangler deploy's`,
    evidence,
    wouldChange: [
      ...(verdict === "unverified" ? howToMeasure(tool) : []),
      ...(sample ? ["your own module (`--terraform DIR`): this run read verify/samples/terraform"] : []),
      ...findings.names
        .filter((name) => name.status === "v4 name" || name.status === "unknown")
        .map((name) => `${name.type}.${name.name} (${name.file}): ${name.note}`),
      ...findings.blocks.filter((block) => block.problem).map((block) => `${block.block} ${block.what} (${block.file}): ${block.note}`),
      "an apply to a real account: the emulator answers what the provider reads, approximated (emulators/cloudflare-api/README.md)",
      "a provider release with a container application resource",
    ],
    sources: [
      { path: shown, generatedAt: null, origin: "static" },
      ...(run
        ? [
            {
              path: `${run.tool.kind} ${run.tool.version} against the Cloudflare API emulator`,
              generatedAt: ctx.runStartedAt.toISOString(),
              origin: "this run" as const,
            },
          ]
        : []),
      {
        path: `cloudflare/terraform-provider-cloudflare ${V5_PROVIDER_RELEASE} docs (type names, v4 → v5 renames)`,
        generatedAt: null,
        origin: "desk research",
      },
    ],
    tables,
    notes: ["HashiCorp Terraform (BUSL) is used only when it is already on PATH; moltlab builds OpenTofu (MPL-2.0) and runs it as a separate program."],
  };
}
