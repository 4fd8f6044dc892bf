#!/usr/bin/env bash
# The GPU benchmark (bench/gpu.ts) on a lent GPU machine that has no Node and no registry.
#
#   bash scripts/device-bench.sh prepare   # here: fills .device-bench/ (ignored by git, < 64 MiB)
#   bash scripts/device-bench.sh run       # there: writes bench-gpu.jsonl, bench-gpu.log and gpu.txt under $OUT
#
# `npm ci` cannot run there (no Node, nothing reachable), so `prepare` carries what it would install, made here:
# this machine's Node binary (gzip), bench/gpu.ts bundled with esbuild into one ES module (tfjs, the engine and the
# lab all inside), the `webgpu` package's Linux x86-64 Dawn binary, and Debian's Vulkan loader in case the image has
# none. With the device tool (one call; the machine's CUDA image has python3 but no Node):
#   run({ command: 'bash scripts/device-bench.sh run', carry: ['.device-bench'], timeout_s: 540 })
# Options after `run` go to bench/gpu.ts (default: --presets tiny,small --steps 50 --warmup 5 --kernels both --profile).
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=.device-bench

prepare() {
  rm -rf "$DIR" && mkdir -p "$DIR/node_modules/webgpu/dist/linux-x64"
  # Top-level await and import.meta stay as they are in an ES module; require and __dirname are given back for the
  # CommonJS parts of the bundle (tfjs's wasm loader, only reached when the wasm backend starts).
  npx esbuild bench/gpu.ts --bundle --platform=node --format=esm --target=node20 --log-level=warning --ignore-annotations \
    --external:webgpu --outfile="$DIR/gpu.mjs" \
    --banner:js="import { createRequire as __cr } from 'node:module'; import { fileURLToPath as __fu } from 'node:url'; import { dirname as __dn } from 'node:path'; const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);"
  cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$DIR/node_modules/webgpu/"
  gzip -c node_modules/webgpu/dist/linux-x64/dawn.node >"$DIR/node_modules/webgpu/dist/linux-x64/dawn.node.gz"
  gzip -c "$(command -v node)" >"$DIR/node.gz"
  (cd "$DIR" && apt-get download libvulkan1 >/dev/null 2>&1) || echo "note: apt-get download libvulkan1 failed (run apt-get update first); the run relies on the image's loader" >&2
  du -sh "$DIR"
  local kib
  kib=$(du -sk "$DIR" | cut -f1)
  if [ "$kib" -gt 62000 ]; then echo "$DIR is ${kib} KiB, over what a device call carries (64 MiB)" >&2; exit 1; fi
}

run() {
  [ -f "$DIR/gpu.mjs" ] || { echo "no $DIR/gpu.mjs: run 'bash scripts/device-bench.sh prepare' here first and carry $DIR" >&2; exit 2; }
  local out=${OUT:-$DIR/out}
  mkdir -p "$out" /tmp/devbench
  if ! ldconfig -p 2>/dev/null | grep -q libvulkan.so.1; then
    for f in "$DIR"/libvulkan1_*.deb; do [ -f "$f" ] && dpkg -x "$f" / && ldconfig; done
  fi
  local icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  if [ -z "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" ] && [ -f "$icd" ]; then export VK_DRIVER_FILES=$icd; fi
  gzip -dc "$DIR/node.gz" >/tmp/devbench/node && chmod +x /tmp/devbench/node
  gzip -dc "$DIR/node_modules/webgpu/dist/linux-x64/dawn.node.gz" >"$DIR/node_modules/webgpu/dist/linux-x64/dawn.node"
  { nvidia-smi -L 2>&1 || true; /tmp/devbench/node --version; echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-}"; ls /usr/share/vulkan/icd.d 2>&1 || true; } >"$out/gpu.txt"
  local args=("$@")
  [ ${#args[@]} -gt 0 ] || args=(--presets tiny,small --steps 50 --warmup 5 --kernels both --profile)
  set +e
  /tmp/devbench/node "$DIR/gpu.mjs" "${args[@]}" >"$out/bench-gpu.jsonl" 2>"$out/bench-gpu.log"
  local rc=$?
  set -e
  cat "$out/bench-gpu.jsonl"
  tail -20 "$out/bench-gpu.log" >&2
  return $rc
}

case "${1:-}" in
  prepare) prepare ;;
  run) shift; run "$@" ;;
  *) echo "usage: bash scripts/device-bench.sh prepare|run [bench/gpu.ts options]" >&2; exit 2 ;;
esac
