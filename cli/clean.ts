import { removeLabelled } from "../core/docker.ts";
import { LABEL_MANAGED } from "../core/labels.ts";

/** Removes everything moltlab labelled: containers, networks, volumes, and with --images its images too. */
export async function clean(args: readonly string[]): Promise<void> {
  const images = args.includes("--images");
  const removed = await removeLabelled(undefined, { images });
  console.log(
    `clean: removed ${removed.containers} containers, ${removed.networks} networks, ${removed.volumes} volumes, ${removed.superseded} superseded (untagged) images` +
      (images ? `, ${removed.images} images` : " (current images kept; `--images` removes them too)") +
      ` labelled ${LABEL_MANAGED}=true`,
  );
}
