import { parseArgs } from "node:util";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BENCH_PROJECTS, OPT_IN_PROJECTS, TEST_PROJECTS } from "../vitest.workspace.ts";
import { ROOT } from "../core/host.ts";
import { setup } from "../setup/index.ts";
import { formatSeconds, StepFailed, StepRunner } from "../core/ui.ts";

export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

interface Row {
  name: string;
  seconds: number;
  result: string;
  ok: boolean;
  counts?: Counts;
}

/** Runs a Node script (vitest, tsc) on this very Node, so children never fall back to the system one. */
function runNode(script: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], { cwd: ROOT, stdio: "inherit" });
    child.on("close", (code) => resolve(code ?? 1));
  });
}

interface VitestJson {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
}

export function countsFromReport(report: VitestJson): Counts {
  return { passed: report.numPassedTests, failed: report.numFailedTests, skipped: report.numPendingTests + report.numTodoTests };
}

async function runProject(name: string, vitestArgs: readonly string[]): Promise<Row> {
  const started = performance.now();
  const reportDir = mkdtempSync(join(tmpdir(), "moltlab-vitest-"));
  const report = join(reportDir, "report.json");
  console.log(`\n── vitest project "${name}" ──`);
  const code = await runNode(join(ROOT, "node_modules/vitest/vitest.mjs"), [
    "run",
    "--project",
    name,
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${report}`,
    ...vitestArgs,
  ]);
  const seconds = (performance.now() - started) / 1000;
  const counts = existsSync(report) ? countsFromReport(JSON.parse(readFileSync(report, "utf8")) as VitestJson) : undefined;
  rmSync(reportDir, { recursive: true, force: true });
  const ok = code === 0 && counts !== undefined && counts.failed === 0 && counts.passed > 0;
  const result = counts ? `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped` : `vitest exited ${code} without a report`;
  return { name, seconds, result, ok, counts };
}

/** Runs a command quietly: its output is shown only when it fails. */
function runQuiet(command: string, args: readonly string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, [...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk));
    child.on("error", (error) => resolve({ code: 127, output: error.message }));
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

/** Every folder whose imports the layer rules (.dependency-cruiser.cjs) judge. */
export const LAYERED_FOLDERS = [
  "contract",
  "core",
  "setup",
  "platform",
  "emulators",
  "container",
  "worker/src",
  "stack",
  "verify",
  "cli",
  "tests",
  "bin",
] as const;

/** The layer rules over the import graph: imports only go down, cli/ is a leaf, no cycles. */
async function layersRow(): Promise<Row> {
  const started = performance.now();
  console.log("\n── layers ──");
  const { code, output } = await runQuiet(process.execPath, [
    join(ROOT, "node_modules/dependency-cruiser/bin/dependency-cruiser.mjs"),
    ...LAYERED_FOLDERS,
    "--config",
    ".dependency-cruiser.cjs",
    "--output-type",
    "err",
  ]);
  const ok = code === 0;
  // Its notice about TypeScript 7 (it parses with swc instead) is noise when all is well.
  if (!ok) console.log(output.trim());
  const counted = /(\d+) modules, (\d+) dependencies cruised/.exec(output);
  const result = ok ? `imports go down${counted ? ` (${counted[1]} modules)` : ""}` : "rule broken (see above; rules in .dependency-cruiser.cjs)";
  return { name: "layers", seconds: (performance.now() - started) / 1000, result, ok };
}

/** Biome: formatting and lint (biome.json); `npx biome check --write` fixes what it can. */
async function styleRow(): Promise<Row> {
  const started = performance.now();
  console.log("\n── style ──");
  const { code, output } = await runQuiet(join(ROOT, "node_modules/@biomejs/biome/bin/biome"), ["ci", "--reporter=summary"]);
  const ok = code === 0;
  if (!ok) console.log(output.trim(), "\n  fix: npx biome check --write (then review the diff)");
  return { name: "style", seconds: (performance.now() - started) / 1000, result: ok ? "formatted, lint clean" : "drift (see above)", ok };
}

async function typecheckRow(): Promise<Row> {
  const started = performance.now();
  console.log("\n── typecheck ──");
  const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
  const codes = [await runNode(tsc, ["-p", "tsconfig.json"]), await runNode(tsc, ["-p", "worker/tsconfig.json"])];
  const ok = codes.every((code) => code === 0);
  return { name: "typecheck", seconds: (performance.now() - started) / 1000, result: ok ? "no errors" : "type errors (see above)", ok };
}

async function setupRow(): Promise<Row> {
  const started = performance.now();
  console.log("\n── setup ──");
  try {
    await setup(new StepRunner());
    return { name: "setup", seconds: (performance.now() - started) / 1000, result: "machine ready", ok: true };
  } catch (error) {
    if (!(error instanceof StepFailed)) console.error(error);
    return { name: "setup", seconds: (performance.now() - started) / 1000, result: "failed (see above)", ok: false };
  }
}

/**
 * Splits `--project NAME` (repeatable) from the arguments meant for vitest, which pass on
 * unchanged and in order. node:util parseArgs reads them, as every command's (core/args.ts);
 * non-strict, since the rest is vitest's to judge.
 */
export function splitArgs(args: readonly string[]): { projects: string[]; rest: string[] } {
  const { tokens } = parseArgs({
    args: [...args],
    options: { project: { type: "string", multiple: true } },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const projects: string[] = [];
  const rest: string[] = [];
  for (const token of tokens) {
    if (token.kind === "option" && token.name === "project" && token.value !== undefined) projects.push(token.value);
    else if (token.kind === "option") rest.push(...args.slice(token.index, token.index + (token.inlineValue === false && token.value !== undefined ? 2 : 1)));
    else if (token.kind === "positional") rest.push(token.value);
    else rest.push("--");
  }
  return { projects, rest };
}

function printSummary(rows: readonly Row[]): boolean {
  console.log("\nmoltlab test summary");
  for (const row of rows) console.log(`  ${row.ok ? "ok  " : "FAIL"}  ${row.name.padEnd(12)} ${row.result.padEnd(40)} ${formatSeconds(row.seconds)}`);
  const totals = rows.reduce(
    (sum, row) => ({
      passed: sum.passed + (row.counts?.passed ?? 0),
      failed: sum.failed + (row.counts?.failed ?? 0),
      skipped: sum.skipped + (row.counts?.skipped ?? 0),
    }),
    { passed: 0, failed: 0, skipped: 0 },
  );
  const ok = rows.every((row) => row.ok);
  // The closing line CI reads: "N passed, N failed[, N skipped]". A step that failed
  // without test counts (typecheck, setup) still counts as a failure there.
  const failed = totals.failed + rows.filter((row) => !row.ok && !row.counts?.failed).length;
  console.log(`moltlab: ${totals.passed} passed, ${failed} failed, ${totals.skipped} skipped`);
  return ok;
}

export async function test(args: readonly string[]): Promise<number> {
  const { projects, rest } = splitArgs(args);
  const known: readonly string[] = [...TEST_PROJECTS, ...OPT_IN_PROJECTS, ...BENCH_PROJECTS];
  const unknown = projects.filter((name) => !known.includes(name));
  if (unknown.length) {
    console.error(`moltlab test: unknown project ${unknown.join(", ")}; projects: ${known.join(", ")}`);
    return 2;
  }
  const selected = projects.length ? projects : [...TEST_PROJECTS];
  const rows: Row[] = [];
  if (!projects.length) rows.push(await typecheckRow(), await layersRow(), await styleRow());
  for (const name of selected) {
    // Setup comes right before the first project that needs Docker, so the fast
    // projects report first.
    if (name === "integration" || name === "faults" || name === "perf") {
      if (process.env.MOLTLAB_AUTO_SETUP !== "0") {
        const row = await setupRow();
        rows.push(row);
        if (!row.ok) break;
      }
    }
    rows.push(await runProject(name, rest));
  }
  return printSummary(rows) ? 0 : 1;
}

export async function bench(args: readonly string[]): Promise<number> {
  return test(["--project", BENCH_PROJECTS[0], ...args]);
}

export async function typecheck(): Promise<number> {
  return (await typecheckRow()).ok ? 0 : 1;
}
