import { describe, expect, it } from "vitest";
import { runText, splitCommands } from "./shell-words.ts";

describe("splitCommands", () => {
  it("splits on && || ; | and newlines, removing quotes and keeping command substitutions in their word", () => {
    const commands = splitCommands(
      `apt-get install -y "jq" && echo 'a b' > /etc/x.list || true; echo "deb [arch=$(dpkg --print-architecture)] https://x stable" | tee /y\nls`,
    );
    expect(commands.map((command) => command.words)).toEqual([
      ["apt-get", "install", "-y", "jq"],
      ["echo", "a b"],
      ["true"],
      ["echo", "deb [arch=$(dpkg --print-architecture)] https://x stable"],
      ["tee", "/y"],
      ["ls"],
    ]);
    expect(commands[1]!.writes).toEqual(["/etc/x.list"]);
    expect(commands[4]!.pipedFrom).toBe(commands[3]);
    expect(commands[0]!.pipedFrom).toBeUndefined();
  });

  it("sees the command behind sudo, env assignments and if/then", () => {
    const commands = splitCommands("if [ -x /a ]; then sudo DEBIAN_FRONTEND=noninteractive apt-get install -y git 2>&1; fi");
    expect(commands.map((command) => command.words[0])).toEqual(["[", "apt-get"]);
    expect(commands[1]!.writes).toEqual([]);
  });

  it("reads JSON-form RUN as the script it runs", () => {
    expect(runText('["sh", "-c", "npm i -g x"]')).toBe("npm i -g x");
    expect(runText('["go", "install", "example.com/t@v1"]')).toBe("go install example.com/t@v1");
    expect(runText("[ -f x ] && y")).toBe("[ -f x ] && y");
  });
});
