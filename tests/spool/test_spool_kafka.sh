#!/bin/bash
# The point of a disk queue, end to end with Kafka: while the sink is down,
# consumption does not pause and offsets are committed as soon as records
# are spooled (the spool, not the sink, acknowledges); the records wait on
# disk, survive the agent's exit, and the next start delivers each of them
# once. Uses the Kafka tests' mock cluster helpers.
. "${LR_SRC:?}/tests/kafka/lib.sh"
N=20000
SIZE=500
start_cluster c83:8
"$MOCK" produce -b "$BOOT" -t c83 --seq $N --size $SIZE > /dev/null || exit 1
# max_records bounds only the events waiting for the spool writer: above N, so only a full spool could pause
mkdir -p "$W/sink"
echo "not a directory" > "$W/sink/day" # the output needs sink/day/ as a directory: it is down
cat > "$W/a.yaml" <<YAML
agent:
  data_dir: $W/state
  shutdown_timeout: 3s
kafka:
  brokers: [$BOOT]
  group_id: c83_spool
  start_from: oldest
  commit_interval: 500ms
  topics: {c83: {format: raw}}
  librdkafka:
    session.timeout.ms: 6000 # the second run joins the same group sooner
outputs:
  out:
    type: file
    path: $W/sink/day/out.log
    format: raw
    queue: {type: disk, path: $W/spool, max_bytes: 256MiB, max_records: 50000}
    retry.initial: 200ms
    retry.max: 1s
routes:
  - name: all
    to: [out]
YAML
spooled_ids() { cat "$W"/spool/*.seg 2>/dev/null | grep -ao 'rec-[0-9]\{8\}' | sort -u | wc -l; }

"$LOGRELAY" run -c "$W/a.yaml" --exit-when-idle 3s > "$W/run1.log" 2>&1 &
A=$!
PIDS+=($A)
wait $A
ok "first run exits 0 with the sink down" [ $? = 0 ]
ok "consumption never paused" bash -c "! grep -q 'pausing consumption' '$W/run1.log'"
ok "nothing delivered" [ ! -e "$W/sink/day/out.log" ]
ok "committed offsets reached the high watermarks although nothing was delivered" committed_equals_high c83_spool
ok "all $N records are in the spool ($(spooled_ids))" [ "$(spooled_ids)" = $N ]
ok "the agent says they stay spooled" grep -q "$N records stay spooled in $W/spool" "$W/run1.log"

rm "$W/sink/day" # the sink is back
"$LOGRELAY" run -c "$W/a.yaml" --exit-when-idle 3s > "$W/run2.log" 2>&1 &
A=$!
PIDS+=($A)
wait $A
ok "second run exits 0" [ $? = 0 ]
ok "it announced the spooled records" grep -q "$N records .* from an earlier run are delivered first" "$W/run2.log"
ok "every record arrived ($(ids "$W/sink/day/out.log" | sort -u | wc -l) distinct)" \
    [ "$(ids "$W/sink/day/out.log" | sort -u | wc -l)" = $N ]
ok "each exactly once ($(wc -l < "$W/sink/day/out.log") lines)" [ "$(wc -l < "$W/sink/day/out.log")" = $N ]
ok "delivered segments are deleted" bash -c "! ls '$W'/spool/*.seg > /dev/null 2>&1"
ok "committed offsets still at the high watermarks" committed_equals_high c83_spool
finish
