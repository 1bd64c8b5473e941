/** The CPU architectures moltlab builds images for and runs containers on. */
export const ARCHES = ["amd64", "arm64"] as const;
export type Arch = (typeof ARCHES)[number];
