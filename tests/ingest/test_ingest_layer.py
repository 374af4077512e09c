"""ingest_layer() on files: states, provenance, last good copy, encodings end to end."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import duckdb
import geopandas as gpd
import pyogrio
import pytest
import shapely
from shapely.geometry import Polygon, box
from stages import World, run_stages

import pipeline.ingest.layer as ingest_module
from pipeline.config.models import LayerSpec, SourceSpec
from pipeline.ingest import IngestOutcome, ingest_layer, read_outcome, read_staged, run_ingest
from pipeline.ingest.staged import provenance_from_dict, staged_preview
from pipeline.layout import DataLayout
from pipeline.sources import fetch_source

#: GDAL warns while it rejects the corrupt GeoPackage; the rejection is what is tested.
pytestmark = pytest.mark.filterwarnings("ignore:GPKG. bad application_id:RuntimeWarning")

X, Y = 320_000.0, 6_400_000.0
NAMES = ["Åsa hage", "Örö", "Ängön"]


def nr_frame(crs: Any = 3006) -> gpd.GeoDataFrame:
    """Three reserves with Swedish names; the first is a self-intersecting bowtie."""
    bowtie = Polygon([(X, Y), (X + 100, Y + 100), (X + 100, Y), (X, Y + 100), (X, Y)])
    squares = [box(X + i * 500, Y, X + i * 500 + 400, Y + 400) for i in (1, 2)]
    return gpd.GeoDataFrame(
        {"NVRID": ["2001000", "2001001", "2001002"], "NAMN": NAMES, "LAN": ["14"] * 3},
        geometry=[bowtie, *squares],
        crs=crs,
    )


def nr_spec(path: str, **overrides: Any) -> LayerSpec:
    source = {"kind": "file", "path": path, **overrides.pop("source", {})}
    entry = {
        "name": "naturreservat",
        "title": "Naturreservat",
        "theme": "nature",
        "source": source,
        "id_field": "NVRID",
        "name_field": "NAMN",
        "fields": {"category": "LAN"},
    }
    return LayerSpec(**{**entry, **overrides})


def ingest(tmp_path: Path, spec: LayerSpec) -> IngestOutcome:
    return ingest_layer(spec, base_dir=tmp_path, layout=DataLayout(tmp_path))


def staged_bytes(tmp_path: Path, layer: str = "naturreservat") -> tuple[bytes, bytes]:
    layout = DataLayout(tmp_path)
    parquet, meta = layout.staged_features(layer), layout.staged_provenance(layer)
    return parquet.read_bytes(), meta.read_bytes()


@pytest.fixture
def gpkg(tmp_path: Path) -> Path:
    path = tmp_path / "nr.gpkg"
    pyogrio.write_dataframe(nr_frame(), path, layer="NR")
    return path


# --- fresh and provenance ---------------------------------------------------------------


def test_fresh_ingest_stages_features_with_provenance(tmp_path: Path, gpkg: Path) -> None:
    spec = nr_spec("nr.gpkg")
    outcome = ingest(tmp_path, spec)
    assert outcome.state == "fresh" and outcome.error is None
    prov = outcome.provenance
    assert prov is not None
    fetched = fetch_source(spec.name, spec.source, tmp_path, tmp_path / "cache")
    assert prov.source == str(gpkg)
    assert prov.sha256 == fetched.sha256 and len(prov.sha256) == 64
    assert prov.retrieved_at[:4].isdigit() and "T" in prov.retrieved_at
    assert (prov.features_read, prov.features_repaired) == (3, 1)
    assert (prov.features_dropped, prov.features_kept) == (0, 3)
    staged = read_staged(DataLayout(tmp_path), "naturreservat")
    assert staged["name"].tolist() == NAMES
    assert staged["category"].tolist() == ["14", "14", "14"]
    assert staged.geometry.is_valid.all() and staged.crs.to_epsg() == 3006
    assert read_outcome(DataLayout(tmp_path), "naturreservat") == outcome


def test_fresh_ingest_previews_the_first_five_staged_rows_without_shapes(
    tmp_path: Path,
) -> None:
    ids = [f"20010{i:02d}" for i in range(7)]
    frame = gpd.GeoDataFrame(
        {"NVRID": ids, "NAMN": [f"Reservat {i}" for i in range(7)], "LAN": ["14"] * 7},
        geometry=[box(X + i * 500, Y, X + i * 500 + 400, Y + 400) for i in range(7)],
        crs=3006,
    )
    pyogrio.write_dataframe(frame, tmp_path / "nr.gpkg", layer="NR")
    report = run_ingest(nr_spec("nr.gpkg"), base_dir=tmp_path, layout=DataLayout(tmp_path))
    staged = read_staged(DataLayout(tmp_path), "naturreservat")
    assert len(staged) == 7
    preview = str(report.metadata["preview_markdown"])
    assert preview == staged.drop(columns="geometry").head(5).to_markdown(index=False)
    rows = preview.splitlines()[2:]
    assert [row.split("|")[2].strip() for row in rows] == ids[:5]
    assert "geometry" not in preview and "bbox" not in preview and "xmin" not in preview


def test_preview_of_an_empty_staged_copy_has_the_columns_and_no_rows(tmp_path: Path) -> None:
    layout = DataLayout(tmp_path)
    empty = gpd.GeoDataFrame({"feature_id": [], "name": []}, geometry=[], crs=3006)
    layout.staged_features("naturreservat").parent.mkdir(parents=True)
    empty.to_parquet(layout.staged_features("naturreservat"), write_covering_bbox=True)
    preview = staged_preview(layout, "naturreservat")
    assert list(preview.columns) == ["feature_id", "name"] and preview.empty


def test_provenance_records_of_other_versions_still_load() -> None:
    old = {  # a NORMALISE_VERSION 1 record: no dropped_invalid / dropped_no_id
        "layer": "nr", "theme": "nature", "source": "x", "sha256": "0" * 64,
        "retrieved_at": "2025-01-01T00:00:00+00:00", "input_key": "k", "features_read": 2,
        "features_repaired": 0, "features_dropped": 1, "features_kept": 1, "dropped_empty": 1,
        "dropped_null_island": 0, "dropped_outside": 0, "dropped_duplicate": 0,
        "features_filtered": 0, "from_the_future": 1,
    }  # fmt: skip
    prov = provenance_from_dict(old)
    assert prov.dropped_invalid == 0 and prov.features_dropped == 1


# --- unchanged --------------------------------------------------------------------------


def test_unchanged_source_is_not_read_again(
    tmp_path: Path, gpkg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = nr_spec("nr.gpkg")
    first = ingest(tmp_path, spec)
    before = staged_bytes(tmp_path)

    def must_not_read(*_: object) -> None:
        raise AssertionError("an unchanged source was read")

    monkeypatch.setattr(ingest_module, "read_fetched", must_not_read)
    second = ingest(tmp_path, spec)
    assert second.state == "unchanged" and second.error is None
    assert second.provenance == first.provenance
    assert staged_bytes(tmp_path) == before


def test_a_changed_catalogue_entry_reads_again(tmp_path: Path, gpkg: Path) -> None:
    first = ingest(tmp_path, nr_spec("nr.gpkg"))
    second = ingest(tmp_path, nr_spec("nr.gpkg", keep=["LAN"]))
    assert second.state == "fresh"
    assert first.provenance and second.provenance
    assert second.provenance.sha256 == first.provenance.sha256
    assert second.provenance.input_key != first.provenance.input_key


# --- failure ----------------------------------------------------------------------------


def corrupt(path: Path) -> None:
    path.write_bytes(b"SQLite format 3\x00" + b"\x13" * 4000)


def test_corrupt_geopackage_that_never_succeeded_is_failed(tmp_path: Path) -> None:
    corrupt(tmp_path / "nr.gpkg")
    outcome = ingest(tmp_path, nr_spec("nr.gpkg"))
    assert outcome.state == "failed" and outcome.provenance is None
    assert outcome.error is not None
    assert outcome.error.startswith(f"layer 'naturreservat' from {tmp_path / 'nr.gpkg'}: ")
    assert "cannot read nr.gpkg" in outcome.error
    assert not DataLayout(tmp_path).staged_features("naturreservat").exists()
    assert read_outcome(DataLayout(tmp_path), "naturreservat") == outcome


@pytest.mark.parametrize(
    "breakage,cause",
    [
        ("corrupt", "cannot read nr.gpkg"),
        ("missing", "file not found"),
        ("lon-lat", "outside the plausible extent"),
        ("all-empty", "all 3 features were dropped (3 empty)"),
    ],
)
def test_a_failing_source_keeps_the_last_good_copy(
    tmp_path: Path, gpkg: Path, breakage: str, cause: str
) -> None:
    good = ingest(tmp_path, nr_spec("nr.gpkg"))
    before = staged_bytes(tmp_path)
    if breakage == "corrupt":
        corrupt(gpkg)
    elif breakage == "missing":
        gpkg.unlink()
    elif breakage == "lon-lat":  # degrees written into a file that says EPSG:3006
        lonlat = nr_frame().to_crs(4326).set_crs(3006, allow_override=True)
        pyogrio.write_dataframe(lonlat, gpkg, layer="NR")
    else:
        empty = nr_frame().assign(geometry=None)
        pyogrio.write_dataframe(empty, gpkg, layer="NR")
    outcome = ingest(tmp_path, nr_spec("nr.gpkg"))
    assert outcome.state == "stale"
    assert outcome.provenance == good.provenance
    assert outcome.error is not None and cause in outcome.error
    assert "layer 'naturreservat' from " in outcome.error and str(gpkg) in outcome.error
    assert staged_bytes(tmp_path) == before
    recorded = json.loads(DataLayout(tmp_path).ingest_state("naturreservat").read_text())
    assert recorded["state"] == "stale" and cause in recorded["error"]


def test_unexpected_exceptions_become_named_layer_errors(
    tmp_path: Path, gpkg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_reader(*_: object) -> None:
        raise KeyError("geometry")

    monkeypatch.setattr(ingest_module, "read_fetched", broken_reader)
    outcome = ingest(tmp_path, nr_spec("nr.gpkg"))
    assert outcome.state == "failed"
    assert outcome.error == (f"layer 'naturreservat' from {gpkg}: unexpected KeyError: 'geometry'")


def test_other_layers_still_ingest_when_one_fails(world: World) -> None:
    run_stages(world)
    s, catalogue = world.settings, world.catalogue
    natura = catalogue.layer("natura2000")
    parquet = s.layout.staged_features("natura2000")
    before = parquet.read_bytes()
    (catalogue.base_dir / "data" / "natura2000.geojson").write_text("{not json", "utf-8")
    states = {
        spec.name: ingest_layer(spec, base_dir=catalogue.base_dir, layout=s.layout).state
        for spec in catalogue.layers
    }
    assert states.pop(natura.name) == "stale"
    assert set(states.values()) == {"unchanged"}
    assert parquet.read_bytes() == before


# --- CRS through real files -------------------------------------------------------------


def shapefile(folder: Path, *, prj: bool, cpg: bool) -> Path:
    """A shapefile with a Latin-1 DBF, as Naturvårdsregistret ships it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "NR_polygon.shp"
    pyogrio.write_dataframe(nr_frame(), path, encoding="ISO-8859-1")
    assert "Örö".encode("latin-1") in path.with_suffix(".dbf").read_bytes()
    if not prj:
        path.with_suffix(".prj").unlink()
    if not cpg:
        path.with_suffix(".cpg").unlink()
    return path


