"""Readers: local files and archives, HTTP downloads, WFS / OGC API / ArcGIS REST / ATOM."""

from pipeline.sources.fetch import FetchedSource, fetch_source
from pipeline.sources.read import read_fetched

__all__ = ["FetchedSource", "fetch_source", "read_fetched"]
