/**
 * `moltlab import <path>`: an OpenClaw state folder, a tar of one, or a moltworker bucket copy,
 * written as a snapshot into the bucket `npm run dev` restores from (by default) or a real R2
 * bucket (`--endpoint … --bucket …`, credentials from the environment; a dry run unless
 * `--apply`). `moltlab import --changes` afterwards: what OpenClaw changed in it when the
 * sandbox booted on it (its own state migration), from the snapshots in the bucket.
 */
import { parseCommandArgs, type OptionSpec } from "../core/args.ts";
import { UserError } from "../core/errors.ts";
import { createRedactor, type Logger } from "../container/supervisor/log.ts";
import { applyImport, changesSinceImport, planImport, supersedes, type ImportPlan, type SnapshotChanges } from "../stack/import/import.ts";
import { openSource } from "../stack/import/source.ts";
import { describeSummary, formatBytes } from "../stack/import/summary.ts";
import { devTarget, remoteTarget, type ImportTarget } from "../stack/import/target.ts";
import { devStateDir } from "./dev.ts";

const IMPORT_USAGE = [
  "usage: moltlab import <path> [--config-dir DIR] [--dry-run] [--force]",
  "       moltlab import <path> --endpoint URL --bucket NAME [--prefix P] [--apply] [--force]   (R2_ACCESS_KEY_ID, R2_SECRET_ACCESS_KEY in the environment)",
  "       moltlab import --changes [--endpoint URL --bucket NAME [--prefix P]]",
].join("\n");

const text = (name: string) => ({
  type: "string" as const,
  parse: (raw: string): string => {
    if (!raw) throw new UserError(`--${name} needs a value`, IMPORT_USAGE);
    return raw;
  },
});

const IMPORT_OPTIONS = {
  "config-dir": text("config-dir"),
  endpoint: text("endpoint"),
  bucket: text("bucket"),
  prefix: text("prefix"),
  apply: { type: "boolean" },
  "dry-run": { type: "boolean" },
  force: { type: "boolean" },
  changes: { type: "boolean" },
} satisfies Record<string, OptionSpec<unknown>>;

export interface ImportArgs {
  path?: string;
  configDir?: string;
  remote?: { endpoint?: string; bucket: string; prefix?: string };
  /** Write (local: unless --dry-run; remote: only with --apply). */
  write: boolean;
  force: boolean;
  changes: boolean;
}

export function parseImportArgs(args: readonly string[]): ImportArgs {
  const { values, positionals } = parseCommandArgs(args, IMPORT_OPTIONS, { usage: IMPORT_USAGE, positionals: 1 });
  const changes = values.changes ?? false;
  const path = positionals[0];
  if (!changes && !path) throw new UserError("moltlab import needs the path of the state to import", IMPORT_USAGE);
  if (changes && path) throw new UserError("--changes reads the bucket only: it takes no path", IMPORT_USAGE);
  const remote = values.endpoint !== undefined || values.bucket !== undefined || values.prefix !== undefined;
  if (remote && !values.bucket) throw new UserError("a real bucket needs --bucket NAME", IMPORT_USAGE);
  if (!remote && values.apply)
    throw new UserError("--apply is for a real bucket (--endpoint, --bucket); the local one is written unless --dry-run", IMPORT_USAGE);
  if (remote && values["dry-run"]) throw new UserError("a real bucket is a dry run unless --apply: drop --dry-run", IMPORT_USAGE);
  return {
    ...(path ? { path } : {}),
    ...(values["config-dir"] ? { configDir: values["config-dir"] } : {}),
    ...(remote
      ? { remote: { bucket: values.bucket!, ...(values.endpoint ? { endpoint: values.endpoint } : {}), ...(values.prefix ? { prefix: values.prefix } : {}) } }
      : {}),
    write: remote ? (values.apply ?? false) : !(values["dry-run"] ?? false),
    force: values.force ?? false,
    changes,
  };
}

/** Warnings and errors of the supervisor's backup as plain lines; its info lines are the summary's job. Secrets masked. */
function cliLogger(secrets: readonly string[]): Logger {
  const redact = createRedactor(secrets);
  const say = (level: string) => (_phase: string, msg: string) => process.stderr.write(`  ${level}: ${redact(msg)}\n`);
  return { debug: () => undefined, info: () => undefined, warn: say("warning"), error: say("error"), redact };
}

/** A progress line at most once a second. */
function throttled(write: (line: string) => void): (line: string) => void {
  let last = 0;
  return (line) => {
    const now = Date.now();
    if (now - last < 1000) return;
    last = now;
    write(line);
  };
}

