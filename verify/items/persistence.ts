/**
 * 0-6 persistence through R2: the chain of containers in openclaw-persistence.test.ts
 * (restore after SIGTERM, after SIGKILL, past a truncated snapshot) as recorded in
 * reports/persistence.json, plus the backup/restore figures of `npm run bench`.
 */
import type { BenchReport } from "../bench-results.ts";
import { chartOf, describeFigure, figuresWith } from "../bench.ts";
import { EVIDENCE_FILES, integrationTestCommand, type PersistenceFile } from "../evidence-files.ts";
import type { Evidence } from "../evidence.ts";
import type { TortureReport } from "../torture-results.ts";
import type { Judgement, Table, Verdict, VerifyContext } from "../types.ts";

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

/** The torture run's target (issue 14): this many cycles with nothing corrupt and nothing lost after SIGTERM. */
export const TORTURE_TARGET_CYCLES = 200;
const TORTURE_COMMAND = `npm run torture -- --cycles ${TORTURE_TARGET_CYCLES}`;

/** What `npm run torture` adds: a verdict of its own (NG beats everything), evidence lines and a table per kind. */
export function judgeTorture(torture: Evidence<TortureReport>): { verdict?: Verdict; why?: string; evidence: string[]; wouldChange: string[]; table?: Table } {
  const data = torture.data;
  if (!data)
    return { evidence: [`No torture run: ${torture.problem}.`], wouldChange: [`run \`${TORTURE_COMMAND}\` (about 20 min; hundreds of restarts and faults)`] };
  const head = `Torture run (${data.generatedAt.slice(0, 10)}, seed ${data.seed}): ${data.cyclesRun} of ${data.cyclesPlanned} cycles against the real supervisor and the R2 stand-in; ${data.corruptRestores} corrupt restores of ${data.restoresChecked} checked, ${data.lostAfterSigterm} writes lost after SIGTERM, ${data.owedMissing} owed writes missing after a kill.`;
  const killed = data.kinds.filter((kind) => kind.ending === "killed" && kind.lostWrites);
  const evidence = [
    head,
    ...(killed.length
      ? [
          `After a kill, the writes lost were at most ${Math.max(...killed.map((kind) => kind.maxLostAgeMs ?? 0))} ms old when the container died (${killed.map((kind) => `${kind.kind}: ${kind.lostWrites}`).join(", ")}).`,
        ]
      : []),
    ...data.failures.slice(0, 5).map((failure) => `Cycle ${failure.cycle} (${failure.kind}): ${failure.problems.join("; ")}.`),
    `Replay: \`${data.replay}\`.`,
  ];
  const table: Table = {
    caption: "Torture run: cycles per ending, and what the next restore held",
    header: ["kind", "ends by", "cycles", "writes", "lost", "oldest lost (ms)", "owed missing", "corrupt"],
    rows: data.kinds.map((kind) => [
      kind.kind,
      kind.ending,
      String(kind.cycles),
      String(kind.writes),
      String(kind.lostWrites),
      String(kind.maxLostAgeMs ?? "—"),
      String(kind.owedMissing),
      String(kind.corrupt),
    ]),
  };
  if (!data.ok) {
    return {
      verdict: "NG",
      why: `the torture run failed: ${data.corruptRestores} corrupt restores, ${data.lostAfterSigterm} writes lost after SIGTERM, ${data.owedMissing} owed writes missing`,
      evidence,
      wouldChange: [`fix what \`${data.replay}\` shows`],
      table,
    };
  }
  const short = data.cyclesRun < TORTURE_TARGET_CYCLES;
  return {
    why: `torture run: ${data.cyclesRun} cycles, ${data.corruptRestores} corrupt restores, ${data.lostAfterSigterm} writes lost after SIGTERM`,
    evidence,
    wouldChange: short ? [`a run of at least ${TORTURE_TARGET_CYCLES} cycles (\`${TORTURE_COMMAND}\`): this one ran ${data.cyclesRun}`] : [],
    table,
  };
}

export function judgePersistenceItem(
  _ctx: VerifyContext,
  { persistence: file, bench, torture }: { persistence: Evidence<PersistenceFile>; bench: Evidence<BenchReport>; torture: Evidence<TortureReport> },
): Judgement {
  const figures = figuresWith(bench.data, "backup.", "restore.");
  const sources = [file.source, bench.source, torture.source];
  const tortured = judgeTorture(torture);
  const charts = figures.map(chartOf);
  const benchLines = figures.map((figure) => `${describeFigure(figure)}.`);
  if (!file.data) {
    return {
      verdict: "unverified",
      summary: "no persistence evidence: run the persistence test",
      evidence: [
        `${file.problem}.`,
        ...(benchLines.length ? ["Bench figures (supervisor backup/restore, not OpenClaw end to end):", ...benchLines] : []),
        ...tortured.evidence,
      ],
      wouldChange: [`run \`${PERSISTENCE_TEST}\` (about 8 min; it uses host ports 18789/18790)`, ...tortured.wouldChange],
      sources,
      charts,
      tables: tortured.table ? [tortured.table] : [],
    };
  }
  const data = file.data;
  const judged = judgePersistence(data);
  const judgement =
    tortured.verdict === "NG"
      ? { verdict: tortured.verdict, why: tortured.why! }
      : { ...judged, why: tortured.why ? `${judged.why}; ${tortured.why}` : judged.why };
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
    ...tortured.evidence,
  ];
  return {
    verdict: judgement.verdict,
    summary: judgement.why,
    evidence,
    wouldChange: [
      ...(judgement.verdict === "NG" || judgement.verdict === "unverified" ? [`a complete run of \`${PERSISTENCE_TEST}\``] : []),
      "a shorter MOLTLAB_BACKUP_MAX_WAIT narrows the SIGKILL window while writes keep coming (more backups, more R2 requests); Cloudflare stops containers with SIGTERM first, where the final backup runs",
      "the same chain against real R2 (the stand-in is Cloudflare's own local simulator)",
      ...tortured.wouldChange,
    ],
    sources,
    tables: [
      ...(tortured.table ? [tortured.table] : []),
      ...(boots.length
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
        : []),
    ],
    charts,
  };
}
