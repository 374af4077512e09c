"""QGIS itself draws every feature of every GeoPackage layer in its class (issue 13, item 3).

The published tiny-world GeoPackage, a copy whose ``kommun_summary`` style has the old gap
(the last upper bound just below the maximum), a small file of line and point conflicts
(the tiny world has none, so their styles would otherwise go unrendered) and the scenario
world's GeoPackage (its two scenarios' footprint and kommun layers) are rendered by
``qgis_render.py`` in one QGIS process (Debian's ``python3-qgis`` under ``xvfb-run -a``); the
gapped copy proves the checks fail when a style leaves a feature out.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pyarrow as pa
import pyogrio
import pytest
import shapely
from PIL import Image

from pipeline import TARGET_CRS
from pipeline.publish.geopackage import GEOMETRY_COLUMN, styles_table
from pipeline.publish.styles import (
    CONFLICT_LABEL_SCALE,
    KOMMUN_LABEL_SCALE,
    SCORE_RAMP,
    SEVERITY_COLOURS,
    severity_style,
)

SYSTEM_PYTHON = "/usr/bin/python3"
SCRIPT = Path(__file__).with_name("qgis_render.py")


def _qgis_available() -> bool:
    if not Path(SYSTEM_PYTHON).exists():
        return False
    probe = "import importlib.util, sys; sys.exit(importlib.util.find_spec('qgis') is None)"
    return subprocess.run([SYSTEM_PYTHON, "-c", probe], check=False).returncode == 0


pytestmark = pytest.mark.skipif(
    not _qgis_available(),
    reason="QGIS rendering needs Debian's python3-qgis and xvfb "
    "(apt-get install python3-qgis xvfb xauth; make system-deps does it as root)",
)


def _with_gap(gpkg: Path, target: Path) -> Path:
    """A copy of ``gpkg`` whose kommun_summary style ends just below the largest score."""
    shutil.copyfile(gpkg, target)
    with sqlite3.connect(target) as con:
        (qml,) = con.execute(
            "SELECT styleQML FROM layer_styles WHERE f_table_name = 'kommun_summary'"
        ).fetchone()
        top = re.findall(r'upper="([^"]+)"', qml)[-1]
        below = float(top) - max(abs(float(top)) * 1e-9, 1e-12)
        gapped = qml.replace(f'upper="{top}"', f'upper="{below!r}"')
        con.execute(
            "UPDATE layer_styles SET styleQML = ? WHERE f_table_name = 'kommun_summary'",
            (gapped,),
        )
    return target


def _lines_and_points(target: Path) -> Path:
    """A GeoPackage of one line and one point conflict per severity, styled as published."""
    severities = list(SEVERITY_COLOURS)
    x = [320_000.0 + 400 * i for i in range(len(severities))]
    geometries = {
        "conflict_lines": ("MultiLineString", [shapely.MultiLineString(
            [[(v, 6_400_000), (v + 300, 6_400_300)]]) for v in x]),
        "conflict_points": ("MultiPoint", [shapely.MultiPoint([(v, 6_401_000)]) for v in x]),
    }  # fmt: skip
    for i, (layer, (geometry_type, shapes)) in enumerate(geometries.items()):
        table = pa.table({
            "severity": severities,
            "score": [40.00000000000058, 2.4, 1.2217059447615592, 6.62e-09],
            "label": [f"{layer} {s}" for s in severities],
            "kommun_codes": ["1438"] * len(severities),
            "geometry": pa.array(list(shapely.to_wkb(shapes)), pa.binary()),
        })  # fmt: skip
        pyogrio.write_arrow(table, target, layer=layer, driver="GPKG", geometry_name="geometry",
                            geometry_type=geometry_type, crs=TARGET_CRS, append=i > 0,
                            layer_options={"GEOMETRY_NAME": GEOMETRY_COLUMN})  # fmt: skip
    styles = [severity_style("conflict_lines", GEOMETRY_COLUMN, kind="line"),
              severity_style("conflict_points", GEOMETRY_COLUMN, kind="point")]  # fmt: skip
    pyogrio.write_arrow(styles_table(styles), target, layer="layer_styles", driver="GPKG",
                        append=True, layer_options={"FID": "id"})  # fmt: skip
    return target


@pytest.fixture(scope="module")
def rendered(published, scenario_published, tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    """QGIS's report on the published GeoPackage, its gapped copy, the line and point file
    and the scenario world's GeoPackage (in that order)."""
    out = tmp_path_factory.mktemp("qgis")
    gpkg = published.out_dir / "conflicts.gpkg"
    gapped = _with_gap(gpkg, out / "gapped.gpkg")
    # QGIS opens the file read-write and may touch it: render a copy, never the release.
    copy = shutil.copyfile(gpkg, out / "conflicts.gpkg")
    xvfb = shutil.which("xvfb-run")
    lines = _lines_and_points(out / "lines_points.gpkg")
    scenarios = shutil.copyfile(
        scenario_published.out_dir / "conflicts.gpkg", out / "scenarios.gpkg"
    )
    command = [SYSTEM_PYTHON, str(SCRIPT), str(out), str(copy), str(gapped), str(lines),
               str(scenarios)]  # fmt: skip
    env = {**os.environ, "XDG_RUNTIME_DIR": str(out)}
    if xvfb is None:
        env["QT_QPA_PLATFORM"] = "offscreen"
    else:
        command = [xvfb, "-a", *command]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=180,
                            check=False)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads((out / "report.json").read_text())


