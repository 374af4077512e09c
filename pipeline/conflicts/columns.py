"""The column dictionary of the analyst tables: one source for comments and Dagster schemas.

Every ``mart`` table of ``landuse.duckdb`` is described here once. The publish stage turns
it into ``COMMENT ON TABLE/COLUMN`` statements in the published file, and the Dagster assets
turn :func:`table_schema` into ``dagster/column_schema`` metadata, so the UI and the file say
the same thing. Geometry is ``GEOMETRY('EPSG:3006')`` (SWEREF 99 TM, metres); H3 cells are
``UBIGINT`` at the rule set's resolution (default 9).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pipeline.config.models import check_identifier
from pipeline.db import sql_literal
from pipeline.schemas import GEOMETRY


@dataclass(frozen=True)
class Column:
    """One documented column: its name, DuckDB type and what it means."""

    name: str
    type: str
    description: str


@dataclass(frozen=True)
class Table:
    """One documented mart table: its grain and its columns in table order."""

    name: str
    grain: str
    columns: tuple[Column, ...]


def _cols(*rows: tuple[str, str, str]) -> tuple[Column, ...]:
    return tuple(Column(*row) for row in rows)


_SEVERITY = "Severity of the rule: exclusion, high, medium or low."
_UNKNOWN_STATUS = (
    "complete, or unknown while any rule is unknown because a layer it needs failed or is "
    "missing (figures then cover only the rules that could be evaluated)."
)
_UNKNOWN_RULES = "Rules that could not be evaluated in this run (empty when complete)."


def _severity_block(prefix: str, unit: str, what: str) -> list[tuple[str, str, str]]:
    kind = "INTEGER" if prefix == "conflicts" else "DOUBLE"
    rows = []
    for sev in ("exclusion", "high", "medium", "low"):
        name = f"{prefix}_{sev}{unit}"
        rows.append((name, kind, f"{what} of severity {sev}."))
    return rows


MART: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "conflicts",
            "One overlap (or within-distance pair) of a side-A feature and a side-B feature "
            "under one rule, ranked by score. Geometry is the exact overlap in EPSG:3006 "
            "(a polygon, a line inside a polygon, or a point).",
            _cols(
                ("conflict_id", "VARCHAR", "Stable id: hash of rule and both features; the "
                 "same pair keeps its id across runs."),
                ("rank", "INTEGER", "Rank by score across the region (1 = highest score)."),
                ("rank_in_kommun", "INTEGER", "Rank by score within the conflict's main kommun "
                 "(the first of kommun_codes)."),
                ("rule_id", "VARCHAR", "Rule that found the conflict (config/rules.yaml)."),
                ("rule_title", "VARCHAR", "Human-readable title of the rule."),
                ("severity", "VARCHAR", _SEVERITY),
                ("score", "DOUBLE", "weight[severity] x max(area km², minimum area) x value "
                 "factor of each side (e.g. farmland class)."),
                ("area_m2", "DOUBLE", "Exact area of the overlap in m² (of side A buffered by "
                 "the rule distance with side B for distance rules); 0 when either side is a "
                 "point or a line."),
                ("distance_m", "DOUBLE", "Shortest distance in m between the two unbuffered "
                 "features (0 when they touch or overlap, and for every conflict of a rule "
                 "without a distance). A distance rule's conflict has distance_m <= the rule's "
                 "distance (rule_summary.distance_m)."),
                ("length_m", "DOUBLE", "Length in m of the linear side inside the other: of "
                 "side B inside side A (buffered by the rule distance) when B is a line, else "
                 "of side A inside side B when A is a line; NULL when neither side is linear."),
                ("layer_a", "VARCHAR", "Catalogue layer of the side-A feature (the land use "
                 "that may cause harm)."),
                ("feature_id_a", "VARCHAR", "Id of the side-A feature in its source."),
                ("name_a", "VARCHAR", "Name of the side-A feature, when the source has one."),
                ("layer_b", "VARCHAR", "Catalogue layer of the side-B feature (the interest "
                 "that may be harmed)."),
                ("feature_id_b", "VARCHAR", "Id of the side-B feature in its source."),
                ("name_b", "VARCHAR", "Name of the side-B feature, when the source has one."),
                ("kommun_codes", "VARCHAR[]", "Kommun codes the overlap lies in, largest "
                 "share first."),
                ("kommun_names", "VARCHAR[]", "Kommun names in the order of kommun_codes."),
                ("kommunalforbund", "VARCHAR[]", "Kommunalförbund of those kommuner."),
                ("cross_border", "BOOLEAN", "True when the overlap lies in more than one "
                 "kommun."),
                ("legal_basis", "VARCHAR", "Legal basis of the rule (e.g. MB 7 kap 28 a §)."),
                ("authority", "VARCHAR", "Authority responsible under the rule."),
                ("reason", "VARCHAR", "One sentence: what overlaps, crosses or lies how far "
                 "from what, by how much, under which legal basis and authority."),
                ("first_seen", "DATE", "Date of the run in which this conflict_id first "
                 "appeared (from the run history)."),
                ("status", "VARCHAR", "Against the previous run: new, unchanged or changed."),
                ("candidate_cells", "BIGINT", "H3 cells in which both features were found "
                 "(the candidate stage before the exact overlap)."),
                ("geometry", GEOMETRY, "Exact overlap of the two features (side A buffered "
                 "by the rule distance): polygons, the part of a line inside the other side, "
                 "or points, EPSG:3006."),
            ),
        ),
        Table(
            "conflict_zones",
            "One contiguous conflict area of one rule: conflicts whose H3 cells touch, "
            "dissolved; geometry in EPSG:3006.",
            _cols(
                ("zone_id", "VARCHAR", "Id from the rule and the zone's member features."),
                ("rank", "INTEGER", "Rank by score across the region (1 = highest score)."),
                ("rule_id", "VARCHAR", "Rule of every conflict in the zone."),
                ("rule_title", "VARCHAR", "Human-readable title of the rule."),
                ("severity", "VARCHAR", _SEVERITY),
                ("score", "DOUBLE", "Sum of the member conflicts' scores."),
                ("area_m2", "DOUBLE", "Area of the dissolved zone in m² (no double counting)."),
                ("conflicts", "INTEGER", "Number of member conflicts."),
                ("features_a", "VARCHAR[]", "Side-A features as layer:feature_id."),
                ("features_b", "VARCHAR[]", "Side-B features as layer:feature_id."),
                ("names_a", "VARCHAR[]", "Names of the side-A features."),
                ("names_b", "VARCHAR[]", "Names of the side-B features."),
                ("kommun_codes", "VARCHAR[]", "Kommun codes the zone touches."),
                ("kommun_names", "VARCHAR[]", "Kommun names the zone touches."),
                ("kommunalforbund", "VARCHAR[]", "Kommunalförbund the zone touches."),
                ("cross_border", "BOOLEAN", "True when the zone lies in more than one kommun."),
                ("legal_basis", "VARCHAR", "Legal basis of the rule."),
                ("authority", "VARCHAR", "Authority responsible under the rule."),
                ("top_conflict_id", "VARCHAR", "conflict_id of the member with the highest "
                 "score."),
                ("cells", "INTEGER", "Number of H3 cells in the zone."),
                ("geometry", GEOMETRY, "Union of the member conflicts' overlaps, EPSG:3006."),
            ),
        ),
        Table(
            "conflict_cells",
            "One (H3 cell, rule) where a kept conflict's two features both cover the cell "
            "(H3 resolution from rules.yaml, default 9).",
            _cols(
                ("h3", "UBIGINT", "H3 cell id as an unsigned 64-bit integer (h3-py "
                 "basic_int); hex string with h3_h3_to_string or printf('%x', h3)."),
                ("rule_id", "VARCHAR", "Rule the cell belongs to."),
                ("severity", "VARCHAR", _SEVERITY),
                ("coverage_a", "DOUBLE", "Largest fraction (0-1) of the cell covered by a "
                 "side-A feature."),
                ("coverage_b", "DOUBLE", "Largest fraction (0-1) of the cell covered by a "
                 "side-B feature."),
                ("overlap_estimate_m2", "DOUBLE", "Estimated overlap in the cell: the smaller "
                 "of the two covered areas, m²."),
                ("score", "DOUBLE", "weight[severity] x overlap_estimate_m2 in km²."),
                ("line_length_m", "DOUBLE", "Largest length in m inside the cell of a line of "
                 "the cell's conflicts (either side; 0 when neither side is a line)."),
                ("conflicts", "INTEGER", "Number of conflicts that meet in the cell."),
                ("kommun_code", "VARCHAR", "Kommun covering most of the cell."),
            ),
        ),
        Table(
            "kommun_summary",
            "One kommun of the län (all of them, zeros included); areas and scores are "
            "attributed by the share of each conflict inside the kommun. Geometry EPSG:3006.",
            _cols(
                ("kommun_code", "VARCHAR", "Four-digit kommun code (SCB)."),
                ("kommun_name", "VARCHAR", "Kommun name."),
                ("kommunalforbund", "VARCHAR", "Kommunalförbund the kommun belongs to."),
                ("conflicts", "INTEGER", "Conflicts with any share in the kommun."),
                ("area_m2", "DOUBLE", "Conflict area inside the kommun, m²."),
                ("score", "DOUBLE", "Score attributed to the kommun by area share."),
                *_severity_block("conflicts", "", "Conflicts"),
                *_severity_block("area", "_m2", "Conflict area inside the kommun (m²)"),
                *_severity_block("score", "", "Score attributed to the kommun"),
                ("cross_border_conflicts", "INTEGER", "Conflicts that also reach another "
                 "kommun."),
                ("top_conflict_id", "VARCHAR", "conflict_id with the largest score share in "
                 "the kommun."),
                ("top_conflict_reason", "VARCHAR", "reason of that conflict."),
                ("status", "VARCHAR", _UNKNOWN_STATUS),
                ("unknown_rules", "VARCHAR[]", _UNKNOWN_RULES),
                ("geometry", GEOMETRY, "Kommun boundary, EPSG:3006 (NULL when the kommun "
                 "layer has no such kommun)."),
            ),
        ),
        Table(
            "kommunalforbund_summary",
            "One kommunalförbund (all of them), members from the versioned membership table.",
            _cols(
                ("kommunalforbund", "VARCHAR", "Name of the kommunalförbund."),
                ("members", "INTEGER", "Member kommuner (in any län)."),
                ("members_in_study_area", "INTEGER", "Member kommuner in the study area."),
                ("kommun_names", "VARCHAR[]", "Names of the member kommuner."),
                ("conflicts", "INTEGER", "Conflicts with any share in a member kommun."),
                ("area_m2", "DOUBLE", "Conflict area inside the member kommuner, m²."),
                ("score", "DOUBLE", "Score attributed to the member kommuner."),
                *_severity_block("conflicts", "", "Conflicts"),
                ("top_conflict_id", "VARCHAR", "conflict_id with the largest score share."),
                ("top_conflict_reason", "VARCHAR", "reason of that conflict."),
                ("status", "VARCHAR", _UNKNOWN_STATUS),
                ("unknown_rules", "VARCHAR[]", _UNKNOWN_RULES),
            ),
        ),
        Table(
            "fa_summary",
            "One local labour-market region (FA region) holding kommuner of the län.",
            _cols(
                ("fa_code", "VARCHAR", "FA region code."),
                ("fa_name", "VARCHAR", "FA region name."),
                ("kommun_names", "VARCHAR[]", "Kommuner of the län in the FA region."),
                ("conflicts", "INTEGER", "Conflicts with any share in the region."),
                ("area_m2", "DOUBLE", "Conflict area inside the region, m²."),
                ("score", "DOUBLE", "Score attributed to the region."),
                ("top_conflict_reason", "VARCHAR", "reason of the conflict with the largest "
                 "score share."),
                ("status", "VARCHAR", _UNKNOWN_STATUS),
                ("unknown_rules", "VARCHAR[]", _UNKNOWN_RULES),
            ),
        ),
        Table(
            "rule_summary",
            "One rule of config/rules.yaml with its status in this run and its totals.",
            _cols(
                ("rule_id", "VARCHAR", "Rule id."),
                ("title", "VARCHAR", "Rule title."),
                ("severity", "VARCHAR", _SEVERITY),
                ("weight", "DOUBLE", "Score weight of the rule's severity."),
                ("distance_m", "DOUBLE", "The rule's distance in m: a pair is a conflict when "
                 "the unbuffered features lie within it (0 = an overlap rule)."),
                ("legal_basis", "VARCHAR", "Legal basis of the rule."),
                ("authority", "VARCHAR", "Authority responsible under the rule."),
                ("status", "VARCHAR", "complete; stale when a layer is a last good copy; "
                 "unknown when a layer it needs failed or is missing."),
                ("missing_layers", "VARCHAR[]", "Layers that failed or are missing."),
                ("stale_layers", "VARCHAR[]", "Layers served from their last good copy."),
                ("conflicts", "BIGINT", "Conflicts found (NULL when unknown, never 0)."),
                ("area_m2", "DOUBLE", "Total conflict area in m² (NULL when unknown)."),
                ("score", "DOUBLE", "Total score (NULL when unknown)."),
                ("top_conflict_id", "VARCHAR", "conflict_id with the highest score."),
                ("top_reason", "VARCHAR", "reason of that conflict."),
            ),
        ),
        Table(
            "layer_status",
            "One catalogue layer in this run: provenance, feature counts and state.",
            _cols(
                ("layer", "VARCHAR", "Layer name in config/catalogue.yaml."),
                ("title", "VARCHAR", "Layer title."),
                ("theme", "VARCHAR", "Theme: wind, agriculture, forestry, nature, "
                 "development, infrastructure, water, settlement or boundaries."),
                ("required", "BOOLEAN", "Whether the run needs this layer."),
                ("source", "VARCHAR", "Where the data came from (path or URL)."),
                ("sha256", "VARCHAR", "SHA-256 of the source data as read."),
                ("retrieved_at", "TIMESTAMP WITH TIME ZONE", "When the source was read."),
                ("features_read", "BIGINT", "Features read from the source."),
                ("features_filtered", "BIGINT", "Features left out by the catalogue filter."),
                ("features_repaired", "BIGINT", "Invalid geometries repaired (make_valid)."),
                ("features_dropped", "BIGINT", "Features dropped, all reasons (the dropped_* "
                 "columns)."),
                ("features_kept", "BIGINT", "Features kept after normalisation."),
                ("dropped_empty", "BIGINT", "Dropped: empty geometry."),
                ("dropped_null_island", "BIGINT", "Dropped: geometry at 0,0 (a missing "
                 "coordinate)."),
                ("dropped_outside", "BIGINT", "Dropped: outside the region."),
                ("dropped_invalid", "BIGINT", "Dropped: invalid geometry that could not be "
                 "repaired."),
                ("dropped_no_id", "BIGINT", "Dropped: no feature id."),
                ("dropped_duplicate", "BIGINT", "Dropped: duplicate feature id."),
                ("status", "VARCHAR", "fresh, unchanged, stale (last good copy) or failed "
                 "(not read, or read but not indexable)."),
                ("error", "VARCHAR", "Why the layer failed or is stale, naming the layer, its "
                 "file and the problem; for a fresh layer, that an empty_ok copy replaced one "
                 "with features (NULL otherwise)."),
            ),
        ),
        Table(
            "conflict_rank_stability",
            "One conflict of mart.conflicts with the band of its rank over the Monte Carlo "
            "draws of the uncertain parameters (rules.yaml uncertainty; docs/trust.md).",
            _cols(
                ("conflict_id", "VARCHAR", "conflict_id of mart.conflicts."),
                ("rank", "INTEGER", "Rank in mart.conflicts (the configured parameters)."),
                ("rank_median", "DOUBLE", "Median rank over the draws."),
                ("rank_p05", "DOUBLE", "5th percentile rank over the draws (the best ranks "
                 "it reaches)."),
                ("rank_p95", "DOUBLE", "95th percentile rank over the draws; a conflict "
                 "absent in a draw (a shorter drawn distance) ranks below every present one."),
                ("top10_share", "DOUBLE", "Share of the draws in which it exists and ranks "
                 "10 or better."),
                ("top100_share", "DOUBLE", "Share of the draws in which it exists and ranks "
                 "100 or better."),
                ("present_share", "DOUBLE", "Share of the draws in which it exists (below 1 "
                 "only for distance rules: its true distance exceeds a drawn distance)."),
                ("stable", "BOOLEAN", "rank_p05 >= rank / f and rank_p95 <= f x rank, f = "
                 "uncertainty.stable_factor (default 2)."),
                ("draws", "INTEGER", "Number of draws (1 when uncertainty.draws is 0: the "
                 "base ranking alone)."),
            ),
        ),
        Table(
            "kommun_rank_stability",
            "One kommun of the study area with the band of its rank by summary score "
            "(mart.kommun_summary.score) over the Monte Carlo draws.",
            _cols(
                ("kommun_code", "VARCHAR", "Four-digit kommun code (SCB)."),
                ("kommun_name", "VARCHAR", "Kommun name."),
                ("rank", "INTEGER", "Rank by summary score with the configured parameters "
                 "(1 = highest; ties by kommun_code)."),
                ("rank_median", "DOUBLE", "Median rank over the draws."),
                ("rank_p05", "DOUBLE", "5th percentile rank over the draws."),
                ("rank_p95", "DOUBLE", "95th percentile rank over the draws."),
                ("top10_share", "DOUBLE", "Share of the draws in which it ranks 10 or better."),
                ("stable", "BOOLEAN", "rank_p05 >= rank / f and rank_p95 <= f x rank, f = "
                 "uncertainty.stable_factor."),
                ("draws", "INTEGER", "Number of draws."),
            ),
        ),
        Table(
            "parameter_sensitivity",
            "One uncertain parameter at one end of its range, all others at their "
            "configured values, with how much the conflict ranking moves.",
            _cols(
                ("parameter", "VARCHAR", "weight.<severity>, value_bonus or "
                 "distance.<rule_id>."),
                ("rule_id", "VARCHAR", "Rule of a distance parameter (NULL otherwise)."),
                ("end", "VARCHAR", "low or high end of the range."),
                ("base_value", "DOUBLE", "Configured value."),
                ("value", "DOUBLE", "Value at this end: base_value x (1 -/+ the half-width)."),
                ("spearman", "DOUBLE", "Spearman rank correlation of the conflict ranking "
                 "against mart.conflicts.rank (1 = unchanged; NULL below three conflicts)."),
                ("top10_kept", "INTEGER", "Conflicts of the base top 10 still in the top 10."),
                ("conflicts_present", "INTEGER", "Conflicts that exist at this value."),
            ),
        ),
        Table(
            "backtest",
            "One rule with the decided features (turbines built or permitted, and layers "
            "named in rules.yaml backtest) that fall inside its conflicts.",
            _cols(
                ("rule_id", "VARCHAR", "Rule id."),
                ("rule_title", "VARCHAR", "Rule title."),
                ("severity", "VARCHAR", _SEVERITY),
                ("status", "VARCHAR", "The rule's status in this run (mart.rule_summary)."),
                ("built", "INTEGER", "Built features (status in backtest.built, default "
                 "Uppfört) that are a side of one of its conflicts or lie in one's geometry "
                 "(NULL when the rule is unknown)."),
                ("permitted", "INTEGER", "Permitted features (backtest.permitted, default "
                 "Beviljat) counted the same way."),
                ("built_total", "INTEGER", "Built features in the decided layers."),
                ("permitted_total", "INTEGER", "Permitted features in the decided layers."),
                ("built_features", "VARCHAR[]", "The built features counted, as "
                 "layer:feature_id."),
                ("permitted_features", "VARCHAR[]", "The permitted features counted, as "
                 "layer:feature_id."),
                ("decided_layers", "VARCHAR[]", "Layers read as decided."),
                ("review", "BOOLEAN", "An exclusion rule whose conflicts hold at least "
                 "backtest.review_permitted (default 1) permitted features: review the rule."),
            ),
        ),
        Table(
            "conflict_changes",
            "One conflict that appeared, disappeared or changed in a run, against the "
            "previous run (kept in the persistent run history).",
            _cols(
                ("run_id", "VARCHAR", "Dagster run id of the run that saw the change."),
                ("run_date", "DATE", "Date (Europe/Stockholm) of the run that saw the change."),
                ("conflict_id", "VARCHAR", "conflict_id of mart.conflicts."),
                ("rule_id", "VARCHAR", "Rule of the conflict."),
                ("change", "VARCHAR", "new, resolved or changed."),
                ("area_m2_before", "DOUBLE", "Area in the previous run (NULL when new)."),
                ("area_m2_after", "DOUBLE", "Area in this run (NULL when resolved)."),
                ("score_before", "DOUBLE", "Score in the previous run (NULL when new)."),
                ("score_after", "DOUBLE", "Score in this run (NULL when resolved)."),
                ("reason", "VARCHAR", "reason of the conflict (as last seen)."),
                ("kommun_codes", "VARCHAR[]", "Kommuner the conflict lies in (as last seen; "
                 "NULL for changes recorded before kommun codes were kept)."),
            ),
        ),
        Table(
            "kommun_runs",
            "One (run, kommun of the study area): the kommun's conflicts and their area in "
            "the kommun as mart.kommun_summary had them in that run; a quiet night repeats "
            "the current release's figures (kept in the persistent run history).",
            _cols(
                ("run_id", "VARCHAR", "Dagster run id (mart.runs)."),
                ("run_date", "DATE", "Date of the run (Europe/Stockholm)."),
                ("kommun_code", "VARCHAR", "Four-digit kommun code."),
                ("conflicts", "INTEGER", "Conflicts touching the kommun (each counted once "
                 "in every kommun it touches)."),
                ("area_m2", "DOUBLE", "Conflict area inside the kommun (m², split by area "
                 "share)."),
                ("status", "VARCHAR", _UNKNOWN_STATUS),
            ),
        ),
        Table(
            "runs",
            "One pipeline run: published, unchanged (a quiet night: every source checked, "
            "nothing changed, nothing rebuilt) or failed (nothing published), with its counts "
            "of new, resolved and changed conflicts (kept in the persistent run history).",
            _cols(
                ("run_id", "VARCHAR", "Dagster run id."),
                ("run_date", "DATE", "Date of the run (Europe/Stockholm)."),
                ("started_at", "TIMESTAMP WITH TIME ZONE", "When the run started (a published "
                 "run: when its conflict build started)."),
                ("finished_at", "TIMESTAMP WITH TIME ZONE", "When the run ended (NULL in a "
                 "freshly published file for the run that published it, until the next night "
                 "refreshes mart.runs)."),
                ("outcome", "VARCHAR", "published, unchanged or failed."),
                ("inputs_key", "VARCHAR", "Hash of inputs, rules and code version; a run with "
                 "the same key as the last published one is skipped; NULL for a failed run."),
                ("conflicts", "INTEGER", "Conflicts in the run (the current release's count "
                 "for an unchanged run; NULL for a failed one)."),
                ("new_conflicts", "INTEGER", "Conflicts new in the run."),
                ("resolved_conflicts", "INTEGER", "Conflicts gone since the previous run."),
                ("changed_conflicts", "INTEGER", "Conflicts whose area or score changed."),
            ),
        ),
        Table(
            "scenarios",
            "One growth scenario of config/scenarios.yaml (docs/scenarios.md): its definition "
            "and its totals over the study area to the horizon year.",
            _cols(
                ("scenario", "VARCHAR", "Scenario name (identifier in config/scenarios.yaml)."),
                ("title", "VARCHAR", "Scenario title (Swedish)."),
                ("description", "VARCHAR", "What the scenario assumes (Swedish)."),
                ("method", "VARCHAR", "Allocation method: ranked (UPlan: most suitable cells "
                 "first) or proportional (spread in proportion to today's population)."),
                ("base_year", "INTEGER", "Year growth is counted from."),
                ("horizon_year", "INTEGER", "Year growth is counted to."),
                ("dwellings_per_ha", "DOUBLE", "Gross density of the new settlement."),
                ("demand_inhabitants", "DOUBLE", "New inhabitants to house (projection: "
                 "horizon − base per kommun, shrinking kommuner 0)."),
                ("new_inhabitants", "DOUBLE", "New inhabitants placed on cells."),
                ("unmet_inhabitants", "DOUBLE", "Demand that found no developable land."),
                ("developed_ha", "DOUBLE", "New settlement, ha (exact footprint area)."),
                ("farmland_taken_ha", "DOUBLE", "High-class farmland (scenarios.yaml "
                 "farmland, klass >= 6) inside the new settlement, ha (exact overlay)."),
                ("near_frequent_stop_share", "DOUBLE", "Share (0-1) of new inhabitants whose "
                 "cell centre lies within frequent_stop.distance_m of a stop with at least "
                 "min_departures_per_hour departures at the morning peak; NULL without growth."),
                ("conflicts", "INTEGER", "Rows of mart.scenario_conflicts for the scenario."),
                ("wind_target_mw", "DOUBLE", "New wind power the scenario asks for, MW."),
                ("wind_mw", "DOUBLE", "Wind power placed on eligible cells, MW."),
                ("wind_unmet_mw", "DOUBLE", "Wind target that found no eligible land, MW."),
                ("wind_eligible_ha", "DOUBLE", "Land left for wind after the exclusions and "
                 "setbacks, the scenario's new settlement among them, ha."),
            ),
        ),
        Table(
            "scenario_cells",
            "One (scenario, H3 cell, land use) that receives new settlement (bebyggelse) or "
            "wind power (vindkraft); geometry is the footprint: the cell's hexagon shrunk "
            "about its centre to the allocated area (EPSG:3006).",
            _cols(
                ("scenario", "VARCHAR", "Scenario name (mart.scenarios)."),
                ("h3", "UBIGINT", "H3 cell at the rule set's resolution."),
                ("kommun_code", "VARCHAR", "Kommun that covers most of the cell."),
                ("land_use", "VARCHAR", "bebyggelse (new settlement) or vindkraft (new wind)."),
                ("new_inhabitants", "DOUBLE", "New inhabitants placed in the cell (0 for wind)."),
                ("area_m2", "DOUBLE", "Land the use takes in the cell, m² (= the footprint's "
                 "area)."),
                ("wind_mw", "DOUBLE", "Wind power placed in the cell, MW (0 for settlement)."),
                ("near_frequent_stop", "BOOLEAN", "The cell centre lies within reach of a "
                 "frequent stop (see mart.scenarios.near_frequent_stop_share)."),
                ("geometry", GEOMETRY, "The footprint, EPSG:3006."),
            ),
        ),
        Table(
            "scenario_kommun",
            "One (scenario, kommun of the study area), zeros included: what the future costs "
            "and gives in the kommun. A footprint counts in its cell's kommun; a conflict is "
            "counted in every kommun it touches and its area split by area share.",
            _cols(
                ("scenario", "VARCHAR", "Scenario name (mart.scenarios)."),
                ("kommun_code", "VARCHAR", "Four-digit kommun code."),
                ("kommun_name", "VARCHAR", "Kommun name (SCB)."),
                ("kommunalforbund", "VARCHAR", "Kommunalförbund of the kommun."),
                ("demand_inhabitants", "DOUBLE", "New inhabitants the projection gives the "
                 "kommun to the horizon year (0 when it shrinks)."),
                ("new_inhabitants", "DOUBLE", "New inhabitants placed in the kommun."),
                ("developed_ha", "DOUBLE", "New settlement in the kommun, ha."),
                ("farmland_taken_ha", "DOUBLE", "High-class farmland (klass >= 6) inside the "
                 "new settlement, ha (exact overlay)."),
                ("riksintresse_ha", "DOUBLE", "Riksintressen (scenarios.yaml riksintressen, "
                 "their union) inside the new settlement, ha."),
                ("conflicts", "INTEGER", "Conflicts of the scenario's new land uses touching "
                 "the kommun."),
                *_severity_block("conflicts", "", "Conflicts touching the kommun"),
                ("conflict_area_ha", "DOUBLE", "Conflict area inside the kommun, ha (split by "
                 "area share)."),
                ("near_frequent_stop_share", "DOUBLE", "Share (0-1) of the kommun's new "
                 "inhabitants near a frequent stop; NULL when it gets none."),
                ("wind_mw", "DOUBLE", "New wind power placed in the kommun, MW."),
                ("wind_ha", "DOUBLE", "Land the new wind power takes, ha."),
                ("wind_eligible_ha", "DOUBLE", "Land eligible for wind under the scenario "
                 "(exclusions, setbacks and 1 km from its new settlement), ha; whole H3 cells "
                 "no exclusion or setback touches."),
                ("wind_eligible_today_ha", "DOUBLE", "The same without any new settlement "
                 "(today), ha."),
            ),
        ),
        Table(
            "publication",
            "One row: the release this file belongs to. Every output of a release carries "
            "the same release_id.",
            _cols(
                ("release_id", "VARCHAR", "UTC timestamp and short id of the release, e.g. "
                 "20250102T010203Z-1a2b3c4d; also the folder name under releases/."),
                ("published_at", "TIMESTAMP WITH TIME ZONE", "When the release was built."),
                ("h3_resolution", "INTEGER", "H3 resolution of conflict_cells."),
                ("crs", "VARCHAR", "CRS of every geometry column (EPSG:3006)."),
            ),
        ),
    )
}  # fmt: skip
MART["scenario_conflicts"] = Table(
    "scenario_conflicts",
    "One conflict of a scenario's new land use (settlement or wind) under the same rules as "
    "mart.conflicts, the scenario's layers standing in for the layers scenarios.yaml "
    "evaluated_as names; the columns of mart.conflicts after the scenario's name.",
    (Column("scenario", "VARCHAR", "Scenario name (mart.scenarios)."),
     *MART["conflicts"].columns),
)  # fmt: skip
#: The tables the scenarios stage writes (:mod:`pipeline.scenarios.stage`).
SCENARIO_TABLES = ("scenarios", "scenario_cells", "scenario_conflicts", "scenario_kommun")


def table_schema(table: str) -> list[tuple[str, str, str]]:
    """``(name, type, description)`` of every documented column of ``mart.<table>``.

    Feed it to ``dg.TableSchema`` (``dagster/column_schema``) so the Dagster UI and the
    ``COMMENT ON`` of the published file come from the same dictionary.

    Raises
    ------
    KeyError
        When ``table`` is not a documented mart table.
    """
    if table not in MART:
        raise KeyError(f"mart.{table} is not in the column dictionary; known: {sorted(MART)}")
    return [(c.name, c.type, c.description) for c in MART[table].columns]


def comment_statements(con: duckdb.DuckDBPyConnection) -> list[str]:
    """``COMMENT ON`` statements for every documented mart table and column present in ``con``.

    Tables or columns the dictionary lists but the file lacks are skipped (history tables may
    not exist yet); :func:`undocumented_columns` reports the opposite case.
    """
    present = _mart_columns(con)
    statements = []
    for name, table in MART.items():
        if name not in present:
            continue
        check_identifier(name)
        statements.append(f"COMMENT ON TABLE mart.{name} IS {sql_literal(table.grain)}")
        for column in table.columns:
            if column.name in present[name]:
                check_identifier(column.name)
                text = sql_literal(column.description)
                statements.append(f"COMMENT ON COLUMN mart.{name}.{column.name} IS {text}")
    return statements


def undocumented_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """``table.column`` of every mart column that has no entry in the dictionary."""
    missing: list[str] = []
    for table, columns in _mart_columns(con).items():
        known = {c.name for c in MART[table].columns} if table in MART else set()
        missing.extend(f"{table}.{c}" for c in columns if c not in known)
    return missing


def _mart_columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    rows = con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() "
        "WHERE schema_name = 'mart' AND database_name = current_database() "
        "ORDER BY table_name, column_index"
    ).fetchall()
    out: dict[str, list[str]] = {}
    for table, column in rows:
        out.setdefault(table, []).append(column)
    return out
