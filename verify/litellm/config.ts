/**
 * Reads a LiteLLM proxy config.yaml: its model_list routes and every setting, each with the
 * line it is on, so the report can point at the exact line a lost feature comes from.
 * Key values are never kept: `os.environ/NAME` references keep only NAME, literal keys are
 * flagged and masked wherever a line is quoted.
 */
import { readFileSync } from "node:fs";
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from "yaml";
import { UserError } from "../../core/errors.ts";

export interface LitellmRoute {
  /** model_name: what clients ask for. */
  modelName: string;
  /** litellm_params.model: `provider/model` as LiteLLM routes it. */
  model: string;
  apiBase?: string;
  /** The variable named by `api_key: os.environ/NAME`. */
  apiKeyEnv?: string;
  /** An api_key written into the file itself (its value is not kept). */
  apiKeyLiteral: boolean;
  /** litellm_params keys other than model/api_base/api_key. */
  extraParams: string[];
  line: number;
}

/** Every key in the file: `router_settings.fallbacks`, `model_list[].litellm_params.rpm`, … */
export interface ConfigKey {
  path: string;
  line: number;
}

export interface LitellmConfig {
  path: string;
  routes: LitellmRoute[];
  keys: ConfigKey[];
  /** The whole file as JS (for values such as fallbacks lists). */
  data: Record<string, unknown>;
  /** Source lines (1-based access via line - 1), for quoting with secrets masked. */
  lines: string[];
}

export function readLitellmConfig(path: string): LitellmConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UserError(
      `cannot read the LiteLLM config ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      "pass the path of your LiteLLM config.yaml with `--litellm PATH`",
    );
  }
  return parseLitellmConfig(text, path);
}

export function parseLitellmConfig(text: string, path = "config.yaml"): LitellmConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const error = doc.errors[0];
  if (error) {
    const at = error.linePos?.[0];
    throw new UserError(
      `${path} is not valid YAML${at ? ` (line ${at.line}, column ${at.col})` : ""}: ${error.message.split("\n")[0]}`,
      "fix the YAML, or check it with `npx yaml valid < config.yaml`",
    );
  }
  const data = (doc.toJS() ?? {}) as Record<string, unknown>;
  if (typeof data !== "object" || Array.isArray(data))
    throw new UserError(`${path} is not a LiteLLM config (its top level is not a mapping)`, "pass a LiteLLM proxy config.yaml with a model_list");
  const lineOf = (node: Node | null | undefined) => (node?.range ? lineCounter.linePos(node.range[0]).line : 0);

  const keys: ConfigKey[] = [];
  const walk = (node: unknown, prefix: string) => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const path = prefix ? `${prefix}.${key}` : key;
        keys.push({ path, line: lineOf(pair.key as Node) });
        walk(pair.value, path);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) walk(item, `${prefix}[]`);
    }
  };
  walk(doc.contents, "");

  const routes: LitellmRoute[] = [];
  const list = doc.get("model_list");
  if (!isSeq(list)) throw new UserError(`${path} has no model_list`, "a LiteLLM proxy config lists its routes under `model_list:`");
  for (const item of list.items) {
    if (!isMap(item)) continue;
    const entry = item.toJS(doc) as { model_name?: unknown; litellm_params?: Record<string, unknown> };
    const params = entry.litellm_params ?? {};
    const model = typeof params.model === "string" ? params.model : "";
    const apiKey = typeof params.api_key === "string" ? params.api_key : undefined;
    const env = apiKey?.match(/^os\.environ\/(\w+)$/)?.[1];
    routes.push({
      modelName: String(entry.model_name ?? model),
      model,
      ...(typeof params.api_base === "string" ? { apiBase: params.api_base } : {}),
      ...(env ? { apiKeyEnv: env } : {}),
      apiKeyLiteral: apiKey !== undefined && !env,
      extraParams: Object.keys(params).filter((key) => !["model", "api_base", "api_key"].includes(key)),
      line: lineOf(item),
    });
  }
  return { path, routes, keys, data, lines: text.split("\n") };
}

const SECRET_KEY = /(key|token|secret|password|database_url|api_base_auth)\s*:/i;

/** A config line for the report: trimmed, with any literal secret value masked. */
export function quoteLine(config: LitellmConfig, line: number): string {
  const text = (config.lines[line - 1] ?? "").trim();
  if (!SECRET_KEY.test(text) || /os\.environ\//.test(text)) return text;
  return text.replace(/:\s*.+$/, ": ***");
}
