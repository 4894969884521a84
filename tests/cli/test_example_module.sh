#!/usr/bin/env bash
# The out-of-tree example module builds against the INSTALLED header and
# pkg-config file only, and the agent loads it.
set -euo pipefail
: "${LR_BUILD:?}" "${LR_SRC:?}"
work=$(mktemp -d /tmp/lr-example-XXXXXX)
trap 'rm -rf "$work"' EXIT

cmake --install "$LR_BUILD" --prefix "$work/prefix" >/dev/null
pc=$(dirname "$(find "$work/prefix" -name logrelay.pc | head -1)")
[ -n "$pc" ] || { echo "FAIL: logrelay.pc not installed"; exit 1; }
test -f "$work/prefix/include/logrelay/logrelay.h" || { echo "FAIL: header not installed"; exit 1; }
ls "$work"/prefix/lib*/logrelay/plugins/file.so >/dev/null 2>&1 || ls "$work"/prefix/lib/*/logrelay/plugins/file.so >/dev/null

cp -r "$LR_SRC/contrib/example-output" "$work/example"
# Only the installed tree may be visible: no include path into the source checkout.
PKG_CONFIG_PATH="$pc" make -s -C "$work/example" >/dev/null
test -f "$work/example/stdout_lines.so"

bin="$work/prefix/bin/logrelay"
out=$("$bin" plugins --plugin-dir "$work/example")
echo "$out"
grep -q "stdout_lines *1.0.0 *example: write events to standard output" <<<"$out" || { echo "FAIL: not listed"; exit 1; }

desc=$("$bin" describe --plugin-dir "$work/example" stdout_lines)
grep -q "prefix" <<<"$desc" && grep -q "retry.max_attempts" <<<"$desc" || { echo "FAIL: describe"; echo "$desc"; exit 1; }

# And it delivers: replay two lines through it.
cat > "$work/example.yaml" <<YAML
agent: {data_dir: $work/data, plugin_dir: $work/example}
outputs:
  console: {type: stdout_lines, format: raw, prefix: "cdn: "}
routes:
  - to: [console]
YAML
got=$(printf 'first line\nsecond line\n' | "$bin" replay -c "$work/example.yaml" --format raw 2>"$work/replay.err")
expected=$'cdn: first line\ncdn: second line'
if [ "$got" != "$expected" ]; then
  echo "FAIL: replay through the example module printed:"; echo "$got"; cat "$work/replay.err"; exit 1
fi
echo "PASS: example module built against the installed API, listed, described and delivering"
