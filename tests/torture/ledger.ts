/**
 * What the torture run expects to find after each restore, built from the workload's journal.
 * A write is *owed* once the supervisor promised it: after SIGTERM, every write committed
 * before the signal; after a SIGKILL or OOM kill, every write committed before the start of
 * the last backup that finished before the kill. An owed write must be in every later restore
 * (or superseded by a newer owed version); anything else restored must at least be whole.
 */

export type JournalEntry =
  | { op: "sql"; seq: number; t: number }
  | { op: "append"; seq: number; t: number; path: string }
  | { op: "rewrite"; seq: number; t: number; path: string; sha: string }
  | { op: "create"; seq: number; t: number; path: string; sha: string }
  | { op: "write-failed"; t: number; path?: string; code: string }
  | { op: "start" | "stop" | "disk-full" | "disk-freed"; t: number; seq?: number; code?: string; failures?: number };

export type WriteEntry = Extract<JournalEntry, { op: "sql" | "append" | "rewrite" | "create" }>;

export interface RestoredState {
  database: { integrity: string; seqs: number[] };
  transcript: { seqs: number[]; badLines: number; tornTail: boolean };
  files: Record<string, { seq: number; whole: boolean; sha: string }>;
}

export interface RestoreCheck {
  /** Problems that make the restore corrupt: a damaged database, a torn or unparsable file. */
  corrupt: string[];
  /** Owed writes missing from the restore: a broken promise. */
  owedMissing: string[];
  /** Writes of the previous cycle (before its end) that are not in the restore, with their age at the end. */
  lost: Array<{ seq: number; ageMs: number }>;
  /** Writes of the previous cycle restored although nothing promised them yet. */
  beyondBound: number;
  tornTail: boolean;
}

export function parseJournal(text: string): JournalEntry[] {
  const entries: JournalEntry[] = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    try {
      entries.push(JSON.parse(line) as JournalEntry);
    } catch {
      // The line being written when the container died: it committed nothing the host may count.
    }
  }
  return entries;
}

export const isWrite = (entry: JournalEntry): entry is WriteEntry =>
  entry.op === "sql" || entry.op === "append" || entry.op === "rewrite" || entry.op === "create";

const TRANSCRIPT = "agents/main/sessions/torture.jsonl";

export class Ledger {
  readonly #sql = new Set<number>();
  readonly #appends = new Set<number>();
  /** The newest owed version of each rewritten note. */
  readonly #notes = new Map<string, { seq: number; sha: string }>();
  readonly #creates = new Map<string, string>();
  /** Every journaled version of a file, to recognise a restored version the host has seen. */
  readonly #versions = new Map<string, string>();
  /** Files a failed write (a full disk) left half written on the disk itself: torn there, not by a backup. */
  readonly #tornOnDisk = new Set<string>();
  #last: { writes: WriteEntry[]; endedAt: number } = { writes: [], endedAt: 0 };

  get owedCount(): number {
    return this.#sql.size + this.#appends.size + this.#notes.size + this.#creates.size;
  }

  /** A cycle ended: its writes committed before `owedBefore` are owed from now on. */
  addCycle(entries: readonly JournalEntry[], endedAt: number, owedBefore: number): { writes: number; owed: number } {
    const writes = entries.filter(isWrite).filter((entry) => entry.t < endedAt);
    for (const entry of entries) if (entry.op === "write-failed" && entry.path) this.#tornOnDisk.add(entry.path);
    let owed = 0;
    for (const entry of writes) {
      if (entry.op === "rewrite" || entry.op === "create") this.#versions.set(`${entry.path}#${entry.seq}`, entry.sha);
      if (entry.t >= owedBefore) continue;
      owed++;
      if (entry.op === "sql") this.#sql.add(entry.seq);
      else if (entry.op === "append") this.#appends.add(entry.seq);
      else if (entry.op === "create") this.#creates.set(entry.path, entry.sha);
      else if ((this.#notes.get(entry.path)?.seq ?? -1) < entry.seq) this.#notes.set(entry.path, { seq: entry.seq, sha: entry.sha });
    }
    this.#last = { writes, endedAt };
    return { writes: writes.length, owed };
  }

  check(state: RestoredState): RestoreCheck {
    const corrupt: string[] = [];
    const owedMissing: string[] = [];
    if (state.database.integrity !== "ok" && !(state.database.integrity === "absent" && this.#sql.size === 0)) {
      corrupt.push(`memory/main.sqlite: integrity_check says ${state.database.integrity}`);
    }
    if (state.transcript.badLines && !this.#tornOnDisk.has(TRANSCRIPT))
      corrupt.push(`agents/main/sessions/torture.jsonl: ${state.transcript.badLines} unparsable line(s)`);
    for (const [path, file] of Object.entries(state.files)) {
      if (!file.whole && !this.#tornOnDisk.has(path)) corrupt.push(`${path}: its checksum line does not match its content (torn)`);
      const known = this.#versions.get(`${path}#${file.seq}`);
      if (file.whole && known !== undefined && known !== file.sha) corrupt.push(`${path}: seq ${file.seq} restored with other bytes than were written`);
    }
    const sql = new Set(state.database.seqs);
    const appends = new Set(state.transcript.seqs);
    for (const seq of this.#sql) if (!sql.has(seq)) owedMissing.push(`sql row ${seq}`);
    for (const seq of this.#appends) if (!appends.has(seq)) owedMissing.push(`transcript line ${seq}`);
    for (const [path, sha] of this.#creates) if (state.files[path]?.sha !== sha) owedMissing.push(`${path} (created)`);
    for (const [path, owed] of this.#notes) {
      const restored = state.files[path];
      if (!restored || restored.seq < owed.seq) owedMissing.push(`${path} seq ${owed.seq} (restored ${restored ? `seq ${restored.seq}` : "nothing"})`);
    }
    const lost: RestoreCheck["lost"] = [];
    let beyondBound = 0;
    for (const entry of this.#last.writes) {
      const present =
        entry.op === "sql"
          ? sql.has(entry.seq)
          : entry.op === "append"
            ? appends.has(entry.seq)
            : entry.op === "create"
              ? state.files[entry.path]?.sha === entry.sha
              : (state.files[entry.path]?.seq ?? -1) >= entry.seq;
      if (!present) lost.push({ seq: entry.seq, ageMs: this.#last.endedAt - entry.t });
      else if (!this.#isOwed(entry)) beyondBound++;
    }
    return { corrupt, owedMissing, lost, beyondBound, tornTail: state.transcript.tornTail };
  }

  #isOwed(entry: WriteEntry): boolean {
    if (entry.op === "sql") return this.#sql.has(entry.seq);
    if (entry.op === "append") return this.#appends.has(entry.seq);
    if (entry.op === "create") return this.#creates.has(entry.path);
    return (this.#notes.get(entry.path)?.seq ?? -1) >= entry.seq;
  }
}
