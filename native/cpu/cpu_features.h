// Instruction sets chosen at run time. The library is built for a portable baseline
// (x86-64-v3: AVX2 + FMA); a few kernels also have AVX-512 versions (functions compiled with
// a target attribute), used only when the CPU reports AVX-512 F/BW/VL/DQ and not turned off
// (pvll_cpu_use_avx512(0), or PVLL_NO_AVX512=1 in the environment at load time).
#pragma once

namespace pvll {

/** Whether the AVX-512 kernel versions run (the CPU has them and they are not turned off). */
bool use_avx512();

}  // namespace pvll
