import { describe, expect, it } from "vitest";
import { UserError } from "../core/errors.ts";
import { chromiumExecutable, chromiumFix, lookupChromium, versionLine } from "./browser.ts";

const only =
  (...paths: string[]) =>
  (path: string) =>
    paths.includes(path);

describe("finding Chromium for the browser test", () => {
  it("uses MOLTLAB_CHROMIUM when it names an executable", () => {
    expect(lookupChromium({ MOLTLAB_CHROMIUM: "/opt/chrome/chrome", PATH: "/usr/bin" }, only("/opt/chrome/chrome", "/usr/bin/chromium"))).toEqual({
      found: true,
      path: "/opt/chrome/chrome",
      from: "env",
    });
  });

  it("refuses a MOLTLAB_CHROMIUM that is not executable instead of falling back to another browser", () => {
    const lookup = lookupChromium({ MOLTLAB_CHROMIUM: "/nope/chrome", PATH: "/usr/bin" }, only("/usr/bin/chromium"));
    expect(lookup).toEqual({ found: false, problem: "MOLTLAB_CHROMIUM=/nope/chrome is not an executable file" });
    expect(chromiumFix(lookup)).toMatch(/point MOLTLAB_CHROMIUM at a Chromium or Chrome executable, or unset it/);
  });

  it("searches PATH in order of program preference, then the macOS app bundles", () => {
    const env = { PATH: "/usr/local/bin:/usr/bin" };
    expect(lookupChromium(env, only("/usr/local/bin/google-chrome", "/usr/bin/chromium"))).toMatchObject({ path: "/usr/bin/chromium", from: "search" });
    expect(lookupChromium(env, only("/usr/local/bin/google-chrome"))).toMatchObject({ path: "/usr/local/bin/google-chrome" });
    expect(lookupChromium({ PATH: "" }, only("/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"))).toMatchObject({
      path: "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    });
  });

  it("says what to install or set when nothing is found", () => {
    const lookup = lookupChromium({ PATH: "/usr/bin" }, () => false);
    expect(lookup).toMatchObject({ found: false, problem: expect.stringMatching(/^no Chromium or Chrome found/) });
    expect(chromiumFix(lookup)).toMatch(/apt-get install chromium.*or set MOLTLAB_CHROMIUM/);
    expect(() => chromiumExecutable({ PATH: "", MOLTLAB_CHROMIUM: "/definitely/not/here" })).toThrow(UserError);
  });

  it("keeps the first line of `--version`", () => {
    expect(versionLine("Chromium 156.0.8078.108 built on Debian GNU/Linux 12 (bookworm)\n")).toBe(
      "Chromium 156.0.8078.108 built on Debian GNU/Linux 12 (bookworm)",
    );
    expect(versionLine("")).toBe("");
  });
});
