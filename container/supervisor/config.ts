/**
 * openclaw.json from the environment: the restored file (if any) is patched, never blindly
 * replaced, so the user's own settings survive; the keys we own are rewritten every boot.
 *
 * Secrets never enter the file: it holds `${VAR}` references that OpenClaw substitutes from
 * its environment. The file is backed up to R2 and can be read by the agent's tools; the
 * values stay in the process environment.
 *
 * OpenClaw validates strictly (an unknown key or a bad value and the gateway refuses to
 * start), so we drop keys we know are stale and check what we wrote against a small schema
 * before starting anything.
 */
import { constants } from "node:fs";
import { lchown, lstat, mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { GATEWAY_BINDS, type GatewayBind, type EnvVars } from "./env.ts";
import type { GatewayUser } from "./gateway-user.ts";
import { parseJson5 } from "../../core/json5.ts";
import { replaceFileSafely } from "./safe-write.ts";
import { hasInsecureControlUiAuth, INSECURE_AUTH_RETIRED_IN } from "../../contract/openclaw.ts";
import { OPENCLAW_TELEGRAM_PATH, TELEGRAM_SECRET_SHAPE, TELEGRAM_WEBHOOK_PORT, TELEGRAM_WEBHOOK_ROUTE } from "../../contract/telegram.ts";

type Json = Record<string, unknown>;

export const DEFAULT_AI_GATEWAY_BASE_URL = "https://gateway.ai.cloudflare.com";
const AI_GATEWAY_PROVIDER_PREFIX = "cf-ai-gw-";

/**
 * OpenClaw npm-installs an "official external" provider plugin at every boot for any provider
 * whose API-key variable is set, whether or not the config uses it: CLOUDFLARE_AI_GATEWAY_API_KEY
 * pulls in @openclaw/cloudflare-ai-gateway-provider. Our AI Gateway provider is a plain
 * models.providers entry that needs no plugin, so the gateway gets the key under a name OpenClaw
 * does not know. Measured here: gateway ready in ~12 s instead of ~82 s (the install times out
 * offline); on Cloudflare it is a download of a plugin nobody uses on every cold start.
 * The user's own official `cloudflare-ai-gateway` provider keeps the original name (it needs the plugin).
 */
export const AI_GATEWAY_KEY = "CLOUDFLARE_AI_GATEWAY_API_KEY";
export const AI_GATEWAY_KEY_ALIAS = "MOLTWORKER_AI_GATEWAY_KEY";
const OFFICIAL_AI_GATEWAY_PROVIDER = "cloudflare-ai-gateway";
const DM_POLICIES = ["pairing", "allowlist", "open", "disabled"] as const;
const PROVIDER_APIS = ["anthropic-messages", "openai-completions"] as const;

/**
 * Keys that earlier tools (older moltworker scripts, clawdbot-era configs, guides) wrote and
 * that current OpenClaw rejects. Each is dropped with a log line naming it.
 */
const STALE_KEYS: ReadonlyArray<{ path: string; why: string }> = [
  { path: "gateway.token", why: "the token lives in gateway.auth.token" },
  { path: "channels.telegram.token", why: "Telegram's key is botToken" },
  { path: "heartbeat", why: "heartbeat is configured under agents.defaults.heartbeat" },
];

/**
 * The keys the supervisor writes into openclaw.json: the one list (the log, verify's migration
 * item and the README name these). `<provider>` stands for the provider part of
 * CF_AI_GATEWAY_MODEL. "every boot" keys replace the user's value; "when absent" keys keep it;
 * the others replace the user's value while their variables are set. A value the user had that
 * is replaced becomes a Conflict, logged at boot; nothing is overwritten silently.
 */
export interface OwnedKey {
  path: string;
  when: string;
  why: string;
}
export const OWNED_KEYS: readonly OwnedKey[] = [
  { path: "gateway.mode", when: "every boot", why: "the gateway runs as a local gateway behind the Worker" },
  { path: "gateway.port", when: "every boot", why: "the Worker proxies to this port (contract/ports.ts)" },
  { path: "gateway.bind", when: "every boot", why: "OPENCLAW_BIND (lan by default) so the Worker reaches it" },
  { path: "gateway.auth", when: "every boot", why: "token auth with ${OPENCLAW_GATEWAY_TOKEN} (the Worker's MOLTBOT_GATEWAY_TOKEN), which the Worker injects" },
  {
    path: "gateway.controlUi.allowInsecureAuth",
    when: "every boot",
    why: `on only in moltlab's dev mode on an OpenClaw that still has it (before ${INSECURE_AUTH_RETIRED_IN}), absent otherwise: a restored config cannot leave it on, and a current OpenClaw never has to migrate it away at boot`,
  },
  {
    path: "gateway.controlUi.allowedOrigins",
    when: "while WORKER_URL is set",
    why: "the Worker's origin added to yours: the Control UI's socket comes from it, through a Host that is not the Worker's off Cloudflare",
  },
  { path: "gateway.http.endpoints.chatCompletions.enabled", when: "every boot", why: "chat through the Worker's OpenAI-compatible route" },
  { path: "models.catalogRefresh.enabled", when: "every boot", why: "no catalog lookup at boot (cold start, offline runs)" },
  { path: "update.checkOnStart", when: "every boot", why: "no update check at boot; the image pins OpenClaw's version" },
  { path: "agents.defaults.heartbeat", when: "when absent", why: "no periodic model calls unless you configured them" },
  { path: "cron", when: "when absent", why: "no scheduled model calls unless you configured them" },
  { path: "models.providers.cf-ai-gw-<provider>", when: "while CF_AI_GATEWAY_* are set", why: "the AI Gateway provider built from CF_AI_GATEWAY_*" },
  { path: "agents.defaults.model.primary", when: "while CF_AI_GATEWAY_* are set", why: "the AI Gateway model is the primary model" },
  { path: "models.providers.anthropic", when: "while ANTHROPIC_BASE_URL is set", why: "moltworker's legacy gateway route (AI_GATEWAY_BASE_URL)" },
  {
    path: "channels.telegram",
    when: "while TELEGRAM_BOT_TOKEN is set",
    why: "replaced wholesale from TELEGRAM_* (OpenClaw rejects unknown keys, so nothing stale is merged): keep your policy with TELEGRAM_DM_POLICY and TELEGRAM_DM_ALLOW_FROM; TELEGRAM_WEBHOOK_SECRET with WORKER_URL switches it to webhooks through the Worker",
  },
  {
    path: "channels.discord",
    when: "while DISCORD_BOT_TOKEN is set",
    why: "replaced wholesale from DISCORD_* (OpenClaw rejects unknown keys): keep your policy with DISCORD_DM_POLICY and DISCORD_DM_ALLOW_FROM, and list the guild channels it answers in without a mention in DISCORD_GUILD_CHANNELS",
  },
  {
    path: "plugins.entries.discord.enabled",
    when: "while DISCORD_BOT_TOKEN is set",
    why: "Discord is the plugin @openclaw/discord (not bundled with OpenClaw; the image carries it): switched on for the channel",
  },
  { path: "channels.slack", when: "while SLACK_BOT_TOKEN and SLACK_APP_TOKEN are set", why: "replaced wholesale from SLACK_*" },
  {
    path: "hooks.enabled",
    when: "while OPENCLAW_HOOKS_TOKEN is set",
    why: "OpenClaw's inbound webhooks (POST /hooks/agent, /hooks/wake) on; through the Worker a call wakes a sleeping container",
  },
  { path: "hooks.token", when: "while OPENCLAW_HOOKS_TOKEN is set", why: "${OPENCLAW_HOOKS_TOKEN}, so the token stays a Worker secret, not a value in R2" },
  { path: "hooks.path", when: "when absent, while OPENCLAW_HOOKS_TOKEN is set", why: "/hooks, OpenClaw's documented path; yours is kept" },
];

/** The owned key a concrete path falls under (cf-ai-gw-anthropic → cf-ai-gw-<provider>). */
export function ownedKeyOf(path: string): OwnedKey | undefined {
  return OWNED_KEYS.find((key) => (key.path.endsWith("<provider>") ? path.startsWith(key.path.slice(0, -"<provider>".length)) : key.path === path));
}

/** A value of the user's that the supervisor replaced or removed. Secret-looking values are never shown. */
export interface Conflict {
  path: string;
  /** Theirs, shown (a literal secret as a placeholder). */
  theirs: string;
  /** What the supervisor wrote, or "(removed)". */
  ours: string;
  why: string;
}

export interface BuiltConfig {
  config: Json;
  /** What was changed in a restored config, for the log. */
  notes: string[];
  /** The user's values that owned keys (or stale-key removal) replaced: logged at boot, listed by verify. */
  conflicts: Conflict[];
  /** EnvVars names the config references as ${VAR}; the gateway's environment must have them. */
  references: string[];
  /** Whether the gateway sees CLOUDFLARE_AI_GATEWAY_API_KEY as AI_GATEWAY_KEY_ALIAS (see there). */
  aliasAiGatewayKey: boolean;
}

export type ConfigResult = ({ ok: true } & BuiltConfig) | { ok: false; problems: string[] };

export type ReadResult = { ok: true; config: Json | null } | { ok: false; problem: string };

/**
 * The existing openclaw.json, or null when there is none. A file we cannot read is an error,
 * never overwritten. A symbolic link is refused, not followed: the supervisor may run as root,
 * and the link (restored from a bucket, or left by the agent) could point anywhere.
 */
export async function readExistingConfig(path: string): Promise<ReadResult> {
  let text: string;
  try {
    const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      text = await handle.readFile("utf8");
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { ok: true, config: null };
    if (code === "ELOOP") return { ok: false, problem: `${path} is a symbolic link; refusing to follow it: replace it with the file itself` };
    return { ok: false, problem: `cannot read ${path}: ${(error as Error).message}` };
  }
  if (!text.trim()) return { ok: true, config: null };
  try {
    const value = parseJson5(text);
    if (!isObject(value)) return { ok: false, problem: `${path} must hold a JSON object, found ${Array.isArray(value) ? "an array" : typeof value}` };
    return { ok: true, config: value };
  } catch (error) {
    return { ok: false, problem: `${path} is not valid JSON5 (${(error as Error).message}); fix or remove it — it was left untouched` };
  }
}

/**
 * Atomic: OpenClaw hot-reloads the file, and a crash mid-write must not leave half a config.
 * Written as safe-write.ts writes restored files (a fresh temp file that cannot be a link,
 * owned by the gateway user, renamed over the old name), since the supervisor may be root.
 */
export async function writeConfig(path: string, config: Json, owner: GatewayUser | null = null): Promise<void> {
  const dir = dirname(path);
  if (!(await lstat(dir).catch(() => null))) {
    await mkdir(dir, { recursive: true });
    if (owner) await lchown(dir, owner.uid, owner.gid);
  }
  await replaceFileSafely(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600, ...(owner ? { owner } : {}) });
}

