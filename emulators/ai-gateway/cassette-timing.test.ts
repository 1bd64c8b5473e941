import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CassetteResponse } from "./cassette.ts";
import { playResponse } from "./cassette-replay.ts";

// Replay timing on a fake clock: which bytes are out at which recorded instant, no real waiting.
const recorded: CassetteResponse = {
  status: 200,
  headersAt: 100,
  headers: { "content-type": "text/event-stream" },
  events: [
    { at: 100, sse: "data: 1\n\n" },
    { at: 300, sse: "data: 2\n\n" },
    { at: 1300, sse: "data: 3\n\n" },
  ],
};

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Resolves to whether `promise` settles within `ms` of fake time. */
async function settlesWithin<T>(promise: Promise<T>, ms: number): Promise<boolean> {
  let settled = false;
  void promise.then(() => {
    settled = true;
  });
  await vi.advanceTimersByTimeAsync(ms);
  return settled;
}

describe("cassette replay timing", () => {
  it("as recorded, scaled: headers at the recorded delay, each event at its recorded offset", async () => {
    const answer = playResponse(recorded, { "cf-aig-step": "0" }, { file: "t.json", timingScale: 0.5 }, new AbortController().signal);
    expect(await settlesWithin(answer, 49)).toBe(false);
    expect(await settlesWithin(answer, 1)).toBe(true);
    const response = await answer;
    expect(response.headers.get("cf-aig-step")).toBe("0");
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    const next = async () => decoder.decode((await reader.read()).value);
    expect(await next()).toBe("data: 1\n\n"); // due at 50, already past
    const second = next();
    expect(await settlesWithin(second, 99)).toBe(false);
    expect(await settlesWithin(second, 1)).toBe(true);
    expect(await second).toBe("data: 2\n\n");
    const third = next();
    expect(await settlesWithin(third, 499)).toBe(false);
    expect(await settlesWithin(third, 1)).toBe(true);
    expect((await reader.read()).done).toBe(true);
  });

  it("fast: everything at once, no clock needed", async () => {
    const response = await playResponse(recorded, {}, { file: "t.json", timing: "fast" }, new AbortController().signal);
    expect(await response.text()).toBe("data: 1\n\ndata: 2\n\ndata: 3\n\n");
  });

  it("plays a recorded JSON body as its exact bytes", async () => {
    const response = await playResponse(
      { status: 429, headersAt: 0, headers: { "retry-after": "1" }, json: { error: { type: "rate_limit_error" } } },
      {},
      { file: "t.json" },
      new AbortController().signal,
    );
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("1");
    expect(await response.text()).toBe('{"error":{"type":"rate_limit_error"}}');
  });
});
