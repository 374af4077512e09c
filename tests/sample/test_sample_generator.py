"""The embedded sample: determinism, counts, real boundaries and the real data's faults."""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from pipeline.config.models import ReadKeys
from pipeline.config.settings import PROJECT_ROOT
from pipeline.fileio import sha256_file
from pipeline.sample import OUTPUTS, ensure_sample, generate_sample
from pipeline.sample.generate import EXTRA_FILES, is_complete
from pipeline.sample.population import GOTEBORGSREGIONEN, KOMMUN_POPULATION
from pipeline.sources.gtfs import read_gtfs

SCALE = 0.05
SPECS = {o.name: o for o in OUTPUTS}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "sample"
    return ensure_sample(out, seed=14, scale=SCALE)


@pytest.fixture(scope="module")
def manifest(sample: Path) -> dict:
    return json.loads((sample / "manifest.json").read_text(encoding="utf-8"))


def read(sample: Path, name: str, **kwargs: object) -> gpd.GeoDataFrame:
    spec = SPECS[name]
    path = sample / spec.path
    if spec.format == "GeoParquet":
        return gpd.read_parquet(path)
    dataset = f"/vsizip/{path}/{spec.member}" if spec.member else str(path)
    return pyogrio.read_dataframe(dataset, layer=spec.layer, **kwargs)


def nr(sample: Path) -> gpd.GeoDataFrame:
    return read(sample, "naturreservat", encoding="ISO-8859-1")


# ---------------------------------------------------------------- determinism


def test_same_seed_gives_identical_bytes(sample: Path, manifest: dict, tmp_path: Path) -> None:
    again = generate_sample(tmp_path / "again", seed=14, scale=SCALE)
    assert [entry["sha256"] for entry in again["layers"]] == [
        entry["sha256"] for entry in manifest["layers"]
    ]
    assert (tmp_path / "again" / "manifest.json").read_bytes() == (
        sample / "manifest.json"
    ).read_bytes()


def test_other_seed_differs(manifest: dict, tmp_path: Path) -> None:
    other = generate_sample(tmp_path / "other", seed=15, scale=SCALE)
    before = {e["name"]: e["sha256"] for e in manifest["layers"]}
    after = {e["name"]: e["sha256"] for e in other["layers"]}
    synthetic = [n for n in before if SPECS[n].theme != "boundaries"]
    assert all(before[n] != after[n] for n in synthetic)
    assert all(before[n] == after[n] for n in ("kommuner", "lan", "fa_regioner"))


def test_manifest_hashes_match_files(sample: Path, manifest: dict) -> None:
    assert manifest["seed"] == 14 and manifest["scale"] == SCALE
    for entry in manifest["layers"]:
        assert sha256_file(sample / entry["path"]) == entry["sha256"], entry["name"]


def test_ensure_sample_keeps_complete_and_repairs_broken(sample: Path, tmp_path: Path) -> None:
    out = tmp_path / "s"
    ensure_sample(out, scale=SCALE)
    target = out / SPECS["vindkraftverk"].path
    stamp = target.stat().st_mtime_ns
    ensure_sample(out, scale=SCALE)
    assert target.stat().st_mtime_ns == stamp  # complete: not regenerated
    target.write_bytes(b"truncated")
    assert not is_complete(out, seed=14, scale=SCALE)
    ensure_sample(out, scale=SCALE)
    assert is_complete(out, seed=14, scale=SCALE)
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name or ".old-" in p.name]


# ---------------------------------------------------------------- counts and areas

#: Full-scale feature counts; the sample at SCALE must be within ±30 % of count × SCALE.
FULL = {
    "naturreservat": 610, "natura2000": 400, "nyckelbiotoper": 5_000,
    "jordbruksblock": 60_000, "vindkraftverk": 700, "detaljplaner": 3_000,
    "avverkningsanmalningar": 6_000, "biotopskydd": 1_200, "op_utvecklingsomraden": 300,
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(FULL))
def test_counts_scale(manifest: dict, name: str) -> None:
    got = {e["name"]: e["features"] for e in manifest["layers"]}[name]
    assert 0.7 * FULL[name] * SCALE <= got <= 1.3 * FULL[name] * SCALE


