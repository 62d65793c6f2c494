#!/usr/bin/env python3
"""One markdown row per search run folder (log.jsonl + summary.json of `pvll search`).

usage: python3 benchmarks/search_summary.py RUN_DIR [RUN_DIR ...]
Columns: the labels the memory received (drift-corrected ones in label mode "reference"),
their Spearman correlation with the evaluation index (drift: near 0 when a label says nothing
about when it was measured), the final genotype's label, psi's held-out Kendall tau.
"""
import json
import os
import sys


def ranks(xs):
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    r = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2.0
        i = j + 1
    return r


def spearman(xs, ys):
    if len(xs) < 3:
        return float("nan")
    rx, ry = ranks(xs), ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    vx = sum((a - mx) ** 2 for a in rx) ** 0.5
    vy = sum((b - my) ** 2 for b in ry) ** 0.5
    return cov / (vx * vy) if vx and vy else float("nan")


def row(run):
    lines = [json.loads(l) for l in open(os.path.join(run, "log.jsonl"))]
    summary = json.load(open(os.path.join(run, "summary.json")))
    key = "label" if any("label" in l for l in lines) else "val_loss"
    warm = [l[key] for l in lines if l["phase"] == "warmup"]
    search = [l[key] for l in lines if l["phase"] == "search"]
    labelled = [l[key] for l in lines if l["phase"] in ("warmup", "search")]
    final = [l.get(key) for l in lines if l["phase"] == "final"]
    fmt = lambda v: f"{v:.3f}" if v is not None and v == v else "n/a"
    mean = lambda xs: sum(xs) / len(xs) if xs else None
    return (f"| {os.path.basename(os.path.normpath(run))} | {summary.get('method')} | {summary.get('label_mode', 'eval')} "
            f"| {fmt(mean(warm))} / {fmt(min(warm) if warm else None)} "
            f"| {fmt(search[0] if search else None)} / {fmt(search[-1] if search else None)} "
            f"| {fmt(final[0] if final else None)} | {fmt(spearman(list(range(len(labelled))), labelled))} "
            f"| {fmt(summary.get('held_out_kendall_tau'))} / {fmt(summary.get('held_out_kendall_tau_second_half'))} "
            f"| {summary.get('seconds', 0):.0f} s |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    print("| run | method | label mode | warm-up labels mean / best | search labels first / last | final genotype's label "
          "| Spearman(label, time) | psi held-out tau, all / second half | engine time |")
    print("|---|---|---|---|---|---|---|---|---|")
    for run in sys.argv[1:]:
        print(row(run))
