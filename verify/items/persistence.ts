/**
 * 0-6 persistence through R2: the chain of containers in openclaw-persistence.test.ts
 * (restore after SIGTERM, after SIGKILL, past a truncated snapshot) as recorded in
 * reports/persistence.json, plus the backup/restore figures of `npm run bench`.
 */
import type { BenchReport } from "../bench-results.ts";
import { chartOf, describeFigure, figuresWith } from "../bench.ts";
import { EVIDENCE_FILES, integrationTestCommand, type PersistenceFile } from "../evidence-files.ts";
import type { Evidence } from "../evidence.ts";
import type { Judgement, Verdict, VerifyContext } from "../types.ts";

export const PERSISTENCE_TEST = integrationTestCommand(EVIDENCE_FILES.persistence);

/** The four steps of the test and what each one proves when it ran to its end. */
export const PERSISTENCE_STEPS: Record<string, string> = {
  A: "a fresh container takes config, memory, a workspace git repo, a ghq repo, a codex config and a chat, then stops cleanly on SIGTERM with a final backup",
  B: "a new container restores all of it byte for byte: git repositories work, the config setting is back, the conversation continues (the model sees the earlier turn)",
  "B→C": "after a SIGKILL, everything backed up before it (deletions included) is restored and the restored writes are a prefix of what was written",
  D: "a truncated newest snapshot in R2 is skipped with a log line and the previous one restored",
};

export function judgePersistence(file: PersistenceFile): { verdict: Verdict; why: string } {
  const passed = file.passed ?? {};
  const done = Object.keys(PERSISTENCE_STEPS).filter((step) => passed[step.replaceAll(".", "·")]);
  const missing = Object.keys(PERSISTENCE_STEPS).filter((step) => !done.includes(step));
  if (missing.length === Object.keys(PERSISTENCE_STEPS).length) return { verdict: "unverified", why: "no step of the persistence test ran to its end" };
  if (missing.length) return { verdict: "NG", why: `steps that did not complete (failed or interrupted): ${missing.join(", ")}` };
  const lost = file.sigkill?.lost ?? 0;
  if (lost > 0)
    return {
      verdict: "OK with constraints",
      why: `all steps passed; a SIGKILL loses the writes since the last backup: here the last ${file.sigkill?.lossWindowMs ?? "?"} ms of a write about every 250 ms (${lost} writes); at most about the longest wait for a backup (MOLTLAB_BACKUP_MAX_WAIT, ${file.sigkill?.backupMaxWaitS ?? "?"} s) plus one backup's duration`,
    };
  return { verdict: "OK", why: "all steps passed, nothing lost on SIGKILL" };
}

export function judgePersistenceItem(
  _ctx: VerifyContext,
  { persistence: file, bench }: { persistence: Evidence<PersistenceFile>; bench: Evidence<BenchReport> },
): Judgement {
  const figures = figuresWith(bench.data, "backup.", "restore.");
  const sources = [file.source, bench.source];
  const charts = figures.map(chartOf);
  const benchLines = figures.map((figure) => `${describeFigure(figure)}.`);
  if (!file.data) {
    return {
      verdict: "unverified",
      summary: "no persistence evidence: run the persistence test",
      evidence: [`${file.problem}.`, ...(benchLines.length ? ["Bench figures (supervisor backup/restore, not OpenClaw end to end):", ...benchLines] : [])],
      wouldChange: [`run \`${PERSISTENCE_TEST}\` (about 8 min; it uses host ports 18789/18790)`],
      sources,
      charts,
    };
  }
  const data = file.data;
  const judgement = judgePersistence(data);
  const boots = Object.entries(data.boots ?? {});
  const evidence = [
    `The persistence test ran a chain of ${data.arch ?? "amd64"} containers on one R2 bucket (the R2 stand-in).`,
    ...Object.entries(PERSISTENCE_STEPS).map(
      ([step, what]) => `${data.passed?.[step.replaceAll(".", "·")] ? "passed" : "did not complete"} — ${step}: ${what}.`,
    ),
    ...(data.sigkill
      ? [
          `SIGKILL loss window: ${data.sigkill.ticksWritten} ticks written over ${data.sigkill.writtenSpanMs} ms, ${data.sigkill.ticksRestored} restored, ${data.sigkill.lost} lost; the writes of the last ${data.sigkill.lossWindowMs ?? "all"} ms before the kill were lost (backups follow changes, at most ${data.sigkill.backupMaxWaitS ?? "?"} s after the first unsaved one; upstream moltworker syncs every 30 s).`,
        ]
      : []),
    ...(data.sigtermExitMs !== undefined ? [`SIGTERM → exit 0 with a final backup in ${data.sigtermExitMs} ms.`] : []),
    ...boots.map(
      ([label, boot]) =>
        `Boot ${label}: restore ${boot.restoreMs ?? "?"} ms (${boot.restore ? `${boot.restore.source}, ${boot.restore.files} files${boot.restore.skipped ? `, ${boot.restore.skipped} snapshot skipped` : ""}` : "—"}), ${boot.containerStartToReadyMs === null || boot.containerStartToReadyMs === undefined ? "gateway readiness not awaited (this step checks the restored files)" : `container start → gateway ready ${boot.containerStartToReadyMs} ms`}.`,
    ),
    ...benchLines,
  ];
  return {
    verdict: judgement.verdict,
    summary: judgement.why,
    evidence,
    wouldChange: [
      ...(judgement.verdict === "NG" || judgement.verdict === "unverified" ? [`a complete run of \`${PERSISTENCE_TEST}\``] : []),
      "a shorter MOLTLAB_BACKUP_MAX_WAIT narrows the SIGKILL window while writes keep coming (more backups, more R2 requests); Cloudflare stops containers with SIGTERM first, where the final backup runs",
      "the same chain against real R2 (the stand-in is Cloudflare's own local simulator)",
    ],
    sources,
    tables: boots.length
      ? [
          {
            caption: "Boots in the persistence chain (ms)",
            header: ["boot", "restore", "config", "gateway", "start → ready", "restored from", "files"],
            rows: boots.map(([label, boot]) => [
              label,
              String(boot.restoreMs ?? "—"),
              String(boot.configMs ?? "—"),
              String(boot.gatewayMs ?? "—"),
              String(boot.containerStartToReadyMs ?? "—"),
              boot.restore?.source ?? "—",
              String(boot.restore?.files ?? "—"),
            ]),
          },
        ]
      : [],
    charts,
  };
}
