/**
 * Every tool in the OpenClaw image, one entry each. The host-side build
 * (container/build/) reads this list to stage npm packages, cross-compile Go
 * modules, fetch static releases and pick Debian packages; the image carries the
 * rendered result as /opt/moltlab/tools.json so the supervisor and tests can
 * report and probe what is really installed. Adding a tool is one entry here.
 *
 * Rule for all sources: nothing runs under QEMU except apt. npm packages are
 * installed on the host with `--cpu/--os/--libc` for the target, Go modules are
 * cross-compiled on the host, release binaries and .debs are unpacked on the host.
 */
import { OPENCLAW_VERSION } from "../../contract/openclaw.ts";
import type { Arch } from "../../contract/arch.ts";

/**
 * A behaviour check: `command` runs through `sh -c` inside the container (as the
 * image's user) and must exit 0 with its stdout+stderr matching `expect`, a
 * regular expression source. Probes run at container start or in tests, never at
 * build time (an arm64 build would run them under QEMU).
 */
export interface Probe {
  command: string;
  expect: string;
}

interface ToolBase {
  name: string;
  /** The pinned version (for apt: the Debian suite's version, filled in by the image build). */
  version: string;
  /** SPDX id as far as we know it; `licenceNote` says how it was checked or why it is acceptable. */
  licence: string;
  licenceNote?: string;
  probe: Probe;
}

/** npm package, installed on the host into a global prefix with `--cpu/--os/--libc` of the target. */
export interface NpmTool extends ToolBase {
  source: "npm";
  package: string;
  /**
   * Some packages pick their native binary in an install script that looks at the
   * *host's* `os.arch()`; on a cross install it finds nothing. This repeats what
   * that script does, for the target: hard-link `from` over `to` (paths inside the
   * package; `{cpu}` is the npm cpu name, x64 or arm64).
   */
  nativeBinary?: { from: string; to: string };
}

/** Go module from the Go module proxy, cross-compiled on the host (GOOS=linux GOARCH=<arch> CGO_ENABLED=0). */
export interface GoTool extends ToolBase {
  source: "go";
  module: string;
  /** The main package to `go install`, under `module`. */
  package: string;
  /** Installed as /usr/local/bin/<binary>. */
  binary: string;
}

/** Debian bookworm package, installed by apt-get inside the image build (under QEMU for a foreign arch). */
export interface AptTool extends ToolBase {
  source: "apt";
  package: string;
}

/**
 * One file out of a Debian package of another suite, downloaded and unpacked on the
 * host for the target arch (Debian's archive serves every arch, so no QEMU). Used
 * where bookworm only has a package that drags in far more than needed.
 */
export interface DebTool extends ToolBase {
  source: "deb";
  suite: string;
  /** `version` is the upstream version accepted, with any Debian revision (`26.1.5+dfsg1-9+deb13u1`). */
  package: string;
  /** Path of the file inside the package, installed as /usr/local/bin/<binary>. */
  file: string;
  binary: string;
}

/** A release tarball verified by SHA-256, unpacked on the host. */
export interface StaticReleaseTool extends ToolBase {
  source: "static-release";
  binary: string;
  /** Path of the binary inside the tarball. */
  member: string;
  arches: Record<Arch, { url: string; sha256: string }>;
}

export type Tool = NpmTool | GoTool | AptTool | DebTool | StaticReleaseTool;
export type ToolSource = Tool["source"];

/** npm's and Node's CPU names per Docker arch. */
export const NPM_CPU: Record<Arch, string> = { amd64: "x64", arm64: "arm64" };

const BABASHKA_VERSION = "1.12.215";
const babashkaUrl = (platform: string) =>
  `https://github.com/babashka/babashka/releases/download/v${BABASHKA_VERSION}/babashka-${BABASHKA_VERSION}-${platform}-static.tar.gz`;

