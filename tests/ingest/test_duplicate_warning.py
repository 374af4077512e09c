"""A source whose id field is not unique says so instead of silently keeping one row."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import shapely

from pipeline.config.models import LayerSpec
from pipeline.ingest import run_ingest
from pipeline.layout import DataLayout


def _spec(path: Path) -> LayerSpec:
    return LayerSpec.model_validate(
        {
            "name": "naturreservat",
            "title": "Naturreservat",
            "theme": "nature",
            "source": {"kind": "file", "path": str(path)},
            "id_field": "LAN",
        }
    )


def _write(path: Path, ids: list[str]) -> None:
    squares = [
        shapely.box(320_000 + i * 500, 6_400_000, 320_400 + i * 500, 6_400_400)
        for i in range(len(ids))
    ]
    gpd.GeoDataFrame({"LAN": ids}, geometry=squares, crs=3006).to_file(path)


def test_mostly_duplicate_ids_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "nr.gpkg"
    _write(path, ["14"] * 24 + ["13"])
    report = run_ingest(_spec(path), base_dir=tmp_path, layout=DataLayout(tmp_path))
    assert report.status == "fresh" and report.metadata["dagster/row_count"] == 2
    (line,) = report.lines
    assert "23 of 25 features dropped as duplicates of another with the same 'LAN'" in line
    assert report.metadata["dropped_duplicate"] == 23 and "warning" in report.metadata


def test_unique_ids_give_no_warning(tmp_path: Path) -> None:
    path = tmp_path / "nr.gpkg"
    _write(path, [str(i) for i in range(25)])
    report = run_ingest(_spec(path), base_dir=tmp_path, layout=DataLayout(tmp_path))
    assert "warning" not in report.lines[0] and "warning" not in report.metadata
