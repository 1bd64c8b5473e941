/**
 * One torture cycle: boot a container (it restores from R2), check the restore against the
 * ledger, run the workload, end the container the way the cycle's kind says, and work out
 * from the supervisor's log what it owes from now on.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SeededRandom } from "../../core/seeded-random.ts";
import { endingOf, type CycleKind } from "./kinds.ts";
import { type Ledger, parseJournal, type RestoreCheck, type RestoredState } from "./ledger.ts";
import type { R2Faults } from "../../emulators/r2/index.ts";
import { type Exit, type SandboxSpec, type SupervisorLine, TortureSandbox } from "./sandbox.ts";

/**
 * How much earlier than the engine's receive time a backup counts as started: the engine
 * stamps a log line when it reads it, a little after the supervisor wrote it, so a write made
 * in that gap could be taken for one the backup must hold.
 */
const LOG_DELAY_MARGIN_MS = 250;
const HOME_MIB = 256;
const FULL_DISK_HOME_MIB = 64;

export interface CycleResult {
  cycle: number;
  kind: CycleKind;
  /** The restore this cycle booted with, checked against what earlier cycles were owed. */
  restore: { outcome: "checked" | "not-checked" | "refused"; boots: number; check?: RestoreCheck; snapshot?: string; seconds?: number };
  writes: number;
  owed: number;
  ending: { signal: string; afterMs: number; exit?: Exit; trigger?: string };
  backups: number;
  /** R2 requests the stand-in's faults failed during this cycle: proof the fault happened. */
  r2Disturbed: number;
  /** Backups the supervisor logged as failed (R2 down, disk full): they were retried. */
  backupsFailed: number;
  finalBackup?: "done" | "failed" | "none";
  problems: string[];
  seconds: number;
}

