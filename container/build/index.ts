/**
 * `moltlab image [--platform amd64|arm64|all] [--openclaw VERSION]`: builds the
 * OpenClaw image per platform from container/Dockerfile. Everything npm and Go is
 * prepared on the host for the target arch, .debs included; only dpkg runs under QEMU. Each
 * image carries a recipe digest of its inputs, so a run with nothing changed is a
 * fast no-op.
 */
import { appendFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { inspectImage, probeEngine } from "../../core/docker.ts";
import { UserError } from "../../core/errors.ts";
import { tryRun } from "../../core/exec.ts";
import { takeFileLock } from "../../core/file-lock.ts";
import { cacheDir, hostArch, ROOT } from "../../core/host.ts";
import { LABEL_RECIPE, moltlabLabels } from "../../core/labels.ts";
import { baseImageTag, checkFreeSpace, imageState, recipeDigest } from "../../setup/base-images.ts";
import { formatSeconds, StepRunner, type StepOutcome } from "../../core/ui.ts";
import { BASE_APT_PACKAGES, toolsFor, type NpmTool, type Tool } from "../tools/manifest.ts";
import { buildxBuild } from "../../core/buildx.ts";
import { type ImageTiming, type LayerCache, recordImageCall } from "../../core/image-timings.ts";
import { COMPILE_CACHE_STEP, warmUpOutcome } from "./compile-cache-step.ts";
import { assembleContext, renderToolsFile, type ToolResults } from "./context.ts";
import { stagePluginCache } from "./plugin-cache.ts";
import { fetchDebFile } from "./debian-package.ts";
import { buildGoTool, goVersion, goToolsUnavailable } from "./go-tools.ts";
import { npmRuntime, stageNpm, type NpmRuntime } from "./npm-stage.ts";
import { imageRecipe } from "./recipe.ts";
import { fetchStaticRelease } from "./release-download.ts";
import { bundleSupervisor, type ProgramBundle } from "./supervisor-bundle.ts";
import { openclawImage } from "../../contract/openclaw.ts";
import type { Arch } from "../../contract/arch.ts";

export const DOCKERFILE = join(ROOT, "container/Dockerfile");
export const DEFAULT_CONFIG = join(ROOT, "container/openclaw.default.json");
/** npm staging, Go builds and the image layers need room; 8 GiB leaves some. */
const MIN_FREE_BYTES = 8 * 1024 ** 3;

export interface ImageOptions {
  arches: readonly Arch[];
  openclawVersion: string;
}

interface Shared {
  cache: string;
  logFile: string;
  tools: Tool[];
  supervisor: ProgramBundle;
  supervisorFile: string;
  go: string;
  npm: NpmRuntime;
  dockerfile: string;
  defaultConfig: string;
  compileCacheStep: string;
}

export interface ImageResult {
  arch: Arch;
  tag: string;
  built: boolean;
  sizeBytes: number;
  /** Measured: this arch's part of the call, its build steps and the layer cache when it built. */
  timing: ImageTiming;
}

/** How long a build waits for another one on the machine: two cold builds of both arches, with room. */
const BUILD_LOCK_WAIT_MS = 60 * 60_000;

/** Builds what is missing or stale; returns one entry per requested arch. */
export async function ensureImages(options: ImageOptions, steps: StepRunner = new StepRunner()): Promise<ImageResult[]> {
  const cache = cacheDir();
  mkdirSync(join(cache, "image"), { recursive: true });
  // Every build shares the cache's build contexts and supervisor bundle: two at once (test files
  // side by side, or two terminals) rewrote each other's context mid-build. One at a time per
  // machine; the one that waited then finds the image current.
  const lock = await takeFileLock(
    join(cache, "image", "build.lock"),
    "exclusive",
    BUILD_LOCK_WAIT_MS,
    "another moltlab image build on this machine is still running (`moltlab image`, or a test that builds the image); let it finish",
  );
  try {
    return await ensureImagesHeld(options, cache, steps);
  } finally {
    await lock.release();
  }
}

async function ensureImagesHeld(options: ImageOptions, cache: string, steps: StepRunner): Promise<ImageResult[]> {
  const started = performance.now();
  const logFile = join(cache, "image.log");
  appendFileSync(logFile, `\n=== moltlab image ${new Date().toISOString()} ===\n`);
  console.log(`moltlab image: openclaw ${options.openclawVersion} for ${options.arches.join(", ")} (details: ${logFile})`);

  let shared: Shared | undefined;
  await steps.step("prerequisites", async () => {
    const probe = await probeEngine();
    if (!probe.ok) throw new UserError(`no Docker engine: ${probe.message}`, "run `npm run setup`, which installs and starts one");
    if ((await tryRun("docker", ["buildx", "version"])).code !== 0)
      throw new UserError("the docker buildx plugin is missing", "run `npm run setup`, which installs it");
    for (const arch of options.arches) {
      const tag = baseImageTag("node", arch);
      const state = imageState(await inspectImage(tag), arch, recipeDigest("node", arch));
      if (state !== "current") throw new UserError(`the base image ${tag} is ${state}`, "run `npm run setup` (it builds the base images for both platforms)");
    }
    const go = await goVersion();
    if (!go) throw goToolsUnavailable();
    const npm = await npmRuntime();
    const supervisorFile = join(cache, "image", "supervisor.mjs");
    const supervisor = await bundleSupervisor(supervisorFile);
    shared = {
      cache,
      logFile,
      tools: toolsFor(options.openclawVersion),
      supervisor,
      supervisorFile,
      go,
      npm,
      dockerfile: readFileSync(DOCKERFILE, "utf8"),
      defaultConfig: readFileSync(DEFAULT_CONFIG, "utf8"),
      compileCacheStep: COMPILE_CACHE_STEP.map((file) => readFileSync(file, "utf8")).join("\n"),
    };
    const which = `supervisor from ${supervisor.entry}`;
    return {
      status: "ok",
      detail: `engine ${probe.engine.version}, ${go}, npm ${npm.npmVersion} on Node ${process.versions.node}, ${which}`,
    } satisfies StepOutcome;
  });

  const prerequisitesSeconds = (performance.now() - started) / 1000;
  const results: ImageResult[] = [];
  for (const arch of options.arches) results.push(await ensureImage(arch, options.openclawVersion, shared!, steps));
  // For the test summary, when a test run asked for it (core/image-timings.ts).
  recordImageCall({ prerequisitesSeconds, images: results.map((result) => result.timing) });
  const took = formatSeconds((performance.now() - started) / 1000);
  const summary = results.map((result) => `${result.tag} (${(result.sizeBytes / 1e9).toFixed(2)} GB)`).join(", ");
  console.log(results.some((result) => result.built) ? `image: built ${summary} (${took})` : `image: nothing to do, ${summary} current (${took})`);
  return results;
}

async function ensureImage(arch: Arch, openclawVersion: string, shared: Shared, steps: StepRunner): Promise<ImageResult> {
  const started = performance.now();
  const firstStep = steps.records.length;
  const seconds = () => (performance.now() - started) / 1000;
  const tag = openclawImage(openclawVersion, arch);
  const base = await inspectImage(baseImageTag("node", arch));
  const recipe = imageRecipe({
    arch,
    openclawVersion,
    tools: shared.tools,
    dockerfile: shared.dockerfile,
    defaultConfig: shared.defaultConfig,
    compileCacheStep: shared.compileCacheStep,
    supervisorDigest: shared.supervisor.digest,
    baseImageId: base!.id,
    goVersion: shared.go,
    npmVersion: shared.npm.npmVersion,
  });
  const previous = await inspectImage(tag);
  const state = imageState(previous, arch, recipe);
  if (state === "current") {
    await steps.step(`${arch}: image`, async () => ({ status: "ok", detail: `${tag} is current (recipe ${recipe})` }));
    const sizeBytes = await imageSize(tag);
    return { arch, tag, built: false, sizeBytes, timing: { arch, tag, outcome: "current", seconds: seconds() } };
  }
  checkFreeSpace([join(shared.cache, "image")], MIN_FREE_BYTES);
  const results: ToolResults = new Map();
  const npmTools = shared.tools.filter((tool): tool is NpmTool => tool.source === "npm");

  let stage = "";
  await steps.step(`${arch}: npm packages`, async (context) => {
    const staged = await stageNpm(npmTools, arch, shared.cache, shared.npm, shared.logFile, (text) => context.progress(text));
    for (const tool of npmTools) {
      const reason = staged.missing.get(tool.name);
      results.set(tool.name, reason ? { installed: false, reason } : { installed: true });
    }
    if (staged.foreign.length) context.progress(`left in place, unused on ${arch}: host-CPU addons from install scripts: ${staged.foreign.join(", ")}`);
    stage = staged.dir;
    const installed = npmTools.filter((tool) => !staged.missing.has(tool.name)).map((tool) => `${tool.name} ${tool.version}`);
    return {
      status: staged.reused ? "ok" : "done",
      detail: `${staged.reused ? "reused" : "installed"} ${installed.join(", ")}${describeMissing(staged.missing)}`,
    } satisfies StepOutcome;
  });

  let pluginNpmCache = "";
  let hostStage = stage;
  await steps.step(`${arch}: OpenClaw plugins`, async (context) => {
    const specs = [discordPluginSpec(openclawVersion)];
    context.progress(`npm cache for ${specs.join(" ")} (installed offline by the build)`);
    const staged = await stagePluginCache(specs, shared.cache, shared.npm, shared.logFile);
    pluginNpmCache = staged.dir;
    // The install runs OpenClaw's CLI on the host's CPU (under QEMU its file-system addon fails:
    // openat2 is not emulated), so a cross build also needs OpenClaw staged for the host's arch.
    let host = "";
    if (arch !== hostArch()) {
      context.progress(`OpenClaw for ${hostArch()}, to run the plugin install natively`);
      const native = await stageNpm(npmTools, hostArch(), shared.cache, shared.npm, shared.logFile, (text) => context.progress(text));
      hostStage = native.dir;
      host = `; OpenClaw for ${hostArch()} ${native.reused ? "reused" : "staged"}`;
    }
    return { status: staged.reused ? "ok" : "done", detail: `${staged.reused ? "reused" : "fetched"} ${specs.join(", ")}${host}` } satisfies StepOutcome;
  });

  const binaries = new Map<string, string>();
  await steps.step(`${arch}: host-built tools`, async (context) => {
    const lines: string[] = [];
    const missing = new Map<string, string>();
    for (const tool of shared.tools) {
      if (tool.source === "npm" || tool.source === "apt") continue;
      context.progress(`${tool.name} ${tool.version} (${tool.source})`);
      const outcome =
        tool.source === "go"
          ? await buildGoTool(tool, arch, shared.cache, shared.go, shared.logFile)
          : tool.source === "deb"
            ? await fetchDebFile(tool, arch, shared.cache, shared.logFile)
            : await fetchStaticRelease(tool, arch, shared.cache, shared.logFile);
      results.set(tool.name, outcome);
      if (outcome.installed) {
        binaries.set(tool.binary, outcome.file);
        lines.push(`${tool.name} ${tool.version}${outcome.note ? ` (${outcome.note})` : ""}`);
      } else {
        missing.set(tool.name, outcome.reason);
      }
    }
    return { status: "done", detail: `${lines.join(", ") || "none"}${describeMissing(missing)}` } satisfies StepOutcome;
  });
  for (const tool of shared.tools) if (tool.source === "apt") results.set(tool.name, { installed: true });

  const contextDir = join(shared.cache, "image", `context-${arch}`);
  await steps.step(`${arch}: build context`, async () => {
    await assembleContext(contextDir, {
      npmStage: stage,
      hostNpmStage: hostStage,
      pluginNpmCache,
      binaries,
      supervisor: shared.supervisorFile,
      defaultConfig: DEFAULT_CONFIG,
      compileCacheStep: COMPILE_CACHE_STEP,
      toolsFile: renderToolsFile(arch, openclawVersion, shared.tools, results),
    });
    return { status: "done", detail: contextDir };
  });

  let layers: LayerCache | undefined;
  await steps.step(`${arch}: docker build`, async (context) => {
    context.progress(`docker buildx build --platform linux/${arch} -t ${tag}${arch === hostArch() ? "" : " (dpkg under QEMU: about a minute)"}`);
    const built = await buildxBuild({
      arch,
      dockerfile: DOCKERFILE,
      context: contextDir,
      tag,
      buildArgs: { OPENCLAW_VERSION: openclawVersion, APT_PACKAGES: aptPackages(shared.tools).join(" ") },
      labels: moltlabLabels("image", {
        [LABEL_RECIPE]: recipe,
        "moltlab.openclaw": openclawVersion,
        "moltlab.supervisor": "supervisor",
        "org.opencontainers.image.title": tag,
        "org.opencontainers.image.version": openclawVersion,
        "org.opencontainers.image.description": `OpenClaw ${openclawVersion} with the moltlab supervisor and tools (linux/${arch})`,
      }),
      logFile: shared.logFile,
    });
    layers = { steps: built.steps, cached: built.cached };
    const warmUp = warmUpOutcome(built.progress);
    const facts = await inspectImage(tag);
    if (facts?.architecture !== arch)
      throw new UserError(`built ${tag} but the engine reports architecture ${facts?.architecture ?? "none"}`, `see ${shared.logFile}`);
    // The replaced image is now untagged; drop it unless a container still uses it (then rmi just fails).
    if (previous && previous.id !== facts.id) await tryRun("docker", ["image", "rm", previous.id], { logFile: shared.logFile });
    const cache = layers ? `, ${layers.cached} of ${layers.steps} layers from cache` : "";
    const compileCache = warmUp ? `; OpenClaw compile cache: ${warmUp}` : "";
    return { status: "done", detail: `${tag}, ${((await imageSize(tag)) / 1e9).toFixed(2)} GB, recipe ${recipe}${cache}${compileCache}` };
  });
  const sizeBytes = await imageSize(tag);
  const buildSteps = steps.records.slice(firstStep).map(({ label, seconds, detail }) => ({ label, seconds, detail }));
  return { arch, tag, built: true, sizeBytes, timing: { arch, tag, outcome: "built", seconds: seconds(), steps: buildSteps, layers } };
}

/** OpenClaw's Discord channel: the official plugin, released with OpenClaw under the same version. */
export function discordPluginSpec(openclawVersion: string): string {
  return `@openclaw/discord@${openclawVersion}`;
}

export function aptPackages(tools: readonly Tool[]): string[] {
  return tools.flatMap((tool) => (tool.source === "apt" ? [tool.package] : [])).filter((name) => !(BASE_APT_PACKAGES as readonly string[]).includes(name));
}

function describeMissing(missing: Map<string, string>): string {
  return missing.size ? `; not installed: ${[...missing].map(([name, reason]) => `${name} (${reason})`).join("; ")}` : "";
}

async function imageSize(tag: string): Promise<number> {
  const result = await tryRun("docker", ["image", "inspect", "--format", "{{.Size}}", tag]);
  return Number(result.stdout.trim()) || 0;
}
