#!/usr/bin/env bash
# Exports a finished `pvll train` run as ONNX and checks the model in ONNX Runtime against pvll's
# own forward on every test image (OnnxCheck.java). Prints the model's size, opset and node count
# (pvll export's line) and the comparison.
#   bash benchmarks/onnx/onnx-check.sh RUN_DIR [MODEL]
set -euo pipefail
cd "$(dirname "$0")/../.."
run=$1
model=${2:-$(mktemp -d)/model.onnx}
jar=java/target/pvll.jar
ort=$(find ~/.m2/repository/com/microsoft/onnxruntime/onnxruntime -name 'onnxruntime-*.jar' | sort | tail -1)
[[ -f $jar ]] || { echo "no $jar: build first (mvn -B -q package -DskipTests)" >&2; exit 2; }
[[ -n $ort ]] || { echo "no ONNX Runtime jar in ~/.m2: run the tests once (it is their dependency)" >&2; exit 2; }
java -jar "$jar" export "$run" --out "$model"
ls -l "$model"
java -cp "$jar:$ort" benchmarks/onnx/OnnxCheck.java "$run" "$model"
