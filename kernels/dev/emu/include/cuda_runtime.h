// The emulated CUDA runtime: what kernels/*.cu include as <cuda_runtime.h> when they are compiled
// with g++ for the host (kernels/dev/emu/README.md). Declares exactly the part of the CUDA
// runtime API and of the device language that the project uses, with the real names, types and
// error codes; anything else does not compile, and a modelled call given an argument it does not
// model returns cudaErrorNotSupported naming it. The sources must first pass through
// kernels/dev/emu/transform.cpp (kernel launches and __shared__ declarations).
// Checked by the emulator's own tests (kernels/dev/emu/tests/) and by every *CudaTest with
// PVLL_CUDA=emulated.
#pragma once

#include "emu_types.h"
#include "emu_api.h"
#include "emu_device.h"
#include "emu_launch.h"
