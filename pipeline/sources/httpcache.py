"""HTTP GET with retries, deadlines, an on-disk cache and conditional requests.

Every remote request of the pipeline goes through :class:`HttpFetcher`:

* **Retries.** Connection errors, timeouts, HTTP 429 and 5xx are retried with exponential
  backoff (``Retry-After`` is honoured, capped); other 4xx fail at once.
* **Deadlines.** Every request must finish, retries and waits included, before the earlier
  of its own :class:`Deadline` (``download_deadline_s``) and the layer's
  (``layer_deadline_s``). The per-read ``timeout_s`` cannot bound a server that sends one
  byte every few seconds, and httpx has no overall timeout, so requests run on an
  ``httpx.AsyncClient`` inside ``asyncio.timeout``, which cancels the read in progress the
  moment the deadline passes (headers and body alike). The async client stays inside this
  class: callers see a plain blocking :meth:`HttpFetcher.get`.
* **Cache.** A response body is stored under ``cache_dir/http/<key>`` where ``key`` hashes the
  URL and its sorted query parameters (``<key>.body[.zip]``), with a JSON record
  (``<key>.meta.json``) of its validators (``ETag``, ``Last-Modified``), content type and
  sha256. A body is streamed to a ``.part`` file that is removed whenever the download does
  not complete; ``.part`` files of writers that no longer run (a killed run) are removed
  before the next download of the same key.
* **Conditional requests.** When a cached body exists its validators are sent
  (``If-None-Match`` / ``If-Modified-Since``); a ``304 Not Modified`` re-uses the cached bytes
  and their sha256, so an unchanged source is not downloaded again.
* **Error pages are not data.** A body is checked before it replaces the cached copy: an HTML
  page or an OGC ``ExceptionReport`` served with status 200 raises :class:`SourceError`.
* **Secrets.** ``${NAME}`` references in parameters and headers are resolved only for the
  request itself; every URL in an error, a cache record or a log record is the one the
  catalogue gave, scrubbed by :class:`~pipeline.sources.secrets.Secrets`.

The retry loop is hand-written (about twenty lines) rather than a dependency because it must
see both transport errors and status codes and honour ``Retry-After``; the cache is
hand-written because the pipeline needs the sha256 of the exact cached bytes and an explicit
"not modified" answer, which an RFC 9111 cache does not expose.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from pathlib import Path
from typing import Literal, TypedDict, cast

import httpx

from pipeline.fileio import sha256_file
from pipeline.sources.secrets import Secrets

#: What a body is expected to be; decides which error pages are recognised.
Expect = Literal["json", "xml", "file"]

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Headers kept in the cache record because readers need them later.
KEPT_HEADERS = ("content-type", "content-crs", "content-disposition", "etag", "last-modified")


class SourceError(RuntimeError):
    """A remote source answered with something that is not the data asked for.

    ``url`` is the request that failed, ``problem`` the cause in plain words. The caller turns
    it into a :class:`~pipeline.config.errors.LayerError` that also names the layer.
    """

    def __init__(self, url: str, problem: str) -> None:
        self.url = url
        self.problem = problem
        super().__init__(f"{url}: {problem}")


@dataclass(frozen=True)
class HttpPolicy:
    """Timeouts and retry schedule.

    Parameters
    ----------
    attempts
        Tries per request, the first included.
    backoff_s
        Wait before the second try; doubles each time up to ``max_backoff_s``.
    max_backoff_s
        Longest wait, also the cap on a server's ``Retry-After``.
    timeout_s
        Connect/read timeout of one network operation; None uses the catalogue's
        ``timeout_s``.
    user_agent
        The ``User-Agent`` header of every request.
    """

    attempts: int = 4
    backoff_s: float = 1.0
    max_backoff_s: float = 30.0
    timeout_s: float | None = None
    user_agent: str = "landuse-conflicts/0.1 (land-use conflict pipeline)"

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds to wait after failed try number ``attempt`` (1-based)."""
        wait = self.backoff_s * 2 ** (attempt - 1)
        server = _parse_retry_after(retry_after)
        if server is not None:
            wait = max(wait, server)
        return min(wait, self.max_backoff_s)


DEFAULT_POLICY = HttpPolicy()


def _parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


