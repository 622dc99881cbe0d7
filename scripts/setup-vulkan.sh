#!/usr/bin/env bash
# Installs a software Vulkan driver (Mesa 25 lavapipe from Debian bookworm-backports) into
# <repo>/.cache/vulkan, so that WebGPU in Node (Dawn's `webgpu` npm package) finds an adapter on
# a machine without a GPU. Used by the @minevo/backend-webgpu and @minevo/backend-node-gpu tests.
#
# Why not the system package: bookworm's own Mesa 22 lavapipe is rejected by Dawn (it lacks
# dynamic array indexing), and installing Mesa 25 system-wide would replace the machine's Mesa.
# So the backports .debs are unpacked with `dpkg -x` into a folder of our own and selected with
#   VK_ICD_FILENAMES=<repo>/.cache/vulkan/lvp_icd.json
#   LD_LIBRARY_PATH=<repo>/.cache/vulkan/root/usr/lib/x86_64-linux-gnu
# which packages/backend-webgpu/scripts/run-tests.mjs sets before starting vitest.
#
# Needs root (apt) the first time; idempotent: a second run only checks and exits.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="$repo/.cache/vulkan"
root="$cache/root"
libdir="$root/usr/lib/x86_64-linux-gnu"
icd="$cache/lvp_icd.json"
backports="deb http://deb.debian.org/debian bookworm-backports main"

if [[ -f "$icd" && -f "$libdir/libvulkan_lvp.so" && -e "$libdir/libvulkan.so.1" ]]; then
  echo "setup-vulkan: lavapipe already installed in $cache"
  exit 0
fi

if [[ "$(uname -m)" != "x86_64" ]]; then
  echo "setup-vulkan: this script installs x86_64 packages; this machine is $(uname -m)" >&2
  exit 1
fi
if [[ "$(id -u)" != "0" ]]; then
  echo "setup-vulkan: run as root the first time (it adds an apt source and installs libraries)" >&2
  exit 1
fi

# The backports suite holds Mesa 25; add it unless some sources file already lists it.
if ! grep -rqsE '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "$backports" > /etc/apt/sources.list.d/bookworm-backports.list
  echo "setup-vulkan: added $backports"
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq

# Libraries libvulkan_lvp.so links against; present on most images, and cheap when they are.
apt-get install -y -qq --no-install-recommends \
  libllvm15 libdrm2 libxcb-dri3-0 libxcb-present0 libxcb-randr0 libxcb-shm0 libxcb-sync1 \
  libxcb-xfixes0 libx11-xcb1 libxshmfence1 libwayland-client0 libelf1 libzstd1

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# apt downloads as the unprivileged _apt user where it can; let it write here.
chown _apt "$work" 2>/dev/null || chmod 777 "$work"
(cd "$work" && apt-get download -qq mesa-vulkan-drivers/bookworm-backports libvulkan1)

rm -rf "$root"
mkdir -p "$root"
for deb in "$work"/*.deb; do
  dpkg -x "$deb" "$root"
done

if [[ ! -f "$libdir/libvulkan_lvp.so" ]]; then
  echo "setup-vulkan: libvulkan_lvp.so is not in the unpacked packages (looked in $libdir)" >&2
  exit 1
fi

cat > "$icd" <<EOF
{"file_format_version":"1.0.1","ICD":{"library_path":"$libdir/libvulkan_lvp.so","api_version":"1.4.305"}}
EOF

echo "setup-vulkan: lavapipe installed in $cache"
echo "  VK_ICD_FILENAMES=$icd"
echo "  LD_LIBRARY_PATH=$libdir"
