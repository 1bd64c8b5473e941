/**
 * Everything the supervisor reads from its environment, checked once at boot. Missing or
 * malformed variables are collected into one list so the operator fixes them in one go.
 */
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { resolveGatewayUser, type GatewayUser, type UserLookup } from "./gateway-user.ts";
import { CONTROL_PORT, GATEWAY_PORT } from "../../contract/ports.ts";
import { DEFAULT_BUCKET } from "../../contract/storage.ts";
import { z } from "zod";
import { check } from "../../core/options.ts";

export type EnvVars = Readonly<Record<string, string | undefined>>;

export interface R2Settings {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Prepended to every key (our snapshots and the moltworker prefixes); "" in production. */
  prefix: string;
  /**
   * R2_CONNECT_HOST (local bridge networking only): the host to connect to for the endpoint's,
   * which the requests keep as their Host header, so their signatures still match.
   */
  connectHost?: string;
}

/** A local directory that is backed up; `legacyPrefix` is its moltworker folder in the bucket. */
export interface BackupRoot {
  name: string;
  dir: string;
  legacyPrefix?: string;
}

/**
 * Where the gateway listens: `lan` (all interfaces, the container's own network namespace) or
 * `loopback` (127.0.0.1 only), for a container on the host's network, where `lan` would
 * expose the gateway on every interface of the host.
 */
export const GATEWAY_BINDS = ["lan", "loopback"] as const;
export type GatewayBind = (typeof GATEWAY_BINDS)[number];

export interface Settings {
  gatewayToken: string;
  /** The user the gateway and everything it spawns run as; null = the supervisor's own. */
  gatewayUser: GatewayUser | null;
  /** Things worth a warning that do not stop the boot (e.g. no user separation). */
  notes: string[];
  home: string;
  stateDir: string;
  configPath: string;
  roots: BackupRoot[];
  gatewayBin: string;
  gatewayPort: number;
  gatewayBind: GatewayBind;
  controlHost: string;
  controlPort: number;
  r2: R2Settings | null;
  /** Change-triggered backups (backup-loop.ts): quiet period, longest wait, gap between backups. */
  backupQuietMs: number;
  backupMaxWaitMs: number;
  backupIntervalMs: number;
  backupRescanMs: number;
  backupKeep: number;
  maxFileBytes: number;
  r2Attempts: number;
  toolsFile: string;
  stopTimeoutMs: number;
  /** Bound on the final backup after SIGTERM (it may first wait for a backup already running). */
  finalBackupTimeoutMs: number;
  allowFreshStart: boolean;
  stagingDir: string;
}

export type SettingsResult = { ok: true; settings: Settings } | { ok: false; problems: string[] };

/** The staging folder of a supervisor that runs as root: outside every folder the gateway user can write. */
export const PRIVATE_STAGING_DIR = "/var/lib/moltlab/staging";

/** An optional numeric variable: unset or blank gives the default; anything else must be a number ≥ min. */
function numberVar(name: string, fallback: number, options: { scale?: number; min?: number } = {}) {
  const { scale = 1, min = 0 } = options;
  return z
    .string()
    .optional()
    .transform((raw) => raw?.trim() || undefined)
    .refine((raw) => raw === undefined || (Number.isFinite(Number(raw)) && Number(raw) >= min), {
      error: (issue) => `${name} must be a number ≥ ${min} (got "${String(issue.input ?? "")}")`,
    })
    .transform((raw) => Math.round((raw === undefined ? fallback : Number(raw)) * scale));
}

