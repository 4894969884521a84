#!/usr/bin/env bash
# Run the whole test suite: the normal build (build/), then the same tests
# under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/).
# Then the libFuzzer targets for a short fixed time each (clang, build-fuzz/).
# Usage: ./contrib/test.sh [--quick]   (--quick: skip the sanitizer and fuzz passes)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
echo "== tests (build/)"
ctest --test-dir build --output-on-failure -j"$jobs"

if [ "${1:-}" != "--quick" ]; then
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DLOGRELAY_SANITIZE=ON >/dev/null
  cmake --build build-asan -j"$jobs"
  echo "== tests under ASan+UBSan (build-asan/)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j"$jobs"
fi

if [ "${1:-}" != "--quick" ]; then
  CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DLOGRELAY_FUZZ=ON -DLOGRELAY_TESTS=ON >/dev/null
  cmake --build build-fuzz -j"$jobs" --target fuzz_cdn_access fuzz_waf_json fuzz_json_encode
  echo "== fuzzing (build-fuzz/, 20 s per target)"
  ctest --test-dir build-fuzz --output-on-failure -R '^fuzz\.'
fi
