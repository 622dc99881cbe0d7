#!/usr/bin/env bash
# The main job (README.md): installs the pinned pnpm and the workspace, then samples from a 2-D
# target known only by its formula (default: the two-mode mixture of the reference study) with
# the MNE Ornstein–Uhlenbeck sampler on the CPU (TensorFlow.js wasm): fit, forward evolution,
# reverse probability flow with exact model densities, importance weights, ESS and log Ẑ — the
# `minevo sample` command, writing result.json, CSVs and plots to out/main/. Arguments pass
# through (a later --out wins), e.g.
#   bash scripts/main.sh --samples 20000 --seed 3 --target gaussian --target-option 'mean=[1,-1]' --out out/gauss
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1 NPM_CONFIG_UPDATE_NOTIFIER=false

want_pnpm=$(node -p "require('./package.json').packageManager.split('@')[1]")
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$want_pnpm" ]; then
  echo "installing pnpm@$want_pnpm"
  npm install --global --no-fund --no-audit "pnpm@$want_pnpm" >/dev/null
fi
pnpm install --frozen-lockfile --reporter=silent
pnpm --filter @minevo/cli minevo sample --backend wasm --out out/main "$@"
