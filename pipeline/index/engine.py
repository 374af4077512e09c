"""Where the coverage of a large layer is computed: in-process or on a dask.distributed cluster.

Small layers run in the calling process (a cluster costs a few seconds to start). Large
layers are cut into chunks of features and spread over a dask.distributed cluster: by
default a ``LocalCluster`` with one single-threaded worker process per core, started on first
use and reused for the rest of the process; set ``LANDUSE_DASK_SCHEDULER`` to a scheduler
address (``tcp://host:8786``) to use an existing cluster instead. At most two chunks per
worker are in flight, so memory stays bounded by the chunk size, not the layer size.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

SCHEDULER_ENV = "LANDUSE_DASK_SCHEDULER"
#: Set to ``0`` to force in-process work (e.g. inside a process that must not fork).
PARALLEL_ENV = "LANDUSE_INDEX_PARALLEL"

_client: Any = None
_cluster: Any = None


def parallel_enabled() -> bool:
    """False when ``LANDUSE_INDEX_PARALLEL=0``."""
    return os.environ.get(PARALLEL_ENV, "1").strip() not in ("0", "false", "no")


def get_client() -> Any:
    """The shared ``distributed.Client`` (created on first call)."""
    global _client, _cluster
    if _client is not None and _client.status == "running":
        return _client
    from distributed import Client, LocalCluster

    address = os.environ.get(SCHEDULER_ENV, "").strip()
    if address:
        _client = Client(address)
    else:
        _cluster = LocalCluster(
            n_workers=os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            # loopback only: the scheduler, the workers and the dashboard (which has no login)
            # are never reachable from another machine; port 0: never clashes with another
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            silence_logs=40,
        )
        _client = Client(_cluster)
    atexit.register(close_client)
    return _client


def close_client() -> None:
    """Close the shared client and the local cluster it started, if any."""
    global _client, _cluster
    if _client is not None:
        _client.close()
        _client = None
    if _cluster is not None:
        _cluster.close()
        _cluster = None


def map_bounded(func: Callable[..., Any], chunks: Sequence[Any], *args: Any) -> Iterator[Any]:
    """Run ``func(chunk, *args)`` for every chunk on the cluster; yield results in order.

    At most ``2 × workers`` chunks are submitted at a time.
    """
    from distributed import as_completed

    client = get_client()
    n_workers = max(1, len(client.scheduler_info().get("workers", {})))
    window = 2 * n_workers
    results: dict[int, Any] = {}
    futures = {}
    nxt = 0
    pending = as_completed()

    def submit(i: int) -> None:
        # Scatter first: large arguments embedded in the task graph are slow and warned about.
        data = client.scatter(chunks[i], direct=True)
        fut = client.submit(func, data, *args, pure=False)
        futures[fut.key] = i
        pending.add(fut)

    while nxt < len(chunks) and nxt < window:
        submit(nxt)
        nxt += 1
    emitted = 0
    for fut in pending:
        results[futures.pop(fut.key)] = fut.result()
        fut.release()
        if nxt < len(chunks):
            submit(nxt)
            nxt += 1
        while emitted in results:
            yield results.pop(emitted)
            emitted += 1
