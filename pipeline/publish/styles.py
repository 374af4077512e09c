"""QGIS styles (QML, with a plain SLD beside it) stored in the GeoPackage's ``layer_styles``.

QGIS reads ``layer_styles`` (its own schema, written by :mod:`.geopackage`) when a layer is
opened and applies the row with ``useAsDefault`` set, so the published layers open styled:
conflicts and zones categorised by severity (a translucent fill, a hatch of its own and a
dark outline per severity, so each stays readable over the score choropleth) with names as
labels from 1:100 000 inwards; kommun summaries (named from 1:1 500 000 inwards) and H3 cells
graduated by score in blues that the severity reds never resemble. Every layer carries Swedish
field aliases and a Swedish legend. QGIS itself renders them in
``tests/publish/test_qgis_render.py``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from pipeline.publish.reports import swedish

#: Severity colours (RGB): exclusion dark red, high red, medium orange, low yellow.
SEVERITY_COLOURS: dict[str, tuple[int, int, int]] = {
    "exclusion": (139, 0, 0),
    "high": (227, 26, 28),
    "medium": (253, 141, 60),
    "low": (255, 225, 60),
}
#: Hatch per severity (Qt brush patterns of QGIS's simple fill), so severities differ by
#: pattern as well as colour and a conflict stays readable over the choropleth beneath it.
SEVERITY_HATCHES: dict[str, str] = {
    "exclusion": "diagonal_x",
    "high": "b_diagonal",
    "medium": "f_diagonal",
    "low": "horizontal",
}
#: Graduated ramp for scores (ColorBrewer PuBu, 5 classes): blues, so the severity reds,
#: oranges and yellows drawn over a kommun choropleth never blend into it.
SCORE_RAMP: tuple[tuple[int, int, int], ...] = (
    (241, 238, 246),
    (189, 201, 225),
    (116, 169, 207),
    (43, 140, 190),
    (4, 90, 141),
)
#: Land uses of the growth scenarios (mart.scenario_cells.land_use): Swedish legend text and
#: colour (RGB): new settlement warm (burnt orange), new wind land blue.
LAND_USES: dict[str, tuple[str, tuple[int, int, int]]] = {
    "bebyggelse": ("Ny bebyggelse", (204, 76, 2)),
    "vindkraft": ("Ny vindkraft", (33, 113, 181)),
}
#: Graduated ramp for farmland taken per kommun (ColorBrewer YlOrBr, 5 classes).
FARMLAND_RAMP: tuple[tuple[int, int, int], ...] = (
    (255, 255, 212),
    (254, 217, 142),
    (254, 153, 41),
    (217, 95, 14),
    (153, 52, 4),
)
#: Largest scale denominator at which a layer's labels show (QGIS hides them when zoomed out
#: further): conflict and zone names from 1:100 000 inwards (a kommun or closer), kommun names
#: from 1:1 500 000 inwards (the whole region on a screen), so neither buries the regional view.
CONFLICT_LABEL_SCALE = 100_000
KOMMUN_LABEL_SCALE = 1_500_000
_GEOMETRY_TYPE = {"point": 0, "line": 1, "polygon": 2}
#: Swedish field aliases QGIS shows in the attribute table, forms and identify results
#: (matched by field name; a field a layer lacks is ignored).
FIELD_ALIASES: dict[str, str] = {
    "rank": "Rang",
    "rank_in_kommun": "Rang i kommunen",
    "rule_id": "Regel-id",
    "rule_title": "Regel",
    "severity": "Allvarlighetsgrad",
    "score": "Poäng",
    "area_m2": "Yta (m²)",
    "distance_m": "Avstånd (m)",
    "length_m": "Längd (m)",
    "layer_a": "Lager A",
    "name_a": "Namn A",
    "layer_b": "Lager B",
    "name_b": "Namn B",
    "kommun_code": "Kommunkod",
    "kommun_name": "Kommun",
    "kommun_names": "Kommuner",
    "kommunalforbund": "Kommunalförbund",
    "cross_border": "Över kommungräns",
    "legal_basis": "Lagrum",
    "authority": "Myndighet",
    "reason": "Orsak",
    "first_seen": "Först sedd",
    "status": "Läge",
    "conflicts": "Konflikter",
    "label": "Etikett",
    "conflict_id": "Konflikt-id",
    "zone_id": "Zon-id",
    "feature_id_a": "Objekt-id A",
    "feature_id_b": "Objekt-id B",
    "kommun_codes": "Kommunkoder",
    "features_a": "Objekt A",
    "features_b": "Objekt B",
    "names_a": "Namn A",
    "names_b": "Namn B",
    "top_conflict_id": "Största konflikt (id)",
    "top_conflict_reason": "Största konfliktens orsak",
    "cells": "H3-celler",
    "h3": "H3-cell",
    "h3_hex": "H3-cell (hex)",
    "coverage_a": "Täckning A",
    "coverage_b": "Täckning B",
    "overlap_estimate_m2": "Uppskattad överlappning (m²)",
    "line_length_m": "Linjelängd (m)",
    "rank_median": "Rang (median)",
    "rank_p05": "Rang (5:e percentil)",
    "rank_p95": "Rang (95:e percentil)",
    "top10_share": "Andel i topp 10",
    "top100_share": "Andel i topp 100",
    "score_rank": "Poängrang",
    "score_rank_p05": "Poängrang (5:e percentil)",
    "score_rank_p95": "Poängrang (95:e percentil)",
    "rank_stable": "Stabil rang",
    "cross_border_conflicts": "Konflikter över kommungräns",
    "unknown_rules": "Okända regler",
    "scenario": "Scenario",
    "scenario_title": "Scenario (namn)",
    "land_use": "Markanvändning",
    "land_use_title": "Markanvändning (text)",
    "new_inhabitants": "Nya invånare",
    "demand_inhabitants": "Befolkningsökning enligt prognos",
    "wind_mw": "Vindkraft (MW)",
    "near_frequent_stop": "Nära tät kollektivtrafik",
    "near_frequent_stop_share": "Andel nya invånare nära tät kollektivtrafik",
    "developed_ha": "Ny bebyggelse (ha)",
    "farmland_taken_ha": "Högklassig åkermark som tas (ha)",
    "riksintresse_ha": "I riksintresse (ha)",
    "conflict_area_ha": "Konfliktyta (ha)",
    "wind_ha": "Mark för ny vindkraft (ha)",
    "wind_eligible_ha": "Möjlig vindkraftsmark i scenariot (ha)",
    "wind_eligible_today_ha": "Möjlig vindkraftsmark i dag (ha)",
    **{
        field.format(s=severity): text.format(s=swedish.severity(severity).lower())
        for severity in SEVERITY_COLOURS
        for field, text in (
            ("conflicts_{s}", "Konflikter ({s})"),
            ("area_{s}_m2", "Yta {s} (m²)"),
            ("score_{s}", "Poäng ({s})"),
        )
    },
}


@dataclass(frozen=True)
class LayerStyle:
    """One row of ``layer_styles``: the style of one GeoPackage layer."""

    table: str
    geometry_column: str
    name: str
    qml: str
    sld: str
    description: str


def _rgba(rgb: tuple[int, int, int], alpha: int = 255) -> str:
    return f"{rgb[0]},{rgb[1]},{rgb[2]},{alpha}"


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _options(props: dict[str, str]) -> str:
    option = "".join(
        f'<Option name={quoteattr(k)} type="QString" value={quoteattr(v)}/>'
        for k, v in props.items()
    )
    legacy = "".join(f"<prop k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in props.items())
    return f'<Option type="Map">{option}</Option>{legacy}'


def _dark(rgb: tuple[int, int, int], factor: float = 0.6) -> tuple[int, int, int]:
    return (round(rgb[0] * factor), round(rgb[1] * factor), round(rgb[2] * factor))


def _symbol_xml(name: str, symbol_type: str, layers: list[tuple[str, dict[str, str]]]) -> str:
    """A QML ``<symbol>`` of symbol layers ``(class, properties)``, drawn in order."""
    body = "".join(
        f'<layer class="{layer_class}" enabled="1" locked="0" pass="0">{_options(props)}</layer>'
        for layer_class, props in layers
    )
    return (
        f'<symbol type="{symbol_type}" name="{name}" alpha="1" clip_to_extent="1" '
        f'force_rhr="0">{body}</symbol>'
    )


def _severity_symbol(name: str, kind: str, severity: str) -> str:
    """A severity's symbol: polygons a translucent fill, the severity's hatch and a dark
    outline; lines the colour on a white casing; points a circle with a dark ring."""
    rgb, dark = SEVERITY_COLOURS[severity], _dark(SEVERITY_COLOURS[severity])
    if kind == "polygon":
        fill = {"color": _rgba(rgb, 110), "style": "solid", "outline_color": _rgba(dark),
                "outline_style": "solid", "outline_width": "0.5", "outline_width_unit": "MM",
                "joinstyle": "bevel"}  # fmt: skip
        hatch = {"color": _rgba(dark), "style": SEVERITY_HATCHES[severity],
                 "outline_style": "no", "outline_color": "0,0,0,0"}  # fmt: skip
        return _symbol_xml(name, "fill", [("SimpleFill", fill), ("SimpleFill", hatch)])
    if kind == "line":
        casing = {"line_color": "255,255,255,255", "line_style": "solid", "line_width": "1.4",
                  "line_width_unit": "MM", "capstyle": "round", "joinstyle": "round"}  # fmt: skip
        line = {**casing, "line_color": _rgba(rgb), "line_width": "0.8"}
        return _symbol_xml(name, "line", [("SimpleLine", casing), ("SimpleLine", line)])
    return _symbol(name, kind, rgb, alpha=255, outline=dark)


def _symbol(name: str, kind: str, rgb: tuple[int, int, int], alpha: int = 200,
            outline: tuple[int, int, int] = (60, 60, 60)) -> str:  # fmt: skip
    if kind == "polygon":
        props = {
            "color": _rgba(rgb, alpha),
            "style": "solid",
            "outline_color": _rgba(outline),
            "outline_style": "solid",
            "outline_width": "0.2",
            "outline_width_unit": "MM",
            "joinstyle": "bevel",
        }
        layer_class, symbol_type = "SimpleFill", "fill"
    elif kind == "line":
        props = {
            "line_color": _rgba(rgb, 255),
            "line_style": "solid",
            "line_width": "0.8",
            "line_width_unit": "MM",
            "capstyle": "round",
            "joinstyle": "round",
        }
        layer_class, symbol_type = "SimpleLine", "line"
    else:
        props = {
            "color": _rgba(rgb, alpha),
            "name": "circle",
            "size": "3",
            "size_unit": "MM",
            "outline_color": _rgba(outline),
            "outline_width": "0.4",
            "outline_style": "solid",
        }
        layer_class, symbol_type = "SimpleMarker", "marker"
    return _symbol_xml(name, symbol_type, [(layer_class, props)])


#: QGIS label placement per geometry kind: over the centroid (inside) for polygons, around
#: the symbol for points (not over it), horizontal at the middle for lines (a label along a
#: line is dropped when the name is longer than the line, as most conflict lines are).
_LABEL_PLACEMENT = {"polygon": 1, "point": 0, "line": 4}


def _labeling(field: str | None, max_scale: int, kind: str) -> str:
    """Simple labels of ``field`` shown only at scales larger than 1:``max_scale`` (QML's
    ``scaleMax`` is the most zoomed-out scale denominator, ``scaleMin`` 0 none inwards)."""
    if not field:
        return ""
    return (
        '<labeling type="simple"><settings calloutType="simple">'
        f'<text-style fieldName={quoteattr(field)} isExpression="0" fontFamily="Sans Serif" '
        'fontSize="8" fontSizeUnit="Point" fontWeight="50" textColor="20,20,20,255" '
        'textOpacity="1" namedStyle="Regular" multilineHeight="1" capitalization="0" '
        'blendMode="0" previewBkgrdColor="255,255,255,255" allowHtml="0">'
        '<text-buffer bufferDraw="1" bufferSize="0.8" bufferSizeUnits="MM" '
        'bufferColor="255,255,255,255" bufferOpacity="0.85" bufferNoFill="1" '
        'bufferJoinStyle="128" bufferBlendMode="0"/></text-style>'
        '<text-format wrapChar="" autoWrapLength="24" useMaxLineLengthForAutoWrap="1" '
        'multilineAlign="3" formatNumbers="0" decimals="3" plussign="0"/>'
        f'<placement placement="{_LABEL_PLACEMENT[kind]}" centroidWhole="0" centroidInside="1" '
        'fitInPolygonOnly="0" priority="5" dist="0" distUnits="MM" offsetType="0" quadOffset="4"/>'
        f'<rendering scaleVisibility="1" scaleMin="0" scaleMax="{max_scale}" obstacle="1" '
        'obstacleType="1" displayAll="0" '
        'upsidedownLabels="0" labelPerPart="0" mergeLines="0" limitNumLabels="0" '
        'maxNumLabels="2000" minFeatureSize="0" drawLabels="1" fontLimitPixelSize="0"/>'
        "</settings></labeling>"
    )


def _aliases() -> str:
    """QML ``<aliases>`` of :data:`FIELD_ALIASES`."""
    rows = "".join(
        f'<alias field={quoteattr(field)} index="{i}" name={quoteattr(name)}/>'
        for i, (field, name) in enumerate(FIELD_ALIASES.items())
    )
    return f"<aliases>{rows}</aliases>"


def _qml(renderer: str, kind: str, label_field: str | None, label_scale: int) -> str:
    labels = "1" if label_field else "0"
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis version="3.22.16-Białowieża" styleCategories="Symbology|Labeling|Fields" '
        f'labelsEnabled="{labels}">{renderer}'
        f"{_labeling(label_field, label_scale, kind)}{_aliases()}"
        "<blendMode>0</blendMode><featureBlendMode>0</featureBlendMode>"
        "<layerOpacity>1</layerOpacity>"
        f"<layerGeometryType>{_GEOMETRY_TYPE[kind]}</layerGeometryType></qgis>\n"
    )


def categorized_qml(field: str, colours: dict[str, tuple[int, int, int]], kind: str,
                    label_field: str | None,
                    label_scale: int = CONFLICT_LABEL_SCALE) -> str:  # fmt: skip
    """QML of a categorised renderer on severity ``field`` (one category per key of
    ``colours``, labelled with its Swedish word, drawn by :func:`_severity_symbol`)."""
    categories = [
        (value, swedish.severity(value), _severity_symbol(str(i), kind, value))
        for i, value in enumerate(colours)
    ]
    return _categorized_qml(field, categories, kind, label_field, label_scale)


def _categorized_qml(field: str, categories: list[tuple[str, str, str]], kind: str,
                     label_field: str | None, label_scale: int) -> str:  # fmt: skip
    """QML of a categorised renderer on ``field``: ``(value, legend text, symbol XML)`` per
    category, the symbol named by its position."""
    rows = "".join(
        f'<category render="true" symbol="{i}" value={quoteattr(value)} '
        f'label={quoteattr(label)} type="string"/>'
        for i, (value, label, _) in enumerate(categories)
    )
    symbols = "".join(symbol for _, _, symbol in categories)
    renderer = (
        f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(field)} symbollevels="0" '
        f'enableorderby="0" forceraster="0" referencescale="-1">'
        f"<categories>{rows}</categories><symbols>{symbols}</symbols>"
        "<rotation/><sizescale/></renderer-v2>"
    )
    return _qml(renderer, kind, label_field, label_scale)


def class_breaks(values: list[float], classes: int = len(SCORE_RAMP)) -> list[float]:
    """``classes + 1`` increasing quantile breaks of ``values`` (at least two distinct).

    Every break is one of the values themselves (nearest rank), so the first is exactly the
    minimum and the last exactly the maximum: no value falls outside the classes. (A
    classifier library such as mapclassify would bring scikit-learn and networkx for these
    few lines.)"""
    data = sorted(v for v in values if v is not None)
    if not data:
        return [0.0, 1.0]
    breaks = [data[min(len(data) - 1, round(i * (len(data) - 1) / classes))]
              for i in range(classes + 1)]  # fmt: skip
    unique = sorted(set(breaks))
    if len(unique) == 1:
        unique.append(unique[0] + 1.0)
    return unique


def range_label(lo: float, hi: float, decimals: int) -> str:
    """A class's legend text in Swedish numbers, e.g. ``1,2 – 40,0``; never scientific
    notation."""
    return f"{swedish.number(lo, decimals)} – {swedish.number(hi, decimals)}"


def range_labels(breaks: list[float], max_decimals: int = 8) -> list[str]:
    """The legend text of each class between ``breaks``: decimals by the size of the largest
    bound (0 from 100, 1 from 10, else 2), more when needed until successive bounds read
    differently (``0,81 – 0,82`` rather than ``0,81 – 0,81``), at most ``max_decimals``."""
    top = max((abs(b) for b in breaks), default=0.0)
    decimals = 0 if top >= 100 else 1 if top >= 10 else 2
    while decimals < max_decimals and len({swedish.number(b, decimals) for b in breaks}) < len(
        set(breaks)
    ):
        decimals += 1
    return [range_label(lo, hi, decimals) for lo, hi in itertools.pairwise(breaks)]


def graduated_qml(field: str, breaks: list[float], kind: str, label_field: str | None,
                  label_scale: int = KOMMUN_LABEL_SCALE,
                  ramp: tuple[tuple[int, int, int], ...] = SCORE_RAMP) -> str:  # fmt: skip
    """QML of a graduated-colour renderer on ``field`` with ranges between ``breaks``.

    Bounds are written at full precision (``repr``), so the smallest and the largest value
    fall inside the first and the last class; rounded bounds left the maximum outside and
    QGIS did not draw it."""
    pairs = list(itertools.pairwise(breaks))
    colours = _ramp(len(pairs), ramp)
    ranges = "".join(
        f'<range render="true" symbol="{i}" lower="{lo!r}" upper="{hi!r}" '
        f"label={quoteattr(label)}/>"
        for i, ((lo, hi), label) in enumerate(zip(pairs, range_labels(breaks), strict=True))
    )
    symbols = "".join(_symbol(str(i), kind, rgb, alpha=220) for i, rgb in enumerate(colours))
    renderer = (
        f'<renderer-v2 type="graduatedSymbol" attr={quoteattr(field)} '
        'graduatedMethod="GraduatedColor" symbollevels="0" enableorderby="0" '
        f'forceraster="0" referencescale="-1"><ranges>{ranges}</ranges>'
        f'<symbols>{symbols}</symbols><mode name="quantile"/>'
        '<classificationMethod id="Quantile"/><rotation/><sizescale/>'
        '<labelformat format="%1 - %2" decimalplaces="3" trimtrailingzeroes="1"/>'
        "</renderer-v2>"
    )
    return _qml(renderer, kind, label_field, label_scale)


def _ramp(
    n: int, ramp: tuple[tuple[int, int, int], ...] = SCORE_RAMP
) -> list[tuple[int, int, int]]:
    if n <= 1:
        return [ramp[-1]]
    return [ramp[round(i * (len(ramp) - 1) / (n - 1))] for i in range(n)]


def categorized_sld(layer: str, field: str, colours: dict[str, tuple[int, int, int]],
                    kind: str) -> str:  # fmt: skip
    """A plain SLD 1.1 of the same categories, for tools that read SLD instead of QML."""
    rules = "".join(
        f"<se:Rule><se:Name>{escape(swedish.severity(value))}</se:Name><ogc:Filter><ogc:PropertyIsEqualTo>"
        f"<ogc:PropertyName>{escape(field)}</ogc:PropertyName>"
        f"<ogc:Literal>{escape(value)}</ogc:Literal></ogc:PropertyIsEqualTo></ogc:Filter>"
        f"{_sld_symbolizer(kind, rgb)}</se:Rule>"
        for value, rgb in colours.items()
    )
    return _sld(layer, rules)


def graduated_sld(layer: str, field: str, breaks: list[float], kind: str,
                  ramp: tuple[tuple[int, int, int], ...] = SCORE_RAMP) -> str:  # fmt: skip
    """A plain SLD 1.1 of the same ranges as :func:`graduated_qml`."""
    pairs = list(itertools.pairwise(breaks))
    rules = "".join(
        f"<se:Rule><se:Name>{escape(label)}</se:Name><ogc:Filter><ogc:And>"
        f"<ogc:PropertyIsGreaterThanOrEqualTo><ogc:PropertyName>{escape(field)}"
        f"</ogc:PropertyName><ogc:Literal>{lo!r}</ogc:Literal>"
        f"</ogc:PropertyIsGreaterThanOrEqualTo><ogc:PropertyIsLessThanOrEqualTo>"
        f"<ogc:PropertyName>{escape(field)}</ogc:PropertyName><ogc:Literal>{hi!r}</ogc:Literal>"
        f"</ogc:PropertyIsLessThanOrEqualTo></ogc:And></ogc:Filter>"
        f"{_sld_symbolizer(kind, rgb)}</se:Rule>"
        for (lo, hi), rgb, label in zip(
            pairs, _ramp(len(pairs), ramp), range_labels(breaks), strict=True
        )
    )
    return _sld(layer, rules)


def _sld_symbolizer(kind: str, rgb: tuple[int, int, int]) -> str:
    fill = f'<se:Fill><se:SvgParameter name="fill">{_hex(rgb)}</se:SvgParameter></se:Fill>'
    stroke = '<se:Stroke><se:SvgParameter name="stroke">#3c3c3c</se:SvgParameter></se:Stroke>'
    if kind == "polygon":
        return f"<se:PolygonSymbolizer>{fill}{stroke}</se:PolygonSymbolizer>"
    if kind == "line":
        return (
            f'<se:LineSymbolizer><se:Stroke><se:SvgParameter name="stroke">{_hex(rgb)}'
            '</se:SvgParameter><se:SvgParameter name="stroke-width">2</se:SvgParameter>'
            "</se:Stroke></se:LineSymbolizer>"
        )
    return (
        "<se:PointSymbolizer><se:Graphic><se:Mark><se:WellKnownName>circle</se:WellKnownName>"
        f"{fill}{stroke}</se:Mark><se:Size>10</se:Size></se:Graphic></se:PointSymbolizer>"
    )


def _sld(layer: str, rules: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<StyledLayerDescriptor version="1.1.0" xmlns="http://www.opengis.net/sld" '
        'xmlns:se="http://www.opengis.net/se" xmlns:ogc="http://www.opengis.net/ogc">'
        f"<NamedLayer><se:Name>{escape(layer)}</se:Name><UserStyle>"
        f"<se:Name>{escape(layer)}</se:Name><se:FeatureTypeStyle>{rules}"
        "</se:FeatureTypeStyle></UserStyle></NamedLayer></StyledLayerDescriptor>\n"
    )


def severity_style(table: str, geometry_column: str, kind: str = "polygon") -> LayerStyle:
    """Categorised by ``severity`` (fill, hatch and outline per severity) with the ``label``
    column as labels from 1::data:`CONFLICT_LABEL_SCALE` inwards."""
    return LayerStyle(
        table=table,
        geometry_column=geometry_column,
        name=f"{table} by severity",
        qml=categorized_qml("severity", SEVERITY_COLOURS, kind, "label"),
        sld=categorized_sld(table, "severity", SEVERITY_COLOURS, kind),
        description="Categorised by severity (exclusion dark red cross-hatched, high red, "
        "medium orange and low yellow each hatched its own way, dark outlines); labels show "
        f"feature names from 1:{CONFLICT_LABEL_SCALE:,} inwards.".replace(",", " "),
    )


def score_style(
    table: str, geometry_column: str, scores: list[float], label_field: str | None
) -> LayerStyle:
    """Graduated by ``score`` in quantile classes of ``scores`` (the layer's own values, so
    its minimum and maximum are class bounds); ``label_field`` labels from
    1::data:`KOMMUN_LABEL_SCALE` inwards."""
    breaks = class_breaks(scores)
    return LayerStyle(
        table=table,
        geometry_column=geometry_column,
        name=f"{table} by score",
        qml=graduated_qml("score", breaks, "polygon", label_field),
        sld=graduated_sld(table, "score", breaks, "polygon"),
        description="Graduated by score (quantiles, light to dark blue)"
        + (
            f"; labels show {label_field} from 1:{KOMMUN_LABEL_SCALE:,} inwards.".replace(",", " ")
            if label_field
            else "."
        ),
    )


def land_use_style(table: str, geometry_column: str) -> LayerStyle:
    """A scenario's footprints categorised by ``land_use`` (:data:`LAND_USES`: new
    settlement burnt orange, new wind land blue, dark outlines) with the ``label`` column
    (inhabitants or MW) as labels from 1::data:`CONFLICT_LABEL_SCALE` inwards."""
    categories = [
        (value, text, _symbol(str(i), "polygon", rgb, alpha=220, outline=_dark(rgb)))
        for i, (value, (text, rgb)) in enumerate(LAND_USES.items())
    ]
    colours = {value: rgb for value, (_, rgb) in LAND_USES.items()}
    rules = "".join(
        f"<se:Rule><se:Name>{escape(text)}</se:Name><ogc:Filter><ogc:PropertyIsEqualTo>"
        f"<ogc:PropertyName>land_use</ogc:PropertyName><ogc:Literal>{escape(value)}"
        f"</ogc:Literal></ogc:PropertyIsEqualTo></ogc:Filter>"
        f"{_sld_symbolizer('polygon', colours[value])}</se:Rule>"
        for value, (text, _) in LAND_USES.items()
    )
    return LayerStyle(
        table=table,
        geometry_column=geometry_column,
        name=f"{table} by land use",
        qml=_categorized_qml("land_use", categories, "polygon", "label", CONFLICT_LABEL_SCALE),
        sld=_sld(table, rules),
        description="Categorised by land use (new settlement burnt orange, new wind land "
        f"blue); labels show inhabitants or MW from 1:{CONFLICT_LABEL_SCALE:,} "
        "inwards.".replace(",", " "),
    )


def farmland_breaks(values: list[float]) -> list[float]:
    """Class bounds for farmland taken: a class of exactly 0 (kommuner that lose none, the
    lightest colour) and quantile classes of the positive values above it, so a loss of a
    few hectares never shares the darkest colour with no loss at all."""
    positive = [v for v in values if v is not None and v > 0]
    above = class_breaks(positive, len(FARMLAND_RAMP) - 1)
    return [0.0, 0.0, *above[1:]]


def farmland_style(table: str, geometry_column: str, values: list[float]) -> LayerStyle:
    """Kommuner graduated by ``farmland_taken_ha`` (yellow to brown) in the classes of
    :func:`farmland_breaks` of ``values``; pass every scenario's values so the same colour
    means the same hectares in each scenario's layer. Kommun names label from
    1::data:`KOMMUN_LABEL_SCALE` inwards."""
    field = "farmland_taken_ha"
    breaks = farmland_breaks(values)
    return LayerStyle(
        table=table,
        geometry_column=geometry_column,
        name=f"{table} by farmland taken",
        qml=graduated_qml(field, breaks, "polygon", "kommun_name", ramp=FARMLAND_RAMP),
        sld=graduated_sld(table, field, breaks, "polygon", ramp=FARMLAND_RAMP),
        description="Graduated by high-class farmland taken, ha (quantiles over every "
        "scenario, light yellow to brown); labels show kommun_name from "
        f"1:{KOMMUN_LABEL_SCALE:,} inwards.".replace(",", " "),
    )