export interface BuildOptions {
  gatewayPort: number;
  gatewayBind?: GatewayBind;
  /** The image's OpenClaw version (its tools.json); undefined when unknown, which counts as current. */
  openclawVersion?: string;
}

export function buildConfig(existing: Json | null, env: EnvVars, options: BuildOptions): ConfigResult {
  const problems: string[] = [];
  const notes: string[] = [];
  const conflicts: Conflict[] = [];
  const config: Json = existing ? structuredClone(existing) : {};
  const set = (name: string) => Boolean(env[name]?.trim());
  const value = (name: string) => env[name]?.trim() ?? "";
  // Every owned path this boot writes; compared with the user's file once the config is built.
  const claimed = new Set<string>();
  const claim = (path: string) => {
    if (!ownedKeyOf(path)) throw new Error(`config.ts writes ${path}, which OWNED_KEYS does not list`);
    claimed.add(path);
  };

  for (const { path, why } of STALE_KEYS) {
    const old = getPath(config, path);
    if (deletePath(config, path)) {
      notes.push(`dropped stale key ${path} (${why})`);
      conflicts.push({ path, theirs: shown(old, path), ours: "(removed)", why: `current OpenClaw rejects it: ${why}` });
    }
  }
  for (const path of ["gateway.mode", "gateway.port", "gateway.bind", "gateway.auth", "gateway.controlUi.allowInsecureAuth"]) claim(path);
  for (const path of ["gateway.http.endpoints.chatCompletions.enabled", "models.catalogRefresh.enabled", "update.checkOnStart"]) claim(path);
  // Owned only when absent: the user's own value is kept (and checked as theirs).
  for (const path of ["agents.defaults.heartbeat", "cron"]) if (getPath(existing ?? {}, path) === undefined) claim(path);

  // Gateway: ours, every boot.
  const gateway = objectAt(config, "gateway");
  gateway.mode = "local";
  gateway.port = options.gatewayPort;
  gateway.bind = options.gatewayBind ?? "lan";
  gateway.auth = { mode: "token", token: "${OPENCLAW_GATEWAY_TOKEN}" };
  applyInsecureAuth(gateway, env, options.openclawVersion, notes);
  objectAt(objectAt(objectAt(gateway, "http"), "endpoints"), "chatCompletions").enabled = true;

  // Offline: no catalog or update lookups; no periodic model calls unless the user configured them.
  objectAt(objectAt(config, "models"), "catalogRefresh").enabled = false;
  objectAt(config, "update").checkOnStart = false;
  const defaults = objectAt(objectAt(config, "agents"), "defaults");
  if (defaults.heartbeat === undefined) defaults.heartbeat = { every: "0m" };
  if (config.cron === undefined) config.cron = { enabled: false };

  applyAiGateway(config, env, problems, notes, claim);
  applyDirectAnthropic(config, env, notes, claim);
  applyWorkerOrigin(config, env, problems, claim);
  applyChannels(config, env, problems, notes, set, value, claim);
  applyHooks(config, env, problems, notes, claim);
  const aliasAiGatewayKey = !usesOfficialAiGatewayProvider(config);
  if (aliasAiGatewayKey) aliasReferences(config, AI_GATEWAY_KEY, AI_GATEWAY_KEY_ALIAS, notes);

  if (problems.length) return { ok: false, problems };
  const references = [...collectReferences(config)].sort();
  const provided = (name: string) =>
    set(name) || (name === "OPENCLAW_GATEWAY_TOKEN" && set("MOLTBOT_GATEWAY_TOKEN")) || (name === AI_GATEWAY_KEY_ALIAS && set(AI_GATEWAY_KEY));
  for (const name of references.filter((name) => !provided(name))) {
    const shown = name === AI_GATEWAY_KEY_ALIAS ? AI_GATEWAY_KEY : name;
    problems.push(`openclaw.json references \${${name}} but ${shown} is not set`);
  }
  problems.push(...validateOurKeys(config));
  if (existing) problems.push(...validateUserKeys(existing, claimed));
  if (existing) {
    for (const conflict of [...claimed].flatMap((path) => conflictsAt(existing, config, path))) {
      // A non-object parent (gateway: "x") is found once per owned key below it: reported once.
      if (!conflicts.some((known) => known.path === conflict.path)) conflicts.push(conflict);
    }
  }
  return problems.length ? { ok: false, problems } : { ok: true, config, notes, conflicts, references, aliasAiGatewayKey };
}

