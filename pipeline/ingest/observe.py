"""What is known about a layer's source without fetching it: its fingerprint.

A local ``file`` source is fingerprinted by the SHA-256 of its bytes, exactly as ingest
records it (:func:`pipeline.sources.local.sha256_of_files`: a shapefile's parts and a
``.gdb`` folder included), so an observed version equals the staged copy's ``sha256`` when
the layer is current. The hash is computed again only when a file's size or modification
time changed since the last observation (``previous``), so observing a large unchanged
source costs a ``stat`` per file. A remote source (``http``, ``atom``, ``wfs``, ``ogcapi``,
``arcgis``) is never fetched here: its fingerprint is what the pipeline's last fetch saw,
the SHA-256 of the bytes the HTTP cache held then (the layer's provenance, with
``retrieved_at``); it changes when a night fetches different bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipeline.config import LayerSpec
from pipeline.config.models import FileSource, resolve_path
from pipeline.ingest.layer import read_outcome
from pipeline.layout import DataLayout
from pipeline.sources.local import layer_files, sha256_of_files

#: Data version of a local source that does not exist (or cannot be read).
MISSING = "missing"
#: Data version of a remote source no night has fetched yet.
NEVER_FETCHED = "never-fetched"


@dataclass(frozen=True)
class SourceStamp:
    """One observation of one layer's source.

    ``version``: the fingerprint (a SHA-256, :data:`MISSING` or :data:`NEVER_FETCHED`);
    ``basis``: how it was obtained, in words; ``changed_at``: when the source last changed as
    far as can be told without fetching (the newest file modification time of a local
    source, the last fetch of a remote one), ISO 8601 UTC or ``""``; ``stat``: each local
    file's (path, size, mtime in ns), to skip rehashing an unchanged source.
    """

    layer: str
    version: str
    basis: str
    changed_at: str = ""
    stat: tuple[tuple[str, int, int], ...] = ()


def observe_source(
    spec: LayerSpec, *, base_dir: Path, layout: DataLayout, previous: SourceStamp | None = None
) -> SourceStamp:
    """Fingerprint ``spec``'s source without fetching it (module doc).

    ``base_dir`` is the catalogue's folder (relative paths), ``layout`` the data folder whose
    ingest state holds a remote source's last fetch, ``previous`` this layer's last
    observation (its hash is reused when no file's size or modification time changed).
    """
    source = spec.source.root
    if isinstance(source, FileSource):
        return _observe_file(spec.name, resolve_path(source.path, base_dir), previous)
    outcome = read_outcome(layout, spec.name)
    provenance = outcome.provenance if outcome is not None else None
    if provenance is None:
        return SourceStamp(spec.name, NEVER_FETCHED, "no night has fetched this source yet")
    return SourceStamp(
        spec.name,
        provenance.sha256,
        "SHA-256 of the bytes the last fetch received (not fetched to observe)",
        changed_at=provenance.retrieved_at,
    )


def _observe_file(layer: str, path: Path, previous: SourceStamp | None) -> SourceStamp:
    try:
        files = layer_files(path) if path.exists() else []
        stats = tuple((str(f), s.st_size, s.st_mtime_ns) for f in files for s in [f.stat()])
    except OSError:
        files, stats = [], ()
    if not files:
        return SourceStamp(layer, MISSING, f"{path} does not exist")
    newest = datetime.fromtimestamp(max(s[2] for s in stats) / 1e9, UTC).isoformat()
    basis = "SHA-256 of the file's bytes, as ingest records it"
    if previous is not None and previous.stat == stats and previous.version != MISSING:
        return SourceStamp(layer, previous.version, basis, newest, stats)
    digest = sha256_of_files(files, path if path.is_dir() else None)
    return SourceStamp(layer, digest, basis, newest, stats)
