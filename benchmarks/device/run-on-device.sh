#!/usr/bin/env bash
# Runs on the lent GPU machine (see prepare.sh). Everything it writes goes under $OUT; the
# last lines it prints are a short table. Each stage has its own time limit so one hang
# cannot eat the device budget.
#
# STAGES (space-separated names, default "all") picks the stages to run, e.g.
#   STAGES="info java-step torch-step" bash benchmarks/device/run-on-device.sh
# Stages, in order: info gpu-tests java-step graph-overhead torch-step gpu-search gpu-search-plain memcheck dev-checks racecheck torch-ops torch-layers gpu-conv-bench
set -uo pipefail
OUT=${OUT:-/tmp/pvll-out}
export OUT
mkdir -p "$OUT"
cd "$(dirname "$0")/../.."
RUN=$(mktemp -d)
tar -C "$RUN" -xzf device-carry/jre.tar.gz
JAVA=$RUN/pvll-jre/bin/java
LIB=device-carry/lib
# cuDNN and the shared CUDA runtime for the JavaCPP presets: take them from the system or from PyTorch's wheels.
for d in $(find / -xdev \( -name 'libcudnn.so.9' -o -name 'libcudart.so.13' -o -name 'libcublas.so.13' \) -printf '%h\n' 2>/dev/null | sort -u); do
  LD_LIBRARY_PATH="${d}:${LD_LIBRARY_PATH:-}"
done
export LD_LIBRARY_PATH
declare -A RESULT
STAGES=" ${STAGES:-all} "
# BUDGET: seconds the whole script may take (default 540, under the device tool's 600 s per call);
# a stage's limit is cut to what is left, and a stage with under 20 s left is skipped, so the
# table below is always printed. Stages run most important first.
BUDGET=${BUDGET:-540}

stage() { # name, timeout seconds, command...
  local name=$1 limit=$2; shift 2
  if [[ $STAGES != *" all "* && $STAGES != *" $name "* ]]; then return 0; fi
  local left=$((BUDGET - SECONDS - 10))
  if ((left < 20)); then RESULT[$name]="skipped (budget)"; echo "== $name: skipped, ${left}s left"; return 0; fi
  ((limit > left)) && limit=$left
  local start=$SECONDS
  timeout "$limit" "$@" >"$OUT/$name.log" 2>&1
  local rc=$?
  RESULT[$name]="rc=$rc $((SECONDS - start))s"
  echo "== $name: rc=$rc ($((SECONDS - start)) s)"; tail -n 15 "$OUT/$name.log"
}

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >"$OUT/gpu.txt" 2>&1
stage info 30 "$JAVA" -jar "$LIB/pvll.jar" info
TESTS=("$JAVA" -Djava.awt.headless=true -jar "$LIB/junit-platform-console-standalone-1.14.1.jar" execute
  --class-path "$LIB/pvll.jar:$LIB/test-classes" --scan-classpath "$LIB/test-classes" --include-classname '.*CudaTest'
  --include-classname '.*StepOpsTest' --details=summary --disable-banner)
stage gpu-tests 150 "${TESTS[@]}"
# the whole search-network training step and validation batch: ours (pvll bench step, the same
# three random architectures, 30 timed steps each) and PyTorch's peer (eager, one CUDA graph per
# architecture, torch.compile in child processes with their own time limits)
# modes of SupernetStep: plain (loss read back per step), resident (the same launches, no read-back),
# graph (one captured CUDA graph replayed for every batch and architecture), lanes (its edges as
# parallel branches), graph-root and lanes-root (every switch set by one kernel at the root)
stage java-step 90 "$JAVA" -jar "$LIB/pvll.jar" bench step --device cuda:0 --steps 30 --architectures 3
# what a switch node costs against a plain kernel and against predicated kernels (kernels/dev)
stage graph-overhead 40 bash -c "bash kernels/dev/build.sh 90 '$RUN/devbin' && '$RUN/devbin/graph_overhead' 300"
stage torch-step 150 python3 benchmarks/device/torch_search_step.py --device cuda --out "$OUT" --iters 30 \
  --compile-timeout 60