def test_shapefile_without_prj_needs_the_catalogue_crs(tmp_path: Path) -> None:
    shapefile(tmp_path / "nr", prj=False, cpg=True)
    outcome = ingest(tmp_path, nr_spec("nr/NR_polygon.shp"))
    assert outcome.state == "failed" and outcome.error is not None
    assert "the source has no CRS" in outcome.error and "set 'crs:'" in outcome.error
    fixed = ingest(tmp_path, nr_spec("nr/NR_polygon.shp", crs="EPSG:3006"))
    assert fixed.state == "fresh"
    assert fixed.provenance is not None and fixed.provenance.features_kept == 3


def test_geojson_in_4326_is_reprojected(tmp_path: Path) -> None:
    nr_frame().to_crs(4326).to_file(tmp_path / "nr.geojson", driver="GeoJSON")
    assert ingest(tmp_path, nr_spec("nr.geojson")).state == "fresh"
    staged = read_staged(DataLayout(tmp_path), "naturreservat")
    expected = nr_frame().geometry.iloc[1]
    assert shapely.hausdorff_distance(staged.geometry.iloc[1], expected) < 0.01  # < 1 cm


@pytest.mark.parametrize(
    "crs,state",
    [("EPSG:4326", "fresh"), ("EPSG:3006", "failed")],
    ids=["declared-4326", "lon-lat-declared-3006"],
)
def test_csv_with_lon_lat_columns(tmp_path: Path, crs: str, state: str) -> None:
    # Points at 15°E (false easting 500 000 m) and near Göteborg, decimal commas as in Excel.
    (tmp_path / "vbk.csv").write_text(
        "VERKID;lon;lat;NAMN\n1400-1;15,0;58,0;Ödegärdet\n1400-2;12,0;57,7;Åby\n", "utf-8"
    )
    spec = LayerSpec(
        name="vindkraftverk",
        title="Vindkraftverk",
        theme="wind",
        source=SourceSpec(kind="file", path="vbk.csv", x_column="lon", y_column="lat"),
        crs=crs,
        id_field="VERKID",
        name_field="NAMN",
    )
    outcome = ingest(tmp_path, spec)
    assert outcome.state == state
    if state == "failed":
        assert outcome.error is not None and "look like longitude/latitude" in outcome.error
        return
    staged = read_staged(DataLayout(tmp_path), "vindkraftverk")
    assert staged.geometry.iloc[0].x == pytest.approx(500_000.0, abs=1e-6)
    assert 6_420_000 < staged.geometry.iloc[0].y < 6_440_000
    assert staged["name"].tolist() == ["Ödegärdet", "Åby"]


