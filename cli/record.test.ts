import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { ROOT } from "../core/host.ts";
import { readCassette } from "../emulators/ai-gateway/cassette.ts";
import { startAiGateway, type StartedAiGateway } from "../emulators/ai-gateway/index.ts";
import { parseEmulateArgs } from "./emulate.ts";
import { parseRecordArgs } from "./record.ts";

const dir = await mkdtemp(path.join(tmpdir(), "moltlab-record-cli-"));
const children: ChildProcess[] = [];
const gateways: StartedAiGateway[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  await Promise.all(gateways.splice(0).map((gateway) => gateway.stop()));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Runs `moltlab <args>` and resolves with the child and its lines up to "Ctrl-C stops" (or the end). */
async function startCli(args: string[], env: Record<string, string> = {}): Promise<{ child: ChildProcess; lines: string[] }> {
  const child = spawn(process.execPath, ["bin/moltlab.mjs", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ...env } });
  children.push(child);
  const lines: string[] = [];
  for await (const line of createInterface({ input: child.stdout! })) {
    lines.push(line);
    if (line.startsWith("Ctrl-C stops")) break;
  }
  return { child, lines };
}

const exitOf = (child: ChildProcess): Promise<number | null> =>
  new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once("exit", (code) => resolve(code))));

const ask = (base: string, content: string) =>
  fetch(`${base}/v1/acct/gw/anthropic/v1/messages`, {
    method: "POST",
    headers: { "x-api-key": "sk-cli-SECRET", "anthropic-version": "2023-06-01", "content-type": "application/json" },
    body: JSON.stringify({ model: "claude-x", max_tokens: 8, stream: true, messages: [{ role: "user", content }] }),
  });

describe("moltlab record and emulate --cassette arguments", () => {
  it("takes --to or --check, not both, and names the fix", () => {
    expect(parseRecordArgs(["--to", "t.json", "--upstream", "http://127.0.0.1:1", "--port", "0"])).toEqual({
      to: "t.json",
      upstream: "http://127.0.0.1:1",
      port: 0,
    });
    expect(parseRecordArgs(["--check", "t.json"])).toEqual({ check: "t.json" });
    expect(() => parseRecordArgs([])).toThrow(/record needs either --to FILE or --check FILE/);
    expect(() => parseRecordArgs(["--to", "a", "--check", "b"])).toThrow(/either --to FILE or --check FILE/);
    expect(() => parseRecordArgs(["--check", "a", "--port", "1"])).toThrow(/--check serves nothing/);
    expect(() => parseRecordArgs(["--to", "a", "--upstream", "gateway.ai.cloudflare.com"])).toThrow(
      /--upstream gateway\.ai\.cloudflare\.com is not an http\(s\) URL/,
    );
  });

  it("emulate ai-gateway takes a cassette with its replay options, and refuses them elsewhere", () => {
    expect(parseEmulateArgs(["ai-gateway", "--cassette", "t.json", "--timing", "fast"]).options).toEqual({ cassette: { file: "t.json", timing: "fast" } });
    expect(parseEmulateArgs(["ai-gateway", "--cassette", "t.json", "--timing-scale", "0.5", "--record-on-miss", "--upstream", "http://x"]).options).toEqual({
      cassette: { file: "t.json", timingScale: 0.5, recordOnMiss: true, upstream: "http://x" },
    });
    expect(() => parseEmulateArgs(["r2", "--cassette", "t.json"])).toThrow(/--cassette is an ai-gateway option/);
    expect(() => parseEmulateArgs(["ai-gateway", "--timing", "fast"])).toThrow(/--timing only goes with --cassette FILE/);
    expect(() => parseEmulateArgs(["ai-gateway", "--cassette", "t.json", "--record-on-miss"])).toThrow(/--record-on-miss needs --upstream/);
    expect(() => parseEmulateArgs(["ai-gateway", "--cassette", "t.json", "--upstream", "http://x"])).toThrow(/only used with --record-on-miss/);
    expect(() => parseEmulateArgs(["ai-gateway", "--cassette", "t.json", "--timing", "slow"])).toThrow(/--timing slow is not as-recorded or fast/);
  });
});

describe("moltlab record, then emulate --cassette, then record --check", { timeout: 30_000 }, () => {
  it("says what is wrong with a cassette and how to fix it, without a stack trace", async () => {
    const file = path.join(dir, "future.json");
    await writeFile(file, JSON.stringify({ version: 9, exchanges: [] }));
    const child = spawn(process.execPath, ["bin/moltlab.mjs", "emulate", "ai-gateway", "--cassette", file], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let output = "";
    child.stdout!.on("data", (chunk) => (output += chunk));
    child.stderr!.on("data", (chunk) => (output += chunk));
    expect(await exitOf(child)).toBe(1);
    expect(output).toBe(
      `moltlab emulate: cassette ${file} has format version 9; this moltlab reads version 1 only; re-record it with \`moltlab record --to ${file}\`\n`,
    );
  });

  it("records through the CLI, replays through the CLI, and checks the cassette against the upstream", async () => {
    const upstream = await startAiGateway({ scenarios: [{ reply: { text: "recorded through the CLI" } }] });
    gateways.push(upstream);
    const file = path.join(dir, "cli.json");

    const recording = await startCli(["record", "--to", file, "--upstream", upstream.url, "--port", "0"]);
    expect(recording.lines[0]).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/);
    expect(recording.lines).toContain(`  recording to: ${file} (keys and cf-aig-* secrets are never written)`);
    const origin = recording.lines[0]!.slice("listening on ".length);
    const live = await (await ask(origin, "hello")).text();
    expect(live).toContain("CLI");
    recording.child.kill("SIGTERM");
    expect(await exitOf(recording.child)).toBe(143);
    expect((await readCassette(file)).exchanges).toHaveLength(1);

    const replaying = await startCli(["emulate", "ai-gateway", "--cassette", file, "--timing", "fast", "--port", "0"]);
    expect(replaying.lines[0]).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/);
    expect(replaying.lines.some((line) => line.includes(`cassette: ${file} (fast, strict)`))).toBe(true);
    const replayOrigin = replaying.lines[0]!.slice("listening on ".length);
    expect(await (await ask(replayOrigin, "hello")).text()).toBe(live);
    expect((await ask(replayOrigin, "something else")).status).toBe(404);
    replaying.child.kill("SIGINT");
    expect(await exitOf(replaying.child)).toBe(130);

    // Keys come from the environment (the cassette has none): without one the provider refuses, a changed status.
    const keyless = await startCli(["record", "--check", file, "--upstream", upstream.url], { ANTHROPIC_API_KEY: "" });
    expect(await exitOf(keyless.child)).toBe(1);
    expect(keyless.lines).toContain("  - status 200 → 401");
    const check = await startCli(["record", "--check", file, "--upstream", upstream.url], { ANTHROPIC_API_KEY: "sk-from-env" });
    expect(await exitOf(check.child)).toBe(0);
    expect(check.lines).toEqual(["same    exchange 0: POST anthropic/v1/messages claude-x (stream)", `0 of 1 answers changed shape (${file})`]);
    upstream.inject({ kind: "status", status: 529, times: "always" });
    const drift = await startCli(["record", "--check", file, "--upstream", upstream.url], { ANTHROPIC_API_KEY: "sk-from-env" });
    expect(await exitOf(drift.child)).toBe(1);
    expect(drift.lines).toContain("  - status 200 → 529");
  });
});
