/**
 * The one registry of the plan's evaluation items (../shared/reference/phase0.md), in its
 * order; cost and latency are its Phase 2 numbers. Each entry declares the item's header
 * (id, title, the question and criterion the report prints), the evidence files in reports/
 * it reads, and the judge that turns them into a verdict, summary, evidence, what would
 * change it, sources, tables and charts. The runner (../index.ts) iterates ITEMS; the header
 * lives here and nowhere else.
 */
import { readEvidence, type Evidence } from "../evidence.ts";
import { EVIDENCE_FILES, type EvidenceFile } from "../evidence-files.ts";
import type { ItemResult, Judgement, VerifyContext, VerifyOptions } from "../types.ts";
import { LATENCY_SLOPE_LIMIT_PERCENT_PER_HOUR, PLAN_SOAK_HOURS, RSS_SLOPE_LIMIT_MIB_PER_HOUR } from "../soak-trend.ts";
import { judgeArchitectureItem } from "./architecture.ts";
import { judgeColdStartItem } from "./cold-start.ts";
import { judgeCostItem, usd } from "./cost.ts";
import { judgeDindItem } from "./dind.ts";
import { judgeLatencyItem } from "./latency.ts";
import { judgeLitellmItem } from "./litellm.ts";
import { judgeMigrationItem } from "./migration.ts";
import { judgeParityItem, PARITY_GOAL_PERCENT } from "./parity.ts";
import { judgePersistenceItem } from "./persistence.ts";
import { judgeStabilityItem } from "./stability.ts";
import { structureItem } from "./structure.ts";
import { judgeTerraformItem } from "./terraform.ts";
import { judgeToolsItem } from "./tools.ts";

/** A header text: fixed, or depending on the options (the budget). */
type Text = string | ((options: VerifyOptions) => string);

/** One item as declared: R names the evidence files it reads and their shapes. */
export interface ItemSpec<R extends Record<string, { generatedAt?: string }>> {
  id: string;
  title: string;
  question: Text;
  /** The plan's pass criterion, quoted or paraphrased. */
  criterion: Text;
  /** The evidence files it reads; the judge gets each one read (its data, or the problem) under the same name. */
  reads: { readonly [K in keyof R]: EvidenceFile<R[K]> };
  /** A property, not a method, so that its evidence parameter is checked against `reads` strictly. */
  judge: (ctx: VerifyContext, evidence: { [K in keyof R]: Evidence<R[K]> }) => Judgement | Promise<Judgement>;
}

/** An item as the runner sees it. */
export interface Item {
  readonly id: string;
  readonly title: string;
  readonly question: Text;
  readonly criterion: Text;
  /** The evidence files it reads (reports/<name>.json). */
  readonly reads: readonly string[];
  /** Reads its evidence and judges it. */
  judge(ctx: VerifyContext): Promise<Judgement>;
}

function defineItem<R extends Record<string, { generatedAt?: string }>>(spec: ItemSpec<R>): Item {
  const files = Object.entries(spec.reads) as [keyof R & string, EvidenceFile<R[keyof R]>][];
  return {
    id: spec.id,
    title: spec.title,
    question: spec.question,
    criterion: spec.criterion,
    reads: files.map(([, file]) => file.json),
    judge: async (ctx) =>
      spec.judge(ctx, Object.fromEntries(files.map(([name, file]) => [name, readEvidence(ctx, file)])) as { [K in keyof R]: Evidence<R[K]> }),
  };
}

/** A whole result from a module that still returns its own header: the registry's header wins. */
function withoutHeader({ id: _id, title: _title, question: _question, criterion: _criterion, ...judgement }: ItemResult): Judgement {
  return judgement;
}

