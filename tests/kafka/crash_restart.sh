#!/bin/bash
# Crash safety: kill -9 the agent in the middle of a 200,000-record run and
# start it again. Every record must be in the output at least once, and the
# duplicates are no more than what was delivered but not yet committed when
# the agent died.
. "$(dirname "$0")/lib.sh"
N=200000
# 4 partitions keep each under the mock broker's 5 MiB per-partition log
start_cluster c83:4
# a short session lets the restarted agent take over quickly from its killed self
write_config "$W/a.yaml" c83_crash "$W/out.log" "librdkafka: {session.timeout.ms: 6000}"
"$LOGRELAY" run -c "$W/a.yaml" > "$W/agent1.log" 2>&1 &
AGENT=$!
PIDS+=($AGENT)
wait_log "$W/agent1.log" "Assigned partitions" 30
# produce while consuming, so the kill lands in the middle of the stream
"$MOCK" produce -b "$BOOT" -t c83 --seq $N --size 16 --rate 40000 > "$W/produce.out" &
PRODUCER=$!
PIDS+=($PRODUCER)
ok "agent delivers records (60,000 within 60 s)" wait_lines "$W/out.log" 60000 60
sleep 1.2 # past a commit interval: some offsets are committed, some records in flight
kill -9 $AGENT
wait $AGENT 2>/dev/null
delivered=$(ids "$W/out.log" | wc -l)
committed=$(committed_sum c83_crash)
echo "    at the kill: $delivered delivered, $committed committed"
ok "killed mid-run (not everything delivered yet)" [ "$delivered" -lt $N ]
ok "some offsets were committed before the kill" [ "$committed" -gt 0 ]
ok "nothing committed beyond what was delivered" [ "$committed" -le "$delivered" ]
wait $PRODUCER
ok "all $N records produced" grep -q "PRODUCED $N" "$W/produce.out"
"$LOGRELAY" run -c "$W/a.yaml" --exit-when-idle 5s > "$W/agent2.log" 2>&1
ok "restarted agent exits 0" [ $? = 0 ]
total=$(ids "$W/out.log" | wc -l)
distinct=$(ids "$W/out.log" | sort -u | wc -l)
dups=$((total - distinct))
echo "    after the restart: $total records, $distinct distinct, $dups duplicates (bound $((delivered - committed)))"
ok "every record at least once ($N distinct)" [ "$distinct" = $N ]
ok "duplicates bounded by delivered-but-uncommitted at the kill" [ "$dups" -le $((delivered - committed)) ]
ok "committed offsets equal the high watermarks" committed_equals_high c83_crash
finish
