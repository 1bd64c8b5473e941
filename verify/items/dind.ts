/**
 * 0-3 Docker-in-Docker: can `dockerd` start inside a container under Cloudflare's profile, plainly
 * and with the flags Cloudflare's own guide uses (reports/dind.json, with the exact errors); what
 * Cloudflare documents (desk research); and what works without it (the tools matrix: the docker
 * CLI without an engine, tools run directly in the container).
 */
import { EVIDENCE_FILES, integrationTestCommand, type DindFile, type DindMode, type DindOutcome, type ToolsMatrixFile } from "../evidence-files.ts";
import type { Evidence } from "../evidence.ts";
import type { Judgement, VerifyContext } from "../types.ts";

export const DIND_TEST = integrationTestCommand(EVIDENCE_FILES.dind);

/**
 * What Cloudflare documents (desk research, read on the date given): its Docker-in-Docker guide
 * for Sandbox SDK 0.x runs dockerd as root with iptables off; the 1.0 migration notes add that a
 * 1.0 container's /proc/sys/net/ipv4/ip_forward is read-only and move the image to docker:dind.
 */
export const CLOUDFLARE_DIND_GUIDE = {
  readOn: "2026-11-26",
  sources: [
    "https://developers.cloudflare.com/sandbox/sdk/guides/docker-in-docker/ (updated 2026-10-23)",
    "https://developers.cloudflare.com/sandbox/sdk/migrate/other-features/ (Run Docker inside the sandbox)",
  ],
  says: "dockerd runs inside a Cloudflare container as root, started with --iptables=false (docker:dind-rootless base in the 0.x guide, docker:dind on Sandbox 1.0, where /proc/sys/net/ipv4/ip_forward is read-only)",
};

/** The lines of a dockerd log that say why it stopped, or why its inner container failed. */
export function dindCauses(evidence: string): string[] {
  const causes: string[] = [];
  if (/iptables.*(Permission denied|you must be root)/i.test(evidence))
    causes.push("no iptables/netfilter access (NET_ADMIN): the network controller cannot start");
  if (/failed to mount overlay: operation not permitted/i.test(evidence))
    causes.push("mount(2) is not permitted (no CAP_SYS_ADMIN): no overlay storage driver");
  if (/fuse-overlayfs.*not found/i.test(evidence)) causes.push("fuse-overlayfs is not installed (and /dev/fuse is not given to the container)");
  if (/mount namespace.*operation not permitted/i.test(evidence))
    causes.push("creating a mount namespace is not permitted (no CAP_SYS_ADMIN): no image can be unpacked, no container run");
  if (/cgroup/i.test(evidence) && /read-only|permission denied/i.test(evidence)) causes.push("cgroups are read-only");
  return causes;
}

function describe(outcome: DindOutcome, instanceType: string): string {
  if (!outcome.containerStarted) return `${outcome.mode}: the engine refused the container (${outcome.evidence}).`;
  if (!outcome.dockerdStarted) return `${outcome.mode}: dockerd did not start under the ${instanceType} profile: ${outcome.evidence}`;
  return `${outcome.mode}: dockerd started under the ${instanceType} profile (${outcome.server}); inner container: ${outcome.innerContainer ?? "not run"}.`;
}

