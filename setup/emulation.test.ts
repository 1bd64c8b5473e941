import { describe, expect, it } from "vitest";
import { handlerUsable, parseBinfmt } from "./emulation.ts";

// As the kernel prints it after Debian 12's qemu-user-static registers aarch64.
const DEBIAN_AARCH64 = `enabled
interpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P
flags: PF
offset 0
magic 7f454c460201010000000000000000000200b700
mask ffffffffffffff00fffffffffffffffffeffffff
`;

describe("binfmt_misc handlers", () => {
  it("parses the kernel's handler file, including the colon after flags", () => {
    expect(parseBinfmt(DEBIAN_AARCH64)).toEqual({ enabled: true, interpreter: "/usr/libexec/qemu-binfmt/aarch64-binfmt-P", flags: "PF" });
  });

  it("accepts only an enabled handler with the fix-binary flag (containers lack the interpreter file)", () => {
    expect(handlerUsable(parseBinfmt(DEBIAN_AARCH64))).toBe(true);
    expect(handlerUsable(parseBinfmt(DEBIAN_AARCH64.replace("enabled", "disabled")))).toBe(false);
    expect(handlerUsable(parseBinfmt(DEBIAN_AARCH64.replace("flags: PF", "flags: P")))).toBe(false);
    expect(handlerUsable(undefined)).toBe(false);
  });
});
