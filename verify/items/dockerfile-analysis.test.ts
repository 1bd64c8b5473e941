import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DockerfileError } from "../../container/build/dockerfile-parse.ts";
import { ROOT } from "../../core/host.ts";
import { analyseDockerfile, countedTools, restoreEffect } from "./dockerfile-analysis.ts";

const SAMPLE = join(ROOT, "verify/samples/Dockerfile.user");
const sample = () => analyseDockerfile(readFileSync(SAMPLE, "utf8"), SAMPLE);
const temp = mkdtempSync(join(tmpdir(), "moltlab-dockerfile-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe("the user's Dockerfile, read statically (0-2 with --dockerfile)", () => {
  it("finds a tool in every common install form of the sample", () => {
    const byName = new Map(sample().installs.map((install) => [install.name, install]));
    const form = (name: string) => {
      const install = byName.get(name);
      return install && { line: install.line, form: install.form, version: install.version, counted: install.counted, note: install.note };
    };
    expect(form("gwq")).toEqual({
      line: 34,
      form: "go install",
      version: "v0.0.13",
      counted: true,
      note: "built in stage gotools (line 13), copied over at line 34",
    });
    expect(form("babashka")).toEqual({ line: 30, form: "release download", version: "1.12.215", counted: true, note: "sha256 checked" });
    expect(form("docker")).toEqual({ line: 35, form: "COPY --from image", version: "27.3", counted: true, note: "taken from the image docker:27.3-cli" });
    expect(form("gh")).toEqual({
      line: 21,
      form: "apt",
      version: undefined,
      counted: true,
      note: "from the repository added at line 21 (https://cli.github.com/packages)",
    });
    expect(form("codex")).toMatchObject({ line: 36, form: "npm -g", version: "0.169.0", counted: true });
    expect(form("installer from bun.sh")).toMatchObject({ line: 37, form: "curl | sh installer", counted: true });
    expect(form("httpie")).toMatchObject({ line: 38, form: "pip", version: "3.2.4", counted: true });
    expect(form("openclaw")).toMatchObject({ line: 17, form: "base image", version: "2026.9.6", counted: false });
  });

  it("counts commands only: libraries for NODE_PATH and apt's keyring helpers are listed, not counted", () => {
    const analysis = sample();
    expect(countedTools(analysis).map((install) => install.name)).toEqual([
      "jq",
      "ripgrep",
      "gh",
      "babashka",
      "ghq",
      "gwq",
      "mcp-grafana",
      "docker",
      "codex",
      "claude",
      "installer from bun.sh",
      "httpie",
    ]);
    const listed = analysis.installs.filter((install) => !install.counted).map((install) => `${install.name}: ${install.note}`);
    expect(listed).toEqual([
      "openclaw: OpenClaw itself",
      "curl: apt helper (download, keyring, build)",
      "ca-certificates: apt helper (download, keyring, build)",
      "gnupg: apt helper (download, keyring, build)",
      "python3-pip: apt helper (download, keyring, build)",
      "@slack/web-api: a package for NODE_PATH or a local node_modules, not a command",
      "playwright-core: a package for NODE_PATH or a local node_modules, not a command",
    ]);
    // The keyring download is part of the apt install, not a release download.
    expect(analysis.installs.some((install) => install.how.includes("githubcli-archive-keyring"))).toBe(false);
  });

  it("flags patches of OpenClaw's own files, also inside a script copied in and run", () => {
    expect(sample().patches).toEqual([
      { line: 43, how: "sed -i s/const MAX_PARALLEL_TOOLS = 4/const MAX_PARALLEL_TOOLS = 8/ /app/dist/agent-runner.js" },
      {
        line: 45,
        how: "sed -i s/DISCORD_MAX_CHARS = 2000/DISCORD_MAX_CHARS = 4000/ /app/dist/channels/discord.js",
        script: { path: "patch-openclaw.sh", line: 5 },
      },
    ]);
  });

  it("shows where your pins differ from the bundled image's", () => {
    expect(sample().versionDiffs).toEqual([
      { tool: "mcp-grafana", line: 34, yours: "0.10.0", bundled: "1.6.3" },
      { tool: "docker", line: 35, yours: "27.3", bundled: "26.1.5" },
      { tool: "claude", line: 36, yours: "2.1.300", bundled: "2.1.332" },
    ]);
  });

  it("lists files baked into the home with what the restore does to them", () => {
    const files = sample().homeFiles;
    expect(files.map((file) => [file.line, file.path, file.root])).toEqual([
      [47, "/home/node/.codex/config.toml", undefined],
      [48, "/home/node/.openclaw/workspace/bin/sync-repos.bb", "/home/node/.openclaw/workspace"],
      [49, "/home/node/.claude/settings.json", undefined],
      [53, "/home/node/.gitconfig", undefined],
    ]);
    expect(files[0]!.restore).toMatch(/^outside the backed-up folders: no restore touches it/);
    expect(files[1]!.restore).toMatch(/deleted when the snapshot lacks it and replaced by the snapshot's copy/);
  });

  it("places a file in the innermost backed-up folder of its own home", () => {
    expect(restoreEffect("/root/.config/openclaw/key").root).toBe("/root/.config/openclaw");
    expect(restoreEffect("/home/app/.openclaw/workspace/skills/x/SKILL.md").root).toBe("/home/app/.openclaw/workspace/skills");
    expect(restoreEffect("/etc/hosts")).toEqual({ restore: "not in a home directory" });
  });

  it("notes what it cannot judge and invents no tools", () => {
    writeFileSync(
      join(temp, "Dockerfile"),
      "FROM debian AS build\nRUN go install example.com/unused@v1\nFROM debian\nCOPY setup.sh /setup.sh\nRUN sh /setup.sh && pip install -r requirements.txt\n",
    );
    const analysis = analyseDockerfile(readFileSync(join(temp, "Dockerfile"), "utf8"), join(temp, "Dockerfile"));
    expect(analysis.installs).toEqual([]);
    expect(analysis.notes).toEqual([
      "no USER in the final stage: the base image's user runs OpenClaw; `~` is read as /home/node (the official image's)",
      "line 5 runs setup.sh, which is not beside the Dockerfile: what it does is not judged",
      "line 5: pip installs from a requirements file; its packages are not listed here",
      "line 2: unused is built in stage build but never copied into the final image",
    ]);
  });

  it("reads the other common shapes: heredoc and JSON-form RUN, ADD <url> --checksum, npm-installed OpenClaw, a syntax frontend", () => {
    const text = [
      "# syntax=docker/dockerfile:1.7",
      "FROM node:24-bookworm",
      "RUN --mount=type=cache,target=/root/.npm npm install -g openclaw@2026.8.1 pnpm@9",
      "RUN <<EOF",
      "apt-get update",
      "apt-get install -y --no-install-recommends ffmpeg libsqlite3-dev",
      "EOF",
      'RUN ["sh", "-c", "pipx install poetry==1.8.3 && uv tool install ruff"]',
      "ADD --checksum=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef https://github.com/owner/sometool/releases/download/v1.2.3/sometool-linux-amd64 /usr/local/bin/sometool",
      "COPY --from=ghcr.io/astral-sh/uv:0.5.1 /uv /uvx /bin/",
      "RUN perl -pi -e 's/a/b/' /usr/local/lib/node_modules/openclaw/dist/index.js",
      "USER agent",
      "",
    ].join("\n");
    const analysis = analyseDockerfile(text, join(temp, "Dockerfile"));
    expect(analysis.baseImages).toEqual(["docker/dockerfile:1.7", "node:24-bookworm", "ghcr.io/astral-sh/uv:0.5.1"]);
    expect(analysis.notes[0]).toMatch(/^the `# syntax=docker\/dockerfile:1.7` line makes BuildKit fetch that frontend image/);
    expect(analysis.installs.map((install) => [install.line, install.name, install.version, install.form, install.counted])).toEqual([
      [3, "openclaw", "2026.8.1", "npm -g", false],
      [3, "pnpm", "9", "npm -g", true],
      [4, "ffmpeg", undefined, "apt", true],
      [4, "libsqlite3-dev", undefined, "apt", false],
      [8, "poetry", "1.8.3", "pip", true],
      [8, "ruff", undefined, "pip", true],
      [9, "sometool", "1.2.3", "release download", true],
      [10, "uv", "0.5.1", "COPY --from image", true],
      [10, "uvx", "0.5.1", "COPY --from image", true],
    ]);
    expect(analysis.installs.find((install) => install.name === "sometool")!.note).toBe("sha256 checked (ADD --checksum)");
    expect(analysis.versionDiffs).toEqual([{ tool: "openclaw", line: 3, yours: "2026.8.1", bundled: expect.any(String) }]);
    expect(analysis.patches.map((patch) => patch.line)).toEqual([11]);
  });

  it("refuses a Dockerfile that does not parse, naming the line and the fix", () => {
    expect(() => analyseDockerfile("FROM debian\nRUN apt-get install -y jq \\\n", "bad/Dockerfile")).toThrow(DockerfileError);
    expect(() => analyseDockerfile("FROM debian\nINSTAL jq\n", "bad/Dockerfile")).toThrow("bad/Dockerfile:2: unknown instruction INSTAL");
  });
});
