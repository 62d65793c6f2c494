#!/usr/bin/env python3
"""Turns ConvBench JMH JSON results (-rf json) into the markdown table of RESULTS-conv.md.

usage: python3 benchmarks/conv_table.py RESULT.json [...] > table.md
A file whose name contains ".passive." holds a run with OMP_WAIT_POLICY=PASSIVE (libtorch's
OpenMP threads sleep while they wait); any other file a run with libtorch's default (spinning)
policy. Later files override earlier ones for the same (config, method, policy).
"""
import json
import re
import sys

BATCH = 64


def parse(config):
    """(op label, shape label, forward FLOPs) of one ConvBench config."""
    m = re.fullmatch(r"dw(\d+)d(\d+)s(\d+)_(\d+)x(\d+)x(\d+)", config)
    if m:
        k, d, s, c, h, w = map(int, m.groups())
        oh, ow = (h - 1) // s + 1, (w - 1) // s + 1
        name = ("dil_conv" if d == 2 else "sep_conv") + f" depthwise {k}x{k}" + (" stride 2" if s == 2 else "")
        return name, f"{BATCH}x{c}x{h}x{w}", 2.0 * BATCH * c * oh * ow * k * k
    m = re.fullmatch(r"pw_(\d+)x(\d+)x(\d+)", config)
    if m:
        c, h, w = map(int, m.groups())
        return "pointwise 1x1", f"{BATCH}x{c}x{h}x{w}", 2.0 * BATCH * c * c * h * w
    m = re.fullmatch(r"conv(\d+)s(\d+)p(\d+)_(\d+)x(\d+)x(\d+)_(\d+)", config)
    if m:
        k, s, p, cin, h, w, cout = map(int, m.groups())
        oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
        return (f"conv2d {k}x{k} s{s} p{p} to {cout}", f"{BATCH}x{cin}x{h}x{w}",
                2.0 * BATCH * cout * oh * ow * cin * k * k)
    raise ValueError(config)


def load(paths):
    scores, order = {}, []
    for path in paths:
        policy = "passive" if ".passive." in path else "default"
        try:
            rows = json.load(open(path))
        except (OSError, ValueError) as e:  # a run still going, or stopped by a timeout
            print(f"skipping {path}: {e}", file=sys.stderr)
            continue
        for row in rows:
            config = row["params"]["config"]
            method = row["benchmark"].rsplit(".", 1)[1]
            if config not in order:
                order.append(config)
            scores[(config, method, policy)] = row["primaryMetric"]["score"]
            if method.startswith("ours"):  # ours does not depend on libtorch's policy
                scores[(config, method, "any")] = row["primaryMetric"]["score"]
    return scores, order


def main(paths):
    scores, order = load(paths)

    def get(config, method, policy):
        return scores.get((config, method, policy))

    def total(a, b):
        return a + b if a is not None and b is not None else None

    def ms(v):
        return f"{v:.3f}" if v is not None else "-"

    def ratio(ours, theirs):
        return f"{theirs / ours:.2f}x" if ours and theirs else "-"

    def gf(flops, t):
        return f"{flops / t / 1e6:.0f}" if t else "-"

    if not any(k[2] == "passive" for k in scores):  # one policy measured: the plain table
        print("| op | shape | ours fwd (ms) | libtorch fwd (ms) | ratio | ours GFLOP/s | ours fwd+bwd (ms) "
              "| libtorch fwd+bwd (ms) | ratio | ours fwd+bwd GFLOP/s |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for config in order:
            name, shape, flops = parse(config)
            of, ob = get(config, "oursForward", "any"), get(config, "oursBackward", "any")
            df, db = get(config, "torchForward", "default"), get(config, "torchBackward", "default")
            ofb, dfb = total(of, ob), total(df, db)
            print(f"| {name} | {shape} | {ms(of)} | {ms(df)} | {ratio(of, df)} | {gf(flops, of)} | {ms(ofb)} | {ms(dfb)} "
                  f"| {ratio(ofb, dfb)} | {gf(3 * flops, ofb)} |")
        return
    print("| op | shape | ours fwd | torch fwd (passive) | ratio | torch fwd (default) | ratio | ours GFLOP/s "
          "| ours fwd+bwd | torch fwd+bwd (passive) | ratio | torch fwd+bwd (default) | ratio | ours GFLOP/s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for config in order:
        name, shape, flops = parse(config)
        of, ob = get(config, "oursForward", "any"), get(config, "oursBackward", "any")
        pf, pb = get(config, "torchForward", "passive"), get(config, "torchBackward", "passive")
        df, db = get(config, "torchForward", "default"), get(config, "torchBackward", "default")
        ofb, pfb, dfb = total(of, ob), total(pf, pb), total(df, db)
        print(f"| {name} | {shape} | {ms(of)} | {ms(pf)} | {ratio(of, pf)} | {ms(df)} | {ratio(of, df)} | "
              f"{gf(flops, of)} | {ms(ofb)} | {ms(pfb)} | {ratio(ofb, pfb)} | {ms(dfb)} | {ratio(ofb, dfb)} | "
              f"{gf(3 * flops, ofb)} |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
