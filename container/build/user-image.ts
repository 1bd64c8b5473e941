/**
 * A user's own OpenClaw Dockerfile, run in the sandbox: their image is built as it is (with
 * their OpenClaw version and tools), then a small generated Dockerfile `FROM` it adds what the
 * sandbox needs from ours — the supervisor bundle, a static tini when the image has no init,
 * the supervisor's staging folder, and the entrypoint — the same way container/Dockerfile's
 * last layers do for the bundled image. Every base image must already be on this engine:
 * moltlab never pulls (there may be no registry), and says which ones are missing.
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { buildxBuild } from "../../core/buildx.ts";
import { inspectImage } from "../../core/docker.ts";
import { UserError } from "../../core/errors.ts";
import { type RunResult, tryRun } from "../../core/exec.ts";
import { hostArch } from "../../core/host.ts";
import { labelFlags, moltlabLabels, type Kind } from "../../core/labels.ts";
import type { Arch } from "../../contract/arch.ts";
import { LAYERED_IMAGE_REPOSITORY } from "../../contract/openclaw.ts";
import type { DebTool, ToolsFile } from "../tools/manifest.ts";
import { fetchDebFile } from "./debian-package.ts";
import { parseDockerfile } from "./dockerfile-parse.ts";
import { DEFAULT_CONFIG } from "./index.ts";
import { COMPILE_CACHE_WARM_UP, emulatedBuild, warmUpOutcome } from "./compile-cache-step.ts";
import { bundleNodeProgram, bundleSupervisor } from "./supervisor-bundle.ts";

/**
 * Tags of the two images per arch: the user's as built, and it with the supervisor on top.
 * `purpose` keeps verify's and the tests' builds from replacing the one `npm run dev` runs.
 */
export type ImagePurpose = "dev" | "verify" | "test";
export const userImageTag = (arch: Arch, purpose: ImagePurpose = "dev") => `moltlab/user-image${purpose === "dev" ? "" : `-${purpose}`}:${arch}`;
export const layeredImageTag = (arch: Arch, purpose: ImagePurpose = "dev") => `${LAYERED_IMAGE_REPOSITORY}${purpose === "dev" ? "" : `-${purpose}`}:${arch}`;

/** Where the layer's build context holds the bundled compile-cache warm-up (mounted by its RUN step, never copied). */
const WARM_UP_DIR = "compile-cache";
const WARM_UP_FILE = "warm.mjs";

/** Where the layer's tini comes from when the user's image has none: Debian's static build. */
export const TINI_STATIC: DebTool = {
  name: "tini",
  source: "deb",
  suite: "bookworm",
  package: "tini",
  file: "usr/bin/tini-static",
  binary: "tini",
  version: "0.19.0",
  licence: "MIT",
  probe: { command: "tini --version", expect: "tini version" },
};

/** A FROM reference for one platform: the build arguments BuildKit sets per target (and for the host) filled in. */
export function forArch(image: string, arch: Arch, host: Arch = hostArch()): string {
  const values: Record<string, string> = {
    TARGETARCH: arch,
    TARGETOS: "linux",
    TARGETPLATFORM: `linux/${arch}`,
    BUILDARCH: host,
    BUILDOS: "linux",
    BUILDPLATFORM: `linux/${host}`,
  };
  return image.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced, bare) => values[braced ?? bare] ?? whole);
}

/** Base images this engine does not have for that platform: the build cannot start without them. */
export async function missingBaseImages(images: readonly string[], arch: Arch): Promise<string[]> {
  const missing: string[] = [];
  for (const raw of images) {
    const image = forArch(raw, arch);
    if (image.includes("$")) {
      missing.push(`${image} (an unresolved build argument)`);
      continue;
    }
    const facts = await inspectImage(image);
    if (!facts || facts.architecture !== arch) missing.push(image);
  }
  return missing;
}

