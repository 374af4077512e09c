"""An incremental conflict build: the last release's database with only what changed redone.

A night on which a few layers changed (one file re-published, a few hundred plans edited)
need not test every pair of Sweden again. Every build records what it was built from in
``staging.build_inputs`` (:class:`BuildInputs`: one key for the configuration and the
conflicts code, one per layer for its staged copy, state and H3 cells). When the last
release's database was built from the same configuration and code, and the kommun layer
(the study area and the kommun of every H3 cell) is unchanged, the build starts from a copy
of that database (:func:`delta_plan`; then the steps below, which
:func:`pipeline.conflicts.build._pairs_of_changed_features` runs in order):

1. the release's views and mart tables are dropped, and every staging table but the inputs
   and the pair tables (:data:`CARRIED_OVER`);
2. the small input tables (layers, their state, rules, study area) are loaded as in a full
   build, and the changed layers' features, shapes and cells replace theirs;
3. ``staging.dirty_features``: the features of a changed layer that were added, removed or
   altered in any attribute, shape or cell. When every changed layer was indexed with this
   night's H3 resolution, buffers and indexing code on both sides (:func:`comparable_by_hash`),
   a feature's shapes and cells follow from its staged row, so comparing the features'
   ``feature_hash`` finds them (``delta_dirty_by_hash.sql``) and only their rows of this
   night are loaded; otherwise the changed layers' rows of both sides are compared whole
   (``delta_dirty_features.sql``);
4. the pair rows of two clean features are set aside; the pair steps run again in two passes
   that together find exactly the pairs with a dirty feature (``delta_scope.sql``); those
   are clipped to the study area, and the kept rows are added back.

From there on the build is the full one's (every mart table from the pair tables), so its
tables equal a full build's row for row (tests/conflicts/test_incremental.py). The H3 grain
(``UBIGINT`` at the rule set's resolution) and the CRS (EPSG:3006) are the full build's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.db import connect, create_table, run_sql
from pipeline.layout import DataLayout

#: The staging tables an incremental build carries over from the last release (the inputs
#: it updates layer by layer, the pair tables and the pairs' measures per kommun it updates
#: pair by pair); every other staging table is derived again, as in a full build.
CARRIED_OVER = (
    "features", "shapes", "cells", "rule_features", "study_area_shape", "kommun_cells",
    "candidate_cells", "candidate_pairs", "conflict_pairs", "conflict_kommuner",
)  # fmt: skip
#: The ``input`` of the configuration's row in ``staging.build_inputs`` (a layer's row is
#: its name, an identifier, so the two cannot meet).
CONFIGURATION = "#configuration"


@dataclass(frozen=True)
class BuildInputs:
    """What one build is made from: ``configuration`` (catalogue, rules, the kommunalförbund
    table and the code version) and, per layer, its state class, staged copy and index key.
    Equal inputs give equal conflict tables."""

    configuration: str
    layers: dict[str, str]

    @property
    def key(self) -> str:
        """One key of all the inputs (with the publish code's version, the skip key of a
        night: :func:`pipeline.conflicts.stage.current_inputs_key`)."""
        digest = hashlib.sha256(self.configuration.encode())
        for layer, key in self.layers.items():
            digest.update(f"{layer}:{key}".encode())
        return digest.hexdigest()

    def frame(self) -> pd.DataFrame:
        """The rows of ``staging.build_inputs``: (input, key), the configuration first."""
        return pd.DataFrame(
            {
                "input": [CONFIGURATION, *self.layers],
                "key": [self.configuration, *self.layers.values()],
            },
            dtype="string",
        )


def layer_input(state_class: str, staged_key: str, index_key: str) -> str:
    """A layer's key in :class:`BuildInputs`: ``<state class>:<staged key>:<index key>``
    (the keys are hex digests, the index key ``failed:<digest>`` when indexing failed; a
    part is empty when there is none)."""
    return f"{state_class}:{staged_key}:{index_key}"


def parse_layer_input(text: str) -> tuple[str, str, str]:
    """``(state class, staged key, index key)`` of :func:`layer_input`'s text (empty parts
    for a text of another form)."""
    state, _, rest = text.partition(":")
    staged, _, index = rest.partition(":")
    return state, staged, index


#: A layer's index key as this night's H3 resolution, buffers and indexing code would make
#: it from a staged key; None for a layer the build loads no cells of.
ExpectedIndexKey = Callable[[str, str], str | None]


def comparable_by_hash(
    recorded: dict[str, str],
    inputs: BuildInputs,
    changed: tuple[str, ...],
    expected_index_key: ExpectedIndexKey,
) -> bool:
    """Whether the dirty features of ``changed`` can be found by ``feature_hash`` alone.

    True when every changed layer has a staged copy and cells on both sides (``recorded``,
    the base's inputs, and ``inputs``, this night's) and each side's index key is the one
    ``expected_index_key`` gives for its staged key: both were indexed with this night's
    resolution, buffers and indexing code, so a feature's shapes and cells are a function
    of its staged row, which ``feature_hash`` identifies (geometry and every attribute; the
    layer's theme is part of the configuration). A failed index (``failed:<key>``), a layer
    without cells, or other parameters on either side: False.
    """
    for layer in changed:
        for text in (recorded.get(layer, ""), inputs.layers.get(layer, "")):
            _, staged_key, index_key = parse_layer_input(text)
            if not staged_key or not index_key:
                return False
            if index_key != expected_index_key(layer, staged_key):
                return False
    return True


@dataclass(frozen=True)
class DeltaPlan:
    """An incremental build from ``base`` (the last release's database): ``changed`` are the
    layers whose inputs differ from those ``base`` was built from. ``own_build`` is the build
    ``base`` was published from, when it is still in the work folder with the same inputs:
    the new build takes that file over (a rename) instead of copying ``base``. ``by_hash``:
    the dirty features are found by ``feature_hash`` (:func:`comparable_by_hash`)."""

    base: Path
    changed: tuple[str, ...]
    own_build: Path | None = None
    by_hash: bool = False


def delta_plan(
    base: Path,
    inputs: BuildInputs,
    kommun_layer: str | None,
    layout: DataLayout | None = None,
    expected_index_key: ExpectedIndexKey | None = None,
) -> DeltaPlan | str:
    """The incremental build from ``base``, or why the build must be a full one.

    A full build is needed when ``base`` records no inputs (a release of an older version),
    cannot be read (e.g. an analyst holds it open for writing), was built from another
    configuration or code, or when the kommun layer changed. With the data folder's
    ``layout``, :func:`published_build` looks for ``base``'s own build among the runs'.
    With ``expected_index_key``, :func:`comparable_by_hash` decides ``by_hash``.
    """
    try:
        recorded = recorded_inputs(base)
    except duckdb.CatalogException:
        return f"the last release ({base}) records no build inputs (an older version)"
    except duckdb.Error as exc:
        return f"the last release's database {base} cannot be read: {exc}"
    if recorded.get(CONFIGURATION) != inputs.configuration:
        return "the catalogue, the rules or the conflicts code changed since the last release"
    names = set(recorded) | set(inputs.layers)
    names.discard(CONFIGURATION)
    changed = tuple(sorted(n for n in names if recorded.get(n) != inputs.layers.get(n)))
    if kommun_layer is not None and kommun_layer in changed:
        return f"the kommun layer {kommun_layer} changed (the study area and its cells)"
    own = published_build(base, layout, recorded) if layout is not None else None
    by_hash = expected_index_key is not None and comparable_by_hash(
        recorded, inputs, changed, expected_index_key
    )
    return DeltaPlan(base, changed, own, by_hash)


def recorded_inputs(database: Path) -> dict[str, str]:
    """``staging.build_inputs`` of a build or release, as {input: key}."""
    with connect(database, read_only=True) as con:
        return dict(con.execute("SELECT input, key FROM staging.build_inputs").fetchall())


def published_build(release: Path, layout: DataLayout, recorded: dict[str, str]) -> Path | None:
    """The build ``release`` was published from, if it is still in the run's folder (kept
    for re-execution until pruned) and records the same inputs: the run in the
    release's ``mart.runs`` that published last. Its tables are the release's (publication
    only adds a record, comments and views), so a new build may take it over; re-executing
    that run then finds nothing new to publish, which is true."""
    try:
        with connect(release, read_only=True) as con:
            row = con.execute(
                "SELECT run_id FROM mart.runs WHERE outcome = 'published' "
                "ORDER BY started_at DESC LIMIT 1"
            ).fetchone()
        if row is None:
            return None
        build = layout.run_build(str(row[0]))
        if not build.is_file() or build.with_suffix(build.suffix + ".wal").exists():
            return None
        return build if recorded_inputs(build) == recorded else None
    except (duckdb.Error, ValueError):
        return None  # no usable build (or a run id that names no folder): copy the release


def reset_to_inputs(con: duckdb.DuckDBPyConnection) -> None:
    """Drop what the copied release holds beyond :data:`CARRIED_OVER` (its views, every mart
    table, the other staging tables); its zone shapes stay as
    ``staging.previous_zone_shapes``, for zones whose conflicts did not change to keep."""
    run_sql(con, "conflicts/delta_reset", {})
    tables = {
        row[0]
        for row in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'staging'"
        ).fetchall()
    }
    for table in sorted(tables - set(CARRIED_OVER) - {"zone_shapes"}):
        con.execute(f'DROP TABLE staging."{table}"')
    if "zone_shapes" in tables:
        con.execute("ALTER TABLE staging.zone_shapes RENAME TO previous_zone_shapes")
        if not previous_zones_exist(con):  # a release without the zones' signatures
            con.execute("DROP TABLE staging.previous_zone_shapes")


def previous_zones_exist(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether ``staging.previous_zone_shapes`` is there with the zones' signatures."""
    row = con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE schema_name = 'staging' "
        "AND table_name = 'previous_zone_shapes' AND column_name = 'signature'"
    ).fetchone()
    return bool(row and row[0])


