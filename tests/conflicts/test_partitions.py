"""The conflict build in partitions of H3 cells equals the build in one, row for row.

The tiny world is built twice from the same indexed layers: as one partition (its default:
far fewer cells than ``LANDUSE_CONFLICT_PARTITION_CELLS``) and with every H3 parent at
resolution 8 a partition of its own (``LANDUSE_CONFLICT_PARTITION_CELLS=1``), so the 2 km ×
2 km overlap of the wind area and the Natura 2000 site spans several partitions, and so do
the kommuner, whose cells the study area's kommun per cell (``kommun_cells.sql``) assigns
one partition at a time. It is built so twice: with its study area of three kommuner, and
with kommun 1480 alone, where the farmland overlap crossing into 1481 leaves candidate
cells outside the study area to be removed. Every table of both builds (mart and staging)
must hold the same rows, each as often.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import duckdb
import h3
import pytest
from stages import World, differ_in_rows, every_table, make_world, rows, run_stages, with_rules
from tiny_world import EXPECTED_WIND_NATURA_M2

import pipeline.conflicts.build as build
from pipeline.config import layer_buffers
from pipeline.config.settings import ConflictPartitioning, conflict_partitioning
from pipeline.db import connect, run_sql
from pipeline.index.stage import present_indexed

PARTITION_RES = 8
#: a cell's parent key at PARTITION_RES (as sql/conflicts/cell_parents.sql computes it)
SHIFT = 3 * (15 - PARTITION_RES)
PAIR_KEY = "rule_id, layer_a, feature_id_a, layer_b, feature_id_b"


def build_partitioned(world: World, database: Path) -> build.BuildSummary:
    """``world``'s conflicts built into ``database`` with one partition per resolution-8
    parent."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LANDUSE_CONFLICT_PARTITION_RES", str(PARTITION_RES))
        patch.setenv("LANDUSE_CONFLICT_PARTITION_CELLS", "1")
        return build.build_conflicts(
            database,
            catalogue=world.catalogue,
            rules=world.rules,
            layout=world.settings.layout,
            indexed=present_indexed(
                world.settings.layout, layer_buffers(world.catalogue, world.rules)
            ),
        )


