/**
 * 0-2 / 2-1 custom tools: do the user's tools work in the container? Evidence is the tools
 * matrix (each tool doing its job in the OpenClaw image under Cloudflare's profile), and with
 * `--dockerfile` the user's own Dockerfile: what it installs (commands counted, libraries listed), what it patches of OpenClaw, and — when its base
 * images exist here — the tools probed in a build of it.
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { TOOLS } from "../../container/tools/manifest.ts";
import { EVIDENCE_FILES, integrationTestCommand, type ToolsMatrixFile } from "../evidence-files.ts";
import type { Evidence } from "../evidence.ts";
import type { EvidenceSource, Judgement, Table, VerifyContext } from "../types.ts";
import { judgeTools, toolStateFrom, type ToolState } from "../verdicts.ts";
import { missingBaseImages, missingBasesError } from "../../container/build/user-image.ts";
import { analyseDockerfile, countedTools, type DockerfileAnalysis } from "./dockerfile-analysis.ts";
import { buildAndProbe, type ArchBuild } from "./dockerfile-build.ts";
import type { Arch } from "../../contract/arch.ts";

/** The user's custom tools (the plan's list): what today's image adds to OpenClaw. */
export const USER_TOOLS = ["ghq", "gwq", "mcp-grafana", "babashka", "codex", "gh", "docker", "claude"] as const;
/** Tools that work with a limit: the docker CLI has no engine to talk to (see 0-3). */
const CONSTRAINED = ["docker"];

export const TOOLS_TEST = integrationTestCommand(EVIDENCE_FILES.toolsMatrix);

interface DockerfileFindings {
  path: string;
  analysis: DockerfileAnalysis;
  /** Per requested architecture, the base images this engine lacks (empty: buildable). */
  missingBases: Partial<Record<Arch, string[]>>;
  builds: ArchBuild[];
}

async function examineDockerfile(ctx: VerifyContext, path: string): Promise<DockerfileFindings> {
  const analysis = analyseDockerfile(readFileSync(path, "utf8"), path);
  const missingBases: DockerfileFindings["missingBases"] = {};
  for (const arch of ctx.options.arches) missingBases[arch] = await missingBaseImages(analysis.baseImages, arch);
  const buildable = ctx.options.arches.filter((arch) => missingBases[arch]!.length === 0);
  const builds = buildable.length ? await buildAndProbe(path, analysis, buildable, ctx.progress) : [];
  return { path, analysis, missingBases, builds };
}

