/**
 * `moltlab import` against the R2 stand-in: a state folder, a tar of one and a moltworker
 * bucket copy become a snapshot that the supervisor's own restore brings back byte for byte;
 * a dry run writes nothing; a bucket with snapshots is refused without force; hostile archives
 * and folders that are not OpenClaw's are refused before anything is written.
 */
import { execFileSync } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, readdir, readFile, readlink, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { DatabaseSync } from "node:sqlite";
import { pack } from "tar-stream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Backup } from "../../container/supervisor/backup.ts";
import type { BackupRoot } from "../../container/supervisor/env.ts";
import { createLogger } from "../../container/supervisor/log.ts";
import { restore } from "../../container/supervisor/restore.ts";
import { SnapshotKeys } from "../../container/supervisor/snapshot.ts";
import { Bucket } from "../../container/supervisor/storage.ts";
import { removeDirs, tempDir } from "../../container/supervisor/testing/harness.ts";
import { UserError } from "../../core/errors.ts";
import { startR2, type StartedR2 } from "../../emulators/r2/index.ts";
import { applyImport, changesSinceImport, importRecordKey, planImport } from "./import.ts";
import { openSource as openSourceUntracked, type OpenedSource } from "./source.ts";

let r2: StartedR2;
const dirs: string[] = [];
let testNumber = 0;
const log = createLogger({ secrets: [], write: () => undefined });

beforeAll(async () => {
  r2 = await startR2();
});
afterAll(() => r2.stop());
const openedSources: OpenedSource[] = [];
afterEach(async () => {
  // A tar's unpacked copy is removed even when a test fails before its own close().
  for (const source of openedSources.splice(0)) await source.close();
  await removeDirs(dirs);
});

/** openSource, closed after the test whatever happens. */
async function openSource(...args: Parameters<typeof openSourceUntracked>): Promise<OpenedSource> {
  const source = await openSourceUntracked(...args);
  openedSources.push(source);
  return source;
}

function bucket(): Bucket {
  return new Bucket(
    { endpoint: r2.endpoint, bucket: r2.bucket, accessKeyId: r2.accessKeyId, secretAccessKey: r2.secretAccessKey, prefix: `imp${++testNumber}/` },
    log,
    2,
  );
}

async function temp(label: string): Promise<string> {
  const dir = await tempDir(label);
  dirs.push(dir);
  return dir;
}