def test_every_layer_has_features(manifest: dict) -> None:
    assert {e["name"] for e in manifest["layers"]} == set(SPECS)
    assert all(e["features"] > 0 for e in manifest["layers"])


def test_riksintresse_vindbruk_at_least_5_km2(sample: Path) -> None:
    ri = read(sample, "riksintresse_vindbruk")
    assert (ri.area >= 5e6).all()


def test_reserve_sizes_and_outlines(sample: Path) -> None:
    frame = nr(sample)
    area_ha = frame.area / 1e4
    assert 1 <= area_ha.median() <= 500
    assert area_ha.max() > 10_000  # Väderöarna
    vertices = shapely.get_num_coordinates(frame.geometry.values)
    assert np.median(vertices) >= 300


def test_farmland_dense_on_skaraborg_plains_sparse_in_dalsland(sample: Path) -> None:
    blocks = read(sample, "jordbruksblock")
    kommuner = read(sample, "kommuner").set_index("kommun_kod")
    per_km2 = blocks.groupby("region_kod").size() / (kommuner.area / 1e6)
    plains = per_km2.reindex(["1470", "1494", "1495", "1499", "1444", "1445"]).fillna(0)
    dalsland = per_km2.reindex(["1460", "1438", "1492"]).fillna(0)
    assert plains.mean() > 4 * dalsland.mean()


def test_features_lie_in_or_near_the_lan(sample: Path) -> None:
    area = shapely.union_all(read(sample, "kommuner").geometry.values).buffer(5_000)
    for name in ("jordbruksblock", "nyckelbiotoper", "detaljplaner", "vindbruksomraden"):
        geoms = read(sample, name).geometry
        pts = geoms[~geoms.is_empty].representative_point()
        assert shapely.within(pts.values, area).mean() > 0.99, name


# ---------------------------------------------------------------- cross-layer overlaps


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("naturreservat", "natura2000"),
        ("natura2000", "riksintresse_naturvard"),
        ("vindbruksomraden", "naturreservat"),
        ("op_utvecklingsomraden", "jordbruksblock"),
        ("avverkningsanmalningar", "nyckelbiotoper"),
        ("riksintresse_vindbruk", "produktiv_skog"),
    ],
)
def test_layers_overlap(sample: Path, a: str, b: str) -> None:
    ga = read(sample, a, encoding="ISO-8859-1") if a == "naturreservat" else read(sample, a)
    gb = read(sample, b, encoding="ISO-8859-1") if b == "naturreservat" else read(sample, b)
    gb = gb.to_crs(ga.crs)
    tree = shapely.STRtree(shapely.make_valid(gb.geometry.values))
    hits = tree.query(shapely.make_valid(ga.geometry.values), predicate="intersects")
    assert hits.shape[1] > 0


# ---------------------------------------------------------------- faults


def test_self_intersections_present(sample: Path) -> None:
    for name in ("jordbruksblock", "nyckelbiotoper", "detaljplaner"):
        geoms = read(sample, name).geometry
        reasons = shapely.is_valid_reason(geoms[~geoms.is_empty].values)
        assert any("Self-intersection" in r or "Ring Self" in r for r in reasons), name
    assert not nr(sample).geometry.is_valid.all()


def test_empty_geometries_present(sample: Path) -> None:
    for name in ("jordbruksblock", "nyckelbiotoper", "avverkningsanmalningar", "detaljplaner"):
        geoms = read(sample, name).geometry
        assert (geoms.isna() | geoms.is_empty).sum() >= 2, name


def test_slivers_present(sample: Path) -> None:
    geoms = read(sample, "jordbruksblock").geometry
    thin = (geoms.area > 0) & (geoms.area < 0.002 * geoms.length**2)
    assert thin.sum() >= 2


