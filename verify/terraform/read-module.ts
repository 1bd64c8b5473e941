/**
 * Reads a Terraform module folder the way Terraform does (every *.tf and *.tf.json of that one
 * folder, not its subfolders) into what item 0-8 judges: its resources and data sources, its
 * import / moved / removed blocks, its providers, variables and backend. HCL is parsed by
 * @cdktn/hcl2json (HashiCorp's own HCL parser compiled to wasm, MPL-2.0), which turns each file
 * into Terraform's JSON syntax; a file it cannot parse stops the run with its line.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parse } from "@cdktn/hcl2json";
import { UserError } from "../../core/errors.ts";

export interface BlockPlace {
  /** The file's name within the module folder. */
  file: string;
}

export interface DeclaredBlock extends BlockPlace {
  type: string;
  name: string;
}

export interface ImportBlock extends BlockPlace {
  /** The resource address it imports into, e.g. cloudflare_r2_bucket.moltbot_data. */
  to: string;
  /** The import id as written (may hold interpolations). */
  id: string;
}

export interface MovedBlock extends BlockPlace {
  from: string;
  to: string;
}

export interface RemovedBlock extends BlockPlace {
  from: string;
  /** lifecycle.destroy: false keeps the object, true (Terraform's default) destroys it. */
  destroy: boolean;
}

export interface TerraformModuleReading {
  dir: string;
  files: string[];
  resources: DeclaredBlock[];
  dataSources: DeclaredBlock[];
  imports: ImportBlock[];
  moved: MovedBlock[];
  removed: RemovedBlock[];
  /** Local provider names configured with a `provider` block. */
  providerBlocks: string[];
  /** required_providers: local name → source and version constraint. */
  requiredProviders: Record<string, { source: string; version: string }>;
  variables: string[];
  /** The backend type (s3, remote …) or "cloud", null when state is local. */
  backend: string | null;
}

type Json = Record<string, unknown>;

const asObject = (value: unknown): Json => (value && typeof value === "object" && !Array.isArray(value) ? (value as Json) : {});
/** hcl2json gives every block as a list (a block may repeat); Terraform's JSON syntax allows both. */
const asList = (value: unknown): Json[] => (Array.isArray(value) ? value.map(asObject) : value === undefined ? [] : [asObject(value)]);
/** An address as hcl2json writes a bare reference: "${cloudflare_r2_bucket.x}" → cloudflare_r2_bucket.x. */
const address = (value: unknown): string => String(value ?? "").replace(/^\$\{(.*)\}$/s, "$1");

const TF_FILE = /\.tf(\.json)?$/;

/** The module's .tf and .tf.json files (sorted), or a UserError saying what is wrong with `dir`. */
export function terraformModuleFiles(dir: string, flag = "--terraform"): string[] {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new UserError(`${flag} ${dir} does not exist`, `pass the folder of your Terraform module, e.g. \`${flag} ../infra/cloudflare\``);
  }
  if (!isDir)
    throw new UserError(
      `${flag} ${dir} is a file, not a folder`,
      `pass the folder that holds it (Terraform reads every .tf file of one folder), e.g. \`${flag} ${join(dir, "..")}\``,
    );
  // Override files (*_override.tf) merge into other blocks; the reading lists what they declare like any file.
  const files = readdirSync(dir)
    .filter((name) => TF_FILE.test(name))
    .sort();
  if (!files.length)
    throw new UserError(
      `${flag} ${dir} has no .tf or .tf.json files`,
      `pass the folder that holds your module's .tf files (Terraform does not read subfolders: point at the module itself)`,
    );
  return files;
}

/** hcl2json's "parse config: [main.tf:2,7-3,1: Invalid expression; …]" → "line 2, column 7: Invalid expression; …". */
export function describeParseError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const inner = /\[(.*)\]\s*$/s.exec(text)?.[1] ?? text;
  return inner.replace(/^(.*?):(\d+),(\d+)(?:-\d+(?:,\d+)?)?: /, (_all, _name: string, line: string, column: string) => `line ${line}, column ${column}: `);
}

async function parseFile(dir: string, file: string, flag: string): Promise<Json> {
  const path = join(dir, file);
  const text = readFileSync(path, "utf8");
  try {
    return asObject(file.endsWith(".json") ? JSON.parse(text) : await parse(file, text));
  } catch (error) {
    throw new UserError(
      `${flag}: cannot parse ${path}, ${describeParseError(error)}`,
      "fix that line (`tofu validate` or `terraform validate` in the folder names it too), then run verify again",
    );
  }
}

function declared(section: unknown, file: string): DeclaredBlock[] {
  return Object.entries(asObject(section)).flatMap(([type, byName]) => Object.keys(asObject(byName)).map((name) => ({ type, name, file })));
}

/** Reads and parses the module in `dir`; `flag` names the option in errors. */
export async function readTerraformModule(dir: string, flag = "--terraform"): Promise<TerraformModuleReading> {
  const files = terraformModuleFiles(dir, flag);
  const reading: TerraformModuleReading = {
    dir,
    files,
    resources: [],
    dataSources: [],
    imports: [],
    moved: [],
    removed: [],
    providerBlocks: [],
    requiredProviders: {},
    variables: [],
    backend: null,
  };
  for (const file of files) {
    const body = await parseFile(dir, file, flag);
    reading.resources.push(...declared(body.resource, file));
    reading.dataSources.push(...declared(body.data, file));
    for (const block of asList(body.import)) reading.imports.push({ to: address(block.to), id: String(block.id ?? ""), file });
    for (const block of asList(body.moved)) reading.moved.push({ from: address(block.from), to: address(block.to), file });
    for (const block of asList(body.removed)) {
      const destroy = asList(block.lifecycle)[0]?.destroy;
      reading.removed.push({ from: address(block.from), destroy: destroy !== false && destroy !== "false", file });
    }
    reading.providerBlocks.push(...Object.keys(asObject(body.provider)));
    reading.variables.push(...Object.keys(asObject(body.variable)));
    for (const terraform of asList(body.terraform)) {
      for (const required of asList(terraform.required_providers))
        for (const [name, spec] of Object.entries(required)) {
          const { source, version } = typeof spec === "string" ? { source: "", version: spec } : asObject(spec);
          reading.requiredProviders[name] = { source: String(source ?? ""), version: String(version ?? "") };
        }
      const backend = Object.keys(asList(terraform.backend)[0] ?? {})[0];
      if (backend) reading.backend = backend;
      if (terraform.cloud !== undefined) reading.backend = "cloud";
    }
  }
  return reading;
}
