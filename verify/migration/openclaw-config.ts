/**
 * The user's openclaw.json against the keys the supervisor owns (container/supervisor/config.ts's
 * OWNED_KEYS): built exactly as the supervisor builds it at boot, with an environment that has
 * every name of the secrets inventory set (placeholder values, never real ones), so the report
 * shows the conflicts the boot log would show before anything is deployed.
 */
import { readFileSync } from "node:fs";
import { UserError } from "../../core/errors.ts";
import { parseJson5 } from "../../core/json5.ts";
import { containerSecretName, RENAMED, SAME_NAME } from "../../contract/container-env.ts";
import { buildConfig, type Conflict, isObject, USER_KEY_PROBLEM } from "../../container/supervisor/config.ts";
import { GATEWAY_PORT } from "../../contract/ports.ts";
import { OPENCLAW_VERSION } from "../../contract/openclaw.ts";

export interface OpenclawConfigReading {
  path: string;
  conflicts: Conflict[];
  /** Whether the config could be built at all (conflicts are only known then). */
  built: boolean;
  /** What the supervisor would refuse with this environment (e.g. a ${VAR} the inventory lacks). */
  problems: string[];
  notes: string[];
}

/** Values that pass the supervisor's checks; they only stand for "set". */
const PLACEHOLDERS: Record<string, string> = {
  CF_AI_GATEWAY_MODEL: "anthropic/claude-sonnet-4-5",
  TELEGRAM_DM_POLICY: "pairing",
  DISCORD_DM_POLICY: "pairing",
  CF_AI_GATEWAY_BASE_URL: "https://gateway.ai.cloudflare.com",
  ANTHROPIC_BASE_URL: "https://gateway.ai.cloudflare.com/v1/account/gateway/anthropic",
};

/** The container's environment for Worker-side names (contract/container-env.ts, CONTAINER_SECRET_<NAME> as <NAME>), placeholder values. */
export function containerEnvFor(workerNames: readonly string[]): Record<string, string> {
  const env: Record<string, string> = { OPENCLAW_GATEWAY_TOKEN: "placeholder" };
  for (const name of workerNames) {
    const renamed = RENAMED.find(([from]) => from === name)?.[1] ?? containerSecretName(name);
    const to = renamed ?? ((SAME_NAME as readonly string[]).includes(name) ? name : null);
    if (to) env[to] = PLACEHOLDERS[to] ?? "placeholder";
  }
  return env;
}

const FIX = "pass the openclaw.json your OpenClaw runs with (usually ~/.openclaw/openclaw.json), e.g. `--openclaw-config ./openclaw.json`";

/** Throws a UserError for a file OpenClaw would reject: not JSON5, not an object, a wrong type at a key it keeps. */
export function readOpenclawConfig(path: string, workerNames: readonly string[]): OpenclawConfigReading {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UserError(`cannot read --openclaw-config ${path}: ${(error as Error).message}`, FIX);
  }
  let value: unknown;
  try {
    value = parseJson5(text);
  } catch (error) {
    throw new UserError(
      `${path} is not valid JSON5 (${(error as Error).message}): OpenClaw would refuse it`,
      `fix the file (\`openclaw doctor\` names the problem too), then run again`,
    );
  }
  if (!isObject(value)) throw new UserError(`${path} must hold a JSON object: OpenClaw would refuse it`, FIX);
  const env = containerEnvFor(workerNames);
  const build = (extra: Record<string, string>) => buildConfig(value, { ...env, ...extra }, { gatewayPort: GATEWAY_PORT, openclawVersion: OPENCLAW_VERSION });
  const first = build({});
  if (first.ok) return { path, conflicts: first.conflicts, built: true, problems: [], notes: first.notes };
  // The file's own mistakes are refused; what depends on the inventory (an unset ${VAR}) is listed.
  const own = first.problems.filter((problem) => problem.startsWith(USER_KEY_PROBLEM));
  if (own.length) throw new UserError(`${path}: ${own.join("; ")}`, "fix those keys in the file, then run again");
  // Conflicts do not depend on which ${VAR}s are set: built again with the file's references set.
  const references = Object.fromEntries([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((match) => [match[1]!, "placeholder"]));
  const again = build(references);
  return { path, conflicts: again.ok ? again.conflicts : [], built: again.ok, problems: first.problems, notes: again.ok ? again.notes : [] };
}
