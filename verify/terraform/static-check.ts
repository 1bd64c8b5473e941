/**
 * What can be checked of a Terraform module without running it: every resource and data-source
 * type against the Cloudflare provider v5's names (v4 names flagged with their v5 successors,
 * unknown ones flagged), and the import / moved / removed blocks read and explained. This never
 * makes item 0-8 "OK": names that exist say nothing about whether an apply works.
 */
import { V4_RENAMES, V5_DATA_SOURCE_TYPES, V5_PROVIDER_RELEASE, V5_RESOURCE_TYPES } from "./cloudflare-names.ts";
import type { TerraformModuleReading } from "./read-module.ts";

export type NameStatus = "v5" | "v4 name" | "unknown" | "other provider";

export interface NameFinding {
  kind: "resource" | "data source";
  type: string;
  name: string;
  file: string;
  status: NameStatus;
  /** What to do or what it means, one sentence. */
  note: string;
}

export interface BlockFinding {
  block: "import" | "moved" | "removed";
  file: string;
  /** The block's addresses, e.g. "cloudflare_access_application.x → cloudflare_zero_trust_access_application.x". */
  what: string;
  problem: boolean;
  note: string;
}

export interface StaticFindings {
  names: NameFinding[];
  blocks: BlockFinding[];
  /** Findings that need a change before v5 can run the module (v4 names, unknown types, broken blocks). */
  problems: number;
}

/** The resource type of an address: module.a.data.cloudflare_x.y["k"] → cloudflare_x. */
export function addressType(address: string): string {
  const parts = address.replace(/\[[^\]]*\]/g, "").split(".");
  while (parts[0] === "module") parts.splice(0, 2);
  if (parts[0] === "data") parts.shift();
  return parts[0] ?? "";
}

const successorsText = (type: string) => (V4_RENAMES.get(type)?.successors ?? []).join(" or ");

function checkName(kind: NameFinding["kind"], type: string): Pick<NameFinding, "status" | "note"> {
  if (!type.startsWith("cloudflare_")) return { status: "other provider", note: "not the Cloudflare provider's: not judged here" };
  const v5 = kind === "resource" ? V5_RESOURCE_TYPES : V5_DATA_SOURCE_TYPES;
  if (v5.has(type)) return { status: "v5", note: `a ${kind} of the provider ${V5_PROVIDER_RELEASE}` };
  const rename = V4_RENAMES.get(type);
  if (rename) {
    const how =
      rename.state === "auto" ? "a `moved` block carries its state over" : "its state does not move: `state rm` the old address and `import` the new one";
    return { status: "v4 name", note: `v4 name: v5 calls it ${successorsText(type)}; rename it (${how})` };
  }
  return {
    status: "unknown",
    note: `not a ${kind} of the provider ${V5_PROVIDER_RELEASE} nor a v4 name it renamed: check the spelling against the provider's docs`,
  };
}

function checkBlocks(reading: TerraformModuleReading): BlockFinding[] {
  const declared = new Set(reading.resources.map((resource) => `${resource.type}.${resource.name}`));
  const isDeclared = (address: string) => declared.has(address.replace(/\[[^\]]*\]$/, ""));
  const findings: BlockFinding[] = [];
  for (const block of reading.imports) {
    const type = addressType(block.to);
    const rename = V4_RENAMES.get(type);
    const problem = rename !== undefined || !isDeclared(block.to);
    findings.push({
      block: "import",
      file: block.file,
      what: `${block.to} ← id "${block.id}"`,
      problem,
      note: rename
        ? `imports into a v4 type: v5 calls it ${successorsText(type)}`
        : !isDeclared(block.to)
          ? `no resource ${block.to} in the module: an import needs its resource block`
          : "plan imports the existing object into state; against the emulator the object must exist first (the run creates it)",
    });
  }
  for (const block of reading.moved) {
    const from = addressType(block.from);
    const to = addressType(block.to);
    const rename = V4_RENAMES.get(from);
    const isRename = rename?.successors.includes(to) ?? false;
    const problem = !isDeclared(block.to) || (rename !== undefined && !isRename);
    findings.push({
      block: "moved",
      file: block.file,
      what: `${block.from} → ${block.to}`,
      problem,
      note: !isDeclared(block.to)
        ? `no resource ${block.to} in the module: a moved block needs its target`
        : isRename
          ? rename?.state === "auto"
            ? "a v4 → v5 rename; the v5 resource converts the v4 state as it moves (Terraform 1.8+ / OpenTofu)"
            : "a v4 → v5 rename whose state the provider does not convert: `state rm` + `import` instead of moved"
          : rename
            ? `moves a v4 type to ${to}, which is not its successor (${successorsText(from)})`
            : "an address change within the module",
    });
  }
  for (const block of reading.removed) {
    const type = addressType(block.from);
    const rename = V4_RENAMES.get(type);
    findings.push({
      block: "removed",
      file: block.file,
      what: block.from,
      problem: false,
      note: `${block.destroy ? "destroys the object and forgets it" : "forgets it, keeping the object (destroy = false)"}${rename ? `; a v4 address (v5: ${successorsText(type)}), as expected in a removed block` : ""}`,
    });
  }
  return findings;
}

export function checkModuleStatically(reading: TerraformModuleReading): StaticFindings {
  const names: NameFinding[] = [
    ...reading.resources.map((block) => ({ kind: "resource" as const, ...block, ...checkName("resource", block.type) })),
    ...reading.dataSources.map((block) => ({ kind: "data source" as const, ...block, ...checkName("data source", block.type) })),
  ];
  const blocks = checkBlocks(reading);
  const problems = names.filter((name) => name.status === "v4 name" || name.status === "unknown").length + blocks.filter((block) => block.problem).length;
  return { names, blocks, problems };
}
