import { describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkDockerfile, hooksLines, parseDevArgs } from "./dev.ts";
import { UserError } from "../core/errors.ts";

function fixOf(args: string[]): string {
  try {
    parseDevArgs(args);
  } catch (error) {
    if (error instanceof UserError) return error.fix;
  }
  throw new Error(`${args.join(" ")} was accepted`);
}

describe("moltlab dev settings", () => {
  it("parses --platform, --instance-type, --port, --reset, --dev-mode, --telegram and --discord, and names the fix for anything else", () => {
    expect(parseDevArgs([])).toEqual({ arch: "amd64", port: 8787, reset: false, devMode: false, telegram: false, discord: false, hooks: false });
    expect(parseDevArgs(["--platform", "linux/arm64", "--port=0", "--reset", "--dev-mode", "--telegram", "--discord", "--hooks"])).toEqual({
      arch: "arm64",
      port: 0,
      reset: true,
      devMode: true,
      telegram: true,
      discord: true,
      hooks: true,
    });
    expect(() => parseDevArgs(["--dev-mode=false"])).toThrow(/unknown option --dev-mode=false/);
    expect(parseDevArgs(["--instance-type", "standard-2"])).toMatchObject({ instanceType: "standard-2" });
    expect(parseDevArgs(["--web-services", "board.localhost=8080"])).toMatchObject({ webServices: [{ host: "board.localhost", port: 8080 }] });
    expect(() => parseDevArgs(["--web-services", "board.localhost=18789"])).toThrow(
      /--web-services: SANDBOX_WEB_SERVICES: port 18789 of board.localhost is OpenClaw's gateway's/,
    );
    expect(() => parseDevArgs(["--instance-type", "huge"])).toThrow(/--instance-type huge is not an instance type/);
    expect(() => parseDevArgs(["--platform", "riscv64"])).toThrow(/not amd64 or arm64/);
    expect(() => parseDevArgs(["--port", "99999"])).toThrow(/not a port number/);
    expect(() => parseDevArgs(["--verbose"])).toThrow(/unknown option --verbose/);
  });

  it("prints how to call OpenClaw's webhooks through the Worker: with Access's service token, or without it in dev mode", () => {
    const withAccess = hooksLines("http://127.0.0.1:8787", "hook-token", "service.jwt").join("\n");
    expect(withAccess).toContain('-H "CF-Access-JWT-Assertion: service.jwt" -H "Authorization: Bearer hook-token"');
    expect(withAccess).toContain("http://127.0.0.1:8787/hooks/agent");
    expect(hooksLines("http://127.0.0.1:8787", "hook-token", null).join("\n")).not.toContain("CF-Access-JWT-Assertion");
  });

  it("names the fix: the option's own for a bad value, the usage line for anything else", () => {
    const usage =
      "usage: moltlab dev [--platform amd64|arm64] [--instance-type T] [--port N] [--reset] [--dev-mode] [--dockerfile PATH] [--telegram] [--discord] [--hooks] [--web-services HOST=PORT,…] " +
      "[--from-cloudflare-api [--bucket NAME] [--access-app NAME|ID|DOMAIN]] " +
      "[--cassette FILE [--timing as-recorded|fast] [--timing-scale X] [--record-on-miss --upstream URL] | --record-to FILE [--upstream URL]]";
    expect(fixOf(["--platform", "riscv64"])).toBe("use `npm run dev -- --platform amd64` (Cloudflare's) or `--platform arm64`");
    expect(fixOf(["--port=x"])).toBe("use e.g. `npm run dev -- --port 8787` (0 picks a free port)");
    expect(fixOf(["--instance-type="])).toMatch(/^use one of /);
    expect(() => parseDevArgs(["--port="])).toThrow("--port (missing) is not a port number");
    expect(fixOf(["--verbose"])).toBe(usage);
    expect(() => parseDevArgs(["--port"])).toThrow("--port needs a value");
    expect(fixOf(["--port"])).toBe(usage);
    expect(() => parseDevArgs(["extra"])).toThrow('unexpected argument "extra"');
  });

  it("takes --from-cloudflare-api, with --bucket and --access-app choosing among what it reads, and refuses them without it", () => {
    expect(parseDevArgs(["--from-cloudflare-api"])).toMatchObject({ fromCloudflareApi: {} });
    expect(parseDevArgs(["--from-cloudflare-api", "--bucket", "moltbot-data", "--access-app=moltbot.example.com"])).toMatchObject({
      fromCloudflareApi: { bucket: "moltbot-data", accessApp: "moltbot.example.com" },
    });
    expect(parseDevArgs([])).not.toHaveProperty("fromCloudflareApi");
    expect(() => parseDevArgs(["--bucket", "moltbot-data"])).toThrow(
      "--bucket chooses among what --from-cloudflare-api reads from the Cloudflare API emulator's state",
    );
    expect(fixOf(["--bucket", "moltbot-data"])).toBe("add it: `npm run dev -- --from-cloudflare-api --bucket moltbot-data`");
    expect(fixOf(["--access-app", "moltbot"])).toBe("add it: `npm run dev -- --from-cloudflare-api --access-app moltbot`");
    expect(fixOf(["--from-cloudflare-api", "--bucket="])).toMatch(/^name one of the R2 buckets/);
    expect(fixOf(["--from-cloudflare-api", "--access-app="])).toMatch(/^name the Access application/);
  });

  it("takes --dockerfile relative to the caller's directory and refuses a missing or unparsable one before starting anything", () => {
    expect(parseDevArgs(["--dockerfile", "/abs/Dockerfile"])).toMatchObject({ dockerfile: "/abs/Dockerfile" });
    const saved = process.env.INIT_CWD;
    process.env.INIT_CWD = "/home/me/img";
    try {
      expect(parseDevArgs(["--dockerfile", "Dockerfile"]).dockerfile).toBe("/home/me/img/Dockerfile");
    } finally {
      if (saved === undefined) delete process.env.INIT_CWD;
      else process.env.INIT_CWD = saved;
    }
    expect(fixOf(["--dockerfile="])).toMatch(/^pass your Dockerfile/);
    const dir = mkdtempSync(join(tmpdir(), "moltlab-dev-"));
    try {
      expect(() => checkDockerfile(join(dir, "none"))).toThrow(/does not exist/);
      writeFileSync(join(dir, "Dockerfile"), "FROM debian\nRUN apt-get install -y jq\nCOPPY a b\n");
      expect(() => checkDockerfile(join(dir, "Dockerfile"))).toThrow(`${join(dir, "Dockerfile")}:3: unknown instruction COPPY`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("takes --cassette with emulate's timing options, or --record-to with --upstream, files relative to the caller's directory", () => {
    const saved = process.env.INIT_CWD;
    process.env.INIT_CWD = "/home/me/project";
    try {
      expect(parseDevArgs(["--cassette", "tapes/chat.json"]).cassette).toEqual({ file: "/home/me/project/tapes/chat.json" });
      expect(parseDevArgs(["--cassette", "/t.json", "--timing", "fast"]).cassette).toEqual({ file: "/t.json", timing: "fast" });
      expect(parseDevArgs(["--cassette", "/t.json", "--timing-scale", "0.5", "--record-on-miss", "--upstream", "http://127.0.0.1:9"]).cassette).toEqual({
        file: "/t.json",
        timingScale: 0.5,
        recordOnMiss: true,
        upstream: "http://127.0.0.1:9",
      });
      expect(parseDevArgs(["--record-to", "tapes/new.json"]).record).toEqual({ to: "/home/me/project/tapes/new.json" });
      expect(parseDevArgs(["--record-to", "/n.json", "--upstream", "http://127.0.0.1:9"]).record).toEqual({ to: "/n.json", upstream: "http://127.0.0.1:9" });
      expect(parseDevArgs([])).not.toHaveProperty("cassette");
    } finally {
      if (saved === undefined) delete process.env.INIT_CWD;
      else process.env.INIT_CWD = saved;
    }
  });

  it("refuses cassette options that contradict each other, naming the fix", () => {
    expect(() => parseDevArgs(["--cassette", "/a.json", "--record-to", "/b.json"])).toThrow(/give one of them/);
    expect(fixOf(["--cassette", "/a.json", "--record-to", "/b.json"])).toMatch(/--record-on-miss --upstream URL/);
    expect(() => parseDevArgs(["--timing", "fast"])).toThrow("--timing only goes with --cassette FILE");
    expect(() => parseDevArgs(["--record-to", "/b.json", "--timing", "fast"])).toThrow("--timing only goes with --cassette FILE");
    expect(() => parseDevArgs(["--upstream", "http://127.0.0.1:9"])).toThrow(/--upstream only goes with --record-to FILE/);
    expect(() => parseDevArgs(["--cassette", "/a.json", "--upstream", "http://127.0.0.1:9"])).toThrow(/only used with --record-on-miss/);
    expect(() => parseDevArgs(["--cassette", "/a.json", "--record-on-miss"])).toThrow(/needs --upstream URL/);
    expect(() => parseDevArgs(["--record-to", "/b.json", "--upstream", "ftp://x"])).toThrow(/not an http\(s\) URL/);
    expect(() => parseDevArgs(["--cassette", "/a.json", "--timing", "slow"])).toThrow(/not as-recorded or fast/);
  });
});
