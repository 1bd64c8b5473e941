/**
 * Bring your own config and deployment: a moltworker deployment's wrangler config and Dockerfile
 * against the kit's Worker (what carries over, what needs a change, what has no counterpart), a
 * secrets inventory mapped name by name (and written out as a .dev.vars template and the
 * `wrangler secret put` list, names only), and the user's openclaw.json against the keys the
 * supervisor owns. Inputs are validated before verify runs anything (../migration/inputs.ts).
 */
import { relative } from "node:path";
import { OWNED_KEYS } from "../../container/supervisor/config.ts";
import { readMigrationInputs } from "../migration/inputs.ts";
import { DEV_VARS_TEMPLATE, devVarsTemplate, SECRET_PUT_SCRIPT, secretPutScript, writeFilesAtomically } from "../migration/outputs.ts";
import { forwardedButNotSecret, SECRET_KINDS } from "../migration/secrets.ts";
import { join } from "node:path";
import type { Judgement, Verdict, VerifyContext } from "../types.ts";

/** Where the .dev.vars template and the secret list go (only for the user's own inventory). */
export const MIGRATION_OUTPUT_DIR = "migration";

export async function judgeMigrationItem(ctx: VerifyContext): Promise<Judgement> {
  const inputs = await readMigrationInputs(ctx.options, ctx.root);
  const shown = (path: string) => (relative(ctx.root, path).startsWith("..") ? path : relative(ctx.root, path));
  const { rows, secrets, openclaw, samples } = inputs;
  const count = (status: string) => rows.filter((row) => row.status === status).length;
  const exposed = forwardedButNotSecret();

  const outputDir = join(ctx.reportsDir, MIGRATION_OUTPUT_DIR);
  const source = shown(secrets.path);
  const devVars = devVarsTemplate(secrets.mappings, source);
  const putList = secretPutScript(secrets.mappings, source);
  // The sample's files would only overwrite the user's last ones with an example: written for their own inventory only.
  if (!samples.secrets) writeFilesAtomically(outputDir, { [DEV_VARS_TEMPLATE]: devVars, [SECRET_PUT_SCRIPT]: putList });

  const byKind = SECRET_KINDS.map((kind) => `${secrets.mappings.filter((mapping) => mapping.kind === kind).length} ${kind}`).join(", ");
  const sampled = [samples.moltworker && "deployment", samples.secrets && "secrets", samples.openclawConfig && "openclaw.json"].filter(Boolean);
  let verdict: Verdict;
  if (exposed.length) verdict = "NG";
  else if (count("needs a change") || count("no counterpart") || openclaw.conflicts.length || openclaw.problems.length) verdict = "OK with constraints";
  else verdict = "OK";

  return {
    verdict,
    summary: `${sampled.length ? `sample ${sampled.join(", ")}: ` : ""}${count("carries over")} parts carry over, ${count("needs a change")} need a change, ${count("no counterpart")} have no counterpart; secrets: ${byKind}; openclaw.json: ${openclaw.built ? `${openclaw.conflicts.length} values replaced by owned keys` : "not built"}${openclaw.problems.length ? `, ${openclaw.problems.length} problems` : ""}`,
    evidence: [
      `Read ${shown(inputs.deployment.configPath)}${inputs.deployment.dockerfile ? ` and ${shown(inputs.deployment.dockerfile.path)}` : " (its container image is not a Dockerfile here)"} against worker/wrangler.jsonc: ${rows.length} parts (table below).`,
      `Mapped ${secrets.mappings.length} secret names from ${source} (values, if the file had any, were ignored): ${byKind}.${samples.secrets ? "" : ` Wrote ${shown(join(outputDir, DEV_VARS_TEMPLATE))} and ${shown(join(outputDir, SECRET_PUT_SCRIPT))} (names only).`}`,
      openclaw.built
        ? `Built ${shown(openclaw.path)} as the supervisor does at boot, with those names set (placeholder values): ${openclaw.conflicts.length} of its values are replaced by the ${OWNED_KEYS.length} keys the supervisor owns (table below when any); the boot log names the same ones.`
        : `Could not build ${shown(openclaw.path)} as the supervisor does with this inventory (the problems below), so its conflicts with the ${OWNED_KEYS.length} owned keys are not listed.`,
      ...openclaw.problems.map((problem) => `With this inventory the supervisor would refuse to start: ${problem}.`),
      exposed.length
        ? `The kit's Worker passes ${exposed.join(", ")} to the container without treating them as secret (worker/src/manifest.ts SECRET_NAMES).`
        : "Every secret-looking name the kit's Worker passes to the container is among its secrets (masked, never echoed).",
    ],
    wouldChange: [
      ...(samples.moltworker ? ["your own deployment (`--moltworker DIR`): this run read verify/samples/moltworker/wrangler.jsonc"] : []),
      ...(samples.secrets ? ["your own secret names (`--secrets FILE`): this run read the sample inventory and wrote no template"] : []),
      ...(samples.openclawConfig ? ["your own openclaw.json (`--openclaw-config FILE`): this run read the sample"] : []),
      ...(secrets.mappings.some((mapping) => mapping.kind === "container-only secret" && !mapping.workerName)
        ? ["container-only names that do not read as secrets renamed (only …_TOKEN, …_KEY, …_SECRET, …_PASSWORD pass as CONTAINER_SECRET_<NAME>)"]
        : []),
      "a deploy of the kit over the real Worker (`npx wrangler deploy --dry-run --config worker/wrangler.jsonc` checks the config; migrations are only checked by Cloudflare)",
    ],
    sources: [
      { path: shown(inputs.deployment.configPath), generatedAt: null, origin: "static" },
      { path: source, generatedAt: null, origin: "static" },
      { path: shown(openclaw.path), generatedAt: null, origin: "static" },
      {
        path: "worker/wrangler.jsonc, worker/src/manifest.ts, contract/container-env.ts, container/supervisor/config.ts (OWNED_KEYS)",
        generatedAt: null,
        origin: "static",
      },
    ],
    tables: [
      {
        caption: "Your moltworker deployment → the kit's Worker",
        header: ["part", "yours", "the kit's", "status", "what to do"],
        rows: rows.map((row) => [row.part, row.theirs, row.kit, row.status, row.action]),
      },
      {
        caption: "Your secrets → Cloudflare (names only)",
        header: ["name", "where it goes", "put as", "why"],
        rows: secrets.mappings.map((mapping) => [mapping.name, mapping.kind, mapping.workerName ?? "—", mapping.why]),
      },
      ...(openclaw.conflicts.length
        ? [
            {
              caption: "Your openclaw.json values the supervisor replaces (literal secrets not shown)",
              header: ["key", "yours", "the supervisor's", "why"],
              rows: openclaw.conflicts.map((conflict) => [conflict.path, conflict.theirs, conflict.ours, conflict.why]),
            },
          ]
        : []),
      {
        caption: "Keys the supervisor owns in openclaw.json",
        header: ["key", "when", "why"],
        rows: OWNED_KEYS.map((key) => [key.path, key.when, key.why]),
      },
    ],
    code: [
      { caption: `worker/.dev.vars template (${DEV_VARS_TEMPLATE})`, text: devVars, language: "sh" },
      { caption: `wrangler secret put list (${SECRET_PUT_SCRIPT})`, text: putList, language: "sh" },
    ],
  };
}
