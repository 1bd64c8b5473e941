/**
 * moltlab's container supervisor: PID 1's child under tini. Boot = restore from R2 →
 * openclaw.json from env → start the gateway → wait for /readyz; then back up on change,
 * serve the control API, and on SIGTERM stop the gateway, take a final backup and exit 0.
 *
 * Restart policy: if the gateway exits on its own, the supervisor takes a final backup and
 * exits non-zero instead of restarting it. The Containers platform restarts the container
 * (and the Worker sees and reports the crash); an in-container restart loop would hide crash
 * loops from it and duplicate what the platform does.
 *
 * Exit codes: 0 clean stop; 1 gateway ended unexpectedly or the final backup failed;
 * 2 missing/invalid environment or config; 3 restore impossible (R2 unreachable, no usable snapshot).
 */
import { type Backup, backupFromSettings, type BackupResult } from "./backup.ts";
import { startBackupLoop, type BackupLoop } from "./backup-loop.ts";
import { buildConfig, readExistingConfig, writeConfig, getPath, type BuiltConfig } from "./config.ts";
import { startControlServer, type ControlServer } from "./control-server.ts";
import { loadSettings, type Settings } from "./env.ts";
import { gatewayEnv, GatewayProcess } from "./gateway-process.ts";
import { identityEnv } from "./gateway-user.ts";
import { createLogger, errorText, secretValues, type Level, type Logger } from "./log.ts";
import { runOpenclaw } from "./openclaw-cli.ts";
import { restore, RestoreError, type RestoreOutcome } from "./restore.ts";
import { ensureBakedPlugin } from "./baked-plugins.ts";
import { DISCORD_API_URL, discordEndpoint, startLoopbackForwarder } from "./discord-endpoint.ts";
import { Bucket } from "./storage.ts";
import { describeCompileCache } from "../compile-cache/tag.ts";
import { preparePrivateDir } from "./private-dir.ts";
import { readOpenclawVersion } from "./openclaw-version.ts";

export const EXIT = { ok: 0, gatewayFailed: 1, badConfig: 2, restoreFailed: 3 } as const;

interface Phase {
  startedAt: string;
  durationMs?: number;
  ok?: boolean;
}

