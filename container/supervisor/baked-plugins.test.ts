import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ensureBakedPlugin, INSTALLED_INDEX_KEY } from "./baked-plugins.ts";
import { discordEndpoint, startLoopbackForwarder } from "./discord-endpoint.ts";
import { createLogger } from "./log.ts";

const log = createLogger({ secrets: [], minLevel: "error" });
const DISCORD_RECORD = { source: "npm", spec: "@openclaw/discord@2026.9.6", installPath: "/home/node/.openclaw/npm/projects/x/node_modules/@openclaw/discord" };

/** The row as OpenClaw 2026.9.6 writes it: `{ revision, index: { version, installRecords, plugins, … } }`. */
function database(path: string, index: unknown | null) {
  const db = new DatabaseSync(path);
  db.exec("CREATE TABLE config_machine_state (state_key TEXT NOT NULL PRIMARY KEY, value_json TEXT NOT NULL, updated_at_ms INTEGER NOT NULL) STRICT");
  db.exec("CREATE TABLE sessions (id TEXT)");
  if (index) db.prepare("INSERT INTO config_machine_state VALUES (?, ?, 1)").run(INSTALLED_INDEX_KEY, JSON.stringify({ revision: 1, index }));
  db.close();
}
function indexOf(path: string) {
  const db = new DatabaseSync(path, { readOnly: true });
  const row = db.prepare("SELECT value_json FROM config_machine_state WHERE state_key = ?").get(INSTALLED_INDEX_KEY) as { value_json: string } | undefined;
  db.close();
  return row ? JSON.parse(row.value_json).index : undefined;
}

describe("the image's plugin install, kept across restores", () => {
  let dir: string;
  let seedDir: string;
  let stateDir: string;
  const refreshes: string[][] = [];
  const ensure = () =>
    ensureBakedPlugin({
      plugin: "discord",
      stateDir,
      seedDir,
      user: null,
      log,
      openclaw: async (args) => {
        refreshes.push([...args]);
        return { code: 0, stdout: "", stderr: "" };
      },
    });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "moltlab-baked-"));
    seedDir = join(dir, "seed");
    stateDir = join(dir, "state");
    refreshes.length = 0;
    await mkdir(join(seedDir, "npm", "projects", "openclaw-discord", "node_modules", "@openclaw", "discord"), { recursive: true });
    await writeFile(join(seedDir, "npm", "projects", "openclaw-discord", "package.json"), '{"seed":true}');
    await writeFile(join(seedDir, "npm", "projects", "openclaw-discord", "node_modules", "@openclaw", "discord", "index.js"), "seed");
    database(join(seedDir, "openclaw.sqlite"), { version: 1, installRecords: { discord: DISCORD_RECORD }, plugins: ["discord"] });
    await mkdir(join(stateDir, "state"), { recursive: true });
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("adds the plugin's record to a restored index without it, keeps the others, and has OpenClaw rebuild the index", async () => {
    database(join(stateDir, "state", "openclaw.sqlite"), { version: 1, installRecords: { mine: { source: "npm", spec: "mine" } }, plugins: ["mine"] });
    expect(await ensure()).toBe("merged-record");
    expect(indexOf(join(stateDir, "state", "openclaw.sqlite")).installRecords).toEqual({ mine: { source: "npm", spec: "mine" }, discord: DISCORD_RECORD });
    expect(refreshes).toEqual([["plugins", "registry", "--refresh"]]);
    // The package files the restore removed are back; the ones there are not overwritten.
    expect(await readFile(join(stateDir, "npm", "projects", "openclaw-discord", "package.json"), "utf8")).toBe('{"seed":true}');
  });

  it("leaves a restored index that records it alone, and never overwrites a file that is there", async () => {
    database(join(stateDir, "state", "openclaw.sqlite"), { version: 1, installRecords: { discord: { ...DISCORD_RECORD, spec: "@openclaw/discord@newer" } } });
    await mkdir(join(stateDir, "npm", "projects", "openclaw-discord"), { recursive: true });
    await writeFile(join(stateDir, "npm", "projects", "openclaw-discord", "package.json"), '{"mine":true}');
    expect(await ensure()).toBe("present");
    expect(indexOf(join(stateDir, "state", "openclaw.sqlite")).installRecords.discord.spec).toBe("@openclaw/discord@newer");
    expect(await readFile(join(stateDir, "npm", "projects", "openclaw-discord", "package.json"), "utf8")).toBe('{"mine":true}');
    expect(refreshes).toEqual([]);
  });

  it("inserts the image's index row into a database that has none, and starts from the image's database when there is none", async () => {
    database(join(stateDir, "state", "openclaw.sqlite"), null);
    expect(await ensure()).toBe("inserted-index");
    expect(indexOf(join(stateDir, "state", "openclaw.sqlite")).installRecords.discord).toEqual(DISCORD_RECORD);
    await rm(join(stateDir, "state"), { recursive: true });
    expect(await ensure()).toBe("copied-database");
    expect(indexOf(join(stateDir, "state", "openclaw.sqlite")).installRecords.discord).toEqual(DISCORD_RECORD);
  });

  it("does nothing on an image without the install", async () => {
    expect(
      await ensureBakedPlugin({
        plugin: "discord",
        stateDir,
        seedDir: join(dir, "none"),
        user: null,
        log,
        openclaw: async () => ({ code: 0, stdout: "", stderr: "" }),
      }),
    ).toBeNull();
  });
});

describe("DISCORD_API_URL as OpenClaw's Discord plugin takes it (HTTPS, or HTTP on loopback)", () => {
  it("passes loopback and HTTPS URLs as they are, and forwards plain HTTP elsewhere through the same port on 127.0.0.1", () => {
    expect(discordEndpoint(undefined)).toBeNull();
    expect(discordEndpoint("http://127.0.0.1:4100/api/v10")).toEqual({ url: "http://127.0.0.1:4100/api/v10" });
    expect(discordEndpoint("https://discord.example/api/v10")).toEqual({ url: "https://discord.example/api/v10" });
    expect(discordEndpoint("http://host.docker.internal:4100/api/v10")).toEqual({
      url: "http://127.0.0.1:4100/api/v10",
      forward: { host: "host.docker.internal", port: 4100 },
    });
  });

  it("pipes a connection on 127.0.0.1 to the target", async () => {
    const target = createServer((socket) => socket.end("pong"));
    await new Promise<void>((resolve) => target.listen(0, "127.0.0.2", resolve));
    const port = (target.address() as { port: number }).port;
    const forwarder = await startLoopbackForwarder({ host: "127.0.0.2", port }, log);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/`).catch((error: Error) => error);
      // Not HTTP on the other side: what matters is that the bytes came through.
      expect(String(response instanceof Error ? response.cause : await response.text())).toMatch(/pong|parse|HPE/i);
    } finally {
      forwarder.close();
      target.close();
    }
  });
});
