"""A scriptable HTTP receiver for the http output's runtime tests (stdlib only).

Runs in the test process, on 127.0.0.1 and a port the kernel picks, and
records every request: method, path, headers, the body as sent and the
body after undoing Content-Encoding: gzip. What it answers is a script:
a queue of actions, each used for one request, then a default action.

    status(code, body=b"", headers=None)  answer with that status (a header value
                                          may be a function, called when answering)
    hang()                                read the request, never answer
                                          (until the receiver stops)
    close()                               read the request, close the
                                          connection without an answer

    rx = Receiver()
    rx.script(status(503), status(503))   # two failures, then the default (200)
    ... rx.url("/ingest") ...
    rx.wait_for(lambda reqs: len(reqs) >= 3, timeout=10)
    rx.stop()

Receiver(tls=ssl_context) serves HTTPS instead (the context decides whether
a client certificate is required).
"""
import gzip
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def status(code, body=b"", headers=None):
    return ("status", code, body if isinstance(body, bytes) else body.encode(), dict(headers or {}))


def hang():
    return ("hang",)


def close():
    return ("close",)


class Request:
    """One request as the receiver saw it."""

    def __init__(self, method, path, headers, wire, answered):
        self.method = method
        self.path = path
        self.headers = headers  # lower-case name -> value
        self.wire = wire        # body bytes as sent
        self.answered = answered  # the action taken ("status" 200, "hang", "close")
        self.time = time.monotonic()
        enc = headers.get("content-encoding", "").lower()
        self.body = gzip.decompress(wire) if enc == "gzip" else wire

    def __repr__(self):
        return f"<{self.method} {self.path} {self.answered} {len(self.body)} bytes>"


class Receiver:
    def __init__(self, default=None, tls=None):
        self._lock = threading.Lock()
        self._actions = []
        self._default = default or status(200, b'{"ok":true}', {"Content-Type": "application/json"})
        self._requests = []
        self._stopping = threading.Event()
        self.connections = 0  # connections served (keep-alive shows as few)
        self.tls_failures = 0  # TLS handshakes that failed
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive

            def log_message(self, *args):
                pass

            def setup(self):
                if tls is not None:
                    # Handshake here, in the connection's own thread: a failed
                    # one ends only this connection (counted in tls_failures).
                    try:
                        self.request.do_handshake()
                    except (ssl.SSLError, OSError):
                        with receiver._lock:
                            receiver.tls_failures += 1
                        raise
                super().setup()
                with receiver._lock:
                    receiver.connections += 1

            def _body(self):
                if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                    data = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return data
                        data += self.rfile.read(size)
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _serve(self):
                wire = self._body()
                with receiver._lock:
                    action = receiver._actions.pop(0) if receiver._actions else receiver._default
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    answered = action[0] if action[0] != "status" else action[1]
                    receiver._requests.append(Request(self.command, self.path, headers, wire, answered))
                if action[0] == "hang":
                    receiver._stopping.wait()
                    self.close_connection = True
                    return
                if action[0] == "close":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                _, code, body, extra = action
                self.send_response(code)
                for name, value in extra.items():
                    self.send_header(name, str(value() if callable(value) else value))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_PUT = do_GET = _serve

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # failed handshakes and dropped connections are part of the tests

        self._server = Server(("127.0.0.1", 0), Handler)
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True,
                                                  do_handshake_on_connect=False)
        self.port = self._server.server_address[1]
        self.scheme = "https" if tls is not None else "http"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path="/ingest"):
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def script(self, *actions):
        """Answer the next requests with these actions, in order."""
        with self._lock:
            self._actions.extend(actions)

    def set_default(self, action):
        with self._lock:
            self._default = action

    @property
    def requests(self):
        with self._lock:
            return list(self._requests)

    def wait_for(self, predicate, timeout=10.0):
        """Wait until predicate(requests) is true; returns the requests."""
        deadline = time.monotonic() + timeout
        while True:
            reqs = self.requests
            if predicate(reqs):
                return reqs
            if time.monotonic() > deadline:
                raise AssertionError(f"receiver: condition not met within {timeout}s; requests: {reqs}")
            time.sleep(0.02)

    def stop(self):
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()


def unused_port():
    """A local port nothing listens on (connections to it are refused)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
