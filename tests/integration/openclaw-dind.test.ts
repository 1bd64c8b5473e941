import { afterAll, describe, expect, it } from "vitest";
import type { StartedTestContainer } from "testcontainers";
import { moltlabLabels } from "../../core/labels.ts";
import { INSTANCE_TYPE, ProfiledContainer } from "./openclaw-harness.ts";
import { type DindFile, type DindMode, type DindOutcome, EVIDENCE_FILES } from "../../verify/evidence-files.ts";
import { excerpt } from "../../verify/evidence.ts";
import { markdownTable, writeReport } from "./openclaw-reports.ts";
import { ensureToolImage } from "./tool-image.ts";

/**
 * Phase 0-3, a finding rather than a pass/fail on the outcome: can `dockerd` start inside a
 * container under Cloudflare's run profile (not privileged, default capabilities, no
 * devices), plainly and with the flags Cloudflare's Docker-in-Docker guide uses, and when
 * privileged (what the user's Kubernetes dind sidecar gets)? The test asserts that an outcome
 * with evidence was recorded for every mode, and writes reports/dind.{json,md}. The containers
 * use the default bridge network: a dockerd that does start must not touch the host's network.
 */

/** dockerd's flags per mode: Cloudflare's guide starts it with --iptables=false; vfs needs no mounts. */
const DOCKERD_FLAGS: Record<DindMode, string> = {
  "cloudflare-profile": "",
  "documented-flags": "--iptables=false --ip6tables=false --bridge=none --storage-driver=vfs",
  privileged: "",
};

// dockerd in the background; bounded poll on `docker info`; stop on the first of ready / exited / 60 s.
const probe = (mode: DindMode) => `
  dockerd ${DOCKERD_FLAGS[mode]} > /tmp/dockerd.log 2>&1 &
  pid=$!
  state=timeout
  for i in $(seq 1 120); do
    if docker info > /dev/null 2>&1; then state=ready; break; fi
    if ! kill -0 $pid 2>/dev/null; then state=exited; break; fi
    sleep 0.5
  done
  echo "STATE=$state"
  if [ $state = ready ]; then
    echo "SERVER=$(docker info --format '{{.ServerVersion}} storage={{.Driver}} cgroup={{.CgroupVersion}}')"
    # An inner container without a registry: a one-file image imported from the host side's /bin/true and its libraries.
    root=$(mktemp -d); for f in /bin/true $(ldd /bin/true | grep -o '/[^ ]*'); do mkdir -p "$root$(dirname $f)"; cp "$f" "$root$f"; done
    if tar -C "$root" -c . | docker import - moltlab/true > /tmp/run.log 2>&1 && docker run --rm ${mode === "documented-flags" ? "--network=none " : ""}moltlab/true /bin/true >> /tmp/run.log 2>&1; then echo "RUN=ok"; else echo "RUN=failed: $(tail -c 300 /tmp/run.log)"; fi
  fi
  echo "--- dockerd log (last lines, then errors) ---"
  tail -2 /tmp/dockerd.log
  grep -iE 'level=(error|fatal)|operation not permitted' /tmp/dockerd.log | tail -6
`;

describe("Docker-in-Docker inside the container (finding)", () => {
  const outcomes: DindOutcome[] = [];
  const started: StartedTestContainer[] = [];

  afterAll(async () => {
    for (const container of started) await container.stop({ timeout: 1 }).catch(() => undefined);
  });

  it.each<DindMode>(["cloudflare-profile", "documented-flags", "privileged"])("records whether dockerd starts: %s", async (mode) => {
    const image = await ensureToolImage("dind");
    let container: StartedTestContainer;
    try {
      container = await new ProfiledContainer(image)
        .withRunProfile(INSTANCE_TYPE, { privileged: mode === "privileged" })
        .withLabels(moltlabLabels("test"))
        .start();
    } catch (error) {
      // An outcome too: this engine cannot grant what the mode asks for (e.g. all capabilities).
      const outcome: DindOutcome = {
        mode,
        containerStarted: false,
        dockerdStarted: false,
        server: null,
        innerContainer: null,
        ms: 0,
        evidence: `the engine refused to run the container: ${excerpt(String(error), 400)}`,
      };
      console.log(`[dind ${mode}]`, JSON.stringify(outcome, null, 2));
      outcomes.push(outcome);
      expect(outcome.evidence).toMatch(/refused to run the container: .{20,}/);
      return;
    }
    started.push(container);
    const t0 = Date.now();
    const result = await container.exec(["sh", "-c", probe(mode)]);
    const ms = Date.now() - t0;
    const field = (name: string) => new RegExp(`^${name}=(.*)$`, "m").exec(result.output)?.[1] ?? null;
    const log = result.output.split("--- dockerd log (last lines, then errors) ---")[1] ?? "";
    const outcome: DindOutcome = {
      mode,
      containerStarted: true,
      dockerdStarted: field("STATE") === "ready",
      server: field("SERVER"),
      innerContainer: field("RUN"),
      ms,
      evidence: `dockerd ${field("STATE") ?? "?"} after ${ms} ms; ${excerpt(log, 900)}`,
    };
    console.log(`[dind ${mode}]`, JSON.stringify(outcome, null, 2));
    outcomes.push(outcome);
    expect(field("STATE"), result.output).toMatch(/^(ready|exited|timeout)$/);
    expect(outcome.evidence.length).toBeGreaterThan(40);
    await container.stop({ timeout: 1 });
  });

  it("writes the finding to reports/dind.{json,md} for every mode", async () => {
    expect(outcomes.map((outcome) => outcome.mode)).toEqual(["cloudflare-profile", "documented-flags", "privileged"]);
    const json: DindFile = {
      generatedAt: new Date().toISOString(),
      instanceType: INSTANCE_TYPE,
      image: "moltlab-tools/dind (Debian bookworm docker.io)",
      outcomes,
    };
    const markdown = [
      "# Docker-in-Docker finding (phase 0-3)",
      "",
      `Generated by \`tests/integration/openclaw-dind.test.ts\` (\`npm test\`) at ${json.generatedAt}. dockerd from Debian's docker.io, run as root in a ` +
        `container with Cloudflare's ${INSTANCE_TYPE} limits; "cloudflare-profile" adds nothing else (not privileged, default capabilities, no devices), ` +
        `"documented-flags" is that profile with \`dockerd ${DOCKERD_FLAGS["documented-flags"]}\` (the guide's --iptables=false; vfs needs no mounts) ` +
        `and an inner container with --network=none, "privileged" is what a Kubernetes dind sidecar gets.`,
      "",
      markdownTable(
        ["mode", "dockerd starts", "inner engine", "inner container", "evidence"],
        outcomes.map((outcome) => [
          outcome.mode,
          outcome.containerStarted ? (outcome.dockerdStarted ? "yes" : "no") : "unverified (the container did not start on this engine)",
          outcome.server ?? "–",
          outcome.innerContainer ?? "–",
          outcome.evidence,
        ]),
      ),
    ].join("\n");
    const paths = await writeReport(EVIDENCE_FILES.dind, json, markdown);
    console.log(`DinD finding written: ${paths.join(", ")}\n${markdown}`);
  });
});
