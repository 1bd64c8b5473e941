/**
 * The shape of `moltlab verify`'s answer: one result per evaluation item of the plan
 * (../shared/reference/phase0.md), each with a verdict, the evidence behind it and what
 * would change it. The three writers (Markdown, JSON, HTML) render exactly this.
 */
import type { RangeChart } from "./writers/charts.ts";
import type { MachineFacts } from "../core/machine.ts";
import type { Arch } from "../contract/arch.ts";
import type { InstanceType } from "../contract/instance-types.ts";

export const VERDICTS = ["OK", "OK with constraints", "NG", "unverified"] as const;
export type Verdict = (typeof VERDICTS)[number];

/** Where a piece of evidence came from, and when it was made. */
export interface EvidenceSource {
  /** A repository-relative path (reports/tools-matrix.json), or a description for desk research. */
  path: string;
  /** When the evidence was produced (ISO), null when unknown or not applicable. */
  generatedAt: string | null;
  /**
   * this run: produced while this verify ran; reused: an earlier run's file; static: read from the
   * repository's files now; computed: arithmetic on stated inputs; desk research: public docs, not a test.
   */
  origin: "this run" | "reused" | "static" | "computed" | "desk research" | "missing";
}

export interface Table {
  caption: string;
  header: string[];
  rows: string[][];
}

/** A plan stop criterion that this item's evidence hits: verify exits non-zero. */
export interface StopHit {
  criterion: string;
  detail: string;
}

export interface ItemResult {
  /** The plan's numbering: "0-1" … "0-8", "cost", "latency", "stability". */
  id: string;
  title: string;
  question: string;
  /** The plan's pass criterion, quoted or paraphrased. */
  criterion: string;
  verdict: Verdict;
  /** One line for the summary table. */
  summary: string;
  /** What ran and what was measured, one statement each. */
  evidence: string[];
  /** What would change the verdict. */
  wouldChange: string[];
  sources: EvidenceSource[];
  tables?: Table[];
  charts?: RangeChart[];
  stops?: StopHit[];
  notes?: string[];
  /** Verbatim blocks (configuration the user can copy). */
  code?: { caption: string; text: string /** The Markdown fence's language (default json). */; language?: string }[];
}

/** The plan's header of an item, which the registry (items/registry.ts) gives it. */
export type ItemHeader = Pick<ItemResult, "id" | "title" | "question" | "criterion">;
/** What an item's judge produces: its result without the header. */
export type Judgement = Omit<ItemResult, keyof ItemHeader>;

export interface VerifyOptions {
  arches: Arch[];
  instanceType: InstanceType;
  /** USD per month. */
  budget: number;
  /** Hours per day OpenClaw is in use (the first cost line; a second one uses 8 h). */
  activeHours: number;
  /** Minutes the container stays up after the last request; null = never sleeps (moltworker's default). */
  sleepAfterMinutes: number | null;
  /** Share of the provisioned vCPU actually used while running (0–1), for active-CPU billing. */
  cpuUtilisation: number;
  dockerfile: string | null;
  litellm: string;
  /** A moltworker checkout (its wrangler config, Dockerfile), null: the sample in verify/samples/moltworker. */
  moltworker: string | null;
  /** A secrets inventory (names), null: the sample. */
  secrets: string | null;
  /** The user's openclaw.json, null: the sample. */
  openclawConfig: string | null;
  /** The user's Terraform module folder for item 0-8, null: the sample in verify/samples/terraform. */
  terraform: string | null;
  /** A folder holding the Cloudflare provider (a plugin folder or filesystem mirror), null: the registry. */
  terraformProvider: string | null;
  /** Read the evidence in reports/ instead of re-running the slow tests. */
  reuse: boolean;
}

/** What every item gets to do its work. */
export interface VerifyContext {
  options: VerifyOptions;
  root: string;
  reportsDir: string;
  /** Evidence generated at or after this time counts as "this run". */
  runStartedAt: Date;
  /** A progress line on the console. */
  progress(text: string): void;
}

export interface VerifyReport {
  generatedAt: string;
  machine: MachineFacts;
  options: VerifyOptions;
  /** What verify did to gather evidence: re-ran the slow tests, or reused reports/. */
  evidenceMode: string;
  items: ItemResult[];
  stops: StopHit[];
  exitCode: number;
}
