#!/usr/bin/env python3
"""Rewrites a kernels/*.cu file for the host emulation (include/cuda_runtime.h): launches
kernel<<<grid, block, smem, stream>>>(args) become emu::Launch(grid, block, smem, stream).run(kernel, args)
and extern __shared__ arrays become the emulated dynamic shared memory."""
import re
import sys

src = open(sys.argv[1]).read()
src = re.sub(r"extern __shared__ (?:__align__\(\d+\) )?float (\w+)\[\];", r"float* \1 = emu::dynamic_smem();", src)
src = re.sub(r"([\w:]+(?:<[^<>;()]*>)?)<<<(.+?)>>>\(", r"::emu::Launch(\2).run(\1, ", src, flags=re.S)
open(sys.argv[2], "w").write('#line 1 "%s"\n' % sys.argv[1] + src)
