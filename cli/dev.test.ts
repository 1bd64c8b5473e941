import { describe, expect, it } from "vitest";
import { parseDevArgs } from "./dev.ts";
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
  it("parses --platform, --instance-type, --port, --reset and --dev-mode, and names the fix for anything else", () => {
    expect(parseDevArgs([])).toEqual({ arch: "amd64", port: 8787, reset: false, devMode: false });
    expect(parseDevArgs(["--platform", "linux/arm64", "--port=0", "--reset", "--dev-mode"])).toEqual({ arch: "arm64", port: 0, reset: true, devMode: true });
    expect(() => parseDevArgs(["--dev-mode=false"])).toThrow(/unknown option --dev-mode=false/);
    expect(parseDevArgs(["--instance-type", "standard-2"])).toMatchObject({ instanceType: "standard-2" });
    expect(() => parseDevArgs(["--instance-type", "huge"])).toThrow(/--instance-type huge is not an instance type/);
    expect(() => parseDevArgs(["--platform", "riscv64"])).toThrow(/not amd64 or arm64/);
    expect(() => parseDevArgs(["--port", "99999"])).toThrow(/not a port number/);
    expect(() => parseDevArgs(["--verbose"])).toThrow(/unknown option --verbose/);
  });

  it("names the fix: the option's own for a bad value, the usage line for anything else", () => {
    const usage = "usage: moltlab dev [--platform amd64|arm64] [--instance-type T] [--port N] [--reset] [--dev-mode]";
    expect(fixOf(["--platform", "riscv64"])).toBe("use `npm run dev -- --platform amd64` (Cloudflare's) or `--platform arm64`");
    expect(fixOf(["--port=x"])).toBe("use e.g. `npm run dev -- --port 8787` (0 picks a free port)");
    expect(fixOf(["--instance-type="])).toMatch(/^use one of /);
    expect(() => parseDevArgs(["--port="])).toThrow("--port (missing) is not a port number");
    expect(fixOf(["--verbose"])).toBe(usage);
    expect(() => parseDevArgs(["--port"])).toThrow("--port needs a value");
    expect(fixOf(["--port"])).toBe(usage);
    expect(() => parseDevArgs(["extra"])).toThrow('unexpected argument "extra"');
  });
});
