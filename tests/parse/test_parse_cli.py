#!/usr/bin/env python3
"""End-to-end tests of `logrelay parse`: input from files and stdin, line
handling (CRLF, no final newline, lines far longer than the read buffer),
the JSON on stdout, the summary on stderr, and the exit status for parse
failures (0), I/O errors (1) and usage errors (2)."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

LOGRELAY = os.environ["LOGRELAY"]
SRC = os.environ["LR_SRC"]
GEN = os.path.join(SRC, "bench", "parse", "gen_corpus.py")

CDN_LINE = ('203.0.113.9 - - [14/Sep/2020:12:44:19 +0000] "GET /static/app.js HTTP/1.1" 200 621 '
            '"Mozilla/5.0 (X11; Linux x86_64)" hit "application/javascript" "L1" 0.000193 "83" '
            '"https://www.example.com/" https ES')
WAF_ARRAY = ('{"transaction":{"time_stamp":"Fri Jan 14 08:15:02 2022","messages":[{"details":{"ruleId":"1"}},'
             '{"details":{"ruleId":"2"}},{"details":{"ruleId":"3"}}]}}')


def run(*args, stdin=b"", stdout=subprocess.PIPE):
    p = subprocess.run([LOGRELAY, "parse", *args], input=stdin, stdout=stdout, stderr=subprocess.PIPE,
                       timeout=300)
    return p.returncode, p.stdout or b"", p.stderr.decode(errors="replace")


def records(out):
    lines = out.split(b"\n")
    assert lines[-1] == b"", "output does not end with a newline"
    return [json.loads(line) for line in lines[:-1]]


class ParseCli(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="lr-parse-")

    def tearDown(self):
        self.tmp.cleanup()

    def file(self, name, data):
        path = os.path.join(self.tmp.name, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def test_stdin_and_fields(self):
        rc, out, err = run("--format", "cdn_access", stdin=(CDN_LINE + "\n").encode())
        self.assertEqual(rc, 0, err)
        [rec] = records(out)
        self.assertEqual(rec["@timestamp"], "2020-09-14T12:44:19.000Z")
        self.assertEqual(rec["statuscode"], 200)
        self.assertEqual(rec["requesttime"], 0.000193)
        self.assertEqual(rec["country"], "ES")
        self.assertIn("cdn_access: 1 lines, 1 records: 1 parsed, 0 failed", err)

    def test_files_and_dash_in_order(self):
        a = self.file("a.log", b"first\nsecond\n")
        b = self.file("b.log", b"fourth")  # no final newline: still a line
        rc, out, err = run("--format", "raw", a, "-", b, stdin=b"third\r\n")
        self.assertEqual(rc, 0, err)
        self.assertEqual([r["message"] for r in records(out)], ["first", "second", "third", "fourth"])
        self.assertIn("raw: 4 lines, 4 records", err)

    def test_crlf_and_lf_give_the_same_records(self):
        lines = [CDN_LINE, "garbage", CDN_LINE.replace("https ES", "http FR")]
        _, lf, _ = run("--format", "cdn_access", stdin=("\n".join(lines) + "\n").encode())
        _, crlf, _ = run("--format", "cdn_access", stdin=("\r\n".join(lines) + "\r\n").encode())
        strip_time = [{k: v for k, v in r.items() if k != "@timestamp" or "parse_error" not in r}
                      for r in records(lf)]
        self.assertEqual(strip_time, [{k: v for k, v in r.items() if k != "@timestamp" or "parse_error" not in r}
                                      for r in records(crlf)])
        self.assertEqual(records(crlf)[1]["message"], "garbage")

    def test_long_lines_across_read_buffers(self):
        # lines of 1 byte to 5 MiB, so that lines straddle every read() boundary
        lines = [b"x" * n for n in (1, 0, 70000, 1 << 20, (1 << 20) + 1, 5 << 20, 3, (1 << 20) - 1)]
        path = self.file("long.log", b"\n".join(lines) + b"\n")
        rc, out, err = run("--format", "raw", path)
        self.assertEqual(rc, 0, err)
        got = [r["message"].encode() for r in records(out)]
        self.assertEqual([len(g) for g in got], [len(line) for line in lines])
        self.assertEqual(got, lines)

    def test_generated_corpus_every_line_once(self):
        corpus = os.path.join(self.tmp.name, "corpus.log")
        subprocess.run([sys.executable, GEN, "--format", "cdn_access", "--count", "20000", "--seed", "9",
                        "--tricky", "0.1", "-o", corpus], check=True)
        with open(corpus, "rb") as f:
            lines = f.read().split(b"\n")[:-1]
        rc, out, err = run("--format", "raw", corpus)
        self.assertEqual(rc, 0, err)
        self.assertEqual([r["message"].encode() for r in records(out)], lines)
        rc, out, err = run("--format", "cdn_access", corpus)
        self.assertEqual(rc, 0, err)
        recs = records(out)
        self.assertEqual(len(recs), 20000)
        self.assertEqual([r for r in recs if "parse_error" in r], [])
        self.assertIn("cdn_access: 20000 lines, 20000 records: 20000 parsed, 0 failed", err)

    def test_failures_are_data_and_counted_per_reason(self):
        data = "\n".join([CDN_LINE, "garbage", "more garbage", CDN_LINE.replace(" 200 ", " OK "), ""]) + "\n"
        rc, out, err = run("--format", "cdn_access", stdin=data.encode())
        self.assertEqual(rc, 0, err)
        recs = records(out)
        self.assertEqual([r.get("parse_error") for r in recs],
                         [None, "no layout matched", "no layout matched", "bad statuscode", "empty line"])
        self.assertEqual(recs[1]["message"], "garbage")
        self.assertIn("cdn_access: 5 lines, 5 records: 1 parsed, 4 failed", err)
        lines = err.splitlines()
        self.assertRegex(lines[1], r"^\s+2  no layout matched$")  # most frequent first
        self.assertIn("bad statuscode", err)
        self.assertIn("empty line", err)

    def test_waf_split_and_no_split(self):
        rc, out, err = run("--format", "waf_json", stdin=WAF_ARRAY.encode())
        self.assertEqual(rc, 0, err)
        self.assertEqual([r["transaction"]["messages"]["details"]["ruleId"] for r in records(out)],
                         ["1", "2", "3"])
        self.assertIn("waf_json: 1 lines, 3 records: 3 parsed, 0 failed", err)
        rc, out, err = run("--format", "waf_json", "--no-split", stdin=WAF_ARRAY.encode())
        self.assertEqual(rc, 0, err)
        [rec] = records(out)
        self.assertEqual(len(rec["transaction"]["messages"]), 3)

    def test_quiet(self):
        rc, out, err = run("-q", "-f", "raw", stdin=b"a\n")
        self.assertEqual(rc, 0)
        self.assertEqual(err, "")
        self.assertEqual(len(records(out)), 1)

    def test_missing_file_is_an_io_error_but_the_rest_is_parsed(self):
        good = self.file("good.log", b"one\n")
        rc, out, err = run("--format", "raw", os.path.join(self.tmp.name, "nope.log"), good)
        self.assertEqual(rc, 1)
        self.assertIn("cannot open", err)
        self.assertIn("nope.log", err)
        self.assertEqual([r["message"] for r in records(out)], ["one"])

    def test_read_error(self):
        rc, _, err = run("--format", "raw", self.tmp.name)  # a directory: read() fails
        self.assertEqual(rc, 1)
        self.assertIn("read error", err)

    def test_write_error(self):
        with open("/dev/full", "wb") as full:
            rc, _, err = run("--format", "raw", stdin=b"a\n" * 1000, stdout=full)
        self.assertEqual(rc, 1)
        self.assertIn("write error", err)

    def test_usage_errors(self):
        for args, text in ((["x.log"], "--format is required"),
                           (["--format", "apache", "x.log"], "unknown format 'apache'"),
                           (["--format"], "usage:"),
                           (["--frobnicate", "-f", "raw"], "usage:")):
            rc, out, err = run(*args)
            self.assertEqual(rc, 2, args)
            self.assertIn(text, err, args)
            self.assertEqual(out, b"")

    def test_help(self):
        rc, out, _ = run("--help")
        self.assertEqual(rc, 0)
        self.assertIn(b"cdn_access, waf_json, json, raw", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
