import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import Cloudflare from "cloudflare";
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { UserError } from "../core/errors.ts";
import { parseEmulateArgs } from "./emulate.ts";
import { ROOT } from "../core/host.ts";

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

/** Starts `moltlab emulate …` and resolves with the child and every line printed until "Ctrl-C stops". */
async function startCli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ child: ChildProcess; lines: string[] }> {
  const child = spawn(process.execPath, ["bin/moltlab.mjs", "emulate", ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  const lines: string[] = [];
  for await (const line of createInterface({ input: child.stdout! })) {
    lines.push(line);
    if (line.startsWith("Ctrl-C stops")) break;
  }
  return { child, lines };
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once("exit", (code) => resolve(code))));
}

const detail = (lines: string[], label: string) =>
  lines
    .find((line) => line.trimStart().startsWith(`${label}: `))!
    .split(": ")
    .slice(1)
    .join(": ");

describe("moltlab emulate arguments", () => {
  it("takes a name, --port and --host", () => {
    expect(parseEmulateArgs(["r2", "--port", "9000", "--host", "0.0.0.0"])).toEqual({ names: ["r2"], options: { port: 9000, host: "0.0.0.0" } });
    expect(parseEmulateArgs(["all"]).names).toEqual(["ai-gateway", "r2", "access", "telegram", "discord", "cloudflare-api"]);
    expect(parseEmulateArgs(["containers"]).names).toEqual(["containers"]);
  });

  it("names the choices for an unknown emulator or flag", () => {
    expect(() => parseEmulateArgs(["s3"])).toThrow(/emulate needs one of ai-gateway, r2, access, telegram, discord, cloudflare-api, containers, all, not "s3"/);
    expect(() => parseEmulateArgs(["r2", "--port", "http"])).toThrow(UserError);
    expect(() => parseEmulateArgs(["r2", "--verbose"])).toThrow(/unknown option --verbose/);
    expect(() => parseEmulateArgs(["r2", "access"])).toThrow(/unexpected argument "access"/);
  });
});