/** A state folder as OpenClaw 2026.7 leaves it: config, a JSONL session with its index, a WAL database, workspace, memory, a skill, credentials. */
async function makeState(dir: string): Promise<void> {
  await mkdir(join(dir, "agents/main/sessions"), { recursive: true });
  await mkdir(join(dir, "agents/main/agent"), { recursive: true });
  await mkdir(join(dir, "agents/work/sessions"), { recursive: true });
  await mkdir(join(dir, "workspace/memory"), { recursive: true });
  await mkdir(join(dir, "workspace/skills/weather"), { recursive: true });
  await mkdir(join(dir, "credentials"), { recursive: true });
  await mkdir(join(dir, "state"), { recursive: true });
  await mkdir(join(dir, "logs"), { recursive: true });
  await writeFile(
    join(dir, "openclaw.json"),
    '// JSON5, as users write it\n{ gateway: { mode: "local" }, channels: { telegram: { botToken: "123:literal-secret" } }, models: { providers: { x: { apiKey: "${ANTHROPIC_API_KEY}" } } } }\n',
  );
  await writeFile(
    join(dir, "agents/main/sessions/sessions.json"),
    JSON.stringify({ "agent:main:one": { sessionId: "s1" }, "agent:main:two": { sessionId: "s2" } }),
  );
  await writeFile(join(dir, "agents/main/sessions/s1.jsonl"), '{"role":"user","content":"What is the capital of Freedonia?"}\n');
  await writeFile(join(dir, "agents/main/sessions/s2.jsonl"), '{"role":"user","content":"hi"}\n');
  await writeFile(join(dir, "agents/main/sessions/s1.trajectory.jsonl"), "{}\n");
  await writeFile(join(dir, "agents/work/sessions/sessions.json"), JSON.stringify({ "agent:work:a": { sessionId: "w1" } }));
  await writeFile(join(dir, "agents/main/agent/auth-profiles.json"), JSON.stringify({ profiles: { "anthropic:default": { key: "sk-ant-never-shown" } } }));
  await writeFile(join(dir, "workspace/MEMORY.md"), "- Freedonia's capital is Fredville\n");
  await writeFile(join(dir, "workspace/memory/2026-07-01.md"), "notes\n");
  await writeFile(join(dir, "workspace/AGENTS.md"), "# agents\n");
  await writeFile(join(dir, "workspace/skills/weather/SKILL.md"), "# weather\n");
  await writeFile(join(dir, "credentials/telegram-allowFrom.json"), "[]");
  await writeFile(join(dir, "logs/commands.log"), "runtime, not imported\n");
  // 2026.9's agent database: transcripts as events by session.
  await mkdir(join(dir, "agents/work/agent"), { recursive: true });
  const agentDb = new DatabaseSync(join(dir, "agents/work/agent/openclaw-agent.sqlite"));
  agentDb.exec("CREATE TABLE transcript_events (session_id TEXT, seq INTEGER); INSERT INTO transcript_events VALUES ('a', 1), ('a', 2), ('b', 1);");
  agentDb.close();
  const db = new DatabaseSync(join(dir, "state/openclaw.sqlite"));
  db.exec("PRAGMA journal_mode = WAL; CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('kept in the WAL');");
  db.close();
  await symlink("../AGENTS.md", join(dir, "workspace/memory/agents-link"));
  await symlink("/usr/share/doc", join(dir, "workspace/docs"));
}

/** The container's home after a restore of the bucket: the supervisor's roots, its restore. */
async function restoreLikeTheContainer(from: Bucket): Promise<string> {
  const home = await temp("imp-home");
  const state = join(home, ".openclaw");
  const roots: BackupRoot[] = [
    { name: "openclaw", dir: state, legacyPrefix: "openclaw/" },
    { name: "workspace", dir: join(state, "workspace"), legacyPrefix: "workspace/" },
    { name: "skills", dir: join(state, "workspace", "skills"), legacyPrefix: "skills/" },
  ];
  const outcome = await restore({ roots, bucket: from, log, stagingDir: join(home, ".cache"), allowFreshStart: false });
  expect(outcome.source).toBe("snapshot");
  return state;
}

async function keys(target: Bucket): Promise<string[]> {
  return (await target.list(target.prefix)).map((object) => object.key.slice(target.prefix.length)).sort();
}

