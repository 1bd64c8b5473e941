/**
 * Whose sandbox containers are whose. A platform labels what it creates with its owner
 * (`<host>:<pid>`, and its own container's id when it runs in one on the same engine); at
 * startup it removes what a dead platform left behind, and it never replaces a live
 * platform's container of the same name. core/leftovers.ts holds the decision; this module
 * gathers the facts for it from the engine.
 */
import { hostname } from "node:os";
import type Docker from "dockerode";
import { PlatformError } from "../client/errors.ts";
import {
  containerIdFromMountinfo,
  leftoverDecision,
  processAlive,
  readMountinfo,
  type LeftoverDecision,
  type OwnerContainer,
  type Self,
} from "../../core/leftovers.ts";
import { isNotFound, removeContainer } from "./docker-errors.ts";
import { LABEL_CONTAINER, LABEL_OWNER, LABEL_OWNER_CONTAINER, ownerLabel, platformFilter, type Owner } from "./run-profile.ts";

export interface Leftover {
  name: string;
  id: string;
  owner?: string;
  reason: string;
}

export interface LeftoverReport {
  removed: Leftover[];
  kept: Leftover[];
}

/** The engine's answers about owner containers, asked once per id during one sweep. */
type OwnerLookups = Map<string, Promise<OwnerContainer | null>>;

export class Ownership {
  /** `<hostname>:<pid>` of this platform. */
  readonly label = ownerLabel();
  /** The id of the container this platform runs in (on the same engine), if it runs in one. */
  readonly container: string | undefined;
  private readonly docker: Docker;

  private constructor(docker: Docker, container: string | undefined) {
    this.docker = docker;
    this.container = container;
  }

  /** This platform's ownership, with the container it runs in if the engine confirms one. */
  static async find(docker: Docker): Promise<Ownership> {
    return new Ownership(docker, await findOwnContainer(docker));
  }

  /** What this platform's containers are labelled with. */
  get owner(): Owner {
    return { label: this.label, ...(this.container ? { container: this.container } : {}) };
  }

  /** Removes every sandbox container whose platform is gone; reports those and the ones kept. */
  async sweepLeftovers(): Promise<LeftoverReport> {
    const report: LeftoverReport = { removed: [], kept: [] };
    const lookups: OwnerLookups = new Map();
    for (const item of await this.docker.listContainers({ all: true, filters: platformFilter() })) {
      const owner = item.Labels[LABEL_OWNER];
      const decision = await this.decide(item, lookups);
      const leftover: Leftover = {
        name: item.Labels[LABEL_CONTAINER] ?? item.Names[0] ?? item.Id,
        id: item.Id,
        reason: decision.reason,
        ...(owner ? { owner } : {}),
      };
      if (decision.action === "remove") {
        await removeContainer(this.docker.getContainer(item.Id));
        report.removed.push(leftover);
      } else {
        report.kept.push(leftover);
      }
    }
    return report;
  }

  /** Removes the container of a Docker name (an exited generation, or a dead platform's); refuses a live platform's. */
  async removeExisting(dockerName: string): Promise<void> {
    const [existing] = await this.docker.listContainers({ all: true, filters: { name: [`^/${dockerName}$`] } });
    if (!existing) return;
    const owner = existing.Labels[LABEL_OWNER];
    const mine = owner === this.label && existing.Labels[LABEL_OWNER_CONTAINER] === this.container;
    if (!mine && (await this.decide(existing, new Map())).action === "keep") {
      throw new PlatformError(
        "name_in_use",
        `a container named ${dockerName} belongs to another running platform (${owner ?? "not moltlab's"}); use another name or stop that platform`,
      );
    }
    await removeContainer(this.docker.getContainer(existing.Id));
  }

  /** Whether a sandbox container's platform is gone; the engine is asked about owner containers. */
  private async decide(item: Docker.ContainerInfo, lookups: OwnerLookups): Promise<LeftoverDecision> {
    const ownerContainerId = item.Labels[LABEL_OWNER_CONTAINER];
    let ownerContainer: OwnerContainer | null | undefined;
    if (ownerContainerId) {
      if (!lookups.has(ownerContainerId)) lookups.set(ownerContainerId, this.inspectOwner(ownerContainerId));
      ownerContainer = await lookups.get(ownerContainerId);
    }
    return leftoverDecision(item.Labels[LABEL_OWNER], this.self(), { ownerContainerId, ownerContainer, createdAt: item.Created * 1000 });
  }

  private async inspectOwner(id: string): Promise<OwnerContainer | null> {
    try {
      const info = await this.docker.getContainer(id).inspect();
      return { running: info.State.Running, startedAt: Date.parse(info.State.StartedAt) };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  private self(): Self {
    return { host: hostname(), pid: process.pid, isAlive: processAlive, ...(this.container ? { container: this.container } : {}) };
  }
}

/**
 * The container this process runs in, if the engine it drives is the one running it: the
 * mount table names a candidate, and its hostname must be ours (a machine may itself be a
 * container of some other engine, whose ids mean nothing here).
 */
async function findOwnContainer(docker: Docker): Promise<string | undefined> {
  const candidate = containerIdFromMountinfo(readMountinfo());
  if (!candidate) return undefined;
  try {
    const info = await docker.getContainer(candidate).inspect();
    return info.Config.Hostname === hostname() ? info.Id : undefined;
  } catch {
    return undefined;
  }
}