@dataclass(frozen=True)
class CachedBody:
    """A response body on disk.

    ``url`` is the request as the catalogue or the server gave it (``${NAME}`` references
    unresolved): the base for relative links. ``shown`` is ``url`` with secrets scrubbed,
    for messages. ``not_modified`` is True when the server answered 304 and the cached bytes
    were re-used.
    """

    url: str
    shown: str
    path: Path
    sha256: str
    headers: dict[str, str]
    not_modified: bool

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def json(self) -> object:
        """The body parsed as JSON; a parse failure is a :class:`SourceError`."""
        try:
            return json.loads(self.path.read_bytes())
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SourceError(self.shown, f"response is not valid JSON ({exc})") from exc


def cache_key(url: str, params: Mapping[str, str] | None = None) -> str:
    """Key of a request in the cache: sha256 of the URL with its query sorted."""
    full = with_params(url, params)
    query = sorted(httpx.QueryParams(full.query).multi_items())
    canonical = str(full.copy_with(query=None)) + "?" + "&".join(f"{k}={v}" for k, v in query)
    return hashlib.sha256(canonical.encode()).hexdigest()


def with_params(url: str, params: Mapping[str, str] | None) -> httpx.URL:
    """``url`` with ``params`` added to the query it already has (a ``next`` link's)."""
    base = httpx.URL(url)
    return base.copy_merge_params(dict(params)) if params else base


_EXCEPTION_TEXT = re.compile(rb"<(?:\w+:)?ExceptionText[^>]*>(.*?)</(?:\w+:)?ExceptionText>", re.S)
_SNIFF_BYTES = 8192


def check_body(url: str, content_type: str, head: bytes, expect: Expect) -> None:
    """Raise :class:`SourceError` when a 200 response is an error page, not the data.

    ``head`` is the start of the body. An OGC ``ExceptionReport`` is always an error; an HTML
    page (by content type or by its first bytes) is an error for every expectation; for
    ``json`` any body starting with ``<`` is.
    """
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:_SNIFF_BYTES]
    lowered = start[:512].lower()
    if b"exceptionreport" in lowered or b"serviceexceptionreport" in lowered:
        texts = [t.decode("utf-8", "replace").strip() for t in _EXCEPTION_TEXT.findall(start)]
        detail = "; ".join(t for t in texts if t) or start[:300].decode("utf-8", "replace")
        raise SourceError(url, f"service answered with an OGC exception: {detail}")
    is_html = "text/html" in content_type.lower() or lowered.startswith((b"<!doctype", b"<html"))
    if is_html:
        raise SourceError(
            url,
            f"expected {_WHAT[expect]} but the server sent an HTML page "
            f"(content-type '{content_type or 'none'}', starting {_snippet(start)})",
        )
    if expect == "json" and start.startswith(b"<"):
        raise SourceError(
            url,
            f"expected JSON but the server sent XML/markup "
            f"(content-type '{content_type or 'none'}', starting {_snippet(start)})",
        )


_WHAT: dict[Expect, str] = {"json": "JSON", "xml": "an XML document", "file": "a data file"}


def _snippet(data: bytes) -> str:
    text = " ".join(data[:120].decode("utf-8", "replace").split())
    return repr(text)


@dataclass(frozen=True)
class Deadline:
    """A moment (``time.monotonic()``) by which a fetch must be done, and the key that set it."""

    at: float
    seconds: float
    key: str

    @classmethod
    def after(cls, seconds: float, key: str) -> Deadline:
        """The deadline ``seconds`` from now, set by catalogue key ``key``."""
        return cls(time.monotonic() + seconds, seconds, key)

    def remaining(self) -> float:
        """Seconds left; zero or less once it has passed."""
        return self.at - time.monotonic()

    def describe(self) -> str:
        """E.g. ``deadline of 1800 s (download_deadline_s)``."""
        return f"deadline of {self.seconds:g} s ({self.key})"