def record_inputs(con: duckdb.DuckDBPyConnection, inputs: BuildInputs) -> None:
    """``staging.build_inputs``: what this build was made from, for the next night's plan."""
    create_table(con, "staging.build_inputs", inputs.frame())


def dirty_features(con: duckdb.DuckDBPyConnection, changed: tuple[str, ...]) -> None:
    """``staging.dirty_features`` from the changed layers' whole rows of the release and of
    this night (``staging.next_*``): features, shapes and cells."""
    run_sql(con, "conflicts/delta_dirty_features", {"layers": list(changed)})


def dirty_features_by_hash(
    con: duckdb.DuckDBPyConnection, changed: tuple[str, ...], staged: list[Path]
) -> None:
    """``staging.dirty_features`` from the changed layers' ``feature_hash`` in the release
    and in this night's ``staged`` copies (only when :func:`comparable_by_hash`)."""
    params: dict[str, object] = {"layers": list(changed), "paths": [str(p) for p in staged]}
    run_sql(con, "conflicts/delta_dirty_by_hash", params)


#: The rows of this night's files an incremental build needs once ``staging.dirty_features``
#: is known by hash: the dirty features' (a ``WHERE`` of :func:`pipeline.schemas.load_statement`).
DIRTY_ROWS = "(layer, feature_id) IN (SELECT (layer, feature_id) FROM staging.dirty_features)"


