"""Each source observed without fetching: its fingerprint is the SHA-256 ingest records, and
the observer records an observation only for a source that changed."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import pytest
import yaml
from stages import World, load_world, point_env_at

from assets_defs.resources import LanduseSettings
from pipeline.fileio import sha256_file
from pipeline.ingest import read_outcome, run_ingest
from pipeline.ingest.observe import MISSING, NEVER_FETCHED, observe_source


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # the server's log is not ours to check
        pass


@pytest.fixture
def served(world: World) -> Iterator[str]:
    """The world's data folder over HTTP on a loopback port."""
    handler = functools.partial(_Quiet, directory=str(world.root / "data"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _natura_over_http(world: World, base_url: str) -> World:
    """The world with natura2000 fetched over HTTP instead of read from a file."""
    path = world.settings.catalogue_path
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    (entry,) = [layer for layer in data["layers"] if layer["name"] == "natura2000"]
    entry["source"] = {"kind": "http", "url": f"{base_url}/natura2000.geojson"}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_world(world.root, path, world.settings.rules_path)


def test_fingerprints_are_what_ingest_records_and_remote_ones_are_never_fetched(
    world: World, served: str
) -> None:
    world = _natura_over_http(world, served)
    layout, catalogue = world.settings.layout, world.catalogue
    natura = catalogue.layer("natura2000")
    kommuner = catalogue.layer("kommuner")
    # before any night: a local file is hashed, a remote source has no fingerprint yet
    assert observe_source(natura, base_dir=catalogue.base_dir, layout=layout).version == (
        NEVER_FETCHED
    )
    local = observe_source(kommuner, base_dir=catalogue.base_dir, layout=layout)
    assert local.version == sha256_file(world.root / "data" / "kommuner.gpkg")
    for spec in (natura, kommuner):
        run_ingest(spec, base_dir=catalogue.base_dir, layout=layout)
    for spec in (natura, kommuner):
        outcome = read_outcome(layout, spec.name)
        assert outcome is not None and outcome.provenance is not None
        stamp = observe_source(spec, base_dir=catalogue.base_dir, layout=layout)
        assert stamp.version == outcome.provenance.sha256, spec.name
    remote = observe_source(natura, base_dir=catalogue.base_dir, layout=layout)
    assert remote.version == sha256_file(world.root / "data" / "natura2000.geojson")
    assert remote.changed_at  # the last fetch
    # the server gone, observing still works: nothing is fetched to observe
    (world.root / "data" / "natura2000.geojson").unlink()
    assert observe_source(natura, base_dir=catalogue.base_dir, layout=layout) == remote
    (world.root / "data" / "kommuner.gpkg").unlink()
    gone = observe_source(kommuner, base_dir=catalogue.base_dir, layout=layout)
    assert gone.version == MISSING


def test_the_observer_records_a_change_once_and_ingest_depends_on_the_source(
    world: World, clean_env: pytest.MonkeyPatch
) -> None:
    point_env_at(clean_env, world)
    from assets_defs.ingest.sources import source_observer
    from pipeline.definitions import defs

    definitions = defs()
    graph = definitions.resolve_asset_graph()
    natura = dg.AssetKey("natura2000_source")
    assert graph.get(natura).is_external and not graph.get(natura).is_materializable
    assert natura in graph.get(dg.AssetKey("natura2000_features")).parent_keys
    # the nightly job executes no source asset
    executable = definitions.resolve_job_def("nightly").asset_layer.executable_asset_keys
    assert not {key for key in executable if key.path[-1].endswith("_source")}

    instance = dg.DagsterInstance.ephemeral()
    landuse = LanduseSettings(data_dir=str(world.settings.data_dir))

    def tick(cursor: str | None) -> dg.SensorResult:
        context = dg.build_sensor_context(
            instance=instance, cursor=cursor, resources={"landuse": landuse}
        )
        result = source_observer(context)
        assert isinstance(result, dg.SensorResult)
        for event in result.asset_events or []:  # as the daemon records them
            instance.report_runless_asset_event(event)
        return result

    first = tick(None)
    observed = {
        e.asset_key.path[-1]: e.tags or {}
        for e in first.asset_events or []
        if isinstance(e, dg.AssetObservation)
    }
    assert set(observed) == {f"{name}_source" for name in world.catalogue.names}
    file = world.root / "data" / "natura2000.geojson"
    assert observed["natura2000_source"]["dagster/data_version"] == sha256_file(file)
    second = tick(first.cursor)
    assert not second.asset_events  # nothing changed: nothing recorded
    file.write_bytes(file.read_bytes() + b"\n")
    third = tick(second.cursor)
    assert [e.asset_key for e in third.asset_events or []] == [natura]
    # the instance's event log: the latest observation carries the new fingerprint
    latest = instance.get_latest_data_version_record(natura)
    assert latest is not None
    observation = latest.asset_observation
    assert observation is not None and observation.tags["dagster/data_version"] == sha256_file(file)