/** Does the config select OpenClaw's own Cloudflare AI Gateway provider (the plugin's)? */
function usesOfficialAiGatewayProvider(config: Json): boolean {
  const providers = getPath(config, "models.providers");
  const primary = getPath(config, "agents.defaults.model.primary");
  return (
    (isObject(providers) && OFFICIAL_AI_GATEWAY_PROVIDER in providers) ||
    (typeof primary === "string" && primary.startsWith(`${OFFICIAL_AI_GATEWAY_PROVIDER}/`))
  );
}

/** Rewrites every `${from}` in the config's strings to `${to}`; a note when the user's own keys had it. */
function aliasReferences(config: Json, from: string, to: string, notes: string[]): void {
  const needle = `\${${from}}`;
  const rewritten: string[] = [];
  const walk = (node: unknown, path: string): unknown => {
    if (typeof node === "string") {
      if (!node.includes(needle)) return node;
      rewritten.push(path);
      return node.replaceAll(needle, `\${${to}}`);
    }
    if (Array.isArray(node)) return node.map((item, index) => walk(item, `${path}[${index}]`));
    if (isObject(node)) {
      for (const [key, item] of Object.entries(node)) node[key] = walk(item, path ? `${path}.${key}` : key);
      return node;
    }
    return node;
  };
  walk(config, "");
  const ours = (path: string) => path.startsWith(`models.providers.${AI_GATEWAY_PROVIDER_PREFIX}`);
  const users = rewritten.filter((path) => !ours(path));
  if (users.length) notes.push(`\${${from}} in ${users.join(", ")} now reads \${${to}} (same value; keeps OpenClaw from installing its AI Gateway plugin)`);
}

/**
 * moltworker's DEV_MODE turns on OpenClaw's insecure Control UI login. Only an OpenClaw that still
 * has the key gets it, and only in dev mode; otherwise the key is removed, so a dev-mode run cannot
 * leave it on in a restored config. Were it written as `false`, as it once was, a current OpenClaw
 * would call every boot's config invalid and migrate it away (the conflict log says when a
 * restored value goes).
 */