/** The supervisor's scalar settings, one schema (core/options.ts): every problem is reported at once. */
const SCALARS = z.looseObject({
  MOLTLAB_GATEWAY_PORT: numberVar("MOLTLAB_GATEWAY_PORT", GATEWAY_PORT, { min: 1 }),
  MOLTLAB_CONTROL_PORT: numberVar("MOLTLAB_CONTROL_PORT", CONTROL_PORT),
  MOLTLAB_BACKUP_QUIET: numberVar("MOLTLAB_BACKUP_QUIET", 0.5, { scale: 1000 }),
  MOLTLAB_BACKUP_MAX_WAIT: numberVar("MOLTLAB_BACKUP_MAX_WAIT", 1, { scale: 1000 }),
  MOLTLAB_BACKUP_INTERVAL: numberVar("MOLTLAB_BACKUP_INTERVAL", 0.5, { scale: 1000, min: 0.1 }),
  // Only while every folder is watched (without a watch, a scan runs every interval). A rescan
  // costs 0.15–0.2 s of CPU for OpenClaw's ~1,600 files (npm run bench: backup.idle-cpu):
  // every 60 s that alone was ~0.6 % of standard-1's share, over half of the 1 % an idle supervisor
  // may use; with one watch per folder it only catches what the watches do not report (an
  // inotify queue overflow, a metadata-only change of a file named like a SQLite sidecar),
  // which can wait 5 minutes.
  MOLTLAB_BACKUP_RESCAN: numberVar("MOLTLAB_BACKUP_RESCAN", 300, { scale: 1000, min: 1 }),
  MOLTLAB_BACKUP_KEEP: numberVar("MOLTLAB_BACKUP_KEEP", 20, { min: 1 }),
  MOLTLAB_BACKUP_MAX_FILE_MB: numberVar("MOLTLAB_BACKUP_MAX_FILE_MB", 1024, { scale: 1024 * 1024, min: 1 }),
  MOLTLAB_R2_ATTEMPTS: numberVar("MOLTLAB_R2_ATTEMPTS", 4, { min: 1 }),
  MOLTLAB_STOP_TIMEOUT: numberVar("MOLTLAB_STOP_TIMEOUT", 30, { scale: 1000, min: 1 }),
  MOLTLAB_FINAL_BACKUP_TIMEOUT: numberVar("MOLTLAB_FINAL_BACKUP_TIMEOUT", 25, { scale: 1000, min: 1 }),
  OPENCLAW_BIND: z
    .string()
    .optional()
    .transform((raw) => raw?.trim() || "lan")
    .refine((bind) => (GATEWAY_BINDS as readonly string[]).includes(bind), {
      error: (issue) => `OPENCLAW_BIND must be one of ${GATEWAY_BINDS.join(", ")} (got "${String(issue.input ?? "")}")`,
    })
    .transform((bind) => bind as GatewayBind),
});

/** The backup loop's and retention's defaults as settings hold them (ms), for figures and prices that describe a container run at its defaults. */
export function backupDefaults(): Pick<Settings, "backupQuietMs" | "backupMaxWaitMs" | "backupIntervalMs" | "backupRescanMs" | "backupKeep"> {
  const scalars = SCALARS.parse({});
  return {
    backupQuietMs: scalars.MOLTLAB_BACKUP_QUIET,
    backupMaxWaitMs: scalars.MOLTLAB_BACKUP_MAX_WAIT,
    backupIntervalMs: scalars.MOLTLAB_BACKUP_INTERVAL,
    backupRescanMs: scalars.MOLTLAB_BACKUP_RESCAN,
    backupKeep: scalars.MOLTLAB_BACKUP_KEEP,
  };
}

/**
 * The folders every container backs up and restores, for a gateway user's home (before
 * MOLTLAB_BACKUP_EXTRA_DIRS): also what `verify --dockerfile` tells files baked into a home by.
 */
export function standardRoots(home: string, text: (name: string) => string | undefined = () => undefined): BackupRoot[] {
  const stateDir = absolute(text("OPENCLAW_STATE_DIR") ?? join(home, ".openclaw"));
  const workspaceDir = absolute(text("MOLTLAB_WORKSPACE_DIR") ?? join(stateDir, "workspace"));
  const skillsDir = absolute(text("MOLTLAB_SKILLS_DIR") ?? join(workspaceDir, "skills"));
  return [
    { name: "openclaw", dir: stateDir, legacyPrefix: "openclaw/" },
    { name: "workspace", dir: workspaceDir, legacyPrefix: "workspace/" },
    { name: "skills", dir: skillsDir, legacyPrefix: "skills/" },
    // The auth-profile encryption key lives here: without it the restored profiles are unreadable.
    { name: "openclaw-config", dir: absolute(text("MOLTLAB_OPENCLAW_CONFIG_DIR") ?? join(home, ".config", "openclaw")) },
  ];
}

