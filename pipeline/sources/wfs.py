"""WFS 2.0 GetFeature with ``resultType=hits`` and ``count``/``startIndex`` paging.

Request pattern (as used against GeoServer at Naturvårdsverket, SCB and Jordbruksverket)::

    ?service=WFS&version=2.0.0&request=GetFeature&typeNames=<layer>
     &outputFormat=application/json&srsName=EPSG:3006[&sortBy=...][&<params>]
     &count=<page_size>&startIndex=<n>

First a ``resultType=hits`` request learns ``numberMatched``; pages follow until that many
features arrived (a page shorter than ``count`` is fine: servers cap pages). Fewer features
than ``numberMatched`` is silent truncation and an error.
"""

from __future__ import annotations

import json
import re

import pyogrio

from pipeline.config.models import SourceSpec
from pipeline.sources.archives import checked_members
from pipeline.sources.httpcache import CachedBody, HttpFetcher, SourceError
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


def base_params(spec: SourceSpec) -> dict[str, str]:
    """GetFeature parameters of ``spec``: the defaults, then the catalogue's ``params``."""
    if not spec.layer:
        raise ValueError("a 'wfs' source needs 'layer' (the typeNames value)")
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


def collect_wfs(fetcher: HttpFetcher, spec: SourceSpec) -> Collected:
    """All features of a WFS type, paged, checked against the hits count."""
    assert spec.url is not None
    params = base_params(spec)
    hits_params = {k: v for k, v in params.items() if k.lower() != "outputformat"}
    hits_params["resultType"] = "hits"
    hits = fetcher.get(spec.url, hits_params, expect="xml")
    matched = parse_hits(hits.path.read_bytes())
    out = Collected(not_modified=hits.not_modified)
    requested_crs = next((v for k, v in params.items() if k.lower() == "srsname"), None)
    start = 0
    while True:
        page_params = {**params, "count": str(spec.page_size), "startIndex": str(start)}
        body = fetcher.get(spec.url, page_params, expect="json")
        data = expect_object(body)
        features = page_features(body, data)
        out.add_page(body, features)
        if out.pages == 1:
            out.crs = geojson_crs_name(data) or requested_crs
        start += len(features)
        if not features:
            break
        if matched is not None and start >= matched:
            break
        if matched is None and len(features) < spec.page_size:
            break
    check_count(body.url, len(out.features), matched, "numberMatched of resultType=hits")
    return out


def output_format(params: dict[str, str]) -> str:
    """The request's ``outputFormat``, lower case, without parameters."""
    value = next((v for k, v in params.items() if k.lower() == "outputformat"), "")
    return value.split(";")[0].strip().lower()


def wants_json(spec: SourceSpec) -> bool:
    """Whether the WFS answers GeoJSON pages (else one file download)."""
    return output_format(base_params(spec)) in JSON_FORMATS


def fetch_wfs_file(fetcher: HttpFetcher, spec: SourceSpec) -> CachedBody:
    """One GetFeature in a file format (GeoPackage, zipped shapefile, GML), hits-checked."""
    assert spec.url is not None
    params = base_params(spec)
    fmt = output_format(params)
    suffix = FORMAT_SUFFIXES.get(fmt)
    if suffix is None:
        raise ValueError(
            f"WFS outputFormat '{fmt}' is not supported; use application/json or one of "
            f"{', '.join(sorted(FORMAT_SUFFIXES))}"
        )
    hits_params = {k: v for k, v in params.items() if k.lower() != "outputformat"}
    hits_params["resultType"] = "hits"
    matched = parse_hits(fetcher.get(spec.url, hits_params, expect="xml").path.read_bytes())
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
        raise SourceError(body.url, f"cannot read the downloaded {fmt}: {exc}") from exc
    check_count(body.url, delivered, matched, "numberMatched of resultType=hits")
    return body
