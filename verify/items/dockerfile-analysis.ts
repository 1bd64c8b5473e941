/**
 * Static analysis of a user's own Dockerfile: which of the known tools (the image's
 * manifest, container/tools/manifest.ts) its RUN/COPY/ADD/FROM lines install, what else it
 * installs that the manifest does not cover, and which base images it needs. Nothing runs.
 */
import { TOOLS } from "../../container/tools/manifest.ts";

export interface Instruction {
  keyword: string;
  /** The instruction with continuation lines joined. */
  text: string;
  /** 1-based line where it starts. */
  line: number;
}

export interface ToolHit {
  tool: string;
  line: number;
  /** The matched fragment, e.g. "go install github.com/x-motemen/ghq@v1.8.1". */
  how: string;
}

export interface DockerfileAnalysis {
  instructions: Instruction[];
  /** External images in FROM lines (stage names and scratch excluded), ARG defaults substituted. */
  baseImages: string[];
  /** Known tools found, first occurrence each. */
  tools: ToolHit[];
  /** Installs that match no known tool: apt packages, npm/go/pip packages, downloads. */
  others: { line: number; what: string }[];
}

/** Joins backslash continuations and drops comments; keeps the starting line of each instruction. */
export function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let current: Instruction | null = null;
  text.split("\n").forEach((raw, index) => {
    const line = raw.replace(/\r$/, "");
    if (!current && (/^\s*#/.test(line) || line.trim() === "")) return;
    if (current && /^\s*#/.test(line)) return;
    const continues = /\\\s*$/.test(line);
    const body = line.replace(/\\\s*$/, "").trim();
    if (!current) {
      const keyword = /^(\w+)/.exec(body)?.[1]?.toUpperCase() ?? "";
      current = { keyword, text: body, line: index + 1 };
    } else {
      current.text += ` ${body}`;
    }
    if (!continues) {
      instructions.push(current);
      current = null;
    }
  });
  if (current) instructions.push(current);
  return instructions;
}

/** How each known tool shows up in a Dockerfile. Keys are manifest tool names. */
const TOOL_PATTERNS: Record<string, RegExp[]> = {
  openclaw: [/npm\s+(?:i|install)\b[^&;|]*\sopenclaw(@\S+)?(\s|$)/, /\bFROM\s+\S*openclaw\/openclaw\S*/i],
  codex: [/@openai\/codex\S*/],
  claude: [/@anthropic-ai\/claude-code\S*/, /claude\.ai\/install\.sh/],
  ghq: [/github\.com\/x-motemen\/ghq\S*/, /\/ghq(\s|$)/],
  gwq: [/github\.com\/d-kuro\/gwq\S*/, /\/gwq(\s|$)/],
  "mcp-grafana": [/github\.com\/grafana\/mcp-grafana\S*/, /\/mcp-grafana(\s|$)/],
  babashka: [/babashka[\w./-]*/, /\/usr\/local\/bin\/bb(\s|$)/],
  docker: [/\bapt(?:-get)?\s+install\b[^&;|]*\s(docker-ce-cli|docker\.io|docker-cli)(\s|$)/, /download\.docker\.com\S*/, /--from=docker(:\S+)?\s/],
  git: [/\bapt(?:-get)?\s+install\b[^&;|]*\s(git)(\s|$)/],
  gh: [/\bapt(?:-get)?\s+install\b[^&;|]*\s(gh)(\s|$)/, /cli\.github\.com\S*/],
  jq: [/\bapt(?:-get)?\s+install\b[^&;|]*\s(jq)(\s|$)/, /jqlang\/jq\S*/],
};

/** apt packages that are plumbing, not tools worth listing. */
const PLUMBING = new Set([
  "ca-certificates",
  "curl",
  "wget",
  "gnupg",
  "lsb-release",
  "apt-transport-https",
  "tini",
  "unzip",
  "xz-utils",
  "tar",
  "gzip",
  "procps",
  "sudo",
  "build-essential",
  "make",
  "gcc",
  "locales",
  "tzdata",
  "openssh-client",
]);

function substitute(text: string, args: Record<string, string>): string {
  return text.replace(/\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)/g, (whole, braced, fallback, bare) => args[braced ?? bare] ?? fallback ?? whole);
}

export function analyseDockerfile(text: string): DockerfileAnalysis {
  const instructions = parseDockerfile(text);
  const args: Record<string, string> = {};
  const stages = new Set<string>();
  const baseImages: string[] = [];
  const tools: ToolHit[] = [];
  const others: DockerfileAnalysis["others"] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === "ARG") {
      const match = /^ARG\s+(\w+)=("?)(.*)\2$/i.exec(instruction.text);
      if (match) args[match[1]!] = match[3]!;
      continue;
    }
    if (instruction.keyword === "FROM") {
      const parts = instruction.text
        .split(/\s+/)
        .slice(1)
        .filter((part) => !part.startsWith("--"));
      const image = substitute(parts[0] ?? "", args);
      if (image && image !== "scratch" && !stages.has(image) && !baseImages.includes(image)) baseImages.push(image);
      const as = parts.findIndex((part) => part.toUpperCase() === "AS");
      if (as >= 0 && parts[as + 1]) stages.add(parts[as + 1]!);
    }
    if (!["RUN", "COPY", "ADD", "FROM"].includes(instruction.keyword)) continue;
    const text = substitute(instruction.text, args);
    const matchedHere: string[] = [];
    for (const [tool, patterns] of Object.entries(TOOL_PATTERNS)) {
      for (const pattern of patterns) {
        const match = pattern.exec(text);
        if (!match) continue;
        // An apt match spans the whole install command: name just the package.
        const how = /^apt/.test(match[0]) && match[1] ? `apt-get install ${match[1]}` : match[0].trim();
        matchedHere.push(how);
        if (!tools.some((hit) => hit.tool === tool)) tools.push({ tool, line: instruction.line, how });
        break;
      }
    }
    if (instruction.keyword !== "RUN") continue;
    for (const match of text.matchAll(/\bapt(?:-get)?\s+install\s+([^&;|]+)/g)) {
      for (const pkg of match[1]!.split(/\s+/).filter((word) => word && !word.startsWith("-") && !word.startsWith("$"))) {
        const name = pkg.split("=")[0]!;
        if (PLUMBING.has(name) || ["git", "gh", "jq", "docker.io", "docker-ce-cli", "docker-cli"].includes(name)) continue;
        others.push({ line: instruction.line, what: `apt package ${name}` });
      }
    }
    for (const match of text.matchAll(/\bgo\s+install\s+(\S+)/g)) {
      if (!matchedHere.some((hit) => match[1]!.includes(hit) || hit.includes(match[1]!.split("@")[0]!)))
        others.push({ line: instruction.line, what: `go module ${match[1]}` });
    }
    for (const match of text.matchAll(/\bnpm\s+(?:i|install)\s+((?:-\S+\s+)*)([^&;|]+)/g)) {
      for (const pkg of match[2]!.split(/\s+/).filter((word) => word && !word.startsWith("-"))) {
        if (!matchedHere.some((hit) => hit.includes(pkg) || pkg.includes(hit)) && !/^openclaw(@|$)/.test(pkg))
          others.push({ line: instruction.line, what: `npm package ${pkg}` });
      }
    }
    for (const match of text.matchAll(/\b(?:pip3?|pipx|uv\s+tool)\s+install\s+((?:-\S+\s+)*)([^&;|]+)/g)) {
      for (const pkg of match[2]!.split(/\s+/).filter((word) => word && !word.startsWith("-")))
        others.push({ line: instruction.line, what: `Python package ${pkg}` });
    }
  }
  const known = new Set(TOOLS.map((tool) => tool.name));
  return { instructions, baseImages, tools: tools.filter((hit) => known.has(hit.tool)), others };
}
