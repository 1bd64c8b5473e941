import { parseArgs } from "node:util";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { BENCH_PROJECTS, OPT_IN_PROJECTS, TEST_PROJECTS, VITEST_PROJECTS } from "../vitest.workspace.ts";
import { ROOT } from "../core/host.ts";
import { formatImageTimings, IMAGE_TIMINGS_ENV, readImageCalls } from "../core/image-timings.ts";
import { formatMachineLoad, startLoadWatch } from "../core/machine-load.ts";
import { isOpenclawImage } from "../contract/openclaw.ts";
import { setup } from "../setup/index.ts";
import { formatSeconds, StepFailed, StepRunner } from "../core/ui.ts";
import { changedFiles } from "./changed-files.ts";
import { failureLines, type ReportFile } from "./test-failures.ts";

export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

/**
 * One line of the summary. `none`: the step did not run and that is no failure (a project no
 * changed file affects); its tests count nowhere. `details`: indented lines under it (failed tests,
 * image builds, the machine's load).
 */
export interface Row {
  name: string;
  seconds: number;
  result: string;
  status: "ok" | "FAIL" | "none";
  counts?: Counts;
  /** Test files vitest ran (under --changed: the affected ones). */
  files?: number;
  details?: string[];
}

/** `npm test -- --changed [ref]`: only the tests the files changed since `ref` (default HEAD) affect. */
export interface ChangedScope {
  ref?: string;
  /** Repo-relative paths (cli/changed-files.ts). */
  files: string[];
}

/** Runs a Node script (vitest, tsc) on this very Node, so children never fall back to the system one. */
function runNode(script: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], { cwd: ROOT, stdio: "inherit", env });
    child.on("close", (code) => resolve(code ?? 1));
  });
}

const VITEST = join(ROOT, "node_modules/vitest/vitest.mjs");

/** vitest's `--project` flags for one of `npm test`'s projects (some are several of vitest's). */
export function projectFlags(name: string): string[] {
  return (VITEST_PROJECTS[name] ?? [name]).flatMap((part) => ["--project", part]);
}

interface VitestJson {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults?: ReportFile[];
}

export function countsFromReport(report: VitestJson): Counts {
  return { passed: report.numPassedTests, failed: report.numFailedTests, skipped: report.numPendingTests + report.numTodoTests };
}

/** vitest's own flag for the scope: it selects the test files that import a changed file, per project. */
export function changedFlag(scope: ChangedScope): string {
  return scope.ref === undefined ? "--changed" : `--changed=${scope.ref}`;
}

/**
 * Judges one vitest run from its exit code and JSON report. Under --changed a run that found no
 * affected test file is `none` ("no affected tests"), never passed; otherwise a project with no
 * passed test fails, so a broken include pattern cannot pass silently.
 */
export function projectRow(name: string, seconds: number, code: number, report: VitestJson | undefined, changed: boolean): Row {
  if (!report) return { name, seconds, result: `vitest exited ${code} without a report`, status: "FAIL" };
  const counts = countsFromReport(report);
  const files = report.testResults?.length ?? 0;
  if (changed && files === 0 && code === 0) return { name, seconds, result: "no affected tests", status: "none", counts, files };
  const ok = code === 0 && counts.failed === 0 && counts.passed > 0;
  const tally = `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`;
  const result = changed ? `${files} affected ${files === 1 ? "file" : "files"}: ${tally}` : tally;
  return { name, seconds, result, status: ok ? "ok" : "FAIL", counts, files };
}

async function runProject(name: string, vitestArgs: readonly string[], scope: ChangedScope | undefined): Promise<Row> {
  const started = performance.now();
  const reportDir = mkdtempSync(join(tmpdir(), "moltlab-vitest-"));
  const report = join(reportDir, "report.json");
  // Image builds happen in vitest's workers; each ensureImages() call appends its timings here.
  const imageTimings = join(reportDir, "image-timings.jsonl");
  console.log(`\n── vitest project "${name}"${scope ? " (only tests affected by the changed files)" : ""} ──`);
  // Whether the machine was saturated while the project ran, and how many OpenClaw containers it started.
  const load = startLoadWatch({ cores: cpus().length, starts: DOCKER_PROJECTS.includes(name) });
  const code = await runNode(
    VITEST,
    [
      "run",
      ...projectFlags(name),
      "--reporter=default",
      "--reporter=json",
      `--outputFile.json=${report}`,
      ...(scope ? [changedFlag(scope)] : []),
      ...vitestArgs,
    ],
    { ...process.env, [IMAGE_TIMINGS_ENV]: imageTimings },
  );
  const seconds = (performance.now() - started) / 1000;
  const parsed = existsSync(report) ? (JSON.parse(readFileSync(report, "utf8")) as VitestJson) : undefined;
  const machine = formatMachineLoad(await load.stop(), isOpenclawImage);
  // What failed comes first: at the end of a long run the summary is all that CI shows.
  const failures = failureLines(parsed?.testResults ?? [], ROOT);
  const details = [...failures, ...formatImageTimings(readImageCalls(imageTimings)), ...(machine ? [machine] : [])];
  rmSync(reportDir, { recursive: true, force: true });
  const row = projectRow(name, seconds, code, parsed, scope !== undefined);
  return details.length ? { ...row, details } : row;
}