function applyInsecureAuth(gateway: Json, env: EnvVars, version: string | undefined, notes: string[]): void {
  const devMode = isTrue(env.OPENCLAW_DEV_MODE);
  if (devMode && hasInsecureControlUiAuth(version)) {
    objectAt(gateway, "controlUi").allowInsecureAuth = true;
    return;
  }
  if (isObject(gateway.controlUi)) delete gateway.controlUi.allowInsecureAuth;
  if (devMode)
    notes.push(
      `dev mode: no insecure Control UI login, since OpenClaw ${version ?? "(version unknown)"} has none (retired in ${INSECURE_AUTH_RETIRED_IN}); open the Control UI on localhost, where the browser gives it a device identity`,
    );
}

/** CF_AI_GATEWAY_* → models.providers["cf-ai-gw-<provider>"] and the primary model. */
function applyAiGateway(config: Json, env: EnvVars, problems: string[], notes: string[], claim: (path: string) => void): void {
  const names = ["CF_AI_GATEWAY_ACCOUNT_ID", "CF_AI_GATEWAY_GATEWAY_ID", "CF_AI_GATEWAY_MODEL", "CLOUDFLARE_AI_GATEWAY_API_KEY"];
  const given = names.filter((name) => env[name]?.trim());
  let keep: string | undefined;
  if (given.length === names.length) {
    const spec = env.CF_AI_GATEWAY_MODEL!.trim();
    const slash = spec.indexOf("/");
    const provider = slash > 0 ? spec.slice(0, slash) : "";
    const modelId = slash > 0 ? spec.slice(slash + 1) : "";
    if (!/^[a-z0-9][a-z0-9-]*$/.test(provider) || !modelId) {
      problems.push(`CF_AI_GATEWAY_MODEL must be provider/model (e.g. anthropic/claude-sonnet-4-5), got "${spec}"`);
      return;
    }
    const base = (env.CF_AI_GATEWAY_BASE_URL?.trim() || DEFAULT_AI_GATEWAY_BASE_URL).replace(/\/+$/, "");
    const account = encodeURIComponent(env.CF_AI_GATEWAY_ACCOUNT_ID!.trim());
    const gatewayId = encodeURIComponent(env.CF_AI_GATEWAY_GATEWAY_ID!.trim());
    const anthropic = provider === "anthropic";
    // Workers AI's OpenAI-compatible routes sit under …/workers-ai/v1 (unverified against OpenClaw).
    const suffix = provider === "workers-ai" ? "/v1" : "";
    keep = AI_GATEWAY_PROVIDER_PREFIX + provider;
    claim(`models.providers.${keep}`);
    claim("agents.defaults.model.primary");
    objectAt(objectAt(config, "models"), "providers")[keep] = {
      baseUrl: `${base}/v1/${account}/${gatewayId}/${provider}${suffix}`,
      api: anthropic ? "anthropic-messages" : "openai-completions",
      apiKey: "${CLOUDFLARE_AI_GATEWAY_API_KEY}", // buildConfig renames it (AI_GATEWAY_KEY_ALIAS)
      models: [
        {
          id: modelId,
          name: modelId,
          contextWindow: positiveInt(env.CF_AI_GATEWAY_CONTEXT_WINDOW, anthropic ? 200_000 : 128_000),
          maxTokens: positiveInt(env.CF_AI_GATEWAY_MAX_TOKENS, 8192),
        },
      ],
    };
    objectAt(objectAt(objectAt(config, "agents"), "defaults"), "model").primary = `${keep}/${modelId}`;
  } else if (given.length > 0) {
    problems.push(`AI Gateway is partly configured: missing ${names.filter((name) => !given.includes(name)).join(", ")}`);
    return;
  }
  // Providers in our namespace from an earlier boot point at variables that may be gone now.
  const providers = getPath(config, "models.providers");
  const model = getPath(config, "agents.defaults.model");
  if (!isObject(providers)) return;
  for (const id of Object.keys(providers)) {
    if (id.startsWith(AI_GATEWAY_PROVIDER_PREFIX) && id !== keep) {
      delete providers[id];
      notes.push(`removed provider ${id} (no longer configured by CF_AI_GATEWAY_*)`);
      if (isObject(model) && typeof model.primary === "string" && model.primary.startsWith(`${id}/`)) {
        delete model.primary;
        notes.push(`removed agents.defaults.model.primary, which used ${id}`);
      }
    }
  }
}

/**
 * WORKER_URL → its origin among the Control UI's allowed origins. OpenClaw accepts the Control
 * UI's socket from a remote client only when its Origin is the request's Host or listed. On
 * Cloudflare the container sees the Worker's own host (getTcpPort().fetch keeps the URL), so the
 * two match; on a local bridge network the Host is the published port's, so the origin is listed.
 * Added to the user's list, never replacing it.
 */
function applyWorkerOrigin(config: Json, env: EnvVars, problems: string[], claim: (path: string) => void): void {
  const url = env.WORKER_URL?.trim();
  if (!url) return;
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    problems.push(`WORKER_URL is not a URL: "${url}" (set it to the Worker's address, e.g. https://moltbot.example.workers.dev)`);
    return;
  }
  const controlUi = objectAt(objectAt(config, "gateway"), "controlUi");
  const listed = Array.isArray(controlUi.allowedOrigins) ? controlUi.allowedOrigins.filter((entry) => typeof entry === "string") : [];
  if (listed.includes(origin)) return;
  claim("gateway.controlUi.allowedOrigins");
  controlUi.allowedOrigins = [...listed, origin];
}

/** What hooks.token holds while OPENCLAW_HOOKS_TOKEN is set. */
const HOOKS_TOKEN_REFERENCE = "${OPENCLAW_HOOKS_TOKEN}";