export function loadSettings(env: EnvVars, users?: UserLookup): SettingsResult {
  const problems: string[] = [];
  const text = (name: string) => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const scalars = check(SCALARS, env);
  if (!scalars.ok) problems.push(...scalars.problems);
  const number = (name: keyof z.output<typeof SCALARS>) => (scalars.ok ? (scalars.value[name] as number) : 0);

  const gatewayToken = text("OPENCLAW_GATEWAY_TOKEN") ?? text("MOLTBOT_GATEWAY_TOKEN");
  if (!gatewayToken) problems.push("OPENCLAW_GATEWAY_TOKEN (or MOLTBOT_GATEWAY_TOKEN) is missing: the gateway and the control endpoint need a token");

  const user = resolveGatewayUser(text("MOLTLAB_GATEWAY_USER"), users);
  if (!user.ok) problems.push(user.problem);
  const gatewayUser = user.ok ? user.user : null;
  // The state belongs to the gateway user: a named user's home, else ours.
  const home = gatewayUser?.home ?? text("HOME") ?? homedir();
  const roots = standardRoots(home, text);
  const stateDir = roots[0]!.dir;
  const configPath = absolute(text("OPENCLAW_CONFIG_PATH") ?? join(stateDir, "openclaw.json"));
  for (const extra of (text("MOLTLAB_BACKUP_EXTRA_DIRS") ?? "")
    .split(/[;,]/)
    .map((s) => s.trim())
    .filter(Boolean)) {
    const match = /^([a-z0-9][a-z0-9-]*)=(.+)$/.exec(extra);
    if (!match || roots.some((root) => root.name === match[1])) {
      problems.push(`MOLTLAB_BACKUP_EXTRA_DIRS entry "${extra}" must be name=/absolute/path with a new lowercase name (e.g. ghq=/root/ghq)`);
      continue;
    }
    roots.push({ name: match[1]!, dir: absolute(match[2]!) });
  }

  const r2 = loadR2(text, problems);

  const gatewayBind: GatewayBind = scalars.ok ? scalars.value.OPENCLAW_BIND : "lan";

  const result: Settings = {
    gatewayToken: gatewayToken ?? "",
    gatewayUser,
    notes: user.ok && user.note ? [user.note] : [],
    home,
    stateDir,
    configPath,
    roots,
    gatewayBin: text("OPENCLAW_BIN") ?? "openclaw",
    gatewayPort: number("MOLTLAB_GATEWAY_PORT"),
    gatewayBind,
    // The control API follows the gateway's bind unless told otherwise: loopback keeps both off the host's interfaces.
    controlHost: text("MOLTLAB_CONTROL_HOST") ?? (gatewayBind === "loopback" ? "127.0.0.1" : "0.0.0.0"),
    controlPort: number("MOLTLAB_CONTROL_PORT"),
    r2,
    backupQuietMs: number("MOLTLAB_BACKUP_QUIET"),
    backupMaxWaitMs: number("MOLTLAB_BACKUP_MAX_WAIT"),
    backupIntervalMs: number("MOLTLAB_BACKUP_INTERVAL"),
    backupRescanMs: number("MOLTLAB_BACKUP_RESCAN"),
    backupKeep: number("MOLTLAB_BACKUP_KEEP"),
    maxFileBytes: number("MOLTLAB_BACKUP_MAX_FILE_MB"),
    r2Attempts: number("MOLTLAB_R2_ATTEMPTS"),
    toolsFile: text("MOLTLAB_TOOLS_FILE") ?? "/opt/moltlab/tools.json",
    stopTimeoutMs: number("MOLTLAB_STOP_TIMEOUT"),
    finalBackupTimeoutMs: number("MOLTLAB_FINAL_BACKUP_TIMEOUT"),
    allowFreshStart: text("MOLTLAB_ALLOW_FRESH_START") === "1" || text("MOLTLAB_ALLOW_FRESH_START") === "true",
    // Restores and large copies are staged where the agent cannot swap files for symlinks.
    stagingDir: absolute(text("MOLTLAB_STAGING_DIR") ?? (gatewayUser ? PRIVATE_STAGING_DIR : join(home, ".cache", "moltlab"))),
  };
  return problems.length ? { ok: false, problems } : { ok: true, settings: result };
}

/**
 * R2 is optional (as upstream): with none of its variables set the gateway runs without
 * persistence. A partial set is a mistake, so it is reported instead of silently ignored.
 */
function loadR2(text: (name: string) => string | undefined, problems: string[]): R2Settings | null {
  const accessKeyId = text("R2_ACCESS_KEY_ID");
  const secretAccessKey = text("R2_SECRET_ACCESS_KEY");
  const accountId = text("CF_ACCOUNT_ID");
  // moltworker derives the endpoint from the account; R2_ENDPOINT points elsewhere (the local R2 stand-in).
  const endpoint = text("R2_ENDPOINT") ?? (accountId ? `https://${accountId}.r2.cloudflarestorage.com` : undefined);
  if (!accessKeyId && !secretAccessKey && !text("R2_ENDPOINT")) return null;
  const missing = [
    accessKeyId ? undefined : "R2_ACCESS_KEY_ID",
    secretAccessKey ? undefined : "R2_SECRET_ACCESS_KEY",
    endpoint ? undefined : "CF_ACCOUNT_ID (or R2_ENDPOINT)",
  ].filter((name) => name !== undefined);
  if (missing.length) {
    problems.push(`R2 is partly configured: missing ${missing.join(", ")} (set all of them, or none to run without persistence)`);
    return null;
  }
  let prefix = text("MOLTLAB_R2_PREFIX") ?? "";
  if (prefix && !prefix.endsWith("/")) prefix += "/";
  const connectHost = text("R2_CONNECT_HOST");
  return {
    endpoint: endpoint!,
    bucket: text("R2_BUCKET_NAME") ?? DEFAULT_BUCKET,
    accessKeyId: accessKeyId!,
    secretAccessKey: secretAccessKey!,
    prefix,
    ...(connectHost ? { connectHost } : {}),
  };
}

function absolute(path: string): string {
  return isAbsolute(path) ? path : resolve(path);
}