def replace_dirty_rows(con: duckdb.DuckDBPyConnection, changed: tuple[str, ...]) -> int:
    """Replace the dirty features' rows of the release by this night's (``staging.next_*``)
    and return how many features are dirty."""
    run_sql(con, "conflicts/delta_replace_layers", {"layers": list(changed)})
    row = con.execute("SELECT count(*) FROM staging.dirty_features").fetchone()
    return int(row[0]) if row else 0


def set_kept_pairs_aside(con: duckdb.DuckDBPyConnection) -> None:
    """Set the pair rows of two clean features aside (``staging.kept_*``), all rule
    features (``staging.all_rule_features``, for the passes to select from) and the cells
    no dirty feature is found in (``delta_dirty_cells.sql``)."""
    run_sql(con, "conflicts/delta_kept_pairs", {})
    run_sql(con, "conflicts/delta_dirty_cells", {})
    con.execute("ALTER TABLE staging.rule_features RENAME TO all_rule_features")


def start_pass(con: duckdb.DuckDBPyConnection, pass_: str) -> None:
    """``staging.rule_features`` for pass ``'a'`` or ``'b'`` (``delta_scope.sql``) and the
    pair tables empty for its pairs."""
    run_sql(con, "conflicts/delta_scope", {"pass": pass_})
    run_sql(con, "conflicts/pair_tables", {})


def finish_pass(con: duckdb.DuckDBPyConnection) -> None:
    """The pass's pairs, tested and clipped, join the kept ones."""
    run_sql(con, "conflicts/delta_keep_pass", {})


def restore_kept_pairs(con: duckdb.DuckDBPyConnection) -> None:
    """All rule features and cells back, and the kept pair rows with both passes' as the
    pair tables."""
    con.execute("DROP TABLE staging.rule_features")
    con.execute("ALTER TABLE staging.all_rule_features RENAME TO rule_features")
    run_sql(con, "conflicts/delta_restore_pairs", {})


#: The two passes of an incremental build's pair steps (``delta_scope.sql``).
PASSES = ("a", "b")
