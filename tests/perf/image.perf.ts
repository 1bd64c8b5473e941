/**
 * The OpenClaw image per architecture: its size, what `moltlab image` costs when the image is
 * current, and the `docker build` step with and without BuildKit's cache. amd64 builds
 * natively here; arm64's apt step runs under QEMU, so the no-cache ratio is the emulation
 * slowdown of a real build (everything npm and Go is prepared on the host either way).
 *
 * Extra images are tagged moltlab-bench/openclaw:* with moltlab.kind=test and removed at
 * the end (the perf run's teardown sweeps that label too).
 */
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildxBuild } from "../../core/buildx.ts";
import { docker, inspectImage } from "../../core/docker.ts";
import { tryRun } from "../../core/exec.ts";
import { cacheDir, hostArch } from "../../core/host.ts";
import { moltlabLabels } from "../../core/labels.ts";
import { StepRunner } from "../../core/ui.ts";
import { aptPackages, DOCKERFILE, ensureImages, type ImageResult } from "../../container/build/index.ts";
import { toolsFor } from "../../container/tools/manifest.ts";
import type { BenchRow } from "../../verify/bench-results.ts";
import { pruneCreatedBetween } from "./build-cache.ts";
import { recordFigure, row } from "./report.ts";
import { benchRuns } from "./settings.ts";
import { OPENCLAW_VERSION, openclawImage, IMAGE_REPOSITORY } from "../../contract/openclaw.ts";
import { ARCHES, type Arch } from "../../contract/arch.ts";

const RUNS = benchRuns(3);
const VERSION = OPENCLAW_VERSION;
const BENCH_REPOSITORY = "moltlab-bench/openclaw";
/** Native first: the emulated row's ratio is then the slowdown. */
const ORDER: Arch[] = [hostArch(), ...ARCHES.filter((arch) => arch !== hostArch())];
const kind = (arch: Arch) => (arch === hostArch() ? "native" : "under QEMU");
const made: string[] = [];

afterAll(async () => {
  for (const tag of made) await tryRun("docker", ["image", "rm", "-f", tag]);
});

/** `moltlab image`'s build context for an arch, as container/build/index.ts assembles it. */
function contextDir(arch: Arch): string {
  return join(cacheDir(), "image", `context-${arch}`);
}

/** The `docker build` step of `moltlab image` (same Dockerfile, context and build args), under a test tag. */
async function dockerBuild(arch: Arch, tag: string, noCache: boolean): Promise<number> {
  made.push(tag);
  const started = performance.now();
  await buildxBuild({
    arch,
    dockerfile: DOCKERFILE,
    context: contextDir(arch),
    tag,
    noCache,
    buildArgs: { OPENCLAW_VERSION: VERSION, APT_PACKAGES: aptPackages(toolsFor(VERSION)).join(" ") },
    labels: moltlabLabels("test", { "moltlab.bench": "image" }),
    logFile: join(cacheDir(), "image.log"),
  });
  const seconds = (performance.now() - started) / 1000;
  expect((await inspectImage(tag))?.architecture).toBe(arch);
  return seconds;
}

/** BuildKit's cache total as `docker buildx du` prints it (e.g. "7.4GB"). */
async function buildCacheTotal(): Promise<string> {
  const result = await tryRun("docker", ["buildx", "du"]);
  return /^Total:\s*(\S+)/m.exec(result.stdout)?.[1] ?? "unknown";
}