async function main(): Promise<number> {
  const env = process.env;
  const log = createLogger({ secrets: secretValues(env), minLevel: (env.MOLTLAB_LOG_LEVEL as Level | undefined) ?? "info" });
  const loaded = loadSettings(env);
  if (!loaded.ok) {
    log.error("env", `refusing to start: ${loaded.problems.length} problem(s) with the environment — ${loaded.problems.join("; ")}`, {
      problems: loaded.problems,
    });
    return EXIT.badConfig;
  }
  const settings = loaded.settings;
  for (const note of settings.notes) log.warn("env", note);
  if (settings.gatewayUser) {
    // Staging holds copies of state and must not be a place the agent can swap files in.
    const problem = await preparePrivateDir(settings.stagingDir);
    if (problem) {
      log.error("env", `refusing to start: ${problem}`);
      return EXIT.badConfig;
    }
  }

  let status: "starting" | "running" | "stopping" = "starting";
  const phases: Record<string, Phase> = {};
  let lastRestore: (Omit<RestoreOutcome, "manifest" | "known"> & { ok: boolean; at: string; error?: string }) | null = null;
  const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    const phase: Phase = { startedAt: new Date(started).toISOString() };
    phases[name] = phase;
    log.info(name, `${name} phase started`);
    try {
      const result = await work();
      Object.assign(phase, { ok: true, durationMs: Date.now() - started });
      return result;
    } catch (error) {
      Object.assign(phase, { ok: false, durationMs: Date.now() - started });
      throw error;
    } finally {
      log.info(name, `${name} phase ${phase.ok ? "done" : "failed"}`, { durationMs: phase.durationMs });
    }
  };

  const bucket = settings.r2 ? new Bucket(settings.r2, log, settings.r2Attempts) : null;
  const backup = bucket ? backupFromSettings(settings, bucket, log) : null;
  let restored = false;
  const childExtra: Record<string, string> = {
    HOME: settings.home,
    ...identityEnv(settings.gatewayUser),
    OPENCLAW_GATEWAY_TOKEN: settings.gatewayToken,
    OPENCLAW_STATE_DIR: settings.stateDir,
    OPENCLAW_CONFIG_PATH: settings.configPath,
  };
  // Until the config is built (it may select OpenClaw's own AI Gateway provider), the key is aliased.
  let childEnv = gatewayEnv(env, childExtra, { aliasAiGatewayKey: true });
  let channels: string[] = [];
  const gateway = new GatewayProcess({
    bin: settings.gatewayBin,
    port: settings.gatewayPort,
    bind: settings.gatewayBind,
    user: settings.gatewayUser,
    env: () => childEnv,
    channels: () => channels,
    log,
  });
  let loop: BackupLoop | null = null;

  // Signals are caught from the start: a SIGTERM during boot must not back up a half-restored state.
  let signalled = false;
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      log.info("shutdown", signalled ? `${signal} received again; shutdown is already under way` : `${signal} received`);
      signalled = true;
      resolve(signal);
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });

  const control: ControlServer = await startControlServer({
    host: settings.controlHost,
    port: settings.controlPort,
    token: settings.gatewayToken,
    log,
    toolsFile: settings.toolsFile,
    health: () => ({
      status,
      gateway: {
        ready: gateway.ready,
        pid: gateway.pid ?? null,
        startedAt: gateway.startedAt ? new Date(gateway.startedAt).toISOString() : null,
        readyAt: gateway.readyAt ? new Date(gateway.readyAt).toISOString() : null,
        failingChannels: gateway.failingChannels,
      },
      phases,
      persistence: bucket ? { bucket: bucket.name, prefix: bucket.prefix } : null,
      lastRestore,
      lastBackup: backup?.lastResult ?? null,
    }),
    backupNow: () => {
      if (!backup) return "persistence is off: R2 is not configured";
      if (!restored) return "the restore has not finished; a backup now would save an incomplete state";
      return backup.run("request");
    },
    cli: (args) => runOpenclaw(settings.gatewayBin, args, childEnv, settings.gatewayUser),
  });
  log.info("control", "control API listening", { host: settings.controlHost, port: control.port });

  const finish = async (code: number): Promise<number> => {
    await control.close();
    bucket?.destroy();
    return code;
  };

  const boot = async (): Promise<number | null> => {
    if (bucket && backup) {
      try {
        const outcome = await timed("restore", () =>
          restore({
            roots: settings.roots,
            bucket,
            log,
            stagingDir: settings.stagingDir,
            allowFreshStart: settings.allowFreshStart,
            ...(settings.gatewayUser ? { owner: { uid: settings.gatewayUser.uid, gid: settings.gatewayUser.gid } } : {}),
          }),
        );
        backup.seed(outcome.manifest, outcome.known);
        const { manifest: _m, known: _k, ...summary } = outcome;
        lastRestore = { ...summary, ok: true, at: new Date().toISOString() };
      } catch (error) {
        const message = error instanceof RestoreError ? error.message : `restore failed: ${errorText(error)}`;
        lastRestore = { source: "empty", skipped: [], files: 0, ok: false, at: new Date().toISOString(), error: message };
        log.error("restore", `refusing to start: ${message}`);
        return EXIT.restoreFailed;
      }
    } else {
      log.warn(
        "restore",
        "R2 is not configured (R2_ACCESS_KEY_ID, R2_SECRET_ACCESS_KEY, CF_ACCOUNT_ID or R2_ENDPOINT): no restore, no backups — state is lost when the container stops",
      );
    }
    restored = true;

    const configured = await timed("config", () => configure(settings, env, log));
    if (!configured) return EXIT.badConfig;
    childEnv = gatewayEnv(env, childExtra, { aliasAiGatewayKey: configured.aliasAiGatewayKey });
    channels = Object.keys((configured.config.channels as Record<string, unknown> | undefined) ?? {});
    if (env.DISCORD_BOT_TOKEN?.trim()) {
      // The image's @openclaw/discord install, put back where a restore of an older snapshot took it (baked-plugins.ts).
      await ensureBakedPlugin({
        plugin: "discord",
        stateDir: settings.stateDir,
        user: settings.gatewayUser,
        openclaw: (args) => runOpenclaw(settings.gatewayBin, args, childEnv, settings.gatewayUser),
        log,
      });
      const endpoint = discordEndpoint(env[DISCORD_API_URL]);
      if (endpoint?.forward) {
        try {
          await startLoopbackForwarder(endpoint.forward, log);
          log.info(
            "discord",
            `DISCORD_API_URL is plain HTTP off loopback, which OpenClaw's Discord plugin refuses: forwarding 127.0.0.1:${endpoint.forward.port} to ${endpoint.forward.host}`,
          );
          childExtra.DISCORD_API_URL = endpoint.url;
          childEnv = gatewayEnv(env, childExtra, { aliasAiGatewayKey: configured.aliasAiGatewayKey });
        } catch (error) {
          log.error(
            "discord",
            `could not forward 127.0.0.1:${endpoint.forward.port} to DISCORD_API_URL's host: ${errorText(error)}; OpenClaw's Discord plugin will refuse the URL`,
          );
        }
      }
    }
    return null;
  };

  const bootResult = await Promise.race([boot(), stopSignal.then(() => "stopped" as const)]);
  if (bootResult === "stopped") {
    log.info("shutdown", "stopped during boot; no backup taken (the state may be half restored)");
    return finish(EXIT.ok);
  }
  if (bootResult !== null) return finish(bootResult);

  // Settles when the gateway first answers /readyz, or exits before it does.
  let gatewaySettled!: () => void;
  const gatewayUp = new Promise<void>((resolve) => (gatewaySettled = resolve));
  if (backup) {
    loop = startBackupLoop({
      dirs: settings.roots.map((root) => root.dir),
      roots: settings.roots,
      quietMs: settings.backupQuietMs,
      maxWaitMs: settings.backupMaxWaitMs,
      intervalMs: settings.backupIntervalMs,
      rescanMs: settings.backupRescanMs,
      run: (reason) => backup.run(reason),
      log,
      holdUntil: gatewayUp,
    });
  }

  log.info("gateway", describeCompileCache(settings.gatewayUser?.uid ?? process.getuid?.()));
  const exited = gateway.start();
  const ready = gateway.waitReady().finally(gatewaySettled);
  void timed("gateway", async () => {
    if (!(await ready)) throw new Error("the gateway exited before it was ready");
    status = "running";
    log.info("gateway", "gateway ready", { phases: Object.fromEntries(Object.entries(phases).map(([name, phase]) => [name, phase.durationMs])) });
  }).catch(() => undefined);
  const outcome = await Promise.race([
    exited.then((info) => ({ kind: "exit" as const, info })),
    stopSignal.then((signal) => ({ kind: "signal" as const, signal })),
  ]);
  status = "stopping";
  loop?.stop();

  if (outcome.kind === "exit") {
    log.error("gateway", "the gateway exited unexpectedly; taking a final backup, then exiting so the platform restarts the container", { ...outcome.info });
    await gateway.endLeftovers();
    await finalBackup(backup, log, settings.finalBackupTimeoutMs);
    return finish(EXIT.gatewayFailed);
  }
  log.info("shutdown", "stopping the gateway", { timeoutMs: settings.stopTimeoutMs });
  const info = await gateway.stop(settings.stopTimeoutMs);
  log.info("shutdown", "gateway stopped", { ...info });
  const result = await finalBackup(backup, log, settings.finalBackupTimeoutMs);
  return finish(result && !result.ok ? EXIT.gatewayFailed : EXIT.ok);
}

