/**
 * 0-8 Terraform: which pieces of the deployment the Cloudflare Terraform provider (v5)
 * manages. Desk research from the provider's published resource documentation — not a test,
 * and marked as such in the report.
 */
import type { Judgement } from "../types.ts";

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

export function judgeTerraformItem(): Judgement {
  const yes = TERRAFORM_ROWS.filter((row) => row.managed === "yes").length;
  return {
    verdict: "OK with constraints",
    summary: `desk research: ${yes}/${TERRAFORM_ROWS.length} pieces have resources (AI Gateway since v5.19.0); the Containers application does not — wrangler deploy`,
    evidence: [
      `Desk research, not a test: the provider's resource documentation and release notes, read ${TERRAFORM_RESEARCH.readOn}. Nothing was applied to an account.`,
      "DNS, Access application and policy, R2 bucket, Worker script, routes and Durable Object bindings have resources; AI Gateway has one since v5.19.0 (2026-04-24).",
      "The Containers application has no Terraform resource: a mixed setup applies Terraform for the account pieces and runs `wrangler deploy` (which builds the image and creates the container application) for the Worker.",
      "Worker secrets through Terraform land in its state file; keeping them in `wrangler secret put` avoids that.",
    ],
    wouldChange: [
      "`terraform plan` against a real account with these resources (not possible offline)",
      "a provider release with a container application resource",
    ],
    sources: [{ path: `${TERRAFORM_RESEARCH.provider}; ${TERRAFORM_RESEARCH.sources.join("; ")}`, generatedAt: null, origin: "desk research" }],
    tables: [
      {
        caption: `What the Cloudflare Terraform provider manages (desk research, ${TERRAFORM_RESEARCH.readOn})`,
        header: ["piece", "Terraform", "resource", "note"],
        rows: TERRAFORM_ROWS.map((row) => [row.piece, row.managed, row.resource, row.note]),
      },
    ],
  };
}
