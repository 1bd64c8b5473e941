/**
 * 0-4 CPU architecture: the OpenClaw image and every tool on linux/amd64 (Cloudflare) and
 * linux/arm64 (the user's boards): `docker image inspect` of moltlab/openclaw:<version>-<arch>
 * and the tools matrix per architecture.
 */
import { tryRun } from "../../core/exec.ts";
import type { ToolsMatrixFile } from "../evidence-files.ts";
import type { Evidence } from "../evidence.ts";
import type { EvidenceSource, Judgement, StopHit, Verdict, VerifyContext } from "../types.ts";
import { STOP_CRITERIA } from "../verdicts.ts";
import { TOOLS_TEST } from "./tools.ts";
import { OPENCLAW_VERSION, openclawImage } from "../../contract/openclaw.ts";
import type { Arch } from "../../contract/arch.ts";

export interface ImageInspection {
  tag: string;
  present: boolean;
  architecture?: string;
  sizeBytes?: number;
  created?: string;
  supervisor?: string;
}

async function inspect(tag: string): Promise<ImageInspection> {
  const result = await tryRun("docker", ["image", "inspect", "--format", "{{json .}}", tag], { timeoutMs: 30_000 });
  if (result.code !== 0) return { tag, present: false };
  const image = JSON.parse(result.stdout) as { Architecture: string; Size: number; Created: string; Config?: { Labels?: Record<string, string> | null } };
  return {
    tag,
    present: true,
    architecture: image.Architecture,
    sizeBytes: image.Size,
    created: image.Created,
    supervisor: image.Config?.Labels?.["moltlab.supervisor"],
  };
}

export interface ArchJudgement {
  arch: Arch;
  verdict: Verdict;
  why: string;
}

/** One architecture: its image (present, right platform) and its tools (none failed). */
export function judgeArch(
  arch: Arch,
  image: ImageInspection,
  tools: { ok: number; failed: string[]; notInstalled: string[]; missing: boolean },
): ArchJudgement {
  if (image.present && image.architecture !== arch) return { arch, verdict: "NG", why: `${image.tag} is ${image.architecture}, not ${arch}` };
  if (tools.failed.length) return { arch, verdict: "NG", why: `tools failed on ${arch}: ${tools.failed.join(", ")}` };
  if (!image.present && tools.missing) return { arch, verdict: "unverified", why: `no image ${image.tag} and no tools matrix` };
  const notes = [
    image.present ? `image ${arch}` : `image ${image.tag} not on this engine (the tools matrix shows it was built)`,
    tools.missing ? "no tools evidence" : `${tools.ok} of ${tools.ok + tools.failed.length + tools.notInstalled.length} image tools ok`,
    ...(tools.notInstalled.length ? [`not installed: ${tools.notInstalled.join(", ")}`] : []),
  ];
  const limited = tools.missing || tools.notInstalled.length > 0 || !image.present;
  return { arch, verdict: limited ? "OK with constraints" : "OK", why: notes.join("; ") };
}

export async function judgeArchitectureItem(ctx: VerifyContext, { matrix }: { matrix: Evidence<ToolsMatrixFile> }): Promise<Judgement> {
  const sources: EvidenceSource[] = [matrix.source];
  const judgements: ArchJudgement[] = [];
  const imageRows: string[][] = [];
  const evidence: string[] = [];
  for (const arch of ctx.options.arches) {
    const image = await inspect(openclawImage(OPENCLAW_VERSION, arch));
    sources.push({
      path: `docker image inspect ${image.tag}${image.created ? ` (image built ${image.created.slice(0, 16).replace("T", " ")} UTC)` : " (no such image)"}`,
      generatedAt: new Date().toISOString(),
      origin: image.present ? "this run" : "missing",
    });
    const tools = matrix.data?.tools ?? [];
    const status = (row: (typeof tools)[number]) => row[arch]?.status;
    const facts = {
      ok: tools.filter((row) => status(row) === "ok").length,
      failed: tools.filter((row) => status(row) === "failed").map((row) => row.tool),
      notInstalled: tools.filter((row) => status(row) === "not installed").map((row) => row.tool),
      missing: !matrix.data,
    };
    const judgement = judgeArch(arch, image, facts);
    judgements.push(judgement);
    imageRows.push([
      arch,
      image.tag,
      image.present ? "yes" : "no",
      image.architecture ?? "—",
      image.sizeBytes ? `${(image.sizeBytes / 1e9).toFixed(2)} GB` : "—",
      image.created?.slice(0, 16).replace("T", " ") ?? "—",
      matrix.data ? `${facts.ok} ok, ${facts.failed.length} failed, ${facts.notInstalled.length} not installed` : "—",
      judgement.verdict,
    ]);
    evidence.push(`linux/${arch}: ${judgement.why}.`);
  }
  if (matrix.data) evidence.push(`arm64 evidence runs ${matrix.data.arm64}: it shows the binaries work, not how fast a board runs them.`);
  evidence.push(
    "The OpenClaw chat itself is tested on amd64 only (see 0-7): under QEMU on this 2-core host the gateway did not get ready (tests/integration/openclaw-chat.test.ts); a real arm64 board is the place for it.",
  );

  const amd64 = judgements.find((judgement) => judgement.arch === "amd64");
  const stops: StopHit[] = amd64?.verdict === "NG" ? [{ criterion: STOP_CRITERIA.amd64, detail: amd64.why }] : [];
  const order: Verdict[] = ["NG", "unverified", "OK with constraints", "OK"];
  let verdict = order.find((candidate) => judgements.some((judgement) => judgement.verdict === candidate)) ?? "unverified";
  // arm64 evidence under emulation, and no arm64 chat: the arm64 half is never more than "with constraints".
  if (verdict === "OK" && ctx.options.arches.includes("arm64")) verdict = "OK with constraints";
  return {
    verdict,
    summary:
      judgements.map((judgement) => `${judgement.arch}: ${judgement.why}`).join(" | ") +
      (matrix.data && ctx.options.arches.includes("arm64")
        ? ` | arm64 under ${/QEMU/.test(matrix.data.arm64) ? "QEMU emulation" : "its own CPU"}; OpenClaw's gateway not run on arm64 here (under QEMU it exits 78 during its startup state migration)`
        : ""),
    evidence,
    wouldChange: [
      ...(matrix.data ? [] : [`run \`${TOOLS_TEST}\``]),
      ...(judgements.some((judgement) => judgement.why.includes("not on this engine")) ? ["`npm run image` to have the images inspected"] : []),
      "the chat and persistence tests on a real arm64 board (MOLTLAB_TEST_ARCHES=arm64) for arm64 beyond binaries",
      "the tools not installed here (network) installed and passing on both architectures",
    ],
    sources,
    tables: [
      {
        caption: "The OpenClaw image per architecture",
        header: ["arch", "tag", "present", "platform", "size", "created (UTC)", "tools (matrix)", "verdict"],
        rows: imageRows,
      },
    ],
    ...(stops.length ? { stops } : {}),
  };
}
