#!/usr/bin/env python3
"""End-to-end benchmark: Kafka -> parse -> route -> outputs, against kcat in the same run.

One command does everything:

  1. generates (or reuses) a corpus with bench/parse/gen_corpus.py: CDN access lines
     in the three layouts (~290 bytes) and WAF JSON records (~1.6 KB);
  2. starts librdkafka's mock cluster in its own process (tests/helpers/mockcluster),
     with enough partitions that its 5 MiB-per-partition limit is never reached,
     produces the corpus partition by partition and checks the watermarks: every
     partition must start at offset 0 and end at the count produced, or nothing is
     measured;
  3. measures, in rounds (each round runs every scenario once, --runs rounds):
       kcat -C -e -o beginning into /dev/null and into a file (the baseline: only
       reading the topic with librdkafka), on the access and on the WAF topic;
       s1 cdn_access -> parse -> one file output (json)
       s2 the same topic read as raw -> one file output (raw): no parsing
       s3 cdn_access -> parse -> 5 routes -> three file outputs (json, json, raw),
          each output receiving every record
       s4 waf_json -> parse -> one file output (json)
       s5 cdn_access -> parse -> http output (json_lines, gzip) to a local receiver
          that discards the bodies (bench/e2e/receiver.c)
     and, with --scenarios all, two more: s2p (parse, write raw: the parser's cost
     without JSON encoding) and s5n (http without gzip). Every logrelay run uses
     a fresh consumer group and stops with --max-records;
  4. reports, for each scenario, the medians over the runs of: records/s over the
     whole run and after the first record (from the first output byte to the last,
     which leaves out the mock cluster's ~3 s consumer-group join), payload MB/s,
     CPU seconds per million records (user+sys of the measured process, for the
     whole run and after the first record), peak RSS, and the ratio to the kcat
     into-a-file rate of the same topic measured in the same invocation.
     Output: a Markdown table on stdout and bench/results/e2e-<time>.{md,json}
     (also copied to e2e-latest.{md,json}).

Nothing here asserts speed: a run fails only when a result is wrong (records lost
or duplicated, an output not delivering, the mock dropping data).

Examples:
  bench/e2e/bench.py --build build                  # 2,000,000 access + 200,000 WAF, 3 runs
  bench/e2e/bench.py --build build --quick          # 200,000 + 20,000
  bench/e2e/bench.py --build build --scenarios all --runs 5
  bench/e2e/bench.py --build build --smoke          # seconds; checks the harness only
"""
import argparse
import http.client
import json
import math
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
GEN_CORPUS = os.path.join(SRC, "bench", "parse", "gen_corpus.py")
CLK_TCK = os.sysconf("SC_CLK_TCK")
POLL_S = 0.01  # output polling period: the precision of "after the first record"

ACCESS_TOPIC, WAF_TOPIC = "access", "waf"

# The scenarios. kind: kcat_null, kcat_file, logrelay. Baselines first per topic.
SCENARIOS = [
    ("kcat_null", "kcat -> /dev/null", ACCESS_TOPIC, "kcat_null", False),
    ("kcat_file", "kcat -> file", ACCESS_TOPIC, "kcat_file", False),
    ("s1", "s1 cdn_access -> parse -> file (json)", ACCESS_TOPIC, "logrelay", False),
    ("s2", "s2 raw -> file (raw), no parsing", ACCESS_TOPIC, "logrelay", False),
    ("s2p", "s2p cdn_access -> parse -> file (raw)", ACCESS_TOPIC, "logrelay", True),
    ("s3", "s3 cdn_access -> parse -> 5 routes -> 3 files", ACCESS_TOPIC, "logrelay", False),
    ("s5", "s5 cdn_access -> parse -> http (json_lines, gzip)", ACCESS_TOPIC, "logrelay", False),
    ("s5n", "s5n cdn_access -> parse -> http (json_lines, no gzip)", ACCESS_TOPIC, "logrelay", True),
    ("kcat_waf_null", "kcat -> /dev/null (WAF)", WAF_TOPIC, "kcat_null", False),
    ("kcat_waf_file", "kcat -> file (WAF)", WAF_TOPIC, "kcat_file", False),
    ("s4", "s4 waf_json -> parse -> file (json)", WAF_TOPIC, "logrelay", False),
]
BASELINE_FILE = {ACCESS_TOPIC: "kcat_file", WAF_TOPIC: "kcat_waf_file"}


class BenchError(Exception):
    """A result that cannot be trusted: stop, say why, measure nothing more."""


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


# ----------------------------------------------------------------- corpus

def count_lines_bytes(path):
    """(lines, payload bytes without the newlines) of a file."""
    lines = size = 0
    with open(path, "rb") as f:
        while True:
            chunk = f.read(16 << 20)
            if not chunk:
                break
            lines += chunk.count(b"\n")
            size += len(chunk)
    return lines, size - lines


