/** `moltlab image [--platform amd64|arm64|all] [--openclaw VERSION]`: build the OpenClaw image (a no-op when current). */
import { ensureImages, type ImageOptions } from "../container/build/index.ts";
import { ARCHES, type Arch } from "../contract/arch.ts";
import { OPENCLAW_VERSION } from "../contract/openclaw.ts";
import { parseCommandArgs } from "../core/args.ts";
import { UserError } from "../core/errors.ts";

const USAGE = "usage: moltlab image [--platform amd64|arm64|all] [--openclaw VERSION]";

export function parseImageArgs(args: readonly string[]): ImageOptions {
  const { values } = parseCommandArgs(
    args,
    {
      platform: {
        type: "string",
        parse: (raw): readonly Arch[] => {
          const platform = raw.replace(/^linux\//, "");
          if (platform === "all") return ARCHES;
          if ((ARCHES as readonly string[]).includes(platform)) return [platform as Arch];
          throw new UserError(`--platform ${platform || "(missing)"} is not amd64, arm64 or all`, "use `npm run image -- --platform amd64|arm64|all`");
        },
      },
      openclaw: {
        type: "string",
        parse: (version) => {
          if (/^\d+\.\d+\.\d+([-+][\w.]+)?$/.test(version)) return version;
          throw new UserError(
            `--openclaw ${version || "(missing)"} is not an exact version`,
            `pass an exact openclaw version, e.g. \`--openclaw ${OPENCLAW_VERSION}\``,
          );
        },
      },
    },
    { usage: USAGE },
  );
  return { arches: values.platform ?? ARCHES, openclawVersion: values.openclaw ?? OPENCLAW_VERSION };
}

export async function image(args: string[]): Promise<number> {
  await ensureImages(parseImageArgs(args));
  return 0;
}
