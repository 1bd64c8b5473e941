import { describe, expect, it } from "vitest";
import { HttpPlatformContainer } from "./http-platform-container.ts";
import type { ContainerState } from "./types.ts";

const running: ContainerState = { name: "moltbot", status: "running", ready: true, ports: { "18789": "http://127.0.0.1:49153" }, timings: {} };

/** A fetch that records calls and answers from a list, in order. */
function fakeFetch(...answers: (Response | Error)[]) {
  const calls: { url: string; init?: RequestInit }[] = [];
  const fetch = async (url: string, init?: RequestInit) => {
    calls.push({ url, init });
    const answer = answers.shift();
    if (!answer) throw new Error(`unexpected call ${init?.method} ${url}`);
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { calls, fetch };
}

describe("HttpPlatformContainer", () => {
  it("speaks the platform API: PUT to start, with the bearer token, and caches the ports of a running container", async () => {
    const { calls, fetch } = fakeFetch(Response.json(running, { status: 201 }));
    const container = new HttpPlatformContainer({ baseUrl: "http://127.0.0.1:8790/", name: "moltbot", token: "t0k", fetch });
    expect(await container.start({ image: "i", ports: [18789] })).toEqual(running);
    expect(await container.portUrl(18789)).toBe("http://127.0.0.1:49153");
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ url: "http://127.0.0.1:8790/v1/containers/moltbot", init: { method: "PUT", body: '{"image":"i","ports":[18789]}' } });
    expect(calls[0]!.init!.headers).toEqual({ "content-type": "application/json", authorization: "Bearer t0k" });
  });

  it("asks again after a stop, and says why there is no URL", async () => {
    const stopped: ContainerState = { name: "moltbot", status: "exited", ready: false, exitCode: 42, ports: {}, timings: {} };
    const { calls, fetch } = fakeFetch(
      Response.json(running),
      Response.json({ state: stopped, signalSent: "SIGTERM", killed: false, exitCode: 42 }),
      Response.json(stopped),
    );
    const container = new HttpPlatformContainer({ baseUrl: "http://p", name: "moltbot", fetch });
    await container.state();
    expect((await container.stop({ timeoutMs: 5 })).killed).toBe(false);
    await expect(container.portUrl(18789)).rejects.toMatchObject({
      code: "not_running",
      message: "container moltbot is exited; start it before asking for port 18789",
    });
    expect(calls.map((call) => `${call.init?.method} ${call.url.slice("http://p".length)}`)).toEqual([
      "GET /v1/containers/moltbot",
      "POST /v1/containers/moltbot/stop",
      "GET /v1/containers/moltbot",
    ]);
  });

  it("rethrows the platform's errors with their code and status, and explains an unreachable platform", async () => {
    const { fetch } = fakeFetch(
      Response.json({ error: { code: "image_missing", message: "image x is not in the local Docker engine; build it" } }, { status: 422 }),
      new Response("<html>bad gateway</html>", { status: 502 }),
      new TypeError("fetch failed"),
    );
    const container = new HttpPlatformContainer({ baseUrl: "http://p", name: "a", fetch });
    await expect(container.start({ image: "x", ports: [] })).rejects.toMatchObject({ name: "PlatformError", code: "image_missing", status: 422 });
    await expect(container.destroy()).rejects.toMatchObject({
      code: "internal",
      status: 502,
      message: "HTTP 502 from http://p/v1/containers/a: <html>bad gateway</html>",
    });
    await expect(container.state()).rejects.toMatchObject({
      code: "platform_unreachable",
      status: 503,
      message: expect.stringContaining("npm run emulate -- containers"),
    });
  });

  it("parses the event stream across chunk boundaries", async () => {
    const text = 'event: creating\ndata: {"seq":1,"type":"creating"}\nid: 1\n\nevent: exited\r\ndata: {"seq":2,"type":"exited","code":42}\r\n\r\n';
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < text.length; i += 7) controller.enqueue(encoder.encode(text.slice(i, i + 7)));
        controller.close();
      },
    });
    const { calls, fetch } = fakeFetch(new Response(body, { headers: { "content-type": "text/event-stream" } }));
    const container = new HttpPlatformContainer({ baseUrl: "http://p", name: "a", fetch });
    const events = [];
    for await (const event of container.events({ since: 5 })) events.push(event);
    expect(events).toEqual([
      { seq: 1, type: "creating" },
      { seq: 2, type: "exited", code: 42 },
    ]);
    expect(calls[0]!.url).toBe("http://p/v1/containers/a/events?since=5");
  });
});
