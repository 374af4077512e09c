"""A failed or blocked night reaches a local webhook and a local SMTP server, without secrets."""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import dagster as dg
import pytest
from aiosmtpd.controller import Controller
from stages import make_world, point_env_at

from assets_defs.resources import LanduseSettings, landuse_settings
from pipeline.alerts import AlertDeliveryError, alert_settings, failed_night, notify

#: The secret part of a webhook URL, as Slack and Teams put it in the path.
SECRET_PATH = "/hooks/T000/B000/s3cr3tT0ken"


class _Hook(BaseHTTPRequestHandler):
    posts: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path != SECRET_PATH:
            self.send_response(500)
            self.end_headers()
            return
        _Hook.posts.append({"type": self.headers["Content-Type"], **json.loads(body)})
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:  # the server's log is not ours to check
        pass


@pytest.fixture
def webhook() -> Iterator[str]:
    _Hook.posts = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: object, session: object, envelope) -> str:  # type: ignore[no-untyped-def]
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, _Mailbox]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailbox = _Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, mailbox
    controller.stop()


def _configure(env: pytest.MonkeyPatch, hook: str, port: int) -> None:
    env.setenv("LANDUSE_ALERT_WEBHOOK_URL", hook + SECRET_PATH)
    env.setenv("LANDUSE_ALERT_SMTP_HOST", "127.0.0.1")
    env.setenv("LANDUSE_ALERT_SMTP_PORT", str(port))
    env.setenv("LANDUSE_ALERT_SMTP_SECURITY", "none")
    env.setenv("LANDUSE_ALERT_EMAIL_TO", "drift@example.se, gis@example.se")


def _landuse() -> LanduseSettings:
    """The resource as the definitions build it: each variable set is a ``dg.EnvVar``, which
    Dagster resolves when the sensor runs."""
    return landuse_settings(os.environ, as_env_vars=True)


def _blocked_run(instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    """A run stopped by a failed blocking check, as a night with a missing required layer."""

    @dg.asset(name="layer_status")
    def layer_status() -> None:
        return None

    @dg.asset_check(asset=layer_status, name="layer_status_required_layers_present", blocking=True)
    def required() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=False, metadata={"detail": "natura2000 (failed)"})

    @dg.asset(deps=[layer_status])
    def landuse_duckdb() -> None:
        return None

    return dg.materialize(
        [layer_status, required, landuse_duckdb], instance=instance, raise_on_error=False
    )


def test_a_blocked_night_is_posted_and_mailed_by_the_failure_sensor(
    tmp_path: Path, clean_env: pytest.MonkeyPatch, webhook: str, smtp: tuple[int, _Mailbox]
) -> None:
    from assets_defs.alerts import failed_night_alert

    world = make_world(tmp_path)
    point_env_at(clean_env, world)
    port, mailbox = smtp
    _configure(clean_env, webhook, port)
    instance = dg.DagsterInstance.ephemeral()
    result = _blocked_run(instance)
    assert not result.success
    context = dg.build_run_status_sensor_context(
        sensor_name=failed_night_alert.name,
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=result.get_run_failure_event(),
        resources={"landuse": _landuse()},
    ).for_run_failure()
    failed_night_alert(context)

    (post,) = _Hook.posts
    assert post["type"] == "application/json"
    assert post["text"].startswith("landuse-conflicts: nightly run BLOCKED")
    assert "check layer_status_required_layers_present FAILED: natura2000 (failed)" in post["text"]
    assert result.run_id in post["text"]
    ((recipients, raw),) = mailbox.messages
    assert recipients == ["drift@example.se", "gis@example.se"]
    mail = message_from_bytes(raw, policy=policy.default)
    assert mail["Subject"] == "landuse-conflicts: nightly run BLOCKED"
    assert "BLOCKED: a blocking check stopped publication." in mail.get_content()
    assert "natura2000 (failed)" in mail.get_content()


def test_make_run_runs_are_left_to_make_run(
    clean_env: pytest.MonkeyPatch, webhook: str, smtp: tuple[int, _Mailbox]
) -> None:
    from assets_defs.alerts import failed_night_alert
    from assets_defs.runs import CLI_RUN_TAG

    _configure(clean_env, webhook, smtp[0])
    instance = dg.DagsterInstance.ephemeral()
    run = instance.add_run(
        dg.DagsterRun(job_name="nightly", run_id="cli-run", status=dg.DagsterRunStatus.FAILURE,
                      tags={CLI_RUN_TAG: "1"})
    )  # fmt: skip
    context = dg.build_run_status_sensor_context(
        sensor_name=failed_night_alert.name,
        dagster_instance=instance,
        dagster_run=run,
        dagster_event=dg.DagsterEvent(
            event_type_value=dg.DagsterEventType.RUN_FAILURE.value, job_name="nightly"
        ),
        resources={"landuse": _landuse()},
    ).for_run_failure()
    failed_night_alert(context)
    assert _Hook.posts == [] and smtp[1].messages == []


def test_a_failing_channel_is_named_without_its_secret_and_the_other_still_sent(
    webhook: str, smtp: tuple[int, _Mailbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, mailbox = smtp
    settings = alert_settings(
        {
            "LANDUSE_ALERT_WEBHOOK_URL": webhook + "/hooks/T000/B000/wrongs3cr3t",
            "LANDUSE_ALERT_SMTP_HOST": "127.0.0.1",
            "LANDUSE_ALERT_SMTP_PORT": str(port),
            "LANDUSE_ALERT_SMTP_SECURITY": "none",
            "LANDUSE_ALERT_EMAIL_TO": "drift@example.se",
        }
    )
    assert "wrongs3cr3t" not in repr(settings)
    alert = failed_night("r1", ["  step conflict_tables: disk full"], data_dir="/srv/data")
    assert alert.subject == "landuse-conflicts: nightly run FAILED"
    with pytest.raises(AlertDeliveryError, match=r"webhook 127\.0\.0\.1: HTTPError") as caught:
        notify(settings, alert)
    assert "wrongs3cr3t" not in str(caught.value)
    assert len(mailbox.messages) == 1  # the e-mail went out although the webhook failed


def test_no_channel_sends_nothing_and_bad_settings_name_the_variable() -> None:
    assert notify(alert_settings({}), failed_night("r", [], data_dir="d")) == []
    with pytest.raises(ValueError, match="LANDUSE_ALERT_SMTP_SECURITY is 'tls'; allowed"):
        alert_settings({"LANDUSE_ALERT_SMTP_SECURITY": "tls"})
    with pytest.raises(ValueError, match="LANDUSE_ALERT_WEBHOOK_URL must be an http"):
        alert_settings({"LANDUSE_ALERT_WEBHOOK_URL": "file:///etc/passwd"})
