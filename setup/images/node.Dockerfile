# moltlab's stand-in for node:24-bookworm-slim where no registry is reachable: the
# official Node binary from the npm package node-linux-<arch> plus npm itself, laid
# out as in the official image (/usr/local, user `node` with uid 1000). The only RUN
# is a useradd, so an arm64 build spends a second or two under QEMU, not minutes.
ARG BASE
FROM ${BASE}
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
COPY overlay/ /
ARG NODE_VERSION
ENV NODE_VERSION=${NODE_VERSION}
CMD ["node"]
