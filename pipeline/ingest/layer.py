"""Ingest one catalogue layer: fetch, recognise an unchanged source, read, normalise, stage."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from pipeline.config.errors import LayerError
from pipeline.config.models import LayerSpec
from pipeline.ingest.normalise import normalise
from pipeline.ingest.stage import (
    LayerState,
    Provenance,
    input_key,
    read_provenance,
    write_staged,
)
from pipeline.sources import fetch_source, read_fetched


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

    A source whose bytes, catalogue entry and normalisation version are unchanged is not
    re-read (state ``unchanged``).
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
        raw = read_fetched(fetched, spec.source)
        staged, counts = normalise(raw, spec, fetched.location)
    except LayerError as exc:
        state: LayerState = "stale" if previous is not None else "failed"
        return IngestOutcome(spec.name, state, previous, str(exc))
    provenance = Provenance.build(
        spec, fetched.location, fetched.sha256, fetched.retrieved_at, counts
    )
    write_staged(staging_dir, staged, provenance)
    return IngestOutcome(spec.name, "fresh", provenance)


def write_outcome(staging_dir: Path, outcome: IngestOutcome) -> None:
    """Record the layer's state in this run (``staging/<layer>.state.json``)."""
    staging_dir.mkdir(parents=True, exist_ok=True)
    path = staging_dir / f"{outcome.layer}.state.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(outcome), ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def read_outcome(staging_dir: Path, layer: str) -> IngestOutcome | None:
    """The state recorded by the layer's last ingest, or None if it never ran."""
    path = staging_dir / f"{layer}.state.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    prov = data.pop("provenance")
    return IngestOutcome(provenance=Provenance(**prov) if prov else None, **data)
