#!/usr/bin/env python3
"""PyTorch peer of `pvll bench step`: the whole training step and validation batch of the search network.

The network is the one of java/src/main/java/dev/pvll/supernet/SearchNetwork.java (DARTS cell space,
METHOD.md): stem conv3x3 -> BN (3C channels, affine), cells with ReLU-conv1x1-BN preprocessing
(FactorizedReduce after a reduction), reductions at cells//3 and 2*cells//3, BN without affine
parameters in cells, pools followed by BN, global average pool -> linear. Every edge holds all 8 ops;
a step runs only the sampled op per edge and scales its output by the edge weight; `none` adds
nothing. Parameter count at the default shape: 1,930,618, as in the Java network.

The architectures are the ones `pvll bench step` times: java.util.Random(1) is replayed here (images
from nextGaussian, labels from nextInt(classes), then per architecture and cell type, per edge,
op = nextInt(8) and weight = 0.9 + 0.1 * nextFloat()), so row "random #k" here and there is the same
network.

The training step is SupernetStep.trainStep: zero the gradients (set to None, so ops the step did
not run get no weight decay and no momentum update, like the Java sgdStep over the chosen ops),
forward in training mode (batch statistics, running statistics updated), mean cross-entropy,
backward, clip_grad_norm_(5), SGD lr 0.01 (the bench's constant), momentum 0.9, weight decay 3e-4.
The validation batch is SupernetStep.evaluate: eval mode (running statistics), no grad,
cross-entropy.

Modes:
  eager                              plain PyTorch
  cuda-graph                         the whole training step (forward, loss, backward, clip, SGD)
                                     captured once per architecture with torch.cuda.graph on static
                                     input tensors and replayed; the validation forward likewise
  compile-max-autotune-no-cudagraphs torch.compile(mode=...) of the network's forward (train and
  compile-reduce-overhead            eval), backward through AOTAutograd, clip and SGD eager; each
                                     mode runs in a child process with a time limit, so a hang or
                                     crash is reported, not fatal
Each step is timed on its own (the device synchronised after it, as the Java step is when it reads
the loss) with CUDA events on a GPU and perf_counter on the CPU; the median over --iters steps after
--warmup steps, per architecture; a mode's figure is the median over architectures. Float32, TF32 off
unless --tf32 (our kernels are plain FP32); cudnn.benchmark on unless --no-cudnn-benchmark.

  python3 benchmarks/device/torch_search_step.py --out "$OUT"          # on the GPU
  python3 benchmarks/device/torch_search_step.py --device cpu --cells 3 --channels 4 --batch 4 \\
      --image-size 16 --iters 2 --warmup 1                            # dry run anywhere, seconds

Writes torch_search_step.json (in --out when it is a folder, or to --out when it ends in .json) and
prints a short table last.
"""
import argparse
import datetime
import importlib
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback

import torch
import torch.nn as nn
import torch.nn.functional as F

PRIMITIVES = ["none", "max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5",
              "dil_conv_3x3", "dil_conv_5x5"]
NODES = 4
STEM_MULTIPLIER = 3
SHAPES = {"cifar10": (3, 32), "fashion-mnist": (1, 28)}  # (image channels, image size)
# reduce-overhead first: more likely to finish in its time limit, and it fills the Triton and
# Inductor caches that the max-autotune child then reuses. Any "compile-<torch.compile mode>" works.
COMPILE_MODES = ["compile-reduce-overhead", "compile-max-autotune-no-cudagraphs"]
ALL_MODES = ["eager", "cuda-graph"] + COMPILE_MODES
CHILD = None  # the running compile child, killed with its process group if we are terminated


def is_compile_mode(mode):
    return mode.startswith("compile-")


# ----------------------------------------------------------------------------------------------
# java.util.Random, so the data and architectures are the ones `pvll bench step` draws.

