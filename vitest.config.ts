import { defineConfig } from "vitest/config";
import projects from "./vitest.workspace.ts";

// The projects live in vitest.workspace.ts, the single list (vitest ≥ 4 ignores that file on its own).
export default defineConfig({ test: { projects } });
