#!/usr/bin/env python3
"""Turns a ConvBench JMH JSON result (-rf json) into the markdown table of RESULTS-conv.md.

usage: python3 benchmarks/conv_table.py conv.json [more.json ...] > benchmarks/RESULTS-conv.md
Later files override earlier ones for the same (benchmark, config), so key rows can be re-run.
"""
import datetime
import json
import re
import subprocess
import sys

BATCH = 64


def parse(config):
    """(kind label, shape label, forward FLOPs) of one ConvBench config."""
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
        return f"conv2d {k}x{k} s{s} p{p} to {cout}", f"{BATCH}x{cin}x{h}x{w}", 2.0 * BATCH * cout * oh * ow * cin * k * k
    raise ValueError(config)


def main(paths):
    scores = {}
    order = []
    for path in paths:
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
            scores[(config, method)] = row["primaryMetric"]["score"]
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        model = re.search(r"Model name:\s*(.*)", lscpu).group(1).strip()
        cpus = re.search(r"^CPU\(s\):\s*(\d+)", lscpu, re.M).group(1)
        flags = re.search(r"Flags:\s*(.*)", lscpu).group(1).split()
    except Exception:  # noqa: BLE001 - the table is still useful without the machine line
        model, cpus, flags = "unknown", "?", []
    isa = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "SSE"
    print("# Conv kernels against libtorch (CPU)\n")
    print(f"Machine: {model}, {cpus} cores ({isa} available); pvll built for x86-64-v3 (AVX2 + FMA). "
          f"Table made {datetime.date.today()} from {', '.join(paths)}.\n")
    print("Batch 64, NCHW float32, both on 2 threads (libtorch `torch.set_num_threads(2)`, glibc malloc "
          "tuned as in ConvBench's Javadoc). libtorch: `torch.conv2d` forward, `torch.convolution_backward` "
          "(what autograd runs) for the input and weight gradients. Times are JMH averages in ms; "
          "ratio = libtorch / ours (above 1: ours is faster); GFLOP/s are ours. fwd+bwd is the sum of "
          "the forward and backward rows (backward = input + weight gradient, 2x the forward FLOPs).\n")
    print("| op | shape | ours fwd | libtorch fwd | fwd ratio | ours GFLOP/s | ours fwd+bwd | libtorch fwd+bwd | fwd+bwd ratio | ours fwd+bwd GFLOP/s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for config in order:
        name, shape, flops = parse(config)
        of, tf = scores.get((config, "oursForward")), scores.get((config, "torchForward"))
        ob, tb = scores.get((config, "oursBackward")), scores.get((config, "torchBackward"))
        def ms(v):
            return f"{v:.3f}" if v is not None else "-"
        def ratio(a, b):
            return f"{b / a:.2f}x" if a and b else "-"
        def gf(f, t):
            return f"{f / t / 1e6:.1f}" if t else "-"
        ofb = of + ob if of is not None and ob is not None else None
        tfb = tf + tb if tf is not None and tb is not None else None
        print(f"| {name} | {shape} | {ms(of)} | {ms(tf)} | {ratio(of, tf)} | {gf(flops, of)} | {ms(ofb)} | {ms(tfb)} | "
              f"{ratio(ofb, tfb)} | {gf(3 * flops, ofb)} |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
