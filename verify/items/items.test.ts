import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../../core/host.ts";
import type { BenchReport, BenchRow } from "../bench-results.ts";
import { type DindFile, type DindOutcome, EVIDENCE_FILES } from "../evidence-files.ts";
import { verifyContext } from "../testing/context.ts";
import { cpuShareAtBudget } from "./cost.ts";
import { dindCauses } from "./dind.ts";
import { itemById, ITEMS, judgeItem } from "./registry.ts";
import { readStructure, structureChecks } from "./structure.ts";
import { TERRAFORM_ROWS } from "./terraform.ts";
import { ROUTES, SECRET_NAMES } from "../../worker/src/manifest.ts";

describe("the item registry", () => {
  it("declares the plan's items once each, in its order, with the evidence files each one reads", () => {
    expect(ITEMS.map((item) => item.id)).toEqual([
      "0-1",
      "0-2",
      "0-3",
      "0-4",
      "0-5",
      "0-6",
      "0-7",
      "0-8",
      "migration",
      "parity",
      "cost",
      "latency",
      "stability",
    ]);
    expect(Object.fromEntries(ITEMS.filter((item) => item.reads.length).map((item) => [item.id, item.reads]))).toEqual({
      "0-2": ["tools-matrix.json"],
      "0-3": ["dind.json", "tools-matrix.json"],
      "0-4": ["tools-matrix.json"],
      "0-6": ["persistence.json", "bench.json", "torture.json"],
      "0-7": ["chat.json", "tools-matrix.json", "bench.json", "persistence.json"],
      parity: ["wake.json", "discord.json", "jobs.json", "tools-matrix.json"],
      cost: ["bench.json"],
      latency: ["bench.json"],
      stability: ["soak.json"],
    });
  });

  it("gives each result the header declared in the registry, the cost's from the budget asked about", async () => {
    const ctx = verifyContext(ROOT, { budget: 40 }, new Date());
    const cost = await judgeItem(itemById("cost"), ctx);
    expect(cost).toMatchObject({
      id: "cost",
      title: "Cost",
      question: "Phase 2: does it stay within the budget of $40.00/month (stop above)?",
      criterion: "At most $40.00/month",
    });
    expect(Object.keys(cost).slice(0, 5)).toEqual(["id", "title", "question", "criterion", "verdict"]);
    expect(await judgeItem(itemById("0-8"), ctx)).toMatchObject({
      id: "0-8",
      title: "Terraform",
      question: "What can Terraform manage? (Cloudflare Terraform provider v5)",
    });
  });
});

describe("structure (0-1)", () => {
  it("takes the Worker's routes and names from its manifest, not from its source", () => {
    const structure = readStructure(ROOT);
    expect(structure.routes).toBe(ROUTES);
    expect(structure.routes.find((route) => route.path === "/sandbox-health")).toMatchObject({ method: "GET", auth: "none" });
    expect(structure.envNames).toEqual(expect.arrayContaining(["Sandbox", "ASSETS", ...SECRET_NAMES]));
  });

  it("finds every piece of a moltworker-compatible deployment in this repository's files", () => {
    const structure = readStructure(ROOT);
    const checks = structureChecks(structure);
    expect(checks.filter((check) => !check.ok)).toEqual([]);
    expect(structure.wrangler.containers?.[0]).toMatchObject({ class_name: "Sandbox", instance_type: "standard-1", max_instances: 1 });
    expect(structure.dockerfile.expose).toContain("18789");
    expect(structure.usesSandboxSdk).toBe(false);
  });

  it("flags a missing piece", () => {
    const structure = readStructure(ROOT);
    const broken = {
      ...structure,
      wrangler: { ...structure.wrangler, r2_buckets: [] },
      routes: structure.routes.filter((route) => route.path !== "/sandbox-health"),
    };
    expect(
      structureChecks(broken)
        .filter((check) => !check.ok)
        .map((check) => check.piece),
    ).toEqual(["an R2 bucket", "a static health route outside Access"]);
  });

  it("flags a health route behind Access, a missing catch-all and a missing secret name", () => {
    const structure = readStructure(ROOT);
    const broken = {
      ...structure,
      routes: structure.routes
        .filter((route) => route.path !== "/*")
        .map((route) => (route.path === "/sandbox-health" ? { ...route, auth: "access" as const } : route)),
      envNames: structure.envNames.filter((name) => name !== "CF_ACCESS_AUD"),
    };
    const failed = structureChecks(broken).filter((check) => !check.ok);
    expect(failed.map((check) => [check.piece, check.found])).toEqual([
      ["a static health route outside Access", "GET /sandbox-health (auth: access)"],
      ["everything else proxied to the gateway", "no catch-all"],
      ["moltworker's secret names", "missing: CF_ACCESS_AUD"],
    ]);
  });
});

