#!/usr/bin/env python3
"""End-to-end tests of the logrelay CLI, driving the real binary:
version, check (success and each error message), describe, plugins, and
replay of 100,000 lines through file outputs in raw and json format
(every line exactly once), and replay from a pipe that stays open (lines
delivered without waiting for the end of the input)."""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

LOGRELAY = os.environ["LOGRELAY"]
SRC = os.environ["LR_SRC"]
BUILD = os.environ["LR_BUILD"]


def run(*args, stdin=None, check_rc=None):
    p = subprocess.run([LOGRELAY, *args], input=stdin, capture_output=True, timeout=300)
    out, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    if check_rc is not None and p.returncode != check_rc:
        raise AssertionError(f"logrelay {' '.join(args)} exited {p.returncode}, wanted {check_rc}\n"
                             f"stdout:\n{out}\nstderr:\n{err}")
    return p.returncode, out, err


class Cli(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="lr-cli-")
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_version(self):
        _, out, _ = run("version", check_rc=0)
        self.assertRegex(out, r"^logrelay \d+\.\d+\.\d+\n")
        self.assertIn("plugin ABI 1, build signature logrelay-abi1/ptr8/long8/le", out)

    def test_unknown_command(self):
        rc, _, err = run("frobnicate")
        self.assertEqual(rc, 2)
        self.assertIn("unknown command 'frobnicate'", err)

    def test_check_example_conf_d(self):
        _, out, _ = run("check", "-c", os.path.join(SRC, "conf.d"), check_rc=0)
        self.assertIn("configuration OK", out)
        for name in ("archive", "access-json", "waf", "unparsed"):
            self.assertIn(name, out)
        self.assertIn("3 file(s)", out)
        self.assertIn("kafka: not configured", out)

    def test_check_errors_name_file_line_column_key(self):
        d = os.path.join(self.dir, "conf.d")
        self.write("conf.d/10-a.yaml",
                   "outputs:\n"
                   "  one:\n"
                   "    type: file\n"
                   "    path: /tmp/x\n"
                   "    rotate_evry: 5MB\n"
                   "  two:\n"
                   "    type: nosuchtype\n")
        self.write("conf.d/20-b.yaml",
                   "outputs:\n"
                   "  one:\n"
                   "    type: file\n"
                   "    path: /tmp/y\n")
        rc, out, err = run("check", "-c", d)
        self.assertEqual(rc, 1, out + err)
        a, b = os.path.join(d, "10-a.yaml"), os.path.join(d, "20-b.yaml")
        # the duplicate output names both places
        self.assertIn(f"{b}:2:3", err)
        self.assertIn(a, err.split(f"{b}:2:3", 1)[1].splitlines()[0])

    def test_check_option_errors(self):
        p = self.write("one.yaml",
                       "outputs:\n"
                       "  one:\n"
                       "    type: file\n"
                       "    path: /tmp/x\n"
                       "    rotate_evry: 5MB\n"
                       "    keep: lots\n"
                       "  two:\n"
                       "    type: nosuchtype\n"
                       "routes:\n"
                       "  - to: [one, three]\n")
        rc, out, err = run("check", "-c", p)
        self.assertEqual(rc, 1, out + err)
        self.assertIn(f"{p}:5:5: key 'rotate_evry'", err)
        self.assertIn("did you mean 'rotate_every'", err)
        self.assertIn(f"{p}:6:11: key 'keep'", err)
        self.assertIn(f"{p}:8:11: key 'outputs.two.type': unknown output type 'nosuchtype'", err)

    def test_check_missing_env_is_an_error(self):
        p = self.write("env.yaml",
                       "outputs:\n  one:\n    type: file\n    path: ${env:LR_TEST_SURELY_UNSET}/x\n")
        rc, _, err = run("check", "-c", p)
        self.assertEqual(rc, 1)
        self.assertIn(f"{p}:4:11", err)
        self.assertIn("LR_TEST_SURELY_UNSET", err)

    def test_describe_file(self):
        _, out, _ = run("describe", "file", check_rc=0)
        for key in ("path", "format", "rotate_every", "keep", "compress", "mode",
                    "queue.max_bytes", "retry.initial", "deadletter.path"):
            self.assertIn(key, out)
        _, md, _ = run("describe", "--markdown", "file", check_rc=0)
        self.assertIn("| `rotate_every` |", md)

    def test_check_kafka_tls_files(self):
        p = self.write("k.yaml",
                       "kafka:\n"
                       "  brokers: [127.0.0.1:9093]\n"
                       "  group_id: c83_test\n"
                       "  topics: {c83: {format: cdn_access}}\n"
                       "  tls:\n"
                       f"    ca_file: {self.dir}/missing-ca.pem\n")
        rc, out, err = run("check", "-c", p)
        self.assertEqual(rc, 1, out + err)
        self.assertIn(f"{p}:6:14", err)
        self.assertIn("missing-ca.pem", err)

    def test_describe_sections(self):
        _, out, _ = run("describe", "kafka", check_rc=0)
        for key in ("brokers", "group_id", "start_from", "tls.ca_file", "tls.keystore_file"):
            self.assertIn(key, out)
        _, out, _ = run("describe", "agent", check_rc=0)
        for key in ("data_dir", "plugin_dir", "shutdown_timeout", "unrouted"):
            self.assertIn(key, out)

    def test_parse_route_shows_what_a_route_matches(self):
        cfg = self.write("routes.yaml",
                         "outputs:\n  dd: {type: file, path: /tmp/unused}\n"
                         "routes:\n"
                         "  - name: errors\n"
                         "    from: [c83]\n"
                         "    when: 'statuscode >= 500 or (layer == \"L1\" and hitmiss == \"miss\")'\n"
                         "    set: {team: sre}\n"
                         "    to: [dd]\n")
        line = ('1.2.3.4 - - [14/Sep/2020:12:44:19 +0000] "GET /a HTTP/1.1" {st} 621 "UA" {hm} "text/html" '
                '"{layer}" 0.000193 "83" "-" https ES\n')
        data = (line.format(st=503, hm="hit", layer="L2") + line.format(st=200, hm="miss", layer="L1") +
                line.format(st=200, hm="hit", layer="L1") + "not a cdn line\n")
        src = self.write("t.log", data)
        _, out, err = run("parse", "-f", "cdn_access", "--route", "errors", "-c", cfg, "--source", "c83", src,
                          check_rc=0)
        recs = [json.loads(l) for l in out.splitlines()]
        self.assertEqual([(r["statuscode"], r["layer"], r["team"]) for r in recs], [(503, "L2", "sre"), (200, "L1", "sre")])
        self.assertIn("route errors: 2 of 4 records matched", err)
        # from: [c83] does not take records from another topic
        _, out, err = run("parse", "-f", "cdn_access", "--route", "errors", "-c", cfg, "--source", "c99", src,
                          check_rc=0)
        self.assertEqual(out, "")
        self.assertIn("route errors: 0 of 4 records matched", err)
        rc, _, err = run("parse", "-f", "cdn_access", "--route", "nope", "-c", cfg, src)
        self.assertEqual(rc, 1)
        self.assertIn("has no route named 'nope' (routes: errors)", err)

    def test_describe_unknown(self):
        rc, _, err = run("describe", "nosuch")
        self.assertEqual(rc, 1)
        self.assertIn("no usable module 'nosuch'", err)

    def test_plugins(self):
        _, out, _ = run("plugins", check_rc=0)
        self.assertRegex(out, r"\n  file +\S+ +")
        rc, out, _ = run("plugins", "--plugin-dir", os.path.join(BUILD, "test-plugins-bad"))
        self.assertEqual(rc, 1)
        self.assertIn("bad_abi.so: plugin ABI version 99, this logrelay speaks version 1", out)
        self.assertIn("no_symbol.so: no 'logrelay_output_plugin' symbol", out)

    def replay_config(self):
        return self.write("replay.yaml",
                          f"agent: {{data_dir: {self.dir}/data}}\n"
                          "outputs:\n"
                          f"  raw: {{type: file, path: {self.dir}/out/raw.log, format: raw}}\n"
                          f"  json: {{type: file, path: {self.dir}/out/json.log, format: json}}\n"
                          "routes:\n"
                          "  - to: [raw, json]\n")

    def test_replay_100k_lines_exactly_once(self):
        lines = [f"line {i} with \"quotes\" and \\ backslash and caf\u00e9" for i in range(100000)]
        src = self.write("input.log", "\n".join(lines) + "\n")
        _, _, err = run("replay", "-c", self.replay_config(), "--format", "raw", src, check_rc=0)
        self.assertIn("100000 messages finished, 0 left undelivered", err)
        with open(f"{self.dir}/out/raw.log", encoding="utf-8") as f:
            self.assertEqual(f.read(), "\n".join(lines) + "\n")
        with open(f"{self.dir}/out/json.log", encoding="utf-8") as f:
            got = [json.loads(l)["message"] for l in f]
        self.assertEqual(got, lines)

    def test_replay_stdin_and_missing_file(self):
        cfg = self.replay_config()
        rc, _, err = run("replay", "-c", cfg, "--format", "raw", "/nonexistent.log")
        self.assertEqual(rc, 1)
        self.assertIn("cannot open /nonexistent.log", err)
        _, _, err = run("replay", "-c", cfg, "--format", "raw", stdin=b"a\r\nb\n", check_rc=0)
        with open(f"{self.dir}/out/raw.log") as f:
            self.assertEqual(f.read(), "a\nb\n")

    def test_replay_delivers_while_stdin_stays_open(self):
        # Records wait in a batch before routing; replay must route them as
        # soon as its input has nothing more at hand, not at the end of input
        # (a `tail -f | logrelay replay` would otherwise hold them forever).
        cfg = self.replay_config()
        raw = f"{self.dir}/out/raw.log"
        lines = "first line\nsecond line\nthird line\n"
        with open(os.path.join(self.dir, "stderr.txt"), "w+b") as err:
            p = subprocess.Popen([LOGRELAY, "replay", "-c", cfg, "--format", "raw", "-"], stdin=subprocess.PIPE,
                                 stdout=subprocess.DEVNULL, stderr=err)
            try:
                p.stdin.write(lines.encode())
                p.stdin.flush()
                got = ""
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline and p.poll() is None:
                    if os.path.exists(raw):
                        with open(raw) as f:
                            got = f.read()
                        if got == lines:
                            break
                    time.sleep(0.05)
                self.assertIsNone(p.poll(), "replay exited while its stdin was still open")
                self.assertEqual(got, lines, "lines not delivered within 10 s while stdin stayed open")
            finally:
                p.stdin.close()
                try:
                    rc = p.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
                    raise
            err.seek(0)
            msg = err.read().decode(errors="replace")
        self.assertEqual(rc, 0, msg)
        self.assertIn("3 messages finished, 0 left undelivered", msg)
        with open(raw) as f:
            self.assertEqual(f.read(), lines)
        with open(f"{self.dir}/out/json.log") as f:
            self.assertEqual([json.loads(l)["message"] for l in f], lines.splitlines())


if __name__ == "__main__":
    unittest.main(verbosity=2)
