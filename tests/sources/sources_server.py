"""A tiny threaded HTTP server on 127.0.0.1 that the source tests give routes to.

Each route is a function of the request returning a :class:`Reply`; the server counts
requests per path so tests can assert retries, paging and cache hits. Nothing leaves the
machine.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
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
