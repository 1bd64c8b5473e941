import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { UserError } from "./errors.ts";
import { ARCHES, type Arch } from "../contract/arch.ts";
export { ARCHES, type Arch };

/** The two platforms moltlab builds for: Cloudflare Containers run amd64, the user's boards run arm64. */

const UNAME: Record<Arch, string> = { amd64: "x86_64", arm64: "aarch64" };
const QEMU: Record<Arch, string> = { amd64: "qemu-x86_64", arm64: "qemu-aarch64" };

export function hostArch(nodeArch: string = process.arch): Arch {
  if (nodeArch === "x64") return "amd64";
  if (nodeArch === "arm64") return "arm64";
  throw new UserError(`unsupported host CPU "${nodeArch}"`, "run moltlab on an x86_64 or arm64 machine");
}

/** The platform that needs emulation on this host. */
export function foreignArch(host: Arch = hostArch()): Arch {
  return host === "amd64" ? "arm64" : "amd64";
}

/** What `uname -m` prints inside a container of that platform. */
export function unameMachine(arch: Arch): string {
  return UNAME[arch];
}

/** The binfmt_misc handler name that runs binaries of that platform. */
export function qemuHandler(arch: Arch): string {
  return QEMU[arch];
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** moltlab installs system packages itself only as root on Debian (or a derivative) with apt. */
export function canManageMachine(): boolean {
  return process.platform === "linux" && isRoot() && existsSync("/etc/debian_version") && existsSync("/usr/bin/apt-get");
}

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MOLTLAB_CACHE_DIR) return env.MOLTLAB_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "moltlab");
}

/** Repository root (this file lives in <root>/cli). */
export const ROOT = join(import.meta.dirname, "..");
