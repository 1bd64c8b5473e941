# Where a registry is reachable, the real upstream image, re-tagged under moltlab's
# per-platform name and given moltlab's labels (a plain `docker tag` cannot add labels).
ARG UPSTREAM
FROM ${UPSTREAM}
