"""Send one alert to a Teams/Slack-style webhook and/or by e-mail over SMTP.

Configuration is the environment, and only the environment (README, *Alerts*), so secrets
never sit in a file of the repository:

========================================  ==================================================
``LANDUSE_ALERT_WEBHOOK_URL``             incoming-webhook URL (Slack, Teams, Mattermost…);
                                          receives ``{"text": …}`` as JSON. A secret.
``LANDUSE_ALERT_SMTP_HOST``               SMTP server; e-mail is sent when this and
                                          ``LANDUSE_ALERT_EMAIL_TO`` are set
``LANDUSE_ALERT_SMTP_PORT``               default 587 (``STARTTLS``), or 465 with ``SSL``
``LANDUSE_ALERT_SMTP_SECURITY``           ``starttls`` (default), ``ssl`` or ``none``
``LANDUSE_ALERT_SMTP_USER`` / ``…_PASSWORD``  login, when the server wants one. A secret.
``LANDUSE_ALERT_EMAIL_FROM``              sender (default ``landuse-conflicts@<host>``)
``LANDUSE_ALERT_EMAIL_TO``                recipients, comma-separated
========================================  ==================================================

Nothing here logs or returns a secret: delivery lines name the webhook by its host only and
the mail server by host and port, and errors are re-raised with the URL's path removed.
"""

from __future__ import annotations

import json
import smtplib
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import urlsplit

#: Seconds a webhook post or an SMTP conversation may take.
TIMEOUT_S = 20.0
SECURITY = ("starttls", "ssl", "none")
PREFIX = "LANDUSE_ALERT_"


@dataclass(frozen=True)
class Alert:
    """One message: a subject line and a plain-text body."""

    subject: str
    body: str

    @property
    def text(self) -> str:
        """Subject and body as one message (the webhook's ``text``)."""
        return f"{self.subject}\n\n{self.body}"


@dataclass(frozen=True, repr=False)
class AlertSettings:
    """Where alerts go (module doc). ``repr`` hides the secrets."""

    webhook_url: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_user: str | None = None
    smtp_password: str | None = None
    email_from: str | None = None
    email_to: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"AlertSettings({', '.join(self.channels()) or 'no channel'})"

    def channels(self) -> list[str]:
        """The configured channels, named without secrets."""
        names = []
        if self.webhook_url:
            names.append(f"webhook {urlsplit(self.webhook_url).hostname}")
        if self.smtp_host and self.email_to:
            names.append(f"e-mail via {self.smtp_host}:{self.smtp_port} to {len(self.email_to)}")
        return names


def alert_settings(environ: Mapping[str, str]) -> AlertSettings:
    """Read :class:`AlertSettings` from ``environ`` (``os.environ``).

    Raises
    ------
    ValueError
        Naming the variable and the allowed values, for a bad port, security or URL.
    """

    def get(name: str) -> str | None:
        value = environ.get(PREFIX + name, "").strip()
        return value or None

    url = get("WEBHOOK_URL")
    if url is not None and urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"{PREFIX}WEBHOOK_URL must be an http(s) URL")
    security = (get("SMTP_SECURITY") or "starttls").lower()
    if security not in SECURITY:
        raise ValueError(f"{PREFIX}SMTP_SECURITY is {security!r}; allowed: {', '.join(SECURITY)}")
    port_text = get("SMTP_PORT") or ("465" if security == "ssl" else "587")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"{PREFIX}SMTP_PORT is {port_text!r}; allowed: a port 1-65535")
    host = get("SMTP_HOST")
    recipients = tuple(a.strip() for a in (get("EMAIL_TO") or "").split(",") if a.strip())
    return AlertSettings(
        webhook_url=url,
        smtp_host=host,
        smtp_port=int(port_text),
        smtp_security=security,
        smtp_user=get("SMTP_USER"),
        smtp_password=get("SMTP_PASSWORD"),
        email_from=get("EMAIL_FROM") or f"landuse-conflicts@{socket.getfqdn()}",
        email_to=recipients,
    )


def failed_night(run_id: str, lines: list[str], *, data_dir: str) -> Alert:
    """The alert of a failed night: ``BLOCKED`` when a blocking check stopped publication
    (a line ``check … FAILED``), ``FAILED`` otherwise; ``lines`` name each failure."""
    blocked = any(line.strip().startswith("check ") for line in lines)
    what = "BLOCKED" if blocked else "FAILED"
    why = ": a blocking check stopped publication" if blocked else ""
    body = [
        f"Nightly run {run_id} {what}{why}.",
        f"Nothing new was published; {data_dir}/out stays at the last release.",
        "",
        *(line.strip() for line in lines),
        "",
        f"Details: the run's event log in the Dagster UI (run {run_id}).",
    ]
    return Alert(subject=f"landuse-conflicts: nightly run {what}", body="\n".join(body))


class AlertDeliveryError(RuntimeError):
    """At least one channel failed; the message names each, without secrets."""


def notify(settings: AlertSettings, alert: Alert) -> list[str]:
    """Send ``alert`` on every configured channel; return one line per delivery.

    Every channel is tried even when one fails; then :class:`AlertDeliveryError` names each
    failure. With no channel configured nothing is sent and the list is empty.
    """
    lines: list[str] = []
    failures: list[str] = []
    if settings.webhook_url:
        host = urlsplit(settings.webhook_url).hostname
        try:
            post_webhook(settings.webhook_url, alert)
            lines.append(f"alert posted to webhook {host}")
        except (OSError, urllib.error.URLError) as exc:
            failures.append(f"webhook {host}: {_without_url(exc, settings.webhook_url)}")
    if settings.smtp_host and settings.email_to:
        where = f"{settings.smtp_host}:{settings.smtp_port}"
        try:
            send_email(settings, alert)
            lines.append(f"alert e-mailed via {where} to {', '.join(settings.email_to)}")
        except (OSError, smtplib.SMTPException) as exc:
            failures.append(f"e-mail via {where}: {type(exc).__name__}: {exc}")
    if failures:
        raise AlertDeliveryError("alert not delivered: " + "; ".join(failures))
    return lines


def _without_url(exc: BaseException, url: str) -> str:
    """The error's text with the (secret) URL and its path removed."""
    text = f"{type(exc).__name__}: {exc}".replace(url, "<webhook>")
    path = urlsplit(url).path
    return text.replace(path, "/***") if path not in ("", "/") else text


def post_webhook(url: str, alert: Alert) -> None:
    """POST ``{"text": …}`` (what Slack and Teams incoming webhooks take) to ``url``.

    Raises
    ------
    urllib.error.HTTPError
        When the server answers with a status of 400 or more.
    """
    data = json.dumps({"text": alert.text}).encode("utf-8")
    request = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
        response.read()


def send_email(settings: AlertSettings, alert: Alert) -> None:
    """Send ``alert`` as a plain-text e-mail to every recipient of ``settings``."""
    if settings.smtp_host is None:
        raise ValueError("no SMTP host configured")
    message = EmailMessage()
    message["Subject"] = alert.subject
    message["From"] = settings.email_from or "landuse-conflicts"
    message["To"] = ", ".join(settings.email_to)
    message.set_content(alert.body)
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if settings.smtp_security == "ssl":
        smtp = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_S, context=context
        )
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_S)
    with smtp:
        if settings.smtp_security == "starttls":
            smtp.starttls(context=context)
        if settings.smtp_user and settings.smtp_password:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(message)