/**
 * OPENCLAW_HOOKS_TOKEN → OpenClaw's inbound webhooks on (`hooks`), with the token as a reference. The
 * rest of the user's `hooks` (mappings, allowed agents, their path) is kept. Once the variable is
 * unset, a config that still refers to it is switched off, not refused: the reference would stop the boot.
 */
function applyHooks(config: Json, env: EnvVars, problems: string[], notes: string[], claim: (path: string) => void): void {
  const token = env.OPENCLAW_HOOKS_TOKEN?.trim();
  const hooks = getPath(config, "hooks");
  if (!token) {
    if (isObject(hooks) && hooks.token === HOOKS_TOKEN_REFERENCE) {
      claim("hooks.enabled");
      claim("hooks.token");
      hooks.enabled = false;
      delete hooks.token;
      notes.push("switched hooks off (OPENCLAW_HOOKS_TOKEN is no longer set)");
    }
    return;
  }
  const gatewayToken = (env.OPENCLAW_GATEWAY_TOKEN ?? env.MOLTBOT_GATEWAY_TOKEN)?.trim();
  if (token === gatewayToken) {
    problems.push("OPENCLAW_HOOKS_TOKEN must differ from the gateway token: a hook caller must not get the gateway's access (set a token of its own)");
    return;
  }
  const own = objectAt(config, "hooks");
  claim("hooks.enabled");
  claim("hooks.token");
  own.enabled = true;
  own.token = HOOKS_TOKEN_REFERENCE;
  if (own.path === undefined) {
    claim("hooks.path");
    own.path = "/hooks";
  }
}

/** ANTHROPIC_BASE_URL (moltworker's legacy gateway route) → the anthropic provider's base URL. */
function applyDirectAnthropic(config: Json, env: EnvVars, notes: string[], claim: (path: string) => void): void {
  const providers = getPath(config, "models.providers");
  if (env.ANTHROPIC_BASE_URL?.trim()) {
    claim("models.providers.anthropic");
    objectAt(objectAt(config, "models"), "providers").anthropic = {
      baseUrl: "${ANTHROPIC_BASE_URL}",
      api: "anthropic-messages",
      ...(env.ANTHROPIC_API_KEY?.trim() ? { apiKey: "${ANTHROPIC_API_KEY}" } : {}),
    };
  } else if (isObject(providers) && isObject(providers.anthropic) && providers.anthropic.baseUrl === "${ANTHROPIC_BASE_URL}") {
    delete providers.anthropic;
    notes.push("removed provider anthropic (ANTHROPIC_BASE_URL is no longer set)");
  }
  // ANTHROPIC_API_KEY and OPENAI_API_KEY alone need no config: OpenClaw's built-in providers read them from the environment.
}

/**
 * TELEGRAM_WEBHOOK_SECRET (with WORKER_URL): Telegram posts to the Worker's route, which wakes a
 * sleeping container and hands the update to OpenClaw's listener (contract/telegram.ts).
 * OpenClaw calls setWebhook itself with this URL and secret. The listener binds every interface:
 * the Worker reaches it from outside the container, as it reaches the gateway.
 */
function telegramWebhook(value: (name: string) => string, set: (name: string) => boolean, problems: string[]): Json {
  if (!set("TELEGRAM_WEBHOOK_SECRET")) return {};
  if (!TELEGRAM_SECRET_SHAPE.test(value("TELEGRAM_WEBHOOK_SECRET"))) {
    problems.push("TELEGRAM_WEBHOOK_SECRET must be 1-256 of A-Z a-z 0-9 _ - (Telegram refuses other secret tokens)");
    return {};
  }
  let url: string;
  try {
    url = new URL(TELEGRAM_WEBHOOK_ROUTE, value("WORKER_URL")).toString();
  } catch {
    problems.push("TELEGRAM_WEBHOOK_SECRET needs WORKER_URL, the Worker's address that Telegram posts updates to");
    return {};
  }
  return {
    webhookUrl: url,
    webhookSecret: "${TELEGRAM_WEBHOOK_SECRET}",
    webhookHost: "0.0.0.0",
    webhookPort: TELEGRAM_WEBHOOK_PORT,
    webhookPath: OPENCLAW_TELEGRAM_PATH,
  };
}

/**
 * Channels are replaced wholesale when their env is set: OpenClaw rejects unknown keys, so
 * merging into a stale object could carry an invalid key along. A channel we wrote earlier
 * whose token variable is now unset is removed (its ${VAR} would not resolve).
 */