# --- Swedish characters end to end -----------------------------------------------------


@pytest.fixture(params=["loose", "zipped"])
def latin1_source(request: pytest.FixtureRequest, tmp_path: Path) -> LayerSpec:
    """A Latin-1 DBF without ``.cpg``, loose or in a zip, with the catalogue's encoding."""
    shp = shapefile(tmp_path / "nr", prj=True, cpg=False)
    if request.param == "loose":
        return nr_spec("nr/NR_polygon.shp", source={"encoding": "latin-1"})
    with zipfile.ZipFile(tmp_path / "NR.zip", "w") as archive:
        for part in sorted(shp.parent.iterdir()):
            archive.write(part, part.name)
    return nr_spec("NR.zip", source={"member": "NR_polygon.shp", "encoding": "latin-1"})


def test_latin1_names_survive_into_geoparquet_and_duckdb(
    tmp_path: Path, latin1_source: LayerSpec
) -> None:
    assert ingest(tmp_path, latin1_source).state == "fresh"
    parquet = DataLayout(tmp_path).staged_features("naturreservat")
    assert read_staged(DataLayout(tmp_path), "naturreservat")["name"].tolist() == NAMES
    rows = duckdb.sql(
        f"SELECT feature_id, name, category FROM read_parquet('{parquet}') ORDER BY feature_id"
    ).fetchall()
    assert rows == [
        ("2001000", "Åsa hage", "14"),
        ("2001001", "Örö", "14"),
        ("2001002", "Ängön", "14"),
    ]


