import { describe, expect, it } from "vitest";
import { containerIdFromMountinfo, leftoverDecision, type Self } from "./leftovers.ts";

const OWN = "a".repeat(64);
const OTHER = "b".repeat(64);
const alive = (pids: number[]) => (pid: number) => pids.includes(pid);
const onHost: Self = { host: "box", pid: 100, isAlive: alive([100, 200]) };
const inContainer: Self = { host: OWN.slice(0, 12), pid: 7, isAlive: alive([7]), container: OWN };
const created = Date.parse("2026-11-25T10:00:00Z");
const running = (startedAt: string) => ({ running: true, startedAt: Date.parse(startedAt) });

describe("leftovers of a platform on the host (owner <hostname>:<pid>)", () => {
  it("removes containers without a readable owner", () => {
    expect(leftoverDecision(undefined, onHost)).toMatchObject({ action: "remove", reason: "no owner label" });
    expect(leftoverDecision("garbage", onHost)).toMatchObject({ action: "remove" });
  });

  it("keeps a live process's containers and removes a dead one's", () => {
    expect(leftoverDecision("box:200", onHost)).toMatchObject({ action: "keep" });
    expect(leftoverDecision("box:100", onHost)).toMatchObject({ action: "keep", reason: expect.stringContaining("this process") });
    expect(leftoverDecision("box:300", onHost)).toMatchObject({ action: "remove", reason: expect.stringContaining("process 300") });
  });

  it("keeps another host's containers: its processes cannot be seen from here", () => {
    expect(leftoverDecision("elsewhere:1", onHost)).toMatchObject({ action: "keep" });
    // A containerised platform sees the host's platforms this way too.
    expect(leftoverDecision("box:300", inContainer)).toMatchObject({ action: "keep" });
  });
});

describe("leftovers of a platform in a container (owner label plus its container id)", () => {
  it("keeps the containers of a platform whose container runs and has run since before they were made", () => {
    const facts = { ownerContainerId: OTHER, ownerContainer: running("2026-11-25T09:59:00Z"), createdAt: created };
    expect(leftoverDecision(`${OTHER.slice(0, 12)}:1`, onHost, facts)).toMatchObject({ action: "keep", reason: expect.stringContaining(OTHER.slice(0, 12)) });
    expect(leftoverDecision(`${OTHER.slice(0, 12)}:1`, inContainer, facts)).toMatchObject({ action: "keep" });
  });

  it("removes them once that container is gone, stopped, or restarted (a new process)", () => {
    const owner = `${OTHER.slice(0, 12)}:1`;
    expect(leftoverDecision(owner, onHost, { ownerContainerId: OTHER, ownerContainer: null, createdAt: created })).toMatchObject({
      action: "remove",
      reason: expect.stringContaining("is gone"),
    });
    expect(
      leftoverDecision(owner, onHost, { ownerContainerId: OTHER, ownerContainer: { running: false, startedAt: created - 1000 }, createdAt: created }),
    ).toMatchObject({ action: "remove", reason: expect.stringContaining("not running") });
    expect(leftoverDecision(owner, onHost, { ownerContainerId: OTHER, ownerContainer: running("2026-11-25T10:00:05Z"), createdAt: created })).toMatchObject({
      action: "remove",
      reason: expect.stringContaining("restarted"),
    });
  });

  it("compares at Docker's one-second precision: a sandbox made in the second its platform started is kept", () => {
    const facts = { ownerContainerId: OTHER, ownerContainer: running("2026-11-25T10:00:00.900Z"), createdAt: created };
    expect(leftoverDecision(`${OTHER.slice(0, 12)}:1`, onHost, facts)).toMatchObject({ action: "keep" });
  });

  it("in its own container, asks its own process table: the same pid of the same run is this platform, another pid may be dead", () => {
    const facts = { ownerContainerId: OWN, ownerContainer: running("2026-11-25T09:00:00Z"), createdAt: created };
    expect(leftoverDecision(`${OWN.slice(0, 12)}:7`, inContainer, facts)).toMatchObject({ action: "keep", reason: expect.stringContaining("this process") });
    expect(leftoverDecision(`${OWN.slice(0, 12)}:9`, inContainer, facts)).toMatchObject({ action: "remove", reason: expect.stringContaining("process 9") });
    // The container restarted since: pid 7 is a new process now, whatever it is.
    const restarted = { ...facts, ownerContainer: running("2026-11-25T11:00:00Z") };
    expect(leftoverDecision(`${OWN.slice(0, 12)}:7`, inContainer, restarted)).toMatchObject({ action: "remove", reason: expect.stringContaining("restarted") });
  });
});

describe("finding the container a process runs in", () => {
  it("reads the id from Docker's bind mounts of /etc/hostname, /etc/hosts or /etc/resolv.conf", () => {
    const mountinfo = [
      "655 654 0:52 / / rw,relatime master:281 - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/X",
      `671 655 254:1 /var/lib/docker/containers/${OWN}/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/vda1 rw`,
      `672 655 254:1 /var/lib/docker/containers/${OWN}/hostname /etc/hostname rw,relatime - ext4 /dev/vda1 rw`,
    ].join("\n");
    expect(containerIdFromMountinfo(mountinfo)).toBe(OWN);
  });

  it("finds none on a machine that is not a container", () => {
    expect(containerIdFromMountinfo("22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n")).toBeUndefined();
    expect(containerIdFromMountinfo("")).toBeUndefined();
  });
});
