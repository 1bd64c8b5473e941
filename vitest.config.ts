import { defineConfig } from "vitest/config";
import projects from "./vitest.workspace.ts";
import { HostPortsSequencer } from "./tests/shared/sequencer.ts";

// The projects live in vitest.workspace.ts, the single list (vitest ≥ 4 ignores that file on its own).
// The sequencer (which imports no project code) is one for all projects: vitest allows no other.
export default defineConfig({ test: { projects, sequence: { sequencer: HostPortsSequencer } } });
