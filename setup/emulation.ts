import { existsSync, readFileSync } from "node:fs";
import { aptInstall } from "../core/apt.ts";
import { UserError } from "../core/errors.ts";
import { run, tryRun } from "../core/exec.ts";
import { canManageMachine, foreignArch, qemuHandler } from "../core/host.ts";
import type { StepContext, StepOutcome } from "../core/ui.ts";
import type { Arch } from "../contract/arch.ts";

const BINFMT_DIR = "/proc/sys/fs/binfmt_misc";

export interface BinfmtHandler {
  enabled: boolean;
  interpreter: string;
  flags: string;
}

/** Parses a /proc/sys/fs/binfmt_misc/<name> file. */
export function parseBinfmt(text: string): BinfmtHandler {
  // The kernel prints "interpreter /path" but "flags: PF" (with a colon).
  const field = (name: string) => text.match(new RegExp(`^${name}:? (.*)$`, "m"))?.[1]?.trim() ?? "";
  return { enabled: text.split("\n")[0]?.trim() === "enabled", interpreter: field("interpreter"), flags: field("flags") };
}

function readHandler(name: string): BinfmtHandler | undefined {
  const path = `${BINFMT_DIR}/${name}`;
  return existsSync(path) ? parseBinfmt(readFileSync(path, "utf8")) : undefined;
}

/**
 * A handler works for containers only when enabled and registered with the F
 * (fix-binary) flag: the interpreter is opened at registration, so it need not
 * exist inside the container's filesystem.
 */
export function handlerUsable(handler: BinfmtHandler | undefined): boolean {
  return handler?.enabled === true && handler.flags.includes("F");
}

function describe(name: string, handler: BinfmtHandler): string {
  return `binfmt ${name} enabled (${handler.interpreter}, flags ${handler.flags})`;
}

function emulationFix(arch: Arch): string {
  return (
    `as root, mount binfmt_misc and install Debian's qemu-user-static and binfmt-support (moltlab does this itself when run as root on Debian); ` +
    `where a registry is reachable, \`docker run --privileged --rm tonistiigi/binfmt --install ${arch}\` also works; then rerun \`npm run setup\``
  );
}

/** Ensures the host kernel can run binaries of the other platform (QEMU user mode via binfmt_misc). */
export async function ensureEmulation(context: StepContext, logFile: string, engineIsLocal: boolean): Promise<StepOutcome> {
  const arch = foreignArch();
  const name = qemuHandler(arch);
  if (process.platform !== "linux" || !engineIsLocal) {
    return { status: "skip", detail: `${arch} emulation is the Docker engine's business here; checked below by running an ${arch} image` };
  }
  const before = readHandler(name);
  if (before && handlerUsable(before)) return { status: "ok", detail: describe(name, before) };
  if (!canManageMachine()) {
    const state = before ? `handler ${name} is ${before.enabled ? "registered without the F flag" : "disabled"}` : `no handler ${name}`;
    throw new UserError(`${arch} emulation is missing: ${state} in ${BINFMT_DIR}`, emulationFix(arch));
  }
  // binfmt_misc must be mounted *before* binfmt-support is installed, or its
  // postinst registers nothing.
  if (!existsSync(`${BINFMT_DIR}/register`)) {
    context.progress(`mounting binfmt_misc on ${BINFMT_DIR}`);
    const mount = await tryRun("mount", ["-t", "binfmt_misc", "binfmt_misc", BINFMT_DIR], { logFile });
    if (mount.code !== 0) {
      throw new UserError(
        `cannot mount binfmt_misc (${mount.stderr.trim()}): this kernel or container does not allow foreign-architecture emulation`,
        emulationFix(arch),
      );
    }
  }
  const installed = await aptInstall(["qemu-user-static", "binfmt-support"], context, logFile);
  if (!handlerUsable(readHandler(name))) await run("update-binfmts", ["--enable", name], { logFile });
  const after = readHandler(name);
  if (!after || !handlerUsable(after)) {
    throw new UserError(
      `${arch} emulation is still unusable after installing qemu-user-static: ${after ? JSON.stringify(after) : `no ${name} handler`}`,
      emulationFix(arch),
    );
  }
  const action = installed.length ? `installed ${installed.join(", ")}` : "re-enabled the handler";
  return { status: "done", detail: `${action}: ${describe(name, after)}` };
}