describe("the OpenClaw image", () => {
  const current = new Map<Arch, ImageResult>();
  const firstBuild: string[] = [];

  it(
    "size per architecture, and `moltlab image` when the image is current",
    async () => {
      // Brings both images up to date first; if that had to build, it says so in the notes.
      for (const arch of ORDER) {
        const started = performance.now();
        const [result] = await ensureImages({ arches: [arch], openclawVersion: VERSION }, new StepRunner((line) => console.log(line)));
        current.set(arch, result!);
        if (result!.built)
          firstBuild.push(
            `${arch}: the image was not current at the start of this run and was built (${Math.round((performance.now() - started) / 1000)} s, not part of any figure).`,
          );
      }
      recordFigure({
        id: "image.size",
        title: `OpenClaw image size (${IMAGE_REPOSITORY}:${VERSION}-<arch>)`,
        unit: "MB",
        rows: ORDER.map((arch) => row(`${arch}`, [current.get(arch)!.sizeBytes / 1e6])),
        notes: ["`docker image inspect` Size: the uncompressed size in the engine, base image included; a registry stores it compressed.", ...firstBuild],
      });

      const samples = new Map<Arch, number[]>(ORDER.map((arch) => [arch, []]));
      const quiet = new StepRunner(() => undefined);
      for (let run = 0; run < RUNS; run++) {
        for (const arch of ORDER) {
          const started = performance.now();
          const [result] = await ensureImages({ arches: [arch], openclawVersion: VERSION }, quiet);
          samples.get(arch)!.push((performance.now() - started) / 1000);
          expect(result).toMatchObject({ built: false, tag: openclawImage(VERSION, arch) });
        }
      }
      recordFigure({
        id: "image.build.warm",
        title: "`moltlab image` when the image is current (recipe check, no build)",
        unit: "s",
        rows: ORDER.map((arch) => row(arch, samples.get(arch)!)),
        notes: [
          "ensureImages(): engine and tool probes, the supervisor bundle (esbuild), the recipe digest and `docker image inspect`; what `npm run dev` and every OpenClaw test pay before starting.",
        ],
      });
    },
    60 * 60_000,
  );

  it(
    "the `docker build` step with BuildKit's cache, and once without it, per architecture",
    async () => {
      const cacheBefore = await buildCacheTotal();
      const cached = new Map<Arch, number[]>(ORDER.map((arch) => [arch, []]));
      for (let run = 0; run < RUNS; run++) {
        for (const arch of ORDER) cached.get(arch)!.push(await dockerBuild(arch, `${BENCH_REPOSITORY}:${arch}-cached`, false));
      }
      recordFigure({
        id: "image.build.cached",
        title: "`docker build` of the image with every layer cached",
        unit: "s",
        rows: ORDER.map((arch) => row(`${arch} (${kind(arch)})`, cached.get(arch)!)),
        notes: [
          "`docker buildx build --load` of container/Dockerfile with the context `moltlab image` assembled (~1.5 GB: npm packages and host-built binaries): sending the context and checking each step against the cache, no step runs.",
        ],
      });

      // One sample per arch: a cold build takes minutes and adds its layers to BuildKit's cache.
      const cold: BenchRow[] = [];
      const coldFrom = Date.now();
      try {
        for (const arch of ORDER) cold.push(row(`${arch} (${kind(arch)})`, [await dockerBuild(arch, `${BENCH_REPOSITORY}:${arch}-cold`, true)]));
      } finally {
        for (const tag of made.splice(0)) await docker(["image", "rm", "-f", tag]);
      }
      // The cold builds' layers are cache records nothing will reuse: remove them, and only them.
      const freed = await pruneCreatedBetween(coldFrom - 1000, Date.now());
      recordFigure({
        id: "image.build.cold",
        title: "`docker build` of the image without cache (--no-cache), one sample per architecture",
        unit: "s",
        rows: cold,
        notes: [
          `Every step runs: apt on the host's CPU (resolve and download the target's .debs), dpkg -i of them (the only step that executes ${hostArch() === "amd64" ? "arm64" : "amd64"} code, under QEMU), the ~1.4 GB COPY of the npm packages, the layer export. The ratio of the second row is the emulation slowdown of this build; npm and Go work happens on the host for both and is not in it.`,
          `BuildKit's cache: ${cacheBefore} before, ${await buildCacheTotal()} after (the cold builds' own records, ${(freed / 1e9).toFixed(2)} GB, were removed again).`,
        ],
      });
    },
    60 * 60_000,
  );
});
