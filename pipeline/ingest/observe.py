"""What is known about a layer's source without fetching it: its fingerprint.

A local ``file`` source is fingerprinted by the SHA-256 of its bytes, exactly as ingest
records it (:func:`pipeline.sources.local.sha256_of_files`: a shapefile's parts and a
``.gdb`` folder included), so an observed version equals the staged copy's ``sha256`` when
the layer is current. Observation and ingest share the data folder's memo of local files'
SHA-256s (:class:`pipeline.fileio.FileMemo`): a file not written since either hashed it
is not hashed again, so observing a large unchanged source costs a ``stat`` per file. A
remote source (``http``, ``atom``, ``wfs``, ``ogcapi``, ``arcgis``) is never fetched here:
its fingerprint is what the pipeline's last fetch saw, the SHA-256 of the bytes the HTTP
cache held then (the layer's provenance, with ``retrieved_at``); it changes when a night
fetches different bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipeline.config import LayerSpec
from pipeline.config.models import FileSource, resolve_path
from pipeline.fileio import FileMemo
from pipeline.ingest.layer import read_outcome
from pipeline.layout import DataLayout
from pipeline.sources.local import SHA256_MEMO, layer_files, sha256_of_files

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
    source, the last fetch of a remote one), ISO 8601 UTC or ``""``.
    """

    layer: str
    version: str
    basis: str
    changed_at: str = ""


def observe_source(spec: LayerSpec, *, base_dir: Path, layout: DataLayout) -> SourceStamp:
    """Fingerprint ``spec``'s source without fetching it (module doc).

    ``base_dir`` is the catalogue's folder (relative paths), ``layout`` the data folder whose
    ingest state holds a remote source's last fetch and whose source cache holds the memo of
    local files' SHA-256s.
    """
    source = spec.source.root
    if isinstance(source, FileSource):
        memo = FileMemo(layout.source_cache / SHA256_MEMO)
        stamp = _observe_file(spec.name, resolve_path(source.path, base_dir), memo)
        memo.save()
        return stamp
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


def _observe_file(layer: str, path: Path, memo: FileMemo) -> SourceStamp:
    try:
        files = layer_files(path) if path.exists() else []
        newest_ns = max((f.stat().st_mtime_ns for f in files), default=0)
    except OSError:
        files = []
    if not files:
        return SourceStamp(layer, MISSING, f"{path} does not exist")
    digest = sha256_of_files(files, path if path.is_dir() else None, memo)
    newest = datetime.fromtimestamp(newest_ns / 1e9, UTC).isoformat()
    return SourceStamp(layer, digest, "SHA-256 of the file's bytes, as ingest records it", newest)
