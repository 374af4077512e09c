"""What every remote kind (``http``, ``atom``, ``wfs``, ``ogcapi``, ``arcgis``) shares.

:func:`over_http` turns a kind's fetch into one that runs in an HTTP session (the cache,
the deadlines, the source's secrets) and reports any failure as a
:class:`~pipeline.config.errors.LayerError` with secrets scrubbed. :func:`assembling` turns a
paged collector into a fetch that writes the pages as one GeoJSON file under
``cache_dir/assembled/``, so every kind is read like a file and hashed over those bytes.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from pipeline.config.errors import LayerError
from pipeline.config.models import PagedKeys, RemoteKeys
from pipeline.sources.fetched import FetchContext, FetchedSource
from pipeline.sources.httpcache import (
    CachedBody,
    Deadline,
    HttpFetcher,
    SourceError,
    cache_key,
    make_client,
)
from pipeline.sources.secrets import Secrets, scrubbed_http_logs
from pipeline.sources.services import Collected, feature_collection_bytes

R = TypeVar("R", bound=RemoteKeys)
P = TypeVar("P", bound=PagedKeys)
#: A remote kind's fetch, given an open session.
RemoteFetch = Callable[[R, HttpFetcher, FetchContext], FetchedSource]


def over_http(fetch: RemoteFetch[R]) -> Callable[[R, FetchContext], FetchedSource]:
    """``fetch`` run in an HTTP session for its source, failures as named layer errors.

    The session's deadline (``layer_deadline_s``) starts when it opens. Any failure becomes
    a ``LayerError`` naming the layer, the URL and the cause (a ``SourceError``'s own words,
    else the exception's type and message), with every secret scrubbed from the message and
    from the chained exceptions.
    """

    def fetch_remote(spec: R, ctx: FetchContext) -> FetchedSource:
        secrets = Secrets.of(spec, ctx.env)
        try:
            secrets.require()
            with http_session(spec, ctx, secrets) as fetcher:
                return fetch(spec, fetcher, ctx)
        except SourceError as exc:
            error = LayerError(ctx.layer, secrets.scrub(exc.url), secrets.scrub(exc.problem))
            raise error from secrets.without_secrets(exc)
        except Exception as exc:  # anything else is named too, and scrubbed like the rest
            problem = secrets.scrub(f"{type(exc).__name__}: {exc}")
            error = LayerError(ctx.layer, spec.location(ctx.base_dir), problem)
            raise error from secrets.without_secrets(exc)

    return fetch_remote


@contextmanager
def http_session(spec: RemoteKeys, ctx: FetchContext, secrets: Secrets) -> Iterator[HttpFetcher]:
    """An :class:`HttpFetcher` for ``spec`` on its own event loop, closed afterwards.

    The ``httpx`` logger's records are scrubbed of ``spec``'s secrets while it is open.
    """
    deadline = Deadline.after(spec.layer_deadline_s, "layer_deadline_s")
    with asyncio.Runner() as runner, scrubbed_http_logs(secrets):
        client = make_client(spec.timeout_s, ctx.policy)
        try:
            yield HttpFetcher(
                client,
                runner,
                ctx.cache_dir,
                secrets=secrets,
                headers=spec.headers,
                download_deadline_s=spec.download_deadline_s,
                deadline=deadline,
                policy=ctx.policy,
            )
        finally:
            runner.run(client.aclose())


def fetched_body(ctx: FetchContext, body: CachedBody, location: str) -> FetchedSource:
    """The :class:`FetchedSource` of one downloaded file; ``location`` is already scrubbed."""
    return FetchedSource(
        ctx.layer, body.path, body.sha256, datetime.now(UTC), location, body.not_modified
    )


def assembling(collect: Callable[[HttpFetcher, P], Collected]) -> RemoteFetch[P]:
    """A fetch writing what ``collect`` gathers as one deterministic GeoJSON file.

    The file is ``cache_dir/assembled/<layer>-<kind>-<key>.geojson``; ``key`` hashes the URL
    and the catalogue's ``params`` as written (``${NAME}`` unresolved).
    """

    def fetch_assembled(spec: P, fetcher: HttpFetcher, ctx: FetchContext) -> FetchedSource:
        collected = collect(fetcher, spec)
        data = feature_collection_bytes(collected)
        name = f"{ctx.layer}-{spec.kind}-{cache_key(spec.url, spec.params)[:16]}.geojson"
        path = write_if_changed(ctx.cache_dir / "assembled" / name, data)
        return FetchedSource(
            ctx.layer,
            path,
            hashlib.sha256(data).hexdigest(),
            datetime.now(UTC),
            fetcher.secrets.scrub(spec.url),
            collected.not_modified,
        )

    return fetch_assembled


def write_if_changed(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically, leaving an identical file untouched.

    The temporary file is removed when the write fails.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return path
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
