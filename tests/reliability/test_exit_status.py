"""Honest exit status and no leaked secrets: `make run` on a tiny world whose remote layer
fails (a token in its parameters) exits 2 and names the layer, its source and the problem;
the token is in no file the run wrote and in none of its output."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyogrio
import pytest
import yaml
from make_run import run_cli
from stages import make_world, rows

from pipeline.layout import DataLayout

TOKEN = "s3cr3t-Tok3n-4711"


class _Refusing(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(404)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"no such layer")

    def log_message(self, *args: object) -> None:  # the server's log is not ours to check
        return


@pytest.fixture
def refusing_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _add_remote_layer(root: Path, base_url: str) -> None:
    path = root / "catalogue.yaml"
    catalogue = yaml.safe_load(path.read_text(encoding="utf-8"))
    catalogue["layers"].append(
        {
            "name": "vindbruk_remote",
            "title": "Vindbruk (remote)",
            "theme": "wind",
            "required": False,
            "source": {
                "kind": "http",
                "url": f"{base_url}/vindbruk.gpkg",
                "params": {"token": TOKEN},
            },
            "id_field": "id",
        }
    )
    path.write_text(yaml.safe_dump(catalogue, allow_unicode=True), encoding="utf-8")


def _write_ahead_logs(root: Path) -> list[Path]:
    """DuckDB write-ahead logs under ``root``: a database the process still held open for
    writing when it ended. The CLI freezes every object at exit (``gc.freeze``), so nothing
    left open is closed for it by a last collection."""
    return sorted(root.rglob("*.wal"))


def _files_holding(root: Path, text: str) -> list[Path]:
    needle = text.encode()
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


@pytest.mark.slow
def test_failed_layer_exits_2_names_it_and_leaks_no_token(
    tmp_path: Path, refusing_server: str
) -> None:
    make_world(tmp_path)
    _add_remote_layer(tmp_path, refusing_server)
    finished = run_cli(tmp_path)
    assert finished.code == 2, finished.output[-3000:]
    assert "NOT COMPLETE (exit code 2):" in finished.output
    line = next(x for x in finished.output.splitlines() if "layer vindbruk_remote FAILED" in x)
    assert f"{refusing_server}/vindbruk.gpkg?token=***" in line and "HTTP 404" in line
    # the rule whose side A takes every wind layer is unknown, read from the new release
    assert "  rule wind_farmland UNKNOWN: layers missing vindbruk_remote" in finished.output
    assert TOKEN not in finished.output

    out = DataLayout(tmp_path / "work").out
    query = "SELECT error FROM mart.layer_status WHERE layer = 'vindbruk_remote'"
    ((error,),) = rows(out / "landuse.duckdb", query)
    assert "token=***" in error and TOKEN not in error
    gpkg = pyogrio.read_dataframe(out / "conflicts.gpkg", layer="layer_status")
    assert "token=***" in gpkg.loc[gpkg["layer"] == "vindbruk_remote", "error"].item()
    summary = json.loads((out / "run_summary.json").read_text(encoding="utf-8"))
    (listed,) = summary["layers_not_fresh"]
    assert (listed["layer"], listed["status"]) == ("vindbruk_remote", "failed")
    assert listed["source"].startswith(f"{refusing_server}/vindbruk.gpkg")
    assert "HTTP 404" in listed["problem"]
    # nowhere: not the data folder (caches, state, releases) nor Dagster's event log
    assert _files_holding(tmp_path / "work", TOKEN) == []
    assert _files_holding(tmp_path / "dagster_home", TOKEN) == []
    assert _write_ahead_logs(tmp_path / "work") == []


def test_configuration_error_is_one_line_and_exit_4(tmp_path: Path) -> None:
    make_world(tmp_path)
    (tmp_path / "catalogue.yaml").write_text("version: 1\nlayers: [{name: Bad Name}]\n")
    finished = run_cli(tmp_path, dagster_home=False)
    assert finished.code == 4, finished.output
    lines = finished.output.strip().splitlines()
    assert len(lines) == 1, finished.output
    assert lines[0].startswith(f"Configuration error in {tmp_path / 'catalogue.yaml'}: ")
    assert "Traceback" not in finished.output


def test_a_projection_without_the_study_areas_kommuner_is_exit_4(tmp_path: Path) -> None:
    """A scenarios file beside the rules whose projection lacks a kommun of the study area
    stops the night before it starts, naming the projection file and the kommun."""
    make_world(tmp_path)
    (tmp_path / "prognos.csv").write_text(
        "kommun_kod,kommun_namn,ar,folkmangd\n1480,Göteborg,2025,100\n1480,Göteborg,2040,110\n",
        encoding="utf-8",
    )
    (tmp_path / "scenarios.yaml").write_text(
        "horizon_year: 2040\ngrowth: {projection: prognos.csv}\ncontext: {tatorter: kommuner, "
        "population: kommuner, stops: kommuner}\nfarmland: {layers: [akermark_klass]}\n"
        "riksintressen: {layers: [natura2000]}\nevaluated_as: {development: {themes: "
        "[development]}, wind: {layers: [vindbruksomraden]}}\nscenarios: [{name: a, title: A, "
        "method: ranked, dwellings_per_ha: 20}]\n",
        encoding="utf-8",
    )
    finished = run_cli(tmp_path, dagster_home=False)
    assert finished.code == 4, finished.output
    # the header lines, then one line naming the projection (it is data: read once the run
    # knows its study area, before the night starts)
    line = finished.output.strip().splitlines()[-1]
    assert line.startswith(f"Configuration error in {tmp_path / 'prognos.csv'}: ")
    assert "Running the nightly job" not in finished.output
    assert "kommun 1481 has no row for year 2025" in line
    assert "Traceback" not in finished.output


HOLD = """
import sys
from pathlib import Path
from pipeline.layout import DataLayout
from pipeline.locking import writer_lock
with writer_lock(DataLayout(Path(sys.argv[1]))):
    print("held", flush=True)
    sys.stdin.readline()
"""


def test_second_make_run_is_refused_naming_the_writer_and_exit_3(tmp_path: Path) -> None:
    make_world(tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path / "work")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        finished = run_cli(tmp_path, dagster_home=False)
    finally:
        holder.kill()
        holder.wait()
    assert finished.code == 3, finished.output
    assert f"Not started: another pipeline run (pid {holder.pid}) is writing" in finished.output


@pytest.mark.slow
def test_a_reader_closing_the_output_does_not_fail_the_night(tmp_path: Path) -> None:
    """`make run | head -1`: the reader leaves after one line, every later line (the steps'
    progress, the summary) meets a closed pipe. The night still completes and says so.
    Without DAGSTER_HOME the steps print straight to the pipe (no compute-log capture), so
    both the steps' lines and the summary's meet it."""
    from make_run import GIVE_UP_S, cli_env

    from pipeline.config.settings import PROJECT_ROOT

    make_world(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "assets_defs.cli", "run"],
        cwd=PROJECT_ROOT, env=cli_env(tmp_path, dagster_home=False),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().startswith("Catalogue:")
    proc.stdout.close()
    code = proc.wait(timeout=GIVE_UP_S)
    error = proc.stderr.read()
    assert code == 0, error
    assert "standard output was closed by its reader" in error
    assert "Traceback" not in error
    layout = DataLayout(tmp_path / "work")
    assert rows(layout.history_db, "SELECT outcome FROM runs") == [("published",)]
    assert _write_ahead_logs(tmp_path / "work") == []
