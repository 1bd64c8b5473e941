import { describe, expect, it } from "vitest";
import { DockerfileError, parseDockerfile } from "./dockerfile-parse.ts";
import { forArch } from "./user-image.ts";

describe("parseDockerfile", () => {
  it("joins continuation lines, drops comments inside them and keeps where each instruction starts", () => {
    const { instructions } = parseDockerfile("# c\nFROM a AS b\n\nRUN one \\\n  && two \\\n  # note\n  && three\nUSER node\n");
    expect(instructions.map(({ keyword, args, line, stage }) => ({ keyword, args, line, stage }))).toEqual([
      { keyword: "FROM", args: "a AS b", line: 2, stage: 0 },
      { keyword: "RUN", args: "one && two && three", line: 4, stage: 0 },
      { keyword: "USER", args: "node", line: 8, stage: 0 },
    ]);
  });

  it("honours the escape directive and reads heredoc bodies as the RUN's script", () => {
    const parsed = parseDockerfile("# escape=`\nFROM a\nRUN echo one `\n  two\nRUN <<EOF\napt-get install -y jq\nEOF\nUSER node\n");
    expect(parsed.instructions[1]).toMatchObject({ keyword: "RUN", args: "echo one two", line: 3 });
    expect(parsed.instructions[2]).toMatchObject({ keyword: "RUN", args: "<<EOF", heredocs: ["apt-get install -y jq"], line: 5 });
    expect(parsed.instructions[3]).toMatchObject({ keyword: "USER", line: 8 });
  });

  it("lists the images the build needs: FROM and COPY --from=<image>, not stages or scratch, ARG defaults filled in", () => {
    const parsed = parseDockerfile(
      "ARG TAG=1.24\nARG TARGETARCH\nFROM golang:${TAG} AS build\nFROM scratch AS empty\nFROM moltlab/node:24-${TARGETARCH}\nCOPY --from=build /go/bin/x /x\nCOPY --from=docker:27-cli /usr/local/bin/docker /d\n",
    );
    expect(parsed.stages.map((stage) => [stage.name, stage.from])).toEqual([
      ["build", "golang:1.24"],
      ["empty", "scratch"],
      ["", "moltlab/node:24-${TARGETARCH}"],
    ]);
    expect(parsed.baseImages).toEqual(["golang:1.24", "moltlab/node:24-${TARGETARCH}", "docker:27-cli"]);
    expect(forArch(parsed.baseImages[1]!, "arm64")).toBe("moltlab/node:24-arm64");
    // BUILDARCH is the host's, whatever the target.
    expect(forArch("moltlab/node:24-${BUILDARCH}-for-$TARGETARCH", "arm64", "amd64")).toBe("moltlab/node:24-amd64-for-arm64");
  });

  it("reads flags, ARG/ENV pairs and ADD/COPY heredocs, and keeps a heredoc body out of the arguments", () => {
    const parsed = parseDockerfile(
      'FROM a\nRUN --mount=type=cache,target=/root/.npm npm i -g x\nENV HOME=/root B="two words"\nENV LEGACY a value\nCOPY --chmod=755 <<EOF /usr/local/bin/x\n#!/bin/sh\nEOF\nADD <<-EOT /y\n\thello\n\tEOT\n',
    );
    expect(parsed.instructions[1]).toMatchObject({ args: "npm i -g x", flags: { mount: "type=cache,target=/root/.npm" } });
    expect(parsed.instructions[2]!.properties).toEqual([
      { name: "HOME", value: "/root" },
      { name: "B", value: "two words" },
    ]);
    expect(parsed.instructions[3]!.properties).toEqual([{ name: "LEGACY", value: "a value" }]);
    expect(parsed.instructions[4]).toMatchObject({ args: "<<EOF /usr/local/bin/x", flags: { chmod: "755" }, heredocs: ["#!/bin/sh"], line: 5 });
    expect(parsed.instructions[5]).toMatchObject({ keyword: "ADD", args: "<<-EOT /y", heredocs: ["\thello"], line: 8 });
  });

  it("keeps the arguments as written: escapes for the shell, spaces inside quotes", () => {
    const { instructions } = parseDockerfile("FROM a\nRUN printf '%s\\t' \"a  b\" d\\ e \\\n  # note\n  && ls\n");
    expect(instructions[1]!.args).toBe("printf '%s\\t' \"a  b\" d\\ e && ls");
  });

  it.each([
    ["FROM a\nRUNN echo\n", 2, "unknown instruction RUNN"],
    ["FROM a\nRUN echo \\\n", 2, "the instruction ends in a line continuation"],
    ["RUN echo\n", 1, "RUN comes before the first FROM"],
    ["ARG X=1\n", 1, "there is no FROM instruction"],
    ["FROM a\nRUN <<EOF\necho\n", 2, "the heredoc <<EOF is never closed"],
    ["FROM\n", 1, "FROM names no image"],
    ["FROM a AS\n", 1, "FROM … AS has no stage name"],
    ["FROM a b\n", 1, "FROM a b is not an image with an optional stage name"],
    ["FROM a\nRUN echo \\\n# trailing comment\n\n", 2, "the instruction ends in a line continuation"],
    ["# escape=x\nFROM a\n", 1, "escape=x is not a valid escape character"],
    ["FROM a\nUSER\n", 2, "USER needs an argument"],
    ["FROM a\nCOPY only-a-source\n", 2, "COPY needs a source and a destination"],
  ])("refuses %j at line %i, naming the fix", (text, line, problem) => {
    let error: unknown;
    try {
      parseDockerfile(text, "my/Dockerfile");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DockerfileError);
    expect((error as DockerfileError).line).toBe(line);
    expect((error as DockerfileError).message).toContain(`my/Dockerfile:${line}: ${problem}`);
    expect((error as DockerfileError).fix.length).toBeGreaterThan(10);
  });
});
