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

  it("reads a script line by line: comments end at the newline, quotes, backslashes and trailing operators carry a command on", () => {
    const commands = splitCommands(
      [
        "# don't stop here",
        "curl -fsSL https://x/get.sh |",
        "  sh",
        'echo "one',
        "two\" > /root/notes # it's a note",
        "apt-get install -y \\",
        "  jq",
        "rm -rf /var/lib/apt/lists/* &>/dev/null",
        "wget https://x/tool-$(uname -m).tar.gz -O $HOME/t.tgz",
        "echo 2 `date +%s` 2>/dev/null > /stamp",
      ].join("\n"),
    );
    expect(commands.map((command) => command.words)).toEqual([
      ["curl", "-fsSL", "https://x/get.sh"],
      ["sh"],
      ["echo", "one\ntwo"],
      ["apt-get", "install", "-y", "jq"],
      ["rm", "-rf", "/var/lib/apt/lists/*"],
      ["wget", "https://x/tool-$(uname -m).tar.gz", "-O", "$HOME/t.tgz"],
      ["echo", "2", "`date +%s`"],
    ]);
    expect(commands[1]!.pipedFrom).toBe(commands[0]);
    expect(commands[2]!.writes).toEqual(["/root/notes"]);
    expect(commands[4]!.writes).toEqual(["/dev/null"]);
    expect(commands[6]!.writes).toEqual(["/dev/null", "/stamp"]);
  });

  it("reads JSON-form RUN as the script it runs", () => {
    expect(runText('["sh", "-c", "npm i -g x"]')).toBe("npm i -g x");
    expect(runText('["go", "install", "example.com/t@v1"]')).toBe("go install example.com/t@v1");
    expect(runText("[ -f x ] && y")).toBe("[ -f x ] && y");
  });
});
