/** What became of one host-prepared tool for one arch: a file to put in the image, or why not. */
export type ToolOutcome = { installed: true; file: string; note?: string } | { installed: false; reason: string };