describe("moltlab import", () => {
  it("writes a state folder as a snapshot the supervisor's restore brings back, with the summary of what came through", async () => {
    const source = await temp("imp-src");
    await makeState(source);
    const target = bucket();
    const opened = await openSource(source);
    const plan = await planImport(opened.source, target);
    expect(plan.existingSnapshots).toEqual([]);
    expect(plan.roots.map((root) => [root.name, root.files, root.linksOut])).toEqual([
      ["openclaw", 10, []],
      ["workspace", 3, ["docs → /usr/share/doc"]],
      ["skills", 1, []],
    ]);
    expect(plan.summary.agents).toEqual([
      { id: "main", sessions: 2, transcripts: 2, authProfiles: ["anthropic:default"], database: false },
      { id: "work", sessions: 2, transcripts: 0, authProfiles: [], database: true },
    ]);
    expect(plan.summary.memoryFiles).toEqual(["workspace/MEMORY.md", "workspace/memory/2026-07-01.md"]);
    expect(plan.summary.skills).toEqual(["weather"]);
    expect(plan.summary.credentials).toEqual(["credentials/telegram-allowFrom.json", "openclaw.json: channels.telegram.botToken"]);
    expect(plan.summary.config).toMatchObject({ present: true, valid: true, envRefs: ["ANTHROPIC_API_KEY"] });
    // Names only: no value of a credential anywhere in the plan.
    expect(JSON.stringify(plan)).not.toMatch(/literal-secret|sk-ant-never-shown/);

    const result = await applyImport(plan, target, { log, force: false });
    const written = await keys(target);
    expect(written).toContain(`moltlab/snapshots/${result.id}.json`);
    expect(written).toContain(`moltlab/imports/${result.id}.json`);
    const record = JSON.parse(await target.getText(importRecordKey(new SnapshotKeys(target.prefix), result.id)));
    expect(record.source).toEqual({ kind: "state-dir", path: source });

    const state = await restoreLikeTheContainer(target);
    for (const file of [
      "openclaw.json",
      "agents/main/sessions/s1.jsonl",
      "agents/main/sessions/sessions.json",
      "workspace/MEMORY.md",
      "workspace/skills/weather/SKILL.md",
    ])
      expect(await readFile(join(state, file), "utf8")).toBe(await readFile(join(source, file), "utf8"));
    expect(await readlink(join(state, "workspace/memory/agents-link"))).toBe("../AGENTS.md");
    // The database through SQLite's online backup: what sat in the WAL came through.
    const db = new DatabaseSync(join(state, "state/openclaw.sqlite"), { readOnly: true });
    expect(db.prepare("SELECT v FROM t").all()).toEqual([{ v: "kept in the WAL" }]);
    db.close();
    // OpenClaw's runtime files are left out, as a container's backup leaves them.
    expect(await readdir(state)).not.toContain("logs");
    await opened.close();
  });

  it("adds ~/.config/openclaw (the auth-profile key) as the root openclaw-config with --config-dir", async () => {
    const source = await temp("imp-src");
    await makeState(source);
    const config = await temp("imp-cfg");
    await writeFile(join(config, "auth-profile.key"), "key material");
    const opened = await openSource(source, { configDir: config });
    const plan = await planImport(opened.source, bucket());
    expect(plan.roots.find((root) => root.name === "openclaw-config")).toMatchObject({ dir: config, files: 1 });
    await expect(openSource(source, { configDir: join(config, "missing") })).rejects.toThrow(/--config-dir .* is not a folder/);
  });

  it("writes nothing in a dry run (the plan), and refuses a bucket with snapshots unless forced", async () => {
    const source = await temp("imp-src");
    await makeState(source);
    const target = bucket();
    const opened = await openSource(source);
    await planImport(opened.source, target);
    expect(await keys(target)).toEqual([]);

    const first = await applyImport(await planImport(opened.source, target), target, { log, force: false });
    await writeFile(join(source, "workspace/MEMORY.md"), "- changed since\n");
    const again = await planImport(opened.source, target);
    expect(again.existingSnapshots).toEqual([first.id]);
    const before = await keys(target);
    await expect(applyImport(again, target, { log, force: false })).rejects.toThrow(/already holds 1 snapshot\(s\), the newest .*nothing was written/);
    expect(await keys(target)).toEqual(before);

    const forced = await applyImport(again, target, { log, force: true });
    expect(forced.id > first.id).toBe(true);
    const state = await restoreLikeTheContainer(target);
    expect(await readFile(join(state, "workspace/MEMORY.md"), "utf8")).toBe("- changed since\n");
  });

  it("reads moltworker's bucket layout (openclaw/, workspace/, skills/ side by side) into the container's nesting", async () => {
    const dump = await temp("imp-dump");
    await makeState(join(dump, "openclaw"));
    // moltworker synced the workspace and skills beside the state, not inside it.
    await execFileSync("mv", [join(dump, "openclaw/workspace/skills"), join(dump, "skills")]);
    await execFileSync("mv", [join(dump, "openclaw/workspace"), join(dump, "workspace")]);
    const target = bucket();
    const opened = await openSource(dump);
    expect(opened.source.kind).toBe("moltworker");
    await applyImport(await planImport(opened.source, target), target, { log, force: false });
    const state = await restoreLikeTheContainer(target);
    expect(await readFile(join(state, "workspace/MEMORY.md"), "utf8")).toContain("Fredville");
    expect(await readFile(join(state, "workspace/skills/weather/SKILL.md"), "utf8")).toBe("# weather\n");
    expect(await readFile(join(state, "agents/main/sessions/s1.jsonl"), "utf8")).toContain("Freedonia");

    await mkdir(join(dump, "openclaw/workspace"));
    await expect(openSource(dump)).rejects.toThrow(/two workspace folders/);
  });

  it("imports a .tar.gz of the volume, the state one folder down, as the folder itself", async () => {
    const volume = await temp("imp-vol");
    await makeState(join(volume, "home/node/.openclaw"));
    // A link out of the archive is refused (see "bad input"); a folder may keep one, with a note.
    await rm(join(volume, "home/node/.openclaw/workspace/docs"));
    const archive = join(await temp("imp-tar"), "backup.tar.gz");
    execFileSync("tar", ["-czf", archive, "-C", volume, "."]);
    const target = bucket();
    const opened = await openSource(archive);
    expect(opened.source.kind).toBe("tar");
    expect(opened.source.notes).toContain("the state folder is home/node/.openclaw/ in the archive");
    await applyImport(await planImport(opened.source, target), target, { log, force: false });
    await opened.close();
    const state = await restoreLikeTheContainer(target);
    expect(await readFile(join(state, "agents/main/sessions/s1.jsonl"), "utf8")).toContain("Freedonia");
    expect(await readlink(join(state, "workspace/memory/agents-link"))).toBe("../AGENTS.md");
  });

  it("says what changed after a boot: the import's snapshot (kept in its record, for pruning may have removed it) against the newest", async () => {
    const source = await temp("imp-src");
    await makeState(source);
    const target = bucket();
    const opened = await openSource(source);
    const imported = await applyImport(await planImport(opened.source, target), target, { log, force: false });
    // What a container does next: restore, then OpenClaw migrates, then the supervisor backs up.
    const state = await restoreLikeTheContainer(target);
    await writeFile(join(state, "agents/main/sessions/sessions.json"), "{}");
    await execFileSync("rm", [join(state, "agents/main/sessions/s2.jsonl")]);
    await mkdir(join(state, "agents/main/agent"), { recursive: true });
    await writeFile(join(state, "agents/main/agent/openclaw-agent.sqlite"), "migrated");
    const roots: BackupRoot[] = [
      { name: "openclaw", dir: state },
      { name: "workspace", dir: join(state, "workspace") },
      { name: "skills", dir: join(state, "workspace/skills") },
    ];
    const backup = new Backup({ roots, bucket: target, log, stagingDir: join(state, "..", ".cache"), maxFileBytes: 1 << 30, keep: 20 });
    backup.seed(null, new Map());
    const after = await backup.run("test");
    // A busy container prunes the import's own snapshot soon after the boot.
    await target.deleteMany([new SnapshotKeys(target.prefix).snapshot(imported.id)]);
    const changes = await changesSinceImport(target);
    expect(changes).toEqual({
      from: imported.id,
      to: after.id,
      added: ["openclaw/agents/main/agent/openclaw-agent.sqlite"],
      changed: ["openclaw/agents/main/sessions/sessions.json"],
      removed: ["openclaw/agents/main/sessions/s2.jsonl"],
      snapshots: 1,
      importKept: false,
    });
  });
});

