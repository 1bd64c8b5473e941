/**
 * The ways a torture cycle ends, each drawn by the seed. "Ends with SIGTERM" kinds promise
 * no loss at all; "killed" kinds promise everything before the last finished backup.
 */
export const CYCLE_KINDS = [
  "sigterm",
  "sigkill",
  "sigkill-during-backup",
  "sigkill-during-restore",
  "oom-kill",
  "r2-unreachable",
  "r2-slow",
  "r2-5xx",
  "r2-reset-upload",
  "r2-reset-restore",
  "disk-full",
  "clock-jump",
] as const;
export type CycleKind = (typeof CYCLE_KINDS)[number];

/** How the kind ends the container, which decides what is owed. */
export function endingOf(kind: CycleKind): "sigterm" | "killed" | "restore-killed" {
  if (kind === "sigkill" || kind === "sigkill-during-backup" || kind === "oom-kill") return "killed";
  if (kind === "sigkill-during-restore") return "restore-killed";
  return "sigterm";
}

export const KIND_NOTES: Record<CycleKind, string> = {
  sigterm: "SIGTERM at a random moment of the workload",
  sigkill: "SIGKILL at a random moment of the workload",
  "sigkill-during-backup": "SIGKILL the moment a backup uploads its first pack",
  "sigkill-during-restore": "SIGKILL the moment the restore reads its first pack",
  "oom-kill": "the memory cgroup's OOM killer takes the supervisor (a memory hog fills the container's limit)",
  "r2-unreachable": "R2 refuses connections for 1–3 s, comes back, then SIGTERM",
  "r2-slow": "every R2 request waits 1 s from mid-run on, SIGTERM while it is still slow",
  "r2-5xx": "R2 answers 503 for 1–3 s, comes back, then SIGTERM",
  "r2-reset-upload": "R2 connections reset after 1 KiB of every upload for 1–3 s, then SIGTERM",
  "r2-reset-restore": "R2 connections reset mid-download for the restore's first 1–3 object reads",
  "disk-full": "a 64 MiB tmpfs home filled by a download, the workload writing into the full disk, then SIGTERM",
  "clock-jump": "the supervisor's wall clock jumps by ±1 h or ±3 days mid-run, then SIGTERM",
};
