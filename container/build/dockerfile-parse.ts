/**
 * The instruction structure of a Dockerfile, read with dockerfile-ast (the parser behind VS Code's
 * Dockerfile language server): the `escape` and `syntax` parser directives, continuation lines
 * (comments inside them dropped), flags, ARG/ENV pairs, heredocs (`RUN <<EOF`), stages and their
 * base images with ARG defaults substituted. dockerfile-ast is tolerant (an editor must read a
 * half-written file), so the checks below refuse what BuildKit would refuse, naming the line and
 * the fix, before anything is built or written. The shell inside RUN is split by shell-words.ts.
 */
import { Add, type Arg, type Argument, Copy, DockerfileParser, type Env, From, type Heredoc, Keyword, ModifiableInstruction, Run } from "dockerfile-ast";
import { UserError } from "../../core/errors.ts";

export interface Instruction {
  keyword: string;
  /**
   * The arguments after the keyword and its flags, as written: continuation lines joined with a
   * space, comments inside them dropped, heredoc bodies excluded.
   */
  args: string;
  /** Its `--name=value` flags (`--from`, `--platform`, `--mount`, `--chmod` …); a bare `--link` is "true". */
  flags: Record<string, string>;
  /** ARG and ENV: the pairs it declares, quotes removed (value null: an ARG without a default). */
  properties: { name: string; value: string | null }[];
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

/** Instructions BuildKit refuses without an argument (its errAtLeastOneArgument / errExactlyOneArgument); COPY and ADD need two. */
const NEEDS_AN_ARGUMENT = new Set([
  "ARG",
  "ENV",
  "EXPOSE",
  "HEALTHCHECK",
  "LABEL",
  "MAINTAINER",
  "ONBUILD",
  "SHELL",
  "STOPSIGNAL",
  "USER",
  "VOLUME",
  "WORKDIR",
]);

/** `${NAME}`, `${NAME:-default}` and `$NAME` from `args`; unknown ones left as they are. */
export function substitute(text: string, args: Record<string, string>): string {
  return text.replace(/\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)/g, (whole, braced, fallback, bare) => args[braced ?? bare] ?? fallback ?? whole);
}

