#!/usr/bin/env bash
# Builds the kernels/dev check-and-time programs without CMake (the device machine has nvcc):
#   bash kernels/dev/build.sh [arch, default 90] [output folder, default build-dev-tools]
# then run e.g. build-dev-tools/depthwise_check or build-dev-tools/graph_overhead. Same flags as libpvll_cuda (CMakeLists.txt).
set -euo pipefail
cd "$(dirname "$0")/../.."
ARCH=${1:-90}
BIN=${2:-build-dev-tools}
mkdir -p "$BIN"
FLAGS=(-O3 -std=c++17 --use_fast_math -lineinfo -arch=sm_${ARCH} -Inative/include -Ikernels
  -DPVLL_BUILDING_LIBRARY "-DPVLL_CUDA_BUILD_STATUS=\"kernels/dev build\"")
nvcc "${FLAGS[@]}" kernels/dev/depthwise_check.cu kernels/conv_depthwise.cu kernels/conv_common.cu \
  kernels/runtime.cu -o "$BIN/depthwise_check"
echo "built $BIN/depthwise_check"
nvcc "${FLAGS[@]}" kernels/dev/graph_overhead.cu kernels/graph.cu kernels/runtime.cu -o "$BIN/graph_overhead"
echo "built $BIN/graph_overhead"