# end to end: the default search (embedded Fashion-MNIST, 4 warm-up architectures, 4 steps) on the
# GPU through the graphed step, then through plain launches (the same numbers; the logs' seconds)
stage gpu-search 60 "$JAVA" -jar "$LIB/pvll.jar" search --device cuda:0 --warmup 4 --steps 4 --out "$OUT/search"
stage gpu-search-plain 60 "$JAVA" -jar "$LIB/pvll.jar" search --device cuda:0 --warmup 4 --steps 4 --no-cuda-graphs \
  --out "$OUT/search-plain"
# under the sanitizers the tests skip their batch-64 cases (-Dpvll.sanitize=true): 10-100x slower there
SAN_TESTS=("${TESTS[0]}" -Dpvll.sanitize=true "${TESTS[@]:1}")
stage memcheck 120 compute-sanitizer --tool memcheck --target-processes all --error-exitcode 9 "${SAN_TESTS[@]}"
# kernels/dev: standalone check-and-time programs built here with nvcc (depthwise against a
# double loop, then CUDA-event timings at the search shapes; JSON in $OUT)
stage dev-checks 100 bash -c "bash kernels/dev/build.sh 70 '$RUN/devbin' && '$RUN/devbin/depthwise_check'"
stage racecheck 90 compute-sanitizer --tool racecheck --target-processes all --error-exitcode 9 "${SAN_TESTS[@]}"
if [[ -f benchmarks/device/torch_ops.py ]]; then
  stage torch-ops 90 python3 benchmarks/device/torch_ops.py
fi
stage torch-layers 60 python3 benchmarks/device/torch_layers.py --out "$OUT"
# JMH GPU benchmarks (benchmark classes and the JMH jars carried by prepare.sh), no fork
if [[ -d $LIB/bench-classes ]]; then
  stage gpu-conv-bench 120 "$JAVA" -cp "$LIB/pvll.jar:$LIB/bench-classes:$LIB/jmh/*" org.openjdk.jmh.Main GpuConvBench \
    -f 0 -wi 1 -w 200ms -i 3 -r 300ms -rf json -rff "$OUT/gpu_conv_bench.json"
fi

echo
echo "stage        result"
for k in info gpu-tests java-step graph-overhead torch-step gpu-search gpu-search-plain memcheck dev-checks racecheck torch-ops torch-layers gpu-conv-bench; do
  [[ -n "${RESULT[$k]:-}" ]] && printf '%-12s %s\n' "$k" "${RESULT[$k]}"
done
grep -hE "tests (successful|failed|skipped|aborted)" "$OUT/gpu-tests.log" 2>/dev/null | sed 's/^/gpu-tests    /'
grep -hE "^random #|^projection|^failed|^graphs" "$OUT/java-step.log" 2>/dev/null | sed 's/^/java-step    /'
grep -hE "^graph |^FAIL" "$OUT/graph-overhead.log" 2>/dev/null | sed 's/^/overhead     /'
tail -n 2 "$OUT/gpu-search.log" 2>/dev/null | sed 's/^/gpu-search   /'
tail -n 2 "$OUT/gpu-search-plain.log" 2>/dev/null | sed 's/^/search-plain /'
# graph and plain launches must log the same losses (the step is the same, bit for bit)
python3 - "$OUT/search/log.jsonl" "$OUT/search-plain/log.jsonl" <<'PY' 2>/dev/null | sed 's/^/search-same  /'
import json, sys
def losses(path):
    return [(l.get("train_loss"), l.get("val_loss")) for l in map(json.loads, open(path))]
a, b = losses(sys.argv[1]), losses(sys.argv[2])
n = min(len(a), len(b))
print(f"{n} log lines compared: " + ("identical" if a[:n] == b[:n] else f"DIFFER at line {next(i for i in range(n) if a[i] != b[i])}"))
PY
grep -hE "^compile-|^eager|^cuda-graph" "$OUT/torch-step.log" 2>/dev/null | grep -E " med |  - " | sed 's/^/torch-step   /'
grep -hE "^(checks|FAIL|device-to-device)" "$OUT/dev-checks.log" 2>/dev/null | head -n 12 | sed 's/^/dev-checks   /'
grep -hE "ERROR SUMMARY" "$OUT/memcheck.log" "$OUT/racecheck.log" 2>/dev/null | sed 's/^/sanitizer    /'