/** The error for base images that are not here, naming each and both ways out. */
export function missingBasesError(dockerfile: string, missing: readonly string[], arch: Arch): UserError {
  return new UserError(
    `cannot build ${dockerfile} for linux/${arch}: its base image${missing.length > 1 ? "s are" : " is"} not on this Docker engine, and moltlab never pulls (there may be no registry here): ${missing.join(", ")}`,
    `load ${missing.length > 1 ? "them" : "it"} into this engine (\`docker pull\` where a registry is reachable, then \`docker save\` there and \`docker load\` here), or run this where a registry is reachable; \`npm run verify -- --dockerfile ${dockerfile}\` still judges it statically`,
  );
}

/** What the layer needs to know about the user's image, read from the built image itself. */
export interface UserImageFacts {
  /** The image's USER ("" = root): the gateway runs as this user, the supervisor as root. */
  user: string;
  /** That user's home, where OpenClaw keeps its state. */
  home: string;
  /** The OpenClaw command the supervisor starts (OPENCLAW_BIN if the image sets it, else `openclaw` on PATH). */
  openclawBin: string;
  /** `openclaw --version`'s version, or "" when it does not answer. */
  openclawVersion: string;
  /** Path of an init (tini) already in the image, or "" (the layer adds one). */
  init: string;
  /** `node --version`, or "" (the supervisor cannot run). */
  node: string;
}

/** One `sh` script, run as root in the user's image, prints key=value lines (parsed by parseFacts). */
const FACTS_SCRIPT = [
  'u="${1:-root}"',
  'home=$(getent passwd "$u" 2>/dev/null | cut -d: -f6); [ -n "$home" ] || home=$(awk -F: -v u="$u" \'$1==u{print $6}\' /etc/passwd)',
  'echo "home=$home"',
  'echo "name=$(getent passwd "$u" 2>/dev/null | cut -d: -f1)"',
  'bin="${OPENCLAW_BIN:-openclaw}"; echo "openclawBin=$(command -v "$bin" || true)"',
  'echo "openclawVersion=$("$bin" --version 2>/dev/null | grep -oE "[0-9]{4}\\.[0-9]+\\.[0-9]+[^ ]*" | head -n1)"',
  'echo "init=$(command -v tini || command -v tini-static || command -v dumb-init || true)"',
  'echo "node=$(node --version 2>/dev/null || true)"',
].join("\n");

export function parseFacts(user: string, output: string): UserImageFacts {
  const values = Object.fromEntries(
    output
      .split("\n")
      .map((line) => /^(\w+)=(.*)$/.exec(line.trim()))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => [match[1]!, match[2]!]),
  );
  // A numeric USER (`USER 1000`) is named from /etc/passwd: MOLTLAB_GATEWAY_USER takes a name.
  const name = values.name || user;
  return {
    user: name === "root" || name === "0" ? "" : name,
    home: values.home || "/root",
    openclawBin: values.openclawBin ?? "",
    openclawVersion: values.openclawVersion ?? "",
    init: values.init ?? "",
    node: values.node ?? "",
  };
}

/**
 * `sh -c <script> [args…]` in a throwaway container of `tag` as `user`: no network, labelled as a
 * test object, removed when it ends. How the kit looks inside a user's image (its facts, its tools).
 */
export function runShellInImage(options: { tag: string; arch: Arch; user: string; script: string; args?: readonly string[] }): Promise<RunResult> {
  return tryRun(
    "docker",
    [
      "run",
      "--rm",
      "--platform",
      `linux/${options.arch}`,
      "--network",
      "none",
      "--user",
      options.user,
      ...labelFlags(moltlabLabels("test")),
      "--entrypoint",
      "sh",
      options.tag,
      "-c",
      options.script,
      ...(options.args ?? []),
    ],
    { timeoutMs: 180_000 },
  );
}

export async function readUserImageFacts(tag: string, arch: Arch): Promise<UserImageFacts> {
  const inspect = await tryRun("docker", ["image", "inspect", "--format", "{{.Config.User}}", tag]);
  const user = (inspect.stdout.trim().split(":")[0] ?? "").trim();
  const result = await runShellInImage({ tag, arch, user: "root", script: FACTS_SCRIPT, args: ["facts", user || "root"] });
  if (result.code !== 0)
    throw new UserError(
      `cannot look inside ${tag}: \`sh\` exited ${result.code}: ${result.stderr.trim().slice(0, 300)}`,
      "the image needs a POSIX sh (it is Debian/Alpine based if it runs OpenClaw)",
    );
  return parseFacts(user, result.stdout);
}

