#!/usr/bin/env bash
# Run HERE (a machine with Node 20, nvcc and the repository's node_modules), from the repository root:
#   bash scripts/gpu/pack.sh
# Builds the CUDA addon (npm run build:cuda) and dist/ (tsc), then packs what the GPU machine needs —
# it has no Node.js and no npm — into .gpu/ (git-ignored through .git/info/exclude), which the device
# tool carries (carry: [".gpu"]); scripts/gpu/run.sh unpacks it there. Contents:
#   .gpu/node.xz          this machine's node binary, xz-compressed (≈ 24 MB of 98 MB)
#   .gpu/payload.tar.xz   dist/ (src + tests), build/cuda/Release/curvature_cuda.node and the
#                         node_modules the tests import (uvu and its dependencies, fast-check, commander)
# The rest of the repository (test/fixtures, wasm/, prebuilds/, scripts/gpu/) travels as the working tree.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
command -v nvcc >/dev/null || { echo "pack.sh: nvcc is needed to build the CUDA addon" >&2; exit 1; }

# package.json's build:cuda into build/cuda-pack: build/cuda is where the default selection looks, and
# a module there on this GPU-less machine would make every process of the checkout print that it
# cannot run. The archive stores it as build/cuda/Release/ (run.sh points CURVATURE_CUDA_PATH at it).
npx cmake-js compile --release --parallel 2 --log-level warn --CDCURVATURE_CUDA=ON --out build/cuda-pack
npx tsc -p .
test -f build/cuda-pack/Release/curvature_cuda.node

exclude="$(git rev-parse --git-path info/exclude)"
mkdir -p "$(dirname "$exclude")"
grep -qx '/.gpu/' "$exclude" 2>/dev/null || echo '/.gpu/' >> "$exclude"
rm -rf .gpu && mkdir -p .gpu

xz -T2 -6 -c "$(command -v node)" > .gpu/node.xz
mods=(uvu dequal diff kleur sade mri fast-check pure-rand commander)
paths=(dist/src dist/test dist/bench build/cuda-pack/Release/curvature_cuda.node)
for m in "${mods[@]}"; do test -d "node_modules/$m" && paths+=("node_modules/$m"); done
# -h: node_modules may be a symbolic link (a worktree's); the archive holds real files.
tar -chJf .gpu/payload.tar.xz --exclude='*.map' --transform 's,^build/cuda-pack/,build/cuda/,' "${paths[@]}"

size=$(du -sb .gpu | cut -f1)
echo "pack.sh: .gpu/ holds $((size / 1048576)) MiB: $(ls .gpu | tr '\n' ' ')"
if [ "$size" -gt $((60 * 1048576)) ]; then
  echo "pack.sh: .gpu/ exceeds 60 MiB; the device tool carries at most 64 MiB with the working tree" >&2
  exit 1
fi
