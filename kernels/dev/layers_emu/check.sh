#!/usr/bin/env bash
# Compiles the CUDA layer kernels (kernels/*.cu but runtime.cu and elementwise.cu) for the host
# emulation and runs check_layers.cpp against the CPU kernels. Needs libpvll.so (BUILD, default
# build/dev). A check of the kernels' logic on a machine without a GPU; the real checks are the
# *CudaTest classes on a GPU.
#   kernels/dev/layers_emu/check.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
BUILD=${BUILD:-build/dev}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
here=kernels/dev/layers_emu
for f in norm pool loss_linear tensor_ops optim gumbel step_scalars; do
  python3 $here/transform.py kernels/$f.cu "$work/$f.cpp"
done
CXX="g++ -std=c++20 -O1 -g -pthread -I$here/include -Inative/include -Ikernels -Wno-unused-function"
for f in "$work"/*.cpp $here/emu_runtime.cpp $here/check_layers.cpp; do
  $CXX -c "$f" -o "$work/$(basename "$f" .cpp).o" &
done
wait  # (a failed compile shows as a missing object at the link)
$CXX "$work"/*.o -o "$work/check_layers" -L"$BUILD" -lpvll -Wl,-rpath,"$PWD/$BUILD"
"$work/check_layers"
