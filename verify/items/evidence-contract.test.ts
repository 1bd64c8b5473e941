/**
 * The evidence the OpenClaw integration tests record (EvidenceRecorder, set the way
 * openclaw-chat.test.ts and openclaw-persistence.test.ts set it) is what the verify items
 * read: a drift between the two would leave a real run "unverified".
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EvidenceRecorder } from "../../tests/integration/openclaw-reports.ts";
import { type ChatFile, EVIDENCE_FILES, type PersistenceFile } from "../evidence-files.ts";
import { verifyContext } from "../testing/context.ts";
import { itemById, judgeItem } from "./registry.ts";

const dir = mkdtempSync(join(tmpdir(), "moltlab-evidence-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ctx = verifyContext(dir);

function save<F extends { generatedAt: string; source: string }>(recorder: EvidenceRecorder<F>): void {
  writeFileSync(join(dir, recorder.file.json), JSON.stringify({ generatedAt: new Date().toISOString(), source: recorder.source, ...recorder.data }));
}

describe("evidence written by the OpenClaw tests, read by verify", () => {
  it("chat: a recorded run with a replied turn is the chain working, with its times in the evidence", async () => {
    const evidence = new EvidenceRecorder<ChatFile>(EVIDENCE_FILES.chat, "chat", { runs: {} });
    evidence.set("runs.amd64", {
      instanceType: "standard-1",
      host: "amd64",
      boot: { restoreMs: 120, configMs: 4, gatewayMs: 58_000, containerStartToReadyMs: 61_500 },
    });
    evidence.set("runs.amd64.httpTurn", { status: 200, replied: true, ms: 14_200 });
    evidence.set("runs.amd64.wsTurn", { replied: true, ms: 3100, turnMs: 2500 });
    evidence.set("runs.amd64.exitCode", 0);
    evidence.set("runs.amd64.sigtermExitMs", 4100);
    evidence.passed("answers POST /v1/chat/completions", "runs.amd64");
    save(evidence);
    const item = await judgeItem(itemById("0-7"), ctx);
    expect(item.sources[0]).toMatchObject({ path: expect.stringMatching(/chat\.json$/), origin: "this run" });
    expect(item.evidence.join("\n")).toContain("container start → gateway ready 61.5 s");
    expect(item.evidence.join("\n")).toContain("HTTP 200, the scripted reply came back, 14.2 s");
    expect(item.evidence.join("\n")).toContain("Tests that ran to their end: answers POST /v1/chat/completions.");
    expect(item.stops).toBeUndefined();
    expect(["OK", "OK with constraints"]).toContain(item.verdict);
  });

  it("chat: a failed turn hits the stop criterion", async () => {
    const evidence = new EvidenceRecorder<ChatFile>(EVIDENCE_FILES.chat, "chat", { runs: {} });
    evidence.set("runs.amd64", { boot: { restoreMs: 1, configMs: 1, gatewayMs: 1, containerStartToReadyMs: 1 } });
    evidence.set("runs.amd64.httpTurn", { status: 502, replied: false, ms: 72_000 });
    save(evidence);
    expect(await judgeItem(itemById("0-7"), ctx)).toMatchObject({ verdict: "NG", stops: [{ detail: "HTTP chat turn failed (status 502)" }] });
  });

  it("persistence: every step passed plus the SIGKILL window gives OK with constraints and the numbers", async () => {
    const evidence = new EvidenceRecorder<PersistenceFile>(EVIDENCE_FILES.persistence, "persistence", {});
    evidence.set("arch", "amd64");
    evidence.set("boots.A", {
      restoreMs: 90,
      configMs: 3,
      gatewayMs: 55_000,
      containerStartToReadyMs: 58_000,
      restore: { source: "empty", files: 0, ok: true, skipped: 0 },
    });
    evidence.set("boots.B", {
      restoreMs: 400,
      configMs: 3,
      gatewayMs: 50_000,
      containerStartToReadyMs: 52_000,
      restore: { source: "snapshot", files: 41, ok: true, skipped: 0 },
    });
    evidence.set("sigtermExitMs", 3900);
    evidence.set("sigkill", { ticksWritten: 40, ticksRestored: 33, lost: 7, lossWindowMs: 1900, writtenSpanMs: 9900, backupMaxWaitS: 1 });
    for (const step of ["A", "B", "B→C", "D"]) evidence.passed(step);
    save(evidence);
    const item = await judgeItem(itemById("0-6"), ctx);
    expect(item.verdict).toBe("OK with constraints");
    expect(item.evidence.join("\n")).toContain("40 ticks written over 9900 ms, 33 restored, 7 lost");
    expect(item.tables?.[0]?.rows).toContainEqual(["B", "400", "3", "50000", "52000", "snapshot", "41"]);
  });
});
