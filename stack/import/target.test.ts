import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../container/supervisor/log.ts";
import { devTarget, remoteTarget } from "./target.ts";

const log = createLogger({ secrets: [], write: () => undefined });

describe("import targets", () => {
  it("refuses the local bucket while `npm run dev` runs on it (its session's wrangler is alive)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "moltlab-import-target-"));
    const persistTo = join(dir, "state");
    // A live process whose command line names wrangler, recorded as `npm run dev` records its own.
    const wrangler = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)", "wrangler"], { stdio: "ignore" });
    try {
      await writeFile(`${persistTo}.session.json`, JSON.stringify({ wranglerGroup: wrangler.pid, configDir: join(dir, "none") }));
      await expect(devTarget(persistTo, log)).rejects.toThrow(/`npm run dev` is running on the local state.*nothing was written/);
    } finally {
      wrangler.kill("SIGKILL");
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("takes a real bucket's credentials from the environment only, and names what is missing", () => {
    expect(() => remoteTarget({ bucket: "b" }, { R2_ACCESS_KEY_ID: "id" }, log)).toThrow(/needs R2_SECRET_ACCESS_KEY, --endpoint \(or CF_ACCOUNT_ID\)/);
    const target = remoteTarget({ bucket: "b", prefix: "p" }, { R2_ACCESS_KEY_ID: "id", R2_SECRET_ACCESS_KEY: "secret", CF_ACCOUNT_ID: "abc" }, log);
    expect(target.describe).toBe("bucket b at https://abc.r2.cloudflarestorage.com under p/");
    expect(target.bucket.prefix).toBe("p/");
    void target.close();
  });
});