def ensure_corpus(fmt, count, seed, cache_dir):
    """The corpus file for (format, count, seed), generated once and reused."""
    os.makedirs(cache_dir, exist_ok=True)
    path = os.path.join(cache_dir, "%s-%d-seed%d.log" % (fmt, count, seed))
    if not os.path.exists(path):
        log("generating %d %s records (cached as %s)" % (count, fmt, path))
        tmp = path + ".tmp"
        subprocess.run([sys.executable, GEN_CORPUS, "--format", fmt, "--count", str(count), "--seed",
                        str(seed), "-o", tmp], check=True)
        os.rename(tmp, path)
    lines, payload = count_lines_bytes(path)
    if lines != count:
        raise BenchError("%s holds %d lines, expected %d: delete it and run again" % (path, lines, count))
    return {"path": path, "records": lines, "bytes": payload}


# --------------------------------------------------------------- cluster

class Cluster:
    """librdkafka's mock cluster in its own process (tests/helpers/mockcluster)."""

    def __init__(self, mockcluster, kcat, workdir):
        self.mockcluster, self.kcat, self.workdir = mockcluster, kcat, workdir
        self.proc = None
        self.bootstrap = None
        self.partitions = {}

    def start(self, topics):
        cmd = [self.mockcluster, "serve"]
        for name, parts in topics.items():
            cmd += ["--topic", "%s:%d" % (name, parts)]
        self.partitions = dict(topics)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=open(
            os.path.join(self.workdir, "mockcluster.log"), "wb"), text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("BOOTSTRAP "):
            raise BenchError("mockcluster did not start (see %s/mockcluster.log)" % self.workdir)
        self.bootstrap = line.split()[1]

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def preload(self, topic, corpus, parallel=4):
        """Split the corpus into one contiguous slice per partition and produce each
        slice to its partition (full producer batches, as a real producer makes)."""
        parts = self.partitions[topic]
        n = corpus["records"]
        bounds = [n * p // parts for p in range(parts + 1)]
        slices = []
        with open(corpus["path"], "rb") as src:
            for p in range(parts):
                path = os.path.join(self.workdir, "slice-%s-%d" % (topic, p))
                with open(path, "wb") as out:
                    for _ in range(bounds[p + 1] - bounds[p]):
                        out.write(src.readline())
                slices.append((p, path, bounds[p + 1] - bounds[p]))
        errors = []

        def produce(items):
            for p, path, want in items:
                r = subprocess.run([self.mockcluster, "produce", "-b", self.bootstrap, "-t", topic, "-p",
                                    str(p), "--file", path], capture_output=True, text=True)
                got = re.search(r"PRODUCED (\d+)", r.stdout)
                if r.returncode != 0 or not got or int(got.group(1)) != want:
                    errors.append("partition %d: %s %s" % (p, r.stdout.strip(), r.stderr.strip()[-300:]))
                os.unlink(path)

        threads = [threading.Thread(target=produce, args=(slices[i::parallel],)) for i in range(parallel)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise BenchError("producing %s failed: %s" % (topic, "; ".join(errors[:3])))
        return [w for _, _, w in slices]

    def query(self, topic, which):
        """Offsets of every partition of topic: which = -2 (low) or -1 (high watermark)."""
        cmd = [self.kcat, "-Q", "-b", self.bootstrap]
        for p in range(self.partitions[topic]):
            cmd += ["-t", "%s:%d:%d" % (topic, p, which)]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        offs = {int(m.group(1)): int(m.group(2))
                for m in re.finditer(r"^\S+ \[(\d+)\] offset (-?\d+)$", r.stdout, re.M)}
        if r.returncode != 0 or len(offs) != self.partitions[topic]:
            raise BenchError("kcat -Q %s: %s" % (topic, (r.stderr or r.stdout).strip()[-300:]))
        return offs

    def verify(self, topic, expected):
        """Refuse to measure unless every record produced is still there."""
        low, high = self.query(topic, -2), self.query(topic, -1)
        bad = [p for p in range(len(expected)) if low[p] != 0 or high[p] != expected[p]]
        if bad:
            p = bad[0]
            raise BenchError("the mock cluster dropped data in %s (partition %d holds offsets %d..%d, produced "
                             "%d): use more partitions (--partition-mib smaller)" % (topic, p, low[p], high[p],
                                                                                     expected[p]))
        return sum(high.values())


# --------------------------------------------------------------- watchers

def file_size(path):
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0


class FileWatch:
    """Progress of output files: bytes written so far."""

    def __init__(self, paths):
        self.paths = paths

    def progress(self):
        return sum(file_size(p) for p in self.paths)


class HttpWatch:
    """Progress of the receiver: body bytes received so far (GET /stats)."""

    def __init__(self, port):
        self.port = port
        self.conn = None

    def stats(self):
        for _ in range(2):
            try:
                if not self.conn:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                self.conn.request("GET", "/stats")
                return json.loads(self.conn.getresponse().read())
            except (OSError, http.client.HTTPException):
                self.conn = None
        raise BenchError("the HTTP receiver does not answer")

    def progress(self):
        return self.stats()["bytes"]


def proc_cpu(pid):
    """user+sys CPU seconds of a running process (all its threads), or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_hwm_kib(pid):
    """Peak resident set size so far (VmHWM) of a running process, or 0.

    Polled rather than taken from wait4's ru_maxrss: a child forked from this
    Python process inherits its high-water mark (~25 MB) across exec, which
    would hide anything smaller."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def run_measured(cmd, watch, stdout_path, stderr_path, timeout):
    """Run cmd to its end; return its timing, CPU and peak RSS, and when output
    started and stopped growing (polled every POLL_S)."""
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
    first = cpu_first = last_change = None
    last = hwm = 0
    while True:
        hwm = max(hwm, proc_hwm_kib(proc.pid))
        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
        now = time.monotonic()
        if watch:
            size = watch.progress()
            if size and first is None:
                first, cpu_first = now, proc_cpu(proc.pid)
            if size != last:
                last, last_change = size, now
        if pid:
            break
        if now - t0 > timeout:
            proc.kill()
            pid, status, ru = os.wait4(proc.pid, 0)
            proc.returncode = -9
            raise BenchError("%s ran longer than %d s (see %s)" % (cmd[0], timeout, stderr_path))
        time.sleep(POLL_S)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "rc": proc.returncode,
        "wall_s": now - t0,
        "t0": t0,
        "first": first,
        "last": last_change,
        "cpu_s": ru.ru_utime + ru.ru_stime,
        "cpu_first_s": cpu_first,
        "rss_kib": hwm,
        "progress": last,
    }


# -------------------------------------------------------------- scenarios

def lr_config(sid, topic_fmt, topic, outputs, routes, bootstrap, workdir, group):
    """A logrelay configuration as JSON (which is YAML)."""
    return {
        "agent": {"data_dir": os.path.join(workdir, "data"), "log_level": "info", "unrouted": "drop"},
        "kafka": {"brokers": [bootstrap], "group_id": group, "start_from": "oldest",
                  "topics": {topic: {"format": topic_fmt}}},
        "outputs": outputs,
        "routes": routes,
    }


def scenario_setup(sid, outdir, port):
    """(topic format, outputs, routes, output files to watch, expected records per output)."""
    def f(name, fmt):
        return {"type": "file", "path": os.path.join(outdir, name), "format": fmt}

    every = [{"name": "all", "to": ["out"]}]
    if sid == "s1":
        return "cdn_access", {"out": f("access.json", "json")}, every
    if sid == "s2":
        return "raw", {"out": f("access.log", "raw")}, every
    if sid == "s2p":
        return "cdn_access", {"out": f("access.log", "raw")}, every
    if sid == "s3":
        # Three outputs, each receiving every record: two directly, the third
        # through three conditional routes that split the records between them.
        outs = {"all-json": f("all.json", "json"), "archive": f("archive.log", "raw"),
                "by-class": f("by-class.json", "json")}
        routes = [
            {"name": "archive", "to": ["archive"]},
            {"name": "everything", "to": ["all-json"]},
            {"name": "errors", "when": "statuscode >= 400", "to": ["by-class"]},
            {"name": "misses", "when": 'statuscode < 400 and hitmiss != "hit"', "to": ["by-class"]},
            {"name": "hits", "when": 'statuscode < 400 and hitmiss == "hit"', "to": ["by-class"]},
        ]
        return "cdn_access", outs, routes
    if sid == "s4":
        return "waf_json", {"out": f("waf.json", "json")}, every
    if sid in ("s5", "s5n"):
        out = {"type": "http", "url": "http://127.0.0.1:%d/ingest" % port, "format": "json_lines",
               "compression": "gzip" if sid == "s5" else "none"}
        return "cdn_access", {"out": out}, every
    raise ValueError(sid)


SUMMARY_INPUT = re.compile(r"^input: (\d+) messages, (\d+) records \((\d+) parsed, (\d+) failed to parse\), "
                           r"(\d+) unrouted", re.M)
SUMMARY_OUTPUT = re.compile(r"^output (\S+) \((\w+)\): received (\d+), delivered (\d+), retried (\d+), "
                            r"failed (\d+), dead-lettered (\d+), left (\d+)", re.M)


def check_logrelay(sid, res, stderr_path, expected_messages, outputs):
    """The run's own summary must show every message in, every record out, once."""
    text = open(stderr_path, errors="replace").read()
    tail = text.strip()[-800:]
    if res["rc"] != 0:
        raise BenchError("%s: logrelay exited with %d:\n%s" % (sid, res["rc"], tail))
    m = SUMMARY_INPUT.search(text)
    if not m:
        raise BenchError("%s: no summary from logrelay:\n%s" % (sid, tail))
    messages, records = int(m.group(1)), int(m.group(2))
    if messages != expected_messages:
        raise BenchError("%s: logrelay read %d messages, the topic holds %d" % (sid, messages,
                                                                               expected_messages))
    delivered = {}
    for o in SUMMARY_OUTPUT.finditer(text):
        name, recv, dlv = o.group(1), int(o.group(3)), int(o.group(4))
        if recv != records or dlv != records or int(o.group(7)) or int(o.group(8)):
            raise BenchError("%s: output %s received %d, delivered %d of %d records (%s)" % (
                sid, name, recv, dlv, records, o.group(0)))
        delivered[name] = dlv
    if sorted(delivered) != sorted(outputs):
        raise BenchError("%s: summary lists outputs %s, configured %s" % (sid, sorted(delivered),
                                                                         sorted(outputs)))
    for name, o in outputs.items():
        if o["type"] == "file":
            lines, _ = count_lines_bytes(o["path"])
            if lines != records:
                raise BenchError("%s: %s holds %d lines, %d records were delivered" % (sid, o["path"], lines,
                                                                                     records))
    return records


def run_one(sid, kind, topic, corpus, ctx, rnd, logrelay=None):
    """One measured run of one scenario (with another logrelay binary when
    given); returns its metrics."""
    work = os.path.join(ctx.workdir, "run-%s-%d%s" % (sid, rnd, "-alt" if logrelay else ""))
    os.makedirs(work)
    stdout_path, stderr_path = os.devnull, os.path.join(work, "stderr.log")
    receiver = None
    try:
        if kind.startswith("kcat"):
            cmd = [ctx.kcat, "-C", "-b", ctx.cluster.bootstrap, "-t", topic, "-e", "-o", "beginning", "-q"]
            watch = None
            if kind == "kcat_file":
                stdout_path = os.path.join(work, "kcat.out")
                watch = FileWatch([stdout_path])
            res = run_measured(cmd, watch, stdout_path, stderr_path, ctx.timeout)
            if res["rc"] != 0:
                raise BenchError("%s: kcat exited with %d: %s" % (sid, res["rc"],
                                                                 open(stderr_path).read()[-300:]))
            records = corpus["records"]
            if kind == "kcat_file":
                lines, payload = count_lines_bytes(stdout_path)
                if lines != records or payload != corpus["bytes"]:
                    raise BenchError("%s: kcat wrote %d records (%d bytes), the topic holds %d (%d bytes)" % (
                        sid, lines, payload, records, corpus["bytes"]))
        else:
            port = 0
            if sid.startswith("s5"):
                receiver = start_receiver(ctx)
                port = receiver[1]
            fmt, outputs, routes = scenario_setup(sid, os.path.join(work, "out"), port)
            group = "c83_bench_%s_r%d_%d_%d" % (sid, rnd, os.getpid(), int(time.time() * 1000) % 10 ** 9)
            conf = lr_config(sid, fmt, topic, outputs, routes, ctx.cluster.bootstrap, work, group)
            conf_path = os.path.join(work, "logrelay.yaml")
            with open(conf_path, "w") as fh:
                json.dump(conf, fh, indent=1)
            watch = (HttpWatch(port) if receiver else
                     FileWatch([o["path"] for o in outputs.values()]))
            cmd = [logrelay or ctx.logrelay, "run", "-c", conf_path, "--max-records", str(corpus["records"])]
            res = run_measured(cmd, watch, stdout_path, stderr_path, ctx.timeout)
            records = check_logrelay(sid, res, stderr_path, corpus["records"], outputs)
            if receiver:
                st = watch.stats()
                if st["requests"] == 0:
                    raise BenchError("%s: the receiver got no request" % sid)
                if ctx.count_lines and st["lines"] != records:
                    raise BenchError("%s: the receiver got %d lines for %d records" % (sid, st["lines"], records))
                # the receiver's own clock: first request started, last one ended
                res["first"], res["last"] = st["first_mono"], st["last_mono"]
                res["http_requests"], res["http_bytes"] = st["requests"], st["bytes"]
        return metrics(res, records, corpus["bytes"])
    finally:
        if receiver:
            receiver[0].terminate()
            receiver[0].wait()
        if not ctx.keep:
            shutil.rmtree(work, ignore_errors=True)


def start_receiver(ctx):
    if not ctx.receiver:
        raise BenchError("no HTTP receiver built (needs libmicrohttpd): skip s5 with --scenarios")
    cmd = [ctx.receiver] + (["--count-lines"] if ctx.count_lines else [])
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if not line.startswith("LISTEN "):
        p.kill()
        raise BenchError("the HTTP receiver did not start")
    return p, int(line.rsplit(":", 1)[1])


def metrics(res, records, payload):
    m = {
        "records": records,
        "wall_s": res["wall_s"],
        "rate_whole": records / res["wall_s"],
        "mbps_whole": payload / res["wall_s"] / 1e6,
        "cpu_s": res["cpu_s"],
        "cpu_per_m": res["cpu_s"] / records * 1e6,
        "rss_mb": res["rss_kib"] * 1024 / 1e6,
        "rate_after_first": None, "mbps_after_first": None, "cpu_per_m_after_first": None,
        "first_record_after_s": None, "active_s": None,
    }
    for k in ("http_requests", "http_bytes"):
        if k in res:
            m[k] = res[k]
    if res["first"] is not None and res["last"] is not None and res["last"] > res["first"]:
        active = res["last"] - res["first"]
        m["active_s"] = active
        m["first_record_after_s"] = res["first"] - res["t0"]
        m["rate_after_first"] = records / active
        m["mbps_after_first"] = payload / active / 1e6
        if res["cpu_first_s"] is not None:
            m["cpu_per_m_after_first"] = (res["cpu_s"] - res["cpu_first_s"]) / records * 1e6
    return m


def median_of(runs, key):
    vals = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


# ---------------------------------------------------------------- reports

def fmt_num(v, digits=0):
    if v is None:
        return "—"
    if digits == 0:
        return "{:,.0f}".format(v)
    return "{:,.{d}f}".format(v, d=digits)


def summarize(results, selected):
    """Medians per scenario and ratios to the kcat-into-file baseline of its topic."""
    out = {}
    rows = [(sid, title, topic, kind) for sid, title, topic, kind, _ in SCENARIOS if sid in selected]
    rows = [r for sid, title, topic, kind in rows
            for r in ((sid, title, topic, kind), (sid + "@alt", title + " [alt]", topic, kind))]
    for key, title, topic, kind in rows:
        if key not in results:
            continue
        runs = results[key]
        s = {"title": title, "topic": topic, "kind": kind, "runs": runs}
        for k in ("records", "wall_s", "rate_whole", "rate_after_first", "mbps_whole", "mbps_after_first",
                  "cpu_per_m", "cpu_per_m_after_first", "rss_mb", "first_record_after_s"):
            s[k] = median_of(runs, k)
        rates = [r["rate_after_first"] or r["rate_whole"] for r in runs]
        s["rate_min"], s["rate_max"] = min(rates), max(rates)
        out[key] = s
    for sid, s in out.items():
        base = out.get(BASELINE_FILE[s["topic"]])
        s["vs_kcat_file_after_first"] = s["vs_kcat_file_whole"] = None
        if base and sid != BASELINE_FILE[s["topic"]]:
            if s["rate_after_first"] and base["rate_after_first"]:
                s["vs_kcat_file_after_first"] = s["rate_after_first"] / base["rate_after_first"]
            s["vs_kcat_file_whole"] = s["rate_whole"] / base["rate_whole"]
    return out


def targets(summary):
    """The issue's targets, reached or not (reported, never asserted)."""
    t = []
    s1, s3, kf = summary.get("s1"), summary.get("s3"), summary.get("kcat_file")
    if s1 and kf and s1["vs_kcat_file_after_first"] is not None:
        r = s1["vs_kcat_file_after_first"]
        t.append({"target": "s1 >= 90% of the kcat-into-file rate (after the first record)",
                  "value": "%.0f%% (%s vs %s records/s)" % (100 * r, fmt_num(s1["rate_after_first"]),
                                                           fmt_num(kf["rate_after_first"])),
                  "reached": r >= 0.9})
    if s1:
        c = s1["cpu_per_m"]
        t.append({"target": "s1 <= 3 CPU-s per million access records (whole run)",
                  "value": "%.2f CPU-s/M (after the first record: %s)" % (c, fmt_num(s1["cpu_per_m_after_first"],
                                                                                    2)),
                  "reached": c <= 3.0})
    if s1 and s3:
        r = s3["cpu_per_m"] / s1["cpu_per_m"]
        rt = (s1["rate_after_first"] / s3["rate_after_first"]
              if s1["rate_after_first"] and s3["rate_after_first"] else None)
        t.append({"target": "fan-out to three outputs < 1.5x one output (CPU per record)",
                  "value": "%.2fx CPU, %sx time" % (r, fmt_num(rt, 2)), "reached": r < 1.5})
    lr = [s for k, s in summary.items() if s["kind"] == "logrelay" and not k.endswith("@alt")]
    if lr:
        worst = max(lr, key=lambda s: s["rss_mb"])
        t.append({"target": "peak RSS < 150 MB with default queue sizes",
                  "value": "%.0f MB at most (%s)" % (worst["rss_mb"], worst["title"].split()[0]),
                  "reached": worst["rss_mb"] < 150})
    return t


def markdown(summary, tgt, env):
    lines = []
    names = {ACCESS_TOPIC: "access lines", WAF_TOPIC: "WAF records"}
    corpus = ["%s %s (%.0f bytes each on average, %d partitions)" % (
        fmt_num(c["records"]), names[t], c["bytes"] / c["records"], c["partitions"])
        for t, c in sorted(env["corpus"].items())]
    lines.append("Corpus: %s; %d run(s) per scenario, medians; %s." % (" and ".join(corpus), env["runs"],
                                                                       env["machine"]))
    lines.append("")
    lines.append("| scenario | records | rec/s whole run | rec/s after 1st record | MB/s after 1st | CPU-s per M "
                 "| CPU-s per M after 1st | peak RSS MB | vs kcat -> file |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for sid, s in summary.items():
        ratio = s["vs_kcat_file_after_first"] or s["vs_kcat_file_whole"]
        if ratio is None:
            ratio_s = "baseline" if sid == BASELINE_FILE[s["topic"]] else "—"
        else:
            ratio_s = "%.0f%%" % (100 * ratio)
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            s["title"], fmt_num(s["records"]), fmt_num(s["rate_whole"]), fmt_num(s["rate_after_first"]),
            fmt_num(s["mbps_after_first"] or s["mbps_whole"], 1), fmt_num(s["cpu_per_m"], 2),
            fmt_num(s["cpu_per_m_after_first"], 2), fmt_num(s["rss_mb"]), ratio_s))
    lines.append("")
    if tgt:
        lines.append("| target | measured | reached |")
        lines.append("|---|---|---|")
        for t in tgt:
            lines.append("| %s | %s | %s |" % (t["target"], t["value"], "yes" if t["reached"] else "**no**"))
        lines.append("")
    return "\n".join(lines)