export function judgeDindItem(_ctx: VerifyContext, { dind, matrix }: { dind: Evidence<DindFile>; matrix: Evidence<ToolsMatrixFile> }): Judgement {
  const desk = {
    path: `${CLOUDFLARE_DIND_GUIDE.sources.join("; ")} (read ${CLOUDFLARE_DIND_GUIDE.readOn})`,
    generatedAt: null,
    origin: "desk research" as const,
  };
  const sources = [dind.source, matrix.source, desk];
  if (!dind.data) {
    return {
      verdict: "unverified",
      summary: `no DinD evidence: run the DinD test`,
      evidence: [`${dind.problem}.`],
      wouldChange: [`run \`${DIND_TEST}\``],
      sources,
    };
  }
  const find = (mode: DindMode) => dind.data!.outcomes.find((outcome) => outcome.mode === mode);
  const profile = find("cloudflare-profile");
  const documented = find("documented-flags");
  const privileged = find("privileged");
  const docker = matrix.data?.tools.find((tool) => tool.tool === "docker")?.amd64;
  const instead = [
    "OpenClaw's exec tool with its Docker sandbox off runs commands directly in the container, which is itself Cloudflare's isolation boundary (a VM per container); the commands then run beside the gateway's environment (its model and channel keys; the supervisor keeps the R2 credentials out of it)",
    docker?.status === "ok"
      ? "the docker CLI is installed and runs (client only); it can drive a remote engine over DOCKER_HOST=ssh://… or tcp:// with TLS, reached outbound from the container"
      : "the docker CLI (not verified here: no tools-matrix entry)",
    "tools that need their own environment ship in the image (the tools matrix) instead of in per-task containers",
  ];
  const evidence: string[] = [`Desk research (${CLOUDFLARE_DIND_GUIDE.readOn}): Cloudflare documents that ${CLOUDFLARE_DIND_GUIDE.says}.`];
  for (const outcome of [profile, documented]) {
    if (!outcome) continue;
    evidence.push(describe(outcome, dind.data.instanceType));
    const causes = dindCauses(`${outcome.evidence} ${outcome.innerContainer ?? ""}`);
    if (causes.length) evidence.push(`Why (${outcome.mode}): ${causes.join("; ")}.`);
  }
  evidence.push(
    "The local profile is Docker's default capability set, not privileged: Cloudflare does not publish what its container VMs grant, and its guide shows they grant dockerd more than that.",
  );
  if (privileged) {
    evidence.push(
      privileged.containerStarted
        ? `Privileged (what the Kubernetes dind sidecar gets): dockerd ${privileged.dockerdStarted ? "started" : "did not start"}: ${privileged.evidence}`
        : `Privileged mode could not be tried on this engine (it refused the container: ${privileged.evidence}); Cloudflare Containers do not offer privileged mode.`,
    );
  }
  evidence.push(`What works without Docker: ${instead.join("; ")}.`);

  const usable = [profile, documented].find((outcome) => outcome?.dockerdStarted && outcome.innerContainer === "ok");
  const local = documented ?? profile;
  const localCause = local ? dindCauses(`${local.evidence} ${local.innerContainer ?? ""}`).at(-1) : undefined;
  const localSummary = !local
    ? "no local outcome under Cloudflare's profile"
    : local.dockerdStarted
      ? `here dockerd starts with the guide's flags but runs no container (${localCause ?? local.innerContainer ?? "see evidence"})`
      : `here dockerd does not start (${localCause ?? "see evidence"})`;
  return {
    verdict: usable ? "OK with constraints" : "unverified",
    summary: usable
      ? `dockerd runs under Cloudflare's profile${usable.mode === "documented-flags" ? " with --iptables=false and no bridge network" : ""}; inner containers ran`
      : `Cloudflare documents dockerd with --iptables=false (desk research); not reproducible locally: ${localSummary}; meanwhile: exec in the container, docker CLI to a remote engine`,
    evidence,
    wouldChange: usable
      ? ["a Cloudflare runtime that removes the capabilities this run had"]
      : [
          "a run on Cloudflare Containers with the guide's image and flags (this machine cannot emulate what Cloudflare's container VM grants beyond Docker's default capabilities)",
          "Cloudflare documenting the capabilities its containers get: the local profile would then grant the same and this test decides",
        ],
    sources,
    tables: [
      {
        caption: "dockerd inside a container (reports/dind.json)",
        header: ["mode", "container started", "dockerd started", "inner container", "after", "evidence"],
        rows: dind.data.outcomes.map((outcome) => [
          outcome.mode,
          outcome.containerStarted ? "yes" : "no",
          outcome.dockerdStarted ? "yes" : "no",
          outcome.innerContainer ?? "–",
          `${outcome.ms} ms`,
          outcome.evidence.length > 400 ? `${outcome.evidence.slice(0, 399)}…` : outcome.evidence,
        ]),
      },
    ],
  };
}
