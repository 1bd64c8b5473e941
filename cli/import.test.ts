import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { removeDirs, tempDir } from "../container/supervisor/testing/harness.ts";
import { UserError } from "../core/errors.ts";
import { startR2, type StartedR2 } from "../emulators/r2/index.ts";
import { importCommand, parseImportArgs } from "./import.ts";

describe("moltlab import arguments", () => {
  it("writes the local bucket unless --dry-run, a real one only with --apply", () => {
    expect(parseImportArgs(["state"])).toEqual({ path: "state", write: true, force: false, changes: false });
    expect(parseImportArgs(["state", "--dry-run"])).toMatchObject({ write: false });
    expect(parseImportArgs(["s.tgz", "--endpoint", "https://a.r2.cloudflarestorage.com", "--bucket", "b"])).toMatchObject({
      remote: { endpoint: "https://a.r2.cloudflarestorage.com", bucket: "b" },
      write: false,
    });
    expect(parseImportArgs(["s", "--bucket", "b", "--apply", "--force"])).toMatchObject({ write: true, force: true });
    expect(parseImportArgs(["--changes"])).toMatchObject({ changes: true });
  });

  it("names the fix for what does not fit", () => {
    const fails = (args: string[], message: RegExp) => {
      const error = (() => {
        try {
          parseImportArgs(args);
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(UserError);
      expect((error as UserError).message).toMatch(message);
      expect((error as UserError).fix).toMatch(/usage: moltlab import <path>/);
    };
    fails([], /needs the path/);
    fails(["s", "--apply"], /--apply is for a real bucket/);
    fails(["s", "--endpoint", "https://x"], /needs --bucket/);
    fails(["s", "--bucket", "b", "--dry-run"], /dry run unless --apply/);
    fails(["s", "--changes"], /takes no path/);
    fails(["a", "b"], /unexpected argument "b"/);
  });
});

describe("moltlab import into a real bucket (the R2 stand-in over S3)", () => {
  let r2: StartedR2;
  const dirs: string[] = [];
  const saved = { ...process.env };
  beforeAll(async () => {
    r2 = await startR2();
  });
  afterAll(() => r2.stop());
  afterEach(async () => {
    process.env = { ...saved };
    vi.restoreAllMocks();
    await removeDirs(dirs);
  });

  async function run(args: string[]): Promise<{ code: number | undefined; out: string }> {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => lines.push(String(chunk)) > 0);
    try {
      return { code: await importCommand(args), out: lines.join("\n") };
    } finally {
      write.mockRestore();
    }
  }

  it("shows what it would write in a dry run, writes with --apply, then refuses a second import without --force; never prints the key", async () => {
    const state = await tempDir("cli-imp");
    dirs.push(state);
    await mkdir(join(state, "agents/main/sessions"), { recursive: true });
    await writeFile(join(state, "openclaw.json"), "{}");
    await writeFile(join(state, "agents/main/sessions/s.jsonl"), "{}\n");
    process.env.R2_ACCESS_KEY_ID = r2.accessKeyId;
    process.env.R2_SECRET_ACCESS_KEY = r2.secretAccessKey;
    const where = ["--endpoint", r2.endpoint, "--bucket", r2.bucket, "--prefix", "cli"];

    const dry = await run([state, ...where]);
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(/writes: 2 file\(s\), .* in at most \d+ object\(s\)/);
    expect(dry.out).toMatch(/empty: the import becomes its first snapshot/);
    expect(dry.out).toMatch(/dry run: nothing was written\. Pass --apply/);
    expect(dry.out).toMatch(/main: 0 session\(s\), 1 transcript file/);

    const applied = await run([state, ...where, "--apply"]);
    expect(applied.out).toMatch(/imported as snapshot \d{8}T\d{9}Z-[0-9a-f]{6} into bucket moltbot-data .* under cli\//);

    const dryAgain = await run([state, ...where]);
    expect(dryAgain.out).toMatch(/already holds 1 snapshot\(s\)/);
    expect(dryAgain.out).toMatch(/--apply would be refused without --force/);
    await expect(run([state, ...where, "--apply"])).rejects.toThrow(/already holds 1 snapshot\(s\).*nothing was written/);
    for (const output of [dry.out, applied.out, dryAgain.out]) expect(output).not.toContain(r2.secretAccessKey);
  });

  it("prints its usage with --help", async () => {
    const help = await run(["--help"]);
    expect(help).toEqual({ code: 0, out: expect.stringMatching(/^usage: moltlab import <path> \[--config-dir DIR\]/) });
  });

  it("says which credentials a real bucket needs", async () => {
    delete process.env.R2_ACCESS_KEY_ID;
    delete process.env.R2_SECRET_ACCESS_KEY;
    const state = await tempDir("cli-imp");
    dirs.push(state);
    await writeFile(join(state, "openclaw.json"), "{}");
    await expect(run([state, "--endpoint", r2.endpoint, "--bucket", r2.bucket])).rejects.toThrow(/a real bucket needs R2_ACCESS_KEY_ID, R2_SECRET_ACCESS_KEY/);
  });
});
