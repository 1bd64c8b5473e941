/**
 * Device pairing through OpenClaw's own CLI. It finds the gateway's port and token in the
 * config (which holds ${OPENCLAW_GATEWAY_TOKEN}) and the environment, so no --token goes on
 * its command line. The id is checked before it becomes an argument: it must not look like an option.
 */
import { execFile } from "node:child_process";
import { spawnIdentity, type GatewayUser } from "./gateway-user.ts";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export const DEVICE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;

/** Runs as the gateway user, like the gateway: the CLI reads the same state and config. */
export function runOpenclaw(
  bin: string,
  args: readonly string[],
  env: Record<string, string>,
  user: GatewayUser | null,
  timeoutMs = 60_000,
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(bin, [...args], { env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, ...spawnIdentity(user) }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: error && !stderr ? error.message : String(stderr) });
    });
  });
}

export const devicesListArgs = ["devices", "list", "--json"] as const;
export const devicesApproveArgs = (id: string) => ["devices", "approve", id] as const;
