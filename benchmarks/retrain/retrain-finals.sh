#!/usr/bin/env bash
# Retrains the final genotypes of a `pvll compare` folder (issue #18, item 4), one training run per
# (landscape seed, method, training seed), each in a folder of its own, resumable: rerun the same
# command after a stop and finished runs are skipped, interrupted ones continue from their checkpoint.
#
#   benchmarks/retrain/retrain-finals.sh COMPARE_DIR OUT_DIR [SEEDS] [METHODS] [TRAIN_SEEDS]
#     SEEDS        landscape seeds of the comparison (default 1,2,3)
#     METHODS      methods whose final genotypes are retrained (default pvll,evolution)
#     TRAIN_SEEDS  training seeds (default 1,2,3)
#   Budget (env): EPOCHS (5), TRAIN_IMAGES (0 = all 60,000), JAR (java/target/pvll.jar)
# Summary: /usr/bin/python3 benchmarks/retrain/summary.py OUT_DIR
set -euo pipefail
compare=${1:?usage: retrain-finals.sh COMPARE_DIR OUT_DIR [SEEDS] [METHODS] [TRAIN_SEEDS]}
out=${2:?usage: retrain-finals.sh COMPARE_DIR OUT_DIR [SEEDS] [METHODS] [TRAIN_SEEDS]}
seeds=${3:-1,2,3}; methods=${4:-pvll,evolution}; train_seeds=${5:-1,2,3}
jar=${JAR:-java/target/pvll.jar}; epochs=${EPOCHS:-5}; images=${TRAIN_IMAGES:-0}
[[ -f $jar ]] || { echo "retrain-finals: no $jar (build with: mvn -q package -DskipTests)" >&2; exit 2; }
mkdir -p "$out"
# pairs first: every method's genotype of a landscape seed with training seed 1, then seed 2, ...
for s in ${seeds//,/ }; do
  for m in ${methods//,/ }; do
    [[ -f $compare/seed-$s/$m/genotype.json ]] || { echo "retrain-finals: $compare/seed-$s/$m/genotype.json missing (has that run finished?)" >&2; exit 2; }
  done
  for t in ${train_seeds//,/ }; do
    for m in ${methods//,/ }; do
      dir=$out/seed-$s-$m-train-$t
      if [[ -f $dir/result.json ]]; then continue; fi
      echo "== landscape seed $s, $m's final genotype, training seed $t -> $dir"
      if [[ -f $dir/checkpoint.bin ]]; then
        java -jar "$jar" train --resume "$dir"
      else
        rm -rf "$dir"
        java -jar "$jar" train --genotype "$compare/seed-$s/$m/genotype.json" --seeds "$t" --epochs "$epochs" --train-images "$images" --test-images 0 --out "$dir"
      fi
    done
  done
done
/usr/bin/python3 "$(dirname "$0")/summary.py" "$out"
