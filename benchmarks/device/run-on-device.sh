#!/usr/bin/env bash
# Runs on the lent GPU machine (see prepare.sh). Everything it writes goes under $OUT; the
# last lines it prints are a short table. Each stage has its own time limit so one hang
# cannot eat the device budget.
set -uo pipefail
OUT=${OUT:-/tmp/pvll-out}
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

stage() { # name, timeout seconds, command...
  local name=$1 limit=$2; shift 2
  local start=$SECONDS
  timeout "$limit" "$@" >"$OUT/$name.log" 2>&1
  local rc=$?
  RESULT[$name]="rc=$rc $((SECONDS - start))s"
  echo "== $name: rc=$rc ($((SECONDS - start)) s)"; tail -n 15 "$OUT/$name.log"
}

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >"$OUT/gpu.txt" 2>&1
stage info 60 "$JAVA" -jar "$LIB/pvll.jar" info
TESTS=("$JAVA" -Djava.awt.headless=true -jar "$LIB/junit-platform-console-standalone-1.14.1.jar" execute
  --class-path "$LIB/pvll.jar:$LIB/test-classes" --scan-classpath "$LIB/test-classes" --include-classname '.*CudaTest'
  --details=summary --disable-banner)
stage gpu-tests 240 "${TESTS[@]}"
stage memcheck 300 compute-sanitizer --tool memcheck --target-processes all --error-exitcode 9 "${TESTS[@]}"
stage racecheck 300 compute-sanitizer --tool racecheck --target-processes all --error-exitcode 9 "${TESTS[@]}"
if [[ -f benchmarks/device/torch_ops.py ]]; then
  stage torch-ops 240 python3 benchmarks/device/torch_ops.py
fi
stage torch-layers 180 python3 benchmarks/device/torch_layers.py --out "$OUT"

echo
echo "stage        result"
for k in info gpu-tests memcheck racecheck torch-ops torch-layers; do
  [[ -n "${RESULT[$k]:-}" ]] && printf '%-12s %s\n' "$k" "${RESULT[$k]}"
done
grep -hE "tests (successful|failed|skipped|aborted)" "$OUT/gpu-tests.log" | sed 's/^/gpu-tests    /'
grep -hE "ERROR SUMMARY" "$OUT/memcheck.log" "$OUT/racecheck.log" 2>/dev/null | sed 's/^/sanitizer    /'