def test_duplicate_ids_present(sample: Path) -> None:
    for name, field in [("jordbruksblock", "blockid"), ("nyckelbiotoper", "Beteckn"),
                        ("vindkraftverk", "VERKID"), ("detaljplaner", "planid")]:  # fmt: skip
        assert read(sample, name)[field].duplicated().any(), name


def test_nvrid_twice_as_gallande_and_overklagat(sample: Path) -> None:
    frame = nr(sample)
    assert frame["NVRID"].str.fullmatch(r"\d{7}").all()
    dup = frame[frame["NVRID"].duplicated(keep=False)]
    assert len(dup) >= 4
    for _, group in dup.groupby("NVRID"):
        assert sorted(group["BESLSTATUS"]) == ["Gällande", "Överklagat"]


def test_reserve_attribute_quirks(sample: Path) -> None:
    frame = nr(sample)
    assert frame["KOMMUN"].str.contains(", ").any()
    assert (
        frame["LAN"].str.lower().eq("västra götalands län").sum()
        > frame["LAN"].eq("Västra Götalands län").sum()
    )
    assert frame["URSBESLDAT"].isna().sum() == 1  # "00000000" reads back as no date
    assert frame["NAMN"].str.contains("[åäöÅÄÖ]").any()


def test_null_island_turbines(sample: Path) -> None:
    turbines = read(sample, "vindkraftverk")
    at_zero = (turbines.geometry.x == 0) & (turbines.geometry.y == 0)
    assert 1 <= at_zero.sum() < len(turbines) // 5
    assert set(turbines["STATUS"]) <= {
        "Uppfört", "Beviljat", "Handläggs", "Avslag", "Nedmonterat", "Inte längre aktuellt",
    }  # fmt: skip
    assert turbines["SenasteUppdatering"].str.fullmatch(r"\d{8}").all()


def test_latin1_dbf_without_cpg(sample: Path) -> None:
    path = sample / SPECS["naturreservat"].path
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        dbf = zf.read("NR_polygon.dbf")
    assert "NR_polygon.shp" in names and not any(n.lower().endswith(".cpg") for n in names)
    assert dbf[29] == 0  # no code page in the language-driver byte either
    with pytest.raises(UnicodeDecodeError):
        dbf.decode("utf-8")
    frame = read(sample, "naturreservat", encoding="ISO-8859-1")
    assert "Väderöarna" in set(frame["NAMN"])
    assert "Väderöarna".encode("latin-1") in dbf


def test_natura2000_is_4326_geojson_with_lower_case_fields(sample: Path) -> None:
    path = sample / SPECS["natura2000"].path
    raw = json.loads(path.read_text(encoding="utf-8"))
    props = raw["features"][0]["properties"]
    assert set(props) == {"site_code", "namn", "omradestyp"}
    lon, lat = np.array(shapely.get_coordinates(read(sample, "natura2000").geometry.values)).T
    assert lon.min() > 10 and lon.max() < 16 and lat.min() > 57 and lat.max() < 60
    frame = read(sample, "natura2000")
    assert frame["site_code"].str.fullmatch(r"SE0\d{6}").all()


def test_multipolygon_with_hole_and_islands(sample: Path) -> None:
    geoms = read(sample, "natura2000").geometry.values
    parts = shapely.get_num_geometries(geoms)
    holes = np.array([sum(len(p.interiors) for p in g.geoms) for g in geoms])
    assert ((parts > 1) & (holes > 0)).any()


def test_mixed_polygon_and_multipolygon(sample: Path) -> None:
    assert {"Polygon", "MultiPolygon"} <= set(nr(sample).geom_type)


# ---------------------------------------------------------------- real boundaries

KOMMUNALFORBUND = PROJECT_ROOT / "config" / "kommunalforbund.csv"


