"""The night: the asset every run of the nightly job materializes first.

Ingest materializes a layer only when its source changed, and index and conflicts their
assets only when they rebuilt them (docs/decisions.md, *Honest asset state*). Dagster skips a
step when an upstream step emitted nothing, so a step that must decide for itself (a layer's
cells, whose buffers follow the rules; the conflict tables, which follow the rules and every
layer) takes its upstream assets *and* ``night`` as one fan-in input: it is skipped only when
all of them emitted nothing, and ``night`` always emits. What the night records is true of
every night: when it started and which configuration and code it runs under.
"""

from datetime import UTC, datetime

import dagster as dg

from assets_defs.common import NIGHT_KEY, OWNERS, configured, configured_scenarios
from assets_defs.scenarios.assets import SCENARIOS_CODE_VERSION
from pipeline.config.plan import configuration_key
from pipeline.conflicts.build import CONFLICTS_CODE_VERSION
from pipeline.index.stage import INDEX_CODE_VERSION
from pipeline.ingest import NORMALISE_VERSION
from pipeline.versioning import source_fingerprint


@dg.asset(
    key=NIGHT_KEY,
    group_name="night",
    kinds={"python"},
    owners=OWNERS,
    code_version=source_fingerprint("assets_defs/night.py", "pipeline/config/plan.py"),
    description=(
        "One per run of the nightly job: when the night started, the catalogue, rules and "
        "scenarios it runs under (data version: their configuration key) and each stage's "
        "code version. Every index and conflict step hangs on it, so they check their inputs "
        "every night; what a night found is in mart.runs and the run's landuse/night tag."
    ),
)
def night(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """Record the start of the night and the configuration it runs under."""
    settings, catalogue, rules = configured()
    scenarios = configured_scenarios()
    key = configuration_key(catalogue, rules, scenarios)
    return dg.MaterializeResult(
        metadata={
            "started_at": dg.MetadataValue.timestamp(datetime.now(UTC)),
            "catalogue": dg.MetadataValue.path(str(settings.catalogue_path)),
            "rules": dg.MetadataValue.path(str(settings.rules_path)),
            "scenarios": ", ".join(scenarios.names) if scenarios is not None else "none",
            "layers": len(catalogue.layers),
            "rule_count": len(rules.rules),
            "h3_resolution": rules.h3_resolution,
            "configuration_key": key,
            "code_versions": dg.MetadataValue.json(
                {
                    "ingest": NORMALISE_VERSION,
                    "index": INDEX_CODE_VERSION,
                    "conflicts": CONFLICTS_CODE_VERSION,
                    "scenarios": SCENARIOS_CODE_VERSION,
                }
            ),
            "run_id": context.run.run_id,
        },
        data_version=dg.DataVersion(key),
    )


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[night])