export async function judgeToolsItem(ctx: VerifyContext, { matrix }: { matrix: Evidence<ToolsMatrixFile> }): Promise<Judgement> {
  const sources: EvidenceSource[] = [matrix.source];
  let dockerfile: DockerfileFindings | undefined;
  if (ctx.options.dockerfile) {
    dockerfile = await examineDockerfile(ctx, ctx.options.dockerfile);
    const path = relative(ctx.root, dockerfile.path).startsWith("..") ? dockerfile.path : relative(ctx.root, dockerfile.path);
    sources.push({ path, generatedAt: null, origin: "static" });
    if (dockerfile.builds.length) sources.push({ path: `${path} built here`, generatedAt: new Date().toISOString(), origin: "this run" });
  }

  // Which tools count: the plan's list, or everything the user's Dockerfile installs besides OpenClaw itself.
  // Commands only: libraries and apt helpers are listed in their own table, not counted.
  const names: string[] = dockerfile ? countedTools(dockerfile.analysis).map((install) => install.name) : [...USER_TOOLS];
  const rows = new Map((matrix.data?.tools ?? []).map((row) => [row.tool, row]));
  const amd64Build = dockerfile?.builds.find((build) => build.arch === "amd64");
  const states: Record<string, ToolState> = {};
  const tableRows: string[][] = [];
  for (const name of names) {
    const row = rows.get(name);
    const inManifest = TOOLS.find((tool) => tool.name === name);
    let state = toolStateFrom(row?.amd64?.status, row?.amd64?.evidence);
    let evidence = row?.amd64?.evidence ?? (inManifest ? "no tools-matrix entry" : "not in the bundled image: add an entry to container/tools/manifest.ts");
    const probe = amd64Build?.built ? amd64Build.probes.find((candidate) => candidate.tool === name) : undefined;
    if (probe && state !== "works") {
      state = probe.ok ? "works" : "failed";
      evidence = `in your image, built here: ${probe.evidence}`;
    }
    states[name] = state;
    tableRows.push([
      name,
      inManifest ? `${inManifest.source} ${row?.version ?? inManifest.version}` : "—",
      row?.amd64?.status ?? "—",
      row?.arm64?.status ?? "—",
      state,
      evidence,
    ]);
  }
  const judgement = judgeTools(states, CONSTRAINED);
  const tables: Table[] = [
    {
      caption: "Custom tools on linux/amd64 (what Cloudflare runs); arm64 for comparison",
      header: ["tool", "bundled image", "amd64", "arm64", "judged", "evidence (amd64)"],
      rows: tableRows,
    },
  ];
  const evidence: string[] = [];
  if (matrix.data) {
    evidence.push(
      `Tools matrix: each tool doing its job in moltlab/openclaw under Cloudflare's ${matrix.data.instanceType} profile (amd64 native; arm64: ${matrix.data.arm64}).`,
    );
  } else {
    evidence.push(`No tools matrix: ${matrix.problem}.`);
  }
  evidence.push(`Custom tools on amd64: ${judgement.why}.`);
  const blocked = names.filter((name) => states[name] === "blocked");
  if (blocked.length)
    evidence.push(`Not installed on this machine because their downloads are unreachable from here (not a property of the container): ${blocked.join(", ")}.`);
  if (states.docker === "works") evidence.push("docker is the CLI only: it has no engine inside the container (Docker-in-Docker: see 0-3).");

  if (dockerfile) describeDockerfile(dockerfile, evidence, tables);

  const wouldChange: string[] = [];
  if (!matrix.data) wouldChange.push(`run \`${TOOLS_TEST}\` (or \`npm run verify\` without --reuse)`);
  if (blocked.length)
    wouldChange.push(
      `rebuild the image (\`docker rmi moltlab/openclaw:<version>-amd64 && npm run image\`) on a machine that reaches GitHub and the Go module proxy, then rerun the tools test: ${blocked.join(", ")} become testable`,
    );
  if (names.some((name) => states[name] === "unknown" && !TOOLS.some((tool) => tool.name === name)))
    wouldChange.push("add the tools your Dockerfile installs to container/tools/manifest.ts, with a probe, and rebuild");
  if (names.some((name) => states[name] === "failed")) wouldChange.push("fix the failing tools (their evidence says how they failed)");
  if (dockerfile && Object.values(dockerfile.missingBases).some((missing) => missing.length))
    wouldChange.push(
      "load your Dockerfile's base images into this engine (`docker pull` where a registry is reachable, `docker save` there, `docker load` here), or run verify where a registry is reachable, to have it built with the supervisor on top and probed",
    );
  if (dockerfile?.analysis.patches.length)
    wouldChange.push("upstream or drop the patches of OpenClaw's own files: each one can break on the next OpenClaw release");
  if (!ctx.options.dockerfile) wouldChange.push("your own Dockerfile (`npm run verify -- --dockerfile PATH`): this run judged the bundled image's tool list");
  if (!wouldChange.length) wouldChange.push("a tool failing its check in a later run of the tools test");

  return {
    verdict: judgement.verdict,
    summary: `${judgement.working}/${judgement.total} custom tools work on amd64 (${Math.round(judgement.share * 100)}%)${blocked.length ? `; not fetchable here: ${blocked.join(", ")}` : ""}`,
    evidence,
    wouldChange,
    sources,
    tables,
    ...(judgement.stop ? { stops: [judgement.stop] } : {}),
  };
}

