#!/bin/bash
# Two agents in one consumer group share the 2 partitions of c83; stopping
# one moves its partition to the other with no loss.
#   group_failover.sh [eager|cooperative]   (the rebalance protocol)
. "$(dirname "$0")/lib.sh"
MODE=${1:-eager}
STRATEGY=range
[ "$MODE" = cooperative ] && STRATEGY=cooperative-sticky
start_cluster c83:2
RK="librdkafka: {session.timeout.ms: 6000, partition.assignment.strategy: $STRATEGY}"
write_config "$W/a.yaml" c83_pair "$W/a.log" "$RK"
write_config "$W/b.yaml" c83_pair "$W/b.log" "$RK"
"$LOGRELAY" run -c "$W/a.yaml" > "$W/agent-a.log" 2>&1 &
A=$!
PIDS+=($A)
"$LOGRELAY" run -c "$W/b.yaml" > "$W/agent-b.log" 2>&1 &
B=$!
PIDS+=($B)
# one partition each (the range assignor splits 2 partitions over 2 members)
split() { grep -q 'Assigned partitions: c83\[[01]\]$' "$W/agent-a.log" &&
          grep -q 'Assigned partitions: c83\[[01]\]$' "$W/agent-b.log"; }
for _ in $(seq 1 200); do split && break; sleep 0.1; done
ok "each agent is assigned one partition" split
"$MOCK" produce -b "$BOOT" -t c83 --seq 20000 --size 40 > /dev/null
ok "agent A delivers its share" wait_lines "$W/a.log" 1 20
ok "agent B delivers its share" wait_lines "$W/b.log" 1 20
# stop A cleanly while more records arrive
"$MOCK" produce -b "$BOOT" -t c83 --seq 20000 --start 20001 --size 40 --rate 5000 > "$W/produce.out" &
P=$!
PIDS+=($P)
sleep 1
kill -TERM $A
wait $A
ok "agent A exits 0 on SIGTERM" [ $? = 0 ]
ok "agent A committed on revocation" grep -q 'Revoked partitions: c83\[[01]\]; committed c83' "$W/agent-a.log"
# eager: one assignment of both; cooperative: B is given A's partition incrementally
takeover() { grep -q 'Assigned partitions: c83\[0\], c83\[1\]' "$W/agent-b.log" ||
             [ "$(grep -c 'Assigned partitions: c83\[[01]\]$' "$W/agent-b.log")" -ge 2 ]; }
for _ in $(seq 1 300); do takeover && break; sleep 0.1; done
ok "agent B takes over both partitions" takeover
wait $P
# B keeps consuming what A left and what arrived after A stopped
for _ in $(seq 1 300); do [ "$(ids "$W/a.log" "$W/b.log" | sort -u | wc -l)" = 40000 ] && break; sleep 0.1; done
sleep 1.5 # a commit interval, so B's last offsets are committed before it stops
kill -TERM $B
wait $B
ok "agent B exits 0 on SIGTERM" [ $? = 0 ]
distinct=$(ids "$W/a.log" "$W/b.log" | sort -u | wc -l)
echo "    A wrote $(wc -l < "$W/a.log"), B wrote $(wc -l < "$W/b.log"), $distinct distinct"
ok "no record lost (40000 distinct)" [ "$distinct" = 40000 ]
ok "committed offsets equal the high watermarks" committed_equals_high c83_pair
finish
