/**
 * Which Terraform-compatible program item 0-8 can run, and where the Cloudflare provider would
 * come from. OpenTofu first (setup's build in the cache, then one on PATH), then a HashiCorp
 * `terraform` the user already has on PATH (BUSL: moltlab never builds or ships it).
 */
import { existsSync, mkdirSync, readdirSync, statSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
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

/** The two public registries a provider source without a host resolves to: OpenTofu's and Terraform's. */
export const REGISTRY_HOSTS = ["registry.opentofu.org", "registry.terraform.io"] as const;

/** One provider package of a mirror folder: unpacked (a folder of the executable) or packed (its .zip). */
export interface ProviderPackage {
  /** `<host>/<namespace>/<type>`, e.g. registry.opentofu.org/cloudflare/cloudflare. */
  address: string;
  version: string;
  /** `<os>_<arch>`, e.g. linux_amd64. */
  target: string;
  /** Its path, relative to the folder. */
  path: string;
}

const isDir = (path: string) => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};
const subdirs = (path: string) => (isDir(path) ? readdirSync(path).filter((name) => isDir(join(path, name))) : []);

/**
 * Every package of a filesystem mirror, in both layouts the tools read:
 * <host>/<namespace>/<type>/<version>/<os_arch>/ (unpacked) and
 * <host>/<namespace>/<type>/terraform-provider-<type>_<version>_<os_arch>.zip (packed, what
 * `tofu providers mirror` writes beside its index.json).
 */
export function providerPackagesIn(dir: string): ProviderPackage[] {
  const found: ProviderPackage[] = [];
  for (const host of subdirs(dir))
    for (const namespace of subdirs(join(dir, host)))
      for (const type of subdirs(join(dir, host, namespace))) {
        const address = `${host}/${namespace}/${type}`;
        const typeDir = join(dir, address);
        for (const entry of readdirSync(typeDir)) {
          const zip = new RegExp(`^terraform-provider-${type}_([^_]+)_([a-z0-9]+_[a-z0-9]+)\\.zip$`).exec(entry);
          if (zip?.[1] && zip[2]) found.push({ address, version: zip[1], target: zip[2], path: `${address}/${entry}` });
          else if (isDir(join(typeDir, entry)))
            for (const target of subdirs(join(typeDir, entry))) found.push({ address, version: entry, target, path: `${address}/${entry}/${target}` });
        }
      }
  return found.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** The Cloudflare provider versions of a mirror folder, one line per host and version: "registry.opentofu.org/cloudflare/cloudflare 5.22.0". */
export function providerVersionsIn(dir: string): string[] {
  const lines = providerPackagesIn(dir)
    .filter((item) => item.address.endsWith("/cloudflare/cloudflare"))
    .map((item) => `${item.address} ${item.version}`);
  return [...new Set(lines)];
}

/**
 * The folder the run installs providers from: every package of the user's folder, linked, and
 * each one from one public registry linked under the other too. `source = "cloudflare/cloudflare"`
 * means registry.opentofu.org to OpenTofu and registry.terraform.io to Terraform, and the package
 * is the same program (the OpenTofu registry serves the provider's own GitHub releases), so a
 * folder made by `terraform providers mirror` serves tofu and the other way round. Returns the
 * provider addresses it holds.
 */
export function linkProviderMirror(providerDir: string, viewDir: string): string[] {
  const addresses = new Set<string>();
  const link = (item: ProviderPackage, address: string) => {
    const where = join(viewDir, item.path.replace(item.address, address));
    if (existsSync(where)) return;
    mkdirSync(dirname(where), { recursive: true });
    symlinkSync(join(providerDir, item.path), where);
    addresses.add(address);
  };
  const packages = providerPackagesIn(providerDir);
  for (const item of packages) link(item, item.address);
  for (const item of packages) {
    const [host, ...rest] = item.address.split("/");
    if ((REGISTRY_HOSTS as readonly string[]).includes(host ?? ""))
      for (const other of REGISTRY_HOSTS) if (other !== host) link(item, [other, ...rest].join("/"));
  }
  return [...addresses].sort();
}

/**
 * The CLI configuration the run uses instead of the user's (~/.terraformrc may point at a
 * registry mirror or credentials meant for real accounts). With a provider folder: its packages
 * (linked by linkProviderMirror) from that folder only — `direct` excludes them, since a direct
 * method that may also serve a provider is asked for its versions too, and fails init where the
 * registry is not reachable —, everything else from the registry as usual.
 */
export function cliConfig(mirror: { dir: string; addresses: string[] } | null): string {
  if (!mirror) return "# moltlab verify: no provider folder given; providers come from the registry\n";
  return [
    "# moltlab verify: the providers of the folder given with --terraform-provider from there, the rest from the registry",
    "provider_installation {",
    `  filesystem_mirror {\n    path    = ${JSON.stringify(mirror.dir)}\n    include = ${JSON.stringify(mirror.addresses)}\n  }`,
    `  direct {\n    exclude = ${JSON.stringify(mirror.addresses)}\n  }`,
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