def machine_info():
    info = {"cpus": os.cpu_count(), "kernel": platform.release(), "python": platform.python_version()}
    try:
        info["loadavg_start"] = open("/proc/loadavg").read().split()[:3]
    except OSError:
        pass
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return info


def git_rev():
    try:
        return subprocess.run(["git", "-C", SRC, "describe", "--always", "--dirty"], capture_output=True,
                              text=True, timeout=10).stdout.strip()
    except OSError:
        return ""


# ------------------------------------------------------------------ serve

def serve(ctx, selected, corpora):
    """--serve: leave the preloaded cluster (and a receiver) up, write each
    scenario's configuration, print the commands, wait for Ctrl-C. For
    profiling one scenario by hand (perf record, valgrind) on the same data."""
    d = os.path.join(ctx.workdir, "serve")
    os.makedirs(d)
    receiver = None
    try:
        port = 0
        if any(s.startswith("s5") for s in selected):
            receiver = start_receiver(ctx)
            port = receiver[1]
        print("mock cluster: %s (topics %s)" % (ctx.cluster.bootstrap, ", ".join(
            "%s: %d records" % (t, c["records"]) for t, c in sorted(corpora.items()))))
        for sid, title, topic, kind, _ in SCENARIOS:
            if sid not in selected:
                continue
            n = corpora[topic]["records"]
            if kind.startswith("kcat"):
                print("%-13s %s -C -b %s -t %s -e -o beginning -q > %s" % (
                    sid, ctx.kcat, ctx.cluster.bootstrap, topic,
                    "/dev/null" if kind == "kcat_null" else os.path.join(d, sid + ".out")))
                continue
            fmt, outputs, routes = scenario_setup(sid, os.path.join(d, "out-" + sid), port)
            # ${env:LR_GROUP}: a fresh consumer group per run, or it resumes at the end
            conf = lr_config(sid, fmt, topic, outputs, routes, ctx.cluster.bootstrap, d,
                             "c83_bench_%s_${env:LR_GROUP}" % sid)
            path = os.path.join(d, sid + ".yaml")
            with open(path, "w") as fh:
                json.dump(conf, fh, indent=1)
            print("%-13s LR_GROUP=$RANDOM %s run -c %s --max-records %d" % (sid, ctx.logrelay, path, n))
        print("serving until Ctrl-C (outputs under %s)" % d, flush=True)
        try:
            # a shell's background job starts with SIGINT ignored: take it back
            signal.signal(signal.SIGINT, signal.default_int_handler)
            while True:
                signal.pause()
        except KeyboardInterrupt:
            pass
    finally:
        if receiver:
            receiver[0].terminate()
            receiver[0].wait()


