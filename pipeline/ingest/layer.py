"""Ingest one catalogue layer: fetch, recognise an unchanged source, read, normalise, stage.

States (``IngestOutcome.state``): ``fresh`` (read and staged now), ``unchanged`` (same input
key as the staged copy, nothing read), ``stale`` (this run failed, the last good copy is
kept byte-identical), ``failed`` (this run failed and there is no good copy).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import geopandas as gpd

from pipeline.config.errors import LayerError
from pipeline.config.models import LayerSpec
from pipeline.fileio import write_text_atomic
from pipeline.ingest.normalise import NormaliseCounts, normalise
from pipeline.ingest.staged import (
    LayerState,
    Provenance,
    input_key,
    provenance_from_dict,
    read_provenance,
    write_staged,
)
from pipeline.layout import DataLayout
from pipeline.sources import FetchedSource, fetch_source, read_fetched


@dataclass(frozen=True)
class IngestOutcome:
    """What one ingest did: the layer state and the provenance of the copy now staged.

    ``error`` holds the message of a failure (state ``stale`` when a last good copy exists,
    ``failed`` when none does; an empty copy is a good one only for an ``empty_ok`` layer),
    or, for ``fresh``, says that an empty copy (``empty_ok: true``) replaced one that had
    features; ``provenance`` is None only for ``failed``.
    """

    layer: str
    state: LayerState
    provenance: Provenance | None
    error: str | None = None


def ingest_layer(spec: LayerSpec, *, base_dir: Path, layout: DataLayout) -> IngestOutcome:
    """Stage ``spec``'s source; keep the last good copy when it cannot be fetched or read.

    Never raises for a bad source: any failure to fetch, read or normalise becomes state
    ``stale`` or ``failed`` with an ``error`` naming the layer, the source and the cause,
    so the other layers still run. A source whose input key (bytes, catalogue entry,
    normalisation version) equals the staged copy's is not re-read (state ``unchanged``).
    The outcome is also written to the layer's ingest state file.

    Parameters
    ----------
    spec
        The catalogue entry.
    base_dir
        Folder that relative source paths resolve against (the catalogue's folder).
    layout
        The data folder: staged copies and the source cache.
    """
    outcome = _ingest(spec, base_dir=base_dir, layout=layout)
    write_outcome(layout, outcome)
    return outcome


def _ingest(spec: LayerSpec, *, base_dir: Path, layout: DataLayout) -> IngestOutcome:
    previous = read_provenance(layout, spec.name)
    try:
        fetched = fetch_source(spec.name, spec.source, base_dir, layout.source_cache)
        if previous is not None and previous.input_key == input_key(spec, fetched.sha256):
            return IngestOutcome(spec.name, "unchanged", previous)
        staged, counts = _read_and_normalise(fetched, spec)
    except Exception as exc:
        error = exc if isinstance(exc, LayerError) else _unexpected(spec, base_dir, exc)
        if previous is None or (previous.features_kept == 0 and not spec.empty_ok):
            # an empty copy staged by older code is no good copy: its rules are unknown
            return IngestOutcome(spec.name, "failed", None, str(error))
        return IngestOutcome(spec.name, "stale", previous, str(error))
    provenance = Provenance.build(
        spec, fetched.location, fetched.sha256, fetched.retrieved_at, counts
    )
    write_staged(layout, staged, provenance)
    return IngestOutcome(spec.name, "fresh", provenance, _emptied_note(spec, previous, counts))


def _emptied_note(
    spec: LayerSpec, previous: Provenance | None, counts: NormaliseCounts
) -> str | None:
    """What to say when an empty copy (``empty_ok``) replaced one that had features."""
    if counts.kept > 0 or previous is None or previous.features_kept == 0:
        return None
    return str(
        LayerError(
            spec.name,
            previous.source,
            f"staged empty (empty_ok: true): {counts.read} features read, "
            f"{counts.filtered} filtered out; the copy it replaced had "
            f"{previous.features_kept} features",
        )
    )


def _read_and_normalise(
    fetched: FetchedSource, spec: LayerSpec
) -> tuple[gpd.GeoDataFrame, NormaliseCounts]:
    raw = read_fetched(fetched, spec.source)
    return normalise(raw, spec, fetched.location)


def _unexpected(spec: LayerSpec, base_dir: Path, exc: Exception) -> LayerError:
    """A named layer error for an exception no reader or check anticipated."""
    problem = f"unexpected {type(exc).__name__}: {exc}"
    return LayerError(spec.name, spec.source.location(base_dir), problem)


def write_outcome(layout: DataLayout, outcome: IngestOutcome) -> None:
    """Record the layer's state in this run (its ingest state file)."""
    write_text_atomic(
        layout.ingest_state(outcome.layer),
        json.dumps(asdict(outcome), ensure_ascii=False, indent=1),
    )


def read_outcome(layout: DataLayout, layer: str) -> IngestOutcome | None:
    """The state recorded by the layer's last ingest, or None if it never ran."""
    path = layout.ingest_state(layer)
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    prov = data.pop("provenance")
    return IngestOutcome(provenance=provenance_from_dict(prov) if prov else None, **data)
