#!/bin/bash
# `logrelay demo`: no broker, no network, no configuration: it must consume
# every generated record through the consumer group and write them out.
. "$(dirname "$0")/lib.sh"
cd "$W" || exit 1
"$LOGRELAY" demo --records 1000 > demo.log 2>&1
ok "demo exits 0" [ $? = 0 ]
ok "writes under ./demo-out by default" [ -s demo-out/access.json ] && [ -s demo-out/waf.json ]
ok "800 access records" [ "$(wc -l < demo-out/access.json)" = 800 ]
ok "200 WAF records" [ "$(wc -l < demo-out/waf.json)" = 200 ]
ok "no line failed to parse" [ ! -s demo-out/unparsed.json ]
ok "access records parsed into fields" python3 -c '
import json, sys
recs = [json.loads(l) for l in open("demo-out/access.json")]
assert all(r["clientid"] == "83" and isinstance(r["statuscode"], int) for r in recs)
assert sum("country" in r for r in recs) > 0 and sum("vod_host" in r for r in recs) > 0'
ok "WAF records carry the attack" python3 -c '
import json
recs = [json.loads(l) for l in open("demo-out/waf.json")]
assert all(r["transaction"]["messages"]["details"]["ruleId"] for r in recs)'
ok "summary per topic" grep -q "topic c83: 800 records consumed" demo.log
ok "summary per output" grep -q "output waf (file): received 200, delivered 200" demo.log
ok "partitions assigned through the consumer group" grep -q "Assigned partitions: c83\[0\], c83\[1\]" demo.log
# a user's configuration runs against the embedded cluster (its brokers and TLS unused)
mkdir conf && cat > conf/app.yaml <<YAML
agent: {data_dir: ./state}
kafka:
  brokers: [unreachable.example:9093]
  group_id: c83_mine
  topics: {c83: {format: cdn_access}}
  tls: {ca_file: /nonexistent/ca.pem}
outputs:
  mine: {type: file, path: ./mine/access.log, format: raw}
routes:
  - {name: all, to: [mine]}
YAML
"$LOGRELAY" demo --config conf --records 300 > demo2.log 2>&1
ok "demo --config exits 0" [ $? = 0 ]
ok "demo --config delivers to the user's output" [ "$(wc -l < mine/access.log)" = 300 ]
ok "demo --config uses the user's group" grep -q "group c83_mine" demo2.log
finish
