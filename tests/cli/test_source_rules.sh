#!/usr/bin/env bash
# Source rules a script checks, not a reviewer (STYLE.md, practice 10):
# no unbounded string calls in C sources. Fails listing each offending line.
set -euo pipefail
: "${LR_SRC:?}"
cd "$LR_SRC"
pattern='\b(sprintf|vsprintf|strcpy|strcat|strtok|gets|stpcpy)[[:space:]]*\('
hits=$(git ls-files -co --exclude-standard -- 'core/*.c' 'core/*.h' 'outputs/*.c' 'outputs/*.h' 'include/*.h' \
         'contrib/*.c' 'tests/*.c' 'fuzz/*.c' 'bench/*.c' | xargs -r grep -nE "$pattern" || true)
if [ -n "$hits" ]; then
  echo "FAIL: banned calls (use snprintf, memcpy with explicit lengths, strtok_r):"
  echo "$hits"
  exit 1
fi
echo "PASS: no banned calls in $(git ls-files -co --exclude-standard -- '*.c' '*.h' | wc -l) C files"
