/**
 * What an OpenClaw state holds, read from its folders without changing them: agents, sessions
 * per agent, memory files, workspace files, skills, credentials and auth profiles (names
 * only — a value never leaves this module), and the config. Sessions are counted the way
 * either generation of OpenClaw keeps them: an index (agents/<id>/sessions/sessions.json)
 * with a JSONL transcript per session (2026.7 and before), or the agent's SQLite database
 * (agents/<id>/agent/openclaw-agent.sqlite, 2026.9).
 */
import { existsSync } from "node:fs";
import { lstat, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { parseJson5 } from "../../core/json5.ts";
import type { BackupRoot } from "../../container/supervisor/env.ts";
import { scanRoot } from "../../container/supervisor/scan.ts";

export interface AgentSummary {
  id: string;
  /** Sessions in the index (sessions.json) or the agent database. */
  sessions: number;
  /** JSONL transcripts beside the index. */
  transcripts: number;
  /** Auth profile names (agents/<id>/agent/auth-profiles.json), never their values. */
  authProfiles: string[];
  database: boolean;
}

export interface StateSummary {
  agents: AgentSummary[];
  memoryFiles: string[];
  workspace: { files: number; bytes: number };
  skills: string[];
  /** Files under credentials/ (names), and config keys holding a literal secret (paths). */
  credentials: string[];
  config: { present: boolean; valid: boolean; error?: string; keys: string[]; secretPaths: string[]; envRefs: string[]; workspace?: string };
}

const SECRET_KEY = /token|secret|password|apikey|api_key|privatekey|key$/i;

async function names(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).sort();
}

async function isDir(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined))?.isDirectory() ?? false;
}

async function readJson(path: string): Promise<unknown> {
  try {
    return parseJson5(await readFile(path, "utf8"));
  } catch {
    return undefined;
  }
}

/**
 * Sessions in an agent database, read-only: 2026.9 keeps every session's transcript in
 * `transcript_events` (one row per event, by session_id); 0 when the table is not there.
 */
function databaseSessions(path: string): number {
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(path, { readOnly: true });
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((row) => row.name));
    if (!tables.has("transcript_events")) return 0;
    return Number((db.prepare("SELECT count(DISTINCT session_id) AS n FROM transcript_events").get() as { n: number }).n);
  } catch {
    return 0;
  } finally {
    db?.close();
  }
}

async function agentSummary(stateDir: string, id: string): Promise<AgentSummary> {
  const dir = join(stateDir, "agents", id);
  const index = (await readJson(join(dir, "sessions", "sessions.json"))) as Record<string, unknown> | undefined;
  const transcripts = (await names(join(dir, "sessions"))).filter(
    (name) => name.endsWith(".jsonl") && !name.includes(".trajectory") && !name.includes(".deleted"),
  ).length;
  const dbPath = join(dir, "agent", "openclaw-agent.sqlite");
  const database = existsSync(dbPath);
  const fromIndex = index && typeof index === "object" ? Object.keys(index).length : 0;
  const profiles = (await readJson(join(dir, "agent", "auth-profiles.json"))) as { profiles?: Record<string, unknown> } | undefined;
  return {
    id,
    sessions: Math.max(fromIndex, database ? databaseSessions(dbPath) : 0),
    transcripts,
    authProfiles: Object.keys(profiles?.profiles ?? {}).sort(),
    database,
  };
}

/** Paths of string values under secret-looking keys that are literals (not `${VAR}` references), and the variables referenced. */
function configSecrets(value: unknown, path: string, out: { secretPaths: string[]; envRefs: Set<string> }): void {
  if (typeof value === "string") {
    for (const match of value.matchAll(/\$\{([A-Z0-9_]+)\}/g)) out.envRefs.add(match[1]!);
    return;
  }
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) configSecrets(item, `${path}[${index}]`, out);
    return;
  }
  if (typeof value !== "object" || value === null) return;
  for (const [key, inner] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    if (typeof inner === "string" && SECRET_KEY.test(key) && inner && !/^\$\{[A-Z0-9_]+\}$/.test(inner)) out.secretPaths.push(at);
    configSecrets(inner, at, out);
  }
}

