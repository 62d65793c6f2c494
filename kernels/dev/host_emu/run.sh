#!/usr/bin/env bash
# Host emulation of the CUDA conv kernels against the CPU references (no GPU needed):
#   bash kernels/dev/host_emu/run.sh [--quick]
# Needs libpvll.so from a CMake build (build-dev, build or java/target/native-build).
set -euo pipefail
cd "$(dirname "$0")/../../.."
ROOT=$PWD
LIBDIR=""
for d in build-dev build java/target/native-build; do [[ -f $d/libpvll.so ]] && { LIBDIR=$ROOT/$d; break; }; done
[[ -n $LIBDIR ]] || { echo "no libpvll.so: build the CPU library first" >&2; exit 2; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
for f in conv_common conv_depthwise conv_dense; do
  python3 kernels/dev/host_emu/transform.py "kernels/$f.cu" "$WORK/$f.cpp"
done
cp kernels/conv_common.cuh kernels/cuda_check.cuh "$WORK/"
g++ -std=c++20 -O1 -g -pthread -Ikernels/dev/host_emu/include -I"$WORK" -Inative/include -DPVLL_BUILDING_LIBRARY \
  "$WORK"/conv_common.cpp "$WORK"/conv_depthwise.cpp "$WORK"/conv_dense.cpp kernels/dev/host_emu/emu_check.cpp \
  -L"$LIBDIR" -Wl,-rpath,"$LIBDIR" -lpvll -o "$WORK/emu_check"
"$WORK/emu_check" "$@"
