/** Small request and response helpers shared by the routes, the middleware and the DO. */

/**
 * A copy with mutable headers. Responses from `fetch`, Durable Object stubs and ASSETS have
 * immutable headers; middleware that marks responses (dev mode) needs to set one. Keeps a
 * WebSocket (status 101) intact, which `new Response(body, response)` would not guarantee.
 */
export function mutable(response: Response): Response {
  return new Response(response.webSocket ? null : response.body, {
    status: response.status,
    statusText: response.statusText,
    headers: new Headers(response.headers),
    webSocket: response.webSocket,
  });
}

export function isWebSocketUpgrade(request: Request): boolean {
  return request.headers.get("upgrade")?.toLowerCase() === "websocket";
}

export function wantsHtml(request: Request): boolean {
  return (request.headers.get("accept") ?? "").includes("text/html");
}
