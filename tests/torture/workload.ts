/**
 * The torture run's workload, run inside the container as a child of the gateway (like an
 * agent's tool). It writes into OpenClaw's state layout the ways OpenClaw and agents do, and
 * after each write is committed appends one line to the journal (a host folder mounted at
 * TORTURE_JOURNAL's directory), so the host knows exactly what was on disk and when:
 *   - a row in a WAL-mode SQLite database (memory/main.sqlite, like OpenClaw's memory index);
 *   - a line appended to a session transcript (agents/main/sessions/torture.jsonl);
 *   - a note rewritten whole through a temp file and rename (workspace/notes/note-K.md);
 *   - a new file (workspace/memory/<seq>.md).
 * Every file body starts with `seq=<n> sha=<sha256 of the rest>`, so a restored file proves
 * itself whole or torn without the journal. On SIGTERM it finishes the write under way and
 * exits without closing the database (the worst case for a copy). With TORTURE_FILL=1 it first
 * fills the disk (a download outside the backed-up folders), keeps writing into the full disk
 * for a second (backups fail meanwhile), then deletes the download and goes on.
 * Node built-ins only: it runs with the container's Node, from a read-only mount.
 */
import { createHash } from "node:crypto";
import { appendFileSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";

const env = process.env;
const stateDir = env.OPENCLAW_STATE_DIR ?? join(env.HOME ?? "/root", ".openclaw");
const cycle = Number(env.TORTURE_CYCLE ?? "0");
const journal = env.TORTURE_JOURNAL_DIR ? join(env.TORTURE_JOURNAL_DIR, `cycle-${cycle}.ndjson`) : "";
const paceMs = Number(env.TORTURE_PACE_MS ?? "30");
if (!journal || !Number.isInteger(cycle)) throw new Error("workload: TORTURE_JOURNAL_DIR and TORTURE_CYCLE are required");

/** Sequence numbers are unique across cycles: a restored write names the cycle that made it. */
let seq = cycle * 1_000_000;
let stopping = false;
let failures = 0;
process.on("SIGTERM", () => {
  stopping = true;
});

const sha = (text: string) => createHash("sha256").update(text).digest("hex");
/** A file body that proves itself: its first line carries its seq and the checksum of the rest. */
function selfChecked(n: number, rest: string): string {
  return `seq=${n} sha=${sha(rest)}\n${rest}`;
}

const notes = join(stateDir, "workspace", "notes");
const memory = join(stateDir, "workspace", "memory");
const sessions = join(stateDir, "agents", "main", "sessions");
for (const dir of [notes, memory, sessions, join(stateDir, "memory")]) mkdirSync(dir, { recursive: true });

const db = new DatabaseSync(join(stateDir, "memory", "main.sqlite"));
db.exec(
  "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; CREATE TABLE IF NOT EXISTS writes (seq INTEGER PRIMARY KEY, cycle INTEGER NOT NULL, body TEXT NOT NULL)",
);
const insert = db.prepare("INSERT INTO writes (seq, cycle, body) VALUES (?, ?, ?)");

function record(entry: Record<string, unknown>): void {
  appendFileSync(journal, `${JSON.stringify({ ...entry, t: Date.now() })}\n`);
}

const fillPath = join(env.HOME ?? "/root", "fill.bin");
const FULL_FOR_MS = 1000;

function fill(): void {
  // An agent's download that fills the disk; outside the backed-up folders.
  const fd = openSync(fillPath, "w");
  const chunk = Buffer.alloc(256 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    record({ op: "disk-full", code: (error as NodeJS.ErrnoException).code });
  } finally {
    fsyncSync(fd);
    closeSync(fd);
  }
}

/** The file the write under way touches, named in the journal if the write fails. */
let touching: string | undefined;

function writeOne(): void {
  const n = ++seq;
  touching = undefined;
  const body = `cycle ${cycle} write ${n} ${"x".repeat(40 + (n % 200))}`;
  const roll = n % 10;
  if (roll < 4) {
    insert.run(n, cycle, body);
    record({ op: "sql", seq: n });
  } else if (roll < 7) {
    touching = "agents/main/sessions/torture.jsonl";
    appendFileSync(join(sessions, "torture.jsonl"), `${JSON.stringify({ seq: n, type: "message", body })}\n`);
    record({ op: "append", seq: n, path: "agents/main/sessions/torture.jsonl" });
  } else if (roll < 9) {
    const path = join(notes, `note-${n % 16}.md`);
    touching = `workspace/notes/note-${n % 16}.md.tmp`;
    const text = selfChecked(n, `${body}\n`);
    writeFileSync(`${path}.tmp`, text);
    renameSync(`${path}.tmp`, path);
    record({ op: "rewrite", seq: n, path: `workspace/notes/note-${n % 16}.md`, sha: sha(text) });
  } else {
    const text = selfChecked(n, `${body}\n`);
    touching = `workspace/memory/${n}.md`;
    writeFileSync(join(memory, `${n}.md`), text);
    record({ op: "create", seq: n, path: `workspace/memory/${n}.md`, sha: sha(text) });
  }
}

let fullUntil = 0;
if (env.TORTURE_FILL === "1") {
  fill();
  fullUntil = Date.now() + FULL_FOR_MS;
}
record({ op: "start", seq });
for (;;) {
  if (stopping) break;
  if (fullUntil && Date.now() > fullUntil) {
    fullUntil = 0;
    unlinkSync(fillPath);
    record({ op: "disk-freed" });
  }
  try {
    writeOne();
  } catch (error) {
    // A full disk refuses writes: they are not journaled as written, and the workload goes on.
    // A file it left half written is torn on the disk itself; a faithful backup keeps it so.
    failures++;
    record({ op: "write-failed", path: touching, code: (error as NodeJS.ErrnoException).code ?? String(error) });
  }
  await new Promise((resolve) => setTimeout(resolve, paceMs));
}
record({ op: "stop", seq, failures });
// No db.close(): a process that dies with its database open is what a backup must cope with.
process.exit(0);
