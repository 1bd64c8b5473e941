import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../core/host.ts";
import { holdHostPorts } from "./host-ports.ts";
import { HOST_PORTS_CALL, holdsHostPorts, interleave } from "./sequencer.ts";

describe("the integration sequencer", () => {
  it("alternates lock holders with the other files, each kind in its own order, the longer kind's rest at the end", () => {
    expect(interleave(["h1", "h2", "h3"], ["o1"])).toEqual(["h1", "o1", "h2", "h3"]);
    expect(interleave(["h1"], ["o1", "o2", "o3"])).toEqual(["h1", "o1", "o2", "o3"]);
    expect(interleave([], ["o1", "o2"])).toEqual(["o1", "o2"]);
  });

  it("starts the first holder with an other file for every other worker, so no worker waits for the lock at the start", () => {
    const holders = ["h1", "h2", "h3"];
    const others = ["o1", "o2", "o3", "o4", "o5"];
    expect(interleave(holders, others, 4)).toEqual(["h1", "o1", "o2", "o3", "h2", "o4", "h3", "o5"]);
    expect(interleave(holders, others, 2)).toEqual(["h1", "o1", "h2", "o2", "h3", "o3", "o4", "o5"]);
    expect(interleave(holders, others, 1)).toEqual(interleave(holders, others, 2));
    expect(interleave(holders, ["o1"], 4)).toEqual(["h1", "o1", "h2", "h3"]);
  });

  it("looks for the call host-ports.ts exports, and finds it in the files that start OpenClaw on the host's network", () => {
    expect(HOST_PORTS_CALL).toBe(`${holdHostPorts.name}();`);
    const dir = join(ROOT, "tests/integration");
    const files = readdirSync(dir).filter((name) => name.endsWith(".test.ts"));
    const source = (name: string) => readFileSync(join(dir, name), "utf8");
    const holders = files.filter((name) => holdsHostPorts(source(name))).sort();
    // A sandbox on the host's network, or openclaw-harness.ts's container (which is on it).
    const onHostNetwork = files.filter((name) => /network: "host"|OpenclawContainer\.start/.test(source(name))).sort();
    expect(holders).toEqual(onHostNetwork);
    expect(holders.length).toBeGreaterThan(0);
  });
});
