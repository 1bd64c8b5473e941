import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootTimings, chatCompletion, type Emulators, newGatewayToken, OpenclawContainer, openclawEnv, startEmulators } from "./openclaw-harness.ts";
import { EvidenceRecorder } from "./openclaw-reports.ts";
import { backupDefaults } from "../../container/supervisor/env.ts";
import { EVIDENCE_FILES, type PersistenceBoot, type PersistenceFile } from "../../verify/evidence-files.ts";
import { holdHostPorts } from "../shared/host-ports.ts";

// OpenClaw on the host's network: ports 18789/18790 are the machine's, one such file at a time.
holdHostPorts();

/**
 * Phase 0-6: the state of the real OpenClaw container survives restarts through the R2
 * stand-in. One bucket, a chain of containers (amd64, standard-1), each booted from what
 * the previous one left in R2:
 *   A: fresh → write config, memory, a workspace repo, a ghq repo, a codex config; chat → SIGTERM
 *   B: restored (compared byte for byte; git works; the chat continues) → delete, write, SIGKILL
 *   C: restored (the deletion and everything backed up before the kill; the loss is measured)
 *   D: the newest snapshot truncated in the bucket → falls back to the previous one
 * The tests depend on each other in file order (vitest runs them sequentially).
 */
const ARCH = "amd64";
const HOME = "/home/node";
const STATE = `${HOME}/.openclaw`;
const WORKSPACE = `${STATE}/workspace`;
const GHQ_REPO = `${HOME}/ghq/github.com/moltlab/demo`;
const SEAM_COLOR = "#12ab34";
const CHAT_USER = "moltlab-persistence";
/** The container runs the backup loop at its defaults: a change waits at most this long for its backup while writes keep coming. */
const backupMaxWaitS = backupDefaults().backupMaxWaitMs / 1000;
/** What the tests measure, for `moltlab verify` (phase 0-6): reports/persistence.{json,md}. */
const evidence = new EvidenceRecorder<PersistenceFile>(EVIDENCE_FILES.persistence, "OpenClaw persistence evidence (phase 0-6)", {});

/** The files written in A, compared after every restore. */
const TRACKED = [`${WORKSPACE}/MEMORY.md`, `${WORKSPACE}/notes/repo/README.md`, `${GHQ_REPO}/main.go`, `${HOME}/.codex/config.toml`];

