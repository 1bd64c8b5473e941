// Preloaded into the supervisor (NODE_OPTIONS=--import) for the torture run's clock jumps: its
// wall clock (Date) runs at the offset the host writes to TORTURE_CLOCK_FILE (milliseconds),
// read every 20 ms. Only the supervisor's own process is shifted: the gateway and the workload
// inherit NODE_OPTIONS but keep the real clock, so the journal stays on the host's time.
import { readFileSync } from "node:fs";

const file = process.env.TORTURE_CLOCK_FILE;
if (file && /supervisor\.mjs$/.test(process.argv[1] ?? "")) {
  const RealDate = Date;
  let offset = 0;
  const read = () => {
    try {
      offset = Number(readFileSync(file, "utf8").trim()) || 0;
    } catch {
      offset = 0;
    }
  };
  read();
  setInterval(read, 20).unref();
  class ShiftedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(RealDate.now() + offset);
      else super(...args);
    }
    static now() {
      return RealDate.now() + offset;
    }
  }
  globalThis.Date = ShiftedDate;
}
