/**
 * reports/torture.json and .md: what ran, how each kind of ending went, and the seed that
 * replays it. Written after every cycle, so an interrupted run still leaves its evidence.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { KindSummary, TortureReport } from "../../verify/torture-results.ts";
import { CYCLE_KINDS, type CycleKind, endingOf, KIND_NOTES } from "./kinds.ts";
import type { CycleResult } from "./cycle.ts";

const percentile = (values: number[], p: number) => {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

/** Each restore is judged against the cycle before it: the loss belongs to the kind that ended that cycle. */
export function summarise(
  results: readonly CycleResult[],
  base: Omit<TortureReport, "restoresChecked" | "corruptRestores" | "lostAfterSigterm" | "owedMissing" | "failures" | "kinds" | "cyclesRun" | "ok">,
): TortureReport {
  const kinds = new Map<CycleKind, KindSummary & { ages: number[] }>(
    CYCLE_KINDS.map((kind) => [
      kind,
      {
        kind,
        ending: endingOf(kind),
        what: KIND_NOTES[kind],
        cycles: 0,
        checked: 0,
        writes: 0,
        lostWrites: 0,
        maxLostAgeMs: null,
        lostAgeP50Ms: null,
        owedMissing: 0,
        corrupt: 0,
        r2Disturbed: 0,
        backupsFailed: 0,
        refusedBoots: 0,
        oomKilled: 0,
        finalBackupsDone: 0,
        ages: [],
      },
    ]),
  );
  const failures: TortureReport["failures"] = [];
  let previousWriter: CycleResult | undefined;
  let restoresChecked = 0;
  let corruptRestores = 0;
  let lostAfterSigterm = 0;
  let owedMissing = 0;
  for (const result of results) {
    const summary = kinds.get(result.kind)!;
    summary.cycles++;
    summary.writes += result.writes;
    summary.r2Disturbed += result.r2Disturbed;
    summary.backupsFailed += result.backupsFailed;
    summary.refusedBoots += result.restore.boots - (result.restore.outcome === "refused" ? 0 : 1);
    summary.oomKilled += result.ending.exit?.oomKilled ? 1 : 0;
    summary.finalBackupsDone += result.finalBackup === "done" ? 1 : 0;
    const problems = [...result.problems];
    const check = result.restore.check;
    if (check) {
      restoresChecked++;
      if (check.corrupt.length) {
        corruptRestores++;
        problems.push(`corrupt restore: ${check.corrupt.slice(0, 3).join("; ")}${check.corrupt.length > 3 ? ` and ${check.corrupt.length - 3} more` : ""}`);
      }
      if (check.owedMissing.length) {
        owedMissing += check.owedMissing.length;
        problems.push(`${check.owedMissing.length} owed write(s) missing, e.g. ${check.owedMissing.slice(0, 3).join(", ")}`);
      }
      if (previousWriter) {
        const before = kinds.get(previousWriter.kind)!;
        before.checked++;
        before.corrupt += check.corrupt.length ? 1 : 0;
        before.owedMissing += check.owedMissing.length;
        before.lostWrites += check.lost.length;
        before.ages.push(...check.lost.map((lost) => lost.ageMs));
        if (endingOf(previousWriter.kind) === "sigterm" && check.lost.length) {
          lostAfterSigterm += check.lost.length;
          problems.push(`${check.lost.length} write(s) of cycle ${previousWriter.cycle} (${previousWriter.kind}, ended by SIGTERM) lost`);
        }
      }
      // The writes of this cycle are judged by the next checked restore.
      previousWriter = result;
    }
    if (problems.length) failures.push({ cycle: result.cycle, kind: result.kind, problems });
  }
  const summaries = [...kinds.values()].map(({ ages, ...summary }) => ({
    ...summary,
    maxLostAgeMs: ages.length ? Math.max(...ages) : null,
    lostAgeP50Ms: percentile(ages, 50),
  }));
  return {
    ...base,
    cyclesRun: results.length,
    restoresChecked,
    corruptRestores,
    lostAfterSigterm,
    owedMissing,
    failures,
    kinds: summaries,
    ok: corruptRestores === 0 && lostAfterSigterm === 0 && owedMissing === 0 && failures.length === 0,
  };
}

export function renderMarkdown(report: TortureReport): string {
  const ms = (value: number | null) => (value === null ? "–" : `${(value / 1000).toFixed(2)} s`);
  const lines = [
    "# Torture run: restarts and faults against the real supervisor",
    "",
    `${report.generatedAt} · seed \`${report.seed}\` · ${report.cyclesRun} of ${report.cyclesPlanned} cycles in ${Math.round(report.seconds / 60)} min · ${report.machine.cpus} CPUs, Docker ${report.machine.docker ?? "?"}`,
    "",
    `**${report.ok ? "OK" : "NG"}** — corrupt restores: **${report.corruptRestores}** of ${report.restoresChecked} checked · writes lost after SIGTERM: **${report.lostAfterSigterm}** · owed writes missing after a kill: **${report.owedMissing}**`,
    "",
    `Backup loop: quiet ${report.settings.backupQuietMs} ms, max wait ${report.settings.backupMaxWaitMs} ms, gap ${report.settings.backupIntervalMs} ms; R2 attempts ${report.settings.r2Attempts}.`,
    "A write is *owed* after SIGTERM if committed before the signal; after a kill, if committed before the start of the last backup that finished before it.",
    "Losses are counted on the next checked restore; their age is how long before the end of the cycle they were committed.",
    "",
    "| kind | ends by | cycles | restores after | writes | lost | lost age p50 / max | owed missing | corrupt | fault seen |",
    "|---|---|---:|---:|---:|---:|---|---:|---:|---|",
    ...report.kinds.map(
      (kind) =>
        `| ${kind.kind} | ${kind.ending} | ${kind.cycles} | ${kind.checked} | ${kind.writes} | ${kind.lostWrites} | ${ms(kind.lostAgeP50Ms)} / ${ms(kind.maxLostAgeMs)} | ${kind.owedMissing} | ${kind.corrupt} | ${faultSeen(kind)} |`,
    ),
    "",
    ...report.kinds.map((kind) => `- **${kind.kind}**: ${kind.what}`),
    "",
    report.failures.length ? "## Failures" : "No cycle failed.",
    ...report.failures.map((failure) => `- cycle ${failure.cycle} (${failure.kind}): ${failure.problems.join("; ")}`),
    "",
    `Replay: \`${report.replay}\``,
    "",
  ];
  return lines.join("\n");
}

/** What shows the kind's fault really happened, in its cycles. */
function faultSeen(kind: KindSummary): string {
  const seen = [
    kind.r2Disturbed ? `${kind.r2Disturbed} R2 requests failed` : "",
    kind.backupsFailed ? `${kind.backupsFailed} backups failed and were retried` : "",
    kind.refusedBoots ? `${kind.refusedBoots} boots refused` : "",
    kind.oomKilled ? `${kind.oomKilled} OOMKilled` : "",
    kind.ending === "sigterm" ? `${kind.finalBackupsDone}/${kind.cycles} final backups` : "",
  ].filter(Boolean);
  return seen.join(", ") || "–";
}

export function writeReport(report: TortureReport, jsonPath: string): void {
  mkdirSync(dirname(jsonPath), { recursive: true });
  writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(jsonPath.replace(/\.json$/, ".md"), renderMarkdown(report));
}
