/**
 * The supervisor as the container runs it: a real process (main.ts on Node 24) with the fake
 * OpenClaw as its gateway and the R2 stand-in as its bucket.
 */
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { freePort, gatewayReady, gatewayUrl, secret, startSupervisor, supervisorEnv, supervisorSuite, waitFor } from "./testing/harness.ts";

const suite = supervisorSuite("e2e");
const home = () => suite.temp("e2e");

/** Every process command line on the machine. */
async function allCommandLines(): Promise<string[]> {
  const lines: string[] = [];
  for (const pid of (await readdir("/proc")).filter((name) => /^\d+$/.test(name))) {
    lines.push(await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => ""));
  }
  return lines;
}

describe("supervisor", { timeout: 60_000 }, () => {
  it("boots on an empty bucket, serves the authenticated control API, and keeps secrets out of logs and command lines", async () => {
    const dir = await home();
    const secrets = {
      CLOUDFLARE_AI_GATEWAY_API_KEY: secret("aig-key"),
      TELEGRAM_BOT_TOKEN: secret("tg-token"),
      SLACK_BOT_TOKEN: secret("xoxb"),
      SLACK_APP_TOKEN: secret("xapp"),
    };
    const env = await supervisorEnv(dir, suite.r2, suite.prefix(), {
      ...secrets,
      CF_AI_GATEWAY_ACCOUNT_ID: "acct",
      CF_AI_GATEWAY_GATEWAY_ID: "gw",
      CF_AI_GATEWAY_MODEL: "anthropic/claude-sonnet-4-5",
      CF_AI_GATEWAY_BASE_URL: "http://127.0.0.1:9",
      TELEGRAM_DM_ALLOW_FROM: "42",
    });
    const s = startSupervisor(env);
    await gatewayReady(s);

    expect((await s.control("/health", { token: null })).status).toBe(401);
    expect((await s.control("/health", { token: "wrong" })).status).toBe(401);
    expect((await s.control("/devices", { token: null })).status).toBe(401);
    const health = await (await s.control("/health")).json();
    expect(health).toMatchObject({
      status: "running",
      gateway: { ready: true, pid: expect.any(Number) },
      lastRestore: { ok: true, source: "empty" },
      phases: {
        restore: { ok: true, durationMs: expect.any(Number) },
        config: { ok: true, durationMs: expect.any(Number) },
        gateway: { ok: true, durationMs: expect.any(Number) },
      },
    });

    expect((await s.control("/tools")).status).toBe(404);
    await writeFile(env.MOLTLAB_TOOLS_FILE!, JSON.stringify({ tools: [{ name: "gh", ok: true }] }));
    expect(await (await s.control("/tools")).json()).toEqual({ tools: [{ name: "gh", ok: true }] });

    expect(await (await s.control("/devices")).json()).toEqual({ pending: [{ requestId: "req-1", deviceId: "dev-abc", platform: "test" }], paired: [] });
    const approved = await s.control("/devices/req-1/approve", { method: "POST" });
    expect(approved.status).toBe(200);
    expect(await approved.json()).toEqual({ approved: "req-1", output: "Approved req-1" });
    expect((await s.control("/devices/--token=x/approve", { method: "POST" })).status).toBe(400);
    expect((await s.control("/devices/req-2/approve", { method: "POST" })).status).toBe(502);
    expect((await s.control("/backup")).status).toBe(405);
    const backup = await s.control("/backup", { method: "POST" });
    expect(backup.status).toBe(200);
    expect(await backup.json()).toMatchObject({ ok: true, id: expect.stringMatching(/^\d{8}T/) });

    // The config holds references, not values; the gateway got the values through its environment.
    const config = await readFile(join(dir, ".openclaw", "openclaw.json"), "utf8");
    expect(JSON.parse(config).channels.telegram).toEqual({ enabled: true, botToken: "${TELEGRAM_BOT_TOKEN}", dmPolicy: "pairing", allowFrom: ["42"] });
    const values = [env.OPENCLAW_GATEWAY_TOKEN!, env.R2_SECRET_ACCESS_KEY!, ...Object.values(secrets)];
    for (const value of values) expect(config).not.toContain(value);

    const gatewayPid = health.gateway.pid as number;
    const gatewayCmdline = await readFile(`/proc/${gatewayPid}/cmdline`, "utf8");
    expect(gatewayCmdline.split("\0")).toEqual(
      expect.arrayContaining(["gateway", "--port", env.MOLTLAB_GATEWAY_PORT, "--bind", "lan", "--allow-unconfigured"]),
    );
    const environ = await readFile(`/proc/${gatewayPid}/environ`, "utf8");
    expect(environ).toContain(`OPENCLAW_GATEWAY_TOKEN=${env.OPENCLAW_GATEWAY_TOKEN}`);
    expect(environ).not.toContain(env.R2_SECRET_ACCESS_KEY!); // R2 credentials stay with the supervisor
    const commandLines = (await allCommandLines()).join("\n");
    for (const value of values) expect(commandLines).not.toContain(value);

    expect(await s.stop()).toEqual({ code: 0, signal: null });
    // The fake printed its token: it arrives masked. Nothing secret and nothing unstructured is printed.
    expect(s.logs).toContainEqual(expect.objectContaining({ phase: "gateway", msg: expect.stringContaining("starting with token [redacted]") }));
    const output = s.output.join("\n");
    for (const value of values) expect(output).not.toContain(value);
    for (const line of s.output) expect(() => JSON.parse(line)).not.toThrow();
  });

  it("on SIGTERM stops the gateway, backs up the last write, exits 0; the next boot restores it", async () => {
    const prefix = suite.prefix();
    // A long interval: only the shutdown backup can have captured the last write.
    const first = startSupervisor(await supervisorEnv(await home(), suite.r2, prefix, { MOLTLAB_BACKUP_INTERVAL: "600" }));
    await gatewayReady(first);
    const state = join(first.env.HOME!, ".openclaw");
    await writeFile(join(state, "workspace", "last.md"), "written just before SIGTERM");
    expect((await fetch(gatewayUrl(first, "/fake/sql?text=last-row"), { method: "POST" })).status).toBe(200);
    expect(await first.stop()).toEqual({ code: 0, signal: null });
    const order = first.logs.map((line) => line.msg);
    expect(order.indexOf("gateway stopped")).toBeGreaterThan(-1);
    expect(order.indexOf("final backup done")).toBeGreaterThan(order.indexOf("gateway stopped"));
    expect(first.logs).toContainEqual(expect.objectContaining({ msg: "backup written", reason: "shutdown" }));

    const second = startSupervisor(await supervisorEnv(await home(), suite.r2, prefix));
    await gatewayReady(second);
    const restoredState = join(second.env.HOME!, ".openclaw");
    expect(await readFile(join(restoredState, "workspace", "last.md"), "utf8")).toBe("written just before SIGTERM");
    const db = new DatabaseSync(join(restoredState, "agents", "main", "agent", "openclaw-agent.sqlite"), { readOnly: true });
    try {
      expect(db.prepare("SELECT text FROM messages ORDER BY id DESC LIMIT 1").get()).toEqual({ text: "last-row" });
    } finally {
      db.close();
    }
    expect(await (await second.control("/health")).json()).toMatchObject({ lastRestore: { source: "snapshot", ok: true } });
    expect(await second.stop()).toEqual({ code: 0, signal: null });
  });

  it("exits 1 after a final backup when the gateway dies on its own", async () => {
    const s = startSupervisor(await supervisorEnv(await home(), suite.r2, suite.prefix(), { MOLTLAB_BACKUP_INTERVAL: "600" }));
    await gatewayReady(s);
    await fetch(gatewayUrl(s, "/fake/exit?code=7"), { method: "POST" });
    expect(await s.exited).toEqual({ code: 1, signal: null });
    expect(s.logs).toContainEqual(expect.objectContaining({ level: "error", msg: expect.stringContaining("the gateway exited unexpectedly"), code: 7 }));
    expect(s.logs).toContainEqual(expect.objectContaining({ msg: "final backup done" }));
  });

  it("logs each value of a restored openclaw.json that the keys it owns replace, never a literal secret", async () => {
    const dir = await home();
    await mkdir(join(dir, ".openclaw"));
    const literal = secret("literal-in-config");
    await writeFile(
      join(dir, ".openclaw", "openclaw.json"),
      JSON.stringify({ gateway: { port: 3000, auth: { mode: "token", token: literal } }, tools: { exec: {} } }),
    );
    const s = startSupervisor(await supervisorEnv(dir, null, ""));
    await s.waitForLog("openclaw.json written", (line) => line.msg === "openclaw.json written");
    const warnings = s.logs.filter((line) => line.phase === "config" && line.level === "warn").map((line) => line.msg);
    expect(warnings).toContainEqual(expect.stringMatching(/^your openclaw\.json's gateway\.port was 3000, now \d+: the supervisor owns it/));
    expect(warnings).toContainEqual(expect.stringContaining('gateway.auth.token was "(a literal secret, not shown)", now "${OPENCLAW_GATEWAY_TOKEN}"'));
    expect(s.output.join("\n")).not.toContain(literal);
    await s.stop();

    // A type OpenClaw would reject at a key the supervisor keeps: refused with the key named, the file left as it was.
    const bad = await home();
    await mkdir(join(bad, ".openclaw"));
    const text = JSON.stringify({ cron: { enabled: "yes" } });
    await writeFile(join(bad, ".openclaw", "openclaw.json"), text);
    const refused = startSupervisor(await supervisorEnv(bad, null, ""));
    expect(await refused.exited).toEqual({ code: 2, signal: null });
    expect(refused.logs).toContainEqual(
      expect.objectContaining({ level: "error", phase: "config", msg: expect.stringContaining("your openclaw.json's cron.enabled must be a boolean") }),
    );
    expect(await readFile(join(bad, ".openclaw", "openclaw.json"), "utf8")).toBe(text);
  });

  it("refuses to start, deleting nothing, on missing env, an unreadable config or an invalid one", async () => {
    const noToken = await supervisorEnv(await home(), suite.r2, suite.prefix());
    delete noToken.OPENCLAW_GATEWAY_TOKEN;
    const a = startSupervisor(noToken);
    expect(await a.exited).toEqual({ code: 2, signal: null });
    expect(a.logs).toContainEqual(
      expect.objectContaining({ level: "error", phase: "env", msg: expect.stringContaining("OPENCLAW_GATEWAY_TOKEN (or MOLTBOT_GATEWAY_TOKEN) is missing") }),
    );

    const dir = await home();
    const broken = "{ gateway: { port: 18789, ";
    await mkdir(join(dir, ".openclaw"));
    await writeFile(join(dir, ".openclaw", "openclaw.json"), broken);
    await writeFile(join(dir, ".openclaw", "notes.md"), "keep me");
    const b = startSupervisor(await supervisorEnv(dir, null, ""));
    expect(await b.exited).toEqual({ code: 2, signal: null });
    expect(b.logs).toContainEqual(
      expect.objectContaining({ level: "error", phase: "config", msg: expect.stringMatching(/refusing to start: .*openclaw\.json is not valid JSON5/) }),
    );
    expect(await readFile(join(dir, ".openclaw", "openclaw.json"), "utf8")).toBe(broken);
    expect(await readFile(join(dir, ".openclaw", "notes.md"), "utf8")).toBe("keep me");

    const c = startSupervisor(
      await supervisorEnv(await home(), suite.r2, suite.prefix(), {
        CF_AI_GATEWAY_MODEL: "anthropic/x",
        DISCORD_BOT_TOKEN: secret("dc"),
        DISCORD_DM_POLICY: "sometimes",
      }),
    );
    expect(await c.exited).toEqual({ code: 2, signal: null });
    const message = c.logs.find((line) => line.level === "error")?.msg ?? "";
    expect(message).toContain("missing CF_AI_GATEWAY_ACCOUNT_ID, CF_AI_GATEWAY_GATEWAY_ID, CLOUDFLARE_AI_GATEWAY_API_KEY");
    expect(message).toContain("DISCORD_DM_POLICY must be one of");
    for (const s of [a, b, c]) expect(s.logs.some((line) => line.msg === "gateway started")).toBe(false);
  });

  it("exits 3 with a clear message when R2 is unreachable at boot, without starting the gateway", async () => {
    const port = await freePort();
    const env = await supervisorEnv(await home(), suite.r2, suite.prefix(), { R2_ENDPOINT: `http://127.0.0.1:${port}` });
    const s = startSupervisor(env);
    expect(await s.exited).toEqual({ code: 3, signal: null });
    const error = await waitFor("the restore error", () => s.logs.find((line) => line.level === "error" && line.phase === "restore"));
    expect(error.msg).toMatch(new RegExp(`refusing to start: R2 bucket moltbot-data at http://127.0.0.1:${port} could not be read`));
    expect(s.logs.some((line) => line.msg === "gateway started")).toBe(false);
  });
});
