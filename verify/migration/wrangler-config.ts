/**
 * A moltworker deployment's files, read as wrangler reads them: wrangler.jsonc / wrangler.json
 * (JSON5, which names the line and column of a mistake) or wrangler.toml (wrangler's own reader,
 * experimental_readRawConfig, the parser `wrangler deploy` uses), and the Dockerfile its
 * `containers[].image` points to. Everything read is checked for shape before anything is judged.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { parseJson5 } from "../../core/json5.ts";
import { UserError } from "../../core/errors.ts";

/** The parts of a wrangler config the migration table judges; everything else is listed by key. */
export interface WranglerConfig {
  name?: string;
  main?: string;
  compatibility_date?: string;
  compatibility_flags?: string[];
  durable_objects?: { bindings?: { name: string; class_name: string; script_name?: string }[] };
  migrations?: Migration[];
  containers?: { class_name: string; image: string; instance_type?: unknown; max_instances?: number }[];
  r2_buckets?: { binding: string; bucket_name: string }[];
  browser?: { binding: string };
  assets?: { directory?: string; binding?: string };
  vars?: Record<string, unknown>;
  env?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface Migration {
  tag: string;
  new_classes?: string[];
  new_sqlite_classes?: string[];
  renamed_classes?: { from: string; to: string }[];
  deleted_classes?: string[];
}

export interface Deployment {
  /** The config file read. */
  configPath: string;
  config: WranglerConfig;
  /** The container image's Dockerfile, when the config names one that exists. */
  dockerfile: { path: string; text: string } | null;
}

/** Names wrangler looks for, in its order of preference. */
export const WRANGLER_FILES = ["wrangler.jsonc", "wrangler.json", "wrangler.toml"] as const;

const FIX = "pass the folder of your moltworker checkout (the one with wrangler.jsonc or wrangler.toml), e.g. `--moltworker ../moltworker`";

/** A folder (its wrangler file is found) or the wrangler file itself. */
export function findWranglerConfig(path: string): string {
  if (!existsSync(path)) throw new UserError(`--moltworker ${path} does not exist`, FIX);
  if (statSync(path).isFile()) return path;
  const found = WRANGLER_FILES.map((name) => join(path, name)).find((candidate) => existsSync(candidate));
  if (!found) throw new UserError(`--moltworker ${path} has no ${WRANGLER_FILES.join(", ")}`, FIX);
  return found;
}

export async function readDeployment(path: string): Promise<Deployment> {
  const configPath = findWranglerConfig(resolve(path));
  const config = await parseWranglerFile(configPath);
  checkShape(config, configPath);
  const image = config.containers?.[0]?.image;
  let dockerfile: Deployment["dockerfile"] = null;
  // An image reference (registry.cloudflare.com/…) is not a file: only a path that exists is read.
  if (typeof image === "string") {
    const candidate = resolve(dirname(configPath), image);
    const file = existsSync(candidate) && statSync(candidate).isDirectory() ? join(candidate, "Dockerfile") : candidate;
    if (existsSync(file) && statSync(file).isFile()) dockerfile = { path: file, text: readFileSync(file, "utf8") };
  }
  return { configPath, config, dockerfile };
}

async function parseWranglerFile(path: string): Promise<WranglerConfig> {
  const text = readFileSync(path, "utf8");
  let value: unknown;
  if (path.endsWith(".toml")) {
    try {
      // wrangler's own reader: the same TOML parser `wrangler deploy` runs. Imported only here.
      const { experimental_readRawConfig } = await import("wrangler");
      value = experimental_readRawConfig({ config: path }).rawConfig;
    } catch (error) {
      throw new UserError(
        `${path} is not valid TOML (${(error as Error).message})`,
        `fix the file so that \`npx wrangler deploy --dry-run\` accepts it, then run again`,
      );
    }
  } else {
    try {
      value = parseJson5(text);
    } catch (error) {
      throw new UserError(
        `${path} is not valid JSONC (${(error as Error).message})`,
        `fix the file so that \`npx wrangler deploy --dry-run\` accepts it, then run again`,
      );
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UserError(`${path} must hold an object (a wrangler configuration)`, FIX);
  }
  return value as WranglerConfig;
}

/** The keys the table reads must have wrangler's types: a wrong one is named, not half-judged. */
function checkShape(config: WranglerConfig, path: string): void {
  const problems: string[] = [];
  const list = (key: string, fields: string[]) => {
    const value = config[key];
    if (value === undefined) return;
    if (!Array.isArray(value)) return problems.push(`${key} must be a list`);
    value.forEach((entry, index) => {
      for (const field of fields) {
        if (typeof entry?.[field] !== "string") problems.push(`${key}[${index}].${field} must be a string`);
      }
    });
  };
  list("migrations", ["tag"]);
  list("containers", ["class_name", "image"]);
  list("r2_buckets", ["binding", "bucket_name"]);
  const dos = config.durable_objects;
  if (dos !== undefined) {
    if (typeof dos !== "object" || dos === null || !Array.isArray(dos.bindings ?? [])) problems.push("durable_objects.bindings must be a list");
    else
      (dos.bindings ?? []).forEach((binding, index) => {
        for (const field of ["name", "class_name"] as const)
          if (typeof binding?.[field] !== "string") problems.push(`durable_objects.bindings[${index}].${field} must be a string`);
      });
  }
  if (config.vars !== undefined && (typeof config.vars !== "object" || config.vars === null || Array.isArray(config.vars)))
    problems.push("vars must be an object");
  if (config.name !== undefined && typeof config.name !== "string") problems.push("name must be a string");
  if (problems.length) {
    throw new UserError(`${basename(path)} is not a wrangler configuration wrangler would accept: ${problems.join("; ")}`, `fix ${path}, then run again`);
  }
}
