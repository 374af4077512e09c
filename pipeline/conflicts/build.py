"""Build the conflict tables in a DuckDB file from the staged layers and their H3 cells.

Everything happens in one fresh DuckDB file (the run's build, ``DataLayout.run_build``):
``staging.*`` holds the inputs and intermediate tables, ``mart.*`` what analysts use. Geometry is
``GEOMETRY('EPSG:3006')``; H3 cells are ``UBIGINT`` at the rule set's resolution.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.config.loading import select_layers
from pipeline.config.models import Catalogue, RuleSet, check_identifier, resolve_path
from pipeline.config.plan import layer_buffers, side_buffer
from pipeline.config.settings import BuildSettings, ConflictPartitioning, build_settings
from pipeline.conflicts.delta import (
    DIRTY_ROWS,
    PASSES,
    BuildInputs,
    DeltaPlan,
    ExpectedIndexKey,
    delta_plan,
    dirty_features,
    dirty_features_by_hash,
    finish_pass,
    layer_input,
    previous_zones_exist,
    record_inputs,
    replace_dirty_rows,
    reset_to_inputs,
    restore_kept_pairs,
    set_kept_pairs_aside,
    start_pass,
)
from pipeline.conflicts.rules import predicate
from pipeline.conflicts.zones import zone_components, zone_shapes
from pipeline.db import connect, create_table, run_sql, sql
from pipeline.index.stage import (
    INDEX_CODE_VERSION,
    IndexedFiles,
    current_index_key,
    index_error,
    index_key,
)
from pipeline.ingest.layer import read_outcome
from pipeline.layout import DataLayout
from pipeline.schemas import CELLS, SHAPES, STAGED_FEATURES, create_statement, load_statement
from pipeline.study_area import kommunalforbund_table, study_area_kommuner
from pipeline.trust.build import RankedDraws, finish_trust, rank_draws, read_terms
from pipeline.versioning import source_fingerprint

#: The code version of the conflict tables (Dagster ``code_version`` of their assets; part of
#: every build's configuration key, so a build never carries over pairs of other code).
CONFLICTS_CODE_VERSION = source_fingerprint(
    "pipeline/conflicts", "pipeline/history", "pipeline/trust", "pipeline/study_area.py",
    "pipeline/boundaries.py", "pipeline/config", "pipeline/db.py", "pipeline/schemas.py",
    "sql/conflicts", "sql/history", "sql/checks", "sql/trust",
)  # fmt: skip

#: How each rule type is evaluated: the SQL steps (``sql/conflicts/<step>.sql``, run with
#: ``$rule_type`` bound) that turn its rules into ``staging.conflict_pairs`` rows, appending to
#: the tables ``pair_tables.sql`` creates; every step after them is shared by all types. A
#: step whose SQL takes ``$cell_lo`` / ``$cell_hi`` runs once per partition of H3 cells
#: (:func:`cell_partitions`), the others once. A new rule type is one entry here plus its SQL.
#: ``overlap``: H3 prefilter (side A at its rule buffer, side B as is, sharing a cell; per
#: partition), the pairs deduplicated over all partitions (each pair assigned to the
#: partition of its smallest shared cell), then the exact test of each partition's pairs: a
#: rule with ``distance_m`` keeps pairs whose unbuffered shapes lie within it (ST_Distance),
#: a rule without keeps areal overlaps above ``min_conflict_area_m2``, lines inside polygons
#: and any point or line contact.
RULE_TYPES: dict[str, tuple[str, ...]] = {
    "overlap": ("candidate_cells", "candidate_pairs", "conflict_pairs"),
}
#: The steps after the zones (``sql/conflicts/<step>.sql``, in order): the zone table and
#: the summaries per rule, kommun, kommunalförbund, FA region and layer.
MART_SUMMARY_STEPS = (
    "conflict_zones", "rule_summary", "unknown_rules", "kommun_fa", "unit_aggregates",
    "kommun_summary", "kommunalforbund_summary", "fa_summary", "layer_status",
)  # fmt: skip

#: The smallest and the largest H3 ``UBIGINT``: the bounds of the one partition of an
#: unpartitioned build.
H3_MIN, H3_MAX = 0, 2**64 - 1

#: Overlaps at or below this area are clipping slivers, not conflicts (h3-indexing-notes.md).
MIN_AREA_M2 = 1e-6
#: Line pieces at or below this length (m) inside a polygon are clipping slivers.
MIN_LENGTH_M = 1e-6


@dataclass(frozen=True)
class BuildSummary:
    """Counts of one build, for metadata and the run summary."""

    conflicts: int
    zones: int
    conflict_cells: int
    rules_unknown: list[str]
    #: partitions of H3 cells the pair steps ran in (1: unpartitioned or incremental)
    partitions: int = 1
    #: whether the build started from the last release, testing only changed pairs
    incremental: bool = False
    #: why a build given the last release was a full one (None: incremental, or no release)
    full_reason: str | None = None
    #: an incremental build's layers whose inputs changed since the last release ...
    changed_layers: tuple[str, ...] = ()
    #: ... and their features added, removed or altered, whose pairs were tested again ...
    retested_features: int = 0
    #: ... found by their ``feature_hash`` (else by comparing the layers' rows whole)
    dirty_by_hash: bool = False


def build_conflicts(
    db_path: Path,
    *,
    catalogue: Catalogue,
    rules: RuleSet,
    layout: DataLayout,
    indexed: list[IndexedFiles],
    build: BuildSettings | None = None,
    base: Path | None = None,
) -> BuildSummary:
    """Create ``db_path`` with the ``staging`` and ``mart`` tables, from scratch or, given the
    last release's database ``base``, incrementally (:mod:`pipeline.conflicts.delta`).

    Steps of a full build, in order: load the inputs (layers, their status, features,
    indexed shapes and cells, rules) → select each rule side's features → the study area's
    shape and the kommun of each of its H3 cells → the rule types' pair steps
    (:data:`RULE_TYPES`) → clipping to the study area. An incremental build instead copies
    ``base``, replaces the changed layers' rows and runs the pair steps for the pairs with a
    changed feature only (:func:`pipeline.conflicts.delta.delta_plan` says when it can; else
    the build is a full one, and :attr:`BuildSummary.full_reason` says why). Both then
    derive every mart table from the pair tables: per-kommun shares, ``mart.conflicts``,
    cells, zones → rule status and the summaries per reporting unit → ``mart.layer_status``
    → the trust tables (rank stability, sensitivity, back-test:
    :func:`pipeline.trust.build_trust`) → ``staging.build_inputs``, what the build was made
    from (:class:`pipeline.conflicts.delta.BuildInputs`).

    ``build`` (default: :func:`pipeline.config.settings.build_settings` of the environment;
    the Dagster assets pass the ``landuse`` resource's) sets DuckDB's ``memory_limit`` and
    ``temp_directory`` (``LANDUSE_DUCKDB_MEMORY_LIMIT``, ``LANDUSE_DUCKDB_TEMP_DIR``): joins and
    aggregates beyond the limit spill to that folder instead of growing the process. The
    steps whose work grows with the H3 cells, the kommun of every study-area cell and the
    pair steps, run in partitions of H3 cells (:func:`cell_partitions`, sized by
    ``LANDUSE_CONFLICT_PARTITION_CELLS`` at ``LANDUSE_CONFLICT_PARTITION_RES``), so their
    memory grows with the largest partition rather than with the study area; the tables are
    the same either way.
    """
    build = build or build_settings()
    inputs = current_build_inputs(catalogue, rules, layout)
    kommun_layer = rules.reporting_units.kommun_layer
    expected = expected_index_key(rules.h3_resolution, indexed)
    plan = delta_plan(base, inputs, kommun_layer, layout, expected) if base else None
    if isinstance(plan, DeltaPlan):
        try:
            return _build(db_path, plan, inputs, catalogue, rules, layout, indexed, build)
        except duckdb.Error as exc:
            # e.g. a release whose tables another version wrote: the night still gets its
            # tables, from scratch, and says why
            plan = f"the incremental build from {plan.base} failed ({exc}); built in full"
    return _build(db_path, plan, inputs, catalogue, rules, layout, indexed, build)


def _build(
    db_path: Path,
    plan: DeltaPlan | str | None,
    inputs: BuildInputs,
    catalogue: Catalogue,
    rules: RuleSet,
    layout: DataLayout,
    indexed: list[IndexedFiles],
    build: BuildSettings,
) -> BuildSummary:
    """One build into a new ``db_path``: incremental for a :class:`DeltaPlan`, else full
    (``plan`` then says why a release was not built on, or is None when there was none)."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    for stale in (db_path, db_path.with_suffix(db_path.suffix + ".wal")):
        stale.unlink(missing_ok=True)
    if isinstance(plan, DeltaPlan) and plan.own_build not in (None, db_path):
        plan.own_build.replace(db_path)  # the release's own build, taken over: no copy
    elif isinstance(plan, DeltaPlan):
        shutil.copyfile(plan.base, db_path)
    params = _params(rules)
    with connect(db_path, settings=build.duckdb) as con:
        con.execute(sql("conflicts/create_schemas"))
        if isinstance(plan, DeltaPlan):
            retested = _pairs_of_changed_features(con, plan, catalogue, rules, layout, indexed)
            partitions = 1
        else:
            partitions = _pairs_of_every_feature(con, catalogue, rules, layout, indexed, build)
        for step in ("conflict_kommuner", "conflicts", "conflict_shares"):
            run_sql(con, f"conflicts/{step}", params)
        # the conflicts' score terms are read (on a connection of its own) and the draws
        # scored and ranked (numpy, mostly outside the GIL) on the other core while DuckDB
        # derives the cells, zones and summaries (docs/benchmarks.md)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="trust") as side:
            ranked = side.submit(_ranked_draws, con.cursor(), rules)
            run_sql(con, "conflicts/conflict_cells", params)
            _build_zones(con)
            for step in MART_SUMMARY_STEPS:
                run_sql(con, f"conflicts/{step}", params)
            finish_trust(con, rules, ranked.result())
        record_inputs(con, inputs)
        summary = _summary(con, partitions)
    if isinstance(plan, DeltaPlan):
        return replace(
            summary,
            incremental=True,
            changed_layers=plan.changed,
            retested_features=retested,
            dirty_by_hash=plan.by_hash,
        )
    return replace(summary, full_reason=plan)


def expected_index_key(resolution: int, indexed: list[IndexedFiles]) -> ExpectedIndexKey:
    """The index key a layer's staged key gives with ``resolution``, the buffers of the
    build's ``indexed`` files (in their order, the index stage's) and this indexing code;
    None for a layer without indexed files (:func:`pipeline.conflicts.delta.delta_plan`)."""
    buffers: dict[str, list[float]] = {}
    for files in indexed:
        buffers.setdefault(files.layer, []).append(files.buffer_m)

    def expected(layer: str, staged_key: str) -> str | None:
        if layer not in buffers:
            return None
        return index_key(staged_key, resolution, buffers[layer], INDEX_CODE_VERSION)

    return expected


def _ranked_draws(reader: duckdb.DuckDBPyConnection, rules: RuleSet) -> RankedDraws:
    """The trust draws of the build's conflicts, read through ``reader`` (a cursor of the
    build, closed here) and ranked (:func:`pipeline.trust.build.rank_draws`)."""
    with reader:
        return rank_draws(read_terms(reader, rules), rules)


def _pairs_of_every_feature(
    con: duckdb.DuckDBPyConnection,
    catalogue: Catalogue,
    rules: RuleSet,
    layout: DataLayout,
    indexed: list[IndexedFiles],
    build: BuildSettings,
) -> int:
    """A full build up to the pair tables clipped to the study area: every input loaded,
    every pair tested; returns the number of H3 partitions the pair steps ran in."""
    params = _params(rules)
    _load_inputs(con, catalogue, rules, layout)
    _load_layer_rows(con, "", catalogue.names, layout, indexed)
    _select_rule_features(con, catalogue, rules)
    run_sql(con, "conflicts/study_area", params)
    run_sql(con, "conflicts/kommun_cell_table", params)
    run_sql(con, "conflicts/pair_tables", params)
    partitions = cell_partitions(
        con, rules.h3_resolution, build.partitioning, rules.reporting_units.kommun_layer
    )
    _run_steps(con, ("kommun_cells",), partitions, params)
    for rule_type, steps in RULE_TYPES.items():
        _run_steps(con, steps, partitions, {**params, "rule_type": rule_type})
    run_sql(con, "conflicts/clip_to_study_area", params)
    return len(partitions)


def _pairs_of_changed_features(
    con: duckdb.DuckDBPyConnection,
    plan: DeltaPlan,
    catalogue: Catalogue,
    rules: RuleSet,
    layout: DataLayout,
    indexed: list[IndexedFiles],
) -> int:
    """An incremental build up to the pair tables clipped to the study area, in the copy of
    ``plan.base`` (:mod:`pipeline.conflicts.delta`); returns how many features were dirty.

    The pair steps run in one partition: they read the cells of the dirty features' pairs
    only, far fewer than a partition of a full build holds."""
    params = _params(rules)
    reset_to_inputs(con)
    _load_inputs(con, catalogue, rules, layout)
    if plan.by_hash:
        staged = [layout.staged_features(name) for name in plan.changed]
        dirty_features_by_hash(con, plan.changed, staged)
        _load_layer_rows(con, "next_", plan.changed, layout, indexed, where=DIRTY_ROWS)
    else:
        _load_layer_rows(con, "next_", plan.changed, layout, indexed)
        dirty_features(con, plan.changed)
    dirty = replace_dirty_rows(con, plan.changed)
    _select_rule_features(con, catalogue, rules, only=set(plan.changed))
    set_kept_pairs_aside(con)
    for pass_ in PASSES:
        start_pass(con, pass_)
        for rule_type, steps in RULE_TYPES.items():
            _run_steps(con, steps, [(H3_MIN, H3_MAX)], {**params, "rule_type": rule_type})
        run_sql(con, "conflicts/clip_to_study_area", params)
        finish_pass(con)
    restore_kept_pairs(con)
    return dirty


def cell_partitions(
    con: duckdb.DuckDBPyConnection,
    resolution: int,
    plan: ConflictPartitioning,
    kommun_layer: str | None,
) -> list[tuple[int, int]]:
    """Ranges ``(lo, hi)`` of H3 cells (``UBIGINT``, inclusive) that together hold every cell
    once, in H3 order: every step that takes ``$cell_lo`` / ``$cell_hi`` runs once per range
    (:func:`_run_steps`: the study area's kommun per cell and the pair steps).

    The rows counted are those the partitioned steps read from ``staging.cells``: the rules'
    sides' (feature, cell) rows and the study area's kommuner's in ``kommun_layer``. One
    range, ``(H3_MIN, H3_MAX)``, when they are at most ``plan.max_cells``, or the whole
    table is (a count DuckDB keeps, so the embedded default, about 0.9 M rows, pays nothing
    for partitioning). Otherwise the H3 parents at ``plan.resolution``
    (``sql/conflicts/cell_parents.sql``), in H3 order, are cut into runs of at most
    ``plan.max_cells`` rows (a parent with more is a run of its own): a run of parents is a
    range of cells at the rule set's ``resolution``, and neighbouring parents are near each
    other, so each range is a compact region whose features' shapes the exact step reads
    together.
    """
    if not 0 <= plan.resolution <= resolution:
        raise ValueError(
            f"LANDUSE_CONFLICT_PARTITION_RES: {plan.resolution} is not an H3 resolution "
            f"from 0 to the rules' h3_resolution {resolution}"
        )
    total = con.execute("SELECT count(*) FROM staging.cells").fetchone()
    if total is None or total[0] <= plan.max_cells:
        return [(H3_MIN, H3_MAX)]
    shift = 3 * (15 - plan.resolution)
    parents = con.execute(
        sql("conflicts/cell_parents"), {"shift": shift, "kommun_layer": kommun_layer}
    ).fetchall()
    if sum(n for _, n in parents) <= plan.max_cells:
        return [(H3_MIN, H3_MAX)]
    cuts: list[int] = []  # the first parent of every run but the first
    rows = 0
    for parent, n in parents:
        if rows and rows + n > plan.max_cells:
            cuts.append(parent)
            rows = 0
        rows += n
    starts = [H3_MIN, *(parent << shift for parent in cuts)]
    ends = [start - 1 for start in starts[1:]] + [H3_MAX]
    return list(zip(starts, ends, strict=True))


def _run_steps(
    con: duckdb.DuckDBPyConnection,
    steps: tuple[str, ...],
    partitions: list[tuple[int, int]],
    params: dict[str, object],
) -> None:
    """Run ``sql/conflicts/<step>.sql`` for each of ``steps`` in order: once per partition of
    :func:`cell_partitions` when it takes ``$cell_lo`` / ``$cell_hi`` (bound to the
    partition's bounds), else once."""
    for step in steps:
        bounds = partitions if _per_partition(step) else [(H3_MIN, H3_MAX)]
        for lo, hi in bounds:
            run_sql(con, f"conflicts/{step}", {**params, "cell_lo": lo, "cell_hi": hi})


def _per_partition(step: str) -> bool:
    """Whether ``sql/conflicts/<step>.sql`` runs once per partition of cells (it takes the
    partition's bounds ``$cell_lo`` and ``$cell_hi``)."""
    named = set().union(
        *(s.named_parameters for s in duckdb.extract_statements(sql(f"conflicts/{step}")))
    )
    return {"cell_lo", "cell_hi"} <= named


def _params(rules: RuleSet) -> dict[str, object]:
    units = rules.reporting_units
    scoring = rules.scoring
    return {
        "min_area_m2": MIN_AREA_M2,
        "min_length_m": MIN_LENGTH_M,
        "min_conflict_area_m2": max(rules.min_conflict_area_m2, MIN_AREA_M2),
        "min_area_km2": scoring.min_area_km2,
        "value_layers": list(scoring.value_layers),
        "value_pivot": scoring.value_pivot,
        "value_bonus": scoring.value_bonus,
        "kommun_layer": units.kommun_layer,
        "fa_layer": units.fa_layer or "",
    }


def _load_inputs(
    con: duckdb.DuckDBPyConnection, catalogue: Catalogue, rules: RuleSet, layout: DataLayout
) -> None:
    """The small input tables: layers and their status, kommunalförbund, study area, rules
    and each rule side's layers (the layers' rows: :func:`_load_layer_rows`)."""
    layers = pd.DataFrame(
        {
            "layer": [check_identifier(layer.name) for layer in catalogue.layers],
            "title": [layer.label or layer.title for layer in catalogue.layers],
            "theme": [layer.theme for layer in catalogue.layers],
            "required": [layer.required for layer in catalogue.layers],
        }
    )
    create_table(con, "staging.layers", layers)
    status_frame = layer_status_frame(catalogue, layout, set(layer_buffers(catalogue, rules)))
    create_table(con, "staging.layer_status", status_frame)
    create_table(con, "staging.kommunalforbund", kommunalforbund_table(rules).astype("string"))
    create_table(con, "staging.study_area", study_area_kommuner(rules))
    rule_rows = pd.DataFrame(
        {
            "rule_id": [r.id for r in rules.rules],
            "rule_type": [r.type for r in rules.rules],
            "title": [r.title for r in rules.rules],
            "severity": [r.severity for r in rules.rules],
            "weight": [float(rules.scoring.weights[r.severity]) for r in rules.rules],
            "distance_m": [float(r.distance_m) for r in rules.rules],
            "legal_basis": [r.legal_basis for r in rules.rules],
            "authority": [r.authority for r in rules.rules],
            "verb": pd.Series([r.verb for r in rules.rules], dtype="string"),
        }
    )
    create_table(con, "staging.rules", rule_rows)
    # buffer_m: the shape the side is indexed at for the rule (side A grown by the rule's
    # distance); base_buffer_m: the layer's own shape (its catalogue buffer), which distance
    # rules measure true distances between.
    side_rows = [
        (
            rule.id,
            side,
            layer,
            side_buffer(catalogue, layer, rule.distance_m if side == "a" else 0),
            side_buffer(catalogue, layer, 0),
        )
        for rule in rules.rules
        for side in ("a", "b")
        for layer in select_layers(getattr(rule, side), catalogue)
    ]
    rule_layers = pd.DataFrame(
        side_rows, columns=["rule_id", "side", "layer", "buffer_m", "base_buffer_m"]
    )
    create_table(con, "staging.rule_layers", rule_layers)


def _load_layer_rows(
    con: duckdb.DuckDBPyConnection,
    prefix: str,
    layers: Iterable[str],
    layout: DataLayout,
    indexed: list[IndexedFiles],
    where: str | None = None,
) -> None:
    """``staging.<prefix>features``, ``<prefix>shapes`` and ``<prefix>cells`` from the staged
    copies and indexed files of ``layers`` (a layer without a staged copy has no rows); with
    ``where``, only their rows that meet it."""
    names = set(layers)
    staged = [layout.staged_features(name) for name in sorted(names)]
    files = [f for f in indexed if f.layer in names]
    tables = {kind: f"staging.{prefix}{kind}" for kind in ("features", "shapes", "cells")}
    loads = (
        (tables["features"], STAGED_FEATURES, [p for p in staged if p.exists()]),
        (tables["shapes"], SHAPES, [f.shapes for f in files]),
        (tables["cells"], CELLS, [f.cells for f in files]),
    )
    for table, schema, paths in loads:
        _load_parquet(con, table, schema, paths, where)


#: Provenance counts published per layer in mart.layer_status.
_COUNT_COLUMNS = [
    "features_read", "features_filtered", "features_repaired", "features_dropped",
    "features_kept", "dropped_empty", "dropped_null_island", "dropped_outside",
    "dropped_invalid", "dropped_no_id", "dropped_duplicate",
]  # fmt: skip
_TEXT_COLUMNS = ["layer", "status", "error", "source", "sha256", "retrieved_at"]


def layer_status_frame(
    catalogue: Catalogue, layout: DataLayout, indexed_layers: set[str]
) -> pd.DataFrame:
    """One row per layer from the state each ingest recorded (missing -> no row); a layer
    of ``indexed_layers`` (those the rules need indexed) whose indexing failed is
    ``failed`` with the index stage's message (layer, file, problem), whatever its ingest
    state."""
    rows = []
    for layer in catalogue.layers:
        outcome = read_outcome(layout, layer.name)
        if outcome is None:
            continue
        prov = outcome.provenance
        needs_index = prov is not None and layer.name in indexed_layers
        indexing = index_error(layout, layer.name) if needs_index else None
        row: dict[str, object] = {
            "layer": layer.name,
            "status": "failed" if indexing else outcome.state,
            "error": indexing or outcome.error,
            "source": prov.source if prov else layer.source.location(catalogue.base_dir),
            "sha256": prov.sha256 if prov else None,
            "retrieved_at": prov.retrieved_at if prov else None,
        }
        row.update({col: getattr(prov, col) if prov else None for col in _COUNT_COLUMNS})
        rows.append(row)
    frame = pd.DataFrame(rows, columns=_TEXT_COLUMNS + _COUNT_COLUMNS)
    for col in _TEXT_COLUMNS:
        frame[col] = frame[col].astype("string")
    for col in _COUNT_COLUMNS:
        frame[col] = frame[col].astype("Int64")
    return frame


def _load_parquet(
    con: duckdb.DuckDBPyConnection,
    table: str,
    schema: dict[str, str],
    paths: list[Path],
    where: str | None = None,
) -> None:
    """Load ``table`` from Parquet files in ``schema`` (empty with that schema when none);
    with ``where``, only the rows that meet it."""
    if paths:
        con.execute(load_statement(table, schema, where), {"paths": [str(p) for p in paths]})
    else:
        con.execute(create_statement(table, schema))


def _select_rule_features(
    con: duckdb.DuckDBPyConnection,
    catalogue: Catalogue,
    rules: RuleSet,
    only: set[str] | None = None,
) -> None:
    """``staging.rule_features``: the features each rule side selects; with ``only``, the
    selections from those layers are added to the table there is."""
    if only is None:
        con.execute(
            "CREATE TABLE staging.rule_features (rule_id VARCHAR, side VARCHAR, layer VARCHAR, "
            "feature_id VARCHAR)"
        )
    template = sql("conflicts/select_rule_side")
    for rule in rules.rules:
        for side_name in ("a", "b"):
            side = getattr(rule, side_name)
            layers = [n for n in select_layers(side, catalogue) if only is None or n in only]
            if not layers:
                continue
            where, values = predicate(side.filter)
            statement = template.replace("{predicate}", where)
            con.execute(statement, [rule.id, side_name, layers, *values])


def _build_zones(con: duckdb.DuckDBPyConnection) -> None:
    """``staging.zone_members``, ``zone_cells`` and ``zone_shapes`` (:mod:`.zones`); a zone
    whose conflicts are those of a zone of the last release (``staging.previous_zone_shapes``
    of an incremental build, same signature) keeps that zone's shape."""
    cells = con.execute(
        "SELECT DISTINCT c.conflict_id, c.rule_id, cc.h3 FROM mart.conflicts AS c "
        "JOIN staging.candidate_cells AS cc ON cc.rule_id = c.rule_id "
        "AND cc.layer_a = c.layer_a AND cc.feature_id_a = c.feature_id_a "
        "AND cc.layer_b = c.layer_b AND cc.feature_id_b = c.feature_id_b "
        "ORDER BY c.conflict_id, cc.h3"
    ).df()
    members, zone_cells = zone_components(cells)
    create_table(con, "staging.zone_members", members)
    create_table(con, "staging.zone_cells", zone_cells)
    con.execute("ALTER TABLE staging.zone_cells ALTER h3 TYPE UBIGINT")
    geometries = con.execute(
        "SELECT z.zone_key, z.conflict_id, ST_AsWKB(c.geometry) AS wkb "
        "FROM staging.zone_members AS z JOIN mart.conflicts AS c USING (conflict_id)"
    ).to_arrow_table()
    known = dict(
        con.execute(
            "SELECT signature, ST_AsWKB(geometry) FROM staging.previous_zone_shapes"
        ).fetchall()
        if previous_zones_exist(con)
        else []
    )
    create_table(con, "staging.zone_shapes", zone_shapes(geometries.to_pandas(), known))
    con.execute("ALTER TABLE staging.zone_shapes ALTER wkb TYPE GEOMETRY USING ST_GeomFromWKB(wkb)")
    con.execute("ALTER TABLE staging.zone_shapes RENAME wkb TO geometry")
    con.execute("DROP TABLE IF EXISTS staging.previous_zone_shapes")


def _summary(con: duckdb.DuckDBPyConnection, partitions: int) -> BuildSummary:
    def one(query: str) -> int:
        row = con.execute(query).fetchone()
        return int(row[0]) if row else 0

    unknown = con.execute(
        "SELECT rule_id FROM mart.rule_summary WHERE status = 'unknown' ORDER BY rule_id"
    ).fetchall()
    return BuildSummary(
        conflicts=one("SELECT count(*) FROM mart.conflicts"),
        zones=one("SELECT count(*) FROM mart.conflict_zones"),
        conflict_cells=one("SELECT count(*) FROM mart.conflict_cells"),
        rules_unknown=[r[0] for r in unknown],
        partitions=partitions,
    )


def build_inputs(
    catalogue: Catalogue,
    rules: RuleSet,
    layout: DataLayout,
    code_version: str,
    index_keys: dict[str, str | None],
) -> BuildInputs:
    """Identity of everything a build depends on: the catalogue, the rules, the
    kommunalförbund table (file contents) and ``code_version`` as the configuration; per
    layer its staged copy, its state class (ok / stale / failed, so a night with a stale
    layer is not taken for an unchanged one) and its index key (``index_keys``). Equal
    inputs give equal conflict tables."""
    digest = hashlib.sha256(code_version.encode())
    digest.update(catalogue.model_dump_json().encode())
    digest.update(rules.model_dump_json().encode())
    table = resolve_path(rules.reporting_units.kommunalforbund_table, rules.base_dir)
    digest.update(table.read_bytes())
    layers: dict[str, str] = {}
    for layer in catalogue.names:
        outcome = read_outcome(layout, layer)
        state = "missing" if outcome is None else outcome.state
        state_class = "ok" if state in ("fresh", "unchanged") else state
        key = outcome.provenance.input_key if outcome and outcome.provenance else ""
        layers[layer] = layer_input(state_class, key, index_keys.get(layer) or "")
    return BuildInputs(digest.hexdigest(), layers)


def current_build_inputs(catalogue: Catalogue, rules: RuleSet, layout: DataLayout) -> BuildInputs:
    """The inputs of a conflict build from what is on disk now (the rules' indexed layers'
    index keys, the conflicts code: :data:`CONFLICTS_CODE_VERSION`)."""
    index_keys = {name: current_index_key(layout, name) for name in layer_buffers(catalogue, rules)}
    return build_inputs(catalogue, rules, layout, CONFLICTS_CODE_VERSION, index_keys)
