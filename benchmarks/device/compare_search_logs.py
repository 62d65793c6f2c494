#!/usr/bin/env python3
"""Compares the log.jsonl of three runs of one search: on the GPU through CUDA graphs, on the GPU
through plain launches, on the CPU. Graphs and plain launches must agree bit for bit (wall times
aside); the GPU and the CPU must log the same phases, steps and sampled architectures, with losses
and scores within 5e-2 relative and accuracies within 0.05 (the tolerance of SearchCudaTest).
Prints one line per finding and a verdict last; exit status 1 on a mismatch.
  compare_search_logs.py GRAPHS.jsonl PLAIN.jsonl CPU.jsonl"""
import json
import math
import sys

TIMES = ("seconds", "elapsed")


def load(path):
    with open(path) as f:
        return [{k: v for k, v in json.loads(line).items() if k not in TIMES} for line in f]


def close(key, a, b):
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True, 0.0
    if key.endswith("_acc"):
        return abs(a - b) <= 0.05, abs(a - b)
    rel = abs(a - b) / max(1.0, abs(a))
    return rel <= 5e-2, rel


def main(graphs_path, plain_path, cpu_path):
    try:
        graphs, plain, cpu = load(graphs_path), load(plain_path), load(cpu_path)
    except (OSError, ValueError) as e:
        print(f"cannot compare: {e}")
        return 1
    bad = 0
    if graphs != plain:
        first = next((i for i in range(min(len(graphs), len(plain))) if graphs[i] != plain[i]), min(len(graphs), len(plain)))
        print(f"graphs and plain launches DIFFER at line {first}")
        bad += 1
    if len(cpu) != len(graphs):
        print(f"{len(cpu)} CPU lines, {len(graphs)} GPU lines")
        bad += 1
    worst = 0.0
    for i, (c, g) in enumerate(zip(cpu, graphs)):
        for key, a in c.items():
            b = g.get(key)
            if key in ("kendall_tau", "genotype"):
                continue
            if key == "architecture":
                if (a["normal"], a["reduce"]) != (b["normal"], b["reduce"]):
                    print(f"line {i}: the sampled architectures differ")
                    bad += 1
                continue
            if isinstance(a, (int, float)) and not isinstance(a, bool) and isinstance(b, (int, float)):
                if not (key.endswith("_acc") or "loss" in key or key.startswith(("psi", "arch")) or key == "entropy"):
                    ok, diff = a == b, 0.0
                else:
                    ok, diff = close(key, float(a), float(b))
                    if not key.endswith("_acc"):
                        worst = max(worst, diff)
                if not ok:
                    print(f"line {i} ({c.get('phase')}): {key} cpu {a} gpu {b}")
                    bad += 1
            elif a != b:
                print(f"line {i} ({c.get('phase')}): {key} differs")
                bad += 1
    verdict = (f"graphs = plain bit for bit ({len(graphs)} lines); GPU vs CPU within tolerance "
               f"(largest loss difference {worst:.1e} relative)") if bad == 0 else f"MISMATCH: {bad} findings"
    print(verdict)
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))
