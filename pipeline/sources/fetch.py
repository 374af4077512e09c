"""Turn a catalogue source into local bytes with a content hash.

Grain: one fetched source per layer per run. Remote kinds download into the HTTP cache;
``file`` sources are read in place.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipeline.config.errors import LayerError
from pipeline.config.models import SourceSpec, resolve_path

#: Files that belong to a shapefile and change its content.
SHAPEFILE_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


@dataclass(frozen=True)
class FetchedSource:
    """Local bytes of one layer's source.

    ``path`` is the file to read (for a shapefile the ``.shp``), ``sha256`` the hash of every
    byte that makes up the layer, ``location`` the path or URL as the catalogue names it.
    """

    layer: str
    path: Path
    sha256: str
    retrieved_at: datetime
    location: str


def sha256_of_files(paths: list[Path]) -> str:
    """Hash of the bytes of ``paths`` in the given order, file names included."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _layer_files(path: Path) -> list[Path]:
    if path.suffix.lower() == ".shp":
        return [p for ext in SHAPEFILE_SIDECARS if (p := path.with_suffix(ext)).exists()]
    return [path]


def fetch_source(layer: str, spec: SourceSpec, base_dir: Path, cache_dir: Path) -> FetchedSource:
    """Fetch ``spec`` and hash it; raise :class:`LayerError` naming the layer on failure."""
    if spec.kind == "file":
        assert spec.path is not None
        path = resolve_path(spec.path, base_dir)
        if not path.exists():
            raise LayerError(layer, str(path), "file not found")
        return FetchedSource(
            layer=layer,
            path=path,
            sha256=sha256_of_files(_layer_files(path)),
            retrieved_at=datetime.now(UTC),
            location=str(path),
        )
    from pipeline.sources.remote import fetch_remote

    return fetch_remote(layer, spec, cache_dir)