/** Why the supervisor cannot run on this image, with the fix; empty when it can. */
export function layerProblems(facts: UserImageFacts): string[] {
  const problems: string[] = [];
  if (!facts.node)
    problems.push("`node` is not on PATH in your image: the supervisor is a Node program: install Node 24, which current OpenClaw releases need too");
  if (!facts.openclawBin)
    problems.push(
      "`openclaw` is not on PATH in your image: link it there (e.g. `RUN ln -s /app/openclaw.mjs /usr/local/bin/openclaw`) or set `ENV OPENCLAW_BIN=/path/to/openclaw`",
    );
  return problems;
}

/**
 * The generated Dockerfile: the user's image plus the last layers of container/Dockerfile.
 * The supervisor runs as root (it must, to keep the R2 credentials from the agent) and starts
 * the gateway as the image's own USER; a root image gets no separation, which the supervisor
 * says at start.
 */
export function layerDockerfile(userImage: string, facts: UserImageFacts, build: { arch: Arch; host: Arch }): string {
  const owner = facts.user || "root";
  const init = facts.init || "/opt/moltlab/tini";
  return [
    "# Generated by moltlab (container/build/user-image.ts): your image with the sandbox supervisor on top.",
    `FROM ${userImage}`,
    ...compileCacheLayer(facts, build),
    "USER root",
    "COPY opt/ /opt/moltlab/",
    `RUN mkdir -p ${facts.home}/.openclaw ${facts.home}/.config/openclaw \\`,
    ` && chown ${owner} ${facts.home} ${facts.home}/.openclaw ${facts.home}/.config ${facts.home}/.config/openclaw \\`,
    " && mkdir -p -m 0700 /var/lib/moltlab/staging",
    `ENV HOME=${facts.home} \\`,
    "    MOLTLAB_TOOLS_FILE=/opt/moltlab/tools.json \\",
    `    OPENCLAW_BIN=${facts.openclawBin}${facts.user ? ` \\\n    MOLTLAB_GATEWAY_USER=${facts.user}` : ""}`,
    `WORKDIR ${facts.home}`,
    "EXPOSE 18789 18790",
    `ENTRYPOINT ["${init}", "--", "node", "/opt/moltlab/supervisor.mjs"]`,
    "CMD []",
    "",
  ].join("\n");
}

/**
 * OpenClaw's compile cache, made as in moltlab's image (container/Dockerfile, warm.ts) by booting
 * your gateway once as its user, so a cold start of your image does not compile OpenClaw's modules
 * again. Only where the build runs on the target's own CPU (Node files the cache under the CPU it
 * was made on); before opt/, so a supervisor change keeps the layer. It never fails the build: an
 * OpenClaw that does not boot this way, or does not turn the cache on, leaves a line saying why.
 */
function compileCacheLayer(facts: UserImageFacts, build: { arch: Arch; host: Arch }): string[] {
  if (build.arch !== build.host) return [`# No OpenClaw compile cache: ${emulatedBuild(build.arch, build.host)}.`];
  return [
    "# OpenClaw's compile cache (moltlab's container/compile-cache/warm.ts): your gateway booted once as its user.",
    `USER ${facts.user || "root"}`,
    `RUN --mount=type=bind,source=${WARM_UP_DIR},target=/mnt/moltlab-warm-up \\`,
    `    OPENCLAW_BIN=${facts.openclawBin} node /mnt/moltlab-warm-up/${WARM_UP_FILE} \\`,
    `    || echo "OpenClaw compile cache: skipped: the warm-up exited $?"`,
  ];
}

export interface UserImageOptions {
  dockerfile: string;
  arch: Arch;
  cache: string;
  logFile: string;
  kind: Kind;
  /** Which tags it builds (default: dev's). */
  purpose?: ImagePurpose;
  progress?: (text: string) => void;
}

export interface LayeredImage {
  /** The user's image as their Dockerfile builds it. */
  userTag: string;
  /** It with the supervisor: what the sandbox runs. */
  tag: string;
  facts: UserImageFacts;
  /** The generated Dockerfile, for the report. */
  layer: string;
  /** What the compile-cache step said (warmUpOutcome), or why the layer has none. */
  compileCache: string;
}

