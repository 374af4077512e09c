"""The table of source kinds: one model and one registry entry per kind, no import cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from pydantic import ValidationError

from pipeline.config.models import (
    SOURCE_KINDS,
    ArcGisSource,
    AtomSource,
    FileSource,
    HttpSource,
    OgcApiSource,
    SourceSpec,
    WfsSource,
)
from pipeline.sources import KINDS

SOURCES = Path(__file__).resolve().parents[2] / "pipeline" / "sources"


def test_every_kind_has_one_model_and_one_registry_entry() -> None:
    assert list(KINDS) == list(SOURCE_KINDS)
    assert {
        "file": FileSource,
        "http": HttpSource,
        "atom": AtomSource,
        "wfs": WfsSource,
        "ogcapi": OgcApiSource,
        "arcgis": ArcGisSource,
    } == SOURCE_KINDS


@pytest.mark.parametrize(
    "source,model",
    [
        ({"kind": "file", "path": "NR.zip", "member": "NR_polygon.shp"}, FileSource),
        ({"kind": "http", "url": "https://x/NR.zip", "encoding": "latin-1"}, HttpSource),
        ({"kind": "atom", "url": "https://x/feed.xml", "member": "a.gpkg"}, AtomSource),
        ({"kind": "wfs", "url": "https://x/wfs", "layer": "nr", "page_size": 10}, WfsSource),
        ({"kind": "ogcapi", "url": "https://x/ogc", "max_pages": 5}, OgcApiSource),
        ({"kind": "arcgis", "url": "https://x/MapServer", "layer": "0"}, ArcGisSource),
    ],
)
def test_each_kind_validates_into_its_own_model(source: dict[str, object], model: type) -> None:
    spec = SourceSpec.model_validate(source)
    assert type(spec.root) is model
    assert spec.kind == source["kind"]


@pytest.mark.parametrize(
    "source,where,message",
    [
        ({"kind": "file", "path": "a.gpkg", "page_size": 10}, ("page_size",), "Extra inputs"),
        ({"kind": "file", "path": "a.gpkg", "url": "https://x"}, ("url",), "Extra inputs"),
        ({"kind": "http", "url": "https://x/a.zip", "path": "a"}, ("path",), "Extra inputs"),
        ({"kind": "atom", "url": "https://x/f.xml", "max_pages": 3}, ("max_pages",), "Extra"),
        ({"kind": "wfs", "url": "https://x/wfs", "member": "a"}, ("layer",), "Field required"),
        ({"kind": "http"}, ("url",), "Field required"),
        ({"kind": "file", "path": "a.csv", "x_column": "E"}, (), "go together"),
        ({"kind": "ftp", "url": "ftp://x"}, ("kind",), "'file', 'http', 'atom', 'wfs'"),
        ({"path": "a.gpkg"}, ("kind",), "Input should be 'file'"),
    ],
)
def test_each_kind_takes_only_its_own_keys(
    source: dict[str, object], where: tuple[str, ...], message: str
) -> None:
    with pytest.raises(ValidationError) as info:
        SourceSpec.model_validate(source)
    errors = {error["loc"]: error["msg"] for error in info.value.errors()}
    assert where in errors, errors  # at the catalogue's key, without a kind tag
    assert message in errors[where]


def test_callers_read_the_common_keys_of_every_kind(tmp_path: Path) -> None:
    local = SourceSpec(kind="file", path="data/NR.zip", member="NR_polygon.shp")
    assert (local.path, local.url, local.member, local.layer) == (
        "data/NR.zip",
        None,
        "NR_polygon.shp",
        None,
    )
    assert local.location(tmp_path) == str(tmp_path / "data" / "NR.zip")
    remote = SourceSpec(kind="wfs", url="https://x/wfs", layer="ps:nr")
    assert (remote.path, remote.url, remote.member, remote.layer) == (
        None,
        "https://x/wfs",
        None,
        "ps:nr",
    )
    assert remote.location(tmp_path) == "https://x/wfs"


def sources_imports(path: Path) -> set[str]:
    """The ``pipeline.sources`` modules that ``path`` imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found |= {n.split(".")[2] for n in names if n.startswith("pipeline.sources.")}
    return found


def test_the_sources_modules_import_each_other_without_a_cycle() -> None:
    graph = {p.stem: sources_imports(p) for p in SOURCES.glob("*.py") if p.stem != "__init__"}
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, " -> ".join((*path, module))
        if module not in done:
            for imported in graph[module]:
                visit(imported, (*path, module))
            done.add(module)

    for module in graph:
        visit(module, ())
    assert "kinds" not in set().union(*graph.values())  # only the package imports the table
