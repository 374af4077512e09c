"""Render every styled layer of GeoPackages with QGIS itself (tests only).

Run by Debian's system Python, which has ``python3-qgis`` (the project's virtualenv cannot
import QGIS), under ``xvfb-run -a`` or ``QT_QPA_PLATFORM=offscreen``::

    xvfb-run -a /usr/bin/python3 tests/publish/qgis_render.py OUT_DIR GPKG [GPKG ...]

One QGIS process for all files and layers. For every feature table of each GeoPackage it
opens the layer as a QGIS user does (the default style from ``layer_styles`` applied by QGIS),
asks the renderer for every feature's symbols and legend keys, renders the whole layer to a
PNG, and renders close-ups of the layer's highest-score feature and of its highest-score
feature in the most conflicted kommun (``kommun_summary``'s largest ``conflicts``), reading the
pixel at the feature's point on surface (a layer without ``score`` is probed at its largest
value of the first field of :data:`PROBE_FIELDS` it has). Layers with labels are also
rendered just inside and just outside their label scale, with and without labels, to see
whether labels show.

Writes ``OUT_DIR/report.json`` (one entry per GeoPackage, in argument order) and the PNGs;
the pytest module asserts on them. Exits non-zero only when QGIS itself fails.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsExpressionContextUtils,
    QgsFeature,
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsPointXY,
    QgsRectangle,
    QgsRenderContext,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor, QImage

BACKGROUND = QColor(255, 255, 255)
DPI = 96.0
CLOSE_UP_PX = 200
LAYER_PX = 600
#: The field whose largest value picks a layer's probed feature: the first a layer has
#: (conflict layers: score; a scenario's kommuner: farmland taken; its footprints: area).
PROBE_FIELDS = ("score", "farmland_taken_ha", "area_m2")


def feature_tables(gpkg: Path) -> tuple[list[str], list[str]]:
    """The GeoPackage's feature tables and the tables that have a default style."""
    with sqlite3.connect(gpkg) as con:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM gpkg_contents WHERE data_type = 'features' ORDER BY 1"
            )
        ]
        styled = [
            r[0]
            for r in con.execute(
                "SELECT f_table_name FROM layer_styles WHERE useAsDefault ORDER BY 1"
            )
        ]
    return tables, styled


def render(
    layer: QgsVectorLayer, extent: QgsRectangle, px: int, labels: bool
) -> tuple[QImage, QgsMapSettings]:
    """``layer`` alone on white, ``px`` square, with or without its labels."""
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(layer.crs())
    settings.setOutputSize(QSize(px, px))
    settings.setOutputDpi(DPI)
    settings.setBackgroundColor(BACKGROUND)
    settings.setExtent(extent)
    settings.setFlag(QgsMapSettings.DrawLabeling, labels)
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    return job.renderedImage(), settings


def drawn_pixels(image: QImage) -> int:
    white = BACKGROUND.rgb()
    return sum(
        1
        for y in range(0, image.height(), 2)
        for x in range(0, image.width(), 2)
        if image.pixel(x, y) != white
    )


def around(point: QgsPointXY, scale: float, px: int) -> QgsRectangle:
    """The square extent of ``px`` pixels at 1:``scale`` centred on ``point``."""
    half = scale * px / DPI * 0.0254 / 2
    return QgsRectangle(point.x() - half, point.y() - half, point.x() + half, point.y() + half)


def kommun_codes(feature: QgsFeature, names: list[str]) -> set[str]:
    for field in ("kommun_code", "kommun_codes"):
        if field in names and feature[field] not in (None, ""):
            return {c.strip() for c in str(feature[field]).split(",")}
    return set()


def probe_field(names: list[str]) -> str | None:
    """The first of :data:`PROBE_FIELDS` among a layer's fields."""
    return next((f for f in PROBE_FIELDS if f in names), None)


def probe(
    layer: QgsVectorLayer, feature: QgsFeature | None, out: Path, tag: str, field: str | None
) -> dict:
    """Render a close-up of ``feature`` and read the pixel at its point on surface."""
    if feature is None:
        return {"fid": None}
    geometry = feature.geometry()
    box = geometry.boundingBox()
    size = max(box.width(), box.height(), 50.0) * 1.3
    centre = box.center()
    extent = QgsRectangle(
        centre.x() - size / 2, centre.y() - size / 2, centre.x() + size / 2, centre.y() + size / 2
    )
    image, settings = render(layer, extent, CLOSE_UP_PX, labels=False)
    image.save(str(out / f"{tag}.png"))
    at = geometry.pointOnSurface().asPoint()
    pixel = settings.mapToPixel().transform(at)
    x, y = round(pixel.x()), round(pixel.y())
    colour = image.pixelColor(x, y)
    return {
        "fid": feature.id(),
        "score": feature[field] if field else None,
        "pixel": [x, y],
        "rgba": [colour.red(), colour.green(), colour.blue(), colour.alpha()],
        "drawn": colour.rgb() != BACKGROUND.rgb(),
    }


