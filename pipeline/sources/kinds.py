"""The one table of source kinds: how each is fetched and how it is read.

Every catalogue ``kind`` has one pydantic model in :mod:`pipeline.config.models`
(:data:`~pipeline.config.models.SOURCE_KINDS`) and one :class:`Kind` entry here in
:data:`KINDS`; :func:`fetch_source` and :func:`read_fetched` look the entry up and do nothing
kind-specific themselves. This module imports the kind modules, none of which imports it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import geopandas as gpd

from pipeline.config.errors import LayerError
from pipeline.config.models import ReadKeys, SourceKeys, SourceSpec
from pipeline.sources.arcgis import collect_arcgis
from pipeline.sources.archives import ArchiveError
from pipeline.sources.atom import fetch_atom
from pipeline.sources.download import fetch_http
from pipeline.sources.fetched import FetchContext, FetchedSource
from pipeline.sources.formats import ReadProblem, read_path
from pipeline.sources.gtfs import read_gtfs
from pipeline.sources.httpcache import DEFAULT_POLICY, HttpPolicy
from pipeline.sources.local import fetch_file
from pipeline.sources.ogcapi import collect_ogcapi
from pipeline.sources.remote import assembling, over_http
from pipeline.sources.wfs import fetch_wfs

S = TypeVar("S", bound=SourceKeys)
#: How a service's result is read: as written, the only layer of the only dataset.
AS_PUBLISHED = ReadKeys()


@dataclass(frozen=True)
class Kind(Generic[S]):
    """One source kind.

    ``fetch`` turns the kind's model into local bytes (raising ``LayerError``); ``read``
    turns those bytes into features with the source's own fields and CRS.
    """

    fetch: Callable[[S, FetchContext], FetchedSource]
    read: Callable[[Path, S], gpd.GeoDataFrame]


def read_as_published(path: Path, spec: SourceKeys) -> gpd.GeoDataFrame:
    """A service's result, whose ``layer`` named the service's layer, not one in the file."""
    return read_path(path, AS_PUBLISHED)


def read_file(path: Path, spec: ReadKeys) -> gpd.GeoDataFrame:
    """A file as the catalogue's ``format`` says (``gtfs``: :func:`read_gtfs`), else by its
    ending (:func:`read_path`)."""
    if spec.format == "gtfs":
        return read_gtfs(path, spec)
    return read_path(path, spec)


KINDS: Mapping[str, Kind[Any]] = {
    "file": Kind(fetch_file, read_file),
    "http": Kind(over_http(fetch_http), read_file),
    "atom": Kind(over_http(fetch_atom), read_file),
    "wfs": Kind(over_http(fetch_wfs), read_as_published),
    "ogcapi": Kind(over_http(assembling(collect_ogcapi)), read_as_published),
    "arcgis": Kind(over_http(assembling(collect_arcgis)), read_as_published),
}


def fetch_source(
    layer: str,
    spec: SourceSpec,
    base_dir: Path,
    cache_dir: Path,
    *,
    policy: HttpPolicy = DEFAULT_POLICY,
    env: Mapping[str, str] | None = None,
) -> FetchedSource:
    """Fetch ``spec`` and hash it.

    Parameters
    ----------
    layer
        Catalogue layer name (for messages and file names).
    spec
        The layer's source.
    base_dir
        Folder that relative ``path`` values resolve against (the catalogue's folder).
    cache_dir
        Root of the HTTP cache and of assembled service results.
    policy
        Retry schedule of remote kinds; tests pass a fast one.
    env
        Where ``${NAME}`` in ``params`` and ``headers`` is looked up (default
        ``os.environ``).

    Returns
    -------
    FetchedSource
        The local file to read, the sha256 of its bytes, and where they came from.

    Raises
    ------
    LayerError
        Naming the layer, the path or URL (secrets redacted) and the cause.
    """
    context = FetchContext(layer, base_dir, cache_dir, policy, os.environ if env is None else env)
    return KINDS[spec.kind].fetch(spec.root, context)


def read_fetched(fetched: FetchedSource, spec: SourceSpec) -> gpd.GeoDataFrame:
    """Read the layer's features; the CRS is the source's own (``None`` when it has none).

    Parameters
    ----------
    fetched
        What :func:`fetch_source` returned.
    spec
        The layer's source: ``layer``, ``member``, ``encoding``, CSV geometry columns.

    Raises
    ------
    LayerError
        Naming the layer, the file or URL and the cause, for anything unreadable: a corrupt
        file, an unsafe archive, a missing layer or member, unparsable geometry.
    """
    path = fetched.path
    where = "" if str(path) == fetched.location else f" (cached as {path})"
    try:
        return KINDS[spec.kind].read(path, spec.root)
    except (ArchiveError, ReadProblem) as exc:
        raise LayerError(fetched.layer, fetched.location, f"{exc}{where}") from exc
    except Exception as exc:  # any parser failure becomes a named layer error
        problem = f"cannot read {path.name}: {type(exc).__name__}: {exc}{where}"
        raise LayerError(fetched.layer, fetched.location, problem) from exc
