/**
 * OpenClaw plugins the image installs at build time (`openclaw plugins install`, container/Dockerfile),
 * kept installed across restores. Discord is not part of OpenClaw 2026.9.6 but the official
 * plugin @openclaw/discord, and only an install OpenClaw made itself from npm is trusted with
 * the runtime the channel needs (a load path or an archive install is refused with
 * PluginTrustRefusalError). Such an install lives in the state folder, which the restore makes
 * match the snapshot:
 * - the package, `npm/projects/<package>/node_modules/…`: left alone by restores and backups
 *   (OpenClaw's runtime files, scan.ts), but the project files beside it are not;
 * - the install record, in `state/openclaw.sqlite` (`config_machine_state`, key
 *   `plugins.installedIndex`, its `index.installRecords`): user state, restored from the snapshot.
 *   A snapshot taken before the image carried the plugin (an older image, moltworker's folders)
 *   brings back a database without the record, and OpenClaw then knows no Discord plugin; at
 *   runtime it would only reinstall it from npm (the network, on every such start).
 * So the image keeps what the install wrote in MOLTLAB_BAKED_PLUGINS_DIR (`npm/` and a copy of
 * the database), and before the gateway starts the supervisor puts back what the restore took
 * away: missing package files (never overwriting), and the record — the image's database
 * when there is none, the image's index row when the database has none, or the plugin's
 * record added to the restored index — after which `openclaw plugins registry --refresh`
 * rebuilds the index from the records, as OpenClaw's own warning in that row asks.
 * Everything runs as the gateway user, who owns the state: nothing is written as root
 * through a link the agent may have left in the state folder.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { spawnIdentity, type GatewayUser } from "./gateway-user.ts";
import type { Logger } from "./log.ts";

/** Where the image keeps its plugin install (container/Dockerfile). */
export const BAKED_PLUGINS_DIR = "/opt/moltlab/openclaw-plugins";
export const INSTALLED_INDEX_KEY = "plugins.installedIndex";

export type RecordAction = "present" | "copied-database" | "inserted-index" | "merged-record" | "no-seed";

/**
 * The record fix-up as a script for `node -e`, run as the gateway user. Env: MOLTLAB_DB (the
 * restored database), MOLTLAB_SEED_DB (the image's), MOLTLAB_PLUGIN (the plugin id). Prints
 * the RecordAction.
 */
export const RECORD_SCRIPT = `
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
const { MOLTLAB_DB: db, MOLTLAB_SEED_DB: seedDb, MOLTLAB_PLUGIN: plugin } = process.env;
const KEY = ${JSON.stringify(INSTALLED_INDEX_KEY)};
const out = (action) => process.stdout.write(action);
if (!existsSync(seedDb)) { out("no-seed"); process.exit(0); }
const readRow = (database) => {
  const table = database.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'config_machine_state'").get();
  if (!table) return null;
  const row = database.prepare("SELECT value_json FROM config_machine_state WHERE state_key = ?").get(KEY);
  return row ? row.value_json : undefined;
};
const seed = new DatabaseSync(seedDb, { readOnly: true });
const seedJson = readRow(seed);
seed.close();
if (typeof seedJson !== "string") { out("no-seed"); process.exit(0); }
const seedRecord = JSON.parse(seedJson).index?.installRecords?.[plugin];
if (!seedRecord) { out("no-seed"); process.exit(0); }
if (!existsSync(db)) {
  mkdirSync(dirname(db), { recursive: true });
  copyFileSync(seedDb, db);
  out("copied-database");
  process.exit(0);
}
const database = new DatabaseSync(db);
database.exec("PRAGMA busy_timeout = 5000");
const current = readRow(database);
if (current === null || current === undefined) {
  database.exec("CREATE TABLE IF NOT EXISTS config_machine_state (state_key TEXT NOT NULL PRIMARY KEY, value_json TEXT NOT NULL, updated_at_ms INTEGER NOT NULL) STRICT");
  database.prepare("INSERT INTO config_machine_state (state_key, value_json, updated_at_ms) VALUES (?, ?, ?)").run(KEY, seedJson, Date.now());
  database.close();
  out("inserted-index");
  process.exit(0);
}
const row = JSON.parse(current);
const index = row.index ?? {};
if (index.installRecords?.[plugin]) { database.close(); out("present"); process.exit(0); }
index.installRecords = { ...(index.installRecords ?? {}), [plugin]: seedRecord };
row.index = index;
database.prepare("UPDATE config_machine_state SET value_json = ?, updated_at_ms = ? WHERE state_key = ?").run(JSON.stringify(row), Date.now(), KEY);
database.close();
out("merged-record");
`;

