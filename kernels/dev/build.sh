#!/usr/bin/env bash
# Builds the kernels/dev check-and-time programs (depthwise_check, graph_overhead) without CMake:
#   bash kernels/dev/build.sh [arch, default 90] [output folder, default build-dev-tools]
# with nvcc for sm_<arch> (same flags as libpvll_cuda, CMakeLists.txt; the CUDA runtime linked
# statically, so the device machine needs no nvcc to run them), or with arch "emulated" by g++
# against the emulated CUDA runtime of kernels/dev/emu (no nvcc, no GPU; their timings are the
# emulator's, not a GPU's). The emulated build needs emu_transform and libpvll_emu_runtime.a from a
# CMake build (BUILD, default java/kernels/target/native-build: mvn package makes it).
# Then run e.g. OUT/depthwise_check or OUT/graph_overhead.
set -euo pipefail
cd "$(dirname "$0")/../.."
ARCH=${1:-90}
BIN=${2:-build-dev-tools}
mkdir -p "$BIN"
if [[ $ARCH == emulated ]]; then
  BUILD=${BUILD:-java/kernels/target/native-build}
  [[ -x $BUILD/emu_transform && -f $BUILD/libpvll_emu_runtime.a ]] || {
    echo "no emu_transform / libpvll_emu_runtime.a in $BUILD: build the project first (mvn -q package -DskipTests)" >&2
    exit 2
  }
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/kernels" "$work/dev"
  for f in kernels/*.cu kernels/*.cuh; do
    ext=${f##*.}
    "$BUILD/emu_transform" "$f" "$work/kernels/$(basename "$f" ".$ext").$([[ $ext == cu ]] && echo cpp || echo cuh)"
  done
  for f in depthwise_check graph_overhead; do "$BUILD/emu_transform" "kernels/dev/$f.cu" "$work/dev/$f.cpp"; done
  FLAGS=(-std=c++17 -O2 -march=x86-64-v3 -ffp-contract=fast -fno-strict-aliasing -Ikernels/dev/emu/include -Inative/include
    "-I$work/kernels" -DPVLL_BUILDING_LIBRARY "-DPVLL_CUDA_BUILD_STATUS=\"kernels/dev build, emulated\"" -w -pthread
    -include cuda_runtime.h)  # nvcc includes it implicitly
  g++ "${FLAGS[@]}" "$work/dev/depthwise_check.cpp" "$work/kernels/conv_depthwise.cpp" "$work/kernels/conv_common.cpp" \
    "$work/kernels/runtime.cpp" "$BUILD/libpvll_emu_runtime.a" -o "$BIN/depthwise_check" &
  first=$!
  g++ "${FLAGS[@]}" "$work/dev/graph_overhead.cpp" "$work/kernels/graph.cpp" "$work/kernels/runtime.cpp" \
    "$BUILD/libpvll_emu_runtime.a" -o "$BIN/graph_overhead"
  wait $first
  echo "built $BIN/depthwise_check and $BIN/graph_overhead on the emulated CUDA runtime"
  exit 0
fi
FLAGS=(-O3 -std=c++17 --use_fast_math -lineinfo -arch=sm_${ARCH} -Inative/include -Ikernels
  -DPVLL_BUILDING_LIBRARY "-DPVLL_CUDA_BUILD_STATUS=\"kernels/dev build\"")
nvcc "${FLAGS[@]}" kernels/dev/depthwise_check.cu kernels/conv_depthwise.cu kernels/conv_common.cu \
  kernels/runtime.cu -o "$BIN/depthwise_check"
echo "built $BIN/depthwise_check"
nvcc "${FLAGS[@]}" kernels/dev/graph_overhead.cu kernels/graph.cu kernels/runtime.cu -o "$BIN/graph_overhead"
echo "built $BIN/graph_overhead"