function applyChannels(
  config: Json,
  _env: EnvVars,
  problems: string[],
  notes: string[],
  set: (name: string) => boolean,
  value: (name: string) => string,
  claim: (path: string) => void,
): void {
  const channels = objectAt(config, "channels");
  const dm = (prefix: string) => {
    const policy = value(`${prefix}_DM_POLICY`) || "pairing";
    if (!(DM_POLICIES as readonly string[]).includes(policy)) problems.push(`${prefix}_DM_POLICY must be one of ${DM_POLICIES.join(", ")}, got "${policy}"`);
    const listed = value(`${prefix}_DM_ALLOW_FROM`)
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    // An open DM policy needs the explicit wildcard in OpenClaw.
    const allowFrom = listed.length ? listed : policy === "open" ? ["*"] : undefined;
    return { policy, allowFrom };
  };
  const wroteEarlier = (name: string, key: string, variable: string) => isObject(channels[name]) && channels[name][key] === `\${${variable}}`;

  if (set("TELEGRAM_BOT_TOKEN")) {
    claim("channels.telegram");
    const { policy, allowFrom } = dm("TELEGRAM");
    channels.telegram = {
      enabled: true,
      botToken: "${TELEGRAM_BOT_TOKEN}",
      dmPolicy: policy,
      ...(allowFrom ? { allowFrom } : {}),
      ...(set("TELEGRAM_API_ROOT") ? { apiRoot: value("TELEGRAM_API_ROOT") } : {}),
      ...telegramWebhook(value, set, problems),
    };
  } else if (wroteEarlier("telegram", "botToken", "TELEGRAM_BOT_TOKEN")) {
    delete channels.telegram;
    notes.push("removed channels.telegram (TELEGRAM_BOT_TOKEN is no longer set)");
  }

  if (set("DISCORD_BOT_TOKEN")) {
    claim("channels.discord");
    const { policy, allowFrom } = dm("DISCORD");
    const guilds = discordGuilds(value("DISCORD_GUILD_CHANNELS"), allowFrom, problems);
    // OpenClaw 2026.9.6's Discord schema: dmPolicy and allowFrom at the top (a `dm.policy` is
    // rejected: dm takes only enabled, groupEnabled, groupChannels). Without guilds, OpenClaw's
    // own guild default stays (groupPolicy allowlist: no guild is answered).
    channels.discord = {
      enabled: true,
      token: "${DISCORD_BOT_TOKEN}",
      dmPolicy: policy,
      ...(allowFrom ? { allowFrom } : {}),
      ...(guilds ? { groupPolicy: "allowlist", guilds } : {}),
    };
    claim("plugins.entries.discord.enabled");
    objectAt(objectAt(objectAt(config, "plugins"), "entries"), "discord").enabled = true;
  } else if (wroteEarlier("discord", "token", "DISCORD_BOT_TOKEN")) {
    delete channels.discord;
    notes.push("removed channels.discord (DISCORD_BOT_TOKEN is no longer set)");
  }

  if (set("SLACK_BOT_TOKEN") || set("SLACK_APP_TOKEN")) {
    if (!set("SLACK_BOT_TOKEN") || !set("SLACK_APP_TOKEN")) {
      problems.push(`Slack needs both SLACK_BOT_TOKEN and SLACK_APP_TOKEN: missing ${set("SLACK_BOT_TOKEN") ? "SLACK_APP_TOKEN" : "SLACK_BOT_TOKEN"}`);
    } else {
      claim("channels.slack");
      channels.slack = { enabled: true, botToken: "${SLACK_BOT_TOKEN}", appToken: "${SLACK_APP_TOKEN}" };
    }
  } else if (wroteEarlier("slack", "botToken", "SLACK_BOT_TOKEN")) {
    delete channels.slack;
    notes.push("removed channels.slack (SLACK_BOT_TOKEN is no longer set)");
  }
  if (Object.keys(channels).length === 0) delete config.channels;
}

/**
 * DISCORD_GUILD_CHANNELS (`<guild id>/<channel id>`, comma-separated) → channels.discord.guilds:
 * those channels answered without a mention (OpenClaw's guild default needs one), and no other
 * channel of those guilds (a guild with a `channels` map is an allow-list). With an allow-list of
 * people (DISCORD_DM_ALLOW_FROM, not "*"), only they are answered there too. Ids only: names would
 * make OpenClaw resolve them over REST at every start.
 */
function discordGuilds(text: string, allowFrom: string[] | undefined, problems: string[]): Json | undefined {
  const pairs = text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (!pairs.length) return undefined;
  const guilds: Json = {};
  for (const pair of pairs) {
    const match = /^(\d{1,20})\/(\d{1,20})$/.exec(pair);
    if (!match) {
      problems.push(`DISCORD_GUILD_CHANNELS takes <guild id>/<channel id> pairs of Discord ids, comma-separated; got "${pair}"`);
      continue;
    }
    const users = allowFrom && !allowFrom.includes("*") ? { users: allowFrom } : {};
    guilds[match[1]!] ??= { requireMention: false, ...users, channels: {} };
    const guild = guilds[match[1]!] as { channels: Json };
    guild.channels[match[2]!] = { enabled: true, requireMention: false };
  }
  return guilds;
}

// --- the schema of the keys we write -----------------------------------------------------

type Check = (value: unknown) => string | undefined;
const bool: Check = (v) => (typeof v === "boolean" ? undefined : "must be a boolean");
const nonEmpty: Check = (v) => (typeof v === "string" && v.length > 0 ? undefined : "must be a non-empty string");
const oneOf =
  (...allowed: readonly unknown[]): Check =>
  (v) =>
    allowed.includes(v) ? undefined : `must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`;
const port: Check = (v) => (Number.isInteger(v) && (v as number) > 0 && (v as number) < 65536 ? undefined : "must be a port number");
const posInt: Check = (v) => (Number.isInteger(v) && (v as number) > 0 ? undefined : "must be a positive integer");
const url: Check = (v) => {
  if (typeof v !== "string") return "must be a URL string";
  if (/^\$\{[A-Z0-9_]+\}$/.test(v)) return undefined;
  return /^https?:\/\/[^\s/]+/.test(v) ? undefined : `must be an http(s) URL, got "${v}"`;
};
const strings: Check = (v) => (Array.isArray(v) && v.every((s) => typeof s === "string" && s.length > 0) ? undefined : "must be a list of non-empty strings");

const GATEWAY_CHECKS: Record<string, Check> = {
  "gateway.mode": oneOf("local"),
  "gateway.port": port,
  "gateway.bind": oneOf(...GATEWAY_BINDS),
  "gateway.auth.mode": oneOf("token"),
  "gateway.auth.token": nonEmpty,
  "gateway.controlUi.allowInsecureAuth": (v) => (v === undefined ? undefined : bool(v)),
  "gateway.http.endpoints.chatCompletions.enabled": bool,
  "models.catalogRefresh.enabled": bool,
  "update.checkOnStart": bool,
};