export const ITEMS: readonly Item[] = [
  defineItem({
    id: "0-1",
    title: "Structure",
    question: "What does a moltworker-style deployment consist of?",
    criterion: "Structure understood: worker/ and container/ are the executable answer",
    reads: {},
    judge: (ctx) => withoutHeader(structureItem(ctx)),
  }),
  defineItem({
    id: "0-2",
    title: "Custom tools",
    question: "Do the user's custom tools fit the container? (Phase 2: at least 80% work)",
    criterion: "ghq, gwq, mcp-grafana, babashka, Codex CLI, gh, docker CLI, Claude Code installable and working on linux/amd64",
    reads: { matrix: EVIDENCE_FILES.toolsMatrix },
    judge: judgeToolsItem,
  }),
  defineItem({
    id: "0-3",
    title: "Docker-in-Docker",
    question: "Can Docker-in-Docker run inside the sandbox? If not, what can exec-style tools replace?",
    criterion: "Can dockerd start in the container? If not, what works instead",
    reads: { dind: EVIDENCE_FILES.dind, matrix: EVIDENCE_FILES.toolsMatrix },
    judge: judgeDindItem,
  }),
  defineItem({
    id: "0-4",
    title: "CPU architecture",
    question: "Do the image and every tool build and run on linux/amd64 (Cloudflare), and still on arm64 (the user's boards)?",
    criterion: "The image and every tool build and run on amd64 (and still on arm64)",
    reads: { matrix: EVIDENCE_FILES.toolsMatrix },
    judge: judgeArchitectureItem,
  }),
  defineItem({
    id: "0-5",
    title: "LiteLLM → AI Gateway",
    question: "Can AI Gateway replace LiteLLM? Is each route expressible, and what is lost?",
    criterion: "Each LiteLLM route expressible via AI Gateway; list what is lost (budgets, prompt-cache injection, fallbacks)",
    reads: {},
    judge: judgeLitellmItem,
  }),
  defineItem({
    id: "0-6",
    title: "Persistence through R2",
    question: "Does state persist through R2 across container restarts?",
    criterion: "Repo caches (ghq), OpenClaw config/sessions/memory and tool configs survive container restarts",
    reads: { persistence: EVIDENCE_FILES.persistence, bench: EVIDENCE_FILES.bench, torture: EVIDENCE_FILES.torture },
    judge: judgePersistenceItem,
  }),
  defineItem({
    id: "0-7",
    title: "Cold start → chat",
    question: "Does the whole flow work locally: cold start → OpenClaw boot → chat reply, and how long does it take?",
    criterion: "The full chain works, with cold-start time measured",
    reads: { chat: EVIDENCE_FILES.chat, matrix: EVIDENCE_FILES.toolsMatrix, bench: EVIDENCE_FILES.bench, persistence: EVIDENCE_FILES.persistence },
    judge: judgeColdStartItem,
  }),
  defineItem({
    id: "0-8",
    title: "Terraform",
    question: "What can Terraform manage? (Cloudflare Terraform provider v5)",
    criterion: "DNS, Access, R2 bucket, AI Gateway: yes/no each; Worker script yes; container binding unverified",
    reads: {},
    judge: judgeTerraformItem,
  }),
  defineItem({
    id: "migration",
    title: "Your config and deployment",
    question: "Does an existing moltworker deployment, its secrets and its openclaw.json carry over to the kit?",
    criterion:
      "Each part of the deployment carries over or has a stated change; each secret name mapped (Worker secret, AI Gateway setting, container-only, not needed); every openclaw.json value the supervisor replaces reported",
    reads: {},
    judge: judgeMigrationItem,
  }),
  defineItem({
    id: "parity",
    title: "Feature parity",
    question: "Phase 2: do the features you use today (channels, MCP servers, plugins, scheduled work, your image's tools) work on the kit's stack?",
    criterion: `At least ${PARITY_GOAL_PERCENT} % of today's features shown working (stop when the ones not possible leave less)`,
    reads: { wake: EVIDENCE_FILES.wake, discord: EVIDENCE_FILES.discord, jobs: EVIDENCE_FILES.jobs, matrix: EVIDENCE_FILES.toolsMatrix },
    judge: judgeParityItem,
  }),
  defineItem({
    id: "cost",
    title: "Cost",
    question: (options) => `Phase 2: does it stay within the budget of ${usd(options.budget)}/month (stop above)?`,
    criterion: (options) => `At most ${usd(options.budget)}/month`,
    reads: { bench: EVIDENCE_FILES.bench },
    judge: judgeCostItem,
  }),
  defineItem({
    id: "latency",
    title: "Latency through the Worker",
    question: "Phase 2: is the Cloudflare path within 2x of direct access (stop at 3x)?",
    criterion: "Worker-proxied latency ≤ 2x direct (stop above 3x); locally: Worker → container vs container directly",
    reads: { bench: EVIDENCE_FILES.bench },
    judge: judgeLatencyItem,
  }),
  defineItem({
    id: "stability",
    title: "Stability",
    question: "Phase 2: does it run 24 h continuously? (locally: a soak with bounded request loops)",
    criterion: `No crash, every wake after sleepAfter restores the state, memory and latency do not trend upward (RSS ≤ ${RSS_SLOPE_LIMIT_MIB_PER_HOUR} MiB/h, p50 latency ≤ ${LATENCY_SLOPE_LIMIT_PERCENT_PER_HOUR} %/h), over ${PLAN_SOAK_HOURS} h`,
    reads: { soak: EVIDENCE_FILES.soak },
    judge: judgeStabilityItem,
  }),
];

/** The item with this id (the plan's numbering). */
export function itemById(id: string): Item {
  const item = ITEMS.find((candidate) => candidate.id === id);
  if (!item) throw new Error(`no item ${id}; items: ${ITEMS.map((candidate) => candidate.id).join(", ")}`);
  return item;
}

const text = (value: Text, options: VerifyOptions) => (typeof value === "function" ? value(options) : value);

/** One item's result: its header from the registry, then its judgement. */
export async function judgeItem(item: Item, ctx: VerifyContext): Promise<ItemResult> {
  const judgement = await item.judge(ctx);
  return { id: item.id, title: item.title, question: text(item.question, ctx.options), criterion: text(item.criterion, ctx.options), ...judgement };
}
