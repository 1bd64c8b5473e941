import { describe, expect, it } from "vitest";
import { CommandError, run, tryRun } from "./exec.ts";

describe("exec", () => {
  it("returns a command's output", async () => {
    const result = await run("sh", ["-c", "echo out; echo err >&2"]);
    expect(result).toMatchObject({ code: 0, stdout: "out\n", stderr: "err\n", timedOut: false });
  });

  it("feeds standard input", async () => {
    expect((await run("cat", [], { input: "hello" })).stdout).toBe("hello");
  });

  it("rejects a failing command with the tail of what it printed", async () => {
    const failing = run("sh", ["-c", "echo first >&2; echo last >&2; exit 3"]);
    await expect(failing).rejects.toBeInstanceOf(CommandError);
    await expect(failing).rejects.toThrow(/`sh -c .*` exited with 3:\n {4}first\n {4}last/);
  });

  it("reports a missing program as exit 127 instead of throwing", async () => {
    expect((await tryRun("moltlab-no-such-program", [])).code).toBe(127);
  });

  it("kills a command that outlives its timeout", async () => {
    const result = await tryRun("sleep", ["30"], { timeoutMs: 100 });
    expect(result.timedOut).toBe(true);
    expect(result.code).not.toBe(0);
  });
});
