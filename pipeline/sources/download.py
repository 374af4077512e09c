"""Plain HTTP(S) downloads of data files, named by their format so GDAL can read them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import PurePosixPath
from urllib.parse import unquote, urlparse

from pipeline.config.models import HttpSource
from pipeline.sources.fetched import FetchContext, FetchedSource
from pipeline.sources.httpcache import CachedBody, HttpFetcher, SourceError
from pipeline.sources.remote import fetched_body

#: File endings the readers know.
KNOWN_SUFFIXES = (
    ".zip",
    ".gpkg",
    ".geojson",
    ".json",
    ".fgb",
    ".parquet",
    ".geoparquet",
    ".csv",
    ".gml",
    ".kml",
)
#: Media types to file endings, for URLs without a telling name (``download?id=5``).
MEDIA_SUFFIXES = {
    "application/zip": ".zip",
    "application/x-zip-compressed": ".zip",
    "application/geopackage+sqlite3": ".gpkg",
    "application/x-sqlite3": ".gpkg",
    "application/geo+json": ".geojson",
    "application/json": ".json",
    "application/flatgeobuf": ".fgb",
    "application/vnd.apache.parquet": ".parquet",
    "application/x-parquet": ".parquet",
    "text/csv": ".csv",
    "application/gml+xml": ".gml",
    "application/vnd.google-earth.kml+xml": ".kml",
}
_FILENAME = re.compile(r"filename\*?=(?:UTF-8'')?\"?([^\";]+)\"?", re.I)


def url_suffix(url: str) -> str:
    """Known file ending of a URL's path (``.zip``), or ``""``.

    >>> url_suffix("https://example.org/nedladdning/NR.zip?x=1")
    '.zip'
    """
    suffix = PurePosixPath(unquote(urlparse(url).path)).suffix.lower()
    return suffix if suffix in KNOWN_SUFFIXES else ""


def suffix_from_headers(headers: Mapping[str, str]) -> str:
    """File ending from ``Content-Disposition``'s file name, else from ``Content-Type``."""
    found = _FILENAME.search(headers.get("content-disposition", ""))
    if found:
        suffix = PurePosixPath(unquote(found.group(1))).suffix.lower()
        if suffix in KNOWN_SUFFIXES:
            return suffix
    media = headers.get("content-type", "").split(";")[0].strip().lower()
    return MEDIA_SUFFIXES.get(media, "")


def download_file(
    fetcher: HttpFetcher, url: str, params: Mapping[str, str], mime: str = ""
) -> CachedBody:
    """Download a data file through the cache; its cached name ends in its format's suffix.

    The suffix comes from the URL path, else the declared ``mime`` (an ATOM link's type),
    else the response headers. A file whose format cannot be told is an error.
    """
    known = url_suffix(url) or MEDIA_SUFFIXES.get(mime.lower(), "")
    body = fetcher.get(
        url, params, expect="file", suffix=known or (lambda h: suffix_from_headers(h))
    )
    if not body.path.suffix or body.path.suffix.lower() not in KNOWN_SUFFIXES:
        raise SourceError(
            body.shown,
            f"cannot tell the file format (no known ending in the URL, content-type "
            f"'{body.content_type or 'none'}'); expected one of {', '.join(KNOWN_SUFFIXES)}",
        )
    return body


def fetch_http(spec: HttpSource, fetcher: HttpFetcher, ctx: FetchContext) -> FetchedSource:
    """The downloaded file (``url`` with the catalogue's ``params``)."""
    body = download_file(fetcher, spec.url, spec.params)
    return fetched_body(ctx, body, fetcher.secrets.scrub(spec.url))
