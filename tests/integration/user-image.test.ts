import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildLayeredImage, layeredImageTag, userImageTag } from "../../container/build/user-image.ts";
import { inspectImage } from "../../core/docker.ts";
import { UserError } from "../../core/errors.ts";
import { tryRun } from "../../core/exec.ts";
import { cacheDir, ROOT } from "../../core/host.ts";
import { LABEL_KIND, labelFlags, moltlabLabels } from "../../core/labels.ts";

/**
 * `npm run dev -- --dockerfile` / `verify --dockerfile`: a user's Dockerfile whose base is on
 * this engine (verify/samples/Dockerfile.local: moltlab/node plus a stand-in openclaw, no tini)
 * is built as it is, then the supervisor is layered on top with Debian's static tini. The
 * layered image starts tini → node → the supervisor, which refuses to start without its token:
 * proof that the bundle runs on the user's own Node.
 */
describe("a user's Dockerfile with the supervisor layered on top (linux/amd64)", () => {
  const arch = "amd64" as const;
  const logFile = join(cacheDir(), "user-image-test.log");
  const temp = mkdtempSync(join(tmpdir(), "moltlab-user-image-"));

  afterAll(async () => {
    rmSync(temp, { recursive: true, force: true });
    await tryRun("docker", ["image", "rm", "-f", layeredImageTag(arch, "test"), userImageTag(arch, "test")]);
  });

  it("builds the user's image, adds tini, the supervisor and the entrypoint, and runs the supervisor as root with the image's user for the gateway", async () => {
    const built = await buildLayeredImage({
      dockerfile: join(ROOT, "verify/samples/Dockerfile.local"),
      arch,
      cache: cacheDir(),
      logFile,
      kind: "test",
      purpose: "test",
    });
    expect(built.facts).toEqual({
      user: "node",
      home: "/home/node",
      openclawBin: "/usr/local/bin/openclaw",
      openclawVersion: "2026.9.6",
      init: "",
      node: expect.stringMatching(/^v24\./),
    });
    // Its stand-in openclaw exits at once: the compile-cache step says so (or BuildKit reused the layer of an
    // earlier build that did) and the build goes on without one (no cache in the image: checked below).
    expect(built.compileCache).toMatch(/^(skipped: the gateway exited \(code 0\).*before \/readyz answered 200|as in the previous build)/);
    const image = await inspectImage(built.tag);
    expect(image?.architecture).toBe(arch);
    expect(image?.labels[LABEL_KIND]).toBe("test");
    expect(image?.labels["moltlab.openclaw"]).toBe("2026.9.6");
    const config = await tryRun("docker", ["image", "inspect", "--format", "{{json .Config.Entrypoint}} {{.Config.User}}", built.tag]);
    expect(config.stdout.trim()).toBe('["/opt/moltlab/tini","--","node","/opt/moltlab/supervisor.mjs"] root');

    const labels = labelFlags(moltlabLabels("test"));
    const inside = await tryRun("docker", [
      "run",
      "--rm",
      "--network",
      "none",
      ...labels,
      "--entrypoint",
      "sh",
      built.tag,
      "-c",
      'echo "$MOLTLAB_GATEWAY_USER $OPENCLAW_BIN $HOME"; stat -c "%U %a" /var/lib/moltlab/staging /home/node/.openclaw; /opt/moltlab/tini --version; if [ -e /tmp/node-compile-cache ]; then echo node-compile-cache; fi',
    ]);
    expect(inside.stdout.trim().split("\n")).toEqual([
      "node /usr/local/bin/openclaw /home/node",
      "root 700",
      expect.stringMatching(/^node \d+$/),
      expect.stringMatching(/^tini version 0\.19\.0/),
    ]);
    expect(inside.stdout).not.toContain("node-compile-cache");

    // The entrypoint as the platform starts it: tini → node → supervisor, which names its missing token.
    const started = await tryRun("docker", ["run", "--rm", "--network", "none", ...labels, built.tag], { timeoutMs: 120_000 });
    expect(started.code).not.toBe(0);
    expect(started.stdout + started.stderr).toContain("OPENCLAW_GATEWAY_TOKEN (or MOLTBOT_GATEWAY_TOKEN) is missing");
  });

  it("refuses a Dockerfile whose base image is not on this engine, naming it and the fix, and builds nothing", async () => {
    await tryRun("docker", ["image", "rm", "-f", userImageTag(arch, "test")]);
    const dockerfile = join(temp, "Dockerfile");
    writeFileSync(dockerfile, "FROM ghcr.io/openclaw/openclaw:2026.9.6\nRUN npm install -g @openai/codex\n");
    const error = await buildLayeredImage({ dockerfile, arch, cache: cacheDir(), logFile, kind: "test", purpose: "test" }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toContain(
      "not on this Docker engine, and moltlab never pulls (there may be no registry here): ghcr.io/openclaw/openclaw:2026.9.6",
    );
    expect((error as UserError).fix).toContain("docker load");
    expect(await inspectImage(userImageTag(arch, "test"))).toBeUndefined();
  });
});