/** Exact key sets of the objects we generate, so a typo in this file fails here, not in OpenClaw. */
const CHANNEL_SHAPES: Record<string, Record<string, { check: Check; optional?: boolean }>> = {
  telegram: {
    enabled: { check: bool },
    botToken: { check: nonEmpty },
    dmPolicy: { check: oneOf(...DM_POLICIES) },
    allowFrom: { check: strings, optional: true },
    apiRoot: { check: url, optional: true },
    webhookUrl: { check: url, optional: true },
    webhookSecret: { check: nonEmpty, optional: true },
    webhookHost: { check: nonEmpty, optional: true },
    webhookPort: { check: port, optional: true },
    webhookPath: { check: (v) => (typeof v === "string" && v.startsWith("/") ? undefined : 'must be a path starting with "/"'), optional: true },
  },
  discord: {
    enabled: { check: bool },
    token: { check: nonEmpty },
    dmPolicy: { check: oneOf(...DM_POLICIES) },
    allowFrom: { check: strings, optional: true },
    groupPolicy: { check: oneOf("allowlist"), optional: true },
    guilds: {
      check: (v) =>
        isObject(v)
          ? Object.entries(v)
              .map(([id, guild]) =>
                prefixed(
                  `.${id}`,
                  checkShape(guild, {
                    requireMention: { check: bool },
                    users: { check: strings, optional: true },
                    channels: {
                      check: (c) =>
                        isObject(c)
                          ? Object.entries(c)
                              .map(([cid, channel]) => prefixed(`.${cid}`, checkShape(channel, { enabled: { check: bool }, requireMention: { check: bool } })))
                              .find(Boolean)
                          : "must be an object",
                    },
                  }),
                ),
              )
              .find(Boolean)
          : "must be an object",
      optional: true,
    },
  },
  slack: { enabled: { check: bool }, botToken: { check: nonEmpty }, appToken: { check: nonEmpty } },
};

const MODEL_SHAPE = { id: { check: nonEmpty }, name: { check: nonEmpty }, contextWindow: { check: posInt }, maxTokens: { check: posInt } };
const PROVIDER_SHAPE = {
  baseUrl: { check: url },
  api: { check: oneOf(...PROVIDER_APIS) },
  apiKey: { check: nonEmpty, optional: true },
  models: {
    check: (v: unknown) => (Array.isArray(v) ? v.map((m, i) => prefixed(`[${i}]`, checkShape(m, MODEL_SHAPE))).find(Boolean) : "must be a list"),
    optional: true,
  },
};

export function validateOurKeys(config: Json): string[] {
  const problems: string[] = [];
  for (const [path, check] of Object.entries(GATEWAY_CHECKS)) {
    const problem = check(getPath(config, path));
    if (problem) problems.push(`${path} ${problem}`);
  }
  const providers = getPath(config, "models.providers");
  if (isObject(providers)) {
    for (const [id, provider] of Object.entries(providers)) {
      if (!id.startsWith(AI_GATEWAY_PROVIDER_PREFIX) && !(id === "anthropic" && isObject(provider) && provider.baseUrl === "${ANTHROPIC_BASE_URL}")) continue;
      const problem = checkShape(provider, PROVIDER_SHAPE);
      if (problem) problems.push(`models.providers.${id}${problem.startsWith("[") || problem.startsWith(".") ? "" : " "}${problem}`);
    }
  }
  const channels = getPath(config, "channels");
  if (isObject(channels)) {
    for (const [name, shape] of Object.entries(CHANNEL_SHAPES)) {
      const channel = channels[name];
      const ours = isObject(channel) && Object.values(channel).some((v) => typeof v === "string" && /^\$\{(TELEGRAM|DISCORD|SLACK)_/.test(v));
      if (!ours) continue;
      const problem = checkShape(channel, shape);
      if (problem) problems.push(`channels.${name}${problem.startsWith(".") ? "" : " "}${problem}`);
    }
  }
  return problems;
}

function checkShape(value: unknown, shape: Record<string, { check: Check; optional?: boolean }>): string | undefined {
  if (!isObject(value)) return "must be an object";
  for (const key of Object.keys(value)) if (!(key in shape)) return `.${key} is not a key OpenClaw accepts here`;
  for (const [key, { check, optional }] of Object.entries(shape)) {
    if (value[key] === undefined) {
      if (!optional) return `.${key} is missing`;
      continue;
    }
    const problem = check(value[key]);
    if (problem) return `.${key}${problem.startsWith(".") || problem.startsWith("[") ? "" : " "}${problem}`;
  }
  return undefined;
}

function prefixed(prefix: string, problem: string | undefined): string | undefined {
  return problem === undefined ? undefined : `${prefix}${problem.startsWith(".") ? "" : " "}${problem}`;
}

// --- the user's own keys -----------------------------------------------------------------

/**
 * Types of the keys the supervisor keeps from the user's file and OpenClaw checks strictly: a
 * wrong type there would make the gateway refuse to start, so it is refused here, with the key
 * named. Types only: OpenClaw's own schema has many more values than this kit should second-guess.
 */
const anObject: Check = (v) => (isObject(v) ? undefined : "must be an object");
const aString: Check = (v) => (typeof v === "string" ? undefined : "must be a string");
const USER_KEY_CHECKS: ReadonlyArray<{ path: string; check: Check }> = [
  ...["gateway", "models", "agents", "agents.defaults", "channels", "tools", "browser", "plugins", "update", "cron"].map((path) => ({ path, check: anObject })),
  { path: "cron.enabled", check: bool },
  { path: "agents.defaults.workspace", check: aString },
  { path: "agents.defaults.heartbeat", check: anObject },
  { path: "agents.defaults.heartbeat.every", check: aString },
  { path: "agents.defaults.model", check: (v) => (typeof v === "string" || isObject(v) ? undefined : "must be a string or an object") },
  { path: "agents.defaults.model.primary", check: aString },
  { path: "agents.defaults.model.fallbacks", check: strings },
  { path: "models.providers", check: anObject },
];
/** Per provider / channel in the user's file. */
const PROVIDER_KEY_CHECKS: Record<string, Check> = {
  baseUrl: aString,
  apiKey: aString,
  api: aString,
  models: (v) => (Array.isArray(v) ? undefined : "must be a list"),
};

/** How each problem of validateUserKeys starts: the user's own file is at fault, not the environment. */
export const USER_KEY_PROBLEM = "your openclaw.json's ";

/** Problems in the user's file at keys not replaced this boot (replaced ones are Conflicts, not errors). */
export function validateUserKeys(existing: Json, claimed: ReadonlySet<string> = new Set()): string[] {
  const replaced = (path: string) => [...claimed].some((owned) => owned === path || path.startsWith(`${owned}.`) || owned.startsWith(`${path}.`));
  const problems: string[] = [];
  const report = (path: string, value: unknown, problem: string | undefined) => {
    if (problem && !replaced(path))
      problems.push(`${USER_KEY_PROBLEM}${path} ${problem}, found ${describe(value)} — OpenClaw would refuse to start; fix it in the file`);
  };
  for (const { path, check } of USER_KEY_CHECKS) {
    const value = getPath(existing, path);
    if (value !== undefined && parentsAreObjects(existing, path)) report(path, value, check(value));
  }
  for (const group of ["models.providers", "channels"]) {
    const entries = getPath(existing, group);
    if (!isObject(entries)) continue;
    for (const [id, entry] of Object.entries(entries)) {
      const path = `${group}.${id}`;
      if (!isObject(entry)) {
        report(path, entry, "must be an object");
        continue;
      }
      const checks: Record<string, Check> = group === "channels" ? { enabled: bool } : PROVIDER_KEY_CHECKS;
      for (const [key, check] of Object.entries(checks)) if (entry[key] !== undefined) report(`${path}.${key}`, entry[key], check(entry[key]));
    }
  }
  return problems;
}

function parentsAreObjects(root: Json, path: string): boolean {
  const parts = path.split(".");
  return parts.slice(0, -1).every((_, index) => isObject(getPath(root, parts.slice(0, index + 1).join("."))));
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (value === null) return "null";
  if (typeof value === "string") return `a string`;
  return typeof value === "object" ? "an object" : `${typeof value} ${String(value)}`;
}

// --- conflicts ---------------------------------------------------------------------------

/** Key names whose literal values are secrets: shown as a placeholder, never printed. */
const SECRET_KEY = /(token|key|secret|password)$/i;
const REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/;

/** A value for the log and the report: JSON, ≤80 characters, literal secrets (by key name) hidden. */
export function shown(value: unknown, path: string): string {
  const hide = (node: unknown, key: string): unknown => {
    if (typeof node === "string") return SECRET_KEY.test(key) && !REFERENCE.test(node) ? "(a literal secret, not shown)" : node;
    if (Array.isArray(node)) return node.map((item) => hide(item, key));
    if (isObject(node)) return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, hide(v, k)]));
    return node;
  };
  const text = JSON.stringify(hide(value, path.split(".").at(-1) ?? "")) ?? "undefined";
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

