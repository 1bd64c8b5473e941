/**
 * Which Terraform-compatible program item 0-8 can run, and where the Cloudflare provider would
 * come from. OpenTofu first (setup's build in the cache, then one on PATH), then a HashiCorp
 * `terraform` the user already has on PATH (BUSL: moltlab never builds or ships it).
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { tryRun } from "../../core/exec.ts";
import { cacheDir } from "../../core/host.ts";
import { TOFU_VERSION, tofuPath } from "../../setup/tofu.ts";

export interface TerraformTool {
  kind: "tofu" | "terraform";
  /** The program to run (a path, or a name found on PATH). */
  command: string;
  version: string;
  /** Where it was found, for the report. */
  from: string;
}

/** `OpenTofu v1.10.10` / `Terraform v1.11.4` on the first line of `version`. */
export function parseToolVersion(output: string): { kind: TerraformTool["kind"]; version: string } | undefined {
  const match = /^(OpenTofu|Terraform) v(\S+)/m.exec(output);
  if (!match?.[1] || !match[2]) return undefined;
  return { kind: match[1] === "OpenTofu" ? "tofu" : "terraform", version: match[2] };
}

async function probe(command: string, from: string): Promise<TerraformTool | undefined> {
  // A CLI config of the user's that is missing or broken would only add warnings to the version line.
  const result = await tryRun(command, ["version"], { timeoutMs: 30_000, env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
  if (result.code !== 0) return undefined;
  const parsed = parseToolVersion(result.stdout);
  return parsed ? { ...parsed, command, from } : undefined;
}

/** The first tool that runs, or undefined (with `tried` saying what was looked for). */
export async function findTerraformTool(cache: string = cacheDir()): Promise<{ tool: TerraformTool | undefined; tried: string[] }> {
  const built = tofuPath(cache);
  const candidates: [string, string][] = [
    [built, `built by \`npm run setup -- --terraform\` (${built})`],
    ["tofu", "tofu on PATH"],
    ["terraform", "terraform on PATH (yours; moltlab never installs it)"],
  ];
  for (const [command, from] of candidates) {
    if (command.startsWith("/") && !existsSync(command)) continue;
    const tool = await probe(command, from);
    if (tool) return { tool, tried: [] };
  }
  return { tool: undefined, tried: [`OpenTofu v${TOFU_VERSION} at ${built}`, "tofu on PATH", "terraform on PATH"] };
}

/** A provider folder as the tools lay it out: <dir>/<host>/cloudflare/cloudflare/<version>/<os_arch>/… */
export function providerVersionsIn(dir: string): string[] {
  const found: string[] = [];
  if (!existsSync(dir)) return found;
  for (const host of readdirSync(dir)) {
    const versions = join(dir, host, "cloudflare", "cloudflare");
    if (existsSync(versions)) for (const version of readdirSync(versions)) found.push(`${host}/cloudflare/cloudflare ${version.replace(/\.zip$/, "")}`);
  }
  return found;
}

/**
 * The CLI configuration the run uses instead of the user's (~/.terraformrc may point at a
 * registry mirror or credentials meant for real accounts): only a filesystem mirror of the
 * provider folder they named, with everything else from the registry as usual.
 */
export function cliConfig(providerDir: string | null): string {
  if (!providerDir) return "# moltlab verify: no provider folder given; providers come from the registry\n";
  return [
    "# moltlab verify: the provider folder given with --terraform-provider, then the registry",
    "provider_installation {",
    `  filesystem_mirror {\n    path = ${JSON.stringify(providerDir)}\n  }`,
    "  direct {}",
    "}",
    "",
  ].join("\n");
}

/** Whether a failed `init` failed because no Cloudflare provider could be had (not because the module is wrong). */
export function providerUnavailable(initOutput: string): boolean {
  return (
    /cloudflare\/cloudflare/.test(initOutput) &&
    /Failed to query available provider packages|Failed to install provider|Failed to resolve provider packages|could not connect to registry|does not have a package available|no available releases match/i.test(
      initOutput,
    )
  );
}
