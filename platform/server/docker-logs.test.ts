import { describe, expect, it } from "vitest";
import { demuxLogs } from "./docker-logs.ts";

describe("container logs", () => {
  it("demultiplexes Docker's log frames and passes TTY output through", () => {
    const frame = (stream: number, text: string) => Buffer.concat([Buffer.from([stream, 0, 0, 0, 0, 0, 0, text.length]), Buffer.from(text)]);
    expect(demuxLogs(Buffer.concat([frame(1, "out\n"), frame(2, "err\n")]))).toBe("out\nerr\n");
    expect(demuxLogs(Buffer.from("plain tty output\n"))).toBe("plain tty output\n");
  });
});
