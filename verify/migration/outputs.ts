/**
 * What the migration item writes for the user: a worker/.dev.vars template and the
 * `wrangler secret put` list, names only (no value is ever read into them). Both are written
 * together and atomically — into a fresh temporary folder, renamed into place — only after every
 * input has been validated, so a refused run leaves the previous files (or none) as they were.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync, existsSync, mkdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { REQUIRED_WORKER_SECRETS, type SecretMapping } from "./secrets.ts";

export const DEV_VARS_TEMPLATE = "dev.vars.template";
export const SECRET_PUT_SCRIPT = "wrangler-secret-put.sh";

/** The Worker-side names to put, in inventory order, then the kit's required ones the inventory lacks. */
export function workerSecretsToPut(mappings: readonly SecretMapping[]): { name: string; from: string | null; required: boolean }[] {
  const out: { name: string; from: string | null; required: boolean }[] = [];
  for (const mapping of mappings) {
    if (!mapping.workerName || out.some((entry) => entry.name === mapping.workerName)) continue;
    out.push({ name: mapping.workerName, from: mapping.workerName === mapping.name ? null : mapping.name, required: false });
  }
  for (const name of REQUIRED_WORKER_SECRETS) if (!out.some((entry) => entry.name === name)) out.push({ name, from: null, required: true });
  return out;
}

export function devVarsTemplate(mappings: readonly SecretMapping[], source: string): string {
  const lines = [
    `# worker/.dev.vars template written by \`moltlab verify\` from ${source}: names only, no values.`,
    "# Fill in each value, then save it as worker/.dev.vars (gitignored). Never commit it.",
    "",
  ];
  for (const entry of workerSecretsToPut(mappings)) {
    if (entry.from) lines.push(`# from ${entry.from}`);
    if (entry.required) lines.push("# required by the kit; not in your inventory");
    lines.push(`${entry.name}=`);
  }
  const rest = (kind: SecretMapping["kind"], heading: string) => {
    const listed = mappings.filter((mapping) => mapping.kind === kind && !mapping.workerName);
    if (!listed.length) return;
    lines.push("", `# ${heading}`);
    for (const mapping of listed) lines.push(`# ${mapping.name}: ${mapping.why}`);
  };
  rest("AI Gateway setting", "Provider keys for AI Gateway (stored in the gateway, not here)");
  rest("container-only secret", "Container-only secrets with no way in under their name");
  rest("not needed on Cloudflare", "Not needed on Cloudflare");
  return `${lines.join("\n")}\n`;
}

export function secretPutScript(mappings: readonly SecretMapping[], source: string): string {
  const lines = [
    "#!/bin/sh",
    `# Worker secrets for the kit's Worker, from ${source} (written by \`moltlab verify\`).`,
    "# Each command prompts for the value: no value is on a command line or in this file.",
    "set -e",
  ];
  for (const entry of workerSecretsToPut(mappings)) {
    if (entry.from) lines.push(`# from ${entry.from}`);
    if (entry.required) lines.push("# required by the kit; not in your inventory");
    lines.push(`npx wrangler secret put ${entry.name} --config worker/wrangler.jsonc`);
  }
  return `${lines.join("\n")}\n`;
}

/** Writes `files` as the folder `dir`, replacing it whole: all of them or none. */
export function writeFilesAtomically(dir: string, files: Record<string, string>): void {
  mkdirSync(dirname(dir), { recursive: true });
  const temp = mkdtempSync(join(dirname(dir), `.${basename(dir)}.tmp-`));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(temp, name), text, { mode: name.endsWith(".sh") ? 0o755 : 0o644, flag: "wx" });
    if (existsSync(dir)) {
      const old = `${temp}.old`;
      renameSync(dir, old);
      renameSync(temp, dir);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(temp, dir);
    }
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    throw error;
  }
}
