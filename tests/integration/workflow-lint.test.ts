import { parseArgs } from "node:util";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { tryRun } from "../../core/exec.ts";
import { ROOT } from "../../core/host.ts";
import { actionlintPath } from "../../setup/actionlint.ts";
import { TEST_PROJECTS } from "../../vitest.workspace.ts";

/**
 * The GitHub Actions workflow moltlab ships for users' repositories (.github/workflows/):
 * actionlint (built by `moltlab setup`) finds nothing wrong with it, does find the mistakes
 * planted in a fixture, and the workflow keeps the properties users rely on.
 */
const WORKFLOWS_DIR = join(ROOT, ".github/workflows");
const CI_WORKFLOW = join(WORKFLOWS_DIR, "ci.yml");
const BROKEN_FIXTURE = join(ROOT, "tests/integration/fixtures/workflows/broken.yml");

interface Finding {
  message: string;
  filepath: string;
  line: number;
  column: number;
  kind: string;
}

/**
 * actionlint over the given files, as JSON. shellcheck and pyflakes are switched off:
 * actionlint runs them when they are on PATH (GitHub's runners have shellcheck, this
 * machine does not), and the verdict must not depend on what else is installed.
 */
async function lint(files: readonly string[]): Promise<{ code: number; findings: Finding[] }> {
  const result = await tryRun(actionlintPath(), ["-format", "{{json .}}", "-shellcheck=", "-pyflakes=", "-no-color", ...files], {
    cwd: ROOT,
    timeoutMs: 60_000,
  });
  // 0: nothing found, 1: problems found; anything else means actionlint itself failed.
  if (result.code !== 0 && result.code !== 1) throw new Error(`actionlint exited ${result.code}: ${result.stderr || result.stdout}`);
  return { code: result.code, findings: JSON.parse(result.stdout) as Finding[] };
}

function describeFinding(finding: Finding): string {
  return `${finding.filepath}:${finding.line}:${finding.column} [${finding.kind}] ${finding.message}`;
}

/** 1-based line of the first line containing `text`. */
function lineOf(file: string, text: string): number {
  const index = readFileSync(file, "utf8")
    .split("\n")
    .findIndex((line) => line.includes(text));
  if (index < 0) throw new Error(`${text} is not in ${file}`);
  return index + 1;
}

beforeAll(() => {
  if (!existsSync(actionlintPath())) throw new Error(`actionlint is missing at ${actionlintPath()}: run \`npm run setup\` (or \`npm test\`, which runs it)`);
});

describe("actionlint", () => {
  it("finds nothing wrong with the workflows in .github/workflows/", async () => {
    const files = readdirSync(WORKFLOWS_DIR)
      .filter((name) => /\.ya?ml$/.test(name))
      .map((name) => relative(ROOT, join(WORKFLOWS_DIR, name)));
    expect(files).toContain(".github/workflows/ci.yml");
    const { code, findings } = await lint(files);
    expect(findings.map(describeFinding)).toEqual([]);
    expect(code).toBe(0);
  });

  it("reports each mistake planted in a broken workflow: an undefined job in needs, an unknown runner label, an undefined matrix key", async () => {
    const fixture = relative(ROOT, BROKEN_FIXTURE);
    const { code, findings } = await lint([fixture]);
    expect(code).toBe(1);
    const found = findings.map((finding) => ({ kind: finding.kind, line: finding.line, file: finding.filepath }));
    expect(found).toEqual([
      // actionlint points at the job that has the bad `needs`, not at the `needs` line.
      { kind: "job-needs", line: lineOf(BROKEN_FIXTURE, "  integration:"), file: fixture },
      { kind: "runner-label", line: lineOf(BROKEN_FIXTURE, "runs-on: ubuntu-24.04-armm"), file: fixture },
      { kind: "expression", line: lineOf(BROKEN_FIXTURE, "matrix.platfrom"), file: fixture },
    ]);
    expect(findings[0]!.message).toContain('"unti"');
    expect(findings[1]!.message).toContain('"ubuntu-24.04-armm" is unknown');
    expect(findings[2]!.message).toContain('"platfrom" is not defined');
  });
});

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}

interface Job {
  "runs-on": string;
  needs?: string | string[];
  "timeout-minutes"?: unknown;
  permissions?: unknown;
  env?: Record<string, unknown>;
  strategy?: { matrix?: { include?: Array<Record<string, string>> } };
  steps: Step[];
}

interface Workflow {
  on: { workflow_dispatch?: { inputs?: Record<string, { options?: string[]; default?: string }> } };
  permissions?: unknown;
  concurrency?: { group?: string };
  jobs: Record<string, Job>;
}