describe("DinD (0-3) and Terraform (0-8)", () => {
  it("names why dockerd stopped from its log", () => {
    const log =
      'iptables -t nat -N DOCKER: iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root) level=error msg="failed to mount overlay: operation not permitted" exec: "fuse-overlayfs": executable file not found in $PATH';
    expect(dindCauses(log)).toHaveLength(3);
    expect(dindCauses("all good")).toEqual([]);
  });

  describe("the DinD verdict", () => {
    const dir = mkdtempSync(join(tmpdir(), "moltlab-dind-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const ctx = verifyContext(dir);
    const judge = (...outcomes: DindOutcome[]) => {
      const file: DindFile = { generatedAt: new Date().toISOString(), instanceType: "standard-1", image: "dind", outcomes };
      writeFileSync(join(dir, EVIDENCE_FILES.dind.json), JSON.stringify(file));
      return judgeItem(itemById("0-3"), ctx);
    };
    const plain: DindOutcome = {
      mode: "cloudflare-profile",
      containerStarted: true,
      dockerdStarted: false,
      server: null,
      innerContainer: null,
      ms: 1500,
      evidence: "failed to create NAT chain DOCKER: iptables failed: Permission denied (you must be root)",
    };
    const flags: DindOutcome = {
      mode: "documented-flags",
      containerStarted: true,
      dockerdStarted: true,
      server: "20.10 storage=vfs",
      innerContainer: "failed: ApplyLayer exit status 1 stderr: Error creating mount namespace before pivot: operation not permitted",
      ms: 900,
      evidence: "dockerd ready",
    };

    it("is unverified, not NG, when only the local profile fails: Cloudflare documents dockerd with --iptables=false", async () => {
      const item = await judge(plain, flags);
      expect(item.verdict).toBe("unverified");
      expect(item.summary).toContain("Cloudflare documents dockerd with --iptables=false");
      expect(item.summary).toContain("here dockerd starts with the guide's flags but runs no container (creating a mount namespace is not permitted");
      expect(item.sources.map((source) => source.origin)).toContain("desk research");
    });

    it("is OK with constraints once an inner container runs under Cloudflare's profile", async () => {
      expect(await judge(plain, { ...flags, innerContainer: "ok" })).toMatchObject({
        verdict: "OK with constraints",
        summary: expect.stringContaining("with --iptables=false and no bridge network"),
      });
    });
  });

  it("finds the CPU share at which a cost line reaches the budget", () => {
    expect(cpuShareAtBudget((share) => 30 + 20 * share, 40)).toBeCloseTo(0.5, 6);
    expect(cpuShareAtBudget((share) => 60 + share, 50)).toBeNull();
    expect(cpuShareAtBudget((share) => 10 + share, 50)).toBe(1);
  });

  it("answers the plan's Terraform questions, with containers as the one piece it cannot manage", () => {
    const byPiece = Object.fromEntries(TERRAFORM_ROWS.map((row) => [row.piece, row.managed]));
    expect(byPiece).toMatchObject({ "DNS record": "yes", "Access application": "yes", "R2 bucket": "yes", "AI Gateway": "yes", "Worker script": "yes" });
    expect(TERRAFORM_ROWS.filter((row) => row.managed === "no").map((row) => row.piece)).toEqual([
      "Containers application (image, instance type, max instances, DO link)",
    ]);
  });
});

describe("cost: R2 from the bench's measured requests", () => {
  const dir = mkdtempSync(join(tmpdir(), "moltlab-cost-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const ctx = verifyContext(dir);
  const none = { classA: 0, classB: 0, free: 0, bytesUp: 0, bytesDown: 0 };
  const row = (r2?: BenchRow["r2"]): BenchRow => ({ label: "10 MB, 640 files", samples: [1], median: 1, min: 1, max: 1, ...(r2 ? { r2 } : {}) });
  const bench = (counted: boolean): BenchReport => ({
    generatedAt: new Date().toISOString(),
    machine: { arch: "amd64", cpus: 2, memoryGiB: 8, docker: "27" } as BenchReport["machine"],
    figures: [
      { id: "backup.many-small", title: "full", unit: "s", rows: [row(counted ? { ...none, classA: 642, bytesUp: 10_600_000 } : undefined)] },
      { id: "backup.one-change.many-small", title: "one change", unit: "ms", rows: [row(counted ? { ...none, classA: 3, bytesUp: 114_000 } : undefined)] },
      { id: "restore.many-small", title: "restore", unit: "s", rows: [row(counted ? { ...none, classA: 1, classB: 641, bytesDown: 10_600_000 } : undefined)] },
      { id: "backup.cadence", title: "cadence", unit: "s", rows: [{ label: "probe file only", samples: [1.2], median: 1.2, min: 1.2, max: 1.2 }] },
    ],
  });
  const judge = async (report: BenchReport | null) => {
    rmSync(join(dir, EVIDENCE_FILES.bench.json), { force: true });
    if (report) writeFileSync(join(dir, EVIDENCE_FILES.bench.json), JSON.stringify(report));
    return judgeItem(itemById("cost"), ctx);
  };

  it("adds R2 storage and requests to each line, saying what is measured and what assumed", async () => {
    const item = await judge(bench(true));
    expect(item.summary).toBe(
      "computed from published prices: standard-1 24/7: $39.15/month ≤ budget $50.00; R2 $4.50 of it, assuming backups every 1.2 s during the 25 % of use the state changes; 8 h/day: $14.61",
    );
    const evidence = item.evidence.join("\n");
    expect(evidence).toContain('row "10 MB, 640 files"): a backup after one file changed 3 Class A, 0 Class B, 0 free; 111.3 KiB up, 0 B down');
    expect(evidence).toContain(
      'Backups while the state changes: one every 1.20 s, measured by the bench with a file written every 250 ms (backup.cadence, "probe file only")',
    );
    expect(evidence).toContain("Assumed: the state is that workspace; it changes during 25 % of the 24 h/day in use");
    // 730 h × 3600 s × 25 % / 1.2 s
    expect(evidence).toContain("547,500 backups and 1.0 restores a month → 1,642,501 Class A, 641 Class B");
    // Four times the backups: 6,570,001 Class A, 5.57 million over the free one, six started millions.
    expect(evidence).toContain("If it changed through every hour in use (the upper bound): R2 $27.00, 2,190,000 backups a month.");
    expect(evidence).toContain("covers 333,333 backups, one every 7.9 s of use");
    expect(evidence).not.toContain("Not in the total: R2");
    expect(item.sources.map((source) => source.path)).toContainEqual(expect.stringMatching(/bench\.json$/));
    expect(item.tables?.[0]?.rows.filter((cells) => cells[0]!.startsWith("R2"))).toEqual([
      ["R2 storage", "0.0129 GB-month", "10 GB-month", "$0.00", expect.stringContaining("measured")],
      ["R2 Class A requests", "1,642,501 requests", "1,000,000 requests", "$4.50", expect.stringContaining("assumed")],
      ["R2 Class B requests", "641 requests", "10,000,000 requests", "$0.00", expect.stringContaining("as measured")],
    ]);
  });

  it("leaves R2 out of the total, and says so, when the bench has not measured it", async () => {
    for (const report of [null, bench(false)]) {
      const item = await judge(report);
      expect(item.summary).toContain("$34.65/month ≤ budget $50.00; R2 not included (no measured requests)");
      expect(item.evidence.join("\n")).toContain("R2 is not in the total:");
      expect(item.tables?.[0]?.rows.at(-1)).toEqual([
        "R2 storage and requests",
        "—",
        "—",
        "not in the total",
        expect.stringMatching(/^not measured: .*run `npm run bench`$/),
      ]);
    }
  });
});
