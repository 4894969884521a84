#!/usr/bin/env python3
"""Runtime tests of the `http` output: the real agent (`logrelay replay`)
sends to a scripted receiver on 127.0.0.1 (tests/http/receiver.py).

Covers: exact bodies for each format, with and without gzip; keep-alive;
method, headers, bearer/basic auth (secrets never in the log); 503 for a
few requests then recovery with nothing lost or duplicated beyond the failed
batch; 429 with Retry-After in seconds and as an HTTP-date; 400 -> dead
letter with status and body excerpt; a receiver that hangs (timeout ->
retry) or closes the connection (retry); one output down while another
delivers everything; max_body_bytes splitting; several workers; start-up
checks (basic and bearer together, tls.verify false warning); HTTPS with a
private CA and a client certificate, and the TLS failures that are retried;
the README's options table against `logrelay describe http --markdown`.

Every output of a test also feeds a `file` output (format json) as a twin:
it writes the very JSON encoding the http output sends, so bodies are
checked byte for byte without hard-coding timestamps.
"""
import base64
import email.utils
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from receiver import Receiver, close, hang, status, unused_port  # noqa: E402

LOGRELAY = os.environ["LOGRELAY"]

# Lines with characters JSON must escape, a tab, UTF-8 and leading/trailing blanks.
LINES = [f'GET /img/{i}.png "ua {i}" \\ path\tcaf\u00e9 \u2713 {"x" * (i % 7)}  ' for i in range(25)]

FAST_RETRY = "retry: {initial: 50ms, max: 200ms}"


def summary(err, name):
    """The replay summary counters of one output."""
    m = re.search(rf"output {re.escape(name)} \(\w+\): received (\d+), delivered (\d+), retried (\d+), "
                  rf"failed (\d+), dead-lettered (\d+), left (\d+)", err)
    if not m:
        raise AssertionError(f"no summary for output {name} in:\n{err}")
    keys = ("received", "delivered", "retried", "failed", "deadlettered", "left")
    return dict(zip(keys, map(int, m.groups())))


class ReplayTest(unittest.TestCase):
    """A scripted receiver, a temporary directory, and `logrelay replay` around them."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="lr-http-")
        self.dir = self.tmp.name
        self.rx = Receiver()

    def tearDown(self):
        self.rx.stop()
        self.tmp.cleanup()

    # ---- helpers ---------------------------------------------------------

    def write(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        return path

    def config(self, outputs, twin=True, agent=""):
        """outputs: name -> YAML flow mapping body (without braces)."""
        text = f"agent: {{data_dir: {self.dir}/data{', ' + agent if agent else ''}}}\noutputs:\n"
        for name, body in outputs.items():
            text += f"  {name}: {{{body}}}\n"
        if twin:
            text += f"  twin: {{type: file, path: {self.dir}/twin.json, format: json}}\n"
        text += "routes:\n  - to: [" + ", ".join(list(outputs) + (["twin"] if twin else [])) + "]\n"
        return self.write("config.yaml", text)

    def http(self, extra="", url=None, batch=""):
        """An http output's options: fast retries, short batch timeout, plus `extra`."""
        url = url or self.rx.url()
        if "timeout:" not in batch:
            batch = "timeout: 50ms" + (", " + batch if batch else "")
        return f'type: http, url: "{url}", {FAST_RETRY}, batch: {{{batch}}}' + (", " + extra if extra else "")

    def replay(self, cfg, lines=LINES, args=(), env=None, want_rc=0, timeout=120):
        src = self.write("input.log", "".join(l + "\n" for l in lines))
        env = {**os.environ, **(env or {})}
        t0 = time.monotonic()
        p = subprocess.run([LOGRELAY, "replay", "-c", cfg, "--format", "raw", *args, src], capture_output=True,
                           timeout=timeout, env=env)
        self.elapsed = time.monotonic() - t0
        err = p.stderr.decode(errors="replace")
        if want_rc is not None and p.returncode != want_rc:
            raise AssertionError(f"replay exited {p.returncode}, wanted {want_rc}\n{err}")
        return err

    def twin_lines(self):
        """The records' JSON, as the file output wrote them (one per line, in order)."""
        with open(os.path.join(self.dir, "twin.json"), "rb") as f:
            return f.read().splitlines()

    def deadletters(self, output):
        path = os.path.join(self.dir, "data", "deadletter", f"{output}.jsonl")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [json.loads(l) for l in f]

    def assert_slices(self, bodies, records, frame):
        """Each body is frame(records[k:k+m]) for consecutive slices covering all records once."""
        k = 0
        for body in bodies:
            for m in range(1, len(records) - k + 1):
                if frame(records[k:k + m]) == body:
                    k += m
                    break
            else:
                self.fail(f"body is not the exact serialisation of records {k}..: {body[:200]!r}")
        self.assertEqual(k, len(records), "records missing from the bodies")


