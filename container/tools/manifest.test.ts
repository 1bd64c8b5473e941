import { describe, expect, it } from "vitest";
import { aptPackages } from "../build/index.ts";
import { classifyLicence } from "../build/go-tools.ts";
import { renderToolsFile } from "../build/context.ts";
import { resolvedProbe, TOOLS, toolsFor } from "./manifest.ts";
import { OPENCLAW_VERSION } from "../../contract/openclaw.ts";

describe("tools manifest", () => {
  it("has unique names and a probe for every tool", () => {
    expect(new Set(TOOLS.map((tool) => tool.name)).size).toBe(TOOLS.length);
    for (const tool of TOOLS) {
      expect(tool.probe.command, tool.name).toBeTruthy();
      expect(() => new RegExp(resolvedProbe(tool).expect), tool.name).not.toThrow();
    }
  });

  it("pins static releases by SHA-256 for both arches", () => {
    for (const tool of TOOLS) {
      if (tool.source !== "static-release") continue;
      for (const arch of ["amd64", "arm64"] as const) expect(tool.arches[arch].sha256).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it("puts the requested openclaw version into its entry and its probe, regex-escaped", () => {
    const openclaw = toolsFor("2026.10.1").find((tool) => tool.name === "openclaw")!;
    expect(openclaw.version).toBe("2026.10.1");
    expect(resolvedProbe(openclaw).expect).toBe("OpenClaw 2026\\.10\\.1\\b");
    expect(new RegExp(resolvedProbe(openclaw).expect).test("OpenClaw 2026.10.1 (abc)")).toBe(true);
    expect(new RegExp(resolvedProbe(openclaw).expect).test("OpenClaw 2026x10x1")).toBe(false);
  });

  it("renders tools.json with a reason for every tool not installed", () => {
    const tools = toolsFor(OPENCLAW_VERSION);
    const file = renderToolsFile(
      "arm64",
      OPENCLAW_VERSION,
      tools,
      new Map([
        ["ghq", { installed: false, reason: "not served" }],
        ["git", { installed: true }],
      ]),
    );
    expect(file.tools.map((tool) => tool.name)).toEqual(tools.map((tool) => tool.name));
    expect(file.tools.find((tool) => tool.name === "ghq")).toMatchObject({ installed: false, reason: "not served" });
    expect(file.tools.find((tool) => tool.name === "git")).toMatchObject({ installed: true, package: "git" });
    expect(file.tools.find((tool) => tool.name === "codex")).toMatchObject({ installed: false, reason: "not prepared by the build" });
  });

  it("lists the apt tools for the image build", () => {
    expect(aptPackages(TOOLS)).toEqual(["git", "gh", "jq"]);
  });
});

describe("licence check of Go modules", () => {
  it("recognises AGPL before GPL, and the permissive families", () => {
    expect(classifyLicence("GNU AFFERO GENERAL PUBLIC LICENSE Version 3")).toBe("AGPL");
    expect(classifyLicence("Apache License\n                           Version 2.0, January 2004")).toBe("Apache-2.0");
    expect(classifyLicence("MIT License\n\nPermission is hereby granted, free of charge, to any person")).toBe("MIT");
  });
});