class JavaRandom:
    MULT, ADD, MASK = 0x5DEECE66D, 0xB, (1 << 48) - 1

    def __init__(self, seed):
        self.seed = (seed ^ self.MULT) & self.MASK
        self.next_next_gaussian = None

    def next(self, bits):
        self.seed = (self.seed * self.MULT + self.ADD) & self.MASK
        r = self.seed >> (48 - bits)
        return r - (1 << 32) if r >= (1 << 31) else r  # Java's (int) cast

    def next_int(self, bound):
        r = self.next(31)
        m = bound - 1
        if bound & m == 0:
            return (bound * r) >> 31
        u = r
        while True:
            r = u % bound
            if u - r + m < (1 << 31):  # no int overflow in Java's u - r + m
                return r
            u = self.next(31)

    def next_float(self):
        return self.next(24) / float(1 << 24)

    def next_double(self):
        return ((self.next(26) << 27) + self.next(27)) * (1.0 / (1 << 53))

    def next_gaussian(self):
        if self.next_next_gaussian is not None:
            g, self.next_next_gaussian = self.next_next_gaussian, None
            return g
        while True:
            v1 = 2 * self.next_double() - 1
            v2 = 2 * self.next_double() - 1
            s = v1 * v1 + v2 * v2
            if 0 < s < 1:
                break
        multiplier = math.sqrt(-2 * math.log(s) / s)  # StrictMath in Java: may differ in the last bit
        self.next_next_gaussian = v2 * multiplier
        return v1 * multiplier


def bench_inputs(seed, batch, in_channels, size, classes, architectures, edges):
    """Images, labels and architectures in BenchCommand's order of draws from Random(seed)."""
    r = JavaRandom(seed)
    images = [r.next_gaussian() for _ in range(batch * in_channels * size * size)]
    labels = [r.next_int(classes) for _ in range(batch)]
    archs = []
    for _ in range(architectures):
        arch = []
        for _cell_type in range(2):  # normal, then reduction
            ops, weights = [], []
            for _ in range(edges):
                ops.append(r.next_int(len(PRIMITIVES)))
                # 0.9f + 0.1f * nextFloat() in float32
                weights.append(float(torch.tensor(0.9, dtype=torch.float32) + torch.tensor(0.1, dtype=torch.float32)
                                     * torch.tensor(r.next_float(), dtype=torch.float32)))
            arch.append((tuple(ops), tuple(weights)))
        archs.append(tuple(arch))
    x = torch.tensor(images, dtype=torch.float32).view(batch, in_channels, size, size)
    y = torch.tensor(labels, dtype=torch.int64)
    return x, y, archs


# ----------------------------------------------------------------------------------------------
# The search network (names follow the Java ParameterStore's: cells.2.edge5.sep_conv_3x3.dw1.weight)

def bn(c, affine):
    return nn.BatchNorm2d(c, eps=1e-5, momentum=0.1, affine=affine)


class ReluConvBn(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 1, 1, 0, bias=False)
        self.bn = bn(cout, False)

    def forward(self, x):
        return self.bn(self.conv(F.relu(x)))