export const TOOLS: readonly Tool[] = [
  {
    name: "openclaw",
    source: "npm",
    package: "openclaw",
    // Overridden by `moltlab image --openclaw VERSION` (see toolsFor).
    version: OPENCLAW_VERSION,
    licence: "MIT",
    probe: { command: "openclaw --version", expect: "OpenClaw {version}\\b" },
  },
  {
    name: "codex",
    source: "npm",
    package: "@openai/codex",
    version: "0.169.0",
    licence: "Apache-2.0",
    // Its platform binary arrives as an optional dependency selected by --cpu/--os.
    probe: { command: "codex --version", expect: "codex-cli {version}" },
  },
  {
    name: "claude",
    source: "npm",
    package: "@anthropic-ai/claude-code",
    version: "2.1.332",
    licence: "LicenseRef-Anthropic-Commercial",
    licenceNote:
      'not open source: Anthropic\'s commercial terms ("SEE LICENSE IN README.md"). Installed from npm because the user supplies it ' +
      "and holds the licence; do not redistribute images containing it.",
    nativeBinary: { from: "node_modules/@anthropic-ai/claude-code-linux-{cpu}/claude", to: "bin/claude.exe" },
    probe: { command: "claude --version", expect: "{version} \\(Claude Code\\)" },
  },
  {
    name: "ghq",
    source: "go",
    module: "github.com/x-motemen/ghq",
    package: "github.com/x-motemen/ghq",
    binary: "ghq",
    version: "1.8.1",
    licence: "MIT",
    licenceNote: "checked against the module's LICENSE file whenever the module is downloaded",
    probe: { command: "ghq --version", expect: "ghq version {version}" },
  },
  {
    name: "gwq",
    source: "go",
    module: "github.com/d-kuro/gwq",
    package: "github.com/d-kuro/gwq/cmd/gwq",
    binary: "gwq",
    version: "0.0.13",
    licence: "Apache-2.0",
    licenceNote: "checked against the module's LICENSE file whenever the module is downloaded",
    probe: { command: "gwq --version", expect: "{version}" },
  },
  {
    name: "mcp-grafana",
    source: "go",
    module: "github.com/grafana/mcp-grafana",
    package: "github.com/grafana/mcp-grafana/cmd/mcp-grafana",
    binary: "mcp-grafana",
    version: "1.6.3",
    licence: "Apache-2.0",
    licenceNote: "checked against the module's LICENSE file whenever the module is downloaded (Grafana itself is AGPL; this server is not)",
    probe: { command: "mcp-grafana --version", expect: "{version}" },
  },
  {
    name: "babashka",
    source: "static-release",
    binary: "bb",
    member: "bb",
    version: BABASHKA_VERSION,
    licence: "EPL-1.0",
    arches: {
      amd64: { url: babashkaUrl("linux-amd64"), sha256: "b1b975a54bff97d2ec1b0d712b34368d6add00bf5d3ca56fb2fa5f8f88526d45" },
      arm64: { url: babashkaUrl("linux-aarch64"), sha256: "e444283cdcc4b809fd409da56cf3791a60ed57eeef1f6a4c3ed186daf81de40e" },
    },
    probe: { command: "bb --version", expect: "babashka v{version}" },
  },
  {
    name: "docker",
    source: "deb",
    suite: "trixie",
    package: "docker-cli",
    file: "usr/bin/docker",
    binary: "docker",
    // bookworm's docker.io is client *and* engine (containerd, runc, …); trixie splits the
    // client out as docker-cli, a Go binary that needs only glibc ≥ 2.34 (bookworm has 2.36).
    version: "26.1.5",
    licence: "Apache-2.0",
    probe: { command: "docker --version", expect: "Docker version {version}" },
  },
  { name: "git", source: "apt", package: "git", version: "bookworm", licence: "GPL-2.0-only", probe: { command: "git --version", expect: "git version \\d" } },
  { name: "gh", source: "apt", package: "gh", version: "bookworm", licence: "MIT", probe: { command: "gh --version", expect: "gh version \\d" } },
  { name: "jq", source: "apt", package: "jq", version: "bookworm", licence: "MIT", probe: { command: "jq --version", expect: "jq-\\d" } },
];

/** Packages every image gets from apt besides the apt tools: PID 1 and TLS roots. */
export const BASE_APT_PACKAGES = ["tini", "ca-certificates"] as const;

/** The manifest for one build: the OpenClaw entry carries the requested version. */
export function toolsFor(openclawVersion: string): Tool[] {
  return TOOLS.map((tool) => (tool.name === "openclaw" ? { ...tool, version: openclawVersion } : tool));
}

/** The probe with `{version}` replaced by the tool's version (regex-escaped). */
export function resolvedProbe(tool: Tool, version: string = tool.version): Probe {
  const escaped = version.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return { command: tool.probe.command, expect: tool.probe.expect.replaceAll("{version}", escaped) };
}

/** What one tool became in one image: written to /opt/moltlab/tools.json. */
export interface ToolStatus {
  name: string;
  source: ToolSource;
  version: string;
  licence: string;
  licenceNote?: string;
  /** apt tools: the Debian package, so the image build can fill in its real version. */
  package?: string;
  installed: boolean;
  /** Why not installed (absent when installed). */
  reason?: string;
  probe: Probe;
}

export interface ToolsFile {
  schema: 1;
  arch: Arch;
  openclaw: string;
  tools: ToolStatus[];
}