def test_every_feature_layer_opens_with_its_stored_style(rendered) -> None:
    report = rendered[0]
    assert {"conflicts", "conflict_zones", "conflict_cells", "kommun_summary"} <= set(
        report["tables"]
    )
    assert report["styled"] == report["tables"]  # every feature table has a default style
    for name, layer in report["layers"].items():
        assert layer["valid"], name
        assert layer["renderer"] in {"categorizedSymbol", "graduatedSymbol"}, name


def test_every_feature_falls_in_a_class(rendered) -> None:
    for name, layer in rendered[0]["layers"].items():
        assert layer["features"] > 0, name
        assert layer["unsymbolled"] == [], name
        assert layer["unlegended"] == [], name


def test_every_layer_is_drawn_at_its_maximum_and_the_most_conflicted_kommun(rendered) -> None:
    report = rendered[0]
    assert report["top_kommun"]
    for name, layer in report["layers"].items():
        assert layer["drawn_pixels"] > 100, name
        with Image.open(layer["png"]) as image:
            assert image.size == (600, 600)
        for probe in ("max_score", "top_kommun"):
            assert layer[probe]["fid"] is not None, (name, probe)
            assert layer[probe]["drawn"], (name, probe, layer[probe])
    # the maximum is drawn in the last (darkest) class: its colour at alpha 220 over white
    drawn = report["layers"]["kommun_summary"]["max_score"]["rgba"][:3]
    darkest = [c * 220 / 255 + 255 * 35 / 255 for c in SCORE_RAMP[-1]]
    assert all(abs(a - b) <= 2 for a, b in zip(drawn, darkest, strict=True)), drawn


def test_a_style_with_a_gap_fails_the_checks(rendered) -> None:
    gapped = rendered[1]["layers"]["kommun_summary"]
    assert gapped["unsymbolled"] == [gapped["max_score"]["fid"]]
    assert not gapped["max_score"]["drawn"]
    assert rendered[1]["layers"]["conflicts"]["unsymbolled"] == []


def test_labels_show_only_when_zoomed_in(rendered) -> None:
    layers = rendered[0]["layers"]
    expected = {"conflicts": CONFLICT_LABEL_SCALE, "conflict_zones": CONFLICT_LABEL_SCALE,
                "kommun_summary": KOMMUN_LABEL_SCALE}  # fmt: skip
    for name, scale in expected.items():
        labels = layers[name]["labels"]
        assert labels["scale_visibility"] and labels["max_scale"] == scale, name
        assert labels["shown"] == {"inside": True, "outside": False}, name
    assert layers["conflict_cells"]["labels"] is None


def test_legends_and_fields_read_swedish(rendered) -> None:
    layers = rendered[0]["layers"]
    assert layers["conflicts"]["legend"] == ["Uteslutande", "Hög", "Medel", "Låg"]
    for name, layer in layers.items():
        assert not any("e-" in label or "e+" in label for label in layer["legend"]), name
        missing = [f for f, alias in layer["aliases"].items() if not alias and f != "fid"]
        assert missing == [], name
    assert layers["kommun_summary"]["aliases"]["kommun_name"] == "Kommun"


def test_line_and_point_conflicts_are_drawn_in_their_class(rendered) -> None:
    report = rendered[2]
    assert report["tables"] == report["styled"] == ["conflict_lines", "conflict_points"]
    for name, layer in report["layers"].items():
        assert layer["renderer"] == "categorizedSymbol", name
        assert layer["features"] == 4 and layer["unsymbolled"] == layer["unlegended"] == [], name
        assert layer["drawn_pixels"] > 20 and layer["max_score"]["drawn"], name
        assert layer["labels"]["shown"] == {"inside": True, "outside": False}, name


def test_scenario_layers_are_drawn_in_their_class(rendered) -> None:
    report = rendered[3]
    names = [f"{prefix}{s}" for s in ("koncentrerad", "utspridd")
             for prefix in ("scenario_", "kommun_scenario_")]  # fmt: skip
    assert set(names) <= set(report["styled"]) and set(names) <= set(report["tables"])
    for name in names:
        layer = report["layers"][name]
        kind = "categorizedSymbol" if name.startswith("scenario_") else "graduatedSymbol"
        assert layer["valid"] and layer["renderer"] == kind, name
        assert layer["features"] > 0, name
        assert layer["unsymbolled"] == [] and layer["unlegended"] == [], name
        assert layer["drawn_pixels"] > 100, name
        assert layer["max_score"]["drawn"], (name, layer["max_score"])
        missing = [f for f, alias in layer["aliases"].items() if not alias and f != "fid"]
        assert missing == [], name
        assert not any("e-" in label or "e+" in label for label in layer["legend"]), name
    footprints = report["layers"]["scenario_utspridd"]
    assert footprints["legend"] == ["Ny bebyggelse", "Ny vindkraft"]
    assert report["layers"]["kommun_scenario_utspridd"]["aliases"]["farmland_taken_ha"] == (
        "Högklassig åkermark som tas (ha)"
    )
