import { describe, expect, it } from "vitest";
import { latestUserTexts, type Turn } from "./conversation.ts";
import { matches } from "./matching.ts";
import { defaultReply } from "./scenarios.ts";

const user = (text: string): Turn => ({ role: "user", text });
const assistant = (text: string): Turn => ({ role: "assistant", text });

describe("latestUserTexts", () => {
  it("is every user text since the last assistant turn, in order", () => {
    expect(latestUserTexts([user("old"), assistant("ok"), user("write a poem"), user("<runtime context>")])).toEqual(["write a poem", "<runtime context>"]);
  });

  it("keeps pointing at the prompt through a tool loop", () => {
    expect(latestUserTexts([user("weather?"), user("<context>"), assistant(""), user(""), { role: "tool", text: "" }])).toEqual(["weather?", "<context>"]);
  });

  it("is empty for a conversation without user text", () => {
    expect(latestUserTexts([assistant("hello")])).toEqual([]);
  });
});

describe("matches", () => {
  // What OpenClaw sends: the person's message, then its own runtime context as a separate user message.
  const target = {
    provider: "anthropic" as const,
    model: "claude-sonnet-4-5",
    turns: [user("Please write a POEM"), user("Current time: 2026-11-25; workspace: /home/node")],
  };

  it("finds userText in the person's message even when a client appended its own after it", () => {
    expect(matches({ userText: "poem" }, target)).toBe(true);
    expect(matches({ userTextPattern: "^Please" }, target)).toBe(true);
    expect(matches({ userText: "limerick" }, target)).toBe(false);
  });

  it("does not look at earlier turns", () => {
    expect(matches({ userText: "poem" }, { ...target, turns: [...target.turns, assistant("Roses…"), user("thanks")] })).toBe(false);
  });

  it("echoes the person's words, not the appended context, in the default reply", () => {
    expect(defaultReply(target).text).toBe("[moltlab fake] You said: Please write a POEM");
  });
});
