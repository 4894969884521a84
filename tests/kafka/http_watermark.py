#!/usr/bin/env python3
"""The Kafka offset watermark with a failing HTTP output: the first request is
answered 503 with a long Retry-After while a second worker delivers every
later batch. No partition may commit past a record of the failed batch
(a later success never commits past an earlier failure); after the retry
everything is delivered and the committed offsets reach the high watermarks."""
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http"))
from receiver import Receiver, status  # noqa: E402

LOGRELAY = os.environ["LOGRELAY"]
MOCK = os.path.join(os.environ["LR_BUILD"], "tests", "mockcluster")
PER_PARTITION = 3000
RETRY_AFTER = 8
fails = 0
passes = 0


def check(name, cond, detail=""):
    global fails, passes
    print(("PASS " if cond else "FAIL ") + name + (f" ({detail})" if detail else ""), flush=True)
    fails += 0 if cond else 1
    passes += 1 if cond else 0


def committed(boot, group):
    out = subprocess.run([MOCK, "offsets", "-b", boot, "-g", group, "-t", "c83"], capture_output=True,
                         text=True, timeout=60, check=True).stdout
    res = {}
    for line in out.splitlines():
        _, part, comm, high = line.split()
        res[int(part)] = (int(comm), int(high))
    return res


def ids_of(body):
    """(partition, offset) of each line: "p1-00000005..." is partition 1, offset 4."""
    return [(int(m.group(1)), int(m.group(2)) - 1) for m in re.finditer(rb"p(\d)-(\d{8})", body)]


def main():
    work = tempfile.TemporaryDirectory(prefix="lr-kafka-http-")
    w = work.name
    mock = subprocess.Popen([MOCK, "serve", "--topic", "c83:2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    agent = None
    rx = Receiver(default=status(200))
    try:
        boot = mock.stdout.readline().split()[1]
        for p in (0, 1):
            subprocess.run([MOCK, "produce", "-b", boot, "-t", "c83", "-p", str(p), "--seq", str(PER_PARTITION),
                            "--prefix", f"p{p}", "--size", "200"], check=True, capture_output=True, timeout=120)
        rx.script(status(503, b"busy", {"Retry-After": str(RETRY_AFTER)}))
        cfg = os.path.join(w, "agent.yaml")
        with open(cfg, "w") as f:
            f.write(f"""agent: {{data_dir: {w}/state, shutdown_timeout: 20s}}
kafka:
  brokers: [{boot}]
  group_id: c83_httpwm
  start_from: oldest
  commit_interval: 200ms
  topics: {{c83: {{format: raw}}}}
outputs:
  web:
    type: http
    url: "{rx.url()}"
    format: raw_lines
    compression: none
    workers: 2
    batch: {{max_records: 200, timeout: 50ms}}
    retry: {{initial: 100ms, max: 200ms}}
routes:
  - to: [web]
""")
        log = open(os.path.join(w, "agent.log"), "w")
        agent = subprocess.Popen([LOGRELAY, "run", "-c", cfg, "--exit-when-idle", "5s"], stdout=log, stderr=log)

        def delivered(reqs):
            return sum(len(ids_of(r.body)) for r in reqs if r.answered == 200)

        ok = rx.wait_for(lambda reqs: delivered(reqs) >= 2 * PER_PARTITION - 200, timeout=60)
        check("later batches are delivered while the first one waits for its retry", ok)
        time.sleep(1.5)  # several commit intervals pass while the failed batch is still held
        reqs = rx.requests
        failed = [r for r in reqs if r.answered == 503]
        check("exactly one request failed so far", len(failed) == 1, f"{len(failed)} failed")
        held = ids_of(failed[0].body) if failed else []
        done = {i for r in reqs if r.answered == 200 for i in ids_of(r.body)}
        check("the failed batch has not been retried yet", not any(i in done for i in held))
        offs = committed(boot, "c83_httpwm")
        for p in (0, 1):
            mine = [o for (pp, o) in held if pp == p]
            if not mine:
                continue
            first_failed = min(mine)
            later = sum(1 for (pp, o) in done if pp == p and o > first_failed)
            check(f"partition {p}: nothing committed past the first failed offset {first_failed}",
                  offs[p][0] <= first_failed, f"committed {offs[p][0]}, {later} later records delivered")
            check(f"partition {p}: later records of this partition were delivered meanwhile", later > 0)
        rc = agent.wait(timeout=120)
        check("agent exits 0 once idle", rc == 0, f"exit {rc}")
        allids = {i for r in rx.requests if r.answered == 200 for i in ids_of(r.body)}
        check("every record delivered after the retry", len(allids) == 2 * PER_PARTITION, f"{len(allids)} distinct")
        offs = committed(boot, "c83_httpwm")
        check("committed offsets equal the high watermarks", all(c == h for c, h in offs.values()), str(offs))
    finally:
        if agent and agent.poll() is None:
            agent.kill()
            agent.wait()
        rx.stop()
        mock.terminate()
        mock.wait()
        if fails:
            print(open(os.path.join(w, "agent.log")).read()[-3000:])
    print(f"{passes} passed, {fails} failed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