@pytest.fixture(scope="module", params=["three kommuner", "kommun 1480"])
def builds(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[World, Path, Path]:
    """(world, its one-partition build, its build in one partition per resolution-8 parent),
    for the tiny world's study area and for kommun 1480 alone."""
    world = make_world(tmp_path_factory.mktemp("partitions"))
    if request.param == "kommun 1480":
        world = with_rules(world, study_area={"kommuner": ["1480"]})
    whole = run_stages(world)
    assert whole.partitions == 1
    parted = world.settings.layout.work / "partitioned.duckdb"
    summary = build_partitioned(world, parted)
    assert summary.partitions > 10
    assert (summary.conflicts, summary.zones) == (whole.conflicts, whole.zones)
    return world, world.database, parted


def test_every_table_of_the_partitioned_build_equals_the_whole_ones(
    builds: tuple[World, Path, Path],
) -> None:
    _, whole, parted = builds
    queries = every_table(whole)
    assert every_table(parted) == queries
    for name in ("staging.kommun_cells", "staging.candidate_cells", "mart.conflicts",
                 "mart.conflict_cells", "mart.conflict_zones", "mart.kommun_summary"):  # fmt: skip
        assert rows(whole, f"SELECT count(*) FROM {name}")[0][0] > 0, name
    assert differ_in_rows(whole, parted, queries) == []


def test_every_study_area_cell_gets_its_kommun_once(builds: tuple[World, Path, Path]) -> None:
    """The kommun per cell, built one partition at a time: every cell a study-area kommun
    covers, once, with the kommun that covers most of it (cells on a border are covered by
    two), over many partitions."""
    world, _, parted = builds
    counts = rows(
        parted,
        f"SELECT count(*), count(DISTINCT h3), count(DISTINCT h3 >> {SHIFT}) "
        "FROM staging.kommun_cells",
    )[0]
    covered = rows(
        parted,
        "SELECT count(DISTINCT h3), count(*) - count(DISTINCT h3) FROM staging.cells "
        "WHERE layer = 'kommuner' AND buffer_m = 0 "
        "AND feature_id IN (SELECT kommun_code FROM staging.study_area)",
    )[0]
    assert counts[0] == counts[1] == covered[0] and counts[2] > 10
    if len(world.rules.study_area.kommuner or []) > 1:
        assert covered[1] > 0  # some cells lie on a border between two study-area kommuner
    wrong = rows(
        parted,
        "SELECT count(*) FROM staging.kommun_cells AS k JOIN staging.cells AS c "
        "ON c.h3 = k.h3 AND c.layer = 'kommuner' AND c.buffer_m = 0 "
        "AND c.feature_id IN (SELECT kommun_code FROM staging.study_area) "
        "JOIN staging.cells AS mine ON mine.h3 = k.h3 AND mine.layer = 'kommuner' "
        "AND mine.buffer_m = 0 AND mine.feature_id = k.kommun_code "
        "WHERE c.coverage > mine.coverage",
    )
    assert wrong == [(0,)]


def test_no_candidate_cell_lies_outside_the_study_area(builds: tuple[World, Path, Path]) -> None:
    world, _, parted = builds
    outside = rows(
        parted,
        "SELECT count(*) FROM staging.candidate_cells "
        "WHERE h3 NOT IN (SELECT h3 FROM staging.kommun_cells)",
    )
    assert outside == [(0,)]
    if world.rules.study_area.kommuner == ["1480"]:
        # the farmland block's half in 1481 had candidate cells; they are gone
        cells = rows(
            parted,
            "SELECT p.candidate_cells, (SELECT count(*) FROM staging.candidate_cells AS c "
            "WHERE c.rule_id = p.rule_id) FROM staging.candidate_pairs AS p "
            "WHERE p.rule_id = 'wind_farmland' AND p.feature_id_b = 'A1'",
        )
        assert len(cells) == 1 and cells[0][0] > cells[0][1] > 0


def test_a_pair_spanning_partitions_is_measured_once(builds: tuple[World, Path, Path]) -> None:
    _, _, parted = builds
    spans = rows(
        parted,
        f"SELECT {PAIR_KEY}, count(DISTINCT h3 >> {SHIFT}) AS parents "
        "FROM staging.candidate_cells WHERE layer_a = 'vindbruksomraden' "
        "AND layer_b = 'natura2000' GROUP BY ALL",
    )
    assert len(spans) == 1 and spans[0][-1] >= 2  # the overlap lies in several partitions
    pairs = rows(
        parted,
        f"SELECT count(*), count(DISTINCT ({PAIR_KEY})) FROM staging.conflict_pairs",
    )[0]
    assert pairs[0] == pairs[1] > 0  # no pair twice
    area = rows(
        parted,
        "SELECT area_m2 FROM mart.conflicts WHERE layer_a = 'vindbruksomraden' "
        "AND layer_b = 'natura2000'",
    )
    assert area == [(pytest.approx(EXPECTED_WIND_NATURA_M2, rel=1e-9),)]


def cells_db(
    h3_cells: list[int], kommun_cells: list[int] | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory build whose ``staging.cells`` hold a rule layer at ``h3_cells`` and the
    study area's kommun (layer ``k``, kommun 1480) at ``kommun_cells``."""
    con = connect()
    con.execute("CREATE SCHEMA staging")
    con.execute("CREATE TABLE staging.rule_layers (layer VARCHAR, buffer_m DOUBLE)")
    con.execute("INSERT INTO staging.rule_layers VALUES ('a', 0), ('b', 0)")
    con.execute("CREATE TABLE staging.study_area (kommun_code VARCHAR)")
    con.execute("INSERT INTO staging.study_area VALUES ('1480')")
    con.execute(
        "CREATE TABLE staging.cells (layer VARCHAR, buffer_m DOUBLE, h3 UBIGINT, "
        "feature_id VARCHAR)"
    )
    found = [("a", 0, c, "f") for c in h3_cells]
    found += [("k", 0, c, "1480") for c in kommun_cells or []]
    # cells that no partitioned step reads do not count: a layer no rule side uses, a
    # kommun outside the study area, the kommun layer at a buffer
    for layer, buffer_m, kommun in (("x", 0, "f"), ("k", 0, "1481"), ("k", 100, "1480")):
        found += [(layer, buffer_m, c, kommun) for c in h3_cells]
    con.executemany("INSERT INTO staging.cells VALUES (?, ?, ?, ?)", found)
    return con


def owners(parts: list[tuple[int, int]], cells: list[int]) -> dict[int, list[int]]:
    """Each cell's partitions (by index): every cell must have exactly one."""
    return {c: [i for i, (lo, hi) in enumerate(parts) if lo <= c <= hi] for c in cells}


def test_partitions_are_runs_of_parents_that_cover_every_cell_once() -> None:
    centre = h3.latlng_to_cell(57.7, 11.97, 9)
    cells = sorted(h3.str_to_int(c) for c in h3.grid_disk(centre, 12))  # 469 cells
    con = cells_db(cells)
    parts = build.cell_partitions(con, 9, ConflictPartitioning(resolution=7, max_cells=60), "k")
    assert parts[0][0] == build.H3_MIN and parts[-1][1] == build.H3_MAX
    assert all(hi + 1 == lo for (_, hi), (lo, _) in itertools.pairwise(parts))
    owner = owners(parts, cells)
    assert all(len(found) == 1 for found in owner.values())
    by_parent: dict[str, set[int]] = {}
    for c, (i,) in owner.items():
        by_parent.setdefault(h3.cell_to_parent(h3.int_to_str(c), 7), set()).add(i)
    assert all(len(found) == 1 for found in by_parent.values())  # a parent is never split
    sizes = [len([c for c in cells if owner[c] == [i]]) for i in range(len(parts))]
    assert len(parts) > 1 and max(sizes) <= 60  # no parent here holds more than 60 cells
    # at most max_cells rows (of the rules' layers) in all: one partition
    whole = build.cell_partitions(con, 9, ConflictPartitioning(resolution=7, max_cells=469), "k")
    assert whole == [(build.H3_MIN, build.H3_MAX)]


def test_the_study_area_cells_count_towards_a_partition() -> None:
    """The study area's kommun cells are read per partition too (kommun_cells.sql): a region
    with few rule cells but many kommun cells is cut by both counts together."""
    centre = h3.latlng_to_cell(57.7, 11.97, 9)
    disk = sorted(h3.str_to_int(c) for c in h3.grid_disk(centre, 12))  # 469 cells
    rule_cells = disk[:40]
    con = cells_db(rule_cells, kommun_cells=disk)
    plan = ConflictPartitioning(resolution=7, max_cells=120)
    parts = build.cell_partitions(con, 9, plan, "k")
    owner = owners(parts, disk)
    assert all(len(found) == 1 for found in owner.values())
    sizes = [
        sum(owner[c] == [i] for c in disk) + sum(owner[c] == [i] for c in rule_cells)
        for i in range(len(parts))
    ]
    assert len(parts) >= 509 // 120 and max(sizes) <= 120
    # the rule cells alone would fit in one partition, the kommun's do not
    assert build.cell_partitions(cells_db(rule_cells), 9, plan, "k") == [
        (build.H3_MIN, build.H3_MAX)
    ]
    # without a kommun layer only the rules' sides count
    assert build.cell_partitions(con, 9, plan, None) == [(build.H3_MIN, build.H3_MAX)]


def test_a_partition_resolution_finer_than_the_rules_is_refused() -> None:
    con = cells_db([h3.str_to_int(h3.latlng_to_cell(57.7, 11.97, 9))])
    with pytest.raises(ValueError, match=r"LANDUSE_CONFLICT_PARTITION_RES: 10 .* 9"):
        build.cell_partitions(con, 9, ConflictPartitioning(resolution=10), "k")


def test_the_setting_is_read_and_checked() -> None:
    assert conflict_partitioning({}) == ConflictPartitioning()
    got = conflict_partitioning(
        {"LANDUSE_CONFLICT_PARTITION_RES": "5", "LANDUSE_CONFLICT_PARTITION_CELLS": "2_000_000"}
    )
    assert got == ConflictPartitioning(resolution=5, max_cells=2_000_000)
    with pytest.raises(ValueError, match=r"LANDUSE_CONFLICT_PARTITION_RES='16'.* 0 to 15"):
        conflict_partitioning({"LANDUSE_CONFLICT_PARTITION_RES": "16"})
    with pytest.raises(ValueError, match=r"LANDUSE_CONFLICT_PARTITION_CELLS='many'.* 1 or more"):
        conflict_partitioning({"LANDUSE_CONFLICT_PARTITION_CELLS": "many"})


def test_the_summaries_do_not_depend_on_the_order_rows_arrive_in() -> None:
    """Partitions change the order conflicts are appended in; the summaries' sums and top
    conflicts must not follow it. Areas of 1e16, 1 and -1e16 m² sum to 0 or 1 by order."""
    conflicts = [("c1", 1e16, 3.0), ("c2", 1.0, 5.0), ("c3", -1e16, 5.0)]
    found = []
    for order in (conflicts, conflicts[::-1], [conflicts[0], conflicts[2], conflicts[1]]):
        with connect() as con:
            con.execute("CREATE SCHEMA staging; CREATE SCHEMA mart")
            con.execute(
                "CREATE TABLE mart.conflicts (conflict_id VARCHAR, severity VARCHAR, "
                "cross_border BOOLEAN, reason VARCHAR, area_m2 DOUBLE, score DOUBLE)"
            )
            con.executemany(
                "INSERT INTO mart.conflicts VALUES (?, 'high', false, 'r ' || ?, ?, ?)",
                [[c, c, area, score] for c, area, score in order],
            )
            con.execute(
                "CREATE TABLE staging.conflict_shares AS SELECT conflict_id, '1480' AS "
                "kommun_code, 1.0 AS share FROM mart.conflicts"
            )
            con.execute("CREATE TABLE staging.kommunalforbund AS SELECT '1480' AS kommun_code, "
                        "'Göteborgsregionen' AS kommunalforbund")  # fmt: skip
            con.execute("CREATE TABLE staging.kommun_fa AS SELECT '1480' AS kommun_code, "
                        "'25' AS fa_code")  # fmt: skip
            run_sql(con, "conflicts/unit_aggregates", {})
            found.append(
                con.execute(
                    "SELECT unit_kind, area_m2, area_high_m2, score, top_conflict_id, "
                    "top_conflict_reason FROM staging.unit_aggregates ORDER BY unit_kind"
                ).fetchall()
            )
    assert found[0] == found[1] == found[2]
    # in conflict_id order: (1e16 + 1) - 1e16 = 0; the top conflict: score 5, then c2 < c3
    assert found[0][0][1:] == (0.0, 0.0, 13.0, "c2", "r c2")