def test_staged_files_of_all_layers_share_one_schema(tmp_path: Path, gpkg: Path) -> None:
    """An empty layer and a full one read together in DuckDB without union_by_name."""
    pyogrio.write_dataframe(nr_frame().iloc[:0], tmp_path / "tom.gpkg", layer="NR")
    assert ingest(tmp_path, nr_spec("nr.gpkg")).state == "fresh"
    empty = nr_spec("tom.gpkg", name="tom", empty_ok=True)
    outcome = ingest(tmp_path, empty)
    assert outcome.state == "fresh"
    assert outcome.provenance is not None and outcome.provenance.features_kept == 0
    paths = [str(DataLayout(tmp_path).staged_features(n)) for n in ("naturreservat", "tom")]
    count = duckdb.sql(f"SELECT count(*), count(date) FROM read_parquet({paths})").fetchone()
    assert count == (3, 0)


def test_geojson_in_sweref_without_crs_member_needs_crs_override(tmp_path: Path) -> None:
    """GDAL reads a GeoJSON without ``crs`` as EPSG:4326; metres then fall off the earth."""
    document = json.loads(nr_frame().to_json(drop_id=True))
    document.pop("crs")
    (tmp_path / "nr.geojson").write_text(json.dumps(document), encoding="utf-8")
    refused = ingest(tmp_path, nr_spec("nr.geojson"))
    assert refused.state == "failed" and refused.error is not None
    assert "after reprojecting from EPSG:4326 (of the source)" in refused.error
    assert "set 'crs_override: EPSG:3006' for this layer" in refused.error
    fixed = ingest(tmp_path, nr_spec("nr.geojson", crs_override="EPSG:3006"))
    assert fixed.state == "fresh"
    staged = read_staged(DataLayout(tmp_path), "naturreservat")
    assert shapely.equals(staged.geometry.iloc[1], nr_frame().geometry.iloc[1])


def test_an_empty_copy_is_no_good_copy_for_a_layer_that_may_not_be_empty(
    tmp_path: Path,
) -> None:
    pyogrio.write_dataframe(nr_frame().iloc[:0], tmp_path / "tom.gpkg", layer="NR")
    assert ingest(tmp_path, nr_spec("tom.gpkg", empty_ok=True)).state == "fresh"
    outcome = ingest(tmp_path, nr_spec("tom.gpkg"))
    assert outcome.state == "failed" and outcome.provenance is None
    assert outcome.error is not None and "the source has no features" in outcome.error
