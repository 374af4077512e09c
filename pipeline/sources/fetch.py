"""Turn a catalogue source into local bytes with a content hash.

Grain: one fetched source per layer per run. ``file`` sources are read in place; remote kinds
download into the HTTP cache (:mod:`pipeline.sources.remote`). The sha256 lets the caller
recognise an unchanged source without reading it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipeline.config.errors import LayerError
from pipeline.config.models import SourceSpec, resolve_path
from pipeline.fileio import sha256_file

#: Files that belong to a shapefile and change its content.
SHAPEFILE_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


@dataclass(frozen=True)
class FetchedSource:
    """Local bytes of one layer's source.

    ``path`` is the file to read (for a shapefile the ``.shp``), ``sha256`` the hash of every
    byte that makes up the layer, ``location`` the path or URL the bytes came from.
    """

    layer: str
    path: Path
    sha256: str
    retrieved_at: datetime
    location: str
    #: True when the server confirmed the cached copy (HTTP 304 on every request), so the
    #: bytes are those of an earlier run. ``file`` sources leave it False; compare ``sha256``.
    not_modified: bool = False


def sha256_of_files(paths: list[Path], root: Path | None = None) -> str:
    """SHA-256 identifying the bytes of ``paths``.

    One file: the plain SHA-256 of its bytes (what ``sha256sum`` prints). Several files (a
    shapefile's parts, a folder dataset): the SHA-256 of each file's name (relative to
    ``root`` when given) and SHA-256, in the given order.
    """
    if len(paths) == 1 and root is None:
        return sha256_file(paths[0])
    digest = hashlib.sha256()
    for path in paths:
        name = path.relative_to(root).as_posix() if root else path.name
        digest.update(name.encode())
        digest.update(bytes.fromhex(sha256_file(path)))
    return digest.hexdigest()


def layer_files(path: Path) -> list[Path]:
    """The files whose bytes make up the dataset at ``path``.

    A shapefile is its ``.shp`` with the sidecars present; a folder dataset (``.gdb``) is all
    files below it in sorted order; anything else is the file itself.
    """
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file())
    if path.suffix.lower() == ".shp":
        found = []
        for ext in SHAPEFILE_SIDECARS:
            for candidate in (path.with_suffix(ext), path.with_suffix(ext.upper())):
                if candidate.exists():
                    found.append(candidate)
                    break
        return found
    return [path]


def fetch_source(layer: str, spec: SourceSpec, base_dir: Path, cache_dir: Path) -> FetchedSource:
    """Fetch ``spec`` and hash it.

    Parameters
    ----------
    layer
        Catalogue layer name (for messages).
    spec
        The layer's source.
    base_dir
        Folder that relative ``path`` values resolve against (the catalogue's folder).
    cache_dir
        Root of the HTTP cache and of assembled service results.

    Raises
    ------
    LayerError
        Naming the layer, the path or URL and the cause.
    """
    if spec.kind != "file":
        from pipeline.sources.remote import fetch_remote

        return fetch_remote(layer, spec, cache_dir)
    assert spec.path is not None
    path = resolve_path(spec.path, base_dir)
    if not path.exists():
        raise LayerError(layer, str(path), "file not found")
    try:
        digest = sha256_of_files(layer_files(path), path if path.is_dir() else None)
    except OSError as exc:
        raise LayerError(layer, str(path), f"cannot read: {exc}") from exc
    return FetchedSource(layer, path, digest, datetime.now(UTC), str(path))
