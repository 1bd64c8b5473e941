/**
 * Run inside a freshly restored container, before the workload starts: reads what the
 * workload's earlier cycles left (see workload.ts) and prints one JSON line for the host to
 * compare with the journal. Read-only: it opens the database read-only and writes nothing.
 * Node built-ins only.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";

const stateDir = process.env.OPENCLAW_STATE_DIR ?? join(process.env.HOME ?? "/root", ".openclaw");
const sha = (text: string | Buffer) => createHash("sha256").update(text).digest("hex");

/** A self-checked file: its seq, whether its first line's checksum matches the rest, and the file's own checksum. */
function readChecked(path: string): { seq: number; whole: boolean; sha: string } {
  const text = readFileSync(path, "utf8");
  const newline = text.indexOf("\n");
  const head = /^seq=(\d+) sha=([0-9a-f]{64})$/.exec(newline < 0 ? text : text.slice(0, newline));
  const whole = head !== null && sha(text.slice(newline + 1)) === head[2];
  return { seq: head ? Number(head[1]) : -1, whole, sha: sha(text) };
}

function files(dir: string, prefix: string): Record<string, ReturnType<typeof readChecked>> {
  const out: Record<string, ReturnType<typeof readChecked>> = {};
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) if (name.endsWith(".md")) out[`${prefix}/${name}`] = readChecked(join(dir, name));
  return out;
}

function database(): { integrity: string; seqs: number[] } {
  const path = join(stateDir, "memory", "main.sqlite");
  if (!existsSync(path)) return { integrity: "absent", seqs: [] };
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const integrity = (db.prepare("PRAGMA integrity_check").all() as Array<{ integrity_check: string }>).map((row) => row.integrity_check).join("; ");
    const seqs = (db.prepare("SELECT seq FROM writes ORDER BY seq").all() as Array<{ seq: number }>).map((row) => row.seq);
    return { integrity, seqs };
  } finally {
    db.close();
  }
}

function transcript(): { seqs: number[]; badLines: number; tornTail: boolean } {
  const path = join(stateDir, "agents", "main", "sessions", "torture.jsonl");
  if (!existsSync(path)) return { seqs: [], badLines: 0, tornTail: false };
  const text = readFileSync(path, "utf8");
  const lines = text.split("\n");
  // A transcript cut inside its last line (a copy taken mid-append) is a torn tail, not a corrupt file.
  const tornTail = lines.at(-1) !== "";
  const seqs: number[] = [];
  let badLines = 0;
  // The last element is "" after a final newline, or the torn part: either way not a line to parse.
  for (const line of lines.slice(0, -1)) {
    try {
      seqs.push((JSON.parse(line) as { seq: number }).seq);
    } catch {
      // An append cut short by a full disk leaves a fragment the next append continues: the
      // whole line after the fragment is still there, so its seq is read from the last record start.
      badLines++;
      const start = line.lastIndexOf('{"seq":');
      const seq = start < 0 ? Number.NaN : Number(/^\{"seq":(\d+)/.exec(line.slice(start))?.[1]);
      if (Number.isInteger(seq)) seqs.push(seq);
    }
  }
  return { seqs, badLines, tornTail };
}

const notes = files(join(stateDir, "workspace", "notes"), "workspace/notes");
const created = files(join(stateDir, "workspace", "memory"), "workspace/memory");
process.stdout.write(`${JSON.stringify({ database: database(), transcript: transcript(), files: { ...notes, ...created } })}\n`);
