#!/usr/bin/env bash
# The data-parallel path on a lent GPU (issue #20): NCCL collectives on the step's stream, two
# ranks on one GPU. Run after prepare.sh, from the repository root, like run-on-device.sh:
#   device tool run, command: bash benchmarks/device/nccl-check.sh, carry ["device-carry"]
# (or wired into run-on-device.sh as a stage: STAGES=nccl). Everything goes under $OUT; the last
# lines printed are a short table. Stages, each with its own time limit within BUDGET (s):
#   nccl-info      pvll info: NCCL and MPI as pvll finds them, the rank's GPU
#   nccl-one-rank  NcclCommunicatorCudaTest: a one-rank communicator (no MPI needed)
#   nccl-step      mpirun -np 2, both ranks on cuda:0: the sharded step engine (NCCL all-reduces of
#                  the gradients, the loss and batch norm's sums, in the captured graph where CUDA
#                  12.8+ allows) against whole batches in each rank's JVM (DataParallelStepWorker:
#                  "rank R: PASS" when every figure is within 2e-5)
#   nccl-search    mpirun -np 2 tiny search on cuda:0 against one process (same genotype; the log
#                  compared within 1e-4 by python3)
#   gpu-bench      pvll bench step on one GPU at batch 64 and at batch 8 (an 8-GPU job's share of
#                  the paper's batch): the step times of the 8-GPU projection in RESULTS.md
#   nccl-bench     mpirun -np 2 pvll bench step on cuda:0: time per step in collectives (enqueueing
#                  only: NCCL runs on the stream) and the step time with NCCL in it
# Two ranks on one GPU: NCCL refuses two ranks of one communicator on one GPU ("Duplicate GPU
# detected") unless each has its own host id; P2P and SHM are off so that they meet over sockets
# (a check that it runs, not a measure of NVLink).
set -uo pipefail
OUT=${OUT:-/tmp/pvll-out}
export OUT
mkdir -p "$OUT"
cd "$(dirname "$0")/../.."
BUDGET=${BUDGET:-540}
RUN=$(mktemp -d)
tar -C "$RUN" -xzf device-carry/jre.tar.gz
JAVA=$RUN/pvll-jre/bin/java
LIB=device-carry/lib
# libnccl.so.2 and the CUDA runtime of the presets: the system's, or PyTorch's wheels' (nvidia/nccl/lib)
for d in $(find / -xdev \( -name 'libnccl.so.2' -o -name 'libcudnn.so.9' -o -name 'libcudart.so.13' \) -printf '%h\n' 2>/dev/null | sort -u); do
  LD_LIBRARY_PATH="${d}:${LD_LIBRARY_PATH:-}"
done
export LD_LIBRARY_PATH
# mpirun: on PATH, or an image's HPC-X / Open MPI
MPIRUN=$(command -v mpirun || ls /opt/hpcx/ompi/bin/mpirun /usr/mpi/gcc/openmpi-*/bin/mpirun /usr/local/mpi/bin/mpirun 2>/dev/null | head -1)
declare -A RESULT
ORDER=()

stage() { # name, timeout seconds, command...
  local name=$1 limit=$2; shift 2
  ORDER+=("$name")
  local left=$((BUDGET - SECONDS - 10))
  if ((left < 20)); then RESULT[$name]="skipped (budget)"; return 0; fi
  ((limit > left)) && limit=$left
  local start=$SECONDS
  timeout "$limit" "$@" >"$OUT/$name.log" 2>&1
  local rc=$?
  RESULT[$name]="rc=$rc $((SECONDS - start))s"
  echo "== $name: rc=$rc ($((SECONDS - start)) s)"; tail -n 12 "$OUT/$name.log"
}

CP="$LIB/pvll.jar:$LIB/test-classes"
# each rank its own NCCL host id (two ranks on one GPU); the JVM of the carried JRE
RANK_JAVA=(bash -c 'NCCL_HOSTID=pvll-rank-${OMPI_COMM_WORLD_RANK:-0} NCCL_P2P_DISABLE=1 NCCL_SHM_DISABLE=1 exec "$0" "$@"' "$JAVA")
MPI=("$MPIRUN" --allow-run-as-root --oversubscribe -np 2 -x LD_LIBRARY_PATH)

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >"$OUT/gpu.txt" 2>&1
stage nccl-info 30 "$JAVA" -jar "$LIB/pvll.jar" info
stage nccl-one-rank 60 "$JAVA" -jar "$LIB/junit-platform-console-standalone-1.14.1.jar" execute --class-path "$CP" \
  --select-class dev.pvll.kernels.NcclCommunicatorCudaTest --details=summary --disable-banner
if [[ -n $MPIRUN ]]; then
  stage nccl-step 90 "${MPI[@]}" "${RANK_JAVA[@]}" -cp "$CP" dev.pvll.supernet.DataParallelStepWorker cuda:0
  grep -q "rank 0: PASS" "$OUT/nccl-step.log" && grep -q "rank 1: PASS" "$OUT/nccl-step.log" && RESULT[nccl-step]+=" PASS" \
    || RESULT[nccl-step]+=" no PASS"
  stage nccl-search 120 bash -c "
    '$JAVA' -jar '$LIB/pvll.jar' search --preset tiny --device cuda:0 --lr 3e-4 --lr-min 3e-4 --out '$OUT/search-one' &&
    ${MPI[*]} ${RANK_JAVA[*]@Q} -jar '$LIB/pvll.jar' search --preset tiny --device cuda:0 --lr 3e-4 --lr-min 3e-4 --out '$OUT/search-two' &&
    python3 benchmarks/device/compare_logs.py '$OUT/search-one' '$OUT/search-two'"
else
  RESULT[nccl-step]="skipped: no mpirun on this machine"
  ORDER+=(nccl-step)
fi
stage gpu-bench 120 bash -c "'$JAVA' -jar '$LIB/pvll.jar' bench step --device cuda:0 --batch-size 64 --steps 20 --architectures 3 \
  && '$JAVA' -jar '$LIB/pvll.jar' bench step --device cuda:0 --batch-size 8 --steps 20 --architectures 3"
if [[ -n $MPIRUN ]]; then
  stage nccl-bench 90 "${MPI[@]}" "${RANK_JAVA[@]}" -jar "$LIB/pvll.jar" bench step --device cuda:0 --batch-size 64 --steps 20 \
    --architectures 2
fi
echo
echo "stage            result"
for name in "${ORDER[@]}"; do printf '%-16s %s\n' "$name" "${RESULT[$name]:-}"; done
