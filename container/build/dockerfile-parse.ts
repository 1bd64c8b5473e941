/**
 * The instruction structure of a Dockerfile, as BuildKit's parser sees it: the `escape`
 * parser directive, continuation lines (comments inside them dropped), heredocs (`RUN <<EOF`),
 * stages and their base images with ARG defaults substituted. A file BuildKit would refuse is
 * refused here too, naming the line and the fix, before anything is built or written.
 *
 * Hand-written: the only maintained parser (dockerfile-ast, MIT) is not a dependency of the
 * project yet, and the grammar at this level is small; the shell inside RUN is split by
 * shell-words.ts.
 */
import { UserError } from "../../core/errors.ts";

export const INSTRUCTIONS = [
  "ADD",
  "ARG",
  "CMD",
  "COPY",
  "ENTRYPOINT",
  "ENV",
  "EXPOSE",
  "FROM",
  "HEALTHCHECK",
  "LABEL",
  "MAINTAINER",
  "ONBUILD",
  "RUN",
  "SHELL",
  "STOPSIGNAL",
  "USER",
  "VOLUME",
  "WORKDIR",
] as const;

export interface Instruction {
  keyword: string;
  /** Everything after the keyword, continuation lines joined with a space (heredoc bodies excluded). */
  args: string;
  /** Heredoc bodies in order (`RUN <<EOF` … `EOF`): the shell script they hold. */
  heredocs: string[];
  /** 1-based line where it starts. */
  line: number;
  /** 0-based index of its build stage (-1: the ARGs before the first FROM). */
  stage: number;
}

export interface Stage {
  index: number;
  /** `AS name`, or "" */
  name: string;
  /** The FROM reference, ARG defaults substituted. */
  from: string;
  line: number;
}

export interface ParsedDockerfile {
  instructions: Instruction[];
  stages: Stage[];
  /** ARG defaults declared before the first FROM (the ones FROM lines may use). */
  globalArgs: Record<string, string>;
  /** Images the build needs from the engine: FROM and `COPY --from=<image>` references that are not stages or scratch, and a `# syntax=` frontend. */
  baseImages: string[];
  /** The `# syntax=` directive's frontend image, if any: BuildKit pulls it before reading the file. */
  syntax?: string;
}

export class DockerfileError extends UserError {
  override name = "DockerfileError";
  readonly file: string;
  readonly line: number;
  constructor(file: string, line: number, problem: string, fix: string) {
    super(`${file}:${line}: ${problem}`, fix);
    this.file = file;
    this.line = line;
  }
}

/** `${NAME}`, `${NAME:-default}` and `$NAME` from `args`; unknown ones left as they are. */
export function substitute(text: string, args: Record<string, string>): string {
  return text.replace(/\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)/g, (whole, braced, fallback, bare) => args[braced ?? bare] ?? fallback ?? whole);
}

/** Flags like `--from=x`, `--platform=y` at the start of COPY/ADD/FROM/RUN args. */
export function splitFlags(args: string): { flags: Record<string, string>; rest: string[] } {
  const words = args.split(/\s+/).filter(Boolean);
  const flags: Record<string, string> = {};
  while (words[0]?.startsWith("--")) {
    const [key, value = "true"] = words.shift()!.slice(2).split(/=(.*)/s);
    flags[key!] = value;
  }
  return { flags, rest: words };
}

