"""Readers: local files and archives, HTTP downloads, WFS / OGC API / ArcGIS REST / ATOM.

:mod:`pipeline.sources.kinds` holds the one table of source kinds.
"""

from pipeline.sources.fetched import FetchedSource
from pipeline.sources.kinds import KINDS, fetch_source, read_fetched

__all__ = ["KINDS", "FetchedSource", "fetch_source", "read_fetched"]
