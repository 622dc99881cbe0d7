#!/usr/bin/env bash
# The main job (README.md): installs the pinned pnpm and the workspace, then runs minimal neural
# evolution of the Ornstein–Uhlenbeck Fokker–Planck equation from a 2-D Gaussian mixture on the
# CPU (TensorFlow.js wasm) and checks it against the exact solution. Until the sampler and the
# `minevo` command land, this forward evolution is the main job. Arguments pass through, e.g.
#   bash scripts/main.sh --seed 3 --points 2000
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1 NPM_CONFIG_UPDATE_NOTIFIER=false

want_pnpm=$(node -p "require('./package.json').packageManager.split('@')[1]")
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$want_pnpm" ]; then
  echo "installing pnpm@$want_pnpm"
  npm install --global --no-fund --no-audit "pnpm@$want_pnpm" >/dev/null
fi
pnpm install --frozen-lockfile --reporter=silent
pnpm --filter @minevo/demo start --backend wasm "$@"