/** Builds the user's Dockerfile, then the supervisor layer on it. Throws UserError with the fix when either cannot be built. */
export async function buildLayeredImage(options: UserImageOptions): Promise<LayeredImage> {
  const { arch, dockerfile, logFile } = options;
  const progress = options.progress ?? (() => undefined);
  // A Dockerfile that does not parse is refused before anything is built or written.
  const { baseImages } = parseDockerfile(readFileSync(dockerfile, "utf8"), dockerfile);
  const missing = await missingBaseImages(baseImages, arch);
  if (missing.length) throw missingBasesError(dockerfile, missing, arch);
  const userTag = userImageTag(arch, options.purpose);
  progress(`building ${dockerfile} for linux/${arch} (log: ${logFile})`);
  try {
    await buildxBuild({
      arch,
      dockerfile,
      context: dirname(dockerfile),
      tag: userTag,
      buildArgs: {},
      labels: moltlabLabels(options.kind),
      logFile,
      timeoutMs: 45 * 60_000,
    });
  } catch (error) {
    throw new UserError(`your Dockerfile did not build for linux/${arch}: ${firstLine(error)}`, `see ${logFile} for the failing step; fix it and run again`);
  }
  const facts = await readUserImageFacts(userTag, arch);
  const problems = layerProblems(facts);
  if (problems.length)
    throw new UserError(`your image cannot run the sandbox supervisor: ${problems.join("; ")}`, "change your Dockerfile as said and run again");

  const contextDir = join(options.cache, "user-image", `layer-${options.purpose ?? "dev"}-${arch}`);
  rmSync(contextDir, { recursive: true, force: true });
  mkdirSync(join(contextDir, "opt"), { recursive: true });
  await bundleSupervisor(join(contextDir, "opt", "supervisor.mjs"));
  copyFileSync(DEFAULT_CONFIG, join(contextDir, "opt", "openclaw.default.json"));
  // Your image's tools are probed by verify, not by the supervisor: the file says so by listing none.
  const toolsFile: ToolsFile = { schema: 1, arch, openclaw: facts.openclawVersion || "unknown", tools: [] };
  writeFileSync(join(contextDir, "opt", "tools.json"), `${JSON.stringify(toolsFile, null, 2)}\n`);
  if (!facts.init) {
    progress("your image has no init: adding Debian's static tini");
    const tini = await fetchDebFile(TINI_STATIC, arch, options.cache, logFile);
    if (!tini.installed)
      throw new UserError(
        `your image has no init (tini) and fetching one failed: ${tini.reason}`,
        "install tini in your Dockerfile (`apt-get install -y tini`) and run again",
      );
    copyFileSync(tini.file, join(contextDir, "opt", "tini"));
  }
  const host = hostArch();
  if (arch === host) await bundleNodeProgram(COMPILE_CACHE_WARM_UP, join(contextDir, WARM_UP_DIR, WARM_UP_FILE));
  const layer = layerDockerfile(userTag, facts, { arch, host });
  writeFileSync(join(contextDir, "Dockerfile"), layer);
  const tag = layeredImageTag(arch, options.purpose);
  progress(`layering the supervisor on ${userTag} → ${tag}${arch === host ? ", with OpenClaw's compile cache (your gateway boots once)" : ""}`);
  const built = await buildxBuild({
    arch,
    dockerfile: join(contextDir, "Dockerfile"),
    context: contextDir,
    tag,
    buildArgs: {},
    labels: moltlabLabels(options.kind, {
      "moltlab.openclaw": facts.openclawVersion || "unknown",
      "moltlab.supervisor": "supervisor",
      "moltlab.user-dockerfile": dockerfile,
    }),
    logFile,
  });
  const compileCache = arch === host ? (warmUpOutcome(built.progress) ?? `the step printed nothing (see ${logFile})`) : `none: ${emulatedBuild(arch, host)}`;
  return { userTag, tag, facts, layer, compileCache };
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n").slice(0, 3).join(" ").slice(0, 400);
}
