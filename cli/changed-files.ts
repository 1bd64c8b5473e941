/**
 * The files `npm test -- --changed [ref]` counts as changed. The same git questions vitest's own
 * `--changed` asks (its GitVCSProvider), so the summary's count and vitest's selection agree:
 * staged files, modified, deleted and untracked ones, and with a ref also every file changed by
 * the commits between the ref's merge base and HEAD (`git diff ref...HEAD`).
 */
import { UserError } from "../core/errors.ts";
import { tryRun } from "../core/exec.ts";
import { ROOT } from "../core/host.ts";

async function gitFiles(args: readonly string[]): Promise<string[]> {
  const result = await tryRun("git", ["-C", ROOT, ...args]);
  if (result.code !== 0)
    throw new UserError(`git ${args.join(" ")} failed: ${result.stderr.trim()}`, "run `npm test -- --changed` inside the moltlab git checkout");
  return result.stdout.split("\0").filter((path) => path !== "");
}

/** Throws the fix when `ref` is no commit git knows (a file filter put right after `--changed`, a typo). */
export async function checkRef(ref: string): Promise<void> {
  const result = await tryRun("git", ["-C", ROOT, "rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  if (result.code !== 0)
    throw new UserError(
      `--changed ${ref}: git knows no commit or branch named ${JSON.stringify(ref)}`,
      "name a commit or branch (`--changed origin/main`), or write `--changed=HEAD` before file filters (`--changed=HEAD cli/`)",
    );
}

/** Paths relative to the repository root, sorted, each once. */
export async function changedFiles(ref?: string): Promise<string[]> {
  if (ref !== undefined) await checkRef(ref);
  const lists = await Promise.all([
    ref === undefined ? Promise.resolve([]) : gitFiles(["diff", "--name-only", "-z", `${ref}...HEAD`]),
    gitFiles(["diff", "--cached", "--name-only", "-z"]),
    gitFiles(["ls-files", "-z", "--other", "--modified", "--exclude-standard"]),
  ]);
  return [...new Set(lists.flat())].sort();
}
