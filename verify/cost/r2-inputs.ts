/**
 * R2's inputs to the cost model: the requests and bytes `npm run bench` measured per backup
 * and restore (the `r2` of the backup figures' rows in reports/bench.json), and what turns
 * them into a month, each said to be measured or assumed.
 */
import type { R2Operations } from "../../container/supervisor/storage.ts";
import { backupFigureIds, type BenchReport, type BenchRow } from "../bench-results.ts";
import type { R2Input } from "./model.ts";

/** The supervisor's MOLTLAB_BACKUP_INTERVAL and MOLTLAB_BACKUP_KEEP defaults (r2-inputs.test.ts holds them to env.ts). */
export const SUPERVISOR_DEFAULTS = { backupIntervalS: 5, backupKeep: 20 } as const;

/** Assumed: a container that never sleeps still starts, and restores, about once a month (a deploy, an update). */
export const RESTORES_PER_MONTH_ALWAYS_ON = 1;

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
      backupIntervalS: SUPERVISOR_DEFAULTS.backupIntervalS,
      keptSnapshots: SUPERVISOR_DEFAULTS.backupKeep,
      restoresPerMonthAlwaysOn: RESTORES_PER_MONTH_ALWAYS_ON,
    },
  };
}
