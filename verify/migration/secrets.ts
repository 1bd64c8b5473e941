/**
 * A secrets inventory — the names in a secret store, never their values — mapped onto the kit:
 * a Worker secret (`wrangler secret put`), an AI Gateway setting, a container-only secret, or not
 * needed on Cloudflare, each with why. Accepted forms: plain lines (NAME), a `KEY=value` env file
 * (values ignored and never kept), a JSON array of names, `wrangler secret list` JSON
 * ([{ "name": …, "type": "secret_text" }]) or a JSON object (keys are the names). Parameter-store
 * paths (/prod/openclaw/ANTHROPIC_API_KEY) count by their last segment.
 */
import { UserError } from "../../core/errors.ts";
import { CONTAINER_SECRET_PREFIX, containerSecretRefusal, RENAMED, SAME_NAME } from "../../contract/container-env.ts";
import { SECRET_NAMES, VARIABLE_NAMES } from "../../worker/src/manifest.ts";

export const SECRET_KINDS = ["Worker secret", "AI Gateway setting", "container-only secret", "not needed on Cloudflare"] as const;
export type SecretKind = (typeof SECRET_KINDS)[number];

export interface SecretMapping {
  /** The name as the inventory has it (a parameter-store path's last segment). */
  name: string;
  kind: SecretKind;
  /** The name to `wrangler secret put` (differs for aliases such as OPENCLAW_GATEWAY_TOKEN). */
  workerName: string | null;
  why: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Names whose values are secrets by convention; the supervisor's log masks the same suffixes. */
export const SECRET_LOOKING = /(TOKEN|KEY|SECRET|PASSWORD)$/i;

const FIX =
  "give one name per line (NAME, NAME=… or export NAME=…; values are ignored), a JSON array of names, or `npx wrangler secret list --format json` output";

/** The names in an inventory text; `source` names it in errors. A bad entry is named by its line, never by its content. */
export function parseInventory(text: string, source: string): string[] {
  const trimmed = text.trim();
  if (!trimmed) throw new UserError(`the secrets inventory ${source} is empty`, FIX);
  let raw: { name: string; where: string }[];
  if (trimmed.startsWith("[") || trimmed.startsWith("{")) {
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (error) {
      throw new UserError(`the secrets inventory ${source} looks like JSON but does not parse (${(error as Error).message})`, FIX);
    }
    if (Array.isArray(value)) {
      raw = value.map((entry, index) => {
        const name = typeof entry === "string" ? entry : typeof entry?.name === "string" ? entry.name : null;
        if (name === null) throw new UserError(`the secrets inventory ${source}: entry ${index + 1} is neither a name nor { "name": … }`, FIX);
        return { name, where: `entry ${index + 1}` };
      });
    } else {
      // An export with values ({ "NAME": "value" }): only the keys are used.
      raw = Object.keys(value as object).map((name, index) => ({ name, where: `key ${index + 1}` }));
    }
  } else {
    raw = [];
    text.split(/\r?\n/).forEach((line, index) => {
      const content = line.trim();
      if (!content || content.startsWith("#")) return;
      // NAME, NAME=value, export NAME=value: the value (after "=") is dropped here and never kept.
      const name = content
        .replace(/^export\s+/, "")
        .split("=")[0]!
        .trim();
      raw.push({ name, where: `line ${index + 1}` });
    });
  }
  const names = raw.map(({ name, where }) => {
    const last = name.split("/").filter(Boolean).at(-1) ?? "";
    if (!NAME.test(last)) throw new UserError(`the secrets inventory ${source}: ${where} is not a secret name (letters, digits and _)`, FIX);
    return last;
  });
  if (!names.length) throw new UserError(`the secrets inventory ${source} lists no names`, FIX);
  return [...new Set(names)];
}

/** The kit's Worker-side names, and which of them it treats as secret. */
const WORKER_NAMES: readonly string[] = VARIABLE_NAMES;
const WORKER_SECRETS: readonly string[] = SECRET_NAMES;

/** Names a moltworker or older deployment may use for what the kit reads under another name. */
const ALIASES: Record<string, { to: string; why: string }> = {
  OPENCLAW_GATEWAY_TOKEN: {
    to: "MOLTBOT_GATEWAY_TOKEN",
    why: "the gateway token: the Worker reads MOLTBOT_GATEWAY_TOKEN and passes it to the container as OPENCLAW_GATEWAY_TOKEN",
  },
  CLAWDBOT_GATEWAY_TOKEN: { to: "MOLTBOT_GATEWAY_TOKEN", why: "clawdbot-era name of the gateway token" },
  CF_AI_GATEWAY_TOKEN: { to: "CLOUDFLARE_AI_GATEWAY_API_KEY", why: "the key for requests through AI Gateway" },
};

/** AI Gateway's own parameters (where it is and which model), read by the Worker and passed on. */
const AI_GATEWAY_SETTINGS = new Set([
  "CF_AI_GATEWAY_ACCOUNT_ID",
  "CF_AI_GATEWAY_GATEWAY_ID",
  "CF_AI_GATEWAY_MODEL",
  "CF_AI_GATEWAY_BASE_URL",
  "AI_GATEWAY_BASE_URL",
]);

/** Provider keys the kit does not forward: behind AI Gateway they are stored in the gateway (BYOK), not in the Worker. */
const GATEWAY_PROVIDER_KEY =
  /^(GEMINI|GOOGLE|GOOGLE_GENERATIVE_AI|GOOGLE_AI_STUDIO|VERTEX|ZAI|Z_AI|ZHIPU|ZHIPUAI|GLM|MISTRAL|GROQ|OPENROUTER|XAI|GROK|DEEPSEEK|COHERE|PERPLEXITY|CEREBRAS|HUGGINGFACE|HF|REPLICATE|AZURE_OPENAI|BEDROCK|TOGETHER|FIREWORKS)_(API_)?(KEY|TOKEN)$/i;

/** Not needed on Cloudflare, each with why. First match wins. */
const NOT_NEEDED: ReadonlyArray<{ match: RegExp; why: string }> = [
  { match: /^LITELLM_/i, why: "AI Gateway replaces LiteLLM (item 0-5 maps each route); no proxy runs on Cloudflare" },
  { match: /^(DATABASE_URL|POSTGRES_\w+|REDIS_\w+)$/i, why: "LiteLLM's spend/budget database: AI Gateway keeps its own logs and limits" },
  { match: /^(KUBECONFIG|KUBE_\w+|K8S_\w+)$/i, why: "no Kubernetes: the Worker and its container replace the cluster" },
  { match: /^DOCKER_(HOST|TLS_VERIFY|CERT_PATH)$/i, why: "no Docker-in-Docker sidecar on Containers (item 0-3)" },
  {
    match: /^(AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|RESTIC_\w+|RCLONE_\w+|S3_\w+|BACKUP_\w+)$/i,
    why: "volume backups: the supervisor backs up to R2 with R2_ACCESS_KEY_ID / R2_SECRET_ACCESS_KEY or the bucket binding",
  },
  {
    match: /^(CLOUDFLARE_API_TOKEN|CF_API_TOKEN|CLOUDFLARE_ACCOUNT_ID)$/i,
    why: "a deploy credential for wrangler/Terraform: a CI secret, never a Worker secret (the Worker needs no API token)",
  },
  {
    match: /^(GHCR_TOKEN|DOCKERHUB_\w+|REGISTRY_\w+|CR_PAT)$/i,
    why: "image registry login for builds: `wrangler deploy` pushes the image to Cloudflare's registry; a CI secret at most",
  },
  {
    match: /^(TAILSCALE_\w+|TS_AUTHKEY|CLOUDFLARED_TOKEN|TUNNEL_TOKEN|INGRESS_\w+|BASIC_AUTH_\w+|OAUTH2_PROXY_\w+)$/i,
    why: "network access and login: Cloudflare Access (CF_ACCESS_TEAM_DOMAIN, CF_ACCESS_AUD) guards the Worker instead",
  },
  { match: /^MOLTLAB_/i, why: "moltlab's local Containers platform only; nothing on Cloudflare reads it" },
];

/** One name's place on Cloudflare. */
export function classifySecret(name: string): SecretMapping {
  const alias = ALIASES[name.toUpperCase()];
  if (alias) return { name, kind: "Worker secret", workerName: alias.to, why: `put it as ${alias.to}: ${alias.why}` };
  const notNeeded = NOT_NEEDED.find((rule) => rule.match.test(name));
  // MOLTLAB_PLATFORM_TOKEN is one of the Worker's secrets, but only for local runs.
  if (notNeeded) return { name, kind: "not needed on Cloudflare", workerName: null, why: notNeeded.why };
  if (AI_GATEWAY_SETTINGS.has(name)) {
    return {
      name,
      kind: "AI Gateway setting",
      workerName: name,
      why: `where AI Gateway is and which model: the Worker passes it to the container, which builds the AI Gateway provider (${containerName(name)})`,
    };
  }
  if (WORKER_SECRETS.includes(name)) {
    const to = containerName(name);
    return {
      name,
      kind: "Worker secret",
      workerName: name,
      why: to ? `the Worker passes it to the container${to === name ? "" : ` as ${to}`}` : "read by the Worker itself (never sent to the container)",
    };
  }
  if (WORKER_NAMES.includes(name)) {
    return {
      name,
      kind: "Worker secret",
      workerName: name,
      why: `a Worker setting, not secret in itself: \`wrangler secret put\` as moltworker does, or a var in worker/wrangler.jsonc`,
    };
  }
  if (GATEWAY_PROVIDER_KEY.test(name)) {
    return {
      name,
      kind: "AI Gateway setting",
      workerName: null,
      why: "a provider key the kit does not forward: store it in AI Gateway (provider keys / BYOK) and route that provider through the gateway",
    };
  }
  const refusal = containerSecretRefusal(name);
  if (refusal === null) {
    return {
      name,
      kind: "container-only secret",
      workerName: CONTAINER_SECRET_PREFIX + name,
      why: `read by tools in the container, not by OpenClaw's config or the Worker: put it as ${CONTAINER_SECRET_PREFIX}${name} and the Worker passes it to the container as ${name}`,
    };
  }
  return {
    name,
    kind: "container-only secret",
    workerName: null,
    why: `no way in under this name: ${refusal}. A secret: give it such a name and put it as ${CONTAINER_SECRET_PREFIX}<NAME>; not a secret: ENV in your --dockerfile`,
  };
}

/** The container-side name the Worker passes `name` under, or null when it stays in the Worker. */
function containerName(name: string): string | null {
  const renamed = RENAMED.find(([from]) => from === name);
  if (renamed) return renamed[1];
  return (SAME_NAME as readonly string[]).includes(name) ? name : null;
}

/** Names the kit needs whatever the inventory holds (moltworker's required set). */
export const REQUIRED_WORKER_SECRETS = ["MOLTBOT_GATEWAY_TOKEN", "CF_ACCESS_TEAM_DOMAIN", "CF_ACCESS_AUD"] as const;

/**
 * Secret-looking names the Worker passes to the container but does not treat as secret (so they
 * would be echoed where plain settings are): none may exist. Parameters for the test; the kit's
 * tables by default.
 */
export function forwardedButNotSecret(
  forwarded: readonly string[] = [...SAME_NAME, ...RENAMED.map(([from]) => from)],
  secrets: readonly string[] = SECRET_NAMES,
): string[] {
  return forwarded.filter((name) => SECRET_LOOKING.test(name) && !secrets.includes(name));
}

/**
 * A secret that would be a plain var: a name in the deployment's `vars` that the inventory lists
 * as a secret, that the kit treats as a secret, or that looks like one by its name. Values are
 * in the file and shown in the dashboard — refused, with the fix.
 */
export function secretsInVars(vars: Record<string, unknown> | undefined, inventory: readonly string[], where: string): void {
  const names = Object.keys(vars ?? {}).filter((name) => inventory.includes(name) || WORKER_SECRETS.includes(name) || SECRET_LOOKING.test(name));
  if (!names.length) return;
  throw new UserError(
    `${where} lists ${names.join(", ")} under vars: a secret there is a plain variable, its value in the file and in the dashboard`,
    `remove ${names.length > 1 ? "them" : "it"} from vars and run ${names.map((name) => `\`npx wrangler secret put ${name}\``).join(", ")} (the value is prompted for, never on the command line), then run again`,
  );
}
