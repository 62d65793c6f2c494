#!/usr/bin/env bash
# Runs on the lent GPU machine, after prepare.sh, in two calls of the device tool, each well
# under its 600 s limit (the whole lease is 15 minutes: two calls of 420 s and the machine's start):
#   CALL=1 (default): info; the GPU tests (every *CudaTest and StepOpsTest, one line per test as it
#          ends); pvll bench step; the PyTorch step peer; pvll search --preset tiny on the GPU with
#          graphs and with plain launches, and on the CPU, their logs compared
#   CALL=2: compute-sanitizer memcheck and racecheck on a few named test classes; the kernels/dev
#          checks that prepare.sh built; the PyTorch op and layer peers; the JMH GPU conv benchmark
# Each stage has a time limit (call 1: 20+150+60+75+35+35+30 = 405 s; call 2: 100+80+55+60+45+55
# = 395 s), cut to what is left of BUDGET (420 s) so that the table is always printed; a stage that
# cannot get 20 s is skipped and says so.
# Under $OUT (the tool returns at most 8 files): table.txt (the table, also printed last),
# tests.txt (one line per test, written as each ends, so a time-out still leaves them),
# junit.xml (the JUnit report of the last test stage that finished), logs.tgz (every stage's log
# and output, rewritten after each stage) and, in call 1, search-{graphs,plain,cpu}.jsonl.
#
# Dry run on this machine's emulated CUDA device (no GPU; EMULATED=1 bash prepare.sh first):
#   PVLL_CUDA=emulated BUDGET=1500 CALL=1 bash benchmarks/device/run-on-device.sh
# The same stages run; what only a GPU can answer says so in the table (timings: shortened and not
# GPU figures; compute-sanitizer: the test classes run without it, under the emulated device's own
# guard and race checks; the PyTorch peers: skipped where PyTorch is missing).
set -uo pipefail
OUT=${OUT:-/tmp/pvll-out}
export OUT
mkdir -p "$OUT"
cd "$(dirname "$0")/../.."
CALL=${CALL:-1}
BUDGET=${BUDGET:-420}
EMULATED=0
[[ "${PVLL_CUDA:-}" == emulated ]] && EMULATED=1
RUN=$(mktemp -d)
LOGS=$RUN/logs
mkdir -p "$LOGS" "$RUN/peer"
tar -C "$RUN" -xzf device-carry/jre.tar.gz
JAVA=$RUN/pvll-jre/bin/java
LIB=device-carry/lib
DEVBIN=device-carry/devbin
# cuDNN and the shared CUDA runtime for the JavaCPP presets, from the system or PyTorch's wheels:
# for the Java stages only (the PyTorch peers keep their own libraries)
JAVA_LD=${LD_LIBRARY_PATH:-}
if ((EMULATED == 0)); then
  for d in $(find / -xdev \( -name 'libcudnn.so.9' -o -name 'libcudart.so.13' -o -name 'libcublas.so.13' \) -printf '%h\n' 2>/dev/null | sort -u); do
    JAVA_LD="${d}${JAVA_LD:+:$JAVA_LD}"
  done
fi
JAVA_=(env LD_LIBRARY_PATH="$JAVA_LD" "$JAVA" -Djava.awt.headless=true)
PVLL=("${JAVA_[@]}" -jar "$LIB/pvll.jar")
declare -A RESULT NOTE
ORDER=()

# stage NAME LIMIT COMMAND...: runs it with its own time limit, its log in $LOGS/NAME.log
stage() {
  local name=$1 limit=$2
  shift 2
  ORDER+=("$name")
  local left=$((BUDGET - SECONDS - 15))
  if ((left < 20)); then
    RESULT[$name]="skipped"
    NOTE[$name]="budget: ${left} s left"
    echo "== $name: skipped, ${left} s left"
    return 0
  fi
  ((EMULATED)) && limit=$((limit * 10))  # the emulated device is far slower: the dry run gives it more time
  ((limit > left)) && limit=$left
  local start=$SECONDS
  timeout --kill-after=5 "$limit" "$@" >"$LOGS/$name.log" 2>&1
  local rc=$?
  RESULT[$name]="rc=$rc"
  ((rc == 124 || rc == 137)) && RESULT[$name]="timeout"
  RESULT[$name]+=" $((SECONDS - start))s"
  echo "== $name: ${RESULT[$name]}"
  tail -n 8 "$LOGS/$name.log"
  save
}
skip() { # NAME REASON: a stage this machine cannot run
  ORDER+=("$1")
  RESULT[$1]="skipped"
  NOTE[$1]=$2
  echo "== $1: skipped: $2"
}
save() { tar -C "$RUN" -czf "$OUT/logs.tgz.part" logs peer 2>/dev/null && mv "$OUT/logs.tgz.part" "$OUT/logs.tgz"; }

