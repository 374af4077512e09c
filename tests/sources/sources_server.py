"""Tiny servers on 127.0.0.1 for the source tests; nothing leaves the machine.

:class:`FakeServer` is a threaded HTTP server that tests give routes to: each route is a
function of the request returning a :class:`Reply`, and the server counts requests per path
so tests can assert retries, paging and cache hits. :class:`DripServer` answers slowly on
purpose, one byte at a time, and stops by itself.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from pipeline.sources.httpcache import HttpPolicy

#: Retries without waiting, so failure tests stay fast.
FAST = HttpPolicy(attempts=3, backoff_s=0.01, max_backoff_s=0.05, timeout_s=5.0)


@dataclass
class Request:
    """What a route sees: path, query (keys lower-cased, last value wins), headers."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


Route = Callable[[Request], Reply]


class FakeServer:
    """Routes by exact path; unknown paths answer 404."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                request = Request(
                    parts.path,
                    {k.lower(): v for k, v in parse_qsl(parts.query, keep_blank_values=True)},
                    {k.lower(): v for k, v in self.headers.items()},
                )
                with server.lock:
                    server.hits[parts.path] += 1
                    server.requests.append(request)
                    route = server.routes.get(parts.path)
                reply = route(request) if route else Reply(404, b"not found")
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if reply.status != 304:
                    self.wfile.write(reply.body)

            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str, handler: Route) -> str:
        """Serve ``handler`` at ``path``; returns the full URL."""
        self.routes[path] = handler
        return self.url(path)

    def count(self, path: str) -> int:
        with self.lock:
            return self.hits[path]

    def queries(self, path: str) -> list[dict[str, str]]:
        with self.lock:
            return [r.query for r in self.requests if r.path == path]


def start_server() -> FakeServer:
    """A running :class:`FakeServer` on a free port; call ``stop()`` when done."""
    fake = FakeServer()
    fake.thread.start()
    return fake


@contextmanager
def running_server() -> Iterator[FakeServer]:
    """A :class:`FakeServer` for the duration of the block (a test module's fixture)."""
    fake = start_server()
    try:
        yield fake
    finally:
        fake.stop()


def points(n: int, start: int = 0) -> list[dict[str, object]]:
    """GeoJSON features in SWEREF 99 TM with Swedish names and 7-digit text ids."""
    return [
        {
            "type": "Feature",
            "properties": {"nvrid": f"{2001000 + i}", "namn": f"Reservat {i} Ålsäter"},
            "geometry": {"type": "Point", "coordinates": [320_000 + 10 * i, 6_400_000 + 10 * i]},
        }
        for i in range(start, start + n)
    ]


class DripServer:
    """Answers every connection one byte per ``interval_s``; a server no read timeout trips.

    With ``headers_done`` the status line and headers arrive at once and the body drips
    (``Content-Length`` promises ``max_bytes``); without, the headers themselves drip and
    never end. Bounded: each answer stops after ``max_bytes`` bytes or when the client goes
    away, and the server accepts nothing after ``lifetime_s`` or :meth:`stop`.
    """

    def __init__(
        self,
        *,
        headers_done: bool = True,
        interval_s: float = 0.1,
        max_bytes: int = 100,
        lifetime_s: float = 20.0,
    ) -> None:
        self.headers_done = headers_done
        self.interval_s = interval_s
        self.max_bytes = max_bytes
        self.stopping = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.deadline = time.monotonic() + lifetime_s
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)
        self.listener.close()

    def _accept(self) -> None:
        while not self.stopping.is_set() and time.monotonic() < self.deadline:
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {self.max_bytes}\r\n".encode()
        with conn:
            conn.recv(65536)
            try:
                if self.headers_done:
                    conn.sendall(head + b"Content-Type: application/zip\r\n\r\n")
                    dribble = b"P" * self.max_bytes
                else:
                    dribble = (head + b"X-Slow: " + b"z" * self.max_bytes)[: self.max_bytes]
                for byte in dribble:
                    if self.stopping.is_set():
                        return
                    conn.sendall(bytes([byte]))
                    time.sleep(self.interval_s)
            except OSError:  # the client gave up: the point of the test
                return
