import { parse } from "hono/utils/cookie";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ACCESS_COOKIES, ACCESS_HEADERS, withoutAccessCredentials } from "../src/access-credentials.ts";
import { accessToken, authed, freshSandbox, inSandbox } from "./helpers.ts";

let token: string;
beforeAll(async () => {
  token = await accessToken();
});
beforeEach(freshSandbox);

/** A browser signed in to Access, with a cookie of the app's own beside Access's. */
async function signedInHeaders(extra: Record<string, string> = {}): Promise<Headers> {
  return new Headers({
    cookie: `theme=dark; CF_Authorization=${token}; CF_AppSession=n79bf3da3e2ce9270; CF_Binding=binding-value; openclaw_session=abc%3D%3D`,
    "cf-access-client-id": "0123456789abcdef0123456789abcdef.access",
    "cf-access-client-secret": "worker-tests-service-secret",
    "cf-access-token": token,
    ...extra,
  });
}

/** What the fake gateway saw last. */
const lastGatewayRequest = () => inSandbox((sandbox) => sandbox.fake.gatewayRequests.at(-1)!);

function expectNoAccessCredentials(headers: Record<string, string>): void {
  for (const name of ACCESS_HEADERS) expect(Object.keys(headers)).not.toContain(name);
  const cookies = parse(headers.cookie ?? "");
  for (const name of ACCESS_COOKIES) expect(Object.keys(cookies)).not.toContain(name);
  expect(JSON.stringify(headers)).not.toContain(token);
  // The app's own cookies arrive byte for byte (an encoded value stays encoded).
  expect(headers.cookie).toBe("theme=dark; openclaw_session=abc%3D%3D");
}

describe("Access credentials never reach the container", () => {
  it("strips Access headers and cookies from a proxied HTTP request, keeping other cookies", async () => {
    const response = await authed("/v1/models", { headers: await signedInHeaders() }, token);
    expect(response.status).toBe(200);
    expectNoAccessCredentials((await lastGatewayRequest()).headers);
  });

  it("strips them from a WebSocket upgrade too", async () => {
    const response = await authed("/", { headers: await signedInHeaders({ upgrade: "websocket" }) }, token);
    expect(response.status).toBe(101);
    response.webSocket!.accept();
    const seen = await lastGatewayRequest();
    expect(seen.headers.upgrade).toBe("websocket");
    expectNoAccessCredentials(seen.headers);
    response.webSocket!.close(1000, "done");
  });

  it("lets a request whose only cookies are Access's through without a Cookie header", async () => {
    await authed("/anything", { headers: { cookie: `CF_Authorization=${token}` } }, token);
    expect(Object.keys((await lastGatewayRequest()).headers)).not.toContain("cookie");
  });
});

describe("withoutAccessCredentials", () => {
  const cookieOf = (cookie: string) => withoutAccessCredentials(new Headers({ cookie })).get("cookie");

  it("keeps every other pair as it was: order, duplicates, encoding, values with = or quotes", () => {
    expect(cookieOf(`a=1; CF_Authorization=x; b="q v"; a=2; c=x=y; d=%3B`)).toBe(`a=1; b="q v"; a=2; c=x=y; d=%3B`);
  });

  it("drops Access cookies by name whatever their value, spacing or case, and every copy of them", () => {
    expect(cookieOf(`CF_Authorization="unterminated;  cf_authorization=x ;CF_APPSESSION=y;CF_Binding=;keep=1`)).toBe("keep=1");
  });

  it("drops an Access cookie hidden in a comma-joined second Cookie header", () => {
    const headers = new Headers([
      ["cookie", "a=1"],
      ["cookie", "CF_Authorization=x"],
    ]);
    expect(withoutAccessCredentials(headers).get("cookie") ?? "").not.toContain("CF_Authorization");
  });

  it("leaves the original headers alone and passes other headers on", () => {
    const original = new Headers({ cookie: "CF_Authorization=x; a=1", "cf-access-jwt-assertion": "jwt", "x-other": "1" });
    const stripped = withoutAccessCredentials(original);
    expect(Object.fromEntries(stripped)).toEqual({ cookie: "a=1", "x-other": "1" });
    expect(original.get("cf-access-jwt-assertion")).toBe("jwt");
  });
});