describe(`OpenClaw state through R2, linux/${ARCH}`, () => {
  const token = newGatewayToken();
  let emulators: Emulators;
  let env: Record<string, string>;
  let s3: S3Client;
  let current: OpenclawContainer | undefined;
  const written = new Map<string, string>();
  let killTicks: number[] = [];

  const boot = async (label: PersistenceBoot, wait: "ready" | "restored") => {
    // The ports are fixed: whatever an earlier (possibly failed) step left running goes first.
    await current?.dispose();
    current = await OpenclawContainer.start({ arch: ARCH, env });
    const health = wait === "ready" ? await current.waitReady() : await current.waitRestored();
    console.log(`[${label}] boot (${wait}):`, JSON.stringify(bootTimings(health, current.startedAt)), "restore:", JSON.stringify(health.lastRestore));
    const restore = health.lastRestore && {
      source: health.lastRestore.source,
      files: health.lastRestore.files,
      ok: health.lastRestore.ok,
      skipped: health.lastRestore.skipped.length,
    };
    evidence.set(`boots.${label}`, { ...bootTimings(health, current.startedAt), restore });
    return { openclaw: current, health };
  };
  const contents = async (openclaw: OpenclawContainer, paths: readonly string[]) =>
    new Map(await Promise.all(paths.map(async (path) => [path, await openclaw.shOk(`cat '${path}'`)] as const)));
  const snapshotIds = async () =>
    ((await s3.send(new ListObjectsV2Command({ Bucket: emulators.r2.bucket, Prefix: "moltlab/snapshots/" }))).Contents ?? [])
      .map((object) => object.Key!.slice("moltlab/snapshots/".length, -".json".length))
      .sort();

  beforeAll(async () => {
    emulators = await startEmulators();
    emulators.aiGateway.load([{ name: "remember", match: { provider: "anthropic" }, reply: { text: "Noted: the launch code word is PERSIMMON." } }]);
    // Tool state outside ~/.openclaw (phase 0-6: ghq repositories, tool configs) as extra backup roots.
    env = openclawEnv(emulators, token, { MOLTLAB_BACKUP_EXTRA_DIRS: `ghq=${HOME}/ghq;codex=${HOME}/.codex` });
    s3 = new S3Client(emulators.r2.s3ClientConfig());
    evidence.set("arch", ARCH);
  });

  afterAll(async () => {
    await current?.dispose();
    s3?.destroy();
    await emulators?.stop();
    await evidence.write();
  });

  it("A: a fresh container takes config, memory, git repositories, tool config and a chat, then stops cleanly on SIGTERM", async () => {
    const { openclaw, health } = await boot("A", "ready");
    expect(health.lastRestore).toMatchObject({ ok: true, source: "empty" });

    await openclaw.shOk(`
      set -e
      node -e 'const fs=require("fs"),p=process.argv[1];const c=JSON.parse(fs.readFileSync(p,"utf8"));c.ui={...c.ui,seamColor:process.argv[2]};fs.writeFileSync(p,JSON.stringify(c,null,2))' '${STATE}/openclaw.json' '${SEAM_COLOR}'
      mkdir -p '${WORKSPACE}'
      printf '# Memory\\n\\n- The user prefers tabs.\\n- Written at %s\\n' "$(date -u +%FT%TZ)" > '${WORKSPACE}/MEMORY.md'
      mkdir -p '${WORKSPACE}/notes/repo' && cd '${WORKSPACE}/notes/repo'
      git init -q -b main && git config user.email t@moltlab.test && git config user.name moltlab
      echo '# notes' > README.md && git add README.md && git commit -qm 'first note'
      echo 'second line' >> README.md && git commit -qam 'second note'
      mkdir -p '${GHQ_REPO}' && cd '${GHQ_REPO}'
      git init -q -b main && git config user.email t@moltlab.test && git config user.name moltlab
      printf 'package main\\n\\nfunc main() {}\\n' > main.go && git add main.go && git commit -qm 'unpushed work'
      mkdir -p '${HOME}/.codex' && printf 'model = "gpt-5-codex"\\n[features]\\nweb_search = false\\n' > '${HOME}/.codex/config.toml'
    `);
    for (const [path, text] of await contents(openclaw, TRACKED)) written.set(path, text);

    const chat = await chatCompletion(token, "Remember this: the launch code word is PERSIMMON.", CHAT_USER);
    expect(chat.status, chat.body.slice(0, 300)).toBe(200);
    expect(chat.reply).toContain("PERSIMMON");

    const backup = await openclaw.backup();
    expect(backup.ok).toBe(true);
    const started = Date.now();
    expect(await openclaw.stop()).toBe(0);
    console.log(`[A] SIGTERM → exit 0 in ${Date.now() - started} ms`);
    evidence.set("sigtermExitMs", Date.now() - started);
    expect(openclaw.logged(/final backup done/)).toHaveLength(1);
    evidence.passed("A");
  });

  it("B: a fresh container restores everything: same bytes, working git repositories, config, and the conversation", async () => {
    const { openclaw, health } = await boot("B", "ready");
    expect(health.lastRestore).toMatchObject({ ok: true, source: "snapshot", skipped: [] });
    expect(Object.fromEntries(await contents(openclaw, TRACKED))).toEqual(Object.fromEntries(written));

    expect(await openclaw.shOk(`cd '${WORKSPACE}/notes/repo' && git log --format=%s && git status --porcelain && git fsck --no-progress 2>&1`)).toBe(
      "second note\nfirst note\n",
    );
    expect(await openclaw.shOk(`cd '${GHQ_REPO}' && git log --format=%s`)).toBe("unpushed work\n");
    const config = JSON.parse(await openclaw.shOk(`cat '${STATE}/openclaw.json'`)) as { ui?: { seamColor?: string } };
    expect(config.ui?.seamColor).toBe(SEAM_COLOR);
    // The SQLite databases came back as databases (restored from node:sqlite online backups).
    expect(await openclaw.shOk(`find '${STATE}' -name '*.sqlite' -not -path '*/workspace/*' | sort`)).toMatch(/\.sqlite\n/);

    // The follow-up turn carries the earlier exchange upstream: OpenClaw's session DB was restored.
    const before = emulators.aiGateway.log.all({ provider: "anthropic" }).length;
    const chat = await chatCompletion(token, "What was the code word?", CHAT_USER);
    expect(chat.status, chat.body.slice(0, 300)).toBe(200);
    const upstream = emulators.aiGateway.log.all({ provider: "anthropic" }).slice(before);
    expect(upstream.length).toBeGreaterThan(0);
    const sent = JSON.stringify(upstream.at(-1)!.body);
    expect(sent).toContain("Remember this: the launch code word is PERSIMMON.");
    expect(sent).toContain("Noted: the launch code word is PERSIMMON.");
    evidence.passed("B");
  });

  it("B→C: SIGKILL loses at most the writes since the last backup; everything backed up before it, deletions included, is restored", async () => {
    const openclaw = current!;
    await openclaw.shOk(`rm '${HOME}/.codex/config.toml' && echo 'backed up before the kill' > '${WORKSPACE}/before-kill.md'`);
    // A backup that starts after the change (the supervisor queues it behind a running one), so
    // C must restore it. `changed` may be false: the watcher's own backup can get there first.
    await openclaw.backup();
    // A write stream until the kill: one tick every 250 ms into a file the backup loop watches.
    await openclaw.shOk(`for i in $(seq 1 40); do date +%s%3N >> '${WORKSPACE}/ticks.txt'; sleep 0.25; done`);
    killTicks = (await openclaw.shOk(`cat '${WORKSPACE}/ticks.txt'`)).trim().split("\n").map(Number);
    const lastBackupBeforeKill = (await openclaw.health()).lastBackup;
    const killedAt = Date.now();
    expect(await openclaw.kill()).toBe(137);
    expect(openclaw.logged(/final backup done/)).toHaveLength(0);

    const { openclaw: c, health } = await boot("C", "restored");
    expect(health.lastRestore).toMatchObject({ ok: true, source: "snapshot" });
    expect(await c.shOk(`cat '${WORKSPACE}/before-kill.md'`)).toBe("backed up before the kill\n");
    expect((await c.sh(`test -e '${HOME}/.codex/config.toml'`)).exitCode, "the deleted file stays deleted").not.toBe(0);
    expect(
      Object.fromEntries(
        await contents(
          c,
          TRACKED.filter((path) => !path.endsWith("config.toml")),
        ),
      ),
    ).toEqual(Object.fromEntries([...written].filter(([path]) => !path.endsWith("config.toml"))));
    const restoredTicks = (await c.sh(`cat '${WORKSPACE}/ticks.txt'`)).stdout.trim().split("\n").filter(Boolean).map(Number);
    // Every restored tick is a prefix of what was written (nothing invented, nothing reordered).
    expect(killTicks.slice(0, restoredTicks.length)).toEqual(restoredTicks);
    const lastKept = restoredTicks.at(-1);
    const lost = killTicks.length - restoredTicks.length;
    console.log(
      `[SIGKILL] ${killTicks.length} ticks written over ${killTicks.at(-1)! - killTicks[0]!} ms, ${restoredTicks.length} restored, ${lost} lost; ` +
        (lastKept
          ? `writes lost: the last ${killedAt - lastKept} ms before the kill (${killTicks.at(-1)! - lastKept} ms of written ticks); `
          : "every tick lost; ") +
        `last backup before the kill: ${lastBackupBeforeKill?.at} (${lastBackupBeforeKill?.reason}); backups at most ${backupMaxWaitS} s after a change (the default)`,
    );
    evidence.set("sigkill", {
      ticksWritten: killTicks.length,
      ticksRestored: restoredTicks.length,
      lost,
      lossWindowMs: lastKept ? killedAt - lastKept : null,
      writtenSpanMs: killTicks.at(-1)! - killTicks[0]!,
      backupMaxWaitS,
    });
    evidence.passed("B→C");
  });

  it("D: a truncated newest snapshot in the bucket is skipped with a log line, the previous one restored", async () => {
    const c = current!;
    expect(await c.stop()).toBe(0);
    const ids = await snapshotIds();
    const newest = ids.at(-1)!;
    expect(ids.length).toBeGreaterThan(1);
    const key = `moltlab/snapshots/${newest}.json`;
    const original = await (await s3.send(new GetObjectCommand({ Bucket: emulators.r2.bucket, Key: key }))).Body!.transformToString();
    await s3.send(
      new PutObjectCommand({
        Bucket: emulators.r2.bucket,
        Key: key,
        Body: original.slice(0, Math.floor(original.length / 2)),
        ContentType: "application/json",
      }),
    );

    const { openclaw: d, health } = await boot("D", "restored");
    expect(health.lastRestore?.ok).toBe(true);
    expect(health.lastRestore?.id).toBe(ids.at(-2));
    expect(health.lastRestore?.skipped.map((skip) => skip.id)).toEqual([newest]);
    expect(d.logged(new RegExp(`snapshot ${newest} is unusable .*falling back to the previous one`))).toHaveLength(1);
    expect(await d.shOk(`cat '${WORKSPACE}/before-kill.md' '${WORKSPACE}/MEMORY.md'`)).toBe(
      `backed up before the kill\n${written.get(`${WORKSPACE}/MEMORY.md`)}`,
    );
    expect(await d.shOk(`cd '${WORKSPACE}/notes/repo' && git log --format=%s`)).toBe("second note\nfirst note\n");
    expect(await d.stop()).toBe(0);
    evidence.passed("D");
  });
});
