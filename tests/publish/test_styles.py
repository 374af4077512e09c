"""QGIS styles: every value falls in a graduated class, and the legend reads Swedish."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from pipeline.publish.styles import (
    CONFLICT_LABEL_SCALE,
    KOMMUN_LABEL_SCALE,
    SEVERITY_COLOURS,
    categorized_qml,
    class_breaks,
    graduated_qml,
    graduated_sld,
    range_labels,
)

#: Scores as the mart has them: a tiny share, long decimals, and a maximum that rounding to
#: six decimals put outside the last class (Dals-Ed was not drawn).
SCORES = [6.62e-09, 0.123456789, 0.5, 1.0000004, 2.4, 40.00000000000058]


def _ranges(qml: str) -> list[tuple[float, float, str]]:
    root = ET.fromstring(qml.split("\n", 1)[1])
    return [(float(r.get("lower", "nan")), float(r.get("upper", "nan")), r.get("label", ""))
            for r in root.iter("range")]  # fmt: skip


@pytest.mark.parametrize("scores", [SCORES, [3.3333333333333335], [0.0, 1e-12]])
def test_every_value_falls_in_a_class(scores: list[float]) -> None:
    ranges = _ranges(graduated_qml("score", class_breaks(scores), "polygon", None))
    for value in scores:
        assert any(lo <= value <= hi for lo, hi, _ in ranges), value
    assert ranges[0][0] <= min(scores) and ranges[-1][1] >= max(scores)


def test_class_labels_are_swedish_numbers_never_scientific() -> None:
    qml = graduated_qml("score", class_breaks(SCORES), "polygon", None)
    labels = [label for _, _, label in _ranges(qml)]
    assert labels[0].startswith("0,0 – ") and labels[-1].endswith("40,0")
    assert not any("e-" in label or "." in label for label in labels)
    sld = graduated_sld("kommun_summary", "score", class_breaks(SCORES), "polygon")
    assert "40.00000000000058" in sld  # the SLD filter keeps the full value too


def test_class_labels_take_the_decimals_that_tell_bounds_apart() -> None:
    assert range_labels([0.0002432, 0.15, 0.8148, 0.8151]) == [
        "0,00 – 0,15", "0,15 – 0,81", "0,81 – 0,82"]  # fmt: skip
    assert range_labels([0.1, 0.8141, 0.8149]) == ["0,100 – 0,814", "0,814 – 0,815"]


def test_severity_categories_keep_values_and_read_swedish() -> None:
    root = ET.fromstring(categorized_qml("severity", SEVERITY_COLOURS, "polygon", "label")
                         .split("\n", 1)[1])  # fmt: skip
    categories = [(c.get("value"), c.get("label")) for c in root.iter("category")]
    assert categories == [("exclusion", "Uteslutande"), ("high", "Hög"), ("medium", "Medel"),
                          ("low", "Låg")]  # fmt: skip


def test_labels_are_scale_dependent_and_severities_hatched() -> None:
    conflicts = ET.fromstring(categorized_qml("severity", SEVERITY_COLOURS, "polygon", "label")
                              .split("\n", 1)[1])  # fmt: skip
    rendering = next(conflicts.iter("rendering"))
    assert rendering.get("scaleVisibility") == "1"
    assert rendering.get("scaleMax") == str(CONFLICT_LABEL_SCALE) == "100000"
    hatches = [p.get("v") for p in conflicts.iter("prop") if p.get("k") == "style"]
    assert {"diagonal_x", "b_diagonal", "f_diagonal", "horizontal"} <= set(hatches)
    kommun = ET.fromstring(graduated_qml("score", [0.0, 1.0], "polygon", "kommun_name")
                           .split("\n", 1)[1])  # fmt: skip
    assert next(kommun.iter("rendering")).get("scaleMax") == str(KOMMUN_LABEL_SCALE)


def test_fields_have_swedish_aliases() -> None:
    root = ET.fromstring(graduated_qml("score", [0.0, 1.0], "polygon", "kommun_name")
                         .split("\n", 1)[1])  # fmt: skip
    aliases = {a.get("field"): a.get("name") for a in root.iter("alias")}
    assert aliases["severity"] == "Allvarlighetsgrad" and aliases["kommun_name"] == "Kommun"
    assert "Fields" in (root.get("styleCategories") or "")