class HttpFetcher:
    """GET requests through the retry loop, the deadlines and the on-disk cache.

    Parameters
    ----------
    client
        The ``httpx.AsyncClient`` to send with, used only through ``runner``.
    runner
        The event loop every request runs on (one per fetch session).
    cache_dir
        Root of the cache; bodies go to ``cache_dir/http``.
    secrets
        The source's secrets: resolves ``${NAME}`` and scrubs every shown URL.
    headers
        Headers of every request (the catalogue's ``headers``, unresolved).
    download_deadline_s
        Deadline of one request, its retries and waits included.
    deadline
        The layer's deadline; no request runs past it.
    policy
        Retry schedule and timeouts.

    Raises
    ------
    ValueError
        When a header value taken from the environment holds a line break.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        runner: asyncio.Runner,
        cache_dir: Path,
        *,
        secrets: Secrets,
        headers: Mapping[str, str],
        download_deadline_s: float,
        deadline: Deadline,
        policy: HttpPolicy = DEFAULT_POLICY,
    ) -> None:
        self.client = client
        self.runner = runner
        self.root = cache_dir / "http"
        self.secrets = secrets
        self.headers = _one_line(secrets.resolved(headers))
        self.download_deadline_s = download_deadline_s
        self.deadline = deadline
        self.policy = policy

    def get(
        self,
        url: str,
        params: Mapping[str, str] | None = None,
        *,
        expect: Expect,
        headers: Mapping[str, str] | None = None,
        suffix: str | Callable[[Mapping[str, str]], str] = "",
    ) -> CachedBody:
        """GET ``url`` with ``params``; a conditional request when a cached copy exists.

        ``${NAME}`` references in ``params`` values are resolved for the request only.
        ``suffix`` is appended to the cached file's name (``.zip``) so GDAL recognises it; a
        callable gets the response headers (lower-case names) and returns it.

        Raises
        ------
        SourceError
            On a non-retryable HTTP status, when retries are exhausted, when the deadline
            passes, or when the body is an error page.
        """
        given = str(with_params(url, params))
        shown = self.secrets.scrub(given)
        own = Deadline.after(self.download_deadline_s, "download_deadline_s")
        deadline = min(own, self.deadline, key=lambda d: d.at)
        request = _Request(
            str(with_params(url, self.secrets.resolved(params or {}))),
            given,
            shown,
            cache_key(url, params),
            {**self.headers, **(headers or {})},
            deadline,
        )
        return self.runner.run(self._within(request, self._get(request, expect, suffix)))

    async def _within(self, request: _Request, work: Awaitable[CachedBody]) -> CachedBody:
        """``work`` cancelled, as a :class:`SourceError`, when the request's deadline passes."""
        try:
            async with asyncio.timeout(request.deadline.remaining()) as scope:
                return await work
        except TimeoutError as exc:
            if not scope.expired():
                raise
            raise SourceError(
                request.shown,
                f"no complete answer within the {request.deadline.describe()}: the server "
                "is too slow or drip-feeds its answer",
            ) from exc

    async def _get(
        self, request: _Request, expect: Expect, suffix: str | Callable[[Mapping[str, str]], str]
    ) -> CachedBody:
        self.root.mkdir(parents=True, exist_ok=True)
        remove_stale_parts(self.root, request.key)
        record_path = self.root / f"{request.key}.meta.json"
        record = _read_record(record_path)
        send_headers = dict(request.headers)
        if record is not None and Path(record["path"]).exists():
            if record["headers"].get("etag"):
                send_headers["If-None-Match"] = record["headers"]["etag"]
            if record["headers"].get("last-modified"):
                send_headers["If-Modified-Since"] = record["headers"]["last-modified"]
        tmp = self.root / f"{request.key}.{os.getpid()}.{threading.get_ident()}.part"
        try:
            status, got_headers = await self._send(request, send_headers, tmp)
            if status == 304:
                if record is None:
                    raise SourceError(
                        request.shown, "server answered 304 to an unconditional request"
                    )
                return CachedBody(
                    request.given,
                    request.shown,
                    Path(record["path"]),
                    record["sha256"],
                    record["headers"],
                    True,
                )
            with tmp.open("rb") as handle:
                head = handle.read(_SNIFF_BYTES)
            check_body(request.shown, got_headers.get("content-type", ""), head, expect)
            ending = suffix(got_headers) if callable(suffix) else suffix
            body_path = self.root / f"{request.key}.body{ending}"
            digest = sha256_file(tmp)
            os.replace(tmp, body_path)
        finally:
            tmp.unlink(missing_ok=True)
        kept = {k: got_headers[k] for k in KEPT_HEADERS if k in got_headers}
        _write_record(
            record_path,
            {"url": request.shown, "path": str(body_path), "sha256": digest, "headers": kept},
        )
        return CachedBody(request.given, request.shown, body_path, digest, kept, False)

    async def _send(
        self, request: _Request, headers: Mapping[str, str], dest: Path
    ) -> tuple[int, dict[str, str]]:
        """One GET with retries; a 200 body is streamed to ``dest``. Returns status, headers."""
        all_headers = {"User-Agent": self.policy.user_agent, **headers}
        attempts = max(1, self.policy.attempts)
        for attempt in range(1, attempts + 1):
            try:
                async with self.client.stream("GET", request.url, headers=all_headers) as response:
                    status = response.status_code
                    got = {k.lower(): v for k, v in response.headers.items()}
                    if status == 200:
                        with dest.open("wb") as out:
                            async for chunk in response.aiter_bytes():
                                out.write(chunk)
                        return status, got
            except httpx.TransportError as exc:
                failure = f"{type(exc).__name__}: {self.secrets.scrub(str(exc)) or 'no detail'}"
                if attempt == attempts:
                    raise SourceError(
                        request.shown, f"{failure} (gave up after {attempts} attempts)"
                    ) from exc
                await self._wait(request, self.policy.delay(attempt), failure)
                continue
            if status == 304:
                return status, got
            failure = f"HTTP {status} {_reason(status)}"
            if status in RETRY_STATUSES and attempt < attempts:
                await self._wait(
                    request, self.policy.delay(attempt, got.get("retry-after")), failure
                )
                continue
            tried = f" (gave up after {attempts} attempts)" if status in RETRY_STATUSES else ""
            raise SourceError(request.shown, failure + tried)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _wait(self, request: _Request, seconds: float, failure: str) -> None:
        """Wait before the next try, or fail now if the wait would pass the deadline."""
        if seconds >= request.deadline.remaining():
            raise SourceError(
                request.shown,
                f"{failure}; a retry in {seconds:g} s would pass the {request.deadline.describe()}",
            )
        await asyncio.sleep(seconds)


