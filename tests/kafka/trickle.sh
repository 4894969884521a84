#!/bin/bash
# A trickle of messages: records wait for a routing batch (docs/pipeline.md,
# "The routing batch") only while more messages are at hand. Three messages
# produced into a running agent, far fewer than a batch, reach the output at
# once, and the agent keeps running; produced again later, three more do. A
# clean stop then commits the high watermarks.
. "$(dirname "$0")/lib.sh"
start_cluster c83:2
write_config "$W/a.yaml" c83_trickle "$W/out.log" "librdkafka: {session.timeout.ms: 6000}"
"$LOGRELAY" run -c "$W/a.yaml" > "$W/agent.log" 2>&1 &
AGENT=$!
PIDS+=($AGENT)
ok "the agent joins the group" wait_log "$W/agent.log" 'Assigned partitions' 30
"$MOCK" produce -b "$BOOT" -t c83 --seq 3 --size 60 > /dev/null || exit 1
ok "three messages delivered while the agent runs" wait_lines "$W/out.log" 3 10
ok "the agent is still running" kill -0 $AGENT
"$MOCK" produce -b "$BOOT" -t c83 --seq 3 --start 4 --size 60 > /dev/null || exit 1
ok "three more, later, delivered too" wait_lines "$W/out.log" 6 10
ok "each record once" [ "$(ids "$W/out.log" | sort -u | wc -l)" = 6 ] && [ "$(wc -l < "$W/out.log")" = 6 ]
kill -TERM $AGENT
wait $AGENT
rc=$?
ok "agent exits 0 on SIGTERM" [ $rc = 0 ]
ok "committed offsets equal the high watermarks" committed_equals_high c83_trickle
if [ $FAILS != 0 ]; then tail -20 "$W/agent.log"; fi
finish
