"""Each conflict and kommun in the GeoPackage carries its rank band, as in the mart."""

from __future__ import annotations

import duckdb
import pyogrio


def test_conflicts_and_kommuner_carry_their_rank_band(published) -> None:  # type: ignore[no-untyped-def]
    gpkg = published.out_dir / "conflicts.gpkg"
    conflicts = pyogrio.read_dataframe(gpkg, layer="conflicts", read_geometry=False)
    kommuner = pyogrio.read_dataframe(gpkg, layer="kommun_summary", read_geometry=False)
    with duckdb.connect(str(published.out_dir / "landuse.duckdb"), read_only=True) as con:
        bands = dict(
            con.execute(
                "SELECT conflict_id, (rank_p05, rank_p95, stable) FROM mart.conflict_rank_stability"
            ).fetchall()
        )
        kommun_bands = dict(
            con.execute("SELECT kommun_code, rank FROM mart.kommun_rank_stability").fetchall()
        )
    assert len(conflicts) == 3 and bands
    for row in conflicts.itertuples():
        p05, p95, stable = bands[row.conflict_id]
        assert (row.rank_p05, row.rank_p95, bool(row.rank_stable)) == (p05, p95, stable)
        assert row.rank_p05 <= row.rank_median <= row.rank_p95
    assert dict(zip(kommuner["kommun_code"], kommuner["score_rank"], strict=True)) == kommun_bands
