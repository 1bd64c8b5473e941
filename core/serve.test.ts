import { afterEach, describe, expect, it } from "vitest";
import { serveFetch, type StartedServer } from "./serve.ts";

let server: StartedServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe("serveFetch", () => {
  it("passes method, path, headers and body through and returns status, headers and body", async () => {
    server = await serveFetch(async (request) =>
      Response.json(
        { method: request.method, path: new URL(request.url).pathname, auth: request.headers.get("x-api-key"), body: await request.text() },
        { status: 201, headers: { "x-answer": "42" } },
      ),
    );
    const response = await fetch(`${server.url}/v1/thing?q=1`, { method: "POST", headers: { "x-api-key": "k" }, body: "hello" });
    expect(response.status).toBe(201);
    expect(response.headers.get("x-answer")).toBe("42");
    expect(await response.json()).toEqual({ method: "POST", path: "/v1/thing", auth: "k", body: "hello" });
  });

  it("counts the requests it received, whatever they were answered", async () => {
    server = await serveFetch((request) => new Response(null, { status: new URL(request.url).pathname === "/bad" ? 500 : 204 }));
    expect(server.requestsServed()).toBe(0);
    for (const path of ["/a", "/bad", "/b"]) await (await fetch(`${server.url}${path}`)).arrayBuffer();
    expect(server.requestsServed()).toBe(3);
  });

  it("keeps several Set-Cookie headers apart", async () => {
    server = await serveFetch(() => {
      const headers = new Headers();
      headers.append("set-cookie", "a=1; Path=/");
      headers.append("set-cookie", "b=2; Path=/");
      return new Response(null, { status: 204, headers });
    });
    const response = await fetch(server.url);
    expect(response.headers.getSetCookie()).toEqual(["a=1; Path=/", "b=2; Path=/"]);
  });

  it("streams the body chunk by chunk", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    server = await serveFetch(
      () =>
        new Response(
          new ReadableStream({
            async start(controller) {
              controller.enqueue(new TextEncoder().encode("first\n"));
              await gate;
              controller.enqueue(new TextEncoder().encode("second\n"));
              controller.close();
            },
          }),
        ),
    );
    const reader = (await fetch(server.url)).body!.pipeThrough(new TextDecoderStream()).getReader();
    // The first chunk arrives while the handler is still holding back the second.
    expect((await reader.read()).value).toBe("first\n");
    release();
    let rest = "";
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += chunk.value;
    expect(rest).toBe("second\n");
  });

  it("resets the connection for Response.error()", async () => {
    server = await serveFetch(() => Response.error());
    await expect(fetch(server.url)).rejects.toThrow(TypeError);
  });

  it("cuts the connection when the body fails mid-stream, after the bytes already sent", async () => {
    server = await serveFetch(
      () =>
        new Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(new TextEncoder().encode("partial"));
            },
            pull(controller) {
              controller.error(new Error("upstream died"));
            },
          }),
        ),
    );
    const response = await fetch(server.url);
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
  });

  it("aborts the request's signal when the client goes away mid-response", async () => {
    let aborted!: () => void;
    const clientLeft = new Promise<void>((resolve) => (aborted = resolve));
    let seen: AbortSignal | undefined;
    server = await serveFetch((request) => {
      seen = request.signal;
      request.signal.addEventListener("abort", () => aborted());
      // A response that never ends by itself, like a stalled SSE stream.
      return new Response(new ReadableStream({ start: (c) => c.enqueue(new Uint8Array([1])) }));
    });
    const client = new AbortController();
    const response = await fetch(server.url, { signal: client.signal });
    await response.body!.getReader().read();
    expect(seen?.aborted).toBe(false);
    client.abort();
    await clientLeft;
    expect(seen?.aborted).toBe(true);
  });

  it("answers 500 with the message when the handler throws", async () => {
    server = await serveFetch(() => {
      throw new Error("boom");
    });
    const response = await fetch(server.url);
    expect(response.status).toBe(500);
    expect(await response.text()).toContain("boom");
  });

  it("stops even while a response is still streaming", async () => {
    server = await serveFetch(() => new Response(new ReadableStream({ start: (c) => c.enqueue(new Uint8Array([1])) })));
    const response = await fetch(server.url);
    await server.stop();
    server = undefined;
    await expect(response.arrayBuffer()).rejects.toThrow();
  });
});
