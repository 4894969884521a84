#!/usr/bin/env bash
# The disk spool survives kill -9 and damaged segments.
#
# 1. `logrelay replay` with a disk-queued output whose sink is down: every
#    line is spooled (and so acknowledged) although nothing is delivered;
#    then the agent is killed with SIGKILL.
# 2. The spool is damaged the way a power loss or a bad disk would: the last
#    segment's tail is cut in the middle of an entry, and one byte is flipped
#    in an entry in the middle of an earlier segment.
# 3. `logrelay replay` again with the sink up: every line that survived in
#    the spool arrives exactly once, the lines in the damaged parts are the
#    only ones missing, the warnings name each file and the bytes lost, the
#    summary counts the deliveries, and the delivered segments are deleted.
set -euo pipefail
: "${LOGRELAY:?}" "${LR_BUILD:?}"

work=$(mktemp -d /tmp/lr-spool-kill-XXXXXX)
pid=""
cleanup() {
  exec 3>&- 2>/dev/null || true
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$work"/run*.err; do [ -f "$f" ] && { echo "--- $f"; tail -20 "$f"; }; done; exit 1; }

N=5000
spool="$work/spool"
out="$work/delivered.log"
down="$work/sink-down"
cat > "$work/agent.yaml" <<YAML
agent: {data_dir: $work/data, plugin_dir: $LR_BUILD/test-plugins}
outputs:
  spooled:
    type: flaky
    path: $out
    down_file: $down
    queue: {type: disk, path: $spool, max_bytes: 2MiB}
    retry: {initial: 50ms, max: 200ms}
    batch: {timeout: 10ms}
routes:
  - to: [spooled]
YAML
seq -f "record %06.0f of the kill test" 0 $((N - 1)) > "$work/input.log"

# Poll `cmd` every 50 ms for up to $1 seconds.
wait_for() {
  local secs=$1; shift
  local until=$((SECONDS + secs))
  until "$@"; do
    [ $SECONDS -lt $until ] || return 1
    sleep 0.05
  done
}
spooled_records() { cat "$spool"/*.seg 2>/dev/null | grep -ao 'record [0-9]* of the kill test' | sort -u | wc -l; }
all_spooled() { [ "$(spooled_records)" -eq "$N" ]; }

# ---- 1. sink down, spool everything, kill -9 -------------------------------
touch "$down"
mkfifo "$work/in1"
"$LOGRELAY" replay -c "$work/agent.yaml" --format raw --source kill "$work/in1" 2>"$work/run1.err" &
pid=$!
exec 3>"$work/in1"          # keeps the input open: replay is still running when we kill it
cat "$work/input.log" >&3
wait_for 60 all_spooled || fail "only $(spooled_records) of $N records reached the spool"
kill -0 "$pid" || fail "replay ended before it was killed"
kill -9 "$pid"
wait "$pid" 2>/dev/null && fail "replay was not killed" || true
pid=""
exec 3>&-
[ ! -s "$out" ] || fail "the sink was down but $(wc -l < "$out") lines were delivered"
nseg=$(ls "$spool"/*.seg | wc -l)
[ "$nseg" -ge 3 ] || fail "expected several segments, found $nseg"

# ---- 2. damage: cut the last segment mid-entry, flip a byte in the second ---
python3 - "$spool" "$work/lost.txt" "$work/expect.txt" <<'PY'
import os, re, struct, sys, zlib
spool, lost_path, expect_path = sys.argv[1:]
segs = sorted(f for f in os.listdir(spool) if f.endswith(".seg"))

def frames(path):
    data = open(path, "rb").read()
    pos, out = 0, []
    while pos < len(data):
        length, crc = struct.unpack_from("<II", data, pos)
        payload = data[pos + 8:pos + 8 + length]
        assert len(payload) == length and zlib.crc32(payload) == crc, (path, pos)
        out.append((pos, length, payload))
        pos += 8 + length
    return out, len(data)

def ids(payloads):
    return {m.decode() for p in payloads for m in re.findall(rb"record \d{6}", p)}

lost, expect = set(), []
# an entry in the middle of the second segment: it and the rest of that segment are lost
mid = os.path.join(spool, segs[1])
fr, size = frames(mid)
k = len(fr) // 2
off = fr[k][0]
with open(mid, "r+b") as f:
    f.seek(off + 8 + fr[k][1] // 2)
    b = f.read(1)
    f.seek(off + 8 + fr[k][1] // 2)
    f.write(bytes([b[0] ^ 0x55]))
lost |= ids(p for _, _, p in fr[k:])
expect.append(f"{mid}: CRC mismatch at offset {off}; truncated, {size - off} bytes lost")
# the last segment's tail: cut in the middle of its last entry
last = os.path.join(spool, segs[-1])
fr, size = frames(last)
off, length, payload = fr[-1]
cut = off + 8 + length // 2
os.truncate(last, cut)
lost |= ids([payload])
expect.append(f"{last}: entry cut short at offset {off}; truncated, {cut - off} bytes lost")
open(lost_path, "w").write("".join(f"{i}\n" for i in sorted(lost)))
open(expect_path, "w").write("".join(e + "\n" for e in expect))
PY
nlost=$(wc -l < "$work/lost.txt")
[ "$nlost" -ge 2 ] || fail "the damage should cost at least two records, it costs $nlost"
M=$((N - nlost))

# ---- 3. sink up: what survived arrives exactly once ------------------------
rm -f "$down"
mkfifo "$work/in2"
"$LOGRELAY" replay -c "$work/agent.yaml" --format raw --source kill "$work/in2" 2>"$work/run2.err" &
pid=$!
exec 3>"$work/in2"
delivered_all() { [ -f "$out" ] && [ "$(wc -l < "$out")" -ge "$M" ] && ! ls "$spool"/*.seg >/dev/null 2>&1; }
wait_for 60 delivered_all || fail "$(wc -l < "$out" 2>/dev/null || echo 0) of $M lines delivered, segments left: $(ls "$spool")"
exec 3>&-                    # end of input: replay prints its summary and exits
rc=0
wait "$pid" || rc=$?
pid=""
[ "$rc" -eq 0 ] || fail "the second replay exited with $rc"

# exactly the surviving records, each once
sort "$out" | uniq -d > "$work/dups.txt"
[ ! -s "$work/dups.txt" ] || fail "duplicates: $(head -3 "$work/dups.txt")"
grep -o 'record [0-9]*' "$work/input.log" | grep -vxF -f "$work/lost.txt" > "$work/want.txt"
grep -o 'record [0-9]*' "$out" | sort > "$work/got.txt"
diff -q "$work/want.txt" "$work/got.txt" >/dev/null || fail "delivered records differ from the surviving ones: $(diff "$work/want.txt" "$work/got.txt" | head -5)"
[ "$(wc -l < "$work/got.txt")" -eq "$M" ] || fail "expected $M lines"

# the warnings name the files and the bytes lost
while IFS= read -r msg; do
  grep -qF -- "WARN" "$work/run2.err" && grep -qF -- "$msg" "$work/run2.err" || fail "no warning \"$msg\""
done < "$work/expect.txt"
# the summary counts them
grep -qE "^output spooled \(flaky\): received 0, delivered $M, retried 0, failed 0, dead-lettered 0, left 0" \
  "$work/run2.err" || fail "summary: $(grep '^output' "$work/run2.err")"
echo "PASS: $N records spooled with the sink down, survived kill -9; after damage $M delivered exactly once, $nlost lost and reported"
