"""Secrets in remote sources: resolved from the environment, never in a message or a log."""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError
from sources_server import FAST, FakeServer, Reply, Request, points, running_server

from pipeline.config.errors import LayerError
from pipeline.config.models import SourceSpec, redact_query
from pipeline.sources import fetch_source, read_fetched
from pipeline.sources.secrets import RedactedError, Secrets

SECRET = "s3cret"
GEOJSON = {"Content-Type": "application/geo+json"}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    """The module's HTTP server on 127.0.0.1 (a fixture here, not in a ``conftest.py``)."""
    with running_server() as fake:
        yield fake


def failure(spec: SourceSpec, tmp_path: Path, env: dict[str, str] | None = None) -> LayerError:
    with pytest.raises(LayerError) as info:
        fetch_source("nr", spec, tmp_path, tmp_path, policy=FAST, env=env or {})
    return info.value


def printed(error: BaseException) -> str:
    """Everything a logged traceback of ``error`` shows, chained causes included."""
    return "".join(traceback.format_exception(error))


def test_a_failing_source_never_shows_its_token(server: FakeServer, tmp_path: Path) -> None:
    url = server.route("/locked/wfs", lambda r: Reply(403, b"forbidden"))
    spec = SourceSpec(kind="wfs", url=url, layer="nr", params={"token": SECRET})
    error = failure(spec, tmp_path)
    assert "HTTP 403 Forbidden" in str(error) and "token=***" in str(error)
    assert SECRET not in printed(error)
    assert SECRET not in spec.location(tmp_path) and SECRET not in repr(spec)
    assert server.queries("/locked/wfs")[0]["token"] == SECRET  # it was sent


def test_a_token_in_the_url_itself_is_redacted(server: FakeServer, tmp_path: Path) -> None:
    url = server.route("/gone/NR.zip", lambda r: Reply(404, b"")) + f"?api_key={SECRET}"
    spec = SourceSpec(kind="http", url=url)
    assert spec.location(tmp_path).endswith("/gone/NR.zip?api_key=***")
    error = failure(spec, tmp_path)
    assert error.source == spec.location(tmp_path)
    assert SECRET not in printed(error)


def test_environment_values_are_sent_but_never_shown(server: FakeServer, tmp_path: Path) -> None:
    seen: list[Request] = []

    def echo(request: Request) -> Reply:  # an error that quotes the request, as some do
        seen.append(request)
        text = f"<ows:ExceptionReport><ows:ExceptionText>bad apiCode {request.query['apicode']}"
        return Reply(200, (text + "</ows:ExceptionText></ows:ExceptionReport>").encode())

    url = server.route("/echo/wfs", echo)
    spec = SourceSpec(
        kind="wfs",
        url=url,
        layer="nr",
        params={"apiCode": "${LST_CODE}"},
        headers={"Authorization": "Bearer ${LST_TOKEN}"},
    )
    error = failure(spec, tmp_path, {"LST_CODE": SECRET, "LST_TOKEN": "t0ken-value"})
    assert seen[0].query["apicode"] == SECRET
    assert seen[0].headers["authorization"] == "Bearer t0ken-value"
    assert "bad apiCode ***" in str(error) and "apiCode=***" in str(error)
    assert SECRET not in printed(error) and "t0ken-value" not in printed(error)
    assert "${LST_CODE}" in spec.root.params["apiCode"]  # the spec keeps the reference


def test_a_missing_environment_variable_is_named(tmp_path: Path) -> None:
    spec = SourceSpec(kind="http", url="http://127.0.0.1:9/NR.zip", params={"t": "${NOPE}"})
    error = failure(spec, tmp_path)
    assert "environment variable not set: NOPE (in params.t)" in str(error)


def test_a_successful_fetch_logs_and_stores_no_secret(
    server: FakeServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    body = json.dumps({"type": "FeatureCollection", "features": points(2)}).encode()
    url = server.route("/open/nr.geojson", lambda r: Reply(200, body, GEOJSON))
    spec = SourceSpec(kind="http", url=url, params={"sig": "${SAS}"}, redact=["sig"])
    caplog.set_level(logging.INFO, logger="httpx")
    fetched = fetch_source("nr", spec, tmp_path, tmp_path, policy=FAST, env={"SAS": SECRET})
    assert len(read_fetched(fetched, spec)) == 2
    assert "HTTP Request: GET" in caplog.text and "sig=***" in caplog.text
    assert SECRET not in caplog.text
    assert SECRET not in fetched.location
    assert all(SECRET not in p.read_text() for p in (tmp_path / "http").glob("*.meta.json"))


def test_custom_secret_names_are_redacted(server: FakeServer, tmp_path: Path) -> None:
    url = server.route("/custom/nr.zip", lambda r: Reply(500, b""))
    spec = SourceSpec(kind="http", url=url, params={"nyckelkod": SECRET}, redact=["nyckelkod"])
    assert SECRET not in printed(failure(spec, tmp_path))


def test_configuration_errors_do_not_quote_secrets() -> None:
    with pytest.raises(ValidationError) as info:
        SourceSpec.model_validate(
            {"kind": "wfs", "params": {"token": SECRET}, "headers": {"X-Auth": SECRET}}
        )
    assert "url" in str(info.value) and SECRET not in str(info.value)


def test_scrubbing_covers_encoded_values_and_secret_names() -> None:
    spec = SourceSpec(kind="http", url="https://x/a.zip", params={"q": "${K}"}).root
    secrets = Secrets.of(spec, {"K": "a b/c"})
    assert secrets.scrub("https://x/a.zip?q=a%20b%2Fc&other=a+b%2Fc") == (
        "https://x/a.zip?q=***&other=***"
    )
    assert redact_query("see https://x/?ACCESS_TOKEN=abc&n=1 and ?Api-Key=z") == (
        "see https://x/?ACCESS_TOKEN=***&n=1 and ?Api-Key=***"
    )


def test_an_exception_chain_holding_a_secret_is_replaced() -> None:
    spec = SourceSpec(kind="http", url="https://x/a.zip", headers={"Authorization": SECRET}).root
    secrets = Secrets.of(spec, {})
    outer = ValueError("request failed")
    outer.__cause__ = OSError(f"header value {SECRET!r} refused")
    clean = secrets.without_secrets(outer)
    assert clean is outer
    assert isinstance(clean.__cause__, RedactedError)
    assert "OSError: header value '***' refused" in str(clean.__cause__)
    assert SECRET not in printed(clean)
