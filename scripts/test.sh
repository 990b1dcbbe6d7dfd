#!/usr/bin/env bash
# Every test: Release build + unit/CLI/validation tests, then the same suite under
# AddressSanitizer + UndefinedBehaviorSanitizer, then the benchmark smoke run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== tests (Release)"
ctest --test-dir build --output-on-failure -j 2
echo "== tests (ASan + UBSan)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DDANLU_SANITIZE=ON -DDANLU_BENCH=OFF -DDANLU_PYTHON=OFF >/dev/null
cmake --build build-asan -j 2
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j 2
echo "== benchmark (smoke: one short repetition; figures in README come from a full run)"
build/bench/danlu_bench --benchmark_min_time=0.2
echo "== validation on the dev runs"
build/danlu validate --runs data/validation/training-dev.yaml | tail -n 1
