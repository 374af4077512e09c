"""The conflict build in partitions of H3 cells equals the build in one, each pair once.

The tiny world is built twice from the same indexed layers: as one partition (its default:
far fewer cells than ``LANDUSE_CONFLICT_PARTITION_CELLS``) and with every H3 parent at
resolution 8 a partition of its own (``LANDUSE_CONFLICT_PARTITION_CELLS=1``), so the 2 km ×
2 km overlap of the wind area and the Natura 2000 site spans several partitions.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import duckdb
import h3
import pytest
from stages import World, make_world, rows, run_stages
from tiny_world import EXPECTED_WIND_NATURA_M2

import pipeline.conflicts.build as build
from pipeline.config import layer_buffers
from pipeline.config.settings import ConflictPartitioning, conflict_partitioning
from pipeline.db import connect
from pipeline.index.stage import present_indexed

PARTITION_RES = 8
#: a cell's parent key at PARTITION_RES (as sql/conflicts/cell_parents.sql computes it)
SHIFT = 3 * (15 - PARTITION_RES)
PAIR_KEY = "rule_id, layer_a, feature_id_a, layer_b, feature_id_b"


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[World, Path, Path]:
    """(world, its one-partition build, its build in one partition per resolution-8 parent)."""
    world = make_world(tmp_path_factory.mktemp("partitions"))
    whole = run_stages(world)
    assert whole.partitions == 1
    parted = world.settings.layout.work / "partitioned.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LANDUSE_CONFLICT_PARTITION_RES", str(PARTITION_RES))
        patch.setenv("LANDUSE_CONFLICT_PARTITION_CELLS", "1")
        summary = build.build_conflicts(
            parted,
            catalogue=world.catalogue,
            rules=world.rules,
            layout=world.settings.layout,
            indexed=present_indexed(
                world.settings.layout, layer_buffers(world.catalogue, world.rules)
            ),
        )
    assert summary.partitions > 10
    assert (summary.conflicts, summary.zones) == (whole.conflicts, whole.zones)
    return world, world.database, parted


def table(database: Path, query: str) -> list[tuple]:
    return sorted(rows(database, query), key=repr)


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


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * EXCLUDE (geometry), ST_AsWKB(geometry) FROM mart.conflicts",
        "SELECT * FROM mart.conflict_cells",
        "SELECT * FROM staging.candidate_cells",
        "SELECT * EXCLUDE (geometry), ST_AsWKB(geometry) FROM staging.conflict_pairs",
    ],
)
def test_the_partitioned_build_equals_the_whole_one(
    builds: tuple[World, Path, Path], query: str
) -> None:
    _, whole, parted = builds
    expected = table(whole, query)
    assert expected and table(parted, query) == expected


def cells_db(h3_cells: list[int]) -> duckdb.DuckDBPyConnection:
    """An in-memory build whose ``staging.cells`` hold a rule layer at ``h3_cells``."""
    con = connect()
    con.execute("CREATE SCHEMA staging")
    con.execute("CREATE TABLE staging.rule_layers (layer VARCHAR, buffer_m DOUBLE)")
    con.execute("INSERT INTO staging.rule_layers VALUES ('a', 0), ('b', 0)")
    con.execute("CREATE TABLE staging.cells (layer VARCHAR, buffer_m DOUBLE, h3 UBIGINT)")
    con.executemany("INSERT INTO staging.cells VALUES ('a', 0, ?)", [[c] for c in h3_cells])
    # another layer's cells (a kommun's, say) that no rule side uses do not count
    con.executemany("INSERT INTO staging.cells VALUES ('k', 0, ?)", [[c] for c in h3_cells])
    return con


def test_partitions_are_runs_of_parents_that_cover_every_cell_once() -> None:
    centre = h3.latlng_to_cell(57.7, 11.97, 9)
    cells = sorted(h3.str_to_int(c) for c in h3.grid_disk(centre, 12))  # 469 cells
    con = cells_db(cells)
    parts = build.cell_partitions(con, 9, ConflictPartitioning(resolution=7, max_cells=60))
    assert parts[0][0] == build.H3_MIN and parts[-1][1] == build.H3_MAX
    assert all(hi + 1 == lo for (_, hi), (lo, _) in itertools.pairwise(parts))
    owner = {c: [i for i, (lo, hi) in enumerate(parts) if lo <= c <= hi] for c in cells}
    assert all(len(found) == 1 for found in owner.values())
    by_parent: dict[str, set[int]] = {}
    for c, (i,) in owner.items():
        by_parent.setdefault(h3.cell_to_parent(h3.int_to_str(c), 7), set()).add(i)
    assert all(len(found) == 1 for found in by_parent.values())  # a parent is never split
    sizes = [len([c for c in cells if owner[c] == [i]]) for i in range(len(parts))]
    assert len(parts) > 1 and max(sizes) <= 60  # no parent here holds more than 60 cells
    # at most max_cells rows (of the rules' layers) in all: one partition
    whole = build.cell_partitions(con, 9, ConflictPartitioning(resolution=7, max_cells=469))
    assert whole == [(build.H3_MIN, build.H3_MAX)]


def test_a_partition_resolution_finer_than_the_rules_is_refused() -> None:
    con = cells_db([h3.str_to_int(h3.latlng_to_cell(57.7, 11.97, 9))])
    with pytest.raises(ValueError, match=r"LANDUSE_CONFLICT_PARTITION_RES: 10 .* 9"):
        build.cell_partitions(con, 9, ConflictPartitioning(resolution=10))


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
