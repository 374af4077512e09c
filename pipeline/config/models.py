"""Pydantic models of ``config/catalogue.yaml`` and ``config/rules.yaml``.

Unknown keys are rejected everywhere (``extra="forbid"``), so a typo is an error, not a
silently ignored setting. Layer and rule names are SQL-safe identifiers
(``^[a-z][a-z0-9_]*$``) because they reach DuckDB as table and column values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal, Self, get_args
from urllib.parse import unquote

import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    RootModel,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError
from pyproj import CRS
from pyproj.exceptions import CRSError

from pipeline.config.filters import as_number
from pipeline.config.reporting import KOMMUNALFORBUND_TABLE, sweden_kommuner, sweden_lan_codes

#: Västra Götalands län, the study area when rules.yaml names none.
DEFAULT_LAN = "14"
IDENTIFIER = r"^[a-z][a-z0-9_]*$"
Identifier = Annotated[str, Field(pattern=IDENTIFIER, max_length=63)]


def check_identifier(name: str) -> str:
    """Return ``name`` if it is a plain lower-case SQL identifier, else raise ``ValueError``."""
    if not re.fullmatch(IDENTIFIER, name):
        raise ValueError(f"{name!r} is not an identifier matching {IDENTIFIER}")
    return name


#: What a layer is about; rule sides select layers by theme (docs/catalogue.md): wind,
#: agriculture, forestry, nature, development, boundaries, infrastructure (roads, railways,
#: power lines), water (watercourses, lakes, shoreline) and settlement (existing settlement
#: and what it lives by: tätorter, the population grid, public-transport stops; context for
#: scenarios and maps that rules leave alone).
Theme = Literal[
    "wind",
    "agriculture",
    "forestry",
    "nature",
    "development",
    "boundaries",
    "infrastructure",
    "water",
    "settlement",
]
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
        if self.op in ("gt", "gte", "lt", "lte") and as_number(self.value) is None:
            raise ValueError(f"op '{self.op}' needs a number as value, got {self.value!r}")
        values = self.value if isinstance(self.value, list) else [self.value]
        if not all(isinstance(v, str | int | float) for v in values):
            raise ValueError(f"values are text or numbers, got {self.value!r}")
        return self


class RuleCondition(Condition):
    """A condition on the common schema (the fields every staged layer has)."""

    field: FilterField

    @model_validator(mode="after")
    def _numbers_for_value(self) -> RuleCondition:
        values = self.value if isinstance(self.value, list) else [self.value]
        numeric = all(as_number(v) is not None for v in values)
        if self.field == "value" and not numeric:
            raise ValueError(
                f"field 'value' is numeric: compare it with numbers, got {self.value!r}"
            )
        return self


#: Parameter and header names whose values are secrets in every source, compared without
#: case and without ``-`` / ``_`` (``api_key``, ``API-Key`` and ``apikey`` are one name).
SECRET_NAMES = frozenset(
    {
        "token",
        "key",
        "apikey",
        "xapikey",
        "password",
        "secret",
        "accesstoken",
        "sig",
        "authorization",
        "proxyauthorization",
        "cookie",
    }
)
#: What a secret value is replaced with in messages and provenance.
REDACTED = "***"
#: ``${NAME}``: a value taken from the environment when the source is fetched.
ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_QUERY_PAIR = re.compile(r"(?P<lead>[?&](?P<name>[^=&#?\s'\"<>]+)=)(?P<value>[^&#\s'\"<>]*)")


def secret_name_key(name: str) -> str:
    """``name`` as compared with :data:`SECRET_NAMES`: unquoted, lower case, no ``-``/``_``.

    >>> secret_name_key("X-API_Key")
    'xapikey'
    """
    return unquote(name).lower().replace("-", "").replace("_", "")


def redact_query(text: str, names: frozenset[str] = SECRET_NAMES) -> str:
    """``text`` with the value of every query parameter named in ``names`` replaced.

    Works on a URL and on any message quoting URLs; ``names`` are
    :func:`secret_name_key` forms.

    >>> redact_query("https://x/wfs?typeNames=nr&api_key=s3cret&count=10")
    'https://x/wfs?typeNames=nr&api_key=***&count=10'
    """

    def replace(found: re.Match[str]) -> str:
        if secret_name_key(found.group("name")) in names and found.group("value"):
            return found.group("lead") + REDACTED
        return found.group(0)

    return _QUERY_PAIR.sub(replace, text)


def _check_env_references(values: dict[str, str]) -> dict[str, str]:
    for name, value in values.items():
        if value.count("${") != len(ENV_REFERENCE.findall(value)):
            raise ValueError(
                f"'{name}': malformed environment reference; write ${{NAME}} with a name "
                "of letters, digits and '_'"
            )
    return values


class SourceKeys(Strict):
    """Keys every source kind has."""

    #: Layer inside a multi-layer file (GeoPackage), or the WFS type name / ArcGIS layer id /
    #: OGC API collection.
    layer: str | None = None


class ReadKeys(SourceKeys):
    """How a file's features are read (local files, downloads, ATOM enclosures)."""

    #: File inside an archive (zip), e.g. ``NR_polygon.shp``.
    member: str | None = None
    #: Text encoding of a DBF without ``.cpg`` (default Latin-1) or of a CSV (default UTF-8).
    encoding: str | None = None
    #: CSV geometry: a WKT column or an x/y pair.
    wkt_column: str | None = None
    x_column: str | None = None
    y_column: str | None = None
    #: How to read the file when its ending does not say: ``gtfs`` reads a GTFS zip as one
    #: point per stop with its morning-peak departures (:mod:`pipeline.sources.gtfs`).
    format: Literal["gtfs"] | None = None

    @model_validator(mode="after")
    def _xy_pair(self) -> Self:
        if bool(self.x_column) != bool(self.y_column):
            raise ValueError("'x_column' and 'y_column' go together")
        if self.format == "gtfs":
            other = [k for k in ("member", "layer", "wkt_column", "x_column") if getattr(self, k)]
            if other:
                raise ValueError(f"'{other[0]}' does not apply to format 'gtfs' (a GTFS zip)")
        return self