@dataclass(frozen=True)
class _Request:
    """One GET: ``url`` as sent (secrets resolved), ``given`` and ``shown`` for the caller."""

    url: str
    given: str
    shown: str
    key: str
    headers: dict[str, str]
    deadline: Deadline


def _one_line(headers: dict[str, str]) -> dict[str, str]:
    for name, value in headers.items():
        if any(ch in value for ch in "\r\n\x00"):
            raise ValueError(f"header '{name}' holds a line break or NUL once resolved")
    return headers


def remove_stale_parts(folder: Path, key: str) -> None:
    """Delete the ``.part`` files of ``key`` whose writer no longer runs (a killed run).

    A ``.part`` file is named ``<key>.<pid>.<thread id>.part``; one whose process is gone,
    or whose thread in this process has ended, can never be completed.
    """
    live_threads = {thread.ident for thread in threading.enumerate()}
    for part in folder.glob(f"{key}.*.part"):
        pid, _, thread = part.name[len(key) + 1 : -len(".part")].partition(".")
        if not (pid.isdigit() and thread.isdigit()) or _writer_gone(
            int(pid), int(thread), live_threads
        ):
            part.unlink(missing_ok=True)


def _writer_gone(pid: int, thread: int, live_threads: set[int | None]) -> bool:
    if pid == os.getpid():
        return thread not in live_threads
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # a live process of another user
        return False
    return False


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class _Record(TypedDict):
    url: str
    path: str
    sha256: str
    headers: dict[str, str]


def _read_record(path: Path) -> _Record | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict) or not {"path", "sha256", "headers"} <= data.keys():
        return None
    return cast(_Record, data)


def _write_record(path: Path, record: _Record) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(record, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def make_client(timeout_s: float, policy: HttpPolicy = DEFAULT_POLICY) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` with the per-operation timeout; redirects are followed."""
    timeout = httpx.Timeout(policy.timeout_s or timeout_s)
    return httpx.AsyncClient(timeout=timeout, follow_redirects=True)
