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

    # both libtorch OpenMP policies side by side when a passive run is among the files, else default only
    policies = ["passive", "default"] if any(k[2] == "passive" for k in scores) else ["default"]
    single = len(policies) == 1

    def torch_label(kind, policy):
        return f"libtorch {kind} (ms)" if single else f"torch {kind} ({policy})"

    header = ["op", "shape", "ours fwd (ms)" if single else "ours fwd"]
    header += [c for p in policies for c in (torch_label("fwd", p), "ratio")]
    header += ["ours GFLOP/s", "ours fwd+bwd (ms)" if single else "ours fwd+bwd"]
    header += [c for p in policies for c in (torch_label("fwd+bwd", p), "ratio")]
    header += ["ours fwd+bwd GFLOP/s" if single else "ours GFLOP/s"]
    print("| " + " | ".join(header) + " |")
    print("|---|---|" + "---:|" * (len(header) - 2))
    for config in order:
        name, shape, flops = parse(config)
        of, ob = get(config, "oursForward", "any"), get(config, "oursBackward", "any")
        ofb = total(of, ob)
        torch = {p: (get(config, "torchForward", p), get(config, "torchBackward", p)) for p in policies}
        cells = [name, shape, ms(of)]
        cells += [c for p in policies for c in (ms(torch[p][0]), ratio(of, torch[p][0]))]
        cells += [gf(flops, of), ms(ofb)]
        cells += [c for p in policies for c in (ms(total(*torch[p])), ratio(ofb, total(*torch[p])))]
        cells += [gf(3 * flops, ofb)]
        print("| " + " | ".join(cells) + " |")

if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