export interface CycleRig {
  spec: Omit<SandboxSpec, "name" | "homeMiB">;
  /** The R2 stand-in's faults (emulators/r2/front.ts). */
  r2: R2Faults;
  ledger: Ledger;
  namePrefix: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runCycle(rig: CycleRig, cycle: number, kind: CycleKind, random: SeededRandom): Promise<CycleResult> {
  const started = Date.now();
  const journal = join(rig.spec.journalDir, `cycle-${cycle}.ndjson`);
  writeFileSync(journal, "");
  writeFileSync(join(rig.spec.journalDir, "clock-offset"), "0");
  const result: CycleResult = {
    cycle,
    kind,
    restore: { outcome: "not-checked", boots: 0 },
    writes: 0,
    owed: 0,
    ending: { signal: "none", afterMs: 0 },
    backups: 0,
    r2Disturbed: 0,
    backupsFailed: 0,
    problems: [],
    seconds: 0,
  };
  const disturbedBefore = rig.r2.disturbed;
  const spec = { ...rig.spec, homeMiB: kind === "disk-full" ? FULL_DISK_HOME_MIB : HOME_MIB };
  const sandboxes: TortureSandbox[] = [];
  let sandbox: TortureSandbox | undefined;
  let endedAt = 0;
  const kill = async (signal: "SIGTERM" | "SIGKILL", trigger?: string) => {
    if (endedAt) return;
    endedAt = Date.now();
    result.ending = { signal, afterMs: 0, trigger };
    await sandbox?.signal(signal);
  };

  try {
    // Boot (twice at most: a restore that R2 broke beyond the supervisor's retries ends the
    // container, and the platform starts it again).
    for (let boot = 1; boot <= 2 && !sandbox; boot++) {
      result.restore.boots = boot;
      if (kind === "r2-reset-restore" && boot === 1) {
        let reads = 0;
        const breaks = Math.floor(random.between(1, 4));
        await rig.r2.fault({ kind: "reset-download", afterBytes: 512 });
        rig.r2.onRequest(({ method, key }) => {
          if (method === "GET" && /moltlab\/(packs|objects|snapshots)\//.test(key) && ++reads >= breaks) {
            rig.r2.onRequest(undefined);
            void rig.r2.fault({ kind: "none" });
          }
        });
      }
      if (kind === "sigkill-during-restore") {
        rig.r2.onRequest(({ method, key }) => {
          if (method === "GET" && /moltlab\/(packs|objects)\//.test(key)) {
            rig.r2.onRequest(undefined);
            void kill("SIGKILL", "first pack read of the restore");
          }
        });
      }
      const candidate = await TortureSandbox.start({ ...spec, name: `${rig.namePrefix}-${cycle}-${boot}` });
      sandboxes.push(candidate);
      sandbox = candidate;
      const bootStarted = Date.now();
      const state = await candidate.waitReady();
      rig.r2.onRequest(undefined);
      await rig.r2.fault({ kind: "none" });
      if (endedAt) {
        result.restore.outcome = "not-checked";
        break;
      }
      if (state === "exited") {
        const why = (await candidate.supervisorLines()).filter((line) => line.level === "error").at(-1);
        result.problems.push(
          `boot ${boot} ended before the gateway was ready${why ? `: ${why.msg}` : ` (docker logs ${candidate.spec.name} had no error line)`}`,
        );
        sandbox = undefined;
        result.restore.outcome = "refused";
        continue;
      }
      result.restore.seconds = (Date.now() - bootStarted) / 1000;
    }
    if (kind === "sigkill-during-restore" && !endedAt) await kill("SIGKILL", "no pack to read yet: killed when ready");
    if (!sandbox) {
      result.problems.push("the container did not come up in two boots");
      return result;
    }
    if (endedAt) {
      result.ending.exit = await sandbox.waitExit();
      return result;
    }

    const restored = JSON.parse(await sandbox.exec(["node", "/torture/inspect-state.ts"])) as RestoredState;
    const check = rig.ledger.check(restored);
    result.restore = { ...result.restore, outcome: "checked", check };

    await sandbox.startWorkload(cycle, kind === "disk-full");
    const runMs = random.between(1500, 4500);
    const workStarted = Date.now();
    const at = (fraction: number) => sleep(Math.max(0, workStarted + runMs * fraction - Date.now()));
    switch (kind) {
      case "sigterm":
      case "disk-full":
        await at(1);
        await kill("SIGTERM");
        break;
      case "sigkill":
        await at(1);
        await kill("SIGKILL");
        break;
      case "sigkill-during-backup": {
        await at(0.5);
        const fired = new Promise<void>((resolve) => {
          rig.r2.onRequest(({ method, key }) => {
            if (method === "PUT" && /moltlab\/packs\//.test(key)) {
              rig.r2.onRequest(undefined);
              void kill("SIGKILL", "first pack upload of a backup").then(resolve);
            }
          });
        });
        await Promise.race([fired, sleep(8_000)]);
        rig.r2.onRequest(undefined);
        await kill("SIGKILL", "no backup started within 8 s: killed anyway");
        break;
      }
      case "oom-kill":
        await at(1);
        endedAt = Date.now();
        result.ending = { signal: "OOM", afterMs: 0 };
        await sandbox.oomKill();
        break;
      case "r2-unreachable":
      case "r2-5xx":
      case "r2-reset-upload": {
        await at(0.3);
        const fault =
          kind === "r2-unreachable"
            ? { kind: "unreachable" as const }
            : kind === "r2-5xx"
              ? { kind: "5xx" as const, status: 503 as const }
              : { kind: "reset-upload" as const, afterBytes: 1024 };
        await rig.r2.fault(fault);
        await sleep(random.between(1000, 3000));
        await rig.r2.fault({ kind: "none" });
        await sleep(random.between(0, 1000));
        await kill("SIGTERM");
        break;
      }
      case "r2-slow":
        await at(0.5);
        await rig.r2.fault({ kind: "slow", delayMs: 1000 });
        await at(1);
        await kill("SIGTERM");
        break;
      case "r2-reset-restore":
        await at(1);
        await kill("SIGTERM");
        break;
      case "clock-jump": {
        await at(0.5);
        const jumpMs = random.pick([3_600_000, -3_600_000, 3 * 86_400_000, -3 * 86_400_000]);
        writeFileSync(join(rig.spec.journalDir, "clock-offset"), String(jumpMs));
        result.ending.trigger = `clock ${jumpMs > 0 ? "+" : ""}${jumpMs / 3_600_000} h`;
        await at(1);
        const trigger = result.ending.trigger;
        await kill("SIGTERM");
        result.ending.trigger = trigger;
        break;
      }
    }
    result.ending.afterMs = endedAt - workStarted;
    result.ending.exit = await sandbox.waitExit();
    await rig.r2.fault({ kind: "none" });

    const lines = await sandbox.supervisorLines();
    const backups = lines.filter((line) => line.msg === "backup written" && line.receivedAt < endedAt);
    result.backups = backups.length;
    result.backupsFailed = lines.filter((line) => line.level === "error" && line.phase === "backup").length;
    const final = lines.find((line) => line.msg === "final backup done" || line.msg.startsWith("final backup failed"));
    result.finalBackup = final ? (final.msg === "final backup done" ? "done" : "failed") : "none";
    const owedBefore = endingOf(kind) === "sigterm" ? endedAt : lastBackupStart(backups);
    const entries = parseJournal(readFileSync(journal, "utf8"));
    const added = rig.ledger.addCycle(entries, endedAt, owedBefore);
    result.writes = added.writes;
    result.owed = added.owed;
    // A cycle whose workload wrote nothing proved nothing: that is a failure of the run, not a pass.
    if (!added.writes)
      result.problems.push(`the workload journaled no write (docker logs ${sandbox.spec.name} is gone; re-run with --cycles ${cycle} to see it)`);
    if (endingOf(kind) === "sigterm" && result.finalBackup !== "done") result.problems.push(`final backup ${result.finalBackup} after SIGTERM`);
    return result;
  } finally {
    rig.r2.onRequest(undefined);
    await rig.r2.fault({ kind: "none" });
    await Promise.all(sandboxes.map((each) => each.remove()));
    result.r2Disturbed = rig.r2.disturbed - disturbedBefore;
    result.seconds = (Date.now() - started) / 1000;
  }
}

/** When the last backup that finished before the kill started, on the host's clock (0: none). */
function lastBackupStart(backups: readonly SupervisorLine[]): number {
  let start = 0;
  for (const line of backups) {
    const duration = typeof line.durationMs === "number" && line.durationMs >= 0 && line.durationMs < 600_000 ? line.durationMs : undefined;
    // A duration the clock jump made meaningless proves nothing: that backup is not counted.
    if (duration !== undefined) start = Math.max(start, line.receivedAt - duration - LOG_DELAY_MARGIN_MS);
  }
  return start;
}
