"""OGC API Features: ``/collections/{id}/items`` pages joined by ``rel=next`` links.

The first request sends ``limit=<page_size>`` and the catalogue's ``params`` (``bbox``,
``crs``, filters); every next page is the server's ``next`` link as given. The CRS is the
``Content-Crs`` response header when present, else CRS84 (the standard's default).
"""

from __future__ import annotations

from urllib.parse import urljoin

from pipeline.config.models import SourceSpec
from pipeline.sources.httpcache import HttpFetcher, SourceError
from pipeline.sources.services import (
    JSON,
    Collected,
    check_count,
    expect_object,
    merge_params,
    page_features,
    reject_params,
)

CRS84 = "urn:ogc:def:crs:OGC:1.3:CRS84"
GEOJSON_TYPES = ("application/geo+json", "application/json", "")
ACCEPT = {"Accept": "application/geo+json, application/json;q=0.9"}


def items_url(spec: SourceSpec) -> str:
    """``<url>/collections/<layer>/items``, or ``url`` itself when it already ends in items."""
    assert spec.url is not None
    url = spec.url.rstrip("/")
    if url.endswith("/items"):
        return url
    if not spec.layer:
        raise ValueError("an 'ogcapi' source needs 'layer' (the collection id) or an items URL")
    return f"{url}/collections/{spec.layer}/items"


def next_link(data: JSON, base: str) -> str | None:
    """Absolute href of the page's ``rel=next`` GeoJSON link, if any."""
    for link in data.get("links") or []:
        if not isinstance(link, dict) or link.get("rel") != "next" or not link.get("href"):
            continue
        if str(link.get("type", "")).split(";")[0].strip() in GEOJSON_TYPES:
            return urljoin(base, str(link["href"]))
    return None


def content_crs(header: str | None) -> str | None:
    """CRS from a ``Content-Crs`` header: ``<http://www.opengis.net/def/crs/EPSG/0/3006>``.

    >>> content_crs("<http://www.opengis.net/def/crs/EPSG/0/3006>")
    'EPSG:3006'
    """
    if not header:
        return None
    uri = header.strip().strip("<>")
    parts = uri.rstrip("/").split("/")
    if "/def/crs/EPSG/" in uri:
        return f"EPSG:{parts[-1]}"
    if uri.endswith("CRS84"):
        return CRS84
    return uri


def collect_ogcapi(fetcher: HttpFetcher, spec: SourceSpec) -> Collected:
    """All items of a collection, following ``next`` links; a loop is an error."""
    reject_params(spec.params, ("limit", "offset"), "'page_size'")
    url: str | None = items_url(spec)
    params: dict[str, str] | None = merge_params({"limit": str(spec.page_size)}, spec.params)
    out = Collected()
    seen: set[str] = set()
    matched: int | None = None
    last = items_url(spec)
    while url is not None:
        body = fetcher.get(url, params, expect="json", headers=ACCEPT)
        if body.url in seen:
            raise SourceError(body.url, "the 'next' links loop back to a page already read")
        seen.add(body.url)
        data = expect_object(body)
        features = page_features(body, data)
        out.add_page(body, features)
        if out.pages == 1:
            out.crs = content_crs(body.headers.get("content-crs")) or CRS84
            if isinstance(data.get("numberMatched"), int):
                matched = int(data["numberMatched"])
        last = body.url
        url = next_link(data, body.url) if features else None
        params = None
    check_count(last, len(out.features), matched, "numberMatched of the first page")
    return out
