#!/usr/bin/env bash
# Builds everything here (no GPU needed) and assembles device-carry/, the one folder the device
# tool carries to the lent GPU machine (which has no Java and no Maven):
#   device-carry/jre.tar.gz      a jlink JRE (java.base ... jdk.management)
#   device-carry/lib/            pvll.jar (every native library inside), the JUnit console, the test
#                                classes, the JMH GPU benchmark classes and the JMH jars
#   device-carry/devbin/         the kernels/dev check-and-time programs, built here by nvcc for sm_90
#                                (the H100 and H200 of the device tool), the CUDA runtime linked in
# Then two calls of the device tool's run, each with carry ["device-carry"]:
#   command: CALL=1 bash benchmarks/device/run-on-device.sh     (GPU tests, benchmarks, searches)
#   command: CALL=2 bash benchmarks/device/run-on-device.sh     (sanitizers, kernel checks, peers)
# EMULATED=1: devbin built by g++ on the emulated CUDA runtime instead (no nvcc), for a dry run of
# run-on-device.sh on this machine with PVLL_CUDA=emulated. SKIP_BUILD=1: reuse the Maven build.
set -euo pipefail
cd "$(dirname "$0")/../.."
JUNIT_CONSOLE_VERSION=1.14.1

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  mvn -q -B package -DskipTests   # compiles the test classes too
fi
rm -rf device-carry
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p device-carry/lib
cp java/target/pvll.jar device-carry/lib/
# the test classes of both modules in one folder: the kernels' (the *CudaTest classes of the ops,
# dev.pvll.testing) and the application's (search, supernet, data)
cp -r java/kernels/target/test-classes device-carry/lib/test-classes
cp -r java/target/test-classes/. device-carry/lib/test-classes/
# no libtorch on the device machine (the pytorch jars are not carried): its loader goes, and with it
# the JUnit listener that would preload it (the tests that need it are not among the GPU stages)
rm -rf device-carry/lib/test-classes/dev/pvll/testing/Torch*.class
rm -f device-carry/lib/test-classes/META-INF/services/org.junit.platform.launcher.LauncherSessionListener
# the JMH GPU benchmarks: our benchmark classes (with JMH's generated ones) and the JMH jars;
# the shaded benchmarks.jar carries libtorch and is far too large to carry
cp -r benchmarks/target/classes device-carry/lib/bench-classes
for artifact in org.openjdk.jmh:jmh-core:1.37 net.sf.jopt-simple:jopt-simple:5.0.4 org.apache.commons:commons-math3:3.6.1; do
  mvn -q -B dependency:copy -Dartifact=$artifact -DoutputDirectory=device-carry/lib/jmh
done
mvn -q -B dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:${JUNIT_CONSOLE_VERSION} \
  -DoutputDirectory=device-carry/lib
# kernels/dev programs, built once here: the device machine runs them without compiling
if [[ "${EMULATED:-0}" == 1 ]]; then
  bash kernels/dev/build.sh emulated device-carry/devbin
else
  bash kernels/dev/build.sh 90 device-carry/devbin
fi
jlink --add-modules java.base,java.logging,java.management,jdk.unsupported,java.xml,jdk.management,java.desktop,jdk.zipfs,jdk.httpserver \
  --strip-debug --no-man-pages --no-header-files --compress=2 --output "$work/pvll-jre"
tar -C "$work" -czf device-carry/jre.tar.gz pvll-jre
du -sh device-carry device-carry/* | sed 's/^/  /'
total=$(du -sm device-carry | cut -f1)
if (( total > 56 )); then echo "device-carry is ${total} MiB: too close to the 64 MiB carry limit" >&2; exit 1; fi
echo "ready: two device tool runs with carry [\"device-carry\"]:"
echo "  CALL=1 bash benchmarks/device/run-on-device.sh    then    CALL=2 bash benchmarks/device/run-on-device.sh"