async function configSummary(stateDir: string): Promise<StateSummary["config"]> {
  const path = join(stateDir, "openclaw.json");
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return { present: false, valid: false, keys: [], secretPaths: [], envRefs: [] };
  }
  let config: unknown;
  try {
    config = parseJson5(text);
  } catch (error) {
    return { present: true, valid: false, error: (error as Error).message, keys: [], secretPaths: [], envRefs: [] };
  }
  if (typeof config !== "object" || config === null || Array.isArray(config))
    return { present: true, valid: false, error: "not an object", keys: [], secretPaths: [], envRefs: [] };
  const found = { secretPaths: [] as string[], envRefs: new Set<string>() };
  configSecrets(config, "", found);
  const workspace = (config as { agents?: { defaults?: { workspace?: unknown } } }).agents?.defaults?.workspace;
  return {
    present: true,
    valid: true,
    keys: Object.keys(config).sort(),
    secretPaths: found.secretPaths,
    envRefs: [...found.envRefs].sort(),
    ...(typeof workspace === "string" ? { workspace } : {}),
  };
}

/** Files below `dir` (relative), through the supervisor's own scan: what a backup would take. */
async function filesIn(root: BackupRoot | undefined, roots: readonly BackupRoot[]): Promise<{ path: string; size: number }[]> {
  if (!root) return [];
  const nested = roots.filter((other) => other !== root && other.dir.startsWith(`${root.dir}/`)).map((other) => other.dir);
  const scan = await scanRoot(root.dir, nested, Number.MAX_SAFE_INTEGER, { rootName: root.name });
  return scan.entries.filter((entry) => entry.type === "file").map((entry) => ({ path: entry.path, size: entry.size }));
}

export async function summariseState(roots: readonly BackupRoot[]): Promise<StateSummary> {
  const byName = (name: string) => roots.find((root) => root.name === name);
  const stateDir = byName("openclaw")!.dir;
  const agents: AgentSummary[] = [];
  for (const id of await names(join(stateDir, "agents"))) if (await isDir(join(stateDir, "agents", id))) agents.push(await agentSummary(stateDir, id));
  const workspaceFiles = await filesIn(byName("workspace"), roots);
  const stateFiles = await filesIn(byName("openclaw"), roots);
  const memoryFiles = [
    ...workspaceFiles.filter((file) => /^(MEMORY|memory)\.md$|^memory\//.test(file.path)).map((file) => `workspace/${file.path}`),
    ...stateFiles.filter((file) => file.path.startsWith("memory/")).map((file) => file.path),
  ];
  const skillsRoot = byName("skills");
  const skills = skillsRoot ? (await names(skillsRoot.dir)).filter((name) => !name.startsWith(".")) : [];
  const credentials = stateFiles.filter((file) => file.path.startsWith("credentials/")).map((file) => file.path);
  const config = await configSummary(stateDir);
  return {
    agents,
    memoryFiles,
    workspace: { files: workspaceFiles.length, bytes: workspaceFiles.reduce((sum, file) => sum + file.size, 0) },
    skills,
    credentials: [...credentials, ...config.secretPaths.map((path) => `openclaw.json: ${path}`)],
    config,
  };
}

/** The summary as lines for a terminal. */
export function describeSummary(summary: StateSummary): string[] {
  const agentLines = summary.agents.length
    ? summary.agents.map(
        (agent) =>
          `    ${agent.id}: ${agent.sessions} session(s)${agent.transcripts ? `, ${agent.transcripts} transcript file(s)` : ""}${agent.database ? ", agent database" : ""}${agent.authProfiles.length ? `; auth profiles ${agent.authProfiles.join(", ")}` : ""}`,
      )
    : ["    none"];
  const { config } = summary;
  return [
    `  agents        ${summary.agents.length}`,
    ...agentLines,
    `  memory files  ${summary.memoryFiles.length}${summary.memoryFiles.length ? ` (${summary.memoryFiles.slice(0, 8).join(", ")}${summary.memoryFiles.length > 8 ? ", …" : ""})` : ""}`,
    `  workspace     ${summary.workspace.files} file(s), ${formatBytes(summary.workspace.bytes)}`,
    `  skills        ${summary.skills.length ? summary.skills.join(", ") : "none"}`,
    `  credentials   ${summary.credentials.length ? summary.credentials.join(", ") : "none"} (names only)`,
    `  config        ${
      !config.present
        ? "no openclaw.json"
        : !config.valid
          ? `openclaw.json does not parse (${config.error})`
          : `openclaw.json: ${config.keys.join(", ")}${config.envRefs.length ? `; uses \${${config.envRefs.join("}, ${")}}` : ""}`
    }`,
  ];
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}