def test_all_49_kommuner_with_codes_and_names(sample: Path) -> None:
    kommuner = read(sample, "kommuner")
    assert kommuner.crs.to_epsg() == 3006
    home = kommuner[kommuner["lan_kod"] == "14"]
    with KOMMUNALFORBUND.open(encoding="utf-8") as fh:
        table = {r["kommun_code"]: r["kommun_name"] for r in csv.DictReader(fh)
                 if r["lan_code"] == "14"}  # fmt: skip
    assert len(home) == 49
    assert dict(zip(home["kommun_kod"], home["kommun"], strict=True)) == table
    assert "1384" in set(kommuner["kommun_kod"])  # Kungsbacka, Göteborgsregionen member
    assert home.geometry.is_valid.all()


def test_each_kommun_in_exactly_one_kommunalforbund() -> None:
    with KOMMUNALFORBUND.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    home = [r for r in rows if r["lan_code"] == "14"]
    assert len(home) == 49 and len({r["kommun_code"] for r in home}) == 49
    assert {r["kommunalforbund"] for r in rows} == {
        "Fyrbodal", "Skaraborg", "Sjuhärad", "Göteborgsregionen",
    }  # fmt: skip


def test_lan_and_fa_regions(sample: Path) -> None:
    lan = read(sample, "lan")
    assert "14" in set(lan["lan_kod"])
    area = lan.loc[lan["lan_kod"] == "14"].area.iloc[0] / 1e6
    assert 23_000 < area < 26_000  # Västra Götaland is about 24,000 km² of land
    fa = read(sample, "fa_regioner")
    assert {"Göteborg", "Borås", "Trollhättan-Vänersborg", "Skövde-Skara"} <= set(fa["fa_namn"])


# ---------------------------------------------------------------- context layers


def test_kommun_populations_have_real_magnitudes() -> None:
    assert len(KOMMUN_POPULATION) == 49 and set(KOMMUN_POPULATION) == {
        k for k in KOMMUN_POPULATION if k.startswith("14")
    }
    total = sum(KOMMUN_POPULATION.values())
    assert abs(total - 1_700_000) / 1_700_000 < 0.05  # about 1.74 million in 2023
    assert min(KOMMUN_POPULATION.items(), key=lambda kv: kv[1]) == ("1438", 4_800)  # Dals-Ed
    assert 590_000 <= KOMMUN_POPULATION["1480"] <= 610_000


@pytest.fixture(scope="module")
def tatorter(sample: Path) -> gpd.GeoDataFrame:
    return read(sample, "tatorter")


def test_tatorter_as_scb_publishes_them(tatorter: gpd.GeoDataFrame) -> None:
    assert list(tatorter.columns) == ["tatortskod", "tatort", "bef", "kommun", "lan", "geometry"]
    assert tatorter.crs.to_epsg() == 3006
    assert tatorter["tatortskod"].str.fullmatch(r"14\d\dTC\d{3}").all()
    assert tatorter["tatortskod"].is_unique
    assert (tatorter["tatortskod"].str[:4] == tatorter["kommun"]).all()
    assert set(tatorter["lan"]) == {"14"}
    assert tatorter.geometry.is_valid.all() and (tatorter["bef"] >= 200).all()
    per_kommun = tatorter.groupby("kommun").size()
    assert len(per_kommun) == 49 and per_kommun.min() >= 2  # the centralort and more
    share = tatorter["bef"].sum() / sum(KOMMUN_POPULATION.values())
    assert 0.85 <= share <= 0.91  # about 88 % of the län lives in tätorter
    density = tatorter["bef"] / (tatorter.area / 1e6)
    assert density.between(1_200, 3_300).all()


def test_the_largest_tatort_of_each_kommun_is_its_centralort(
    sample: Path, tatorter: gpd.GeoDataFrame
) -> None:
    largest = tatorter.sort_values("bef").groupby("kommun").tail(1).set_index("kommun")
    assert largest.loc["1480", "tatort"] == "Göteborg"
    assert 570_000 <= largest.loc["1480", "bef"] <= 590_000
    assert largest.loc["1490", "tatort"] == "Borås" and largest.loc["1438", "tatort"] == "Ed"
    kommuner = read(sample, "kommuner").set_index("kommun_kod")
    points = largest.geometry.representative_point()
    inside = [kommuner.geometry[code].contains(p) for code, p in points.items()]
    assert all(inside)


