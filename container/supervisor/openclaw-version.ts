/**
 * The image's OpenClaw version, as its build recorded it in tools.json (`openclaw`: moltlab's image
 * writes the pinned version, a layered image of yours what its `openclaw --version` said). The
 * config depends on it where OpenClaw retired a key the supervisor would write.
 */
import { readFile } from "node:fs/promises";
import type { ToolsFile } from "../tools/manifest.ts";

/** undefined when the file is missing or unreadable, or recorded no version ("unknown"). */
export async function readOpenclawVersion(toolsFile: string): Promise<string | undefined> {
  try {
    const { openclaw } = JSON.parse(await readFile(toolsFile, "utf8")) as Partial<ToolsFile>;
    return typeof openclaw === "string" && /\d+\.\d+\.\d+/.test(openclaw) ? openclaw : undefined;
  } catch {
    return undefined;
  }
}