describe("the CI workflow users get (.github/workflows/ci.yml)", () => {
  const workflow = parse(readFileSync(CI_WORKFLOW, "utf8")) as Workflow;
  const { unit, integration } = workflow.jobs;
  const allSteps = Object.values(workflow.jobs).flatMap((job) => job.steps);
  const uses = (job: Job, action: string) => job.steps.filter((step) => step.uses?.startsWith(`${action}@`));

  it("runs the integration tests on linux/amd64 and linux/arm64, arm64 natively by default with QEMU as a selectable fallback", () => {
    const legs = integration!.strategy?.matrix?.include ?? [];
    expect(legs.map((leg) => leg.platform).sort()).toEqual(["linux/amd64", "linux/arm64"]);
    for (const leg of legs) expect(leg.platform).toBe(`linux/${leg.arch}`);
    const arm64 = legs.find((leg) => leg.arch === "arm64")!;
    expect(arm64.host).toMatch(/inputs\.arm64_host/);
    expect(arm64.host).toMatch(/\|\| 'native' }}$/);
    expect(workflow.on.workflow_dispatch?.inputs?.arm64_host).toMatchObject({ options: ["native", "qemu"], default: "native" });
    expect(integration!["runs-on"]).toContain("'ubuntu-24.04-arm'");
    expect(uses(integration!, "docker/setup-qemu-action")).toHaveLength(1);
    // The leg's platform is the one OpenClaw is booted on (openclaw-chat.test.ts reads it).
    expect(integration!.env?.MOLTLAB_TEST_ARCHES).toBe("${{ matrix.arch }}");
  });

  it("writes the verification report from the tests' evidence, also after a failed test, and uploads reports/ whatever happened", () => {
    const steps = integration!.steps;
    const tests = steps.findIndex((step) => step.run === "npm test -- --project integration");
    const verify = steps.findIndex((step) => step.run === "npm run verify -- --reuse");
    expect(tests).toBeGreaterThan(-1);
    expect(verify).toBeGreaterThan(tests);
    expect(steps[verify]!.if).toBe("${{ !cancelled() }}");
    const uploads = uses(integration!, "actions/upload-artifact").filter((step) => String(step.with?.path).split("\n").includes("reports/"));
    expect(uploads).toHaveLength(1);
    expect(steps.indexOf(uploads[0]!)).toBeGreaterThan(verify);
    expect(uploads[0]!.if).toBe("always()");
  });

  it("runs the same test projects as `npm test`, split into unit and integration", () => {
    const testArgs = (job: Job) => {
      const command = job.steps.map((step) => step.run ?? "").find((run) => run.startsWith("npm test -- "));
      if (!command) throw new Error("no `npm test -- …` step");
      // The projects named after `npm test --`, read as the CLI reads them (node:util parseArgs).
      const { values } = parseArgs({
        args: command.slice("npm test -- ".length).split(/\s+/),
        options: { project: { type: "string", multiple: true } },
        strict: false,
      });
      return { projects: (values.project as string[] | undefined) ?? [] };
    };
    const projects = [...testArgs(unit!).projects, ...testArgs(integration!).projects];
    expect(projects).toEqual([...TEST_PROJECTS]);
    // Naming projects skips the typecheck `npm test` does by itself.
    expect(unit!.steps.map((step) => step.run)).toContain("npm run typecheck");
    expect(integration!.needs).toBe("unit");
  });

  it("sets up Node 24 with the npm cache, and Go where the image is built", () => {
    for (const job of [unit!, integration!]) {
      expect(uses(job, "actions/setup-node").map((step) => step.with)).toEqual([expect.objectContaining({ "node-version": 24, cache: "npm" })]);
    }
    expect(uses(integration!, "actions/setup-go")).toHaveLength(1);
  });

  it("leaves the engine's own builder in place: a docker-container builder cannot see the locally tagged base images", () => {
    expect(allSteps.filter((step) => step.uses?.startsWith("docker/setup-buildx-action@"))).toEqual([]);
  });

  it("has least-privilege permissions, a concurrency group, timeouts and actions pinned to major versions", () => {
    expect(workflow.permissions).toEqual({ contents: "read" });
    expect(workflow.concurrency?.group).toBeTruthy();
    for (const [name, job] of Object.entries(workflow.jobs)) {
      expect(job.permissions, `${name} permissions`).toBeUndefined();
      expect(job["timeout-minutes"], `${name} timeout-minutes`).toEqual(expect.any(Number));
    }
    const actions = allSteps.flatMap((step) => (step.uses ? [step.uses] : []));
    expect(actions.length).toBeGreaterThan(0);
    for (const action of actions) expect(action).toMatch(/^[\w.-]+\/[\w.-]+@v\d+$/);
  });
});
