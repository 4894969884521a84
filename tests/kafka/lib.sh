# Shared by the Kafka end-to-end tests (sourced). Needs LOGRELAY and LR_BUILD
# (set by ctest). Every process a test starts is recorded and stopped by PID
# on exit; nothing else is touched.
set -u
MOCK=${LR_BUILD:?}/tests/mockcluster
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
W=$(mktemp -d /tmp/lr-kafka-test.XXXXXX)
PIDS=()
FAILS=0
PASSES=0

cleanup() {
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    [ -n "${FRONT:-}" ] && "$HERE/mtls_front.sh" stop "$FRONT"
    if [ "$FAILS" = 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$W"; else echo "kept $W for inspection"; fi
}
trap cleanup EXIT

ok() { # name, then a command that must succeed
    local name=$1; shift
    if "$@"; then echo "PASS $name"; PASSES=$((PASSES + 1)); else echo "FAIL $name"; FAILS=$((FAILS + 1)); fi
}

finish() {
    echo "$PASSES passed, $FAILS failed"
    [ "$FAILS" = 0 ]
    exit $?
}

# start_cluster TOPIC:PARTS... ; sets BOOT
start_cluster() {
    local args=()
    for t in "$@"; do args+=(--topic "$t"); done
    "$MOCK" serve "${args[@]}" > "$W/mock.out" 2> "$W/mock.err" &
    PIDS+=($!)
    for _ in $(seq 1 100); do
        BOOT=$(sed -n 's/^BOOTSTRAP //p' "$W/mock.out")
        [ -n "$BOOT" ] && return 0
        sleep 0.05
    done
    echo "mock cluster did not start: $(cat "$W/mock.err")"
    exit 1
}

# write_config FILE GROUP OUTPATH [extra lines for the kafka section]
write_config() {
    local f=$1 group=$2 out=$3; shift 3
    cat > "$f" <<YAML
agent:
  data_dir: $W/state-$(basename "$f" .yaml)
  shutdown_timeout: 20s
  log_level: info
kafka:
  brokers: [$BOOT]
  group_id: $group
  start_from: oldest
  commit_interval: 1s
  topics:
    c83: {format: raw}
$(for l in "$@"; do echo "  $l"; done)
outputs:
  out:
    type: file
    path: $out
    format: raw
    batch.timeout: 100ms
routes:
  - name: all
    to: [out]
YAML
}

# committed_equals_high GROUP [-X ...]: every partition of c83 committed at its high watermark
committed_equals_high() {
    local group=$1; shift
    "$MOCK" offsets -b "$BOOT" -g "$group" -t c83 "$@" > "$W/offsets.txt" || return 1
    cat "$W/offsets.txt" | sed 's/^/    /'
    awk '$3 != $4 { bad = 1 } END { exit bad || NR == 0 }' "$W/offsets.txt"
}

committed_sum() { # GROUP: sum of committed offsets (unset counts 0)
    "$MOCK" offsets -b "$BOOT" -g "$1" -t c83 | awk '{ s += ($3 < 0 ? 0 : $3) } END { print s + 0 }'
}

# ids FILE...: the record ids found (a line torn by kill -9 holds no full id)
ids() { cat "$@" 2>/dev/null | grep -o 'rec-[0-9]\{8\}'; }

wait_lines() { # FILE N SECONDS: wait until FILE has at least N lines
    local i
    for i in $(seq 1 $(($3 * 10))); do
        [ "$(cat "$1" 2>/dev/null | wc -l)" -ge "$2" ] && return 0
        sleep 0.1
    done
    return 1
}

wait_log() { # FILE REGEX SECONDS
    local i
    for i in $(seq 1 $(($3 * 10))); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}
