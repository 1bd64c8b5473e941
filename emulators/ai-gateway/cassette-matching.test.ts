import { describe, expect, it } from "vitest";
import { CASSETTE_VERSION, type CassetteRequest, type Exchange } from "./cassette.ts";
import { CassettePlayer, firstDifference, maskClockReadings, TIME_MASK } from "./cassette-replay.ts";

const request = (messages: unknown): CassetteRequest => ({
  method: "POST",
  path: "anthropic/v1/messages",
  provider: "anthropic",
  model: "claude-x",
  stream: true,
  messages: messages as CassetteRequest["messages"],
  parameters: {},
  headers: {},
});
const exchange = (messages: unknown): Exchange => ({ request: request(messages), response: { status: 200, headersAt: 0, headers: {}, json: { ok: true } } });

describe("clock readings in messages", () => {
  it("are masked in the forms agents stamp them: ISO 8601, OpenClaw's envelope and Current time lines, a bare date", () => {
    const cases: [string, string][] = [
      ["[Sun 2026-12-06 03:38:12 UTC] hello", `[${TIME_MASK}] hello`],
      ["at 2026-12-06T03:38:12.345Z done", `at ${TIME_MASK} done`],
      ["2026-12-06T03:38:12+01:00", TIME_MASK],
      ["Thu 2026-12-10 04:38:12 GMT+1 x", `${TIME_MASK} x`],
      [
        "Current time: Sunday, December 6th, 2026 - 3:38 AM (UTC)\nReference UTC: 2026-12-06 03:38 UTC",
        `Current time: ${TIME_MASK} (UTC)\nReference UTC: ${TIME_MASK}`,
      ],
      ["memory/2026-12-06.md", `memory/${TIME_MASK}.md`],
    ];
    for (const [text, masked] of cases) expect(maskClockReadings(text), text).toBe(masked);
  });

  it("leave other numbers alone, and mask at any depth of the messages", () => {
    for (const text of ["version 2026.9.6", "call 555-1234", "12:30 is lunch", "build 20261206"]) expect(maskClockReadings(text)).toBe(text);
    expect(maskClockReadings([{ role: "user", content: [{ type: "text", text: '{"timestamp": "Sun 2026-12-06 03:38 UTC"}' }] }])).toEqual([
      { role: "user", content: [{ type: "text", text: `{"timestamp": "${TIME_MASK}"}` }] },
    ]);
  });

  it("do not stop a replay from matching: the same conversation sent at another time finds its recording", () => {
    const recorded = [{ role: "user", content: 'Conversation info: {"timestamp": "Sun 2026-12-06 03:38:12 UTC"}\nwrite the note' }];
    const later = [{ role: "user", content: 'Conversation info: {"timestamp": "Tue 2027-01-05 22:01:09 UTC"}\nwrite the note' }];
    expect(firstDifference(request(recorded), request(later))).toBeUndefined();
    const player = new CassettePlayer({ version: CASSETTE_VERSION, exchanges: [exchange(recorded)] }, { file: "t.json" });
    expect(player.find(request(later))).toMatchObject({ index: 0 });
  });

  it("are all that is forgiven: other words still miss, the difference shown masked", () => {
    const recorded = [{ role: "user", content: "[Sun 2026-12-06 03:38:12 UTC] write the note" }];
    const player = new CassettePlayer({ version: CASSETTE_VERSION, exchanges: [exchange(recorded)] }, { file: "t.json" });
    const found = player.find(request([{ role: "user", content: "[Sun 2026-12-06 03:39:00 UTC] write the notes" }]));
    expect(found).toHaveProperty("miss");
    const body = JSON.stringify("miss" in found ? found.miss.body : undefined);
    expect(body).toContain(`first difference at messages[0].content: recorded \\"[${TIME_MASK}] write the note\\", got \\"[${TIME_MASK}] write the notes\\"`);
  });
});
