/**
 * The order the integration files start in when several run side by side. Files that hold the
 * host's OpenClaw ports (holdHostPorts(), host-ports.ts) run one at a time; the others (bridge
 * network, no OpenClaw, or OpenClaw on ports of its own) can run beside them. A holder that starts
 * while another holds the lock waits in its worker, idle, so the first holder starts with enough
 * others to fill the remaining workers, and then the two kinds alternate (each longest first as
 * vitest orders them): a worker that frees up takes a holder about when the last one ends. Only
 * the order changes: which files run, and in which project, does not.
 *
 * Imported by vitest.config.ts, so it imports nothing of the project's (see vitest.workspace.ts).
 */
import { readFile } from "node:fs/promises";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** What a file that holds the host's ports calls (tests/shared/host-ports.ts). */
export const HOST_PORTS_CALL = "holdHostPorts();";

/**
 * `holders` and `others`, each in its own order: the first holder, then `workers - 1` others (one
 * for every other worker), then alternating; the longer kind's rest at the end.
 */
export function interleave<T>(holders: readonly T[], others: readonly T[], workers = 2): T[] {
  const lead = Math.max(1, workers - 1);
  const order: T[] = [...holders.slice(0, 1), ...others.slice(0, lead)];
  const restHolders = holders.slice(1);
  const restOthers = others.slice(lead);
  for (let index = 0; index < Math.max(restHolders.length, restOthers.length); index++) {
    if (index < restHolders.length) order.push(restHolders[index]!);
    if (index < restOthers.length) order.push(restOthers[index]!);
  }
  return order;
}

/** Whether a test file's source holds the host's ports (the call at the start of a line). */
export function holdsHostPorts(source: string): boolean {
  return source.includes(`\n${HOST_PORTS_CALL}`);
}

export class HostPortsSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const holds = new Map(await Promise.all(sorted.map(async (spec) => [spec, holdsHostPorts(await readFile(spec.moduleId, "utf8"))] as const)));
    // Per project, in the order vitest gave the projects: a project without holders keeps its order.
    const projects = [...new Set(sorted.map((spec) => spec.project.name))];
    return projects.flatMap((name) => {
      const own = sorted.filter((spec) => spec.project.name === name);
      const workers = own[0]?.project.config.maxWorkers;
      return interleave(
        own.filter((spec) => holds.get(spec)),
        own.filter((spec) => !holds.get(spec)),
        typeof workers === "number" ? workers : 1,
      );
    });
  }
}
