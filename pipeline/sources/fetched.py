"""What fetching a source produces, and what every kind's fetch is given."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pipeline.sources.httpcache import DEFAULT_POLICY, HttpPolicy


@dataclass(frozen=True)
class FetchedSource:
    """Local bytes of one layer's source.

    ``path`` is the file to read (for a shapefile the ``.shp``), ``sha256`` the hash of every
    byte that makes up the layer, ``location`` the path or URL the bytes came from (secret
    query values redacted).
    """

    layer: str
    path: Path
    sha256: str
    retrieved_at: datetime
    location: str
    #: True when the server confirmed the cached copy (HTTP 304 on every request), so the
    #: bytes are those of an earlier run. ``file`` sources leave it False; compare ``sha256``.
    not_modified: bool = False


@dataclass(frozen=True)
class FetchContext:
    """What a kind's fetch needs besides the source itself.

    ``base_dir`` resolves relative paths (the catalogue's folder), ``cache_dir`` holds the
    HTTP cache and assembled service results, ``policy`` the retry schedule, ``env`` the
    variables ``${NAME}`` in ``params`` and ``headers`` are taken from.
    """

    layer: str
    base_dir: Path
    cache_dir: Path
    policy: HttpPolicy = DEFAULT_POLICY
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)
