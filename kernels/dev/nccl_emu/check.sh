#!/usr/bin/env bash
# kernels/nccl.cu (the NCCL back end of the collectives) under the host emulation, against a fake
# libnccl.so.2 whose ranks are threads (fake_nccl.cpp): joining, all-reduce and broadcast on a
# stream, the waits' deadlines and aborts. No GPU, no NCCL needed; g++ 12+ (C++20). Prints
# "N checks, 0 failed" and exits 0 when all hold. Run by NcclEmulationTest (mvn test).
#   bash kernels/dev/nccl_emu/check.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
here=kernels/dev/nccl_emu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
g++ -std=c++20 -O1 -shared -fPIC -pthread $here/fake_nccl.cpp -o "$work/libnccl.so.2"
CXX="g++ -std=c++20 -O1 -g -pthread -I$here/include -Ikernels/dev/layers_emu/include -Inative/include -Ikernels -Wno-unused-function"
$CXX -x c++ kernels/nccl.cu -x none kernels/dev/layers_emu/emu_runtime.cpp $here/check_nccl.cpp -ldl -o "$work/check_nccl"
LD_LIBRARY_PATH="$work${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$work/check_nccl"
