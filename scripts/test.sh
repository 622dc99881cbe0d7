#!/usr/bin/env bash
# The project's test command (README.md, and .ci/run runs exactly this): installs the pinned
# pnpm and the workspace, prepares the software Vulkan driver that the WebGPU-in-Node tests run
# on and Debian's chromium for the browser test, then typechecks, lints and tests every
# package through turbo.
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
# Debian's chromium for apps/web's end-to-end test in a real browser (playwright-core drives it).
bash scripts/setup-chromium.sh

# Run everything, keep the log, and close with one summary line over every package's vitest run.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
pnpm test 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
plain=$(sed -E 's/\x1b\[[0-9;]*m//g' "$log")
count() { printf '%s\n' "$plain" | grep -E '^\S+:test: +Tests +' | grep -oE "[0-9]+ $1" | awk '{s += $1} END {print s + 0}' || true; }
passed=$(count passed)
failed=$(count failed)
echo
echo "tests: $passed passed, $failed failed"
exit "$status"