/**
 * Under --changed, whether a Docker project has any affected test file, asked before setup so a
 * change that touches no such test never waits for the engine or the base images. `vitest list`
 * only walks the import graph. Undefined when it could not say (then the project runs as usual).
 */
async function affectedFileCount(name: string, vitestArgs: readonly string[], scope: ChangedScope): Promise<number | undefined> {
  const dir = mkdtempSync(join(tmpdir(), "moltlab-vitest-list-"));
  const list = join(dir, "files.json");
  const code = await runNode(VITEST, ["list", "--filesOnly", ...projectFlags(name), changedFlag(scope), `--json=${list}`, ...vitestArgs]);
  const files = code === 0 && existsSync(list) ? (JSON.parse(readFileSync(list, "utf8")) as unknown[]) : undefined;
  rmSync(dir, { recursive: true, force: true });
  return Array.isArray(files) ? files.length : undefined;
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
  return { name: "layers", seconds: (performance.now() - started) / 1000, result, status: ok ? "ok" : "FAIL" };
}

/** Biome: formatting and lint (biome.json); `npx biome check --write` fixes what it can. */
async function styleRow(): Promise<Row> {
  const started = performance.now();
  console.log("\n── style ──");
  const { code, output } = await runQuiet(join(ROOT, "node_modules/@biomejs/biome/bin/biome"), ["ci", "--reporter=summary"]);
  const ok = code === 0;
  if (!ok) console.log(output.trim(), "\n  fix: npx biome check --write (then review the diff)");
  return {
    name: "style",
    seconds: (performance.now() - started) / 1000,
    result: ok ? "formatted, lint clean" : "drift (see above)",
    status: ok ? "ok" : "FAIL",
  };
}

async function typecheckRow(): Promise<Row> {
  const started = performance.now();
  console.log("\n── typecheck ──");
  const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
  const codes = [await runNode(tsc, ["-p", "tsconfig.json"]), await runNode(tsc, ["-p", "worker/tsconfig.json"])];
  const ok = codes.every((code) => code === 0);
  return { name: "typecheck", seconds: (performance.now() - started) / 1000, result: ok ? "no errors" : "type errors (see above)", status: ok ? "ok" : "FAIL" };
}

async function setupRow(): Promise<Row> {
  const started = performance.now();
  console.log("\n── setup ──");
  const steps = new StepRunner();
  try {
    await setup(steps);
    // The base images are setup's image builds (both arches in one step): their time and outcome.
    const base = steps.records.find((record) => record.label === "base images");
    const details = base ? [`base images: ${base.detail}, ${formatSeconds(base.seconds)}`] : [];
    return { name: "setup", seconds: (performance.now() - started) / 1000, result: "machine ready", status: "ok", details };
  } catch (error) {
    if (!(error instanceof StepFailed)) console.error(error);
    return { name: "setup", seconds: (performance.now() - started) / 1000, result: "failed (see above)", status: "FAIL" };
  }
}

/** What `moltlab test` takes for itself; the rest goes to vitest unchanged and in order. */
export interface TestArgs {
  projects: string[];
  rest: string[];
  /** Present with --changed: `{}` for HEAD, `{ ref }` for `--changed REF` / `--changed=REF`. */
  changed?: { ref?: string };
}

/**
 * Splits `--project NAME` (repeatable) and `--changed [REF]` from the arguments meant for vitest.
 * node:util parseArgs reads them, as every command's (core/args.ts); non-strict, since the rest is
 * vitest's to judge. `--changed` takes the next word as its ref unless it starts with a dash, as
 * vitest's own option does; checkRef (cli/changed-files.ts) says when that word is no commit.
 */
