/**
 * The contract between `npm run bench` (writes reports/bench.json, EVIDENCE_FILES.bench in
 * evidence-files.ts) and `moltlab verify` (reads it as evidence). Every figure is a set of
 * samples measured side by side in one run; consumers show the median with min/max and
 * compare rows as ratios.
 */
import type { R2Operations } from "../container/supervisor/storage.ts";
import type { MachineFacts } from "../core/machine.ts";

export interface BenchRow {
  label: string;
  /** Raw samples, in the figure's unit. */
  samples: number[];
  median: number;
  min: number;
  max: number;
  /**
   * Rows of figures that talk to R2 (backup, restore): the requests by price class and the
   * body bytes of one sample, as the supervisor's Bucket counts them; each count is its
   * median over the samples (they agree unless a request was retried).
   */
  r2?: R2Operations;
}

export interface BenchFigure {
  /** Stable id verify looks up, e.g. "cold-start.amd64.standard-1", "warm-latency.http", "backup.many-small". */
  id: string;
  title: string;
  unit: string;
  rows: BenchRow[];
  /** What a reader must know to trust the numbers (load, emulation, what was skipped and why). */
  notes?: string[];
}

/**
 * The ids of the backup figures of one workspace shape ("many-small", "few-large"): written
 * by tests/perf/backup.perf.ts, read by verify (the cost item prices R2 from their rows' `r2`).
 */
export function backupFigureIds(shape: string) {
  return {
    /** Every file into a fresh snapshot. */
    full: `backup.${shape}`,
    /** Nothing changed: the periodic rescan. */
    rescan: `backup.rescan.${shape}`,
    /** One file rewritten, then a backup: what the loop runs per change. */
    oneChange: `backup.one-change.${shape}`,
    restore: `restore.${shape}`,
  } as const;
}

/** Seconds between backups while a file keeps changing (the supervisor at its defaults): how often a busy agent backs up. */
export const BACKUP_CADENCE_FIGURE = "backup.cadence";

export interface BenchReport {
  generatedAt: string;
  /** node: absent in reports written before it was recorded. */
  machine: Omit<MachineFacts, "node"> & { node?: string };
  figures: BenchFigure[];
}