/**
 * The last backup, after everything the gateway started has ended. Bounded: it may first wait
 * for a backup that is already running, and the platform SIGKILLs the container at its own
 * deadline, so past `timeoutMs` the supervisor says what is not in R2 and exits instead.
 */
async function finalBackup(backup: Backup | null, log: Logger, timeoutMs: number): Promise<BackupResult | null> {
  if (!backup) return null;
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)));
  const result = await Promise.race([backup.run("shutdown"), expired]).finally(() => clearTimeout(timer));
  if (result === null) {
    const last = backup.lastResult;
    const since = last?.ok ? `the backup of ${last.at}` : "the restore";
    const unsaved = await backup.unsaved().catch(() => null);
    log.error(
      "shutdown",
      `final backup did not finish within ${Math.round(timeoutMs / 1000)} s (MOLTLAB_FINAL_BACKUP_TIMEOUT): changes made since ${since} are not in R2`,
      {
        waitedMs: Date.now() - started,
        lastBackup: last ? { id: last.id, at: last.at, ok: last.ok } : null,
        ...(unsaved ? { notInR2: unsaved.paths, notInR2Count: unsaved.count } : {}),
      },
    );
    return {
      ok: false,
      id: last?.id ?? null,
      changed: false,
      reason: "shutdown",
      at: new Date().toISOString(),
      durationMs: Date.now() - started,
      error: "timed out",
    };
  }
  if (result.ok) log.info("shutdown", "final backup done", { id: result.id, changed: result.changed });
  else log.error("shutdown", "final backup failed: changes since the last good backup are not in R2", { error: result.error });
  return result;
}

