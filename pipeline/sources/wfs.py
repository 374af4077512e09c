"""WFS 2.0 GetFeature with ``resultType=hits`` and ``count``/``startIndex`` paging.

Request pattern (as used against GeoServer at Naturvårdsverket, SCB and Jordbruksverket)::

    ?service=WFS&version=2.0.0&request=GetFeature&typeNames=<layer>
     &outputFormat=application/json&srsName=EPSG:3006[&sortBy=...][&<params>]
     &count=<page_size>&startIndex=<n>

First a ``resultType=hits`` request learns ``numberMatched``. Pages follow until that many
features arrived, or, when the server says ``numberMatched="unknown"``, until a page comes
back empty: a page shorter than ``count`` never ends the paging, because servers cap pages
below the ``count`` asked for. Fewer features than ``numberMatched`` is truncation and an
error; the catalogue's ``max_pages`` bounds the paging.
"""

from __future__ import annotations

import json
import re

import pyogrio

from pipeline.config.models import WfsSource
from pipeline.sources.archives import checked_members
from pipeline.sources.fetched import FetchContext, FetchedSource
from pipeline.sources.httpcache import CachedBody, HttpFetcher, SourceError
from pipeline.sources.remote import assembling, fetched_body
from pipeline.sources.services import (
    Collected,
    check_count,
    expect_object,
    geojson_crs_name,
    merge_params,
    page_features,
    reject_params,
)

_MATCHED = re.compile(rb'numberMatched\s*=\s*"([^"]*)"')
PAGING_PARAMS = ("count", "startIndex", "maxFeatures", "resultType")
#: outputFormat values (lower case, before ``;``) whose pages are GeoJSON.
JSON_FORMATS = ("application/json", "json", "application/geo+json", "geojson")
#: Non-JSON outputFormat values to the file ending GDAL needs.
FORMAT_SUFFIXES = {
    "gpkg": ".gpkg",
    "geopackage": ".gpkg",
    "application/geopackage+sqlite3": ".gpkg",
    "shape-zip": ".zip",
    "application/zip": ".zip",
    "gml3": ".gml",
    "gml32": ".gml",
    "application/gml+xml": ".gml",
    "text/xml": ".gml",
}


def base_params(spec: WfsSource) -> dict[str, str]:
    """GetFeature parameters of ``spec``: the defaults, then the catalogue's ``params``."""
    reject_params(spec.params, PAGING_PARAMS, "'page_size'")
    defaults = {
        "service": "WFS",
        "version": "2.0.0",
        "request": "GetFeature",
        "typeNames": spec.layer,
        "outputFormat": "application/json",
        "srsName": "EPSG:3006",
    }
    return merge_params(defaults, spec.params)


def parse_hits(body: bytes) -> int | None:
    """``numberMatched`` of a hits response (XML attribute or JSON member); None if unknown.

    >>> parse_hits(b'<wfs:FeatureCollection numberMatched="42" numberReturned="0"/>')
    42
    """
    found = _MATCHED.search(body[:4096])
    if found:
        value = found.group(1).decode()
        return int(value) if value.isdigit() else None
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if isinstance(data, dict):
        for key in ("numberMatched", "totalFeatures"):
            if isinstance(data.get(key), int):
                return int(data[key])
    return None


def hits_count(fetcher: HttpFetcher, spec: WfsSource) -> tuple[int | None, CachedBody]:
    """``numberMatched`` of a ``resultType=hits`` request (None when unknown), and its body."""
    params = base_params(spec)
    hits_params = {k: v for k, v in params.items() if k.lower() != "outputformat"}
    hits_params["resultType"] = "hits"
    body = fetcher.get(spec.url, hits_params, expect="xml")
    return parse_hits(body.path.read_bytes()), body


def collect_wfs(fetcher: HttpFetcher, spec: WfsSource) -> Collected:
    """All features of a WFS type, paged, checked against the hits count.

    Paging ends when ``numberMatched`` features arrived or a page is empty (always at least
    one page, which names the CRS).
    """
    params = base_params(spec)
    matched, hits = hits_count(fetcher, spec)
    out = Collected(spec.max_pages, not_modified=hits.not_modified)
    requested_crs = next((v for k, v in params.items() if k.lower() == "srsname"), None)
    while True:
        start = len(out.features)
        page_params = {**params, "count": str(spec.page_size), "startIndex": str(start)}
        body = fetcher.get(spec.url, page_params, expect="json")
        data = expect_object(body)
        features = page_features(body, data)
        out.add_page(body, features)
        if out.pages == 1:
            out.crs = geojson_crs_name(data) or requested_crs
        if not features or (matched is not None and len(out.features) >= matched):
            break
    check_count(body.shown, len(out.features), matched, "numberMatched of resultType=hits")
    return out


def output_format(params: dict[str, str]) -> str:
    """The request's ``outputFormat``, lower case, without parameters."""
    value = next((v for k, v in params.items() if k.lower() == "outputformat"), "")
    return value.split(";")[0].strip().lower()


def wants_json(spec: WfsSource) -> bool:
    """Whether the WFS answers GeoJSON pages (else one file download)."""
    return output_format(base_params(spec)) in JSON_FORMATS


def fetch_wfs_file(fetcher: HttpFetcher, spec: WfsSource) -> CachedBody:
    """One GetFeature in a file format (GeoPackage, zipped shapefile, GML), hits-checked."""
    params = base_params(spec)
    fmt = output_format(params)
    suffix = FORMAT_SUFFIXES.get(fmt)
    if suffix is None:
        raise ValueError(
            f"WFS outputFormat '{fmt}' is not supported; use application/json or one of "
            f"{', '.join(sorted(FORMAT_SUFFIXES))}"
        )
    matched, _ = hits_count(fetcher, spec)
    body = fetcher.get(spec.url, params, expect="file", suffix=suffix)
    if suffix == ".zip":
        checked_members(body.path)
    dataset = f"/vsizip/{body.path}" if suffix == ".zip" else str(body.path)
    try:
        delivered = sum(
            int(pyogrio.read_info(dataset, layer=str(row[0]))["features"])
            for row in pyogrio.list_layers(dataset)
        )
    except Exception as exc:  # a corrupt download is named, not passed on
        raise SourceError(body.shown, f"cannot read the downloaded {fmt}: {exc}") from exc
    check_count(body.shown, delivered, matched, "numberMatched of resultType=hits")
    return body


_fetch_pages = assembling(collect_wfs)


def fetch_wfs(spec: WfsSource, fetcher: HttpFetcher, ctx: FetchContext) -> FetchedSource:
    """GeoJSON pages assembled into one file, or the one file a file ``outputFormat`` gives."""
    if wants_json(spec):
        return _fetch_pages(spec, fetcher, ctx)
    body = fetch_wfs_file(fetcher, spec)
    return fetched_body(ctx, body, fetcher.secrets.scrub(spec.url))