class HttpOutput(ReplayTest):
    # ---- delivery --------------------------------------------------------

    def test_each_format_exact_bodies_with_and_without_gzip(self):
        frames = {
            "json_lines": (lambda recs: b"".join(r + b"\n" for r in recs), "application/x-ndjson"),
            "json_array": (lambda recs: b"[" + b",".join(recs) + b"]", "application/json"),
            "raw_lines": (lambda recs: b"".join(r + b"\n" for r in recs), "text/plain"),
        }
        for fmt, (frame, ctype) in frames.items():
            for comp in ("none", "gzip"):
                with self.subTest(format=fmt, compression=comp):
                    self.rx.stop()
                    self.rx = Receiver()
                    if os.path.exists(os.path.join(self.dir, "twin.json")):
                        os.unlink(os.path.join(self.dir, "twin.json"))
                    cfg = self.config({"web": self.http(f"format: {fmt}, compression: {comp}",
                                                        batch="max_records: 10")})
                    err = self.replay(cfg)
                    self.assertIn(f"{len(LINES)} messages finished, 0 left undelivered", err)
                    self.assertEqual(summary(err, "web")["delivered"], len(LINES))
                    reqs = self.rx.requests
                    self.assertGreaterEqual(len(reqs), 3)  # batches of at most 10
                    for r in reqs:
                        self.assertEqual((r.method, r.path), ("POST", "/ingest"))
                        self.assertEqual(r.headers.get("content-type"), ctype)
                        self.assertEqual(int(r.headers["content-length"]), len(r.wire))
                        if comp == "gzip":
                            self.assertEqual(r.headers.get("content-encoding"), "gzip")
                            self.assertEqual(r.wire[:2], b"\x1f\x8b")
                        else:
                            self.assertNotIn("content-encoding", r.headers)
                            self.assertEqual(r.wire, r.body)
                    records = [l.encode() for l in LINES] if fmt == "raw_lines" else self.twin_lines()
                    self.assertEqual(len(records), len(LINES))
                    self.assert_slices([r.body for r in reqs], records, frame)
                    # one kept-alive connection carried every request
                    self.assertEqual(self.rx.connections, 1)

    def test_gzip_compression_level(self):
        """compression_level reaches zlib: the gzip header's XFL byte says which level made the body
        (4: level 1, fastest; 0: the default 6; 2: level 9, best), and every body still decodes to
        the exact records."""
        for level, xfl in ((1, 4), (None, 0), (9, 2)):
            with self.subTest(level=level):
                self.rx.stop()
                self.rx = Receiver()
                if os.path.exists(os.path.join(self.dir, "twin.json")):
                    os.unlink(os.path.join(self.dir, "twin.json"))
                opts = "compression: gzip" + (f", compression_level: {level}" if level else "")
                cfg = self.config({"web": self.http(opts, batch="max_records: 10")})
                err = self.replay(cfg)
                self.assertEqual(summary(err, "web")["delivered"], len(LINES))
                reqs = self.rx.requests
                self.assertGreaterEqual(len(reqs), 3)
                for r in reqs:
                    self.assertEqual(r.wire[:2], b"\x1f\x8b")
                    self.assertEqual(r.wire[8], xfl, f"XFL of a body sent with compression_level {level}")
                self.assert_slices([r.body for r in reqs], self.twin_lines(),
                                   lambda recs: b"".join(x + b"\n" for x in recs))
        # out of range: refused at start, naming the option and the range
        rc, out = self.check({"web": self.http("compression: gzip, compression_level: 10")})
        self.assertEqual(rc, 1, out)
        self.assertIn("key 'compression_level': '10' is out of range (allowed 1..9)", out)

    def test_method_headers_and_bearer_token_never_logged(self):
        token = "tok-" + "s3cr3t" * 4
        tokfile = self.write("token.txt", token + "\n")
        cfg = self.config({"web": self.http(
            f"method: PUT, content_type: application/vnd.logs+json, "
            f"headers: {{X-Tenant: '${{env:LR_HTTP_TEST_TENANT}}', X-Empty: ''}}, "
            f"auth: {{bearer: {{token: '${{file:{tokfile}}}'}}}}")}, twin=False, agent="log_level: debug")
        err = self.replay(cfg, env={"LR_HTTP_TEST_TENANT": "team-a"})
        reqs = self.rx.requests
        self.assertTrue(reqs)
        for r in reqs:
            self.assertEqual(r.method, "PUT")
            self.assertEqual(r.headers.get("authorization"), f"Bearer {token}")
            self.assertEqual(r.headers.get("x-tenant"), "team-a")
            self.assertEqual(r.headers.get("x-empty"), "")
            self.assertEqual(r.headers.get("content-type"), "application/vnd.logs+json")
            self.assertNotIn("expect", r.headers)
        self.assertNotIn("s3cr3t", err)

    def test_basic_auth_and_url_credentials_hidden(self):
        cfg = self.config({"web": self.http("auth: {basic: {user: shipper, password: 'pa:ss w0rd'}}")}, twin=False)
        err = self.replay(cfg)
        want = "Basic " + base64.b64encode(b"shipper:pa:ss w0rd").decode()
        self.assertTrue(self.rx.requests)
        for r in self.rx.requests:
            self.assertEqual(r.headers.get("authorization"), want)
        self.assertNotIn("w0rd", err)
        # credentials written into the URL never reach the log either, even when the output fails
        down = f"http://user:hunter2@127.0.0.1:{unused_port()}/x"
        cfg = self.config({"web": self.http("", url=down)}, twin=False, agent="log_level: debug")
        err = self.replay(cfg, lines=LINES[:2], args=("--timeout", "500ms"), want_rc=1)
        self.assertIn("connection error", err)
        self.assertNotIn("hunter2", err)

    # ---- failures --------------------------------------------------------

    def test_503_then_recovery_loses_and_duplicates_nothing(self):
        self.rx.script(status(503, "busy"), status(503, "busy"), status(503, "still busy"))
        lines = [f"record {i:03d}" for i in range(30)]
        cfg = self.config({"web": self.http("format: raw_lines", batch="max_records: 10")},
                          twin=False)
        err = self.replay(cfg, lines=lines)
        reqs = self.rx.requests
        failed = [r for r in reqs if r.answered == 503]
        ok = [r for r in reqs if r.answered == 200]
        self.assertEqual(len(failed), 3)
        # the delivered bodies hold every record exactly once, in order
        self.assertEqual(b"".join(r.body for r in ok), "".join(l + "\n" for l in lines).encode())
        # the only repeats are the failed batch, sent again until it went through
        self.assertTrue(all(r.body == failed[0].body for r in failed))
        self.assertIn(failed[0].body, [r.body for r in ok])
        s = summary(err, "web")
        self.assertEqual((s["delivered"], s["failed"], s["left"]), (30, 0, 0))
        self.assertEqual(s["retried"], 3 * failed[0].body.count(b"\n"))
        self.assertIn("HTTP 503: busy", err)

    def test_429_retry_after_seconds_and_http_date(self):
        # the date is written when the receiver answers: two seconds ahead, in whole seconds
        date = lambda: email.utils.formatdate(time.time() + 2, usegmt=True)  # noqa: E731
        self.rx.script(status(429, "slow down", {"Retry-After": "1"}),
                       status(429, "slow down", {"Retry-After": date}))
        cfg = self.config({"web": self.http()}, twin=False)
        err = self.replay(cfg, lines=LINES[:5])
        reqs = self.rx.requests
        self.assertEqual([r.answered for r in reqs], [429, 429, 200])
        # retry.max is 200ms: only the server's Retry-After explains these gaps
        self.assertGreaterEqual(reqs[1].time - reqs[0].time, 0.95)
        # an HTTP-date two seconds ahead (whole seconds): at least one second
        self.assertGreaterEqual(reqs[2].time - reqs[1].time, 0.95)
        self.assertEqual(reqs[2].body, reqs[0].body)
        self.assertEqual(summary(err, "web")["delivered"], 5)

    def test_400_dead_letters_with_status_and_body_excerpt(self):
        body = '{"error":{"type":"mapper_parsing_exception",\n"reason":"failed to parse field [status]"}}'
        self.rx.script(status(400, body))
        lines = LINES[:12]
        cfg = self.config({"web": self.http(batch="max_records: 5")})
        err = self.replay(cfg, lines=lines)
        dead = self.deadletters("web")
        self.assertEqual(len(dead), 5)
        want = 'HTTP 400: {"error":{"type":"mapper_parsing_exception", "reason":"failed to parse field [status]"}}'
        records = [json.loads(l) for l in self.twin_lines()]
        for entry, rec in zip(dead, records[:5]):
            self.assertEqual(entry["output"], "web")
            self.assertEqual(entry["reason"], want)
            self.assertEqual(entry["attempts"], 1)  # permanent: never retried
            self.assertEqual(entry["record"], rec)
        # the records after the rejected batch were delivered, and the rejected one was sent once
        reqs = self.rx.requests
        self.assertEqual([r.answered for r in reqs].count(400), 1)
        delivered = [json.loads(l) for r in reqs if r.answered == 200 for l in r.body.splitlines()]
        self.assertEqual(delivered, records[5:])
        s = summary(err, "web")
        self.assertEqual((s["delivered"], s["deadlettered"], s["left"]), (7, 5, 0))
        self.assertIn(f"{len(lines)} messages finished, 0 left undelivered", err)

    def test_hanging_receiver_times_out_and_retries(self):
        self.rx.script(hang())
        cfg = self.config({"web": self.http("timeout: 400ms")})
        err = self.replay(cfg, lines=LINES[:6])
        reqs = self.rx.requests
        self.assertEqual([r.answered for r in reqs], ["hang", 200])
        self.assertEqual(reqs[1].body, reqs[0].body)
        self.assertGreaterEqual(reqs[1].time - reqs[0].time, 0.3)  # waited for the timeout
        self.assertIn("timeout: ", err)
        self.assertEqual(summary(err, "web")["delivered"], 6)
        self.assertEqual(self.rx.connections, 2)  # the timed-out connection is not reused

    def test_connection_closed_without_answer_is_retried(self):
        self.rx.script(close(), close())
        cfg = self.config({"web": self.http("format: json_array")})
        err = self.replay(cfg, lines=LINES[:4])
        reqs = self.rx.requests
        self.assertEqual([r.answered for r in reqs], ["close", "close", 200])
        self.assertEqual(reqs[2].body, b"[" + b",".join(self.twin_lines()) + b"]")
        self.assertIn("connection error: ", err)
        s = summary(err, "web")
        self.assertEqual((s["delivered"], s["retried"], s["left"]), (4, 8, 0))

    def test_one_output_down_the_other_delivers_everything(self):
        lines = [f"event {i}" for i in range(300)]
        cfg = self.config({
            "up": self.http("format: raw_lines", batch="max_records: 50"),
            "down": self.http(batch="max_records: 50",
                              url=f"http://127.0.0.1:{unused_port()}/ingest"),
        }, twin=False)
        err = self.replay(cfg, lines=lines, args=("--timeout", "5s"), want_rc=1)
        # the healthy output got every record exactly once while the other kept failing
        self.assertEqual(b"".join(r.body for r in self.rx.requests), "".join(l + "\n" for l in lines).encode())
        up, down = summary(err, "up"), summary(err, "down")
        self.assertEqual((up["delivered"], up["left"]), (300, 0))
        self.assertEqual((down["delivered"], down["deadlettered"], down["left"]), (0, 0, 300))
        self.assertGreater(down["retried"], 0)
        self.assertIn("connection error", err)
        # a record is finished only when every output it went to has it: all 300 wait for `down`
        self.assertIn("0 messages finished, 300 left undelivered", err)

    def test_max_body_bytes_splits_batches_and_rejects_oversized_records(self):
        lines = [f"{i:04d} " + "y" * 95 for i in range(40)] + ["z" * 2000] + ["tail"]
        cfg = self.config({"web": self.http("format: raw_lines, max_body_bytes: 1KiB",
                                            batch="max_records: 100, timeout: 200ms")}, twin=False)
        err = self.replay(cfg, lines=lines)
        reqs = self.rx.requests
        self.assertGreater(len(reqs), 4)
        for r in reqs:
            self.assertLessEqual(len(r.body), 1024)
        small = [l for l in lines if len(l) < 1000]
        self.assertEqual(b"".join(r.body for r in reqs), "".join(l + "\n" for l in small).encode())
        dead = self.deadletters("web")
        self.assertEqual(len(dead), 1)
        self.assertEqual(dead[0]["record"]["message"], "z" * 2000)
        self.assertIn("max_body_bytes", dead[0]["reason"])
        self.assertEqual(summary(err, "web")["delivered"], len(small))

    def test_several_workers_each_keep_one_connection(self):
        lines = [f"w {i}" for i in range(600)]
        cfg = self.config({"web": self.http("format: raw_lines, workers: 3", batch="max_records: 20")}, twin=False)
        err = self.replay(cfg, lines=lines)
        got = sorted(l for r in self.rx.requests for l in r.body.decode().splitlines())
        self.assertEqual(got, sorted(lines))
        self.assertLessEqual(self.rx.connections, 3)
        self.assertEqual(summary(err, "web")["delivered"], 600)

    # ---- start-up checks ---------------------------------------------------

    def check(self, outputs):
        cfg = self.config(outputs, twin=False)
        p = subprocess.run([LOGRELAY, "check", "-c", cfg], capture_output=True, timeout=60)
        return p.returncode, p.stdout.decode() + p.stderr.decode()

    def test_startup_checks(self):
        rc, out = self.check({"web": self.http("auth: {basic: {user: u, password: secretpw}, "
                                               "bearer: {token: secrettok}}")})
        self.assertEqual(rc, 1, out)
        self.assertIn("mutually exclusive", out)
        self.assertNotIn("secretpw", out)
        self.assertNotIn("secrettok", out)

        rc, out = self.check({"web": self.http("headers: {Authorization: 'Bearer abc'}")})
        self.assertEqual(rc, 1, out)
        self.assertIn("'Authorization' is set by the module", out)

        rc, out = self.check({"web": self.http("", url="ftp://example.net/x")})
        self.assertEqual(rc, 1, out)
        self.assertIn("must start with http:// or https://", out)

        rc, out = self.check({"web": self.http(f"tls: {{ca_file: {self.dir}/missing.pem}}",
                                               url="https://127.0.0.1:1/x")})
        self.assertEqual(rc, 1, out)
        self.assertIn("tls.ca_file: cannot read", out)

        rc, out = self.check({"insecure_sink": self.http("tls: {verify: false}", url="https://127.0.0.1:1/x")})
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r"WARN.*insecure_sink.*tls.verify is false")

    def test_readme_options_table_matches_describe(self):
        p = subprocess.run([LOGRELAY, "describe", "http", "--markdown"], capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        described = p.stdout.decode().split("## Options every output accepts")[0]
        rows = [l for l in described.splitlines() if l.startswith("| `")]
        self.assertGreater(len(rows), 10)
        readme = os.path.join(os.environ["LR_SRC"], "outputs", "http", "README.md")
        with open(readme) as f:
            options = f.read().split("## Options", 1)[1].split("\n## ", 1)[0]
        documented = [l for l in options.splitlines() if l.startswith("| `")]
        self.assertEqual(documented, rows)


def make_certs(d):
    """A throw-away CA, a server certificate for 127.0.0.1 and a client certificate (openssl CLI)."""
    def ossl(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True, timeout=60)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    ossl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=lr http test CA",
         "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"),
                      ("client", "extendedKeyUsage=clientAuth\n")):
        with open(os.path.join(d, name + ".ext"), "w") as f:
            f.write(ext)
        ossl("req", *ec, "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name)
        ossl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-days", "2", "-out", name + ".pem", "-extfile", name + ".ext")
    return {n: os.path.join(d, n) for n in ("ca.pem", "server.pem", "server.key", "client.pem", "client.key")}


@unittest.skipUnless(shutil.which("openssl"), "needs the openssl command to make test certificates")
class HttpsOutput(ReplayTest):
    """HTTPS: a private CA (tls.ca_file), mutual TLS (tls.cert_file/key_file), and TLS failures."""

    @classmethod
    def setUpClass(cls):
        cls.certdir = tempfile.TemporaryDirectory(prefix="lr-http-certs-")
        cls.certs = make_certs(cls.certdir.name)

    @classmethod
    def tearDownClass(cls):
        cls.certdir.cleanup()

    def tls_receiver(self, client_cert):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.certs["server.pem"], self.certs["server.key"])
        if client_cert:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(self.certs["ca.pem"])
        self.rx.stop()
        self.rx = Receiver(tls=ctx)

    def test_tls_private_ca_and_client_certificate(self):
        self.tls_receiver(client_cert=True)
        c = self.certs
        cfg = self.config({"web": self.http(f"format: raw_lines, tls: {{ca_file: {c['ca.pem']}, "
                                            f"cert_file: {c['client.pem']}, key_file: {c['client.key']}}}")})
        err = self.replay(cfg, lines=LINES[:10])
        self.assertEqual(b"".join(r.body for r in self.rx.requests), "".join(l + "\n" for l in LINES[:10]).encode())
        self.assertEqual(self.rx.connections, 1)
        self.assertEqual(summary(err, "web")["delivered"], 10)

    def test_tls_failures_are_retried(self):
        c = self.certs
        # the server wants a client certificate and gets none
        self.tls_receiver(client_cert=True)
        cfg = self.config({"web": self.http(f"tls: {{ca_file: {c['ca.pem']}}}")}, twin=False)
        err = self.replay(cfg, lines=LINES[:3], args=("--timeout", "1s"), want_rc=1)
        self.assertEqual(self.rx.requests, [])
        self.assertGreater(self.rx.tls_failures, 0)
        s = summary(err, "web")
        self.assertEqual((s["delivered"], s["deadlettered"], s["left"]), (0, 0, 3))
        self.assertGreater(s["retried"], 0)
        self.assertIn("connection error", err)
        # the server's certificate is not signed by a CA the client trusts
        self.tls_receiver(client_cert=False)
        cfg = self.config({"web": self.http()}, twin=False)
        err = self.replay(cfg, lines=LINES[:3], args=("--timeout", "1s"), want_rc=1)
        self.assertEqual(self.rx.requests, [])
        self.assertIn("connection error", err)
        self.assertIn("certificate", err)
        self.assertEqual(summary(err, "web")["left"], 3)

    def test_tls_verify_false_delivers_with_a_warning(self):
        self.tls_receiver(client_cert=False)
        cfg = self.config({"web": self.http("tls: {verify: false}")}, twin=False)
        err = self.replay(cfg, lines=LINES[:3])
        self.assertEqual(summary(err, "web")["delivered"], 3)
        self.assertRegex(err, r"WARN.*web.*tls.verify is false")


if __name__ == "__main__":
    unittest.main(verbosity=2)
