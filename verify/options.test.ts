import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UserError } from "../core/errors.ts";
import { ROOT } from "../core/host.ts";
import { parseVerifyArgs, parseSleepAfterMinutes } from "./options.ts";
import { verifyOptions } from "./testing/context.ts";
import { EVIDENCE_BENCH_FILES, plan, refreshEvidence } from "./refresh.ts";

describe("moltlab verify options", () => {
  it("works with no arguments: both architectures, standard-1, $50, 24 h, the sample LiteLLM config, re-running the tests", () => {
    expect(parseVerifyArgs([], "/home/u")).toEqual(verifyOptions());
  });

  it("reads every option, in both --flag value and --flag=value forms, with paths relative to the caller's directory", () => {
    const options = parseVerifyArgs(
      [
        "--reuse",
        "--arch=amd64",
        "--instance-type",
        "standard-2",
        "--budget",
        "$40",
        "--active-hours=8",
        "--sleep-after",
        "1h",
        "--cpu-percent",
        "25%",
        "--dockerfile",
        "img/Dockerfile",
        "--litellm",
        "/etc/litellm.yaml",
        "--moltworker",
        "../moltworker",
        "--secrets=names.txt",
        "--openclaw-config",
        "/srv/openclaw.json",
        `--terraform=${ROOT}/verify/samples/terraform`,
      ],
      "/home/u",
    );
    expect(options).toEqual({
      arches: ["amd64"],
      instanceType: "standard-2",
      budget: 40,
      activeHours: 8,
      sleepAfterMinutes: 60,
      cpuUtilisation: 0.25,
      dockerfile: "/home/u/img/Dockerfile",
      litellm: "/etc/litellm.yaml",
      moltworker: "/home/moltworker",
      secrets: "/home/u/names.txt",
      openclawConfig: "/srv/openclaw.json",
      terraform: `${ROOT}/verify/samples/terraform`,
      terraformProvider: null,
      reuse: true,
    });
  });

  it("refuses bad values with a message that names the fix", () => {
    const attempt = (args: string[]) => {
      try {
        parseVerifyArgs(args, "/");
      } catch (error) {
        return error as UserError;
      }
      throw new Error(`accepted ${args.join(" ")}`);
    };
    expect(attempt(["--arch", "riscv64"])).toMatchObject({ name: "UserError", message: "--arch riscv64 is not amd64, arm64 or all" });
    expect(attempt(["--instance-type", "huge"]).fix).toContain("lite, basic, standard-1");
    expect(attempt(["--budget", "cheap"]).message).toBe("--budget cheap is not a number from 0 to 100000");
    expect(attempt(["--active-hours", "25"]).message).toContain("from 1 to 24");
    expect(attempt(["--dockerfile"]).message).toBe("--dockerfile needs a path");
    expect(attempt(["--secrets"]).message).toBe("--secrets needs a path");
    expect(attempt(["--moltworker"]).fix).toContain("--moltworker ../moltworker");
    expect(attempt(["--frobnicate"]).message).toBe("unknown option --frobnicate");
    expect(attempt(["--budget", "-5"]).message).toBe("--budget -5 is not a number from 0 to 100000");
    expect(attempt(["--sleep-after"]).message).toBe("--sleep-after (missing) is not a duration");
    expect(attempt(["--dockerfile", "--reuse"]).message).toBe(
      "--dockerfile needs a value (--reuse looks like an option; a value starting with a dash goes as --dockerfile=--reuse)",
    );
    expect(attempt(["Dockerfile"]).message).toBe('unexpected argument "Dockerfile"');
  });

  it("parses sleepAfter durations like the Worker's SANDBOX_SLEEP_AFTER", () => {
    expect(parseSleepAfterMinutes("never")).toBeNull();
    expect(parseSleepAfterMinutes("10m")).toBe(10);
    expect(parseSleepAfterMinutes("90s")).toBe(1.5);
    expect(parseSleepAfterMinutes("2h")).toBe(120);
    expect(parseSleepAfterMinutes("15")).toBe(15);
    expect(() => parseSleepAfterMinutes("soon")).toThrow(UserError);
    expect(() => parseSleepAfterMinutes("0m")).toThrow(UserError);
  });
});