export function parseDockerfile(text: string, file = "Dockerfile"): ParsedDockerfile {
  const dockerfile = DockerfileParser.parse(text);
  const lines = text.split(/\r?\n/);
  const escapeChar = dockerfile.getEscapeCharacter();
  let syntax: string | undefined;
  for (const directive of dockerfile.getDirectives()) {
    const name = directive.getName().toLowerCase();
    // dockerfile-ast falls back to `\` for any other escape value; BuildKit refuses the file.
    if (name === "escape" && directive.getValue() !== "\\" && directive.getValue() !== "`")
      throw new DockerfileError(
        file,
        directive.getRange().start.line + 1,
        `escape=${directive.getValue()} is not a valid escape character`,
        "use `# escape=\\` or `# escape=`` ` (backtick)",
      );
    if (name === "syntax") syntax = directive.getValue();
  }
  // dockerfile-ast reports positions; the text between two of them is the source's.
  const textOf = ({ start, end }: { start: { line: number; character: number }; end: { line: number; character: number } }) =>
    start.line === end.line
      ? lines[start.line]!.slice(start.character, end.character)
      : [lines[start.line]!.slice(start.character), ...lines.slice(start.line + 1, end.line), lines[end.line]!.slice(0, end.character)].join("\n");

  // The arguments as written (escapes are the shell's to read, `"a  b"` keeps its spaces): the source
  // between two words on one line, one space where a continuation joins two lines.
  const sourceOf = (words: Argument[]) =>
    words
      .map((word, index) => {
        const previous = words[index - 1]?.getRange().end;
        const { start } = word.getRange();
        const gap = !previous ? "" : previous.line === start.line ? lines[start.line]!.slice(previous.character, start.character) : " ";
        return gap + textOf(word.getRange());
      })
      .join("");

  const instructions: Instruction[] = [];
  const stages: Stage[] = [];
  const globalArgs: Record<string, string> = {};
  for (const node of dockerfile.getInstructions()) {
    const line = node.getRange().start.line + 1;
    const keyword = node.getKeyword();
    if (!(Object.values(Keyword) as string[]).includes(keyword))
      throw new DockerfileError(
        file,
        line,
        `unknown instruction ${node.getInstruction()}`,
        `use one of ${Object.values(Keyword).join(", ")} (a line that continues the one before needs \`${escapeChar}\` at the end of that line)`,
      );
    // ADD reads heredocs as COPY does; dockerfile-ast 0.7.1 just leaves its accessor protected.
    const heredocs: Heredoc[] = node instanceof Run || node instanceof Copy || node instanceof Add ? (node as Run).getHeredocs() : [];
    for (const heredoc of heredocs)
      if (!heredoc.getDelimiterRange())
        throw new DockerfileError(
          file,
          line,
          `the heredoc <<${heredoc.getName()} is never closed`,
          `end it with a line that is exactly \`${heredoc.getName()}\``,
        );
    // The last line that is not a comment or blank: dockerfile-ast ends the instruction at the end of the file.
    const lastLine = node
      .getTextContent()
      .split(/\r?\n/)
      .filter((text, index) => index === 0 || !/^\s*(#|$)/.test(text))
      .at(-1)!;
    if (!heredocs.length && lastLine.trimEnd().endsWith(escapeChar))
      throw new DockerfileError(
        file,
        line,
        "the instruction ends in a line continuation but the file ends",
        `remove the trailing \`${escapeChar}\` or finish the instruction`,
      );
    // Heredoc bodies are not arguments: keep the words before the first body.
    const bodyStart = heredocs[0]?.getContentRange()?.start ?? heredocs[0]?.getDelimiterRange()?.start;
    const argumentsBeforeBodies = node.getArguments().filter((word) => !bodyStart || word.getRange().start.line < bodyStart.line);
    const words = argumentsBeforeBodies.map((word) => word.getValue());
    const needsTwo = keyword === "COPY" || keyword === "ADD";
    if (words.length < (needsTwo ? 2 : NEEDS_AN_ARGUMENT.has(keyword) ? 1 : 0))
      throw new DockerfileError(
        file,
        line,
        `${keyword} needs ${needsTwo ? "a source and a destination" : "an argument"}`,
        `see https://docs.docker.com/reference/dockerfile/#${keyword.toLowerCase()} for its form`,
      );
    const flags: Record<string, string> = {};
    if (node instanceof ModifiableInstruction) for (const flag of node.getFlags()) flags[flag.getName()] = flag.getValue() ?? "true";
    const properties =
      keyword === "ARG" || keyword === "ENV"
        ? (node as Arg | Env).getProperties().map((property) => ({ name: property.getName(), value: property.getValue() }))
        : [];

    if (node instanceof From) {
      const image = node.getImage();
      if (!image) throw new DockerfileError(file, line, "FROM names no image", "write `FROM <image>[:tag] [AS name]`");
      if (words.length === 2 && words[1]!.toUpperCase() === "AS")
        throw new DockerfileError(file, line, "FROM … AS has no stage name", "write `FROM <image> AS <name>`");
      if (words.length !== 1 && !(words.length === 3 && words[1]!.toUpperCase() === "AS"))
        throw new DockerfileError(file, line, `FROM ${words.join(" ")} is not an image with an optional stage name`, "write `FROM <image>[:tag] [AS name]`");
      stages.push({ index: stages.length, name: node.getBuildStage() ?? "", from: substitute(image, globalArgs), line });
    } else if (!stages.length && keyword !== "ARG") {
      throw new DockerfileError(file, line, `${keyword} comes before the first FROM`, "start the Dockerfile with `FROM <image>` (only ARG may come before it)");
    }
    // An ARG without a default stays a reference (BuildKit fills TARGETARCH and the like per platform).
    if (keyword === "ARG" && !stages.length) for (const { name, value } of properties) if (value !== null) globalArgs[name] = value;
    instructions.push({
      keyword,
      args: sourceOf(argumentsBeforeBodies),
      flags,
      properties,
      heredocs: heredocs.map((heredoc) => {
        const body = heredoc.getContentRange();
        return body ? textOf(body) : "";
      }),
      line,
      stage: stages.length - 1,
    });
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
  for (const instruction of instructions)
    if ((instruction.keyword === "COPY" || instruction.keyword === "ADD") && instruction.flags.from) need(substitute(instruction.flags.from, globalArgs));
  return { instructions, stages, globalArgs, baseImages, ...(syntax ? { syntax } : {}) };
}
