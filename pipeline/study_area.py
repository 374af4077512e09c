"""The study area: which kommuner a run reports on, and the layers it attributes conflicts to.

``study_area`` in rules.yaml selects kommun codes (:class:`~pipeline.config.models.StudyArea`).
Conflicts are clipped to the union of those kommuners' boundaries (EPSG:3006), and every
summary lists exactly those kommuner. Features outside the area still take part as context:
a turbine across the border within 500 m of a reserve inside is a conflict, reported with the
part of it that lies inside.

When rules.yaml names no kommun or FA layer (``reporting_units``), the boundaries shipped with
the package (:mod:`pipeline.boundaries`) join the catalogue as ordinary ``file`` layers,
filtered to the study area's kommuner, so they are ingested, hashed and indexed like any
other layer and a user's catalogue needs no boundary layers.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.boundaries import LICENCE, PUBLISHER, boundary_path, fa_codes_of
from pipeline.config.errors import ConfigError
from pipeline.config.loading import load_catalogue, load_rules
from pipeline.config.models import Catalogue, LayerSpec, RuleSet, resolve_path
from pipeline.config.reporting import read_kommunalforbund, sweden_kommuner

#: Names of the shipped boundary layers when the catalogue does not provide its own.
SHIPPED_KOMMUN_LAYER = "kommuner"
SHIPPED_FA_LAYER = "fa_regioner"


def kommunalforbund_table(rules: RuleSet) -> pd.DataFrame:
    """The rules' kommunalförbund table, read by its header and checked (ConfigError)."""
    return read_kommunalforbund(
        resolve_path(rules.reporting_units.kommunalforbund_table, rules.base_dir)
    )


def study_area_codes(rules: RuleSet) -> list[str]:
    """The kommun codes of the rules' study area, ascending."""
    try:
        return rules.study_area.kommun_codes(kommunalforbund_table(rules), sweden_kommuner())
    except ValueError as exc:
        raise ConfigError(rules.base_dir / "rules.yaml", [f"study_area: {exc}"]) from exc


def study_area_kommuner(rules: RuleSet) -> pd.DataFrame:
    """One row per kommun of the study area: ``kommun_code``, ``kommun_name`` (SCB),
    ``lan_code`` and ``kommunalforbund`` (NULL for a kommun the table does not list)."""
    names = sweden_kommuner()
    codes = study_area_codes(rules)
    table = kommunalforbund_table(rules).set_index("kommun_code")["kommunalforbund"]
    frame = pd.DataFrame(
        {
            "kommun_code": codes,
            "kommun_name": [names[code] for code in codes],
            "lan_code": [code[:2] for code in codes],
            "kommunalforbund": [table.get(code) for code in codes],
        }
    )
    return frame.astype("string")


def _filter(field: str, codes: list[str], everything: list[str]) -> list[dict[str, object]]:
    """A catalogue filter keeping ``codes`` (none when they are all there is)."""
    return (
        []
        if sorted(codes) == sorted(everything)
        else [{"field": field, "op": "in", "value": codes}]
    )


def shipped_kommun_layer(codes: list[str]) -> LayerSpec:
    """The shipped SCB kommun boundaries as a catalogue layer, cut to ``codes``."""
    return LayerSpec.model_validate(
        {
            "name": SHIPPED_KOMMUN_LAYER,
            "title": "Kommuner (SCB, shipped with the package)",
            "label": "Kommun",
            "theme": "boundaries",
            "source": {"kind": "file", "path": str(boundary_path("kommun"))},
            "filter": _filter("kommun_kod", codes, list(sweden_kommuner())),
            "id_field": "kommun_kod",
            "name_field": "kommun",
            "publisher": PUBLISHER,
            "licence": LICENCE,
        }
    )


def shipped_fa_layer(codes: list[str]) -> LayerSpec:
    """The shipped FA regions as a catalogue layer: those overlapping the kommuner ``codes``."""
    fa_codes = fa_codes_of(codes)
    return LayerSpec.model_validate(
        {
            "name": SHIPPED_FA_LAYER,
            "title": "Lokala arbetsmarknader (FA-regioner, shipped with the package)",
            "label": "FA-region",
            "theme": "boundaries",
            "source": {"kind": "file", "path": str(boundary_path("fa"))},
            "filter": _filter("fa_kod", fa_codes, fa_codes_of(list(sweden_kommuner()))),
            "id_field": "fa_kod",
            "name_field": "fa_namn",
            "publisher": PUBLISHER,
            "licence": LICENCE,
        }
    )


def with_reporting_layers(catalogue: Catalogue, rules: RuleSet) -> tuple[Catalogue, RuleSet]:
    """The catalogue and rules with a kommun and an FA layer named in ``reporting_units``.

    A layer that ``reporting_units`` names is the catalogue's own. One it leaves out is the
    catalogue's layer called ``kommuner`` / ``fa_regioner`` when there is one, else the
    shipped boundaries (:func:`shipped_kommun_layer`, :func:`shipped_fa_layer`) added to the
    catalogue. The returned rules name both layers, so every later stage sees explicit
    reporting layers."""
    units = rules.reporting_units
    added: list[LayerSpec] = []
    chosen: dict[str, str] = {}
    for key, name, make in (
        ("kommun_layer", SHIPPED_KOMMUN_LAYER, shipped_kommun_layer),
        ("fa_layer", SHIPPED_FA_LAYER, shipped_fa_layer),
    ):
        if getattr(units, key) is not None:
            continue
        chosen[key] = name
        if name not in catalogue.names:
            added.append(make(study_area_codes(rules)))
    if not chosen:
        return catalogue, rules
    catalogue = catalogue.model_copy(update={"layers": [*catalogue.layers, *added]})
    rules = rules.model_copy(update={"reporting_units": units.model_copy(update=chosen)})
    return catalogue, rules


def load_configuration(catalogue_path: Path, rules_path: Path) -> tuple[Catalogue, RuleSet]:
    """Catalogue and rules as every stage sees them: loaded, checked against each other, and
    with their reporting layers made explicit (:func:`with_reporting_layers`)."""
    catalogue = load_catalogue(catalogue_path)
    return with_reporting_layers(catalogue, load_rules(rules_path, catalogue))