/** openclaw.json from env; null (after logging why) when the gateway must not start. */
async function configure(settings: Settings, env: NodeJS.ProcessEnv, log: Logger): Promise<BuiltConfig | null> {
  const existing = await readExistingConfig(settings.configPath);
  if (!existing.ok) {
    log.error("config", `refusing to start: ${existing.problem}`, { path: settings.configPath });
    return null;
  }
  const openclawVersion = await readOpenclawVersion(settings.toolsFile);
  const built = buildConfig(existing.config, env, { gatewayPort: settings.gatewayPort, gatewayBind: settings.gatewayBind, openclawVersion });
  if (!built.ok) {
    log.error("config", `refusing to start: the OpenClaw config would be invalid — ${built.problems.join("; ")}`, {
      problems: built.problems,
      path: settings.configPath,
    });
    return null;
  }
  for (const note of built.notes) log.info("config", note);
  // Never silently: each value of the user's that an owned key replaced, with why (values by key name redacted).
  for (const conflict of built.conflicts) {
    log.warn("config", `your openclaw.json's ${conflict.path} was ${conflict.theirs}, now ${conflict.ours}: the supervisor owns it (${conflict.why})`, {
      path: conflict.path,
    });
  }
  const workspace = getPath(built.config, "agents.defaults.workspace");
  const ours = settings.roots.find((root) => root.name === "workspace")!.dir;
  if (typeof workspace === "string" && workspace !== ours) {
    log.warn("config", "agents.defaults.workspace differs from the backed-up workspace folder; set MOLTLAB_WORKSPACE_DIR to match", {
      configured: workspace,
      backedUp: ours,
    });
  }
  await writeConfig(settings.configPath, built.config, settings.gatewayUser);
  log.info("config", "openclaw.json written", { path: settings.configPath, restored: existing.config !== null, references: built.references });
  return built;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    createLogger({ secrets: secretValues(process.env) }).error("supervisor", `supervisor crashed: ${errorText(error)}`);
    process.exit(1);
  },
);
