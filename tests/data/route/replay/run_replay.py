#!/usr/bin/env python3
"""End-to-end routing: `logrelay check` prints the route table, and `logrelay
replay` of a mixed corpus (CDN access lines from topic c83, WAF records from
c83_waf) through five routes into five file outputs writes exactly the
expected lines to every file: fan-out with each output once per record,
`final`, `from` by topic and by format, per-route transforms that do not leak
into other routes' copies, parse failures, and unrouted records sent to
`agent.unrouted`."""
import os
import re
import subprocess
import sys
import tempfile
import unittest

LOGRELAY = os.environ["LOGRELAY"]
HERE = os.path.join(os.environ["LR_TEST_DATA"], "route", "replay")
OUTPUTS = ["archive", "datadog", "deadletter", "es", "unrouted"]


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


class RouteReplay(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="lr-route-")
        self.out = os.path.join(self.tmp.name, "out")
        os.mkdir(self.out)
        self.config = os.path.join(self.tmp.name, "config.yaml")
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(read(os.path.join(HERE, "config.yaml.in")).replace("{OUT}", self.out))

    def tearDown(self):
        self.tmp.cleanup()

    def logrelay(self, *args):
        p = subprocess.run([LOGRELAY, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300,
                           cwd=self.tmp.name)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def test_check_prints_route_table(self):
        rc, out, err = self.logrelay("check", "-c", "config.yaml")
        self.assertEqual(rc, 0, out + err)
        m = re.search(r"^Routes \(.*?^Unrouted records: [^\n]*\n", out, re.S | re.M)
        self.assertIsNotNone(m, out)
        self.assertEqual(m.group(0), read(os.path.join(HERE, "expected", "check-routes.txt")))

    def test_replay_writes_expected_files(self):
        for fmt, source, name in (("cdn_access", "c83", "access.log"), ("waf_json", "c83_waf", "waf.jsonl")):
            rc, out, err = self.logrelay("replay", "-c", "config.yaml", "-f", fmt, "-s", source, "-t", "60s",
                                         os.path.join(HERE, name))
            self.assertEqual(rc, 0, out + err)
        for name in OUTPUTS:
            got = read(os.path.join(self.out, name + ".jsonl"))
            # a line that did not parse carries the time it was read
            got = re.sub(r'^\{"@timestamp":"[^"]*"(,"message":.*"parse_error":)', r'{"@timestamp":"<ingest>"\1',
                         got, flags=re.M)
            want = read(os.path.join(HERE, "expected", name + ".jsonl"))
            self.assertEqual(got, want, name)


if __name__ == "__main__":
    unittest.main(verbosity=2)
