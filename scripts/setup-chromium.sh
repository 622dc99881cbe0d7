#!/usr/bin/env bash
# Installs Debian's `chromium` package, the browser that apps/web's end-to-end test drives through
# playwright-core (which never downloads a browser of its own here: `playwright install` fetches
# from a host these machines cannot reach). Debian's build is what gives headless WebGPU on the
# CPU: it ships SwiftShader's Vulkan ICD, and with --enable-unsafe-webgpu the page gets a
# SwiftShader adapter (see apps/web/README.md).
#
# Prints the binary's path; apps/web's test looks for it at $MINEVO_CHROMIUM, then
# /usr/bin/chromium. Needs root the first time (apt); idempotent: a second run only checks.
set -euo pipefail

find_chromium() {
  for candidate in "${MINEVO_CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
    if [[ -n "$candidate" && -x "$candidate" ]]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if binary=$(find_chromium); then
  echo "setup-chromium: $("$binary" --version 2>/dev/null || echo chromium) at $binary"
  exit 0
fi

if [[ "$(id -u)" != "0" ]]; then
  echo "setup-chromium: chromium is not installed; run this script as root once (it runs apt-get install chromium)" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-chromium: chromium is not installed and this is not a Debian/Ubuntu machine (no apt-get); install Chromium and set MINEVO_CHROMIUM to its binary" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# --no-install-recommends keeps it to the browser and the libraries it links against (no
# fonts-liberation, no desktop integration); headless rendering needs nothing more, and the
# page's text falls back to the DejaVu fonts that chromium's dependencies bring.
apt-get install -y -qq --no-install-recommends chromium

if ! binary=$(find_chromium); then
  echo "setup-chromium: apt installed chromium but no binary is at /usr/bin/chromium" >&2
  exit 1
fi
echo "setup-chromium: installed $("$binary" --version 2>/dev/null || echo chromium) at $binary"
