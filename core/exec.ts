import { spawn } from "node:child_process";
import { appendFileSync } from "node:fs";

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** Kill the command after this long and treat it as failed. */
  timeoutMs?: number;
  /** Append everything the command prints to this file (for long, noisy steps). */
  logFile?: string;
  /** Echo output to stderr as it arrives (MOLTLAB_VERBOSE=1 turns this on everywhere). */
  echo?: boolean;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export class CommandError extends Error {
  readonly result: RunResult;

  constructor(command: string, result: RunResult) {
    const why = result.timedOut ? "timed out" : `exited with ${result.code}`;
    const tail = lastLines(result.stderr || result.stdout, 15);
    super(`\`${command}\` ${why}${tail ? `:\n${indent(tail)}` : ""}`);
    this.name = "CommandError";
    this.result = result;
  }
}

/** Runs a command and resolves with its output whatever its exit code; a missing program gives code 127. */
export function tryRun(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const echo = options.echo ?? process.env.MOLTLAB_VERBOSE === "1";
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    const record = (chunk: Buffer, sink: "stdout" | "stderr") => {
      const text = chunk.toString("utf8");
      if (sink === "stdout") stdout += text;
      else stderr += text;
      if (options.logFile) appendFileSync(options.logFile, text);
      if (echo) process.stderr.write(text);
    };
    child.stdout?.on("data", (chunk: Buffer) => record(chunk, "stdout"));
    child.stderr?.on("data", (chunk: Buffer) => record(chunk, "stderr"));
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill("SIGKILL");
          }, options.timeoutMs);
    child.on("error", (error: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      resolve({ code: error.code === "ENOENT" ? 127 : 126, stdout, stderr: stderr + error.message, timedOut });
    });
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr, timedOut });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Runs a command and rejects with a CommandError (carrying the tail of its output) unless it exits 0. */
export async function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const result = await tryRun(command, args, options);
  if (result.code !== 0 || result.timedOut) throw new CommandError([command, ...args].join(" "), result);
  return result;
}

export function lastLines(text: string, count: number): string {
  return text.trimEnd().split("\n").slice(-count).join("\n");
}

function indent(text: string): string {
  return text.replace(/^/gm, "    ");
}
