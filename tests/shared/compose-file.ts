/** docker-compose.yml and its override files read as compose reads them, for tests that check what they configure. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { ROOT } from "../../core/host.ts";

/** Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?error}` (which fails without NAME). */
export function interpolate(value: unknown, env: Record<string, string>): string | undefined {
  if (value === null || value === undefined) return undefined;
  return String(value).replace(/\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}/g, (_, name: string, kind?: string, rest?: string) => {
    if (kind === "?" && !env[name]) throw new Error(`compose: ${rest}`);
    return env[name] ?? (kind === "-" ? rest : undefined) ?? "";
  });
}

export function serviceEnv(file: string, service: string, env: Record<string, string>): Record<string, string> {
  const compose = parse(readFileSync(join(ROOT, file), "utf8"), { merge: true }) as { services: Record<string, { environment?: Record<string, unknown> }> };
  const entries = Object.entries(compose.services[service]?.environment ?? {}).map(([name, value]) => [name, interpolate(value, env)] as const);
  return Object.fromEntries(entries.filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ""));
}
