#!/usr/bin/env python3
"""Smoke test of the end-to-end benchmark harness (ctest bench.e2e_smoke).

Runs `bench.py --smoke` (a few thousand records, one run of every default
scenario) into a scratch results directory and checks what a user reads: the
harness exits 0 (so every record reached every output exactly as counted, and
the mock cluster kept all the data), the JSON report holds every scenario with
the corpus' record count and measured figures, and the Markdown table has one
well-formed row per scenario. Nothing about speed is asserted.

Environment (set by ctest): LOGRELAY, LR_BUILD. Exit 77 (skipped) without kcat.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
EXPECTED = ["kcat_null", "kcat_file", "s1", "s2", "s3", "s5", "kcat_waf_null", "kcat_waf_file", "s4"]


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def main():
    if not (shutil.which("kcat") or shutil.which("kafkacat")):
        print("SKIP: kcat is not installed (Debian package kafkacat)")
        return 77
    build = os.environ.get("LR_BUILD")
    if not build:
        fail("LR_BUILD is not set")
    expected = list(EXPECTED)
    if not os.access(os.path.join(build, "bench", "e2e_receiver"), os.X_OK):
        expected.remove("s5")  # built only with libmicrohttpd; the harness says so and leaves s5 out
    with tempfile.TemporaryDirectory(prefix="lr-e2e-smoke-") as results:
        r = subprocess.run([sys.executable, os.path.join(HERE, "bench.py"), "--smoke", "--build", build,
                            "--results", results], capture_output=True, text=True, timeout=300)
        sys.stderr.write(r.stderr)
        if r.returncode != 0:
            fail("bench.py --smoke exited with %d" % r.returncode)
        with open(os.path.join(results, "e2e-latest-smoke.json")) as f:
            doc = json.load(f)
        with open(os.path.join(results, "e2e-latest-smoke.md")) as f:
            md = f.read()
    if md.strip() not in r.stdout:
        fail("the table printed differs from the one written")

    scen = doc["scenarios"]
    if sorted(scen) != sorted(expected):
        fail("scenarios in the report: %s, expected %s" % (sorted(scen), sorted(expected)))
    corpus = doc["env"]["corpus"]
    for sid, s in scen.items():
        want = corpus[s["topic"]]["records"]
        if s["records"] != want or len(s["runs"]) != 1:
            fail("%s: %s records in %d run(s), expected %d in 1" % (sid, s["records"], len(s["runs"]), want))
        for key in ("rate_whole", "cpu_per_m", "rss_mb", "wall_s"):
            if not isinstance(s[key], (int, float)) or s[key] <= 0:
                fail("%s: %s is %r" % (sid, key, s[key]))
        if s["kind"] == "logrelay" and s["vs_kcat_file_whole"] is None:
            fail("%s: no ratio to the kcat baseline" % sid)

    rows = [ln for ln in md.splitlines() if ln.startswith("| ")]
    header, body = rows[0], rows[1:]
    ncols = header.count("|")
    if "records" not in header or "vs kcat" not in header:
        fail("unexpected table header: " + header)
    titles = {s["title"] for s in scen.values()}
    got = {ln.split("|")[1].strip() for ln in body}
    if got != titles:
        fail("table rows %s, expected %s" % (sorted(got), sorted(titles)))
    for ln in body:
        if ln.count("|") != ncols:
            fail("malformed row: " + ln)
    print("ok: %d scenarios measured, table and JSON well formed" % len(scen))
    return 0


if __name__ == "__main__":
    sys.exit(main())
