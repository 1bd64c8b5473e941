/**
 * A RUN line's shell, split into simple commands as sh would: words with their quotes removed,
 * `&&`, `||`, `;`, `|`, `&` and newlines between commands, output redirections kept apart,
 * subshells and groups flattened. Enough to see what a Dockerfile runs; not an interpreter
 * (no expansion beyond what the caller substituted, no control-flow semantics).
 */

export interface SimpleCommand {
  words: string[];
  /** Targets of `>`, `>>`, `2>` … (where the command writes). */
  writes: string[];
  /** The command whose output is piped into this one (`curl … | bash`). */
  pipedFrom?: SimpleCommand;
}

/** A JSON-form RUN (`RUN ["sh", "-c", "…"]`) as the shell text it runs. */
export function runText(args: string): string {
  if (!args.startsWith("[")) return args;
  try {
    const parsed = JSON.parse(args) as unknown;
    if (Array.isArray(parsed) && parsed.every((part) => typeof part === "string")) {
      const shell = parsed.findIndex((part) => part === "-c");
      return shell >= 0 && parsed[shell + 1] ? parsed[shell + 1]! : parsed.map((part) => (/\s/.test(part) ? `'${part}'` : part)).join(" ");
    }
  } catch {
    // Not JSON: Docker runs it as shell text too.
  }
  return args;
}

export function splitCommands(script: string): SimpleCommand[] {
  const commands: SimpleCommand[] = [];
  let words: string[] = [];
  let writes: string[] = [];
  let word: string | null = null;
  let redirectNext = false;
  let pipeFrom: SimpleCommand | undefined;
  const endWord = () => {
    if (word === null) return;
    if (redirectNext) writes.push(word);
    else words.push(word);
    redirectNext = false;
    word = null;
  };
  const endCommand = (piped: boolean) => {
    endWord();
    let command: SimpleCommand | undefined;
    if (words.length) {
      command = { words, writes, ...(pipeFrom ? { pipedFrom: pipeFrom } : {}) };
      commands.push(command);
    }
    pipeFrom = piped ? command : undefined;
    words = [];
    writes = [];
  };
  for (let i = 0; i < script.length; i++) {
    const c = script[i]!;
    if (c === "'") {
      const end = script.indexOf("'", i + 1);
      word = (word ?? "") + script.slice(i + 1, end < 0 ? undefined : end);
      i = end < 0 ? script.length : end;
    } else if (c === '"') {
      let text = "";
      let j = i + 1;
      for (; j < script.length && script[j] !== '"'; j++) {
        if (script[j] === "\\" && j + 1 < script.length && '"\\$`'.includes(script[j + 1]!)) j++;
        text += script[j];
      }
      word = (word ?? "") + text;
      i = j;
    } else if (c === "$" && script[i + 1] === "(") {
      // A command substitution stays inside its word (`arch=$(dpkg --print-architecture)`).
      let depth = 0;
      let j = i + 1;
      for (; j < script.length; j++) {
        if (script[j] === "(") depth++;
        else if (script[j] === ")" && --depth === 0) break;
      }
      word = (word ?? "") + script.slice(i, j + 1);
      i = j;
    } else if (c === "\\" && i + 1 < script.length) {
      if (script[i + 1] !== "\n") word = (word ?? "") + script[i + 1];
      i++;
    } else if (c === "#" && word === null) {
      while (i + 1 < script.length && script[i + 1] !== "\n") i++;
    } else if (c === "|" && script[i + 1] === "|") {
      endCommand(false);
      i++;
    } else if (c === "|") {
      endCommand(true);
    } else if (c === "&" && script[i + 1] === "&") {
      endCommand(false);
      i++;
    } else if (c === ";" || c === "\n" || c === "&" || c === "(" || c === ")") {
      endCommand(false);
    } else if (c === ">" || c === "<") {
      // `2>&1`, `>/dev/null`, `<<EOF`: only `>` targets are kept.
      const descriptor = word !== null && /^\d$/.test(word);
      if (descriptor) word = null;
      endWord();
      if (script[i + 1] === c) i++;
      if (script[i + 1] === "&") {
        i++;
        while (i + 1 < script.length && /[\d-]/.test(script[i + 1]!)) i++;
        continue;
      }
      redirectNext = c === ">";
      if (c === "<") {
        // Input redirection: skip its operand.
        while (i + 1 < script.length && /\s/.test(script[i + 1]!)) i++;
        while (i + 1 < script.length && !/[\s;&|]/.test(script[i + 1]!)) i++;
      }
    } else if (/\s/.test(c)) {
      endWord();
    } else {
      word = (word ?? "") + c;
    }
  }
  endCommand(false);
  // `{`/`}` groups, `then`/`do`/`else` keywords and `sudo`/`env X=Y` prefixes hide the real command word.
  // In place: pipedFrom links point at these objects.
  for (const command of commands) command.words = stripPrefixes(command.words);
  return commands.filter((command) => command.words.length > 0 && !["fi", "done", "}", "esac"].includes(command.words[0]!));
}

function stripPrefixes(words: string[]): string[] {
  let rest = words;
  const prefixes = ["{", "then", "do", "else", "elif", "if", "while", "until", "!", "sudo", "exec", "command", "time", "nohup", "env"];
  while (rest[0] !== undefined && (prefixes.includes(rest[0]) || /^\w+=/.test(rest[0]))) rest = rest.slice(1);
  return rest;
}