# tests NAME LIMIT [java options] -- CLASS...: JUnit console on the named classes (patterns), one line per test
tests() {
  local name=$1 limit=$2
  shift 2
  local jopts=() classes=()
  while (($#)) && [[ $1 != -- ]]; do jopts+=("$1"); shift; done
  shift
  for c in "$@"; do classes+=(--include-classname "$c"); done
  stage "$name" "$limit" bash -c '
    name=$1; shift
    "$@" 2>&1 | tee "'"$LOGS"'/$name.console" | grep --line-buffered -E " :: (SUCCESSFUL|FAILED|ABORTED|SKIPPED)" \
      | sed -u "s/^/$name  /" >>"'"$OUT"'/tests.txt"
    exit "${PIPESTATUS[0]}"
  ' _ "$name" env LD_LIBRARY_PATH="$JAVA_LD" "$JAVA" -Djava.awt.headless=true "${jopts[@]}" \
    -jar "$LIB/junit-platform-console-standalone-1.14.1.jar" execute --class-path "$LIB/pvll.jar:$LIB/test-classes" \
    --scan-classpath "$LIB/test-classes" "${classes[@]}" --details=testfeed --details-theme=ascii --disable-ansi-colors --disable-banner \
    --reports-dir "$RUN/junit-$name"
  local report
  report=$(ls "$RUN/junit-$name"/*.xml 2>/dev/null | head -1)
  [[ -n $report ]] && cp "$report" "$OUT/junit.xml"
  local ok fail skip
  ok=$(grep -c "^$name .*:: SUCCESSFUL" "$OUT/tests.txt")
  # ABORTED is JUnit's word for a failed assumption: a test that skipped itself (e.g. no NCCL)
  fail=$(grep -c "^$name .*:: FAILED" "$OUT/tests.txt")
  skip=$(grep -cE "^$name .*:: (SKIPPED|ABORTED)" "$OUT/tests.txt")
  NOTE[$name]="${NOTE[$name]:-}$ok passed, $fail failed, $skip skipped"
}

have_torch() { python3 -c 'import torch' 2>/dev/null; }

: >"$OUT/tests.txt"
if ((EMULATED)); then
  echo "emulated CUDA device (PVLL_CUDA=emulated): a dry run, no GPU" >"$RUN/logs/gpu.txt"
else
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >"$RUN/logs/gpu.txt" 2>&1
fi
DEVICE=$(head -1 "$RUN/logs/gpu.txt")

if [[ $CALL == 1 ]]; then
  stage info 20 "${PVLL[@]}" info
  NOTE[info]=$(grep -m1 "^GPU" "$LOGS/info.log")
  tests gpu-tests 150 -- '.*CudaTest' '.*StepOpsTest'
  # the training step and validation batch in each mode (plain, resident, graph, lanes, graph-root,
  # lanes-root), three fixed architectures
  if ((EMULATED)); then
    stage java-step 150 "${PVLL[@]}" bench step --device cuda:0 --steps 1 --architectures 1 --shape fashion-mnist \
      --cells 3 --channels 4 --batch-size 8
    NOTE[java-step]="emulated: every mode ran once; the times are the emulator's, not a GPU's"
  else
    stage java-step 60 "${PVLL[@]}" bench step --device cuda:0 --steps 30 --architectures 3
  fi
  if have_torch; then
    stage torch-step 75 env OUT="$RUN/peer" python3 benchmarks/device/torch_search_step.py --device cuda --out "$RUN/peer" \
      --iters 30 --compile-timeout 40
  else
    skip torch-step "no PyTorch here"
  fi
  # end to end: the tiny preset on the GPU through graphs and through plain launches (the same numbers,
  # bit for bit), and on the CPU (the same architectures, losses within tolerance)
  SHORT=()
  # the emulated device is about 100 times slower: SearchCudaTest's shortened search
  ((EMULATED)) && SHORT=(--warmup 1 --steps 1 --train-images 64 --val-images 64)
  stage gpu-search 35 "${PVLL[@]}" search --preset tiny --device cuda:0 "${SHORT[@]}" --out "$RUN/search-graphs"
  stage gpu-search-plain 35 "${PVLL[@]}" search --preset tiny --device cuda:0 --no-cuda-graphs "${SHORT[@]}" \
    --out "$RUN/search-plain"
  stage cpu-search 30 "${PVLL[@]}" search --preset tiny --device cpu "${SHORT[@]}" --out "$RUN/search-cpu"
  for s in graphs plain cpu; do [[ -f $RUN/search-$s/log.jsonl ]] && cp "$RUN/search-$s/log.jsonl" "$OUT/search-$s.jsonl"; done
  ORDER+=(search-compare)
  RESULT[search-compare]=$(python3 benchmarks/device/compare_search_logs.py "$RUN/search-graphs/log.jsonl" \
    "$RUN/search-plain/log.jsonl" "$RUN/search-cpu/log.jsonl" 2>&1 | tail -1)
  ((EMULATED)) && NOTE[gpu-search]="emulated: warm-up 1, 1 step, 64 + 64 images"
  NOTE[java-step]+="${NOTE[java-step]:+; }$(grep -hE "^random #1 +(plain|graph|lanes) " "$LOGS/java-step.log" 2>/dev/null \
    | awk '{print $3, $4 " ms/step"}' | paste -sd, -)"
elif [[ $CALL == 2 ]]; then
  # under the sanitizers the tests skip their batch-64 cases (-Dpvll.sanitize=true): 10-100x slower there
  MEMCHECK=('.*CudaGraphCudaTest' '.*PinnedCopyCudaTest' '.*ElementwiseCudaTest' '.*StepOpsTest' '.*LinearLossCudaTest')
  RACECHECK=('.*NormCudaTest' '.*PoolCudaTest' '.*TensorOpsCudaTest' '.*OptimCudaTest')
  if ((EMULATED)); then
    NOTE[memcheck]="emulated (no compute-sanitizer without a GPU; the emulator's guard checks): "
    NOTE[racecheck]="emulated (the emulator's race checks): "
    tests memcheck 150 -Dpvll.sanitize=true -- "${MEMCHECK[@]}"
    tests racecheck 150 -Dpvll.sanitize=true -- "${RACECHECK[@]}"
  else
    SAN=(compute-sanitizer --target-processes all --error-exitcode 9)
    stage memcheck 100 "${SAN[@]}" --tool memcheck env LD_LIBRARY_PATH="$JAVA_LD" "$JAVA" -Djava.awt.headless=true \
      -Dpvll.sanitize=true -jar "$LIB/junit-platform-console-standalone-1.14.1.jar" execute \
      --class-path "$LIB/pvll.jar:$LIB/test-classes" --scan-classpath "$LIB/test-classes" \
      $(printf -- '--include-classname %s ' "${MEMCHECK[@]}") --details=summary --disable-banner
    stage racecheck 80 "${SAN[@]}" --tool racecheck env LD_LIBRARY_PATH="$JAVA_LD" "$JAVA" -Djava.awt.headless=true \
      -Dpvll.sanitize=true -jar "$LIB/junit-platform-console-standalone-1.14.1.jar" execute \
      --class-path "$LIB/pvll.jar:$LIB/test-classes" --scan-classpath "$LIB/test-classes" \
      $(printf -- '--include-classname %s ' "${RACECHECK[@]}") --details=summary --disable-banner
    for s in memcheck racecheck; do
      NOTE[$s]=$(grep -hE "ERROR SUMMARY|Device not supported|tests (successful|failed)" "$LOGS/$s.log" | tr '\n' ';' | cut -c1-120)
    done
  fi
  # kernels/dev: depthwise against a double loop at odd shapes, then CUDA-event timings at the
  # search shapes; the cost of switch nodes in a graph
  if ((EMULATED)); then
    stage dev-checks 150 bash -c "'$DEVBIN/depthwise_check' --no-time && '$DEVBIN/graph_overhead' 10"
    NOTE[dev-checks]="emulated: checks only, no timings"
  else
    stage dev-checks 55 bash -c "OUT='$RUN/peer' '$DEVBIN/depthwise_check' && '$DEVBIN/graph_overhead' 300"
  fi
  NOTE[dev-checks]+="${NOTE[dev-checks]:+; }$(grep -hE "^checks|^FAIL" "$LOGS/dev-checks.log" | head -2 | paste -sd, -)"
  if have_torch; then
    stage torch-ops 60 env OUT="$RUN/peer" python3 benchmarks/device/torch_ops.py
    stage torch-layers 45 python3 benchmarks/device/torch_layers.py --out "$RUN/peer"
  else
    skip torch-ops "no PyTorch here"
    skip torch-layers "no PyTorch here"
  fi
  if ((EMULATED)); then
    skip gpu-conv-bench "a timing only a GPU can answer"
  else
    stage gpu-conv-bench 55 "${JAVA_[@]}" -cp "$LIB/pvll.jar:$LIB/bench-classes:$LIB/jmh/*" org.openjdk.jmh.Main GpuConvBench \
      -f 0 -wi 1 -w 200ms -i 3 -r 300ms -rf json -rff "$RUN/peer/gpu_conv_bench.json"
  fi
else
  echo "CALL must be 1 or 2, got $CALL" >&2
  exit 2
fi
save

{
  echo "call $CALL on ${DEVICE:-?} ($((SECONDS)) s of a ${BUDGET} s budget)"
  printf '%-16s %-16s %s\n' stage result notes
  for k in "${ORDER[@]}"; do printf '%-16s %-16s %s\n' "$k" "${RESULT[$k]}" "${NOTE[$k]:-}"; done
  grep -hE ":: FAILED" "$OUT/tests.txt" | head -10 | sed 's/^/FAILED  /' || true
  grep -hE ":: ABORTED" "$OUT/tests.txt" | head -10 | sed 's/^/SKIPPED /' || true
} | tee "$OUT/table.txt"
exit 0
