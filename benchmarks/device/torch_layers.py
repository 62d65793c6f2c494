#!/usr/bin/env python3
"""PyTorch peer of the CUDA layer kernels: times the non-convolution layer ops of the search
network in PyTorch, at the search shapes (batch 64: C=16 at 32x32, C=32 at 16x16, C=64 at 8x8),
with CUDA events around each call and the median of many repetitions. Backward passes call
ATen's kernel entry points (native_batch_norm_backward, max_pool2d_with_indices_backward, ...)
so no autograd bookkeeping is timed, except for cross-entropy (forward + autograd backward).

  python3 benchmarks/device/torch_layers.py                       # on the GPU, table + JSON in $OUT
  python3 benchmarks/device/torch_layers.py --device cpu --reps 2  # dry run anywhere

Writes $OUT/torch_layers.json (op, shape, median/min microseconds, GB/s of the tensors touched)
and prints a table. Compare with the GpuLayerBench JMH results of the same device call.
"""
import argparse
import json
import os
import statistics
import time

import torch
import torch.nn.functional as F

BATCH = 64
SHAPES = [(16, 32), (32, 16), (64, 8)]  # (channels, side)
PARAMS = 1_930_618  # the search network's parameter count


def timer(device, reps, warmup):
    """Returns time_us(fn) -> (median, min) microseconds per call."""

    def time_us(fn):
        for _ in range(warmup):
            fn()
        samples = []
        if device.type == "cuda":
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            torch.cuda.synchronize()
            for _ in range(reps):
                start.record()
                fn()
                end.record()
                end.synchronize()
                samples.append(start.elapsed_time(end) * 1000.0)
        else:
            for _ in range(reps):
                t = time.perf_counter()
                fn()
                samples.append((time.perf_counter() - t) * 1e6)
        return statistics.median(samples), min(samples)

    return time_us