export function describePlan(plan: ImportPlan): string[] {
  const { source } = plan;
  const kind = { "state-dir": "an OpenClaw state folder", tar: "a tar of an OpenClaw state folder", moltworker: "a copy of a moltworker bucket" }[source.kind];
  return [
    `source: ${source.path} (${kind})`,
    ...source.notes.map((note) => `  note: ${note}`),
    "roots (as the container restores them):",
    ...plan.roots.map(
      (root) =>
        `  ${root.name.padEnd(16)} ${String(root.files).padStart(6)} file(s) ${formatBytes(root.bytes).padStart(10)}, ${root.folders} folder(s), ${root.symlinks} link(s)  ← ${root.dir}` +
        (root.tooLarge.length ? `\n    left out, over 1 GiB: ${root.tooLarge.join(", ")}` : "") +
        (root.unreadable.length ? `\n    cannot be read: ${root.unreadable.join("; ")}` : "") +
        (root.linksOut.length
          ? `\n    ${root.linksOut.length} link(s) point outside it, kept as links (dangling in the container unless the target exists there): ${root.linksOut.slice(0, 3).join(", ")}${root.linksOut.length > 3 ? ", …" : ""}`
          : ""),
    ),
    `writes: ${plan.files} file(s), ${formatBytes(plan.bytes)}, in at most ${plan.objects.total} object(s) (${plan.objects.packs} pack(s), ${plan.objects.large} large file(s), manifest, pointer, import record)`,
    `target: bucket ${plan.bucket.name} at ${plan.bucket.endpoint}${plan.bucket.prefix ? ` under ${plan.bucket.prefix}` : ""}`,
    `  ${supersedes(plan) ? `already holds ${supersedes(plan)}` : "empty: the import becomes its first snapshot"}`,
    "what came through:",
    ...describeSummary(plan.summary),
  ];
}

export function describeChanges(changes: SnapshotChanges): string[] {
  const list = (label: string, paths: string[]) => [
    `  ${label.padEnd(8)} ${paths.length}`,
    ...paths.slice(0, 40).map((path) => `    ${path}`),
    ...(paths.length > 40 ? [`    … and ${paths.length - 40} more`] : []),
  ];
  return [
    `what OpenClaw changed after booting on the import (snapshot ${changes.from} → ${changes.to}):`,
    `  the bucket holds ${changes.snapshots} snapshot(s)${changes.importKept ? "" : "; the import's own was pruned since (compared with the copy in its record)"}`,
    ...(changes.from === changes.to ? ["  nothing yet: no snapshot after the import (boot the sandbox on it, e.g. `npm run dev`, then stop it)"] : []),
    ...list("added", changes.added),
    ...list("changed", changes.changed),
    ...list("removed", changes.removed),
  ];
}

export async function importCommand(args: readonly string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(IMPORT_USAGE);
    return 0;
  }
  const options = parseImportArgs(args);
  const secrets = [process.env.R2_SECRET_ACCESS_KEY ?? ""].filter((secret) => secret.length >= 4);
  const log = cliLogger(secrets);
  const progress = throttled((line) => process.stdout.write(`  … ${line}\n`));
  const openTarget = (): Promise<ImportTarget> =>
    options.remote ? Promise.resolve(remoteTarget(options.remote, process.env, log)) : devTarget(devStateDir(), log);

  if (options.changes) {
    const target = await openTarget();
    try {
      for (const line of describeChanges(await changesSinceImport(target.bucket))) console.log(line);
    } finally {
      await target.close();
    }
    return 0;
  }

  // The source is checked (a tar whole) before any bucket is touched.
  const opened = await openSource(options.path!, {
    ...(options.configDir ? { configDir: options.configDir } : {}),
    progress: (what, done, total) => progress(`${what}: ${formatBytes(done)} of ${formatBytes(total)}`),
  });
  try {
    const target = await openTarget();
    try {
      const plan = await planImport(opened.source, target.bucket);
      for (const line of describePlan(plan)) console.log(line);
      if (!options.write) {
        console.log(
          options.remote
            ? "\ndry run: nothing was written. Pass --apply to write this snapshot."
            : "\ndry run (--dry-run): nothing was written. Run without --dry-run to write it.",
        );
        const conflict = supersedes(plan);
        if (conflict && !options.force) console.log("--apply would be refused without --force: the bucket is not empty.");
        return 0;
      }
      const started = Date.now();
      const result = await applyImport(plan, target.bucket, {
        log,
        force: options.force,
        onUpload: (objects, bytes) => progress(`uploaded ${objects} object(s), ${formatBytes(bytes)} of about ${formatBytes(plan.bytes)}`),
      });
      const { backup } = result;
      console.log(
        `\nimported as snapshot ${result.id} into ${target.describe}: ${backup.files} file(s), ${backup.uploaded} new content(s), ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      if (backup.skippedCount)
        console.log(
          `  ${backup.skippedCount} file(s) could not be read and are not in it: ${(backup.skipped ?? []).map((skip) => `${skip.root}/${skip.path}`).join(", ")}`,
        );
      console.log(
        target.local
          ? "next: `npm run dev` boots OpenClaw on it; after stopping it, `npm run import -- --changes` shows what OpenClaw's own migration changed"
          : "next: deploy; the container restores it at its next start",
      );
      return 0;
    } finally {
      await target.close();
    }
  } finally {
    await opened.close();
  }
}