# ------------------------------------------------------------------- main

class Ctx:
    pass


def find_tools(args):
    build = os.path.abspath(args.build or os.environ.get("LR_BUILD") or os.path.join(SRC, "build"))
    logrelay = os.path.abspath(args.logrelay or os.environ.get("LOGRELAY") or os.path.join(build, "logrelay"))
    mockcluster = os.path.join(build, "tests", "mockcluster")
    receiver = os.path.join(build, "bench", "e2e_receiver")
    kcat = shutil.which("kcat") or shutil.which("kafkacat")
    for what, path in (("logrelay", logrelay), ("mockcluster", mockcluster)):
        if not os.access(path, os.X_OK):
            raise BenchError("%s not found at %s: build first (cmake --build %s) or pass --build" % (
                what, path, build))
    if not kcat:
        raise BenchError("kcat is not installed (Debian package kafkacat)")
    return logrelay, mockcluster, receiver if os.access(receiver, os.X_OK) else None, kcat


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--build", help="build directory (default $LR_BUILD, else <repo>/build)")
    ap.add_argument("--logrelay", help="logrelay binary (default $LOGRELAY, else BUILD/logrelay)")
    ap.add_argument("--access", type=int, default=2000000, help="access lines (default 2,000,000)")
    ap.add_argument("--waf", type=int, default=200000, help="WAF records (default 200,000)")
    ap.add_argument("--quick", action="store_true", help="200,000 access lines and 20,000 WAF records")
    ap.add_argument("--smoke", action="store_true",
                    help="a few thousand records, one run, lines counted at the receiver: checks the harness")
    ap.add_argument("--runs", type=int, default=3, help="runs per scenario, reported as medians (default 3)")
    ap.add_argument("--scenarios", default="default",
                    help="comma-separated ids (kcat_null, kcat_file, s1, s2, s2p, s3, s4, s5, s5n, "
                         "kcat_waf_null, kcat_waf_file), 'default' (all but s2p and s5n) or 'all'")
    ap.add_argument("--seed", type=int, default=1, help="corpus seed (default 1)")
    ap.add_argument("--partition-mib", type=float, default=4.0,
                    help="payload per partition (default 4; the mock keeps at most 5 MiB per partition)")
    ap.add_argument("--results", default=os.path.join(SRC, "bench", "results"),
                    help="where the reports and the corpus cache go (default bench/results, git-ignored)")
    ap.add_argument("--workdir", help="scratch space for outputs (default a new directory under --results)")
    ap.add_argument("--timeout", type=int, default=900, help="longest run of one scenario in seconds")
    ap.add_argument("--count-lines", action="store_true",
                    help="the HTTP receiver inflates and counts lines to check delivery (costs it CPU)")
    ap.add_argument("--serve", action="store_true",
                    help="preload the cluster, print each scenario's command and wait (for profiling by hand)")
    ap.add_argument("--alt", metavar="LOGRELAY",
                    help="also run every logrelay scenario with this other binary, right after the first, "
                         "on the same data (rows marked [alt]): compares a change in one invocation")
    ap.add_argument("--label", default="", help="free text stored in the JSON (e.g. the commit measured)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory (configs, outputs, logs)")
    args = ap.parse_args()

    if args.quick:
        args.access, args.waf = 200000, 20000
    if args.smoke:
        args.access, args.waf, args.runs, args.count_lines = 3000, 400, 1, True
    if args.scenarios == "default":
        selected = [s[0] for s in SCENARIOS if not s[4]]
    elif args.scenarios == "all":
        selected = [s[0] for s in SCENARIOS]
    else:
        selected = [x for x in args.scenarios.split(",") if x]
        unknown = set(selected) - {s[0] for s in SCENARIOS}
        if unknown:
            ap.error("unknown scenario(s): %s" % ", ".join(sorted(unknown)))
        for s in list(selected):  # each topic's kcat baseline comes along for the ratio
            topic = next(x[2] for x in SCENARIOS if x[0] == s)
            if BASELINE_FILE[topic] not in selected:
                selected.append(BASELINE_FILE[topic])
    if args.alt:
        args.alt = os.path.abspath(args.alt)
        if not os.access(args.alt, os.X_OK):
            ap.error("--alt: %s is not an executable" % args.alt)
    if args.runs < 1:
        ap.error("--runs must be at least 1")

    ctx = Ctx()
    ctx.logrelay, mockcluster, ctx.receiver, ctx.kcat = find_tools(args)
    ctx.timeout, ctx.keep, ctx.count_lines = args.timeout, args.keep, args.count_lines
    if not ctx.receiver and any(s.startswith("s5") for s in selected):
        log("no HTTP receiver in the build (libmicrohttpd missing): s5/s5n left out")
        selected = [s for s in selected if not s.startswith("s5")]
    os.makedirs(args.results, exist_ok=True)
    ctx.workdir = tempfile.mkdtemp(prefix="e2e-work-", dir=args.workdir or args.results)
    topics_used = {x[2] for x in SCENARIOS if x[0] in selected}

    ctx.cluster = Cluster(mockcluster, ctx.kcat, ctx.workdir)
    version = subprocess.run([ctx.logrelay, "version"], capture_output=True, text=True).stdout.split("\n")
    env = {"started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "git": git_rev(),
           "logrelay": ctx.logrelay, "logrelay_version": version[0], "label": args.label, "alt": args.alt,
           "runs": args.runs, "machine_info": machine_info(), "corpus": {}, "smoke": args.smoke,
           "kcat": "kcat -C -b BOOTSTRAP -t TOPIC -e -o beginning -q", "poll_s": POLL_S}
    mi = env["machine_info"]
    env["machine"] = "%d CPUs, load %s at start" % (mi["cpus"], "/".join(mi.get("loadavg_start", ["?"])))
    try:
        corpora = {}
        counts = {ACCESS_TOPIC: ("cdn_access", args.access), WAF_TOPIC: ("waf_json", args.waf)}
        parts = {}
        for topic in sorted(topics_used):
            fmt, n = counts[topic]
            corpora[topic] = ensure_corpus(fmt, n, args.seed, os.path.join(args.results, "corpus"))
            parts[topic] = max(4, math.ceil(corpora[topic]["bytes"] / (args.partition_mib * 1048576)))
        ctx.cluster.start(parts)
        log("mock cluster at %s: %s" % (ctx.cluster.bootstrap,
                                        ", ".join("%s %d partitions" % kv for kv in sorted(parts.items()))))
        for topic in sorted(topics_used):
            t0 = time.monotonic()
            per_part = ctx.cluster.preload(topic, corpora[topic])
            total = ctx.cluster.verify(topic, per_part)
            log("preloaded %s: %d records in %.1f s; watermarks checked: nothing dropped" % (
                topic, total, time.monotonic() - t0))
            env["corpus"][topic] = dict(corpora[topic], partitions=parts[topic])

        if args.serve:
            serve(ctx, selected, corpora)
            return 0

        results = {sid: [] for sid in selected}
        for rnd in range(1, args.runs + 1):
            for sid, title, topic, kind, _ in SCENARIOS:
                if sid not in selected:
                    continue
                m = run_one(sid, kind, topic, corpora[topic], ctx, rnd)
                results[sid].append(m)
                log("run %d/%d %-14s %9s rec/s whole, %9s after 1st record, %5.2f CPU-s/M, %4.0f MB RSS" % (
                    rnd, args.runs, sid, fmt_num(m["rate_whole"]), fmt_num(m["rate_after_first"]),
                    m["cpu_per_m"], m["rss_mb"]))
                if args.alt and kind == "logrelay":  # the other binary, right after, on the same data
                    m = run_one(sid, kind, topic, corpora[topic], ctx, rnd, logrelay=args.alt)
                    results.setdefault(sid + "@alt", []).append(m)
                    log("run %d/%d %-14s %9s rec/s whole, %9s after 1st record, %5.2f CPU-s/M, %4.0f MB RSS" % (
                        rnd, args.runs, sid + "@alt", fmt_num(m["rate_whole"]), fmt_num(m["rate_after_first"]),
                        m["cpu_per_m"], m["rss_mb"]))
    finally:
        ctx.cluster.stop()
        if not args.keep:
            shutil.rmtree(ctx.workdir, ignore_errors=True)
        else:
            log("scratch kept in %s" % ctx.workdir)

    mi["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
    summary = summarize(results, selected)
    tgt = targets(summary) if not args.smoke else []
    md = markdown(summary, tgt, env)
    doc = {"env": env, "scenarios": summary, "targets": tgt}
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = os.path.join(args.results, "e2e-%s%s" % (stamp, "-smoke" if args.smoke else ""))
    with open(base + ".json", "w") as f:
        json.dump(doc, f, indent=1)
    with open(base + ".md", "w") as f:
        f.write(md + "\n")
    latest = os.path.join(args.results, "e2e-latest%s" % ("-smoke" if args.smoke else ""))
    shutil.copyfile(base + ".json", latest + ".json")
    shutil.copyfile(base + ".md", latest + ".md")
    print(md)
    log("wrote %s.md and %s.json" % (base, base))
    return 0


if __name__ == "__main__":
    # SIGTERM unwinds like Ctrl-C: the cluster, the receiver and the scratch go
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    try:
        sys.exit(main())
    except BenchError as e:
        log("refusing to report: %s" % e)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
