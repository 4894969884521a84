#!/bin/bash
# A clean run: every record produced reaches the file output exactly once,
# and the group's committed offsets end at the high watermarks.
. "$(dirname "$0")/lib.sh"
N=30000
start_cluster c83:2
"$MOCK" produce -b "$BOOT" -t c83 --seq $N --size 60 > /dev/null || exit 1
# the mock broker may hold a departed member until its session expires: keep it short
write_config "$W/a.yaml" c83_clean "$W/out.log" "librdkafka: {session.timeout.ms: 6000}"
"$LOGRELAY" run -c "$W/a.yaml" --exit-when-idle 4s > "$W/agent.log" 2>&1
rc=$?
ok "agent exits 0 when idle" [ $rc = 0 ]
ok "assignment logged like the provider's sample" grep -q 'Assigned partitions: c83\[0\], c83\[1\]' "$W/agent.log"
ok "every record once: $N lines" [ "$(wc -l < "$W/out.log")" = $N ]
ok "every record once: $N distinct ids" [ "$(ids "$W/out.log" | sort -u | wc -l)" = $N ]
ok "first record present" grep -q "rec-00000001" "$W/out.log"
ok "last record present" grep -q "rec-$(printf %08d $N)" "$W/out.log"
ok "committed offsets equal the high watermarks" committed_equals_high c83_clean
# A second run of the same group reads nothing again.
"$LOGRELAY" run -c "$W/a.yaml" --exit-when-idle 4s > "$W/agent2.log" 2>&1
ok "a restart reads nothing twice" [ "$(wc -l < "$W/out.log")" = $N ]
if [ $FAILS != 0 ]; then tail -20 "$W/agent.log"; fi
finish
