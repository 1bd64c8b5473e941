/**
 * OpenClaw reads openclaw.json as JSON5, and people edit it by hand: comments, trailing
 * commas, unquoted keys and single quotes must not make a restored config unreadable.
 * This is a small JSON5 reader (no dependency to bundle); we always write plain JSON.
 */

export function parseJson5(text: string): unknown {
  const parser = new Parser(text);
  parser.skip();
  const value = parser.value();
  parser.skip();
  if (parser.pos < text.length) parser.fail("unexpected text after the value");
  return value;
}

class Parser {
  pos = 0;
  readonly text: string;
  constructor(text: string) {
    this.text = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }

  fail(message: string): never {
    const before = this.text.slice(0, this.pos);
    const line = before.split("\n").length;
    const column = this.pos - before.lastIndexOf("\n");
    throw new SyntaxError(`${message} at line ${line}, column ${column}`);
  }

  /** Whitespace and comments. */
  skip(): void {
    for (;;) {
      const rest = this.text.slice(this.pos);
      const match = /^(?:\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/)/.exec(rest);
      if (!match) return;
      this.pos += match[0].length;
    }
  }

  value(): unknown {
    const char = this.text[this.pos];
    if (char === "{") return this.object();
    if (char === "[") return this.array();
    if (char === '"' || char === "'") return this.string();
    const literal = /^(?:true|false|null)\b/.exec(this.text.slice(this.pos));
    if (literal) {
      this.pos += literal[0].length;
      return literal[0] === "true" ? true : literal[0] === "false" ? false : null;
    }
    return this.number();
  }

  object(): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    this.pos++;
    for (;;) {
      this.skip();
      if (this.text[this.pos] === "}") {
        this.pos++;
        return result;
      }
      const key = this.key();
      this.skip();
      if (this.text[this.pos] !== ":") this.fail("expected ':'");
      this.pos++;
      this.skip();
      // defineProperty: a "__proto__" key must become a plain property, not the prototype.
      Object.defineProperty(result, key, { value: this.value(), enumerable: true, writable: true, configurable: true });
      this.skip();
      if (this.text[this.pos] === ",") this.pos++;
      else if (this.text[this.pos] !== "}") this.fail("expected ',' or '}'");
    }
  }

  array(): unknown[] {
    const result: unknown[] = [];
    this.pos++;
    for (;;) {
      this.skip();
      if (this.text[this.pos] === "]") {
        this.pos++;
        return result;
      }
      result.push(this.value());
      this.skip();
      if (this.text[this.pos] === ",") this.pos++;
      else if (this.text[this.pos] !== "]") this.fail("expected ',' or ']'");
    }
  }

  key(): string {
    const char = this.text[this.pos];
    if (char === '"' || char === "'") return this.string();
    const match = /^[A-Za-z_$][\w$]*/.exec(this.text.slice(this.pos));
    if (!match) this.fail("expected a key");
    this.pos += match[0].length;
    return match[0];
  }

  string(): string {
    const quote = this.text[this.pos]!;
    let out = "";
    this.pos++;
    for (;;) {
      const char = this.text[this.pos];
      if (char === undefined || char === "\n") this.fail("unterminated string");
      this.pos++;
      if (char === quote) return out;
      if (char !== "\\") {
        out += char;
        continue;
      }
      const escape = this.text[this.pos++];
      const simple: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "0": "\0", "\n": "" };
      if (escape === "u" || escape === "x") {
        const length = escape === "u" ? 4 : 2;
        const hex = this.text.slice(this.pos, this.pos + length);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== length) this.fail("bad escape");
        out += String.fromCharCode(parseInt(hex, 16));
        this.pos += length;
      } else if (escape !== undefined && escape in simple) out += simple[escape];
      else if (escape !== undefined) out += escape;
    }
  }

  number(): number {
    const match = /^[+-]?(?:Infinity|NaN|0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/.exec(this.text.slice(this.pos));
    if (!match) this.fail("unexpected character");
    this.pos += match[0].length;
    const raw = match[0];
    const sign = raw.startsWith("-") ? -1 : 1;
    const body = raw.replace(/^[+-]/, "");
    if (/^0[xX]/.test(body)) return sign * parseInt(body, 16);
    return sign * Number(body);
  }
}
