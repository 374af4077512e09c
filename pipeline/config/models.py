"""Pydantic models of ``config/catalogue.yaml`` and ``config/rules.yaml``.

Unknown keys are rejected everywhere (``extra="forbid"``), so a typo is an error, not a
silently ignored setting. Layer and rule names are SQL-safe identifiers
(``^[a-z][a-z0-9_]*$``) because they reach DuckDB as table and column values.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pyproj import CRS
from pyproj.exceptions import CRSError

IDENTIFIER = r"^[a-z][a-z0-9_]*$"
Identifier = Annotated[str, Field(pattern=IDENTIFIER, max_length=63)]


def check_identifier(name: str) -> str:
    """Return ``name`` if it is a plain lower-case SQL identifier, else raise ``ValueError``."""
    if not re.fullmatch(IDENTIFIER, name):
        raise ValueError(f"{name!r} is not an identifier matching {IDENTIFIER}")
    return name


Theme = Literal["wind", "agriculture", "forestry", "nature", "development", "boundaries"]
SourceKind = Literal["file", "http", "wfs", "ogcapi", "arcgis", "atom"]
Severity = Literal["exclusion", "high", "medium", "low"]
Operator = Literal["eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte"]
#: Columns of the common staged schema that filters may test.
FilterField = Literal["category", "status", "value", "name", "feature_id"]
#: Common-schema columns a layer's source fields are mapped onto.
CommonField = Literal["name", "category", "status", "value", "date"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(Strict):
    """One attribute test, e.g. ``{field: value, op: gte, value: 6}``."""

    field: str
    op: Operator = "eq"
    value: Any

    @model_validator(mode="after")
    def _list_for_set_ops(self) -> Condition:
        if self.op in ("in", "not_in") and not isinstance(self.value, list):
            raise ValueError(f"op '{self.op}' needs a list as value, got {self.value!r}")
        if self.op in ("gt", "gte", "lt", "lte") and not isinstance(self.value, int | float):
            raise ValueError(f"op '{self.op}' needs a number as value, got {self.value!r}")
        return self


class RuleCondition(Condition):
    """A condition on the common schema (the fields every staged layer has)."""

    field: FilterField

    @model_validator(mode="after")
    def _numbers_for_value(self) -> RuleCondition:
        values = self.value if isinstance(self.value, list) else [self.value]
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        if self.field == "value" and not numeric:
            raise ValueError(
                f"field 'value' is numeric: compare it with numbers, got {self.value!r}"
            )
        return self


class SourceSpec(Strict):
    """Where a layer's bytes come from and how to read them.

    ``file``: a local path (GeoPackage, Shapefile, zip, GeoJSON, FlatGeobuf, GeoParquet, CSV).
    ``http``: a download of such a file. ``wfs`` / ``ogcapi`` / ``arcgis`` / ``atom``: services.
    Relative ``path`` values resolve against the catalogue file's folder.
    """

    kind: SourceKind
    path: str | None = None
    url: str | None = None
    #: Layer inside a multi-layer file (GeoPackage), or the WFS type name / ArcGIS layer id /
    #: OGC API collection.
    layer: str | None = None
    #: File inside an archive (zip), e.g. ``NR_polygon.shp``.
    member: str | None = None
    #: Text encoding of a DBF when the archive has no ``.cpg`` (default Latin-1 for DBF).
    encoding: str | None = None
    #: CSV geometry: a WKT column or an x/y pair.
    wkt_column: str | None = None
    x_column: str | None = None
    y_column: str | None = None
    #: Extra query parameters for services (e.g. a CQL filter).
    params: dict[str, str] = Field(default_factory=dict)
    page_size: int = Field(default=1000, ge=1, le=100_000)
    timeout_s: float = Field(default=60.0, gt=0)

    @model_validator(mode="after")
    def _path_or_url(self) -> SourceSpec:
        if self.kind == "file" and not self.path:
            raise ValueError("a 'file' source needs 'path'")
        if self.kind != "file" and not self.url:
            raise ValueError(f"a '{self.kind}' source needs 'url'")
        if bool(self.x_column) != bool(self.y_column):
            raise ValueError("'x_column' and 'y_column' go together")
        return self

    def location(self, base_dir: Path) -> str:
        """The resolved path or the URL, for messages and provenance."""
        if self.path is not None:
            return str(resolve_path(self.path, base_dir))
        return str(self.url)


class Dedupe(Strict):
    """Which record wins when an id occurs more than once.

    Records are ranked by the position of ``field``'s value in ``prefer`` (first wins; values
    not listed lose), then by source order. Example: naturreservat keep ``Gällande`` over
    ``Överklagat`` for the same ``NVRID``.
    """

    field: CommonField
    prefer: list[str]


class Extent(Strict):
    """Plausible bounding box in EPSG:3006 (min_x, min_y, max_x, max_y)."""

    min_x: float
    min_y: float
    max_x: float
    max_y: float


#: Sweden in SWEREF 99 TM with a margin; a layer outside this is a wrong CRS, not data.
SWEDEN_EXTENT = Extent(min_x=200_000, min_y=6_100_000, max_x=1_000_000, max_y=7_700_000)


class LayerSpec(Strict):
    """One catalogue layer: a source, its CRS, and how its fields map to the common schema."""

    name: Identifier
    title: str
    #: Short singular noun used in conflict reasons ("Natura 2000", "Vindbruksområde");
    #: defaults to ``title``.
    label: str | None = None
    theme: Theme
    source: SourceSpec
    #: Used only when the source carries no CRS; a CRS is never guessed.
    crs: str | None = None
    #: Conditions on *source* fields, all of which a feature must meet to be kept.
    filter: list[Condition] = Field(default_factory=list)
    #: Source field holding the feature identifier (kept as text: "1480", "2001234").
    id_field: str
    name_field: str | None = None
    #: Source fields mapped onto the common schema, e.g. ``{status: STATUS, value: klass}``.
    fields: dict[CommonField, str] = Field(default_factory=dict)
    #: Code lists: per common field, raw value -> canonical value.
    codes: dict[CommonField, dict[str, str]] = Field(default_factory=dict)
    #: Source fields copied into the ``attributes`` JSON column.
    keep: list[str] = Field(default_factory=list)
    dedupe: Dedupe | None = None
    buffer_m: float = Field(default=0.0, ge=0, le=50_000)
    #: A rule needing a non-required layer that failed reports ``unknown``; a required layer
    #: that failed blocks publication.
    required: bool = True
    extent: Extent = SWEDEN_EXTENT
    licence: str | None = None
    publisher: str | None = None

    @field_validator("crs")
    @classmethod
    def _known_crs(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                CRS.from_user_input(value)
            except CRSError as exc:
                raise ValueError(f"unknown CRS '{value}' (e.g. EPSG:3006, EPSG:4326)") from exc
        return value

    @field_validator("codes", mode="before")
    @classmethod
    def _code_keys_as_text(cls, value: object) -> object:
        """YAML reads ``7: Hög`` with an integer key; code lists compare text."""
        if isinstance(value, dict):
            return {
                field: {str(k): str(v) for k, v in codes.items()}
                if isinstance(codes, dict)
                else codes
                for field, codes in value.items()
            }
        return value


class Catalogue(Strict):
    """``config/catalogue.yaml``."""

    version: Literal[1] = 1
    layers: list[LayerSpec]
    #: Folder of the catalogue file; relative source paths resolve against it.
    base_dir: Path = Path(".")

    @model_validator(mode="after")
    def _unique_names(self) -> Catalogue:
        seen: set[str] = set()
        for layer in self.layers:
            if layer.name in seen:
                raise ValueError(f"layer name '{layer.name}' occurs twice")
            seen.add(layer.name)
        return self

    def layer(self, name: str) -> LayerSpec:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [layer.name for layer in self.layers]


class Selector(Strict):
    """One side of a rule: layers chosen by name and/or theme, optionally filtered."""

    layers: list[Identifier] = Field(default_factory=list)
    themes: list[Theme] = Field(default_factory=list)
    filter: list[RuleCondition] = Field(default_factory=list)

    @model_validator(mode="after")
    def _something_selected(self) -> Selector:
        if not self.layers and not self.themes:
            raise ValueError("a side needs 'layers' or 'themes'")
        return self


class Rule(Strict):
    """A conflict rule: side A against side B, optionally within ``distance_m`` of side A."""

    id: Identifier
    title: str
    a: Selector
    b: Selector
    distance_m: float = Field(default=0.0, ge=0, le=20_000)
    severity: Severity
    legal_basis: str
    authority: str
    #: How the conflict is phrased in ``reason``: "overlaps" or "lies within N m of".
    verb: str | None = None


def _default_weights() -> dict[Severity, float]:
    return {"exclusion": 10.0, "high": 5.0, "medium": 2.0, "low": 1.0}


class Scoring(Strict):
    """``score = weight[severity] × area_km2 × value_factor``.

    ``value_factor`` is ``1 + value_bonus × (value - value_pivot)`` for a side whose layer
    carries a numeric ``value`` listed in ``value_layers`` (e.g. åkermark class 1-10), else 1.
    """

    weights: dict[Severity, float] = Field(default_factory=_default_weights)
    value_layers: list[Identifier] = Field(default_factory=list)
    value_pivot: float = 5.0
    value_bonus: float = Field(default=0.1, ge=0)
    #: Floor of the area term, so point-in-polygon conflicts (area 0) still score.
    min_area_km2: float = Field(default=0.01, ge=0)


class ReportingUnits(Strict):
    """The layers and table that conflicts are attributed to."""

    kommun_layer: Identifier = "kommuner"
    fa_layer: Identifier | None = "fa_regioner"
    #: CSV with kommun_code, kommun_name, kommunalforbund (relative to rules.yaml).
    kommunalforbund_table: str = "kommunalforbund.csv"
    #: Län whose kommuner are reported on (all its kommuner appear in summaries).
    lan_code: str = "14"


class RuleSet(Strict):
    """``config/rules.yaml``."""

    version: Literal[1] = 1
    h3_resolution: int = Field(default=9, ge=7, le=11)
    #: Areal overlaps smaller than this are digitising noise (edges of neighbouring layers
    #: that almost coincide), not conflicts; point-in-polygon conflicts are always kept.
    min_conflict_area_m2: float = Field(default=10.0, ge=0)
    scoring: Scoring = Field(default_factory=Scoring)
    reporting_units: ReportingUnits = Field(default_factory=ReportingUnits)
    rules: list[Rule]
    base_dir: Path = Path(".")

    @model_validator(mode="after")
    def _unique_ids(self) -> RuleSet:
        ids = [r.id for r in self.rules]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"rule ids occur more than once: {', '.join(dupes)}")
        return self


def resolve_path(path: str | Path, base_dir: Path) -> Path:
    """Resolve ``path`` against ``base_dir`` unless it is absolute."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else (base_dir / p).resolve()