export function splitArgs(args: readonly string[]): TestArgs {
  const { tokens } = parseArgs({
    args: [...args],
    options: { project: { type: "string", multiple: true }, changed: { type: "boolean" } },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const projects: string[] = [];
  const rest: string[] = [];
  let changed: TestArgs["changed"];
  let refIndex = -1;
  for (const token of tokens) {
    if (token.kind === "option" && token.name === "project" && token.value !== undefined) projects.push(token.value);
    else if (token.kind === "option" && token.name === "changed") {
      changed = token.value !== undefined ? { ref: token.value } : {};
      const next = args[token.index + 1];
      if (token.value === undefined && next !== undefined && !next.startsWith("-")) {
        changed = { ref: next };
        refIndex = token.index + 1;
      }
    } else if (token.kind === "option") rest.push(...args.slice(token.index, token.index + (token.inlineValue === false && token.value !== undefined ? 2 : 1)));
    else if (token.kind === "positional") {
      if (token.index !== refIndex) rest.push(token.value);
    } else rest.push("--");
  }
  return changed ? { projects, rest, changed } : { projects, rest };
}

const MARKS: Record<Row["status"], string> = { ok: "ok  ", FAIL: "FAIL", none: "none" };
const SHOWN_CHANGED_FILES = 8;

function since(scope: ChangedScope): string {
  return scope.ref === undefined ? "HEAD" : scope.ref;
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** What --changed found, printed before anything runs: the count and the first few paths. */
export function describeChanged(scope: ChangedScope): string {
  if (!scope.files.length) return `--changed: nothing changed since ${since(scope)} (no staged, modified, deleted or untracked file), so no test will run`;
  const shown = scope.files.slice(0, SHOWN_CHANGED_FILES).join(", ");
  const more = scope.files.length > SHOWN_CHANGED_FILES ? `, and ${scope.files.length - SHOWN_CHANGED_FILES} more` : "";
  return `--changed: ${plural(scope.files.length, "file", "files")} changed since ${since(scope)}: ${shown}${more}`;
}

/**
 * The summary's lines: a heading (under --changed it says that only affected tests ran, and how
 * many files changed), one row per step, indented detail lines, and the closing count CI reads:
 * "moltlab: N passed, N failed, N skipped", which counts only tests that ran.
 */
export function formatSummary(rows: readonly Row[], scope?: ChangedScope): { lines: string[]; ok: boolean } {
  const lines: string[] = [];
  if (!scope) lines.push("moltlab test summary");
  else if (!scope.files.length)
    lines.push(`moltlab test summary (--changed: nothing changed since ${since(scope)}, no tests ran; static checks cover the whole project)`);
  else
    lines.push(
      `moltlab test summary (--changed: only the tests affected by ${plural(scope.files.length, "changed file", "changed files")} since ${since(scope)}; static checks cover the whole project)`,
    );
  for (const row of rows) {
    lines.push(`  ${MARKS[row.status]}  ${row.name.padEnd(12)} ${row.result.padEnd(40)} ${formatSeconds(row.seconds)}`);
    for (const detail of row.details ?? []) lines.push(`          ${detail}`);
  }
  const totals = rows.reduce(
    (sum, row) => ({
      passed: sum.passed + (row.counts?.passed ?? 0),
      failed: sum.failed + (row.counts?.failed ?? 0),
      skipped: sum.skipped + (row.counts?.skipped ?? 0),
    }),
    { passed: 0, failed: 0, skipped: 0 },
  );
  const ok = rows.every((row) => row.status !== "FAIL");
  // A step that failed without test counts (typecheck, setup) still counts as a failure there.
  const failed = totals.failed + rows.filter((row) => row.status === "FAIL" && !row.counts?.failed).length;
  const files = rows.reduce((sum, row) => sum + (row.files ?? 0), 0);
  const scopeNote = !scope
    ? ""
    : scope.files.length
      ? ` (--changed: ${plural(files, "affected test file", "affected test files")} ran, the rest did not)`
      : ` (--changed: nothing changed since ${since(scope)}, no tests ran)`;
  lines.push(`moltlab: ${totals.passed} passed, ${failed} failed, ${totals.skipped} skipped${scopeNote}`);
  return { lines, ok };
}

const DOCKER_PROJECTS: readonly string[] = ["integration", "faults", "perf"];

export async function test(args: readonly string[]): Promise<number> {
  const { projects, rest, changed } = splitArgs(args);
  const known: readonly string[] = [...TEST_PROJECTS, ...OPT_IN_PROJECTS, ...BENCH_PROJECTS];
  const unknown = projects.filter((name) => !known.includes(name));
  if (unknown.length) {
    console.error(`moltlab test: unknown project ${unknown.join(", ")}; projects: ${known.join(", ")}`);
    return 2;
  }
  const scope: ChangedScope | undefined = changed ? { ...changed, files: await changedFiles(changed.ref) } : undefined;
  if (scope) console.log(describeChanged(scope));
  const selected = projects.length ? projects : [...TEST_PROJECTS];
  const rows: Row[] = [];
  if (!projects.length) rows.push(await typecheckRow(), await layersRow(), await styleRow());
  for (const name of selected) {
    if (scope && !scope.files.length) {
      rows.push({ name, seconds: 0, result: "no affected tests (nothing changed)", status: "none", files: 0 });
      continue;
    }
    // Setup comes right before the first project that needs Docker, so the fast
    // projects report first.
    if (DOCKER_PROJECTS.includes(name)) {
      if (scope) {
        const started = performance.now();
        const affected = await affectedFileCount(name, rest, scope);
        if (affected === 0) {
          const seconds = (performance.now() - started) / 1000;
          rows.push({ name, seconds, result: "no affected tests (setup not needed)", status: "none", files: 0 });
          continue;
        }
      }
      if (process.env.MOLTLAB_AUTO_SETUP !== "0" && !rows.some((row) => row.name === "setup")) {
        const row = await setupRow();
        rows.push(row);
        if (row.status === "FAIL") break;
      }
    }
    rows.push(await runProject(name, rest, scope));
  }
  const { lines, ok } = formatSummary(rows, scope);
  console.log(`\n${lines.join("\n")}`);
  return ok ? 0 : 1;
}

export async function bench(args: readonly string[]): Promise<number> {
  return test(["--project", BENCH_PROJECTS[0], ...args]);
}

export async function typecheck(): Promise<number> {
  return (await typecheckRow()).status === "ok" ? 0 : 1;
}