/** The static reading, the layered build and the probes of the user's Dockerfile, as evidence lines and tables. */
function describeDockerfile(dockerfile: DockerfileFindings, evidence: string[], tables: Table[]): void {
  const { analysis } = dockerfile;
  const counted = countedTools(analysis);
  const listed = analysis.installs.filter((install) => !install.counted && install.name !== "openclaw");
  const openclaw = analysis.installs.find((install) => install.name === "openclaw");
  evidence.push(
    `Your Dockerfile (${dockerfile.path}): ${analysis.instructions.length} instructions in ${analysis.stages.length} stage(s); OpenClaw ${openclaw ? `${openclaw.version ?? "unpinned"} (${openclaw.how})` : "not found"}; images it needs: ${analysis.baseImages.join(", ") || "none"}; ${counted.length} tools counted (commands), ${listed.length} libraries and helpers listed but not counted.`,
  );
  tables.push({
    caption: "Your Dockerfile, statically: what the final image gets (counted: a command a person or the agent runs)",
    header: ["line", "name", "version", "how installed", "counted", "note", "bundled image"],
    rows: analysis.installs.map((install) => {
      const bundled = install.known ? TOOLS.find((tool) => tool.name === install.known) : undefined;
      return [
        String(install.line),
        install.name,
        install.version ?? "—",
        `${install.form}: ${install.how}`,
        install.counted && install.name !== "openclaw" ? "yes" : "no",
        install.note ?? "",
        bundled ? `${bundled.source} ${bundled.version}` : install.counted ? "no: add a manifest entry" : "—",
      ];
    }),
  });
  if (analysis.versionDiffs.length) {
    evidence.push(
      `Your pins differ from the bundled image's: ${analysis.versionDiffs.map((diff) => `${diff.tool} ${diff.yours} (bundled ${diff.bundled})`).join(", ")}.`,
    );
    tables.push({
      caption: "Versions: your pins against the bundled image (container/tools/manifest.ts)",
      header: ["tool", "line", "yours", "bundled"],
      rows: analysis.versionDiffs.map((diff) => [diff.tool, String(diff.line), diff.yours, diff.bundled]),
    });
  }
  if (analysis.patches.length) {
    evidence.push(`${analysis.patches.length} change(s) to OpenClaw's own files: they break when an upgrade renames or rewrites those files.`);
    tables.push({
      caption: "Patches of OpenClaw itself (break on upgrades)",
      header: ["line", "where", "what"],
      rows: analysis.patches.map((patch) => [
        String(patch.line),
        patch.script ? `${patch.script.path}:${patch.script.line} (run at line ${patch.line})` : "the Dockerfile",
        patch.how,
      ]),
    });
  } else evidence.push("No line patches OpenClaw's own files.");
  if (analysis.homeFiles.length)
    tables.push({
      caption: "Files baked into home directories, and what the supervisor's restore does to them",
      header: ["line", "path", "on restore"],
      rows: analysis.homeFiles.map((file) => [String(file.line), file.path, file.restore]),
    });
  for (const note of analysis.notes) evidence.push(`Your Dockerfile: ${note}.`);
  const notInstalled = TOOLS.filter((tool) => !analysis.tools.some((hit) => hit.tool === tool.name)).map((tool) => tool.name);
  if (notInstalled.length) evidence.push(`The bundled image also has what your Dockerfile does not install: ${notInstalled.join(", ")}.`);
  for (const [arch, missing] of Object.entries(dockerfile.missingBases) as [Arch, string[]][]) {
    if (missing.length) {
      const error = missingBasesError(dockerfile.path, missing, arch);
      evidence.push(
        `Your Dockerfile was not built for linux/${arch} (unverified; the tables above are the static reading): ${error.message}. Fix: ${error.fix}.`,
      );
    }
  }
  for (const build of dockerfile.builds) {
    if (!build.built) {
      evidence.push(`Your Dockerfile for linux/${build.arch}: ${build.reason}`);
      continue;
    }
    evidence.push(
      `Your Dockerfile built for linux/${build.arch} with the supervisor layered on top in ${build.seconds.toFixed(0)} s (OpenClaw ${build.facts.openclawVersion || "version unknown"}, gateway user ${build.facts.user || "root"}, init ${build.facts.init || "tini added by the layer"}; OpenClaw compile cache: ${build.compileCache}); probes: ${build.probes.map((probe) => `${probe.tool} ${probe.ok ? "ok" : "FAILED"}`).join(", ") || "none"}.`,
    );
    tables.push({
      caption: `Tools in your image, linux/${build.arch}`,
      header: ["tool", "ok", "evidence"],
      rows: build.probes.map((probe) => [probe.tool, probe.ok ? "yes" : "no", probe.evidence]),
    });
  }
}