/** The user's values under (or above) an owned path that the built config no longer has. */
function conflictsAt(existing: Json, config: Json, path: string): Conflict[] {
  const why = ownedKeyOf(path)!.why;
  const parts = path.split(".");
  // A non-object where the owned key's parents should be (gateway: "x") was replaced by an object.
  for (let index = 1; index < parts.length; index++) {
    const prefix = parts.slice(0, index).join(".");
    const theirs = getPath(existing, prefix);
    if (theirs === undefined) return [];
    if (!isObject(theirs)) return [{ path: prefix, theirs: shown(theirs, prefix), ours: "an object", why }];
  }
  const found: Conflict[] = [];
  const walk = (theirs: unknown, ours: unknown, at: string) => {
    if (theirs === undefined || isDeepStrictEqual(theirs, ours)) return;
    if (isObject(theirs) && isObject(ours)) {
      for (const key of Object.keys(theirs)) walk(theirs[key], ours[key], `${at}.${key}`);
      return;
    }
    found.push({ path: at, theirs: shown(theirs, at), ours: ours === undefined ? "(removed)" : shown(ours, at), why });
  };
  walk(getPath(existing, path), getPath(config, path), path);
  return found;
}

// --- helpers -----------------------------------------------------------------------------

function collectReferences(value: unknown, into = new Set<string>()): Set<string> {
  if (typeof value === "string") for (const match of value.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) into.add(match[1]!);
  else if (Array.isArray(value)) for (const item of value) collectReferences(item, into);
  else if (isObject(value)) for (const item of Object.values(value)) collectReferences(item, into);
  return into;
}

export function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The object at `key`, created (or replacing a non-object) when needed. */
function objectAt(parent: Json, key: string): Json {
  const current = parent[key];
  if (isObject(current)) return current;
  const created: Json = {};
  parent[key] = created;
  return created;
}

export function getPath(root: Json, path: string): unknown {
  let current: unknown = root;
  for (const part of path.split(".")) {
    if (!isObject(current)) return undefined;
    current = current[part];
  }
  return current;
}

function deletePath(root: Json, path: string): boolean {
  const parts = path.split(".");
  const parent = getPath(root, parts.slice(0, -1).join(".") || "");
  const container = parts.length === 1 ? root : parent;
  const last = parts[parts.length - 1]!;
  if (!isObject(container) || !(last in container)) return false;
  delete container[last];
  return true;
}

function isTrue(value: string | undefined): boolean {
  return /^(1|true|yes|on)$/i.test(value?.trim() ?? "");
}

function positiveInt(raw: string | undefined, fallback: number): number {
  const value = Number(raw);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}