describe("re-running the evidence tests", () => {
  it("runs the OpenClaw chat and persistence tests only when their host ports are free, and says so otherwise", () => {
    expect(plan(true).files).toEqual([
      "tests/integration/openclaw-tools.test.ts",
      "tests/integration/openclaw-dind.test.ts",
      "tests/integration/openclaw-channels.test.ts",
      "tests/integration/openclaw-jobs.test.ts",
      "tests/integration/openclaw-chat.test.ts",
      "tests/integration/openclaw-persistence.test.ts",
    ]);
    const busy = plan(false);
    // The chat channels' and the jobs' tests run on Docker's bridge: they need no host port.
    expect(busy.files).toEqual([
      "tests/integration/openclaw-tools.test.ts",
      "tests/integration/openclaw-dind.test.ts",
      "tests/integration/openclaw-channels.test.ts",
      "tests/integration/openclaw-jobs.test.ts",
    ]);
    expect(busy.skipped[0]).toContain("host port 18789 or 18790 is in use");
  });

  it("re-runs them through the runner it is handed (the CLI's test and bench), and keeps their failures", async () => {
    const calls: string[][] = [];
    const runner = {
      test: async (args: readonly string[]) => {
        calls.push(["test", ...args]);
        return 1;
      },
      bench: async (args: readonly string[]) => {
        calls.push(["bench", ...args]);
        return 0;
      },
    };
    const outcome = await refreshEvidence(runner, () => {});
    expect(calls[0]).toEqual(["test", "--project", "integration", ...outcome.ran.slice(0, -1)]);
    // Only the bench files whose figures the items read: the image builds are npm run bench's alone.
    expect(calls[1]).toEqual(["bench", "tests/perf/sandbox.perf.ts", "tests/perf/backup.perf.ts"]);
    expect(outcome.ran.at(-1)).toBe("npm run bench -- tests/perf/sandbox.perf.ts tests/perf/backup.perf.ts");
    expect(outcome.failures).toEqual(["integration tests exited 1 (their reports hold what they measured before failing)"]);
  });

  it("leaves out only bench files whose figures no item reads", () => {
    const perfFiles = readdirSync(join(ROOT, "tests/perf"))
      .filter((name) => name.endsWith(".perf.ts"))
      .map((name) => `tests/perf/${name}`);
    const left = perfFiles.filter((file) => !(EVIDENCE_BENCH_FILES as readonly string[]).includes(file));
    expect(left.length).toBeGreaterThan(0);
    const leftIds = left.flatMap((file) => [...readFileSync(join(ROOT, file), "utf8").matchAll(/\bid: "([^"]+)"/g)].map((match) => match[1]!));
    expect(leftIds).toContain("image.build.cold");
    const readers = readdirSync(join(ROOT, "verify"), { recursive: true, encoding: "utf8" })
      .filter((name) => name.endsWith(".ts") && !name.endsWith(".test.ts"))
      .map((name) => readFileSync(join(ROOT, "verify", name), "utf8"));
    const prefixes = readers.flatMap((source) =>
      [...source.matchAll(/figuresWith\(([^)]*)\)/g)].flatMap((call) => [...call[1]!.matchAll(/"([^"]+)"/g)].map((match) => match[1]!)),
    );
    expect(prefixes).toContain("cold-start.");
    for (const id of leftIds) {
      expect(
        prefixes.filter((prefix) => id.startsWith(prefix)),
        id,
      ).toEqual([]);
      expect(readers.filter((source) => source.includes(`"${id}"`)).length, id).toBe(0);
    }
  });
});
