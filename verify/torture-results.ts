/**
 * The shape of reports/torture.json (written by `npm run torture`, tests/torture/), which
 * verify and the README read. Kinds are plain strings here: verify reads what the run wrote.
 */
import type { MachineFacts } from "../core/machine.ts";

export interface KindSummary {
  kind: string;
  ending: "sigterm" | "killed" | "restore-killed";
  what: string;
  cycles: number;
  /** Restores checked after a cycle of this kind. */
  checked: number;
  writes: number;
  /** Writes of these cycles missing from the next restore (allowed only after a kill, and only if not owed). */
  lostWrites: number;
  /** The oldest lost write's age when the cycle ended. */
  maxLostAgeMs: number | null;
  lostAgeP50Ms: number | null;
  owedMissing: number;
  corrupt: number;
  /** Proof the fault happened: R2 requests failed, boots refused, OOM kills seen, final backups done. */
  r2Disturbed: number;
  backupsFailed: number;
  refusedBoots: number;
  oomKilled: number;
  finalBackupsDone: number;
}

export interface TortureReport {
  generatedAt: string;
  seed: string;
  cyclesPlanned: number;
  cyclesRun: number;
  seconds: number;
  /** Restores checked in total, and how many were corrupt (must be 0). */
  restoresChecked: number;
  corruptRestores: number;
  /** Writes committed before a SIGTERM that a later restore did not hold (must be 0). */
  lostAfterSigterm: number;
  /** Owed writes (before the last finished backup of a killed cycle) missing (must be 0). */
  owedMissing: number;
  /** Cycles with a problem (a corrupt or lossy restore, a failed final backup, a container that never came up). */
  failures: Array<{ cycle: number; kind: string; problems: string[] }>;
  kinds: KindSummary[];
  replay: string;
  settings: { backupQuietMs: number; backupMaxWaitMs: number; backupIntervalMs: number; r2Attempts: number };
  machine: MachineFacts;
  ok: boolean;
}
