/**
 * A method's parameters, read the four ways the Bot API accepts them: the query string, and a
 * body in application/json, application/x-www-form-urlencoded or multipart/form-data. Outside
 * JSON every value is a string, and objects (reply_parameters, allowed_updates …) arrive
 * JSON-serialised: the getters below take both.
 */
import { badRequest } from "./errors.ts";

export class Params {
  private readonly values: Record<string, unknown>;

  private constructor(values: Record<string, unknown>) {
    this.values = values;
  }

  static async from(request: Request): Promise<Params> {
    const values: Record<string, unknown> = Object.fromEntries(new URL(request.url).searchParams);
    if (request.method === "GET" || request.method === "HEAD") return new Params(values);
    const type = request.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase() ?? "";
    if (type === "application/json") {
      const text = await request.text();
      if (text.trim()) {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          throw badRequest("can't parse JSON encoded request body");
        }
        if (body === null || typeof body !== "object" || Array.isArray(body)) throw badRequest("can't parse JSON encoded request body");
        Object.assign(values, body);
      }
    } else if (type === "application/x-www-form-urlencoded" || type === "multipart/form-data") {
      const form = await request.formData();
      for (const [key, value] of form) values[key] = typeof value === "string" ? value : await value.text();
    } else {
      await request.body?.cancel();
    }
    return new Params(values);
  }

  has(name: string): boolean {
    const value = this.values[name];
    return value !== undefined && value !== null && value !== "";
  }

  string(name: string): string | undefined {
    const value = this.values[name];
    if (value === undefined || value === null) return undefined;
    return typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
  }

  /** An Integer parameter; `what` names it in the error, as Telegram does ("chat_id is empty"). */
  int(name: string): number | undefined {
    const value = this.values[name];
    if (value === undefined || value === null || value === "") return undefined;
    const number = typeof value === "number" ? value : /^-?\d+$/.test(String(value).trim()) ? Number(String(value).trim()) : Number.NaN;
    if (!Number.isSafeInteger(number)) throw badRequest(`invalid ${name} specified`);
    return number;
  }

  bool(name: string): boolean {
    const value = this.values[name];
    return value === true || value === "true" || value === "True" || value === "1" || value === 1;
  }

  /** An object or array parameter, sent as JSON in a JSON body or JSON-serialised in a form. */
  json<T>(name: string): T | undefined {
    const value = this.values[name];
    if (value === undefined || value === null || value === "") return undefined;
    if (typeof value !== "string") return value as T;
    try {
      return JSON.parse(value) as T;
    } catch {
      throw badRequest(`can't parse ${name} JSON object`);
    }
  }
}
