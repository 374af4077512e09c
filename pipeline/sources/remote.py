"""Fetch a remote catalogue source (``http``, ``wfs``, ``ogcapi``, ``arcgis``, ``atom``).

Downloads go through :class:`~pipeline.sources.httpcache.HttpFetcher` (retries, on-disk cache,
conditional requests). Paged services are assembled into one GeoJSON file under
``cache_dir/assembled/`` so :func:`~pipeline.sources.read.read_fetched` reads every kind like a
file, and the sha256 is over those assembled bytes.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

from pipeline.config.errors import LayerError
from pipeline.config.models import SourceSpec
from pipeline.sources.arcgis import collect_arcgis
from pipeline.sources.atom import fetch_atom
from pipeline.sources.download import download_file
from pipeline.sources.fetch import FetchedSource
from pipeline.sources.httpcache import (
    DEFAULT_POLICY,
    HttpFetcher,
    HttpPolicy,
    SourceError,
    cache_key,
    make_client,
)
from pipeline.sources.ogcapi import collect_ogcapi
from pipeline.sources.services import Collected, feature_collection_bytes
from pipeline.sources.wfs import collect_wfs, fetch_wfs_file, wants_json

Collector = Callable[[HttpFetcher, SourceSpec], Collected]
COLLECTORS: dict[str, Collector] = {
    "wfs": collect_wfs,
    "ogcapi": collect_ogcapi,
    "arcgis": collect_arcgis,
}


def fetch_remote(
    layer: str,
    spec: SourceSpec,
    cache_dir: Path,
    *,
    policy: HttpPolicy = DEFAULT_POLICY,
    client: httpx.Client | None = None,
) -> FetchedSource:
    """Download (or re-use from the cache) the bytes of a remote source.

    Parameters
    ----------
    layer
        Catalogue layer name, for messages and file names.
    spec
        The layer's source; ``kind`` is one of ``http``, ``wfs``, ``ogcapi``, ``arcgis``,
        ``atom``.
    cache_dir
        Root of the on-disk cache.
    policy
        Retry schedule; tests pass a fast one.
    client
        An ``httpx.Client`` to use instead of a new one with ``spec.timeout_s``.

    Returns
    -------
    FetchedSource
        ``path`` to the downloaded or assembled file, ``sha256`` of its bytes,
        ``not_modified`` True when every request was answered ``304``.

    Raises
    ------
    LayerError
        Naming the layer, the URL and the cause, for any failure to fetch.
    """
    assert spec.url is not None
    own_client = client is None
    http = client or make_client(spec.timeout_s, policy)
    try:
        fetcher = HttpFetcher(http, cache_dir, policy)
        return _fetch(layer, spec, fetcher, cache_dir)
    except SourceError as exc:
        raise LayerError(layer, exc.url, exc.problem) from exc
    except (ValueError, OSError, httpx.HTTPError) as exc:
        raise LayerError(layer, spec.url, f"{type(exc).__name__}: {exc}") from exc
    finally:
        if own_client:
            http.close()


def _fetch(layer: str, spec: SourceSpec, fetcher: HttpFetcher, cache_dir: Path) -> FetchedSource:
    assert spec.url is not None
    now = datetime.now(UTC)
    if spec.kind == "http":
        body = download_file(fetcher, spec.url, spec.params)
        return FetchedSource(layer, body.path, body.sha256, now, spec.url, body.not_modified)
    if spec.kind == "atom":
        body, link, _ = fetch_atom(fetcher, spec)
        return FetchedSource(layer, body.path, body.sha256, now, link.href, body.not_modified)
    if spec.kind == "wfs" and not wants_json(spec):
        body = fetch_wfs_file(fetcher, spec)
        return FetchedSource(layer, body.path, body.sha256, now, spec.url, body.not_modified)
    collect = COLLECTORS.get(spec.kind)
    if collect is None:
        raise ValueError(f"source kind '{spec.kind}' is not remote")
    collected = collect(fetcher, spec)
    data = feature_collection_bytes(collected)
    name = f"{layer}-{spec.kind}-{cache_key(spec.url, spec.params)[:16]}.geojson"
    path = write_if_changed(cache_dir / "assembled" / name, data)
    digest = hashlib.sha256(data).hexdigest()
    return FetchedSource(layer, path, digest, now, spec.url, collected.not_modified)


def write_if_changed(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically, leaving an identical file untouched."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return path
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path
