/**
 * A RUN line's shell, split into simple commands as sh would: words with their quotes removed,
 * `&&`, `||`, `;`, `|`, `&` and newlines between commands, output redirections kept apart,
 * subshells and groups flattened. Enough to see what a Dockerfile runs; not an interpreter
 * (no expansion beyond what the caller substituted, no control-flow semantics).
 *
 * The words and operators come from shell-quote. Around it: newlines (shell-quote reads them as
 * spaces, and a comment as running to the end of the text), command substitutions and variables
 * (it would split `$(…)` into parentheses and expand `$HOME`; they are kept as written), and the
 * descriptor of `2>` (it loses whether the digit touched the `>`).
 */
import { type ParseEntry, parse } from "shell-quote";

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
      const shell = parsed.indexOf("-c");
      return shell >= 0 && parsed[shell + 1] ? parsed[shell + 1]! : parsed.map((part) => (/\s/.test(part) ? `'${part}'` : part)).join(" ");
    }
  } catch {
    // Not JSON: Docker runs it as shell text too.
  }
  return args;
}

/**
 * Kept out of shell-quote's reach and put back in the word they are in: `$(…)` (one level of nested
 * parentheses, so `$((1+2))` too) and `` `…` ``, which it would split, and variables (`$HOME`,
 * `${X:-y}`), which it would expand.
 */
const KEPT = /\$\((?:[^()]|\([^()]*\))*\)|`[^`]*`|\$\{[^}]*\}|\$(?:\w+|[?@#*!$-])/g;
const PLACEHOLDER = /\uE000(\d+)\uE001/g;
/** A redirection's descriptor (`2>`): marked, since shell-quote hands it over as a word like any other. */
const DESCRIPTOR = /(^|[\s;&|()])(\d)(?=[<>])/g;
const DESCRIPTOR_MARK = "\uE002";
const MARKED_DESCRIPTOR = /^\uE002\d$/;
/** Operators after which a command goes on past the end of the line. */
const CONTINUES = new Set(["&&", "||", "|", "|&"]);
/** Redirections whose operand is a file the command writes. */
const WRITES = new Set([">", ">>", ">|", "&>", "&>>"]);
/** Redirections whose operand is read or is a descriptor (`2>&1`, `<file`, `<<EOF`). */
const READS = new Set(["<", "<<", "<<-", "<<<", "<>", "<&", ">&"]);

/** One line's words and operators; a line shell-quote refuses (`${` never closed) as its blank-separated words. */
function words(line: string): ParseEntry[] {
  try {
    return parse(line);
  } catch {
    return line.split(/\s+/).filter(Boolean);
  }
}

/** Whether a quote is still open at the end of `text`, as shell-quote reads it: then `"'` after a `#` close it into a word instead of staying in a comment. */
function quoteOpen(text: string): boolean {
  const last = words(`${text} #"'`).at(-1);
  return !(typeof last === "object" && "comment" in last);
}

export function splitCommands(script: string): SimpleCommand[] {
  const kept: string[] = [];
  const masked = script
    .replace(KEPT, (text) => `\uE000${kept.push(text) - 1}\uE001`)
    .replace(DESCRIPTOR, (_, before: string, digit: string) => `${before}${DESCRIPTOR_MARK}${digit}`);
  const unmask = (word: string) => word.replace(PLACEHOLDER, (_, index: string) => kept[Number(index)]!).replaceAll(DESCRIPTOR_MARK, "");

  // Lines into commands: a backslash before the newline or an open quote carries one on.
  const tokens: ParseEntry[] = [];
  let pending = "";
  for (const line of masked.split("\n")) {
    pending += line;
    if (/(^|[^\\])(\\\\)*\\$/.test(pending)) {
      pending = pending.slice(0, -1);
      continue;
    }
    if (quoteOpen(pending)) {
      pending += "\n";
      continue;
    }
    const parsed = words(pending);
    pending = "";
    tokens.push(...parsed);
    const last = parsed.at(-1);
    if (!(typeof last === "object" && "op" in last && CONTINUES.has(last.op))) tokens.push({ op: ";" });
  }
  tokens.push(...words(pending));

  const commands: SimpleCommand[] = [];
  let current: string[] = [];
  let writes: string[] = [];
  let redirect: "write" | "read" | undefined;
  let pipeFrom: SimpleCommand | undefined;
  const endCommand = (piped: boolean) => {
    let command: SimpleCommand | undefined;
    if (current.length) {
      command = { words: current.map(unmask), writes, ...(pipeFrom ? { pipedFrom: pipeFrom } : {}) };
      commands.push(command);
    }
    pipeFrom = piped ? command : undefined;
    current = [];
    writes = [];
    redirect = undefined;
  };
  for (const token of tokens) {
    if (typeof token === "object" && "comment" in token) continue;
    if (typeof token === "string" || token.op === "glob") {
      const word = typeof token === "string" ? token : token.pattern;
      if (redirect === "write") writes.push(unmask(word));
      else if (redirect !== "read") current.push(word);
      redirect = undefined;
    } else if (WRITES.has(token.op) || READS.has(token.op)) {
      if (MARKED_DESCRIPTOR.test(current.at(-1) ?? "")) current.pop();
      redirect = WRITES.has(token.op) ? "write" : "read";
    } else {
      endCommand(token.op === "|" || token.op === "|&");
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
