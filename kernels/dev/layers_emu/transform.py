#!/usr/bin/env python3
"""Rewrites the kernel launches of a .cu file for the host emulation (include/cuda_runtime.h):
  name<<<grid, block, shared, stream>>>(args);  ->  emu::launch(emu::cfg(grid, block, shared, stream), [&] { name(args); });
Usage: transform.py in.cu out.cpp"""
import sys

src = open(sys.argv[1]).read()
out, i = [], 0
while True:
    start = src.find("<<<", i)
    if start < 0:
        out.append(src[i:])
        break
    name_start = start
    while name_start > 0 and (src[name_start - 1].isalnum() or src[name_start - 1] in "_:"):
        name_start -= 1
    name = src[name_start:start]
    end = src.index(">>>", start)
    config = src[start + 3:end]
    open_paren = src.index("(", end)
    depth, j = 0, open_paren
    while True:
        if src[j] == "(":
            depth += 1
        elif src[j] == ")":
            depth -= 1
            if depth == 0:
                break
        j += 1
    args = src[open_paren + 1:j]
    out.append(src[i:name_start])
    out.append(f"emu::launch(emu::cfg({config}), [&] {{ {name}({args}); }})")
    i = j + 1
open(sys.argv[2], "w").write("".join(out))
