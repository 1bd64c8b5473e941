/**
 * 0-3 Docker-in-Docker: can `dockerd` start inside a container under Cloudflare's profile
 * (reports/dind.json, with the exact error), and what works instead (the tools matrix:
 * the docker CLI without an engine, tools run directly in the container).
 */
import { EVIDENCE_FILES, type DindFile, type ToolsMatrixFile } from "../evidence-files.ts";
import { readEvidence } from "../evidence.ts";
import type { ItemResult, VerifyContext } from "../types.ts";

export const DIND_TEST = "npx vitest run --project integration tests/integration/openclaw-dind.test.ts";

/** The lines of a dockerd log that say why it stopped. */
export function dindCauses(evidence: string): string[] {
  const causes: string[] = [];
  if (/iptables.*(Permission denied|you must be root)/i.test(evidence)) causes.push("no iptables/netfilter access (NET_ADMIN): the network controller cannot start");
  if (/failed to mount overlay: operation not permitted/i.test(evidence)) causes.push("mount(2) is not permitted (no CAP_SYS_ADMIN): no overlay storage driver");
  if (/fuse-overlayfs.*not found/i.test(evidence)) causes.push("fuse-overlayfs is not installed (and /dev/fuse is not given to the container)");
  if (/cgroup/i.test(evidence) && /read-only|permission denied/i.test(evidence)) causes.push("cgroups are read-only");
  return causes;
}

export function dindItem(ctx: VerifyContext): ItemResult {
  const base = {
    id: "0-3",
    title: "Docker-in-Docker",
    question: "Can Docker-in-Docker run inside the sandbox? If not, what can exec-style tools replace?",
    criterion: "Can dockerd start in the container? If not, what works instead",
  };
  const dind = readEvidence<DindFile>(ctx, EVIDENCE_FILES.dind);
  const matrix = readEvidence<ToolsMatrixFile>(ctx, EVIDENCE_FILES.toolsMatrix);
  const sources = [dind.source, matrix.source];
  if (!dind.data) {
    return { ...base, verdict: "unverified", summary: `no DinD evidence: run the DinD test`, evidence: [`${dind.problem}.`], wouldChange: [`run \`${DIND_TEST}\``], sources };
  }
  const profile = dind.data.outcomes.find((outcome) => outcome.mode === "cloudflare-profile");
  const privileged = dind.data.outcomes.find((outcome) => outcome.mode === "privileged");
  const docker = matrix.data?.tools.find((tool) => tool.tool === "docker")?.amd64;
  const instead = [
    "OpenClaw's exec tool with its Docker sandbox off runs commands directly in the container, which is itself Cloudflare's isolation boundary (a VM per container)",
    docker?.status === "ok" ? "the docker CLI is installed and runs (client only); it can drive a remote engine over DOCKER_HOST=ssh://… or tcp:// with TLS, reached outbound from the container" : "the docker CLI (not verified here: no tools-matrix entry)",
    "tools that need their own environment ship in the image (the tools matrix) instead of in per-task containers",
  ];
  const evidence: string[] = [];
  if (profile) {
    evidence.push(
      profile.dockerdStarted
        ? `dockerd started under Cloudflare's ${dind.data.instanceType} profile (not privileged, default capabilities): ${profile.server}; inner container: ${profile.innerContainer ?? "not run"}.`
        : `dockerd under Cloudflare's ${dind.data.instanceType} profile (not privileged, default capabilities, no devices): ${profile.evidence}`,
    );
    const causes = dindCauses(profile.evidence);
    if (causes.length) evidence.push(`Why: ${causes.join("; ")}.`);
  }
  if (privileged) {
    evidence.push(
      privileged.containerStarted
        ? `Privileged (what the Kubernetes dind sidecar gets): dockerd ${privileged.dockerdStarted ? "started" : "did not start"}: ${privileged.evidence}`
        : `Privileged mode could not be tried on this engine (it refused the container: ${privileged.evidence}); Cloudflare Containers do not offer privileged mode either.`,
    );
  }
  evidence.push(`What works instead: ${instead.join("; ")}.`);
  const started = profile?.dockerdStarted === true;
  return {
    ...base,
    verdict: !profile ? "unverified" : started ? "OK" : "NG",
    summary: !profile
      ? "the DinD report has no Cloudflare-profile outcome"
      : started
        ? "dockerd starts under Cloudflare's profile"
        : `dockerd cannot start (${dindCauses(profile.evidence)[0] ?? "see evidence"}); instead: exec in the container, docker CLI to a remote engine`,
    evidence,
    wouldChange: started
      ? ["a Cloudflare runtime that removes the capabilities this run had"]
      : [
          "Cloudflare offering privileged containers or nested virtualisation (not documented as of Nov 2026)",
          "rootless dockerd (user namespaces, fuse-overlayfs, slirp4netns) — untested here; it needs /dev/fuse and unprivileged user namespaces inside the container",
        ],
    sources,
    tables: [{
      caption: "dockerd inside a container (reports/dind.json)",
      header: ["mode", "container started", "dockerd started", "after", "evidence"],
      rows: dind.data.outcomes.map((outcome) => [outcome.mode, outcome.containerStarted ? "yes" : "no", outcome.dockerdStarted ? "yes" : "no", `${outcome.ms} ms`, outcome.evidence.length > 400 ? `${outcome.evidence.slice(0, 399)}…` : outcome.evidence]),
    }],
  };
}
