"""Checks on each staged layer: is this run's copy fresh, or a stale/missing one?"""

import dagster as dg

from assets_defs.common import configured, features_key
from assets_defs.resources import LanduseSettings
from pipeline.config import LayerSpec
from pipeline.ingest import read_outcome


def build_fresh_check(spec: LayerSpec) -> dg.AssetChecksDefinition:
    """WARN (non-blocking) when the source failed and the last good copy is used, ERROR when
    there is no copy at all; rules needing the layer then report ``unknown``."""

    @dg.asset_check(
        asset=features_key(spec.name),
        name=f"{spec.name}_features_source_read",
        blocking=False,
        description=f"The source of {spec.name} was read in this run (not a stale copy).",
    )
    def _check(landuse: LanduseSettings) -> dg.AssetCheckResult:
        outcome = read_outcome(landuse.layout, spec.name)
        state = outcome.state if outcome else "failed"
        severity = dg.AssetCheckSeverity.ERROR if state == "failed" else dg.AssetCheckSeverity.WARN
        return dg.AssetCheckResult(
            passed=state in ("fresh", "unchanged"),
            severity=severity,
            metadata={"state": state, "error": (outcome.error if outcome else None) or ""},
        )

    return _check


@dg.definitions
def defs() -> dg.Definitions:
    _, catalogue, _ = configured()
    return dg.Definitions(asset_checks=[build_fresh_check(spec) for spec in catalogue.layers])
