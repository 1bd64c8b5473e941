import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import type { UserError } from "../../core/errors.ts";
import { lastLines, tryRun } from "../../core/exec.ts";
import { goCacheEnv, goMissingError as goMissing } from "../../core/go.ts";
import { hostArch } from "../../core/host.ts";
import type { GoTool } from "../tools/manifest.ts";
import type { ToolOutcome } from "./outcome.ts";
import type { Arch } from "../../contract/arch.ts";

export { goVersion } from "../../core/go.ts";

export function goToolsUnavailable(): UserError {
  return goMissing("the image's Go tools (ghq, gwq, mcp-grafana) are cross-compiled on this machine, never under QEMU", "npm run image");
}

function goEnv(cache: string, arch: Arch): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    // Module downloads and the build cache are shared between arches and runs: a
    // second cold image build compiles nothing it compiled before.
    ...goCacheEnv(cache),
    GOOS: "linux",
    GOARCH: arch,
    CGO_ENABLED: "0",
  };
  // `go install` refuses to cross-compile into an explicit GOBIN.
  delete env.GOBIN;
  return env;
}

/** Licence family from a LICENSE text; AGPL is what we must never ship. */
export function classifyLicence(text: string): string {
  if (/GNU AFFERO GENERAL PUBLIC LICENSE/i.test(text)) return "AGPL";
  if (/GNU GENERAL PUBLIC LICENSE/i.test(text)) return "GPL";
  if (/Apache License[\s\S]{0,40}Version 2\.0/i.test(text)) return "Apache-2.0";
  if (/Permission is hereby granted, free of charge/i.test(text)) return "MIT";
  if (/Redistribution and use in source and binary forms/i.test(text)) return "BSD";
  if (/Mozilla Public License/i.test(text)) return "MPL-2.0";
  if (/ISC License|Permission to use, copy, modify, and\/or distribute/i.test(text)) return "ISC";
  return "unknown";
}

/**
 * `go install module/pkg@vX` for linux/<arch> with CGO off, the same thing a golang
 * build stage does, but on the host: the result is cached per tool, version, arch
 * and Go version. A module the proxy does not serve is "not installed", not an error.
 */
export async function buildGoTool(tool: GoTool, arch: Arch, cache: string, go: string, logFile: string): Promise<ToolOutcome> {
  const outDir = join(cache, "image/go/bin", arch);
  const out = join(outDir, `${tool.binary}-${tool.version}-${go}`);
  if (existsSync(out)) return { installed: true, file: out };
  const env = goEnv(cache, arch);
  const scratch = join(cache, "image/go");
  mkdirSync(scratch, { recursive: true });
  const download = await tryRun("go", ["mod", "download", "-json", `${tool.module}@v${tool.version}`], { cwd: scratch, env, logFile, timeoutMs: 600_000 });
  const info = parseDownload(download.stdout);
  if (download.code !== 0 || !info.Dir) {
    const why = info.Error ?? lastLines(download.stderr || download.stdout, 2);
    const refused = /not available|403|404|410|unknown revision|invalid version/i.test(why);
    const status = why.match(/\b[45]\d\d [A-Za-z ]+/)?.[0]?.trim();
    return {
      installed: false,
      reason: refused ? `the Go module proxy does not serve ${tool.module}@v${tool.version}${status ? ` (${status})` : ""}` : `go mod download failed: ${why}`,
    };
  }
  const licenceFile = readdirSync(info.Dir).find((name) => /^(LICEN[CS]E|COPYING)(\.(md|txt))?$/i.test(name));
  const licence = licenceFile ? classifyLicence(readFileSync(join(info.Dir, licenceFile), "utf8")) : "unknown";
  if (licence === "AGPL") return { installed: false, reason: `${tool.module} is AGPL-licensed: not allowed in the image` };
  const build = await tryRun("go", ["install", "-trimpath", "-ldflags=-s -w", `${tool.package}@v${tool.version}`], {
    cwd: scratch,
    env,
    logFile,
    timeoutMs: 1_200_000,
  });
  if (build.code !== 0) return { installed: false, reason: `go install failed: ${lastLines(build.stderr || build.stdout, 3)}` };
  // Native builds land in $GOPATH/bin, cross builds in $GOPATH/bin/linux_<arch>.
  const bin = join(env.GOPATH!, "bin");
  const built = arch === hostArch() ? join(bin, tool.binary) : join(bin, `linux_${arch}`, tool.binary);
  mkdirSync(outDir, { recursive: true });
  copyFileSync(built, `${out}.partial`);
  renameSync(`${out}.partial`, out);
  const note = licence === tool.licence ? undefined : `LICENSE file reads as ${licence}, manifest says ${tool.licence}`;
  return note ? { installed: true, file: out, note } : { installed: true, file: out };
}

function parseDownload(stdout: string): { Dir?: string; Error?: string } {
  try {
    return JSON.parse(stdout) as { Dir?: string; Error?: string };
  } catch {
    return {};
  }
}
