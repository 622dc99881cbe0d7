#!/usr/bin/env bash
# The project's test command (README.md, and .ci/run runs exactly this): installs the pinned
# pnpm and the workspace, prepares the software Vulkan driver that the WebGPU-in-Node tests run
# on, then typechecks, lints and tests every package through turbo.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1 TURBO_NO_UPDATE_NOTIFIER=1 NPM_CONFIG_UPDATE_NOTIFIER=false

want_pnpm=$(node -p "require('./package.json').packageManager.split('@')[1]")
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$want_pnpm" ]; then
  echo "installing pnpm@$want_pnpm"
  npm install --global --no-fund --no-audit "pnpm@$want_pnpm" >/dev/null
fi

pnpm install --frozen-lockfile
bash scripts/setup-vulkan.sh
pnpm test