def label_visibility(layer: QgsVectorLayer, feature: QgsFeature, max_scale: float) -> dict:
    """Whether labels change the image just inside and just outside the label scale."""
    at = feature.geometry().pointOnSurface().asPoint()
    shown = {}
    for where, scale in (("inside", max_scale / 2), ("outside", max_scale * 2)):
        extent = around(at, scale, LAYER_PX)
        with_labels, _ = render(layer, extent, LAYER_PX, labels=True)
        without, _ = render(layer, extent, LAYER_PX, labels=False)
        shown[where] = with_labels != without
    return shown


def check_layer(gpkg: Path, name: str, top_kommun: str | None, out: Path) -> dict:
    layer = QgsVectorLayer(f"{gpkg}|layername={name}", name, "ogr")
    if not layer.isValid():
        return {"valid": False}
    names = layer.fields().names()
    renderer = layer.renderer().clone()
    context = QgsRenderContext()
    context.expressionContext().appendScopes(
        QgsExpressionContextUtils.globalProjectLayerScopes(layer)
    )
    legend = {item.ruleKey(): item.label() for item in renderer.legendSymbolItems()}
    unsymbolled, unlegended, features = [], [], 0
    best: QgsFeature | None = None
    best_in_kommun: QgsFeature | None = None
    field = probe_field(names)
    renderer.startRender(context, layer.fields())
    for feature in layer.getFeatures():
        features += 1
        context.expressionContext().setFeature(feature)
        if not renderer.symbolsForFeature(feature, context):
            unsymbolled.append(feature.id())
        keys = renderer.legendKeysForFeature(feature, context)
        if not keys or not set(keys) <= set(legend):
            unlegended.append(feature.id())
        if field and feature[field] is not None:
            if best is None or feature[field] > best[field]:
                best = QgsFeature(feature)
            if top_kommun in kommun_codes(feature, names) and (
                best_in_kommun is None or feature[field] > best_in_kommun[field]
            ):
                best_in_kommun = QgsFeature(feature)
    renderer.stopRender(context)
    extent = layer.extent()
    extent.grow(max(extent.width(), extent.height()) * 0.05 + 10)
    image, settings = render(layer, extent, LAYER_PX, labels=True)
    png = out / f"{gpkg.stem}_{name}.png"
    image.save(str(png))
    report = {
        "valid": True,
        "renderer": renderer.type(),
        "features": features,
        "unsymbolled": unsymbolled,
        "unlegended": unlegended,
        "legend": list(legend.values()),
        "aliases": {f: layer.attributeAlias(i) for i, f in enumerate(names)},
        "png": str(png),
        "drawn_pixels": drawn_pixels(image),
        "max_score": probe(layer, best, out, f"{gpkg.stem}_{name}_max", field),
        "top_kommun": probe(layer, best_in_kommun, out, f"{gpkg.stem}_{name}_kommun", field),
        "labels": None,
    }
    labeling = layer.labeling() if layer.labelsEnabled() else None
    if labeling is not None:
        settings = labeling.settings()
        report["labels"] = {
            "field": settings.fieldName,
            "scale_visibility": settings.scaleVisibility,
            "max_scale": settings.minimumScale,  # QGIS: the most zoomed-out denominator
        }
        if best is not None and settings.scaleVisibility and settings.minimumScale > 0:
            report["labels"]["shown"] = label_visibility(layer, best, settings.minimumScale)
    return report


def top_kommun(gpkg: Path) -> str | None:
    """The code of the kommun with the most conflicts (ties: the first); None without a
    ``kommun_summary`` table."""
    with sqlite3.connect(gpkg) as con:
        if not con.execute(
            "SELECT 1 FROM gpkg_contents WHERE table_name = 'kommun_summary'"
        ).fetchone():
            return None
        row = con.execute(
            "SELECT kommun_code FROM kommun_summary ORDER BY conflicts DESC, kommun_code LIMIT 1"
        ).fetchone()
    return None if row is None else str(row[0])


def main(out: Path, files: list[Path]) -> None:
    app = QgsApplication([], False)
    app.setPrefixPath("/usr", True)
    app.initQgis()
    reports = []
    for gpkg in files:
        tables, styled = feature_tables(gpkg)
        kommun = top_kommun(gpkg)
        reports.append(
            {
                "gpkg": str(gpkg),
                "qgis": Qgis.QGIS_VERSION,
                "tables": tables,
                "styled": styled,
                "top_kommun": kommun,
                "layers": {name: check_layer(gpkg, name, kommun, out) for name in tables},
            }
        )
    (out / "report.json").write_text(json.dumps(reports, indent=1, ensure_ascii=False))
    app.exitQgis()


if __name__ == "__main__":
    main(Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]])
