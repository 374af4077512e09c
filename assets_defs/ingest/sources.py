"""Each layer's source as an asset of its own, observed: when did the source last change?

One external asset per catalogue layer, ``<layer>_source`` in the group ``sources``; the
layer's ingest asset depends on it. The sensor :data:`source_observer` fingerprints every
source each hour without fetching anything (:func:`pipeline.ingest.observe.observe_source`:
a local file's SHA-256, a remote source's last fetch) and records an observation whose data
version is the fingerprint, only when it differs from the last one: the source's page lists
its changes, and the latest observation says when it last changed. Nightly runs (and `make
run`) never execute these assets; the fingerprint the ingest step compares is its own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import dagster as dg

from assets_defs.common import OWNERS, configured, source_key
from assets_defs.resources import LanduseSettings
from pipeline.config import LayerSpec
from pipeline.ingest.observe import SourceStamp, observe_source

#: The observation tag Dagster reads a data version from (``dagster/data_version``).
DATA_VERSION_TAG = "dagster/data_version"
#: How often the sources are observed (s).
OBSERVE_EVERY_S = 3600


def source_spec(spec: LayerSpec, base_dir: Path) -> dg.AssetSpec:
    """The external asset standing for ``spec``'s source."""
    return dg.AssetSpec(
        key=source_key(spec.name),
        group_name="sources",
        kinds={spec.source.root.kind},
        owners=OWNERS,
        tags={"theme": spec.theme},
        description=(
            f"The source of {spec.title}: {spec.source.root.kind} "
            f"{spec.source.location(base_dir)}. Observed hourly by source_observer; "
            "the data version is the source's SHA-256 (a remote source's as last fetched)."
        ),
    )


def changed_observations(
    stamps: list[SourceStamp], known: Mapping[str, SourceStamp]
) -> list[dg.AssetObservation]:
    """One observation per source whose fingerprint differs from ``known`` (or is new)."""
    return [
        dg.AssetObservation(
            asset_key=source_key(stamp.layer),
            metadata={"basis": stamp.basis, "changed_at": stamp.changed_at or "unknown"},
            tags={DATA_VERSION_TAG: stamp.version},
        )
        for stamp in stamps
        if stamp.layer not in known or known[stamp.layer].version != stamp.version
    ]


def read_cursor(cursor: str | None) -> dict[str, SourceStamp]:
    """The last observation of each layer, from the sensor's cursor (a cursor of an older
    version may hold more per layer)."""
    stamps = json.loads(cursor) if cursor else {}
    return {
        layer: SourceStamp(layer, item["version"], item["basis"], item["changed_at"])
        for layer, item in stamps.items()
    }


def write_cursor(stamps: list[SourceStamp]) -> str:
    """The sensor's cursor for ``stamps``."""
    return json.dumps(
        {
            s.layer: {"version": s.version, "basis": s.basis, "changed_at": s.changed_at}
            for s in stamps
        }
    )


@dg.sensor(
    minimum_interval_seconds=OBSERVE_EVERY_S,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Every hour, fingerprints each layer's source without fetching it and "
    "records an observation on <layer>_source when the fingerprint changed.",
)
def source_observer(
    context: dg.SensorEvaluationContext, landuse: LanduseSettings
) -> dg.SensorResult:
    """Observe every source; an observation only for the ones that changed."""
    _, catalogue, _ = configured()
    known = read_cursor(context.cursor)
    stamps = [
        observe_source(spec, base_dir=catalogue.base_dir, layout=landuse.layout)
        for spec in catalogue.layers
    ]
    events = changed_observations(stamps, known)
    return dg.SensorResult(
        asset_events=events,
        cursor=write_cursor(stamps),
        skip_reason=None if events else f"{len(stamps)} sources observed, none changed",
    )


@dg.definitions
def defs() -> dg.Definitions:
    _, catalogue, _ = configured()
    return dg.Definitions(
        assets=[source_spec(spec, catalogue.base_dir) for spec in catalogue.layers],
        sensors=[source_observer],
    )