// Each test starts real emulator processes (workerd for R2): seconds each, more on a busy 2-core machine.
describe("moltlab emulate", { timeout: 30_000 }, () => {
  it("prints `listening on <url>` first, serves the AI Gateway there, and exits 143 on SIGTERM", async () => {
    const { child, lines } = await startCli(["ai-gateway", "--port", "0"]);
    expect(lines[0]).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${detail(lines, "anthropic base URL")}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": "test-key", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "claude-test", max_tokens: 16, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { type: string }).type).toBe("message");
    child.kill("SIGTERM");
    expect(await exitOf(child)).toBe(143);
  });

  it("prints R2 credentials that the AWS SDK can use", async () => {
    const { child, lines } = await startCli(["r2"]);
    expect(lines[0]).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/);
    const s3 = new S3Client({
      endpoint: detail(lines, "S3 endpoint"),
      region: "auto",
      forcePathStyle: true,
      credentials: { accessKeyId: detail(lines, "access key id"), secretAccessKey: detail(lines, "secret access key") },
    });
    const Bucket = detail(lines, "bucket");
    await s3.send(new PutObjectCommand({ Bucket, Key: "hello.txt", Body: "from the CLI test" }));
    const object = await s3.send(new GetObjectCommand({ Bucket, Key: "hello.txt" }));
    expect(await object.Body!.transformToString()).toBe("from the CLI test");
    s3.destroy();
    child.kill("SIGINT");
    expect(await exitOf(child)).toBe(130);
  });

  it("serves Telegram's Bot API for the token it prints, and plays a person through its control API", async () => {
    const { child, lines } = await startCli(["telegram"]);
    const api = `${detail(lines, "API root (TELEGRAM_API_ROOT, OpenClaw's channels.telegram.apiRoot)")}/bot${detail(lines, "token (TELEGRAM_BOT_TOKEN)")}`;
    expect(((await (await fetch(`${api}/getMe`)).json()) as { result: { username: string } }).result.username).toBe("moltlab_test_bot");
    const [how, body] = detail(lines, "write as a person").split(/ (?=\{)/) as [string, string];
    const posted = await fetch(how.replace(/^POST /, ""), { method: "POST", headers: { "content-type": "application/json" }, body });
    expect(posted.status).toBe(200);
    const updates = (await (await fetch(`${api}/getUpdates`)).json()) as { result: { message: { text: string; from: { id: number } } }[] };
    expect(updates.result.map((update) => [update.message.from.id, update.message.text])).toEqual([[1001, "hi"]]);
    child.kill("SIGTERM");
    expect(await exitOf(child)).toBe(143);
  });

  it("serves Discord's REST API for the token it prints, and plays a person through its control API", async () => {
    const { child, lines } = await startCli(["discord"]);
    const apiUrl = detail(lines, "API URL (DISCORD_API_URL)");
    const headers = { authorization: `Bot ${detail(lines, "token (DISCORD_BOT_TOKEN)")}` };
    expect(((await (await fetch(`${apiUrl}/users/@me`, { headers })).json()) as { username: string }).username).toBe("moltlab_test_bot");
    expect(((await (await fetch(`${apiUrl}/gateway/bot`, { headers })).json()) as { url: string }).url).toBe(
      detail(lines, "gateway (what GET /gateway/bot answers)"),
    );
    const [how, body] = detail(lines, "write as a person").split(/ (?=\{)/) as [string, string];
    const posted = await fetch(how.replace(/^POST /, ""), { method: "POST", headers: { "content-type": "application/json" }, body });
    const { channel } = (await posted.json()) as { channel: { id: string } };
    const messages = (await (await fetch(`${apiUrl}/channels/${channel.id}/messages`, { headers })).json()) as {
      content: string;
      author: { username: string };
    }[];
    expect(messages.map((message) => [message.author.username, message.content])).toEqual([["alice", "hi"]]);
    child.kill("SIGTERM");
    expect(await exitOf(child)).toBe(143);
  });

  it("serves the Cloudflare API for the token and account it prints, keeping the account across runs", async () => {
    const cache = mkdtempSync(join(tmpdir(), "moltlab-emulate-cfapi-"));
    try {
      const env = { ...process.env, MOLTLAB_CACHE_DIR: cache };
      const first = await startCli(["cloudflare-api"], env);
      expect(first.lines[0]).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/);
      const baseURL = detail(first.lines, "base URL (CLOUDFLARE_BASE_URL, the provider's base_url)");
      const accountId = detail(first.lines, "account id (CLOUDFLARE_ACCOUNT_ID)");
      const client = new Cloudflare({
        apiToken: detail(first.lines, "API token (CLOUDFLARE_API_TOKEN)"),
        apiKey: null,
        apiEmail: null,
        baseURL,
        maxRetries: 0,
      });
      await client.r2.buckets.create({ account_id: accountId, name: "from-the-cli" });
      expect(detail(first.lines, "state")).toContain(cache);
      first.child.kill("SIGTERM");
      expect(await exitOf(first.child)).toBe(143);

      const second = await startCli(["cloudflare-api"], env);
      expect(detail(second.lines, "account id (CLOUDFLARE_ACCOUNT_ID)")).toBe(accountId);
      const again = new Cloudflare({
        apiToken: detail(second.lines, "API token (CLOUDFLARE_API_TOKEN)"),
        apiKey: null,
        apiEmail: null,
        baseURL: detail(second.lines, "base URL (CLOUDFLARE_BASE_URL, the provider's base_url)"),
        maxRetries: 0,
      });
      expect((await again.r2.buckets.list({ account_id: accountId })).buckets?.map((bucket) => bucket.name)).toEqual(["from-the-cli"]);
      second.child.kill("SIGTERM");
      expect(await exitOf(second.child)).toBe(143);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it("runs all six, each announced with its name", async () => {
    const cache = mkdtempSync(join(tmpdir(), "moltlab-emulate-all-"));
    onTestFinished(() => rmSync(cache, { recursive: true, force: true }));
    const { child, lines } = await startCli(["all"], { ...process.env, MOLTLAB_CACHE_DIR: cache });
    const listening = lines.filter((line) => line.startsWith("listening on "));
    expect(listening.map((line) => line.replace(/:\d+/, ":PORT"))).toEqual([
      "listening on http://127.0.0.1:PORT (ai-gateway)",
      "listening on http://127.0.0.1:PORT (r2)",
      "listening on http://127.0.0.1:PORT (access)",
      "listening on http://127.0.0.1:PORT (telegram)",
      "listening on http://127.0.0.1:PORT (discord)",
      "listening on http://127.0.0.1:PORT (cloudflare-api)",
    ]);
    const certs = await fetch(detail(lines, "certs"));
    expect(((await certs.json()) as { keys: unknown[] }).keys.length).toBeGreaterThan(0);
    child.kill("SIGTERM");
    expect(await exitOf(child)).toBe(143);
  });
});
