"""Ingest one catalogue layer: fetch, recognise an unchanged source, read, normalise, stage.

States (``IngestOutcome.state``): ``fresh`` (read and staged now), ``unchanged`` (same input
key as the staged copy, nothing read), ``stale`` (this run failed, the last good copy is
kept byte-identical), ``failed`` (this run failed and there is no good copy).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import geopandas as gpd

from pipeline.config.errors import LayerError
from pipeline.config.models import LayerSpec
from pipeline.ingest.normalise import NormaliseCounts, normalise
from pipeline.ingest.stage import (
    LayerState,
    Provenance,
    input_key,
    provenance_from_dict,
    read_provenance,
    write_staged,
)
from pipeline.sources import FetchedSource, fetch_source, read_fetched


@dataclass(frozen=True)
class IngestOutcome:
    """What one ingest did: the layer state and the provenance of the copy now staged.

    ``error`` holds the message of a failure (state ``stale`` when a last good copy exists,
    ``failed`` when none does); ``provenance`` is None only for ``failed``.
    """

    layer: str
    state: LayerState
    provenance: Provenance | None
    error: str | None = None


def ingest_layer(
    spec: LayerSpec, *, base_dir: Path, staging_dir: Path, cache_dir: Path
) -> IngestOutcome:
    """Stage ``spec``'s source; keep the last good copy when it cannot be fetched or read.

    Never raises for a bad source: any failure to fetch, read or normalise becomes state
    ``stale`` or ``failed`` with an ``error`` naming the layer, the source and the cause,
    so the other layers still run. A source whose input key (bytes, catalogue entry,
    normalisation version) equals the staged copy's is not re-read (state ``unchanged``).
    The outcome is also written to ``staging/<layer>.state.json``.

    Parameters
    ----------
    spec
        The catalogue entry.
    base_dir
        Folder that relative source paths resolve against (the catalogue's folder).
    staging_dir
        Where ``<layer>.parquet``, ``<layer>.json`` and ``<layer>.state.json`` live.
    cache_dir
        Root of the HTTP cache.
    """
    outcome = _ingest(spec, base_dir=base_dir, staging_dir=staging_dir, cache_dir=cache_dir)
    write_outcome(staging_dir, outcome)
    return outcome


def _ingest(
    spec: LayerSpec, *, base_dir: Path, staging_dir: Path, cache_dir: Path
) -> IngestOutcome:
    previous = read_provenance(staging_dir, spec.name)
    try:
        fetched = fetch_source(spec.name, spec.source, base_dir, cache_dir)
        if previous is not None and previous.input_key == input_key(spec, fetched.sha256):
            return IngestOutcome(spec.name, "unchanged", previous)
        staged, counts = _read_and_normalise(fetched, spec)
    except Exception as exc:
        error = exc if isinstance(exc, LayerError) else _unexpected(spec, base_dir, exc)
        state: LayerState = "stale" if previous is not None else "failed"
        return IngestOutcome(spec.name, state, previous, str(error))
    provenance = Provenance.build(
        spec, fetched.location, fetched.sha256, fetched.retrieved_at, counts
    )
    write_staged(staging_dir, staged, provenance)
    return IngestOutcome(spec.name, "fresh", provenance)


def _read_and_normalise(
    fetched: FetchedSource, spec: LayerSpec
) -> tuple[gpd.GeoDataFrame, NormaliseCounts]:
    raw = read_fetched(fetched, spec.source)
    return normalise(raw, spec, fetched.location)


def _unexpected(spec: LayerSpec, base_dir: Path, exc: Exception) -> LayerError:
    """A named layer error for an exception no reader or check anticipated."""
    problem = f"unexpected {type(exc).__name__}: {exc}"
    return LayerError(spec.name, spec.source.location(base_dir), problem)


def write_outcome(staging_dir: Path, outcome: IngestOutcome) -> None:
    """Record the layer's state in this run (``staging/<layer>.state.json``)."""
    staging_dir.mkdir(parents=True, exist_ok=True)
    path = staging_dir / f"{outcome.layer}.state.json"
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(asdict(outcome), ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def read_outcome(staging_dir: Path, layer: str) -> IngestOutcome | None:
    """The state recorded by the layer's last ingest, or None if it never ran."""
    path = staging_dir / f"{layer}.state.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    prov = data.pop("provenance")
    return IngestOutcome(provenance=provenance_from_dict(prov) if prov else None, **data)
