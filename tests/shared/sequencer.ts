/**
 * The order the integration files start in when two run side by side. Files that hold the
 * host's OpenClaw ports (holdHostPorts(), host-ports.ts) run one at a time; the others (bridge
 * network, no OpenClaw, or OpenClaw on ports of its own) can run beside them. Interleaving the two
 * kinds, each longest first as vitest orders them, keeps both workers busy instead of one waiting
 * for the lock. Only the order changes: which files run, and in which project, does not.
 *
 * Imported by vitest.config.ts, so it imports nothing of the project's (see vitest.workspace.ts).
 */
import { readFile } from "node:fs/promises";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** What a file that holds the host's ports calls (tests/shared/host-ports.ts). */
export const HOST_PORTS_CALL = "holdHostPorts();";

/** `holders` and `others`, each in its own order, alternating from the first holder. */
export function interleave<T>(holders: readonly T[], others: readonly T[]): T[] {
  const order: T[] = [];
  for (let index = 0; index < Math.max(holders.length, others.length); index++) {
    if (index < holders.length) order.push(holders[index]!);
    if (index < others.length) order.push(others[index]!);
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
      return interleave(
        own.filter((spec) => holds.get(spec)),
        own.filter((spec) => !holds.get(spec)),
      );
    });
  }
}
