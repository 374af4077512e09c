"""HTTP GET with retries, an on-disk cache and conditional requests.

Every remote request of the pipeline goes through :class:`HttpFetcher`:

* **Retries.** Connection errors, timeouts, HTTP 429 and 5xx are retried with exponential
  backoff (``Retry-After`` is honoured, capped); other 4xx fail at once.
* **Cache.** A response body is stored under ``cache_dir/http/<key>`` where ``key`` hashes the
  URL and its sorted query parameters (``<key>.body[.zip]``), with a JSON record
  (``<key>.meta.json``) of its validators
  (``ETag``, ``Last-Modified``), content type and sha256.
* **Conditional requests.** When a cached body exists its validators are sent
  (``If-None-Match`` / ``If-Modified-Since``); a ``304 Not Modified`` re-uses the cached bytes
  and their sha256, so an unchanged source is not downloaded again.
* **Error pages are not data.** A body is checked before it replaces the cached copy: an HTML
  page or an OGC ``ExceptionReport`` served with status 200 raises :class:`SourceError`.

The retry loop is hand-written (about twenty lines) rather than a dependency because it must
see both transport errors and status codes and honour ``Retry-After``; the cache is
hand-written because the pipeline needs the sha256 of the exact cached bytes and an explicit
"not modified" answer, which an RFC 9111 cache does not expose.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from pathlib import Path
from typing import Literal, TypedDict, cast

import httpx

from pipeline.fileio import sha256_file

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
        Connect/read timeout of one try; None uses the catalogue's ``timeout_s``.
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

    ``not_modified`` is True when the server answered 304 and the cached bytes were re-used.
    """

    url: str
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
            raise SourceError(self.url, f"response is not valid JSON ({exc})") from exc


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


class HttpFetcher:
    """GET requests through the retry loop and the on-disk cache.

    Parameters
    ----------
    client
        The ``httpx.Client`` to send with (tests may pass one with a mock transport).
    cache_dir
        Root of the cache; bodies go to ``cache_dir/http``.
    policy
        Retry schedule and timeouts.
    sleep
        Called to wait between tries (tests pass a recorder instead of ``time.sleep``).
    """

    def __init__(
        self,
        client: httpx.Client,
        cache_dir: Path,
        policy: HttpPolicy = DEFAULT_POLICY,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.root = cache_dir / "http"
        self.policy = policy
        self.sleep = sleep

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

        ``suffix`` is appended to the cached file's name (``.zip``) so GDAL recognises it; a
        callable gets the response headers (lower-case names) and returns it.

        Raises
        ------
        SourceError
            On a non-retryable HTTP status, when retries are exhausted, or when the body is an
            error page.
        """
        request_url = str(with_params(url, params))
        key = cache_key(url, params)
        self.root.mkdir(parents=True, exist_ok=True)
        record_path = self.root / f"{key}.meta.json"
        record = _read_record(record_path)
        send_headers = dict(headers or {})
        if record is not None and Path(record["path"]).exists():
            if record["headers"].get("etag"):
                send_headers["If-None-Match"] = record["headers"]["etag"]
            if record["headers"].get("last-modified"):
                send_headers["If-Modified-Since"] = record["headers"]["last-modified"]
        tmp = self.root / f"{key}.{os.getpid()}.{threading.get_ident()}.part"  # per writer
        status, got_headers = self._send(request_url, send_headers, tmp)
        if status == 304:
            if record is None:
                raise SourceError(request_url, "server answered 304 to an unconditional request")
            return CachedBody(
                request_url, Path(record["path"]), record["sha256"], record["headers"], True
            )
        with tmp.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
        try:
            check_body(request_url, got_headers.get("content-type", ""), head, expect)
        except SourceError:
            tmp.unlink(missing_ok=True)
            raise
        ending = suffix(got_headers) if callable(suffix) else suffix
        body_path = self.root / f"{key}.body{ending}"
        digest = sha256_file(tmp)
        os.replace(tmp, body_path)
        kept = {k: got_headers[k] for k in KEPT_HEADERS if k in got_headers}
        _write_record(
            record_path,
            {"url": request_url, "path": str(body_path), "sha256": digest, "headers": kept},
        )
        return CachedBody(request_url, body_path, digest, kept, False)

    def _send(self, url: str, headers: Mapping[str, str], dest: Path) -> tuple[int, dict[str, str]]:
        """One GET with retries; a 200 body is streamed to ``dest``. Returns status, headers."""
        all_headers = {"User-Agent": self.policy.user_agent, **headers}
        attempts = max(1, self.policy.attempts)
        for attempt in range(1, attempts + 1):
            try:
                with self.client.stream("GET", url, headers=all_headers) as response:
                    status = response.status_code
                    got = {k.lower(): v for k, v in response.headers.items()}
                    if status == 200:
                        with dest.open("wb") as out:
                            for chunk in response.iter_bytes(1 << 20):
                                out.write(chunk)
                        return status, got
            except httpx.TransportError as exc:
                dest.unlink(missing_ok=True)
                if attempt == attempts:
                    raise SourceError(
                        url,
                        f"{type(exc).__name__}: {exc or 'no detail'} "
                        f"(gave up after {attempts} attempts)",
                    ) from exc
                self.sleep(self.policy.delay(attempt))
                continue
            if status == 304:
                return status, got
            if status in RETRY_STATUSES and attempt < attempts:
                self.sleep(self.policy.delay(attempt, got.get("retry-after")))
                continue
            tried = f" (gave up after {attempts} attempts)" if status in RETRY_STATUSES else ""
            raise SourceError(url, f"HTTP {status} {_reason(status)}{tried}")
        raise AssertionError("unreachable")  # pragma: no cover


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


def make_client(timeout_s: float, policy: HttpPolicy = DEFAULT_POLICY) -> httpx.Client:
    """An ``httpx.Client`` with the pipeline's timeouts; redirects are followed."""
    timeout = httpx.Timeout(policy.timeout_s or timeout_s)
    return httpx.Client(timeout=timeout, follow_redirects=True)
