#!/usr/bin/env python3
"""Two search run folders: the same genotype, and log lines whose numbers agree within 1e-4
relative (wall times aside). Used by nccl-check.sh (two NCCL ranks against one process); exits 1
and prints the first disagreement otherwise."""
import json
import sys


def walk(path, x, y):
    if isinstance(x, dict):
        for k, v in x.items():
            if k != "seconds":
                yield from walk(f"{path}.{k}", v, y.get(k) if isinstance(y, dict) else None)
    elif isinstance(x, list):
        if not isinstance(y, list) or len(x) != len(y):
            yield f"{path}: {x} against {y}"
            return
        for i, (p, q) in enumerate(zip(x, y)):
            yield from walk(f"{path}[{i}]", p, q)
    elif isinstance(x, (int, float)) and not isinstance(x, bool):
        if not isinstance(y, (int, float)) or (x == x and abs(x - y) > 1e-4 * (1 + abs(x))) or (x != x and y == y):
            yield f"{path}: {x} against {y}"
    elif x != y:
        yield f"{path}: {str(x)[:80]} against {str(y)[:80]}"


def main(one, two):
    a = [json.loads(l) for l in open(f"{one}/log.jsonl")]
    b = [json.loads(l) for l in open(f"{two}/log.jsonl")]
    problems = [] if len(a) == len(b) else [f"{len(a)} log lines against {len(b)}"]
    for i, (x, y) in enumerate(zip(a, b)):
        problems += list(walk(f"line {i + 1}", x, y))
    if open(f"{one}/genotype.txt").read() != open(f"{two}/genotype.txt").read():
        problems.append("different genotypes")
    print("logs and genotypes agree" if not problems else "DISAGREE: " + "; ".join(problems[:5]))
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