describe("bad input", () => {
  it("refuses a folder that is not OpenClaw's, saying what was expected", async () => {
    const dir = await temp("imp-bad");
    await writeFile(join(dir, "notes.txt"), "hello");
    const error = await openSource(dir).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/is not an OpenClaw state folder: expected openclaw\.json .* or agents\/ .*found notes\.txt/);
    expect((error as UserError).fix).toMatch(/~\/\.openclaw/);
  });

  /** An archive with the given entries (tar-stream writes exactly what it is told, hostile names included). */
  async function archive(entries: { name: string; type?: "file" | "symlink" | "link" | "directory"; linkname?: string; body?: string }[]): Promise<string> {
    const path = join(await temp("imp-evil"), "evil.tar");
    const tar = pack();
    const done = pipeline(tar, createWriteStream(path));
    for (const entry of entries)
      tar.entry({ name: entry.name, type: entry.type ?? "file", ...(entry.linkname ? { linkname: entry.linkname } : {}) }, entry.body ?? "");
    tar.finalize();
    await done;
    return path;
  }

  const good = [
    { name: "openclaw.json", body: "{}" },
    { name: "agents/", type: "directory" as const },
  ];
  const hostile: [string, Parameters<typeof archive>[0], RegExp][] = [
    ["an absolute path", [...good, { name: "/etc/cron.d/evil", body: "x" }], /\/etc\/cron\.d\/evil: absolute path/],
    ["a `..` path", [...good, { name: "agents/../../escape", body: "x" }], /agents\/\.\.\/\.\.\/escape: `\.\.` in the path/],
    ["a link to an absolute path", [...good, { name: "workspace", type: "symlink", linkname: "/root" }], /symbolic link to the absolute path \/root/],
    ["a link climbing out", [...good, { name: "agents/up", type: "symlink", linkname: "../../.." }], /points outside the archive/],
    [
      "a link out through another link",
      [...good, { name: "here", type: "symlink", linkname: "." }, { name: "out", type: "symlink", linkname: "here/.." }],
      /with `\.\.` after a name/,
    ],
    [
      "a file below a link",
      [...good, { name: "agents/w", type: "symlink", linkname: "." }, { name: "agents/w/x", body: "x" }],
      /below the symbolic link agents\/w/,
    ],
    ["a hard link out", [...good, { name: "h", type: "link", linkname: "../etc/passwd" }], /hard link to \.\.\/etc\/passwd, outside the archive/],
  ];
  it.each(hostile)("refuses a tar with %s before unpacking anything (the bucket is opened only after the source passed)", async (_label, entries, problem) => {
    const path = await archive(entries);
    const before = (await readdir(tmpdir())).filter((name) => name.startsWith("moltlab-import-tar-")).length;
    const error = await openSource(path).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/is refused: .*nothing was written/);
    expect((error as UserError).message).toMatch(problem);
    expect((error as UserError).fix).toMatch(/tar -czf state\.tar\.gz -C ~\/\.openclaw \./);
    // The check runs before the temp folder exists: nothing was unpacked anywhere.
    expect((await readdir(tmpdir())).filter((name) => name.startsWith("moltlab-import-tar-")).length).toBe(before);
  });

  it("leaves out OpenClaw's own links into its install (plugin-skills/), which it recreates, and refuses any other absolute link", async () => {
    const installLink = {
      name: "plugin-skills/canvas",
      type: "symlink" as const,
      linkname: "/usr/lib/node_modules/openclaw/dist/extensions/canvas/skills/canvas",
    };
    const opened = await openSource(await archive([...good, { name: "plugin-skills/", type: "directory" }, installLink]));
    expect(opened.source.notes.join("\n")).toMatch(/not unpacked: plugin-skills\/canvas \(OpenClaw's link into its own install, recreated at start\)/);
    expect(await readdir(join(opened.source.stateDir, "plugin-skills"))).toEqual([]);
    await opened.close();
    await expect(openSource(await archive([...good, { ...installLink, name: "workspace/canvas" }]))).rejects.toThrow(/symbolic link to the absolute path/);
  });

  it("accepts links that stay inside the archive", async () => {
    const path = await archive([
      ...good,
      { name: "agents/main/", type: "directory" },
      { name: "agents/main/cur", type: "symlink", linkname: "../../openclaw.json" },
    ]);
    const opened = await openSource(path);
    expect(await readlink(join(opened.source.stateDir, "agents/main/cur"))).toBe("../../openclaw.json");
    await opened.close();
  });

  it("refuses a file that is no archive with the fix", async () => {
    const path = join(await temp("imp-junk"), "junk.tar.gz");
    await writeFile(path, Buffer.from([0x1f, 0x8b, 1, 2, 3, 4]));
    await expect(openSource(path)).rejects.toThrow(/could not be read as a gzip-compressed tar archive/);
  });
});