class FactorizedReduce(nn.Module):
    """ReLU, two 1x1 stride-2 convs (on x and on x[:, :, 1:, 1:]), each half the channels, concat, BN."""

    def __init__(self, cin, cout, affine=False):
        super().__init__()
        self.conv_1 = nn.Conv2d(cin, cout // 2, 1, 2, 0, bias=False)
        self.conv_2 = nn.Conv2d(cin, cout // 2, 1, 2, 0, bias=False)
        self.bn = bn(cout, affine)

    def forward(self, x):
        r = F.relu(x)
        return self.bn(torch.cat([self.conv_1(r), self.conv_2(r[:, :, 1:, 1:])], 1))


class Pool(nn.Module):
    def __init__(self, is_max, c, stride):
        super().__init__()
        self.is_max, self.stride = is_max, stride
        self.bn = bn(c, False)

    def forward(self, x):
        if self.is_max:
            y = F.max_pool2d(x, 3, self.stride, 1)
        else:
            y = F.avg_pool2d(x, 3, self.stride, 1, count_include_pad=False)
        return self.bn(y)


class SepConv(nn.Module):
    def __init__(self, c, k, stride):
        super().__init__()
        self.dw1 = nn.Conv2d(c, c, k, stride, k // 2, groups=c, bias=False)
        self.pw1 = nn.Conv2d(c, c, 1, bias=False)
        self.bn1 = bn(c, False)
        self.dw2 = nn.Conv2d(c, c, k, 1, k // 2, groups=c, bias=False)
        self.pw2 = nn.Conv2d(c, c, 1, bias=False)
        self.bn2 = bn(c, False)

    def forward(self, x):
        h = self.bn1(self.pw1(self.dw1(F.relu(x))))
        return self.bn2(self.pw2(self.dw2(F.relu(h))))


class DilConv(nn.Module):
    def __init__(self, c, k, stride):
        super().__init__()
        self.dw = nn.Conv2d(c, c, k, stride, k - 1, dilation=2, groups=c, bias=False)
        self.pw = nn.Conv2d(c, c, 1, bias=False)
        self.bn = bn(c, False)

    def forward(self, x):
        return self.bn(self.pw(self.dw(F.relu(x))))


def make_op(name, c, stride):
    if name == "max_pool_3x3":
        return Pool(True, c, stride)
    if name == "avg_pool_3x3":
        return Pool(False, c, stride)
    if name == "skip_connect":
        return nn.Identity() if stride == 1 else FactorizedReduce(c, c)
    if name.startswith("sep_conv"):
        return SepConv(c, int(name[-1]), stride)
    if name.startswith("dil_conv"):
        return DilConv(c, int(name[-1]), stride)
    raise ValueError(name)


class SearchCell(nn.Module):
    def __init__(self, c_prev_prev, c_prev, c, reduction, reduction_prev):
        super().__init__()
        self.reduction, self.c = reduction, c
        self.preprocess0 = FactorizedReduce(c_prev_prev, c) if reduction_prev else ReluConvBn(c_prev_prev, c)
        self.preprocess1 = ReluConvBn(c_prev, c)
        self.inputs = []  # edge e reads state inputs[e]
        for j in range(NODES):
            for i in range(j + 2):
                stride = 2 if reduction and i < 2 else 1
                edge = nn.ModuleDict({p: make_op(p, c, stride) for p in PRIMITIVES if p != "none"})
                self.add_module(f"edge{len(self.inputs)}", edge)
                self.inputs.append(i)

    def forward(self, s0, s1, choice):
        ops, weights = choice
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        e = 0
        for j in range(NODES):
            node = None
            for i in range(j + 2):
                k = ops[e]
                if k != 0:
                    y = getattr(self, f"edge{e}")[PRIMITIVES[k]](states[i]) * weights[e]
                    node = y if node is None else node + y
                e += 1
            if node is None:  # every incoming edge chose none
                ref = states[1]
                d = 2 if self.reduction else 1
                node = ref.new_zeros(ref.shape[0], self.c, ref.shape[2] // d, ref.shape[3] // d)
            states.append(node)
        return torch.cat(states[2:], 1)


class SearchNetwork(nn.Module):
    def __init__(self, cells, c, in_channels, classes):
        super().__init__()
        c_stem = STEM_MULTIPLIER * c
        self.stem = nn.Module()
        self.stem.conv = nn.Conv2d(in_channels, c_stem, 3, 1, 1, bias=False)
        self.stem.bn = bn(c_stem, True)
        reductions = {cells // 3, 2 * cells // 3}
        c_prev_prev, c_prev, c_curr = c_stem, c_stem, c
        reduction_prev = False
        self.cells = nn.ModuleList()
        for i in range(cells):
            reduction = i in reductions
            if reduction:
                c_curr *= 2
            self.cells.append(SearchCell(c_prev_prev, c_prev, c_curr, reduction, reduction_prev))
            reduction_prev = reduction
            c_prev_prev, c_prev = c_prev, NODES * c_curr
        self.classifier = nn.Linear(c_prev, classes)

    def forward(self, x, arch):
        s0 = s1 = self.stem.bn(self.stem.conv(x))
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1, arch[1] if cell.reduction else arch[0])
        return self.classifier(s1.mean((2, 3)))


class FixedArch(nn.Module):
    """The network with one architecture bound, for torch.compile (arch becomes a constant)."""

    def __init__(self, net, arch):
        super().__init__()
        self.net = net
        self.arch = arch

    def forward(self, x):
        return self.net(x, self.arch)


# ----------------------------------------------------------------------------------------------
# Timing

def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_calls(fn, device, warmup, iters):
    """Per-call milliseconds: (device times, host wall times), each call followed by a sync."""
    for _ in range(warmup):
        fn()
    sync(device)
    dev, wall = [], []
    if device.type == "cuda":
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    for _ in range(iters):
        t = time.perf_counter()
        if device.type == "cuda":
            a.record()
            fn()
            b.record()
            b.synchronize()
            dev.append(a.elapsed_time(b))
        else:
            fn()
        wall.append((time.perf_counter() - t) * 1e3)
    return (dev if device.type == "cuda" else wall), wall


def summary(samples):
    return {"median_ms": round(statistics.median(samples), 4), "min_ms": round(min(samples), 4),
            "max_ms": round(max(samples), 4), "n": len(samples)}


class Bench:
    def __init__(self, args):
        self.args = args
        self.device = torch.device(args.device)
        in_channels, size = SHAPES[args.shape]
        if args.image_size:
            size = args.image_size
        self.in_channels, self.size = in_channels, size
        edges = NODES * (NODES + 3) // 2
        x, y, self.archs = bench_inputs(args.seed, args.batch, in_channels, size, args.classes, args.architectures, edges)
        self.x, self.y = x.to(self.device), y.to(self.device)
        torch.manual_seed(1)
        self.net = SearchNetwork(args.cells, args.channels, in_channels, args.classes).to(self.device)
        self.params = list(self.net.parameters())
        self.opt = torch.optim.SGD(self.params, lr=args.lr, momentum=0.9, weight_decay=3e-4)

    def parameter_shapes(self):
        return {n: list(p.shape) for n, p in self.net.named_parameters()}

    def parameter_count(self):
        return sum(p.numel() for p in self.params)

    # one training step / validation batch through a forward function f(x, arch)
    def train_step(self, forward, x, y, arch):
        self.opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(forward(x, arch), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, 5.0)
        self.opt.step()
        return loss

    def valid_batch(self, forward, x, y, arch):
        with torch.no_grad():
            return F.cross_entropy(forward(x, arch), y)

    def run_arch(self, train_fn, valid_fn, warmup, iters):
        self.net.train()
        train, train_wall = time_calls(train_fn, self.device, warmup, iters)
        loss = float(train_fn())
        self.net.eval()
        valid, valid_wall = time_calls(valid_fn, self.device, warmup, iters)
        vloss = float(valid_fn())
        self.net.train()
        b = self.args.batch
        return {"train": summary(train), "train_wall": summary(train_wall),
                "train_images_per_s": round(b * 1e3 / statistics.median(train), 1),
                "valid": summary(valid), "valid_wall": summary(valid_wall),
                "valid_images_per_s": round(b * 1e3 / statistics.median(valid), 1),
                "train_loss": loss, "valid_loss": vloss}

    def eager(self):
        rows = []
        for a, arch in enumerate(self.archs):
            fwd = self.net
            row = self.run_arch(lambda: self.train_step(fwd, self.x, self.y, arch),
                                lambda: self.valid_batch(fwd, self.x, self.y, arch),
                                self.args.warmup, self.args.iters)
            rows.append(dict(arch=a + 1, **row))
        return {"rows": rows}

    def cuda_graph(self):
        if self.device.type != "cuda":
            return {"skipped": "needs a CUDA device"}
        rows = []
        graphs = []
        for a, arch in enumerate(self.archs):
            t0 = time.perf_counter()
            static_x, static_y = self.x.clone(), self.y.clone()
            s = torch.cuda.Stream(self.device)
            s.wait_stream(torch.cuda.current_stream(self.device))
            with torch.cuda.stream(s):  # warm-up off the capture: cuDNN plans, momentum buffers, allocator
                for _ in range(3):
                    self.net.train()
                    self.train_step(self.net, static_x, static_y, arch)
                    self.net.eval()
                    self.valid_batch(self.net, static_x, static_y, arch)
            torch.cuda.current_stream(self.device).wait_stream(s)
            self.net.train()
            train_graph = torch.cuda.CUDAGraph()
            self.opt.zero_grad(set_to_none=True)
            with torch.cuda.graph(train_graph):
                static_loss = F.cross_entropy(self.net(static_x, arch), static_y)
                static_loss.backward()
                torch.nn.utils.clip_grad_norm_(self.params, 5.0)
                self.opt.step()
            self.net.eval()
            valid_graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(valid_graph):
                with torch.no_grad():
                    static_vloss = F.cross_entropy(self.net(static_x, arch), static_y)
            self.net.train()
            torch.cuda.synchronize(self.device)
            graphs.append((train_graph, valid_graph, static_loss, static_vloss, time.perf_counter() - t0))
        self.opt.zero_grad(set_to_none=True)
        for a, (tg, vg, sl, svl, capture_s) in enumerate(graphs):
            train, train_wall = time_calls(tg.replay, self.device, self.args.warmup, self.args.iters)
            valid, valid_wall = time_calls(vg.replay, self.device, self.args.warmup, self.args.iters)
            b = self.args.batch
            rows.append({"arch": a + 1, "train": summary(train), "train_wall": summary(train_wall),
                         "train_images_per_s": round(b * 1e3 / statistics.median(train), 1),
                         "valid": summary(valid), "valid_wall": summary(valid_wall),
                         "valid_images_per_s": round(b * 1e3 / statistics.median(valid), 1),
                         "train_loss": float(sl), "valid_loss": float(svl), "warmup_and_capture_s": round(capture_s, 2)})
        return {"rows": rows}

    def compiled(self, mode):
        if not hasattr(torch, "compile"):
            return {"skipped": f"torch {torch.__version__} has no torch.compile"}
        dynamo = importlib.import_module("torch._dynamo")
        dynamo.config.cache_size_limit = max(64, dynamo.config.cache_size_limit)
        if hasattr(dynamo.config, "accumulated_cache_size_limit"):
            dynamo.config.accumulated_cache_size_limit = max(256, dynamo.config.accumulated_cache_size_limit)
        torch_mode = mode[len("compile-"):]
        rows = []
        for a, arch in enumerate(self.archs[:self.args.compile_archs]):
            model = torch.compile(FixedArch(self.net, arch), mode=torch_mode)
            fwd = lambda x, _arch, m=model: m(x)  # noqa: E731
            t0 = time.perf_counter()
            self.net.train()
            self.train_step(fwd, self.x, self.y, arch)
            sync(self.device)
            first_train_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            self.net.eval()
            self.valid_batch(fwd, self.x, self.y, arch)
            sync(self.device)
            first_valid_s = time.perf_counter() - t0
            self.net.train()
            row = self.run_arch(lambda: self.train_step(fwd, self.x, self.y, arch),
                                lambda: self.valid_batch(fwd, self.x, self.y, arch),
                                self.args.warmup, self.args.iters)
            rows.append(dict(arch=a + 1, first_train_step_s=round(first_train_s, 2),
                             first_valid_batch_s=round(first_valid_s, 2), **row))
        out = {"rows": rows}
        try:
            counters = importlib.import_module("torch._dynamo.utils").counters
            out["counters"] = {k: dict(v) for k, v in counters.items() if v}
        except Exception:  # noqa: BLE001 - diagnostics only
            pass
        return out


# ----------------------------------------------------------------------------------------------

def configure(args):
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("torch_search_step.py: no CUDA device visible to PyTorch (use --device cpu for a dry run)")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    torch.backends.cudnn.allow_tf32 = args.tf32
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.backends.cudnn.benchmark = not args.no_cudnn_benchmark
    if args.threads:
        torch.set_num_threads(args.threads)
    return device


def run_child(args, mode, argv):
    """Runs one compile mode in a child process with a time limit; returns its result dict."""
    fd, path = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    log_path = os.path.join(args.log_dir, f"torch_search_step_{mode}.log") if args.log_dir else os.devnull
    cmd = [sys.executable, os.path.abspath(__file__)] + argv + ["--child-mode", mode, "--child-out", path]
    t0 = time.perf_counter()
    global CHILD
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        CHILD = proc
        try:
            rc = proc.wait(timeout=args.compile_timeout)
        except subprocess.TimeoutExpired:
            kill_child()
            rc = None
        CHILD = None
    wall = round(time.perf_counter() - t0, 1)
    result = None
    try:
        with open(path) as f:
            text = f.read()
        result = json.loads(text) if text.strip() else None
    except (OSError, ValueError):
        pass
    finally:
        os.unlink(path)
    if rc is None:
        return {"error": f"time limit: killed after {args.compile_timeout} s", "wall_s": wall, "log": log_path}
    if result is None:
        return {"error": f"child exited {rc} without a result", "wall_s": wall, "log": log_path}
    result["wall_s"] = wall
    result["log"] = log_path
    return result


def kill_child():
    """Kills the compile child with its process group (its compile workers)."""
    if CHILD is not None and CHILD.poll() is None:
        try:
            os.killpg(CHILD.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        CHILD.wait()


def on_terminate(signum, _frame):
    kill_child()  # a child in its own session would outlive us otherwise
    sys.exit(128 + signum)


def run_mode(bench, mode):
    try:
        if mode == "eager":
            return bench.eager()
        if mode == "cuda-graph":
            return bench.cuda_graph()
        if is_compile_mode(mode):
            return bench.compiled(mode)
        return {"error": f"unknown mode {mode}"}
    except Exception as e:  # noqa: BLE001 - a failing mode is reported, not fatal
        traceback.print_exc()
        return {"error": f"{type(e).__name__}: {str(e)[:500]}"}


def mode_summary(result):
    rows = result.get("rows") or []
    if not rows:
        return None
    t = statistics.median(r["train"]["median_ms"] for r in rows)
    v = statistics.median(r["valid"]["median_ms"] for r in rows)
    return {"train_ms": round(t, 3), "valid_ms": round(v, 3), "archs": len(rows)}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda", help="cuda, cuda:N or cpu")
    p.add_argument("--shape", default="cifar10", choices=sorted(SHAPES))
    p.add_argument("--image-size", type=int, default=None, help="override the shape's image size")
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--cells", type=int, default=8)
    p.add_argument("--channels", type=int, default=16)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--architectures", type=int, default=3, help="random architectures (BenchCommand's draws)")
    p.add_argument("--seed", type=int, default=1, help="java.util.Random seed (BenchCommand uses 1)")
    p.add_argument("--iters", type=int, default=30, help="timed steps per architecture and mode")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--lr", type=float, default=0.01, help="the bench's constant learning rate")
    p.add_argument("--modes", default=",".join(ALL_MODES), help="comma-separated, of: " + ", ".join(ALL_MODES))
    p.add_argument("--compile-archs", type=int, default=1, help="architectures timed per compile mode (each recompiles)")
    p.add_argument("--compile-timeout", type=float, default=150, help="seconds per compile mode (child process)")
    p.add_argument("--tf32", action="store_true")
    p.add_argument("--no-cudnn-benchmark", action="store_true")
    p.add_argument("--threads", type=int, default=None, help="CPU threads (torch.set_num_threads)")
    p.add_argument("--out", default=os.environ.get("OUT", "."), help="folder, or a file ending in .json")
    p.add_argument("--child-mode", help=argparse.SUPPRESS)
    p.add_argument("--child-out", help=argparse.SUPPRESS)
    args = p.parse_args()
    out_path = args.out if args.out.endswith(".json") else os.path.join(args.out, "torch_search_step.json")
    args.log_dir = os.path.dirname(out_path) or "."
    os.makedirs(args.log_dir, exist_ok=True)
    device = configure(args)
    bench = Bench(args)

    if args.child_mode:
        print(f"child: {args.child_mode}, torch {torch.__version__}", flush=True)
        result = run_mode(bench, args.child_mode)
        with open(args.child_out, "w") as f:
            json.dump(result, f)
        return

    signal.signal(signal.SIGTERM, on_terminate)
    signal.signal(signal.SIGINT, on_terminate)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    params = bench.parameter_count()
    header = (f"torch {torch.__version__} on {name}; cudnn {torch.backends.cudnn.version()}; tf32 {args.tf32}; "
              f"cudnn.benchmark {not args.no_cudnn_benchmark}; {args.cells} cells, C={args.channels}, "
              f"{bench.in_channels}x{bench.size}x{bench.size}, batch {args.batch}, {params} parameters; "
              f"median of {args.iters} steps after {args.warmup} ({'CUDA events' if device.type == 'cuda' else 'perf_counter'})")
    print(header, flush=True)
    # the arguments a child needs to rebuild the same bench
    child_argv = [a for a in sys.argv[1:]]
    doc = {"header": header, "device": name, "torch": torch.__version__,
           "cudnn": torch.backends.cudnn.version(), "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
           "config": {"cells": args.cells, "channels": args.channels, "nodes": NODES, "in_channels": bench.in_channels,
                      "image_size": bench.size, "classes": args.classes, "batch": args.batch, "parameters": params,
                      "iters": args.iters, "warmup": args.warmup, "lr": args.lr, "momentum": 0.9, "weight_decay": 3e-4,
                      "grad_clip": 5.0, "tf32": args.tf32, "cudnn_benchmark": not args.no_cudnn_benchmark,
                      "threads": torch.get_num_threads(), "compile_archs": args.compile_archs,
                      "compile_timeout_s": args.compile_timeout},
           "architectures": [{"normal": {"ops": [PRIMITIVES[k] for k in a[0][0]], "weights": list(a[0][1])},
                              "reduce": {"ops": [PRIMITIVES[k] for k in a[1][0]], "weights": list(a[1][1])}}
                             for a in bench.archs],
           "modes": {}, "summary": {}}
    results = doc["modes"]
    for mode in modes:
        t0 = time.perf_counter()
        if is_compile_mode(mode):
            results[mode] = run_child(args, mode, child_argv)
        else:
            results[mode] = run_mode(bench, mode)
        results[mode].setdefault("wall_s", round(time.perf_counter() - t0, 1))
        s = mode_summary(results[mode])
        doc["summary"][mode] = s
        status = (f"train {s['train_ms']:.2f} ms, valid {s['valid_ms']:.2f} ms" if s else
                  results[mode].get("error") or results[mode].get("skipped"))
        print(f"  {mode}: {status} ({results[mode]['wall_s']} s)", flush=True)
        with open(out_path, "w") as f:  # after every mode: a stage time limit leaves what was done
            json.dump(doc, f, indent=1)

    b = args.batch
    print()
    print(header)
    print(f"{'mode':36} {'arch':>5} {'train ms':>9} {'train img/s':>12} {'valid ms':>9} {'valid img/s':>12}")
    for mode, r in results.items():
        rows = r.get("rows") or []
        if not rows:
            print(f"{mode:36} {'-':>5} {(r.get('error') or r.get('skipped') or 'no result')[:80]}")
            continue
        for row in rows:
            print(f"{mode:36} {'#' + str(row['arch']):>5} {row['train']['median_ms']:9.2f} {row['train_images_per_s']:12.0f} "
                  f"{row['valid']['median_ms']:9.2f} {row['valid_images_per_s']:12.0f}")
        s = mode_summary(r)
        print(f"{mode:36} {'med':>5} {s['train_ms']:9.2f} {b * 1e3 / s['train_ms']:12.0f} {s['valid_ms']:9.2f} "
              f"{b * 1e3 / s['valid_ms']:12.0f}")
    print(f"wrote {out_path}")


if __name__ == "__main__":
    main()
