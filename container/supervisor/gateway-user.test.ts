import { describe, expect, it } from "vitest";
import { resolveGatewayUser } from "./gateway-user.ts";

const passwd = () => "root:x:0:0:root:/root:/bin/bash\nnode:x:1000:1000::/home/node:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
const asRoot = { uid: 0, passwd };
const asNode = { uid: 1000, passwd };

describe("MOLTLAB_GATEWAY_USER", () => {
  it("as root: a named user from /etc/passwd, with its home; uid:gid keeps the supervisor's HOME", () => {
    expect(resolveGatewayUser("node", asRoot)).toEqual({ ok: true, user: { name: "node", uid: 1000, gid: 1000, home: "/home/node" } });
    expect(resolveGatewayUser("54321:54321", asRoot)).toEqual({ ok: true, user: { name: "uid 54321", uid: 54321, gid: 54321 } });
    expect(resolveGatewayUser("1000:1000", asRoot)).toEqual({ ok: true, user: { name: "node", uid: 1000, gid: 1000 } });
  });

  it("refuses a user who does not exist, or a malformed value, saying how to fix it", () => {
    expect(resolveGatewayUser("agent", asRoot)).toEqual({
      ok: false,
      problem: expect.stringMatching(/"agent", who is not in \/etc\/passwd: create the user in the image/),
    });
    expect(resolveGatewayUser("no body", asRoot)).toEqual({ ok: false, problem: expect.stringContaining("must be a user name or uid:gid") });
  });

  it("runs the gateway as the supervisor's own user where it cannot separate them, and says what that costs", () => {
    expect(resolveGatewayUser(undefined, asRoot)).toEqual({
      ok: true,
      user: null,
      note: expect.stringContaining("the gateway runs as root, and the agent can read the R2 credentials"),
    });
    expect(resolveGatewayUser("root", asRoot)).toEqual({ ok: true, user: null, note: expect.stringContaining("MOLTLAB_GATEWAY_USER is root") });
    expect(resolveGatewayUser("nobody", asNode)).toEqual({ ok: true, user: null, note: expect.stringContaining("the supervisor is not root (uid 1000)") });
    // Already that user: nothing to separate, nothing to say.
    expect(resolveGatewayUser("node", asNode)).toEqual({ ok: true, user: null });
    expect(resolveGatewayUser(undefined, asNode)).toEqual({ ok: true, user: null });
  });
});
