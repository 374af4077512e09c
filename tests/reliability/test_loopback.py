"""Every service the pipeline starts listens on loopback only: the dask scheduler, its
workers and its dashboard (which has no login)."""

from __future__ import annotations

import psutil

from pipeline.index import engine

LOOPBACK = {"127.0.0.1", "::1"}


def _listening(process: psutil.Process) -> list[str]:
    return [
        c.laddr.ip for c in process.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN
    ]


def test_dask_cluster_and_dashboard_listen_on_loopback_only() -> None:
    client = engine.get_client()
    try:
        me = psutil.Process()
        workers = me.children(recursive=True)
        addresses = _listening(me) + [ip for w in workers for ip in _listening(w)]
        dashboard = client.scheduler_info()["services"]["dashboard"]
        assert dashboard  # the dashboard runs (on its own port) ...
        assert addresses and set(addresses) <= LOOPBACK, addresses  # ... and all on loopback
        assert client.scheduler.address.startswith("tcp://127.0.0.1:")
    finally:
        engine.close_client()
