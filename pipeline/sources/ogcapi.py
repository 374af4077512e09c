"""OGC API Features: ``/collections/{id}/items`` pages joined by ``rel=next`` links.

The first request sends ``limit=<page_size>`` and the catalogue's ``params`` (``bbox``,
``crs``, filters); every next page is the server's ``next`` link as given. Paging ends when
a page has no ``next`` link or no features; a ``next`` link that cannot be followed (no
GeoJSON type) is an error, not the end. The CRS is the ``Content-Crs`` response header when
present, else CRS84 (the standard's default).
"""

from __future__ import annotations

from urllib.parse import urljoin

from pipeline.config.models import OgcApiSource
from pipeline.sources.httpcache import CachedBody, HttpFetcher, SourceError
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


def items_url(spec: OgcApiSource) -> str:
    """``<url>/collections/<layer>/items``, or ``url`` itself when it already ends in items."""
    url = spec.url.rstrip("/")
    if url.endswith("/items"):
        return url
    if not spec.layer:
        raise ValueError("an 'ogcapi' source needs 'layer' (the collection id) or an items URL")
    return f"{url}/collections/{spec.layer}/items"


def next_link(body: CachedBody, data: JSON) -> str | None:
    """Absolute href of the page's ``rel=next`` GeoJSON link; None when it has none.

    Raises
    ------
    SourceError
        When the page has ``next`` links but none of a GeoJSON type: stopping there would
        silently drop the rest.
    """
    links = [
        link
        for link in data.get("links") or []
        if isinstance(link, dict) and link.get("rel") == "next" and link.get("href")
    ]
    types = [str(link.get("type", "")).split(";")[0].strip() for link in links]
    for link, media in zip(links, types, strict=True):
        if media in GEOJSON_TYPES:
            return urljoin(body.url, str(link["href"]))
    if links:
        raise SourceError(
            body.shown, f"the page's 'next' links are not GeoJSON (types {', '.join(types)})"
        )
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


def collect_ogcapi(fetcher: HttpFetcher, spec: OgcApiSource) -> Collected:
    """All items of a collection, following ``next`` links; a loop is an error."""
    reject_params(spec.params, ("limit", "offset"), "'page_size'")
    url: str | None = items_url(spec)
    params: dict[str, str] | None = merge_params({"limit": str(spec.page_size)}, spec.params)
    out = Collected(spec.max_pages)
    seen: set[str] = set()
    matched: int | None = None
    while url is not None:
        body = fetcher.get(url, params, expect="json", headers=ACCEPT)
        if body.url in seen:
            raise SourceError(body.shown, "the 'next' links loop back to a page already read")
        seen.add(body.url)
        data = expect_object(body)
        features = page_features(body, data)
        out.add_page(body, features)
        if out.pages == 1:
            out.crs = content_crs(body.headers.get("content-crs")) or CRS84
            if isinstance(data.get("numberMatched"), int):
                matched = int(data["numberMatched"])
        url = next_link(body, data) if features else None
        params = None
    check_count(body.shown, len(out.features), matched, "numberMatched of the first page")
    return out
