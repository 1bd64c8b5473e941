#!/bin/sh
# Stand-in OpenClaw for Dockerfile.local: answers --version as the real CLI does.
echo "OpenClaw 2026.9.6"
