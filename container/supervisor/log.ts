/**
 * Structured logs: one JSON object per line on stdout (time, level, phase, msg, …),
 * with every secret value masked wherever it appears — in the message, in fields and in
 * the gateway's forwarded output.
 */

export type Level = "debug" | "info" | "warn" | "error";

export interface Logger {
  debug(phase: string, msg: string, fields?: Record<string, unknown>): void;
  info(phase: string, msg: string, fields?: Record<string, unknown>): void;
  warn(phase: string, msg: string, fields?: Record<string, unknown>): void;
  error(phase: string, msg: string, fields?: Record<string, unknown>): void;
  /** Masks the secrets in any string (used for texts that leave the process, e.g. HTTP errors). */
  redact(text: string): string;
}

/** Env names whose values are secrets: they end in TOKEN, KEY, SECRET or PASSWORD. */
export const SECRET_NAME = /(TOKEN|KEY|SECRET|PASSWORD)$/i;

/** Values shorter than this are not masked: "1" or "true" would turn every log line to noise. */
const MIN_SECRET_LENGTH = 4;

export const MASK = "[redacted]";

/** The secret values in an environment, longest first so a secret containing another is masked whole. */
export function secretValues(env: Record<string, string | undefined>): string[] {
  const values = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (value && value.length >= MIN_SECRET_LENGTH && SECRET_NAME.test(name)) values.add(value);
  }
  return [...values].sort((a, b) => b.length - a.length);
}

export function createRedactor(secrets: readonly string[]): (text: string) => string {
  return (text) => {
    let out = text;
    for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(MASK);
    return out;
  };
}

export function createLogger(options: { secrets: readonly string[]; write?: (line: string) => void; minLevel?: Level }): Logger {
  const redact = createRedactor(options.secrets);
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const order: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };
  const min = order[options.minLevel ?? "info"];
  const emit = (level: Level, phase: string, msg: string, fields?: Record<string, unknown>) => {
    if (order[level] < min) return;
    const record = { time: new Date().toISOString(), level, phase, msg, ...fields };
    // Redact the serialised line, so secrets inside nested fields and error texts are caught too.
    // JSON escaping could hide a secret with quotes or backslashes in it: mask the escaped form as well.
    write(`${redact(redactEscaped(JSON.stringify(record, errorReplacer), options.secrets))}\n`);
  };
  return {
    debug: (phase, msg, fields) => emit("debug", phase, msg, fields),
    info: (phase, msg, fields) => emit("info", phase, msg, fields),
    warn: (phase, msg, fields) => emit("warn", phase, msg, fields),
    error: (phase, msg, fields) => emit("error", phase, msg, fields),
    redact,
  };
}

function redactEscaped(line: string, secrets: readonly string[]): string {
  let out = line;
  for (const secret of secrets) {
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret && out.includes(escaped)) out = out.split(escaped).join(MASK);
  }
  return out;
}

/** Errors serialise to {} by default: keep their name, message and code. */
function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: value.message, ...(code === undefined ? {} : { code }) };
  }
  return value;
}

/** A short text for an unknown thrown value. */
export function errorText(error: unknown): string {
  if (error instanceof Error) {
    const name = error.name && error.name !== "Error" ? `${error.name}: ` : "";
    return `${name}${error.message || String((error as { code?: unknown }).code ?? "unknown error")}`;
  }
  return String(error);
}
