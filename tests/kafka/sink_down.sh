#!/bin/bash
# A sink that is down for a while: the file output's directory cannot be
# created (a regular file sits where it should be) and becomes possible
# later. Consumption pauses, memory stays bounded, nothing is committed past
# undelivered records, and everything arrives once the sink recovers.
. "$(dirname "$0")/lib.sh"
N=40000
SIZE=2000 # 80 MB in all: far more than the agent may hold
start_cluster c83:24 # each partition stays under the mock's 5 MiB
"$MOCK" produce -b "$BOOT" -t c83 --seq $N --size $SIZE > /dev/null || exit 1
mkdir -p "$W/sink"
echo "not a directory" > "$W/sink/day" # the output needs sink/day/ as a directory
cat > "$W/a.yaml" <<YAML
agent:
  data_dir: $W/state
  shutdown_timeout: 20s
kafka:
  brokers: [$BOOT]
  group_id: c83_sink
  start_from: oldest
  commit_interval: 500ms
  topics: {c83: {format: raw}}
  librdkafka:
    queued.max.messages.kbytes: 8192
outputs:
  out:
    type: file
    path: $W/sink/day/out.log
    format: raw
    queue.max_records: 1000
    retry.initial: 200ms
    retry.max: 1s
routes:
  - name: all
    to: [out]
YAML
"$LOGRELAY" run -c "$W/a.yaml" --exit-when-idle 5s > "$W/agent.log" 2>&1 &
A=$!
PIDS+=($A)
ok "consumption pauses while the sink is down" wait_log "$W/agent.log" "pausing consumption" 30
sleep 4
rss=$(awk '/VmRSS/ { print $2 }' /proc/$A/status)
echo "    agent RSS while paused: $((rss / 1024)) MiB (the topic holds $((N * SIZE / 1048576)) MiB)"
ok "memory stays bounded while paused (RSS < 64 MiB)" [ "$rss" -lt 65536 ]
inflight=$(grep -o 'pausing consumption ([0-9]*' "$W/agent.log" | head -1 | grep -o '[0-9]*$')
ok "messages in flight bounded by the output queue ($inflight)" [ "${inflight:-999999}" -le 2000 ]
ok "nothing delivered yet" [ ! -e "$W/sink/day/out.log" ]
sum=$(committed_sum c83_sink)
ok "nothing committed past undelivered records (committed sum $sum)" [ "$sum" = 0 ]
# the sink recovers
rm "$W/sink/day"
wait $A
ok "agent exits 0 once idle" [ $? = 0 ]
ok "consumption resumed" grep -q "resuming consumption" "$W/agent.log"
ok "every record arrived after recovery ($N distinct)" [ "$(ids "$W/sink/day/out.log" | sort -u | wc -l)" = $N ]
ok "committed offsets equal the high watermarks" committed_equals_high c83_sink
finish
