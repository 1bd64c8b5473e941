/** The command that makes a missing image, by whose image it is. moltlab never pulls. */
export function imageFix(image: string, arch: string): string {
  if (image.startsWith("moltlab/openclaw:")) return `build it with \`npm run image -- --platform ${arch}\` (moltlab never pulls)`;
  if (image.startsWith("moltlab/node:") || image.startsWith("moltlab/debian:")) return "make it with `npm run setup` (moltlab never pulls)";
  return `build it locally, e.g. \`docker buildx build --platform linux/${arch} --load -t ${image} <dir>\` (moltlab never pulls)`;
}
