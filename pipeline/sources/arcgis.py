"""ArcGIS REST ``query``: ``resultOffset``/``resultRecordCount`` paging until
``exceededTransferLimit`` is false.

Request pattern (Länsstyrelsen, Skogsstyrelsen MapServers)::

    <url>/<layer>/query?where=1=1&outFields=*&outSR=3006&f=json&returnGeometry=true
        &resultOffset=<n>&resultRecordCount=<page_size>[&orderByFields=...][&<params>]

Paging ends only when a page says ``exceededTransferLimit`` is false (or leaves it out); a
page shorter than ``resultRecordCount`` does not end it, since servers cap pages at their
``maxRecordCount``. A ``returnCountOnly=true`` request first learns the count; fewer
features than that is an error, and the catalogue's ``max_pages`` bounds the paging.
``f=json`` (Esri JSON, the default) is converted to GeoJSON with holes attached to their
outer rings and the ``spatialReference`` as CRS; ``f=geojson`` pages are taken as they are.
An ``{"error": ...}`` body served with status 200 is an error.
"""

from __future__ import annotations

from pipeline.config.models import ArcGisSource
from pipeline.sources.esri import date_fields, esri_crs, esri_feature
from pipeline.sources.httpcache import CachedBody, HttpFetcher, SourceError
from pipeline.sources.services import (
    JSON,
    Collected,
    check_count,
    expect_object,
    geojson_crs_name,
    merge_params,
    page_features,
    reject_params,
)

PAGING_PARAMS = ("resultOffset", "resultRecordCount", "returnCountOnly", "returnIdsOnly")


def query_url(spec: ArcGisSource) -> str:
    """``<url>/<layer>/query``; a URL that already ends in ``/query`` is used as it is."""
    url = spec.url.rstrip("/")
    if url.endswith("/query"):
        return url
    if spec.layer is not None:
        url = f"{url}/{spec.layer}"
    return f"{url}/query"


def base_params(spec: ArcGisSource) -> dict[str, str]:
    """Query parameters: the defaults, then the catalogue's ``params``."""
    reject_params(spec.params, PAGING_PARAMS, "'page_size'")
    defaults = {
        "where": "1=1",
        "outFields": "*",
        "outSR": "3006",
        "returnGeometry": "true",
        "f": "json",
    }
    return merge_params(defaults, spec.params)


def arcgis_object(body: CachedBody) -> JSON:
    """The JSON body, with ArcGIS's ``{"error": {...}}`` (sent with status 200) raised."""
    data = expect_object(body)
    error = data.get("error")
    if isinstance(error, dict):
        details = "; ".join(str(d) for d in error.get("details") or [])
        message = f"ArcGIS error {error.get('code', '?')}: {error.get('message', '')}"
        raise SourceError(body.shown, message + (f" ({details})" if details else ""))
    return data


def exceeded(data: JSON) -> bool:
    """``exceededTransferLimit`` at the top level (Esri JSON) or under ``properties`` (GeoJSON)."""
    flag = data.get("exceededTransferLimit")
    if flag is None and isinstance(data.get("properties"), dict):
        flag = data["properties"].get("exceededTransferLimit")
    return bool(flag)


def collect_arcgis(fetcher: HttpFetcher, spec: ArcGisSource) -> Collected:
    """All features of an ArcGIS layer, paged, checked against ``returnCountOnly``."""
    url = query_url(spec)
    params = base_params(spec)
    is_esri = next(v for k, v in params.items() if k.lower() == "f").lower() in ("json", "pjson")
    count_params = {k: v for k, v in params.items() if k.lower() not in ("outfields", "f")}
    count_params.update({"returnCountOnly": "true", "f": "json"})
    count_body = fetcher.get(url, count_params, expect="json")
    count = arcgis_object(count_body).get("count")
    matched = int(count) if isinstance(count, int) else None
    out = Collected(spec.max_pages, not_modified=count_body.not_modified)
    offset = 0
    while True:
        page = {**params, "resultOffset": str(offset), "resultRecordCount": str(spec.page_size)}
        body = fetcher.get(url, page, expect="json")
        data = arcgis_object(body)
        if is_esri:
            raw = data.get("features")
            if not isinstance(raw, list):
                raise SourceError(body.shown, "response has no 'features' array")
            dates = date_fields(data.get("fields"))
            features = [esri_feature(f, dates) for f in raw]
        else:
            features = page_features(body, data)
        out.add_page(body, features)
        if out.pages == 1:
            out.crs = esri_crs(data.get("spatialReference")) if is_esri else None
            out.crs = out.crs or geojson_crs_name(data)
        offset += len(features)
        if not exceeded(data):
            break
        if not features:
            raise SourceError(body.shown, "exceededTransferLimit is true but the page is empty")
    check_count(body.shown, len(out.features), matched, "count of returnCountOnly=true")
    return out
