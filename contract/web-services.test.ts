import { describe, expect, it } from "vitest";
import { parseWebServices, webServiceFor, webServicePorts, WebServicesError } from "./web-services.ts";

describe("SANDBOX_WEB_SERVICES", () => {
  it("reads hostname=port pairs, case and spaces aside; unset or empty is none", () => {
    expect(parseWebServices(" Board.Example.com=8080 , grafana.localhost=3000,")).toEqual([
      { host: "board.example.com", port: 8080 },
      { host: "grafana.localhost", port: 3000 },
    ]);
    expect(parseWebServices(undefined)).toEqual([]);
    expect(parseWebServices("")).toEqual([]);
    expect(webServiceFor(parseWebServices("board.example.com=8080"), "BOARD.example.com")).toEqual({ host: "board.example.com", port: 8080 });
    expect(webServiceFor(parseWebServices("board.example.com=8080"), "moltbot.example.com")).toBeUndefined();
  });

  it("refuses what it cannot route, naming the entry and the fix", () => {
    const refusal = (value: string) => {
      try {
        parseWebServices(value);
      } catch (error) {
        if (error instanceof WebServicesError) return `${error.message} | ${error.fix}`;
        throw error;
      }
      return "accepted";
    };
    expect(refusal("board.example.com")).toMatch(/"board.example.com" is not hostname=port \| write each service as hostname=port/);
    expect(refusal("board.example.com=http")).toMatch(/is not hostname=port/);
    expect(refusal("bad_host=80")).toMatch(/is not hostname=port/);
    expect(refusal("a=b=c")).toMatch(/is not hostname=port/);
    expect(refusal("board.example.com=0")).toMatch(/out of range \| use a port from 1 to 65535/);
    expect(refusal("board.example.com=70000")).toMatch(/out of range/);
    expect(refusal("board.example.com=18789")).toMatch(/OpenClaw's gateway's \| move your service to another port/);
    expect(refusal("board.example.com=18790")).toMatch(/the supervisor's control API's/);
    expect(refusal("board.example.com=18791")).toMatch(/Telegram webhook listener's/);
    expect(refusal("a.example.com=1,A.example.com=2")).toMatch(/a.example.com is named twice/);
    // The container opens no port while the setting is refused (the Worker reports it instead).
    expect(webServicePorts("board.example.com=8080,bad")).toEqual([]);
    expect(webServicePorts("board.example.com=8080")).toEqual([8080]);
  });
});
