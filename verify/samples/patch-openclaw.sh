#!/bin/sh
# Sample: the kind of local patch a home setup keeps for OpenClaw (see Dockerfile.user).
set -eu
# Longer Discord messages before OpenClaw splits them.
sed -i 's/DISCORD_MAX_CHARS = 2000/DISCORD_MAX_CHARS = 4000/' /app/dist/channels/discord.js
echo "patched OpenClaw"
