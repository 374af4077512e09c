"""What the paged feature services (WFS, OGC API Features, ArcGIS REST) have in common.

Each service module collects all pages into a :class:`Collected` (features in the order the
server delivered them, the CRS the server declared), and :func:`feature_collection_bytes`
writes them as one GeoJSON document, so a paged source is read like a file and hashed over
deterministic bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pipeline.sources.httpcache import CachedBody, SourceError

JSON = dict[str, Any]


@dataclass
class Collected:
    """Features of a paged source and what the server said about them.

    ``max_pages`` bounds the pages one fetch may take (the catalogue's ``max_pages``).
    """

    max_pages: int
    features: list[JSON] = field(default_factory=list)
    crs: str | None = None
    #: Every page request was answered ``304 Not Modified``.
    not_modified: bool = True
    pages: int = 0
    last_sha256: str = ""

    def add_page(self, body: CachedBody, features: list[JSON]) -> None:
        """Append one page's features.

        Raises
        ------
        SourceError
            When this page is one more than ``max_pages``, or repeats the previous page
            byte for byte (a server that ignores the paging parameters would never end).
        """
        if self.pages >= self.max_pages:
            raise SourceError(
                body.shown,
                f"more than {self.max_pages} pages (max_pages) and the server still offers "
                "more: its paging does not end; raise max_pages if the layer is that large",
            )
        if features and body.sha256 == self.last_sha256:
            raise SourceError(
                body.shown,
                "this page repeats the previous one: the server ignores the paging parameters",
            )
        self.features.extend(features)
        self.not_modified = self.not_modified and body.not_modified
        self.pages += 1
        self.last_sha256 = body.sha256


def merge_params(defaults: Mapping[str, str], user: Mapping[str, str]) -> dict[str, str]:
    """``defaults`` overridden by ``user``, keys compared case-insensitively (OGC style).

    >>> merge_params({"srsName": "EPSG:3006"}, {"SRSNAME": "EPSG:4326"})
    {'SRSNAME': 'EPSG:4326'}
    """
    taken = {k.lower() for k in user}
    merged = {k: v for k, v in defaults.items() if k.lower() not in taken}
    merged.update(user)
    return merged


def reject_params(user: Mapping[str, str], names: Iterable[str], instead: str) -> None:
    """Refuse catalogue params that the paging sets itself (``count``, ``startIndex`` …)."""
    lowered = {n.lower() for n in names}
    clash = sorted(k for k in user if k.lower() in lowered)
    if clash:
        raise ValueError(f"params {clash} are set by the pager; use {instead} instead")


def expect_object(body: CachedBody) -> JSON:
    """The body as a JSON object, or a :class:`SourceError` naming what arrived instead."""
    data = body.json()
    if not isinstance(data, dict):
        raise SourceError(body.shown, f"expected a JSON object, got {type(data).__name__}")
    return data


def page_features(body: CachedBody, data: JSON) -> list[JSON]:
    """The ``features`` array of a GeoJSON page; its absence is an error, not zero rows."""
    features = data.get("features")
    if not isinstance(features, list):
        keys = ", ".join(sorted(data)[:10])
        raise SourceError(body.shown, f"response has no 'features' array (keys: {keys})")
    return features


def check_count(url: str, delivered: int, matched: int | None, what: str) -> None:
    """Raise when the server delivered a different number of features than it announced."""
    if matched is None or delivered == matched:
        return
    if delivered < matched:
        raise SourceError(
            url,
            f"truncated result: {delivered} features delivered but the server reported "
            f"{matched} ({what}); the server capped the result or paging stopped early",
        )
    raise SourceError(
        url,
        f"{delivered} features delivered but the server reported {matched} ({what}); "
        "paging without a stable sort order returns duplicates: set a sort parameter",
    )


def geojson_crs_name(data: JSON) -> str | None:
    """The legacy GeoJSON ``crs`` member's name (GeoServer sends it), if any."""
    crs = data.get("crs")
    if isinstance(crs, dict):
        name = (crs.get("properties") or {}).get("name")
        return str(name) if name else None
    return None


def feature_collection_bytes(collected: Collected) -> bytes:
    """One GeoJSON FeatureCollection of ``collected``, with a ``crs`` member when known.

    The bytes depend only on the features and their order, so an unchanged source hashes the
    same on every run.
    """
    document: JSON = {"type": "FeatureCollection"}
    if collected.crs:
        document["crs"] = {"type": "name", "properties": {"name": collected.crs}}
    document["features"] = collected.features
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