export interface EnsureOptions {
  /** The plugin's id (`discord`). */
  plugin: string;
  stateDir: string;
  /** The image's copy of the install: `npm/` and `openclaw.sqlite`. */
  seedDir?: string;
  user: GatewayUser | null;
  /** The OpenClaw CLI, for `plugins registry --refresh`, and the gateway's environment for it. */
  openclaw: (args: readonly string[]) => Promise<{ code: number; stdout: string; stderr: string }>;
  log: Logger;
  /** The node binary that runs the record script (default: this one). */
  node?: string;
}

function run(
  file: string,
  args: readonly string[],
  env: Record<string, string>,
  user: GatewayUser | null,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      file,
      [...args],
      { env: { PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin", ...env }, timeout: 60_000, ...spawnIdentity(user) },
      (error, stdout, stderr) =>
        resolve({
          code: error ? (typeof error.code === "number" ? error.code : 1) : 0,
          stdout: String(stdout),
          stderr: error && !stderr ? error.message : String(stderr),
        }),
    );
  });
}

/** Puts back what a restore took of the image's plugin install; returns what it did to the record, or null when the image has no such install. */
export async function ensureBakedPlugin(options: EnsureOptions): Promise<RecordAction | null> {
  const { plugin, stateDir, user, log } = options;
  const seedDir = options.seedDir ?? BAKED_PLUGINS_DIR;
  const seedDb = join(seedDir, "openclaw.sqlite");
  if (!existsSync(seedDb)) return null;
  if (existsSync(join(seedDir, "npm"))) {
    // -n: never overwrite (a newer install of the user's own stays); as the gateway user.
    const copied = await run("sh", ["-c", 'mkdir -p "$1/npm" && cp -R -n "$2/npm/." "$1/npm/"', "sh", stateDir, seedDir], {}, user);
    if (copied.code !== 0) log.warn("plugins", `could not put back the image's ${plugin} plugin files: ${copied.stderr.trim()}`);
  }
  const result = await run(
    options.node ?? process.execPath,
    ["--no-warnings", "--input-type=module", "-e", RECORD_SCRIPT],
    { MOLTLAB_DB: join(stateDir, "state", "openclaw.sqlite"), MOLTLAB_SEED_DB: seedDb, MOLTLAB_PLUGIN: plugin },
    user,
  );
  if (result.code !== 0) {
    log.warn("plugins", `could not check the ${plugin} plugin's install record: ${result.stderr.trim().split("\n").slice(-3).join(" ")}`);
    return null;
  }
  const action = result.stdout.trim() as RecordAction;
  if (action === "inserted-index" || action === "merged-record") {
    log.info(
      "plugins",
      `the restored state had no install record of the image's ${plugin} plugin (a snapshot from before it was installed): put back (${action}); rebuilding OpenClaw's plugin index`,
    );
    const refreshed = await options.openclaw(["plugins", "registry", "--refresh"]);
    if (refreshed.code !== 0) log.warn("plugins", `openclaw plugins registry --refresh failed (${refreshed.code}): ${refreshed.stderr.trim().slice(0, 500)}`);
  } else if (action === "copied-database") {
    log.info("plugins", `no OpenClaw state database yet: started from the image's, which records the ${plugin} plugin`);
  }
  return action;
}
