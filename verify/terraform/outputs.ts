/**
 * Reads what OpenTofu and Terraform print in their machine-readable forms — `validate -json`,
 * the UI lines of `plan -json` / `apply -json` / `destroy -json`, and `show -json` of a saved
 * plan or of the state — and turns one run into a line per resource: created, drifts (and
 * which attributes), failed, or not supported by the emulator. The formats are the tools'
 * documented JSON output (format_version 1.x, UI version 1.x), the same in both tools.
 */

type Json = Record<string, unknown>;
const asObject = (value: unknown): Json => (value && typeof value === "object" && !Array.isArray(value) ? (value as Json) : {});

export interface Diagnostic {
  severity: "error" | "warning";
  summary: string;
  detail: string;
  /** The resource address it is about, when the tool says. */
  address: string | null;
  /** file:line, when the tool says. */
  place: string | null;
}

function diagnostic(value: unknown): Diagnostic {
  const raw = asObject(value);
  const range = asObject(raw.range);
  const start = asObject(range.start);
  return {
    severity: raw.severity === "warning" ? "warning" : "error",
    summary: String(raw.summary ?? ""),
    detail: String(raw.detail ?? ""),
    address: typeof raw.address === "string" ? raw.address : null,
    place: typeof range.filename === "string" ? `${range.filename}:${String(start.line ?? "?")}` : null,
  };
}

/** `validate -json`: whether it is valid and the diagnostics. */
export function parseValidateJson(text: string): { valid: boolean; diagnostics: Diagnostic[] } {
  const parsed = asObject(JSON.parse(text));
  return { valid: parsed.valid === true, diagnostics: (Array.isArray(parsed.diagnostics) ? parsed.diagnostics : []).map(diagnostic) };
}

/** The UI lines of `plan|apply|destroy -json` (one JSON object a line; anything else skipped). */
export interface UiRun {
  /** Addresses whose apply (create/update/delete) completed. */
  completed: string[];
  /** Addresses whose apply failed. */
  errored: string[];
  diagnostics: Diagnostic[];
  /** The closing change_summary: add / change / import / remove. */
  summary: { add: number; change: number; import: number; remove: number } | null;
}

export function parseUiLines(text: string): UiRun {
  const run: UiRun = { completed: [], errored: [], diagnostics: [], summary: null };
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    let message: Json;
    try {
      message = asObject(JSON.parse(line));
    } catch {
      continue;
    }
    const address = String(asObject(asObject(message.hook).resource).addr ?? "");
    if (message.type === "apply_complete" && address) run.completed.push(address);
    else if (message.type === "apply_errored" && address) run.errored.push(address);
    else if (message.type === "diagnostic") run.diagnostics.push(diagnostic(message.diagnostic));
    else if (message.type === "change_summary") {
      const changes = asObject(message.changes);
      run.summary = {
        add: Number(changes.add ?? 0),
        change: Number(changes.change ?? 0),
        import: Number(changes.import ?? 0),
        remove: Number(changes.remove ?? 0),
      };
    }
  }
  return run;
}

export interface PlannedChange {
  address: string;
  type: string;
  /** ["create"], ["no-op"], ["update"], ["delete", "create"] … */
  actions: string[];
  /** Top-level attributes whose planned value differs from the current one (unknown ones included). */
  changedAttributes: string[];
  /** The plan imports this resource (an import block). */
  importing: boolean;
}

function changedAttributes(change: Json): string[] {
  const before = asObject(change.before);
  const after = asObject(change.after);
  const unknown = asObject(change.after_unknown);
  const keys = new Set([...Object.keys(before), ...Object.keys(after), ...Object.keys(unknown)]);
  return [...keys].filter((key) => unknown[key] === true || JSON.stringify(before[key] ?? null) !== JSON.stringify(after[key] ?? null)).sort();
}

/** `show -json <planfile>`: the managed resources' planned changes. */
export function parsePlanJson(text: string): PlannedChange[] {
  const plan = asObject(JSON.parse(text));
  const changes = Array.isArray(plan.resource_changes) ? plan.resource_changes.map(asObject) : [];
  return changes
    .filter((change) => change.mode === "managed")
    .map((entry) => {
      const change = asObject(entry.change);
      const actions = Array.isArray(change.actions) ? change.actions.map(String) : [];
      return {
        address: String(entry.address),
        type: String(entry.type),
        actions,
        changedAttributes: actions.includes("no-op") || actions.includes("read") ? [] : changedAttributes(change),
        importing: change.importing !== undefined,
      };
    });
}

/** `show -json` of the state: every managed resource's address, child modules included. */
export function parseStateJson(text: string): string[] {
  const state = asObject(JSON.parse(text));
  const addresses: string[] = [];
  const walk = (module: Json) => {
    for (const resource of Array.isArray(module.resources) ? module.resources.map(asObject) : [])
      if (resource.mode === "managed") addresses.push(String(resource.address));
    for (const child of Array.isArray(module.child_modules) ? module.child_modules.map(asObject) : []) walk(child);
  };
  walk(asObject(asObject(state.values).root_module));
  return addresses;
}

export type ResourceOutcome = "created" | "imported" | "drifts" | "failed" | "not supported by the emulator" | "not applied";

export interface ResourceLine {
  address: string;
  outcome: ResourceOutcome;
  detail: string;
}

/** The emulator answers a route it does not serve with Cloudflare's 7000 "No route for that URI". */
const EMULATOR_GAP = /No route for that URI|\b7000\b|\b404\b/;

/**
 * One line per resource of the first plan, from the apply's UI lines, the state after it and the
 * second plan (which must be "no changes"). `secondPlan` is null when the run stopped before it.
 */
export function resourceOutcomes(firstPlan: PlannedChange[], apply: UiRun | null, state: string[] | null, secondPlan: PlannedChange[] | null): ResourceLine[] {
  const inState = new Set(state ?? []);
  const again = new Map((secondPlan ?? []).map((change) => [change.address, change]));
  return firstPlan.map(({ address, importing }) => {
    const problem = apply?.diagnostics.find((entry) => entry.severity === "error" && entry.address === address);
    if (apply?.errored.includes(address) || problem) {
      const why = problem ? `${problem.summary}${problem.detail ? `: ${problem.detail.split("\n")[0]}` : ""}` : "apply failed";
      return { address, outcome: EMULATOR_GAP.test(why) ? "not supported by the emulator" : "failed", detail: why };
    }
    if (!inState.has(address)) return { address, outcome: "not applied", detail: apply ? "not in the state after apply" : "the run stopped before apply" };
    const next = again.get(address);
    if (next && !next.actions.every((action) => action === "no-op" || action === "read"))
      return { address, outcome: "drifts", detail: `plan again: ${next.actions.join("+")} of ${next.changedAttributes.join(", ") || "(no attribute named)"}` };
    if (!secondPlan) return { address, outcome: "created", detail: "in the state; not planned again (the run stopped)" };
    return { address, outcome: importing ? "imported" : "created", detail: "in the state, and the second plan has no changes for it" };
  });
}
