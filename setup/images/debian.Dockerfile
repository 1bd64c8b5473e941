# moltlab's stand-in for debian:bookworm-slim where no registry is reachable: the
# root filesystem comes from Debian's archive via mmdebstrap (minbase variant, with
# the same doc/man/locale excludes as the official slim image). Built per platform
# with BuildKit, which records the platform correctly (`docker import` would not).
FROM scratch
ADD rootfs.tar /
CMD ["bash"]