export function parseDockerfile(text: string, file = "Dockerfile"): ParsedDockerfile {
  const lines = text.split("\n").map((line) => line.replace(/\r$/, ""));
  let escapeChar = "\\";
  let syntax: string | undefined;
  // Parser directives: `# key=value` lines at the very top, before any comment, blank line or instruction.
  for (const line of lines) {
    const directive = /^#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*$/.exec(line);
    if (!directive) break;
    if (directive[1]!.toLowerCase() === "escape") {
      if (directive[2] !== "\\" && directive[2] !== "`")
        throw new DockerfileError(
          file,
          lines.indexOf(line) + 1,
          `escape=${directive[2]} is not a valid escape character`,
          "use `# escape=\\` or `# escape=`` ` (backtick)",
        );
      escapeChar = directive[2]!;
    }
    if (directive[1]!.toLowerCase() === "syntax") syntax = directive[2]!;
  }
  const continues = (line: string) => line.trimEnd().endsWith(escapeChar);
  const dropEscape = (line: string) => line.trimEnd().slice(0, -escapeChar.length).trimEnd();

  const instructions: Instruction[] = [];
  const stages: Stage[] = [];
  const globalArgs: Record<string, string> = {};
  let i = 0;
  while (i < lines.length) {
    const start = i;
    const first = lines[i]!;
    i++;
    if (first.trim() === "" || /^\s*#/.test(first)) continue;
    let joined = first;
    while (continues(joined)) {
      joined = dropEscape(joined);
      // Comment lines inside a continuation are dropped; blank ones too (BuildKit warns, still builds).
      while (i < lines.length && (/^\s*#/.test(lines[i]!) || lines[i]!.trim() === "")) i++;
      if (i >= lines.length)
        throw new DockerfileError(
          file,
          start + 1,
          "the instruction ends in a line continuation but the file ends",
          `remove the trailing \`${escapeChar}\` or finish the instruction`,
        );
      joined += ` ${lines[i]!.trim()}`;
      i++;
    }
    const match = /^\s*(\S+)\s*(.*)$/.exec(joined)!;
    const keyword = match[1]!.toUpperCase();
    const args = match[2]!.trim();
    if (!(INSTRUCTIONS as readonly string[]).includes(keyword))
      throw new DockerfileError(
        file,
        start + 1,
        `unknown instruction ${match[1]}`,
        `use one of ${INSTRUCTIONS.join(", ")} (a line that continues the one before needs \`${escapeChar}\` at the end of that line)`,
      );
    // Heredocs: each `<<[-]WORD` (quoted or not) opens a body that ends at a line that is WORD.
    const heredocs: string[] = [];
    if (["RUN", "COPY", "ADD"].includes(keyword)) {
      for (const doc of args.matchAll(/<<(-?)(["']?)([A-Za-z_][\w-]*)\2/g)) {
        const strip = doc[1] === "-";
        const word = doc[3]!;
        const body: string[] = [];
        while (i < lines.length && (strip ? lines[i]!.replace(/^\t+/, "") : lines[i]!) !== word) body.push(lines[i++]!);
        if (i >= lines.length)
          throw new DockerfileError(file, start + 1, `the heredoc <<${word} is never closed`, `end it with a line that is exactly \`${word}\``);
        i++;
        heredocs.push(body.join("\n"));
      }
    }
    if (keyword === "FROM") {
      const { rest } = splitFlags(args);
      if (!rest[0]) throw new DockerfileError(file, start + 1, "FROM names no image", "write `FROM <image>[:tag] [AS name]`");
      const as = rest.findIndex((word) => word.toUpperCase() === "AS");
      if (as >= 0 && !rest[as + 1]) throw new DockerfileError(file, start + 1, "FROM … AS has no stage name", "write `FROM <image> AS <name>`");
      stages.push({ index: stages.length, name: as >= 0 ? rest[as + 1]! : "", from: substitute(rest[0], globalArgs), line: start + 1 });
    } else if (!stages.length && keyword !== "ARG") {
      throw new DockerfileError(
        file,
        start + 1,
        `${keyword} comes before the first FROM`,
        "start the Dockerfile with `FROM <image>` (only ARG may come before it)",
      );
    }
    if (keyword === "ARG" && !stages.length) {
      // An ARG without a default stays a reference (BuildKit fills TARGETARCH and the like per platform).
      for (const [, name, value] of args.matchAll(/(\w+)(?:=("[^"]*"|'[^']*'|\S*))?/g))
        if (value !== undefined) globalArgs[name!] = value.replace(/^(["'])(.*)\1$/, "$2");
    }
    instructions.push({ keyword, args, heredocs, line: start + 1, stage: stages.length - 1 });
  }
  if (!stages.length) throw new DockerfileError(file, 1, "there is no FROM instruction", "start the Dockerfile with `FROM <image>`");

  const stageNames = new Set(stages.map((stage) => stage.name).filter(Boolean));
  const isStage = (ref: string) => stageNames.has(ref) || /^\d+$/.test(ref);
  const baseImages: string[] = [];
  const need = (image: string) => {
    if (image && image !== "scratch" && !isStage(image) && !baseImages.includes(image)) baseImages.push(image);
  };
  if (syntax) need(syntax);
  for (const stage of stages) need(stage.from);
  for (const instruction of instructions) {
    if (instruction.keyword !== "COPY" && instruction.keyword !== "ADD") continue;
    const from = splitFlags(instruction.args).flags.from;
    if (from) need(substitute(from, globalArgs));
  }
  return { instructions, stages, globalArgs, baseImages, ...(syntax ? { syntax } : {}) };
}
