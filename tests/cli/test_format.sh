#!/usr/bin/env bash
# Formatting is checked by a script, not by review: every C file matches .clang-format.
set -euo pipefail
: "${LR_SRC:?}"
cd "$LR_SRC"
command -v clang-format >/dev/null || { echo "SKIP: clang-format is not installed"; exit 0; }
files=$(git ls-files -co --exclude-standard -- '*.c' '*.h')
bad=""
for f in $files; do
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad="$bad $f"
done
if [ -n "$bad" ]; then
  echo "FAIL: not formatted (run: clang-format -i$bad)"
  exit 1
fi
echo "PASS: $(echo "$files" | wc -l) C files formatted"
