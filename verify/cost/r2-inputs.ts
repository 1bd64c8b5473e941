/**
 * R2's inputs to the cost model: the requests and bytes `npm run bench` measured per backup
 * and restore (the `r2` of the backup figures' rows in reports/bench.json), and what turns
 * them into a month, each said to be measured or assumed.
 */
import { backupDefaults } from "../../container/supervisor/env.ts";
import type { R2Operations } from "../../container/supervisor/storage.ts";
import { BACKUP_CADENCE_FIGURE, backupFigureIds, type BenchReport, type BenchRow } from "../bench-results.ts";
import type { R2Input } from "./model.ts";

/** Assumed: a container that never sleeps still starts, and restores, about once a month (a deploy, an update). */
export const RESTORES_PER_MONTH_ALWAYS_ON = 1;

/**
 * Assumed: the share of the hours in use during which the state changes (a reply streaming, a
 * tool writing files); backups run back to back at the measured cadence meanwhile, and not at
 * all while nothing changes. An agent waiting for its next message writes nothing, so 1 (every
 * hour in use spent writing) is the upper bound the evidence also prices.
 */
export const CHANGING_SHARE_OF_USE = 0.25;

/** The bench's shape with the most requests per byte (one object per 16 KiB file): the costlier one to price. */
export const PRICED_SHAPE = "many-small";

export type R2Evidence =
  | {
      ok: true;
      input: R2Input;
      /** The measured row, e.g. "200 MB, 12,800 files". */
      row: string;
      /** A full backup of that workspace: what the first backup into an empty bucket costs, once. */
      fullBackup: R2Operations;
    }
  | { ok: false; why: string };

/**
 * The R2 input from a bench report: the row (workspace size) measured in all three figures
 * of the priced shape, the largest of them (the state is assumed to be that workspace).
 */
export function r2InputFromBench(report: BenchReport | undefined): R2Evidence {
  if (!report) return { ok: false, why: "no bench report" };
  const ids = backupFigureIds(PRICED_SHAPE);
  const figure = (id: string) => report.figures.find((candidate) => candidate.id === id);
  const [full, oneChange, restore] = [figure(ids.full), figure(ids.oneChange), figure(ids.restore)];
  if (!full || !oneChange || !restore) {
    const missing = [ids.full, ids.oneChange, ids.restore].filter((id) => !figure(id));
    return { ok: false, why: `reports/bench.json has no ${missing.join(", ")} figure${missing.length > 1 ? "s" : ""} (an older or partial bench run)` };
  }
  const counted = (rows: readonly BenchRow[], label: string) => rows.find((row) => row.label === label && row.r2)?.r2;
  const rows = full.rows
    .filter((row) => row.r2 && counted(oneChange.rows, row.label) && counted(restore.rows, row.label))
    .sort((a, b) => b.r2!.bytesUp - a.r2!.bytesUp);
  const largest = rows[0];
  if (!largest)
    return { ok: false, why: `the rows of ${ids.full}, ${ids.oneChange} and ${ids.restore} carry no R2 counts (a bench run from before they were recorded)` };
  return {
    ok: true,
    row: largest.label,
    fullBackup: largest.r2!,
    input: {
      perBackup: counted(oneChange.rows, largest.label)!,
      perRestore: counted(restore.rows, largest.label)!,
      stateBytes: largest.r2!.bytesUp,
      ...backupCadence(report),
      keptSnapshots: backupDefaults().backupKeep,
      changingShare: CHANGING_SHARE_OF_USE,
      restoresPerMonthAlwaysOn: RESTORES_PER_MONTH_ALWAYS_ON,
    },
  };
}

/**
 * How often a busy agent backs up: the fastest row of the bench's backup.cadence (a file
 * written every 250 ms, the supervisor at its defaults), else the loop's bound at its
 * defaults: one backup per MOLTLAB_BACKUP_MAX_WAIT, never sooner than MOLTLAB_BACKUP_INTERVAL
 * after the previous one.
 */
export function backupCadence(report: BenchReport): Pick<R2Input, "backupEveryS" | "backupCadence"> {
  const rows = report.figures.find((figure) => figure.id === BACKUP_CADENCE_FIGURE)?.rows ?? [];
  const fastest = [...rows].sort((a, b) => a.median - b.median)[0];
  if (fastest) {
    return {
      backupEveryS: fastest.median,
      backupCadence: `one every ${fastest.median.toFixed(2)} s, measured by the bench with a file written every 250 ms (${BACKUP_CADENCE_FIGURE}, "${fastest.label}")`,
    };
  }
  const defaults = backupDefaults();
  const everyS = Math.max(defaults.backupMaxWaitMs, defaults.backupIntervalMs) / 1000;
  return {
    backupEveryS: everyS,
    backupCadence: `one every ${everyS} s, the backup loop's bound at its defaults (MOLTLAB_BACKUP_MAX_WAIT ${defaults.backupMaxWaitMs / 1000} s, MOLTLAB_BACKUP_INTERVAL ${defaults.backupIntervalMs / 1000} s; the bench's ${BACKUP_CADENCE_FIGURE} not measured)`,
  };
}
