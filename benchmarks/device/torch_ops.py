#!/usr/bin/env python3
"""PyTorch peer timings of the conv ops at the search shapes (the speed goals of issue 7).

Times, on the same GPU as our kernels (GpuConvBench, kernels/dev/depthwise_check):
  depthwise k 3 and 5 (dilation 1: sep_conv; dilation 2: dil_conv), stride 1 and 2,
  pointwise 1x1, the 3x3 stem and the strided 1x1 of FactorizedReduce,
each as forward, input gradient, weight gradient (aten.convolution_backward with one output
mask, so the two gradients are timed apart, as our kernels are) and forward+backward through
autograd. Batch 64; C=16 at 32x32, 32 at 16x16, 64 at 8x8. CUDA events around 20 calls per
sample, the median of --reps samples after a warm-up, inputs rotated over 8 sets so repeated
calls do not just measure L2. Float32 with TF32 off (our kernels are plain FP32; --tf32 allows
it), cudnn.benchmark off unless --cudnn-benchmark.

Prints a table; writes $OUT/torch_ops.json when OUT is set.
  python3 benchmarks/device/torch_ops.py                       # on the GPU
  python3 benchmarks/device/torch_ops.py --device cpu --reps 2 # dry run anywhere
"""
import argparse
import datetime
import json
import os
import statistics
import time

import torch
import torch.nn.functional as F

SEARCH = [(64, 16, 32, 32), (64, 32, 16, 16), (64, 64, 8, 8)]
SETS = 8


def cases():
    """(name, x shape, weight shape, stride, padding, dilation, groups, bias)."""
    for n, c, h, w in SEARCH:
        for k in (3, 5):
            for d in (1, 2):
                for s in (1, 2):
                    kind = "depthwise" if d == 1 else "dilated"
                    yield (f"{kind} k{k} s{s} d{d}", (n, c, h, w), (c, 1, k, k), s, d * (k - 1) // 2, d, c, False)
        yield ("pointwise", (n, c, h, w), (c, c, 1, 1), 1, 0, 1, 1, False)
        yield ("factorized_reduce 1x1 s2", (n, c, h, w), (c // 2, c, 1, 1), 2, 0, 1, 1, False)
    yield ("stem 3x3", (64, 3, 32, 32), (48, 3, 3, 3), 1, 1, 1, 1, True)


def timer(device, inner, reps, fn):
    """Median microseconds per call of fn(i) over reps samples of inner calls each."""
    for i in range(max(3, inner)):
        fn(i % SETS)
    if device.type == "cuda":
        torch.cuda.synchronize()
    samples = []
    for r in range(reps):
        if device.type == "cuda":
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            for i in range(inner):
                fn((r * inner + i) % SETS)
            b.record()
            b.synchronize()
            samples.append(a.elapsed_time(b) * 1000.0 / inner)
        else:
            t0 = time.perf_counter()
            for i in range(inner):
                fn((r * inner + i) % SETS)
            samples.append((time.perf_counter() - t0) * 1e6 / inner)
    return statistics.median(samples)


def run_case(device, inner, reps, case):
    name, xs, ws, stride, pad, dil, groups, has_bias = case
    g = torch.Generator(device="cpu").manual_seed(1)
    w = torch.randn(ws, generator=g).to(device).requires_grad_(True)
    bias = torch.randn(ws[0], generator=g).to(device).requires_grad_(True) if has_bias else None
    xs_ = [torch.randn(xs, generator=g).to(device).requires_grad_(True) for _ in range(SETS)]
    y0 = F.conv2d(xs_[0], w, bias, stride, pad, dil, groups)
    dys = [torch.randn(y0.shape, generator=g).to(device) for _ in range(SETS)]
    bias_sizes = [ws[0]] if has_bias else None
    args = ([stride] * 2, [pad] * 2, [dil] * 2, False, [0, 0], groups)

    def forward(i):
        with torch.no_grad():
            F.conv2d(xs_[i], w, bias, stride, pad, dil, groups)

    def backward_input(i):
        torch.ops.aten.convolution_backward(dys[i], xs_[i], w, bias_sizes, *args, [True, False, False])

    def backward_weight(i):
        torch.ops.aten.convolution_backward(dys[i], xs_[i], w, bias_sizes, *args, [False, True, has_bias])

    def forward_backward(i):
        y = F.conv2d(xs_[i], w, bias, stride, pad, dil, groups)
        y.backward(dys[i])

    rows = []
    for direction, fn in (("forward", forward), ("backward_input", backward_input),
                          ("backward_weight", backward_weight), ("forward+backward", forward_backward)):
        us = timer(device, inner, reps, fn)
        rows.append({"op": name, "x": list(xs), "w": list(ws), "stride": stride, "padding": pad, "dilation": dil,
                     "groups": groups, "direction": direction, "us": round(us, 3)})
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda")
    p.add_argument("--reps", type=int, default=50, help="samples per op (median taken)")
    p.add_argument("--inner", type=int, default=None, help="calls per sample (default 20 on CUDA, 1 on CPU)")
    p.add_argument("--tf32", action="store_true", help="allow TF32 in cuDNN convolutions")
    p.add_argument("--cudnn-benchmark", action="store_true")
    a = p.parse_args()
    device = torch.device(a.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("torch_ops.py: no CUDA device visible to PyTorch (use --device cpu for a dry run)")
    inner = a.inner or (20 if device.type == "cuda" else 1)
    torch.backends.cudnn.allow_tf32 = a.tf32
    torch.backends.cuda.matmul.allow_tf32 = a.tf32
    torch.backends.cudnn.benchmark = a.cudnn_benchmark
    if device.type == "cpu":
        torch.set_num_threads(1)
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    header = (f"torch {torch.__version__} on {gpu}; cudnn {torch.backends.cudnn.version()}; tf32 {a.tf32}; "
              f"cudnn.benchmark {a.cudnn_benchmark}; median of {a.reps} samples x {inner} calls")
    print(header, flush=True)
    rows = []
    for case in cases():
        rows += run_case(device, inner, a.reps, case)
    print(f"{'op':<28} {'x':<14} {'forward':>9} {'bwd_input':>10} {'bwd_weight':>11} {'fwd+bwd':>9}  (us)")
    by_key = {}
    for r in rows:
        by_key.setdefault((r["op"], "x".join(map(str, r["x"]))), {})[r["direction"]] = r["us"]
    for (op, xs), d in by_key.items():
        print(f"{op:<28} {xs:<14} {d['forward']:9.2f} {d['backward_input']:10.2f} {d['backward_weight']:11.2f} "
              f"{d['forward+backward']:9.2f}")
    out = os.environ.get("OUT")
    if out:
        with open(os.path.join(out, "torch_ops.json"), "w") as f:
            json.dump({"header": header, "device": gpu, "torch": torch.__version__,
                       "date": datetime.datetime.now(datetime.timezone.utc).isoformat(), "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
