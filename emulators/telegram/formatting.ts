/**
 * Message text as Telegram stores it: plain text plus entities, from `parse_mode` HTML
 * (https://core.telegram.org/bots/api#html-style), read with htmlparser2. Tags outside the
 * Bot API's list, tags closed out of order and tags never closed are refused with Telegram's
 * "can't parse entities" error, which bots catch to resend as plain text — so accepting
 * anything would hide a real failure. Offsets and lengths count UTF-16 code units, as
 * Telegram's do (and JavaScript strings).
 */
import { Parser } from "htmlparser2";
import { badRequest } from "./errors.ts";
import type { MessageEntity } from "./types.ts";

export interface FormattedText {
  text: string;
  entities: MessageEntity[];
}

const SIMPLE: Record<string, string> = {
  b: "bold",
  strong: "bold",
  i: "italic",
  em: "italic",
  u: "underline",
  ins: "underline",
  s: "strikethrough",
  strike: "strikethrough",
  del: "strikethrough",
  "tg-spoiler": "spoiler",
  code: "code",
  pre: "pre",
  blockquote: "blockquote",
};

interface Open {
  tag: string;
  entity: MessageEntity | undefined;
}

const entitiesError = (what: string) => badRequest(`can't parse entities: ${what}`);

export function parseHtml(source: string): FormattedText {
  let text = "";
  const entities: MessageEntity[] = [];
  const stack: Open[] = [];
  let failure: Error | undefined;
  const byteOffset = (index: number) => Buffer.byteLength(source.slice(0, index));
  const fail = (error: Error) => {
    failure ??= error;
  };

  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (failure) return;
        let type = SIMPLE[name];
        let entity: MessageEntity | undefined;
        if (name === "span") {
          if (attributes.class !== "tg-spoiler")
            return fail(entitiesError(`Tag "span" must have class "tg-spoiler" at byte offset ${byteOffset(parser.startIndex)}`));
          type = "spoiler";
        }
        if (name === "a") {
          const href = attributes.href ?? "";
          entity = { type: href.startsWith("tg://user?id=") ? "text_mention" : "text_link", offset: text.length, length: 0, url: href };
        } else if (name === "tg-emoji") {
          entity = { type: "custom_emoji", offset: text.length, length: 0 };
        } else if (type) {
          // <pre><code class="language-x"> is one pre entity with a language.
          const parent = stack.at(-1);
          if (name === "code" && parent?.tag === "pre" && parent.entity) {
            const language = /^language-(.+)$/.exec(attributes.class ?? "")?.[1];
            if (language) parent.entity.language = language;
            stack.push({ tag: name, entity: undefined });
            return;
          }
          entity = { type: name === "blockquote" && "expandable" in attributes ? "expandable_blockquote" : type, offset: text.length, length: 0 };
        } else {
          return fail(entitiesError(`Unsupported start tag "${name}" at byte offset ${byteOffset(parser.startIndex)}`));
        }
        stack.push({ tag: name, entity });
      },
      ontext(chunk) {
        if (!failure) text += chunk;
      },
      onclosetag(name, isImplied) {
        if (failure) return;
        const open = stack.pop();
        if (!open || isImplied) {
          return fail(
            open
              ? entitiesError(`Can't find end tag corresponding to start tag "${open.tag}"`)
              : entitiesError(`Unmatched end tag at byte offset ${byteOffset(parser.startIndex)}, expected "</${name}>"`),
          );
        }
        if (!open.entity) return;
        open.entity.length = text.length - open.entity.offset;
        if (open.entity.length > 0) entities.push(open.entity);
      },
    },
    { decodeEntities: true, lowerCaseTags: true, recognizeSelfClosing: false },
  );
  parser.write(source);
  parser.end();
  if (failure) throw failure;
  entities.sort((a, b) => a.offset - b.offset || b.length - a.length);
  return { text, entities };
}

/**
 * The stored text of a message for its `parse_mode`. HTML is parsed; MarkdownV2 and Markdown
 * are kept as sent (their markup stays in the text) — the emulator does not parse them yet.
 */
export function formatText(text: string, parseMode: string | undefined): FormattedText {
  const mode = parseMode?.trim();
  if (!mode) return { text, entities: [] };
  if (mode.toLowerCase() === "html") return parseHtml(text);
  if (mode === "MarkdownV2" || mode === "Markdown" || mode.toLowerCase() === "markdownv2" || mode.toLowerCase() === "markdown") return { text, entities: [] };
  throw badRequest(`unsupported parse_mode`);
}