class RemoteKeys(SourceKeys):
    """Keys of every source fetched over HTTP(S): where, with what, and for how long."""

    #: Each kind's model narrows it to its own name.
    kind: str
    url: str = Field(min_length=1)
    #: Extra query parameters (a CQL filter, ``sortBy``, a token); values may hold ``${NAME}``.
    params: dict[str, str] = Field(default_factory=dict)
    #: Request headers sent with every request of the source (``Authorization``); values may
    #: hold ``${NAME}``. Header values are always treated as secrets.
    headers: dict[str, str] = Field(default_factory=dict)
    #: More parameter names whose values are secrets, besides :data:`SECRET_NAMES`.
    redact: list[str] = Field(default_factory=list)
    #: Connect and read timeout of one network operation.
    timeout_s: float = Field(default=60.0, gt=0)
    #: Deadline of one download (one request with its retries and waits).
    download_deadline_s: float = Field(default=1800.0, gt=0)
    #: Deadline of everything the layer fetches (all requests, pages, retries and waits).
    layer_deadline_s: float = Field(default=3600.0, gt=0)

    @field_validator("params", "headers")
    @classmethod
    def _env_references(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_env_references(value)

    @field_validator("headers")
    @classmethod
    def _one_line_headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if any(ch in text for ch in "\r\n\x00"):
                raise ValueError(f"header '{name}' holds a line break or NUL")
        return value

    @property
    def path(self) -> None:
        """Remote sources have no local path."""
        return None

    def secret_names(self) -> frozenset[str]:
        """:func:`secret_name_key` forms of every parameter and header name that is secret.

        The common :data:`SECRET_NAMES`, the names in ``redact``, every header, and every
        parameter whose value comes from the environment.
        """
        from_env = {k for k, v in self.params.items() if ENV_REFERENCE.search(v)}
        named = [*self.redact, *self.headers, *from_env]
        return SECRET_NAMES | {secret_name_key(n) for n in named}

    def location(self, base_dir: Path) -> str:
        """The URL with secret query values redacted, for messages and provenance."""
        return redact_query(self.url, self.secret_names())

    def __repr_args__(self) -> Iterable[tuple[str | None, Any]]:
        """Fields for ``repr``, with secret parameter values and all header values masked."""
        names = self.secret_names()
        for key, value in super().__repr_args__():
            if key == "headers":
                value = dict.fromkeys(self.headers, REDACTED)
            elif key == "params":
                value = {
                    k: REDACTED if secret_name_key(k) in names else v
                    for k, v in self.params.items()
                }
            yield key, value


class PagedKeys(RemoteKeys):
    """Keys of the paged feature services."""

    #: Features asked for per page; servers may cap pages lower.
    page_size: int = Field(default=1000, ge=1, le=100_000)
    #: Most pages one fetch may take: a server whose paging never ends fails the layer.
    max_pages: int = Field(default=10_000, ge=1)


class FileSource(ReadKeys):
    """``file``: a local GeoPackage, Shapefile, zip, GeoJSON, FlatGeobuf, GeoParquet, CSV.

    A relative ``path`` resolves against the catalogue file's folder.
    """

    kind: Literal["file"]
    path: str = Field(min_length=1)

    @property
    def url(self) -> None:
        """Local files have no URL."""
        return None

    def location(self, base_dir: Path) -> str:
        """The resolved path, for messages and provenance."""
        return str(resolve_path(self.path, base_dir))


class HttpSource(RemoteKeys, ReadKeys):
    """``http``: a download of a file the ``file`` kind reads."""

    kind: Literal["http"]


class AtomSource(RemoteKeys, ReadKeys):
    """``atom``: an ATOM download feed; its enclosure is read like an ``http`` download."""

    kind: Literal["atom"]


class WfsSource(PagedKeys):
    """``wfs``: WFS 2.0 GetFeature; ``layer`` is the ``typeNames`` value."""

    kind: Literal["wfs"]
    layer: str = Field(min_length=1)


class OgcApiSource(PagedKeys):
    """``ogcapi``: OGC API Features; ``layer`` is the collection id (or ``url`` ends in items)."""

    kind: Literal["ogcapi"]


class ArcGisSource(PagedKeys):
    """``arcgis``: an ArcGIS REST layer ``query``; ``layer`` is the layer id."""

    kind: Literal["arcgis"]


#: One model per source kind, told apart by ``kind``.
AnySource = Annotated[
    FileSource | HttpSource | AtomSource | WfsSource | OgcApiSource | ArcGisSource,
    Field(discriminator="kind"),
]
#: Every source model, in the order of :data:`AnySource`.
SOURCE_MODELS: tuple[type[SourceKeys], ...] = get_args(get_args(AnySource)[0])
#: ``kind`` -> its model.
SOURCE_KINDS: dict[str, type[SourceKeys]] = {
    get_args(model.model_fields["kind"].annotation)[0]: model for model in SOURCE_MODELS
}


class SourceSpec(RootModel[AnySource]):
    """Where a layer's bytes come from and how to read them: one model per kind (``root``).

    Built from a catalogue mapping or from keywords, ``SourceSpec(kind="file", path=…)``.
    Each kind accepts only its own keys. ``kind``, ``path``, ``url``, ``layer``, ``member``
    and :meth:`location` read through to the kind's model (``None`` where a kind has no
    such key).
    """

    model_config = ConfigDict(frozen=True)

    @model_validator(mode="wrap")
    @classmethod
    def _errors_name_the_keys(
        cls, data: Any, handler: ModelWrapValidatorHandler[SourceSpec]
    ) -> SourceSpec:
        """Report errors at the catalogue's keys (``source.url``, not ``source.wfs.url``)."""
        if isinstance(data, dict) and data.get("kind") not in SOURCE_KINDS:
            raise ValidationError.from_exception_data("SourceSpec", _unknown_kind_errors(data))
        try:
            return handler(data)
        except ValidationError as exc:
            errors = [_key_error(error) for error in exc.errors()]
            raise ValidationError.from_exception_data(exc.title, errors) from None

    @property
    def kind(self) -> str:
        return self.root.kind

    @property
    def path(self) -> str | None:
        return self.root.path

    @property
    def url(self) -> str | None:
        return self.root.url

    @property
    def layer(self) -> str | None:
        return self.root.layer

    @property
    def member(self) -> str | None:
        return self.root.member if isinstance(self.root, ReadKeys) else None

    def location(self, base_dir: Path) -> str:
        """The resolved path, or the URL with secret query values redacted."""
        return self.root.location(base_dir)


def _unknown_kind_errors(data: dict[str, Any]) -> list[InitErrorDetails]:
    """A missing or unknown ``kind``, and every key no kind knows."""
    kinds = list(SOURCE_KINDS)
    expected = ", ".join(f"'{k}'" for k in kinds[:-1]) + f" or '{kinds[-1]}'"
    errors = [
        InitErrorDetails(
            type=PydanticCustomError(
                "literal_error", "Input should be {expected}", {"expected": expected}
            ),
            loc=("kind",),
            input=data.get("kind"),
        )
    ]
    known = {name for model in SOURCE_MODELS for name in model.model_fields}
    errors += [
        InitErrorDetails(type="extra_forbidden", loc=(key,), input=_shown_value(key, value))
        for key, value in data.items()
        if key not in known
    ]
    return errors


def _key_error(error: ErrorDetails) -> InitErrorDetails:
    """A kind model's error with the kind tag dropped from its location and secrets masked."""
    loc = error["loc"]
    if loc and loc[0] in SOURCE_KINDS:
        loc = loc[1:]
    return InitErrorDetails(
        type=PydanticCustomError(error["type"], error["msg"]),
        loc=loc,
        input=_masked_input(loc, error["input"]),
    )


def _masked_input(loc: tuple[int | str, ...], value: Any) -> Any:
    """The input an error quotes, with secret ``params`` and all ``headers`` values masked."""
    field = str(loc[0]) if loc else ""
    if field in ("params", "headers") and len(loc) >= 2:
        secret = field == "headers" or secret_name_key(str(loc[1])) in SECRET_NAMES
        return REDACTED if secret else value
    if field in ("params", "headers"):
        return _shown_value(field, value)
    if isinstance(value, dict):  # a whole source, quoted by a missing key
        return {k: _shown_value(str(k), v) for k, v in value.items()}
    return value


def _shown_value(key: str, value: Any) -> Any:
    """``value`` of source key ``key``: headers all masked, secret-named params masked."""
    if key == "headers" and isinstance(value, dict):
        return dict.fromkeys(value, REDACTED)
    if key == "params" and isinstance(value, dict):
        return {
            k: REDACTED if secret_name_key(str(k)) in SECRET_NAMES else v for k, v in value.items()
        }
    return value


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
    #: Replaces the CRS the source declares, when that is wrong (a GeoJSON in SWEREF 99 TM
    #: metres without a ``crs`` member, which reads as EPSG:4326): coordinates are taken as
    #: they are, in this CRS.
    crs_override: str | None = None
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
    #: An empty source, or a filter that keeps no feature, is staged as an empty layer (its
    #: rules complete with zero conflicts) instead of failing the layer.
    empty_ok: bool = False
    extent: Extent = SWEDEN_EXTENT
    licence: str | None = None
    publisher: str | None = None

    @field_validator("crs", "crs_override")
    @classmethod
    def _known_crs(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                CRS.from_user_input(value)
            except CRSError as exc:
                raise ValueError(f"unknown CRS '{value}' (e.g. EPSG:3006, EPSG:4326)") from exc
        return value

    @model_validator(mode="after")
    def _one_crs_key(self) -> LayerSpec:
        if self.crs is not None and self.crs_override is not None:
            raise ValueError(
                "give 'crs' (used when the source declares none) or 'crs_override' "
                "(replaces what the source declares), not both"
            )
        return self

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
    """A conflict rule: side A against side B, optionally within ``distance_m`` of side A.

    ``type`` names how the rule is evaluated (``pipeline.conflicts.build.RULE_TYPES``):
    ``overlap`` (the default) is an overlap of the two sides, side A buffered by
    ``distance_m``.
    """

    type: Literal["overlap"] = "overlap"
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

    #: Weight per severity; severities left out keep their default weight.
    weights: dict[Severity, float] = Field(default_factory=_default_weights)
    value_layers: list[Identifier] = Field(default_factory=list)
    value_pivot: float = 5.0
    value_bonus: float = Field(default=0.1, ge=0)
    #: Floor of the area term, so point-in-polygon conflicts (area 0) still score.
    min_area_km2: float = Field(default=0.01, ge=0)

    @field_validator("weights")
    @classmethod
    def _every_severity_weighted(cls, value: dict[Severity, float]) -> dict[Severity, float]:
        """``{high: 6}`` changes one weight; the others stay at their defaults."""
        return {**_default_weights(), **value}


class Uncertainty(Strict):
    """``uncertainty``: the ranges of the rank-stability Monte Carlo (docs/trust.md).

    Each range is a relative half-width around the configured value: ``weights: 0.5`` draws
    every severity weight uniformly (Latin hypercube) from 50 % to 150 % of its value, each
    independently; ``distance: 0.2`` draws each distance rule's ``distance_m`` from 80 % to
    120 %. A width of 0 holds that parameter at its value.
    """

    #: Monte Carlo draws; 0 builds the stability tables from the base ranking alone.
    draws: int = Field(default=200, ge=0, le=100_000)
    seed: int = Field(default=15, ge=0)
    weights: float = Field(default=0.5, ge=0, lt=1)
    value_bonus: float = Field(default=0.5, ge=0, le=1)
    distance: float = Field(default=0.2, ge=0, lt=1)
    #: Distances per distance rule at which each conflict's area is measured exactly (evenly
    #: spaced over the range); a drawn distance between two of them interpolates linearly.
    distance_levels: int = Field(default=5, ge=2, le=50)
    #: A conflict (or kommun) is ``stable`` when its 5th and 95th percentile ranks lie within
    #: this factor of its base rank (rank_p95 <= factor x rank and rank_p05 >= rank / factor).
    stable_factor: float = Field(default=2.0, ge=1)


class Backtest(Strict):
    """``backtest``: features already decided, counted inside each rule's conflicts.

    ``layers`` absent: every ``wind`` layer of the catalogue holding points (the turbines,
    Vindbrukskollen's ``vindkraftverk`` in a real catalogue). A feature is built when its
    ``status`` is in ``built``, permitted when in ``permitted``.
    """

    layers: list[Identifier] | None = None
    built: list[str] = Field(default_factory=lambda: ["Uppfört"], min_length=1)
    permitted: list[str] = Field(default_factory=lambda: ["Beviljat"], min_length=1)
    #: An ``exclusion`` rule whose conflicts hold at least this many permitted features is
    #: flagged ``review``: what was permitted contradicts "excluded".
    review_permitted: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _disjoint_statuses(self) -> Backtest:
        both = sorted(set(self.built) & set(self.permitted))
        if both:
            raise ValueError(f"a status is built or permitted, not both: {', '.join(both)}")
        return self


def _code_text(value: object, digits: int) -> object:
    """YAML reads ``lan: 14`` and ``kommuner: [1442]`` as integers; codes are text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:0{digits}d}"
    return value


def _known_lan_code(value: str) -> str:
    """``value`` if it is the two-digit code of a län of Sweden, else ``ValueError``."""
    known = sweden_lan_codes()
    if value not in known:
        raise ValueError(
            f"'{value}' is not the two-digit code of a län of Sweden "
            f"(one of {', '.join(sorted(known))})"
        )
    return value


class ReportingUnits(Strict):
    """The layers and table that conflicts are attributed to; every key may be left out."""

    #: Catalogue layer of kommun boundaries (``feature_id`` = kommun code); absent: the SCB
    #: kommun boundaries shipped with the package.
    kommun_layer: Identifier | None = None
    #: Catalogue layer of FA regions; absent: the SCB FA regions shipped with the package.
    fa_layer: Identifier | None = None
    #: CSV with kommun_code, kommun_name, kommunalforbund (relative to rules.yaml); absent:
    #: the table shipped with the package (``reporting.KOMMUNALFORBUND_TABLE``).
    kommunalforbund_table: str = str(KOMMUNALFORBUND_TABLE)
    #: Län whose kommuner are reported on (all its kommuner appear in summaries).
    lan_code: str = DEFAULT_LAN

    @field_validator("lan_code", mode="before")
    @classmethod
    def _lan_text(cls, value: object) -> object:
        return _code_text(value, 2)

    @field_validator("lan_code")
    @classmethod
    def _known_lan(cls, value: str) -> str:
        return _known_lan_code(value)


class StudyArea(Strict):
    """Where conflicts are reported: exactly one of a län, kommuner, kommunalförbund or Sweden.

    ``{lan: "14"}`` (the default), ``{kommuner: ["1442", "1466"]}``,
    ``{kommunalforbund: [Sjuhärad]}`` or ``{sweden: true}``. Kommun and län codes are checked
    against Sweden's kommuner when the rules load; kommunalförbund names against the
    kommunalförbund table (:func:`pipeline.config.loading.load_rules`).
    """

    lan: str | None = None
    kommuner: list[str] | None = Field(default=None, min_length=1)
    kommunalforbund: list[str] | None = Field(default=None, min_length=1)
    sweden: Literal[True] | None = None

    @field_validator("lan", mode="before")
    @classmethod
    def _lan_text(cls, value: object) -> object:
        return _code_text(value, 2)

    @field_validator("kommuner", mode="before")
    @classmethod
    def _kommun_text(cls, value: object) -> object:
        return [_code_text(v, 4) for v in value] if isinstance(value, list) else value

    @field_validator("lan")
    @classmethod
    def _known_lan(cls, value: str | None) -> str | None:
        return None if value is None else _known_lan_code(value)

    @field_validator("kommuner")
    @classmethod
    def _known_kommuner(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        problems = [
            f"'{code}' is not a four-digit kommun code"
            if not re.fullmatch(r"\d{4}", code)
            else f"{code} is not a kommun of Sweden"
            for code in value
            if code not in sweden_kommuner()
        ]
        problems += [
            f"{code} is listed twice" for code in sorted(set(value)) if value.count(code) > 1
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @field_validator("kommunalforbund")
    @classmethod
    def _distinct_names(cls, value: list[str] | None) -> list[str] | None:
        twice = sorted({name for name in value or [] if (value or []).count(name) > 1})
        if twice:
            raise ValueError(f"listed twice: {', '.join(twice)}")
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> StudyArea:
        chosen = [key for key in STUDY_AREA_KINDS if getattr(self, key) is not None]
        if len(chosen) != 1:
            raise ValueError(
                "give exactly one of lan, kommuner, kommunalforbund or sweden: true"
                + (f" (got {', '.join(chosen)})" if chosen else "")
            )
        return self

    @property
    def kind(self) -> Literal["lan", "kommuner", "kommunalforbund", "sweden"]:
        """Which of the four ways the area is given."""
        for key in STUDY_AREA_KINDS:
            if getattr(self, key) is not None:
                return key
        raise AssertionError("a validated study area has one kind")

    def kommun_codes(self, kommunalforbund: pd.DataFrame, all_codes: Iterable[str]) -> list[str]:
        """The kommun codes the study area selects, ascending.

        Parameters
        ----------
        kommunalforbund
            The kommunalförbund table (:func:`pipeline.config.reporting.read_kommunalforbund`):
            columns ``kommun_code`` and ``kommunalforbund``.
        all_codes
            Every kommun code of Sweden (:func:`pipeline.config.reporting.sweden_kommuner`).

        Raises
        ------
        ValueError
            A kommunalförbund name the table does not have.
        """
        codes = sorted(set(all_codes))
        if self.sweden:
            return codes
        if self.lan is not None:
            return [code for code in codes if code[:2] == self.lan]
        if self.kommuner is not None:
            return sorted(self.kommuner)
        wanted = set(self.kommunalforbund or [])
        missing = sorted(wanted - set(kommunalforbund["kommunalforbund"]))
        if missing:
            known = ", ".join(sorted(set(kommunalforbund["kommunalforbund"])))
            raise ValueError(
                f"unknown kommunalförbund {', '.join(missing)} (the table has: {known})"
            )
        rows = kommunalforbund["kommunalforbund"].isin(wanted)
        return sorted(set(kommunalforbund.loc[rows, "kommun_code"]))


#: The keys of ``study_area``, of which exactly one is given.
STUDY_AREA_KINDS: tuple[Literal["lan", "kommuner", "kommunalforbund", "sweden"], ...] = (
    "lan",
    "kommuner",
    "kommunalforbund",
    "sweden",
)


class RuleSet(Strict):
    """``config/rules.yaml``."""

    version: Literal[1] = 1
    h3_resolution: int = Field(default=9, ge=7, le=11)
    #: Areal overlaps smaller than this are digitising noise (edges of neighbouring layers
    #: that almost coincide), not conflicts; point-in-polygon conflicts are always kept.
    min_conflict_area_m2: float = Field(default=10.0, ge=0)
    scoring: Scoring = Field(default_factory=Scoring)
    reporting_units: ReportingUnits = Field(default_factory=ReportingUnits)
    #: Where conflicts are reported; absent: the län ``reporting_units.lan_code``.
    study_area: StudyArea = Field(default_factory=lambda: StudyArea(lan=DEFAULT_LAN))
    #: Ranges of the rank-stability Monte Carlo and the one-at-a-time sensitivity.
    uncertainty: Uncertainty = Field(default_factory=Uncertainty)
    #: What the rules are checked against: turbines built and permitted, decided layers.
    backtest: Backtest = Field(default_factory=Backtest)
    rules: list[Rule]
    base_dir: Path = Path(".")

    @model_validator(mode="before")
    @classmethod
    def _default_study_area(cls, data: Any) -> Any:
        """No ``study_area``: the län of ``reporting_units.lan_code`` (else län 14)."""
        if isinstance(data, dict) and "study_area" not in data:
            units = data.get("reporting_units")
            lan = units.get("lan_code", DEFAULT_LAN) if isinstance(units, dict) else DEFAULT_LAN
            lan = _code_text(lan, 2)
            return {**data, "study_area": {"lan": lan}}
        return data

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