def layer_ops(device):
    """(name, shape text, bytes touched, fn) for every op at every search shape."""
    ops = []
    g = torch.Generator(device="cpu").manual_seed(1)

    def randn(*shape):
        return torch.randn(*shape, generator=g).to(device)

    for c, side in SHAPES:
        shape = f"{BATCH}x{c}x{side}x{side}"
        x, dy = randn(BATCH, c, side, side), randn(BATCH, c, side, side)
        size = x.numel() * 4
        gamma, beta = randn(c), randn(c)
        rm, rv = torch.zeros(c, device=device), torch.ones(c, device=device)
        _, save_mean, save_invstd = torch.ops.aten.native_batch_norm(x, gamma, beta, rm, rv, True, 0.1, 1e-5)[:3]
        ops.append(("bn_train_forward", shape, 3 * size,
                    lambda x=x, gamma=gamma, beta=beta, rm=rm, rv=rv: F.batch_norm(x, rm, rv, gamma, beta, True, 0.1, 1e-5)))
        ops.append(("bn_backward", shape, 4 * size,
                    lambda x=x, dy=dy, gamma=gamma, rm=rm, rv=rv, sm=save_mean, si=save_invstd:
                    torch.ops.aten.native_batch_norm_backward(dy, x, gamma, rm, rv, sm, si, True, 1e-5, [True, True, True])))
        ops.append(("bn_inference", shape, 2 * size,
                    lambda x=x, gamma=gamma, beta=beta, rm=rm, rv=rv: F.batch_norm(x, rm, rv, gamma, beta, False, 0.1, 1e-5)))
        for stride in (1, 2):
            y, idx = F.max_pool2d(x, 3, stride, 1, return_indices=True)
            dyp = torch.randn_like(y)
            pooled = y.numel() * 4
            ops.append((f"max_pool3x3_s{stride}_forward", shape, size + pooled, lambda x=x, s=stride: F.max_pool2d(x, 3, s, 1)))
            ops.append((f"max_pool3x3_s{stride}_backward", shape, 2 * size + pooled,
                        lambda x=x, dyp=dyp, idx=idx, s=stride: torch.ops.aten.max_pool2d_with_indices_backward(
                            dyp, x, [3, 3], [s, s], [1, 1], [1, 1], False, idx)))
            ops.append((f"avg_pool3x3_s{stride}_forward", shape, size + pooled,
                        lambda x=x, s=stride: F.avg_pool2d(x, 3, s, 1, count_include_pad=False)))
            ops.append((f"avg_pool3x3_s{stride}_backward", shape, size + pooled,
                        lambda x=x, dyp=dyp, s=stride: torch.ops.aten.avg_pool2d_backward(
                            dyp, x, [3, 3], [s, s], [1, 1], False, False, None)))
        dg = randn(BATCH, c, 1, 1)
        ops.append(("global_avg_pool_forward", shape, size, lambda x=x: x.mean((2, 3))))
        ops.append(("global_avg_pool_backward", shape, size,
                    lambda dg=dg, side=side: (dg / (side * side)).expand(BATCH, dg.shape[1], side, side).contiguous()))
        parts = [randn(BATCH, c, side, side) for _ in range(4)]
        whole = torch.cat(parts, 1)
        ops.append(("concat4", shape, 8 * size, lambda parts=parts: torch.cat(parts, 1)))
        ops.append(("split4", shape, 8 * size, lambda whole=whole, c=c: [t.contiguous() for t in torch.split(whole, c, 1)]))
        mask = (torch.rand(BATCH, generator=g) < 0.7).float().to(device)
        ops.append(("drop_path_forward", shape, 2 * size, lambda x=x, mask=mask: x * (mask / 0.7).view(-1, 1, 1, 1)))
        ops.append(("add", shape, 3 * size, lambda x=x, dy=dy: x + dy))
        ops.append(("dot", shape, 2 * size, lambda x=x, dy=dy: torch.dot(x.view(-1), dy.view(-1))))

    feats, w, b = randn(BATCH, 256), randn(10, 256), randn(10)
    dlin = randn(BATCH, 10)
    ops.append(("linear_forward", "64x256->10", (feats.numel() + w.numel()) * 4, lambda: F.linear(feats, w, b)))
    ops.append(("linear_backward", "64x256->10", 2 * (feats.numel() + w.numel()) * 4,
                lambda: (dlin @ w, dlin.t() @ feats, dlin.sum(0))))
    logits = randn(BATCH, 10).requires_grad_(True)
    labels = torch.randint(0, 10, (BATCH,), generator=g).to(device)

    def cross_entropy():
        loss = F.cross_entropy(logits, labels)
        return torch.autograd.grad(loss, logits)

    ops.append(("cross_entropy_fwd_bwd", "64x10", 2 * logits.numel() * 4, cross_entropy))

    param, grad = randn(PARAMS), randn(PARAMS)
    p_sgd = param.clone().requires_grad_(True)
    p_sgd.grad = grad.clone()
    sgd = torch.optim.SGD([p_sgd], lr=0.025, momentum=0.9, weight_decay=3e-4)
    p_adam = param.clone().requires_grad_(True)
    p_adam.grad = grad.clone()
    fused = device.type == "cuda"
    adam = torch.optim.Adam([p_adam], lr=3e-4, betas=(0.5, 0.999), weight_decay=1e-3, fused=fused)
    flat = f"{PARAMS} params"
    ops.append(("sgd_step", flat, 4 * PARAMS * 4, sgd.step))
    ops.append(("adam_step" + ("_fused" if fused else ""), flat, 7 * PARAMS * 4, adam.step))
    p_clip = param.clone().requires_grad_(True)
    p_clip.grad = grad.clone()
    ops.append(("clip_grad_norm", flat, 3 * PARAMS * 4, lambda: torch.nn.utils.clip_grad_norm_([p_clip], 5.0)))
    alpha = randn(28, 8)

    def gumbel():
        w = F.gumbel_softmax(alpha, tau=1.0, hard=False)
        return w, w.argmax(1)

    ops.append(("gumbel_softmax_argmax", "28x8", 3 * alpha.numel() * 4, gumbel))
    return ops


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=None)
    ap.add_argument("--out", default=os.environ.get("OUT", "."))
    args = ap.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("torch_layers.py: no CUDA device visible to PyTorch (use --device cpu for a dry run)")
    device = torch.device(args.device)
    torch.backends.cudnn.benchmark = True
    time_us = timer(device, args.reps, args.warmup if args.warmup is not None else max(2, args.reps // 10))
    name = torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu"
    rows = []
    for op, shape, nbytes, fn in layer_ops(device):
        median, best = time_us(fn)
        rows.append({"op": op, "shape": shape, "median_us": round(median, 2), "min_us": round(best, 2),
                     "gb_per_s": round(nbytes / (median * 1e3), 1) if median > 0 else None})
    result = {"device": name, "torch": torch.__version__, "batch": BATCH, "reps": args.reps,
              "date": time.strftime("%Y-%m-%d"), "rows": rows}
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "torch_layers.json")
    with open(path, "w") as f:
        json.dump(result, f, indent=1)
    print(f"PyTorch {torch.__version__} on {name}, batch {BATCH}, median of {args.reps} (CUDA events)")
    print(f"{'op':32} {'shape':18} {'median us':>10} {'min us':>9} {'GB/s':>8}")
    for r in rows:
        print(f"{r['op']:32} {r['shape']:18} {r['median_us']:10.2f} {r['min_us']:9.2f} {r['gb_per_s'] or 0:8.1f}")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