def test_population_grid_sums_to_each_kommun(sample: Path, tatorter: gpd.GeoDataFrame) -> None:
    grid = read(sample, "befolkningsrutor")
    info = pyogrio.read_info(sample / SPECS["befolkningsrutor"].path)
    assert info["geometry_name"] == "sp_geometry"  # as SCB's WFS names it
    assert (grid["beftotalt"] > 0).all() and set(grid["referenstid"]) == {"20251231"}
    x0, y0 = grid.bounds["minx"].round(), grid.bounds["miny"].round()
    assert (x0 % 1000 == 0).all() and (y0 % 1000 == 0).all()
    assert np.allclose(grid.area, 1e6)
    ids = x0.astype(int).astype(str).str.zfill(6) + y0.astype(int).astype(str).str.zfill(7)
    assert (grid["rutid_scb"] == ids).all() and grid["rutid_scb"].is_unique
    assert grid["rutid_scb"].iloc[0] == f"{int(x0.iloc[0])}{int(y0.iloc[0])}"
    # every square counts for the kommun its centre lies in (the nearest one at sea)
    centres = gpd.GeoDataFrame(grid[["beftotalt"]], geometry=grid.centroid, crs=grid.crs)
    kommuner = read(sample, "kommuner")[["kommun_kod", "geometry"]]
    owner = gpd.sjoin_nearest(centres, kommuner, how="left").groupby(level=0).first()
    sums = owner.groupby("kommun_kod")["beftotalt"].sum()
    assert sums.to_dict() == KOMMUN_POPULATION
    # Göteborg's central tätort's squares hold its people
    gbg = tatorter.loc[tatorter["tatort"] == "Göteborg", "geometry"].iloc[0]
    covered = grid[grid.intersects(gbg)]["beftotalt"].sum()
    assert covered >= 570_000


def test_gtfs_feed_has_frequent_service_in_goteborg(sample: Path) -> None:
    path = sample / SPECS["hallplatser"].path
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        header = archive.read("stop_times.txt").decode("utf-8").split("\n", 1)[0]
    required = {"agency.txt", "routes.txt", "stops.txt", "trips.txt", "stop_times.txt",
                "calendar.txt"}  # fmt: skip
    assert required <= names
    assert header.startswith("trip_id,arrival_time,departure_time,stop_id,stop_sequence")
    stops = read_gtfs(path, ReadKeys(format="gtfs"))
    town = stops["stop_name"].str.split(", ").str[1]
    gbg = stops[town == "Göteborg"]
    assert (gbg["peak_departures"] >= 4).sum() >= 300
    assert stops["service_date"].iloc[0] == "2026-01-13"  # 6 January is a holiday
    tatorter = read(sample, "tatorter").set_index("tatort")["bef"]
    small = stops[town.map(tatorter) < 1_000]
    assert len(small) and small["peak_departures"].max() <= 2
    lon, lat = stops.geometry.x, stops.geometry.y
    assert lon.between(10.9, 14.9).all() and lat.between(57.1, 59.4).all()


def test_population_projection(sample: Path) -> None:
    frame = pd.read_csv(sample / EXTRA_FILES["befolkningsprognos"], dtype={"kommun_kod": str})
    assert list(frame.columns) == ["kommun_kod", "kommun_namn", "ar", "folkmangd"]
    assert len(frame) == 2 * 49 and set(frame["ar"]) == {2025, 2040}
    wide = frame.pivot(index="kommun_kod", columns="ar", values="folkmangd")
    growth = wide[2040] / wide[2025] - 1
    assert 0.10 <= growth["1480"] <= 0.20  # Göteborgsregionen grows fastest
    assert growth["1438"] <= 0.0 and (growth < 0).any()  # small Dalsland kommuner shrink
    assert growth[sorted(GOTEBORGSREGIONEN)].min() > growth.drop(sorted(GOTEBORGSREGIONEN)).max()
    assert frame.loc[frame["kommun_kod"] == "1480", "kommun_namn"].iloc[0] == "Göteborg"
