"""Open a local HTML file in headless Chromium over the DevTools protocol (tests only).

Collects console errors, uncaught exceptions, failed loads and JavaScript dialogs (``alert``,
``confirm``, ``prompt``: each is recorded and dismissed) while the page loads and while it
evaluates expressions in the page. Needs Debian's ``chromium`` and the ``websockets`` package.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from websockets.sync.client import connect

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--remote-debugging-port=0",
]


def chromium_path() -> str | None:
    """The chromium binary, or None when it is not installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class PageReport:
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    values: dict[str, object] = field(default_factory=dict)
    screenshot: bytes | None = None
    pdf: bytes | None = None


def open_page(
    path: Path,
    expressions: dict[str, str],
    timeout: float = 30.0,
    *,
    screenshot: bool = False,
    pdf: bool = False,
) -> PageReport:
    """Load ``path`` and return errors, requested URLs and the value of each expression;
    with ``screenshot``, also a PNG of the whole page (``PageReport.screenshot``); with
    ``pdf``, the page printed as the print CSS asks (``PageReport.pdf``)."""
    binary = chromium_path()
    if binary is None:
        raise RuntimeError("chromium is not installed")
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        proc = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own group: we end chromium and its helpers only
        )
        try:
            port = _devtools_port(Path(profile), proc, timeout)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as response:
                pages = [t for t in json.load(response) if t["type"] == "page"]
            with connect(pages[0]["webSocketDebuggerUrl"], max_size=None) as ws:
                return _drive(ws, path, expressions, timeout, screenshot, pdf)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _devtools_port(profile: Path, proc: subprocess.Popen, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    port_file = profile / "DevToolsActivePort"
    while time.monotonic() < deadline:
        if port_file.exists():
            text = port_file.read_text().split()
            if text:
                return int(text[0])
        if proc.poll() is not None:
            raise RuntimeError(f"chromium exited with {proc.returncode}")
        time.sleep(0.05)
    raise TimeoutError("chromium did not open its DevTools port")


def _drive(ws, path: Path, expressions: dict[str, str], timeout: float,  # type: ignore[no-untyped-def]
           screenshot: bool = False, pdf: bool = False) -> PageReport:  # fmt: skip
    report = PageReport()
    counter = iter(range(1, 10_000))

    def send(method: str, **params: object) -> int:
        ident = next(counter)
        ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        return ident

    def handle(message: dict) -> None:
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            report.errors.append(details.get("exception", {}).get("description", str(details)))
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            report.errors.append(" ".join(str(a.get("value")) for a in params.get("args", [])))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            report.errors.append(params["entry"].get("text", ""))
        elif method == "Network.requestWillBeSent":
            report.requests.append(params["request"]["url"])
        elif method == "Network.loadingFailed":
            report.errors.append(f"load failed: {params.get('errorText')}")
        elif method == "Page.javascriptDialogOpening":
            report.dialogs.append(f"{params.get('type')}: {params.get('message')}")
            send("Page.handleJavaScriptDialog", accept=False)

    def wait_for(predicate, deadline: float) -> dict:  # type: ignore[no-untyped-def]
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("page did not answer in time")
            message = json.loads(ws.recv(timeout=remaining))
            handle(message)
            if predicate(message):
                return message

    deadline = time.monotonic() + timeout
    for method in ("Runtime.enable", "Log.enable", "Page.enable", "Network.enable"):
        ident = send(method)
        wait_for(lambda m, i=ident: m.get("id") == i, deadline)
    send("Page.navigate", url=path.resolve().as_uri())
    wait_for(lambda m: m.get("method") == "Page.loadEventFired", deadline)
    settle = time.monotonic() + 0.5
    while time.monotonic() < settle:
        try:
            handle(json.loads(ws.recv(timeout=max(0.01, settle - time.monotonic()))))
        except TimeoutError:
            break
    for name, expression in expressions.items():
        ident = send("Runtime.evaluate", expression=expression, returnByValue=True)
        answer = wait_for(lambda m, i=ident: m.get("id") == i, deadline)
        report.values[name] = answer["result"]["result"].get("value")
    if screenshot:
        ident = send("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        answer = wait_for(lambda m, i=ident: m.get("id") == i, deadline)
        report.screenshot = base64.b64decode(answer["result"]["data"])
    if pdf:
        ident = send("Page.printToPDF", preferCSSPageSize=True, printBackground=True)
        answer = wait_for(lambda m, i=ident: m.get("id") == i, deadline)
        report.pdf = base64.b64decode(answer["result"]["data"])
    return report
