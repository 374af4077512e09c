"""Where the coverage of a layer is computed: in-process or on a dask.distributed cluster.

A layer's polygons are cut into chunks of features (``coverage.CHUNK_FEATURES``). Each chunk
travels to a worker *inside its task* (the polygons as WKB, scattered to the worker), and the
worker sends the chunk's coverage back: workers read no file, so they need this package
importable (same ``pipeline`` code) but not the data folder.

Which engine runs a layer (:func:`choose_engine`, a pure function of measured numbers):

The two settings (:class:`EngineSettings`) come from the Dagster resource ``landuse``
(fields ``index_parallel`` and ``dask_scheduler``, set by the same variables), which the
index step puts in effect for its layer with :func:`settings_in_effect`; code outside a run
(benchmarks, tests) reads the variables directly.

1. ``LANDUSE_INDEX_PARALLEL=0`` -> in-process, always.
2. ``LANDUSE_DASK_SCHEDULER=tcp://host:8786`` -> that running cluster
   (``distributed.Client(address)``) for every layer with at least one chunk.
3. Otherwise a layer of one chunk runs in-process (nothing to spread), and a larger one goes
   to a ``LocalCluster`` (one single-threaded worker process per core, started on first use
   and reused) only when this machine's **calibration** predicts a speed-up above 1: the
   in-process time of a sample chunk against the cluster's time per chunk at full load plus
   its start-up (:class:`Calibration`, measured once per machine by :func:`calibrate` and
   cached in the data folder, ``DataLayout.index_engine_calibration``).

At most two chunks per worker are in flight, so memory stays bounded by the chunk size, not
the layer size.
"""

from __future__ import annotations

import atexit
import json
import os
import platform
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from pipeline.fileio import write_text_atomic

SCHEDULER_ENV = "LANDUSE_DASK_SCHEDULER"
#: Set to ``0`` to force in-process work (e.g. inside a process that must not fork).
PARALLEL_ENV = "LANDUSE_INDEX_PARALLEL"
#: Bump when the calibration's meaning changes: older cached files are then re-measured.
CALIBRATION_VERSION = 1
#: The cluster is used only when it is predicted to be at least this much faster.
MIN_SPEEDUP = 1.0

Engine = Literal["in-process", "cluster"]

_client: Any = None
_cluster: Any = None
#: The settings a run's index step put in effect (None: read the environment).
_in_effect: EngineSettings | None = None


@dataclass(frozen=True)
class EngineSettings:
    """Where a layer's coverage may run: ``parallel`` (False for ``LANDUSE_INDEX_PARALLEL=0``:
    in-process always) and ``scheduler``, the address of a running dask.distributed
    scheduler (``LANDUSE_DASK_SCHEDULER``; empty: none)."""

    parallel: bool = True
    scheduler: str = ""

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> EngineSettings:
        """The settings the variables in ``environ`` give (unset: the defaults)."""
        parallel = environ.get(PARALLEL_ENV, "1").strip().lower() not in ("0", "false", "no")
        return cls(parallel=parallel, scheduler=environ.get(SCHEDULER_ENV, "").strip())


@contextmanager
def settings_in_effect(settings: EngineSettings) -> Iterator[None]:
    """Index with ``settings`` inside the block (one step of a run at a time: the run's
    steps execute in its one process, one after another)."""
    global _in_effect
    before, _in_effect = _in_effect, settings
    try:
        yield
    finally:
        _in_effect = before


def current_settings() -> EngineSettings:
    """The settings in effect: a run's (:func:`settings_in_effect`), else the environment's."""
    return _in_effect if _in_effect is not None else EngineSettings.from_environment(os.environ)


@dataclass(frozen=True)
class Calibration:
    """How fast this machine covers one chunk in-process and on a LocalCluster.

    Grain: one machine (host name and core count). Times are wall seconds.

    Attributes
    ----------
    machine, cores
        ``platform.node()`` and ``os.cpu_count()`` when measured; a cached calibration of
        another machine (or core count) is not used.
    sample_features
        Polygons in the sample chunk (seeded stress polygons, resolution 9).
    in_process_s
        Wall time of the sample chunk in the calling process (compiled kernels warm).
    cluster_s
        Wall time per sample chunk on the LocalCluster with every worker busy (elapsed time
        of ``2 × workers`` chunks divided by their number): the cluster's inverse throughput.
    startup_s
        Wall time to start the LocalCluster and warm its workers.
    workers
        Worker processes of that LocalCluster.
    measured_at
        UTC time of the measurement (ISO 8601).
    """

    machine: str
    cores: int
    sample_features: int
    in_process_s: float
    cluster_s: float
    startup_s: float
    workers: int
    measured_at: str
    version: int = CALIBRATION_VERSION

    def matches_this_machine(self) -> bool:
        """True when measured on this host with this core count and calibration version."""
        return (
            self.machine == platform.node()
            and self.cores == (os.cpu_count() or 1)
            and self.version == CALIBRATION_VERSION
        )


@dataclass(frozen=True)
class Decision:
    """The engine chosen for one layer and why (the reason is a sentence for logs)."""

    engine: Engine
    reason: str
    speedup: float | None = None


def predicted_speedup(calibration: Calibration, n_chunks: int, cluster_running: bool) -> float:
    """In-process time over LocalCluster time predicted for ``n_chunks`` chunks.

    In-process: ``n_chunks × in_process_s``. Cluster: ``n_chunks × cluster_s`` plus the
    start-up when no cluster is running yet. Chunks of a layer are alike in size, so a
    sample chunk stands for all (each side scales by the same chunk-size factor, which
    cancels except against the start-up; the prediction errs towards in-process for layers
    of chunks larger than the sample).
    """
    if n_chunks <= 0:
        return 1.0
    in_process = n_chunks * calibration.in_process_s
    cluster = n_chunks * calibration.cluster_s + (0.0 if cluster_running else calibration.startup_s)
    return in_process / cluster if cluster > 0 else float("inf")


def choose_engine(
    n_chunks: int,
    *,
    parallel_allowed: bool,
    scheduler: str,
    calibration: Calibration | None,
    cluster_running: bool,
) -> Decision:
    """Pick the engine for a layer of ``n_chunks`` polygon chunks (pure; see module doc).

    Parameters
    ----------
    n_chunks
        Chunks of ``coverage.CHUNK_FEATURES`` polygons in the layer.
    parallel_allowed
        False when ``LANDUSE_INDEX_PARALLEL=0``.
    scheduler
        ``LANDUSE_DASK_SCHEDULER`` (empty when unset).
    calibration
        This machine's measurement, or None when there is none (then in-process).
    cluster_running
        Whether a LocalCluster is already up (its start-up is then not charged).
    """
    if not parallel_allowed:
        return Decision("in-process", f"{PARALLEL_ENV}=0")
    if n_chunks <= 0:
        return Decision("in-process", "no polygons")
    if scheduler:
        return Decision("cluster", f"{SCHEDULER_ENV}={scheduler}")
    if n_chunks == 1:
        return Decision("in-process", "one chunk: nothing to spread")
    if calibration is None:
        return Decision("in-process", "no calibration of this machine")
    speedup = predicted_speedup(calibration, n_chunks, cluster_running)
    if speedup > MIN_SPEEDUP:
        return Decision("cluster", f"calibrated speed-up {speedup:.2f}× > {MIN_SPEEDUP}", speedup)
    return Decision("in-process", f"calibrated speed-up {speedup:.2f}× <= {MIN_SPEEDUP}", speedup)


def parallel_enabled() -> bool:
    """False when the settings in effect forbid parallel work (``LANDUSE_INDEX_PARALLEL=0``)."""
    return current_settings().parallel


def scheduler_address() -> str:
    """The scheduler of the settings in effect (``LANDUSE_DASK_SCHEDULER``; empty: none)."""
    return current_settings().scheduler


def local_cluster_running() -> bool:
    """True when this process has a LocalCluster client up."""
    return _cluster is not None and _client is not None and _client.status == "running"


def read_calibration(path: Path) -> Calibration | None:
    """The cached calibration at ``path`` when it is this machine's, else None.

    A file that is not a calibration raises ``ValueError`` naming the file.
    """
    if not path.exists():
        return None
    try:
        cal = Calibration(**json.loads(path.read_text(encoding="utf-8")))
    except (TypeError, json.JSONDecodeError) as exc:
        raise ValueError(
            f"{path}: not an index engine calibration ({exc}); delete it to re-measure"
        ) from exc
    return cal if cal.matches_this_machine() else None


def write_calibration(path: Path, calibration: Calibration) -> None:
    """Cache ``calibration`` at ``path`` (atomically)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(asdict(calibration), indent=2) + "\n")


def calibrate(func: Callable[..., Any], chunk: Any, *args: Any) -> Calibration:
    """Measure ``func(chunk, *args)`` in-process and on a LocalCluster (see
    :class:`Calibration`). Starts the LocalCluster (and leaves it running for reuse)."""
    func(chunk, *args)  # warm: compiled kernels, caches
    t = time.perf_counter()
    func(chunk, *args)
    in_process = time.perf_counter() - t
    t = time.perf_counter()
    client = get_client()
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    for _ in map_bounded(func, [chunk] * workers, *args):  # warm every worker
        pass
    startup = time.perf_counter() - t
    n = 2 * workers
    t = time.perf_counter()
    for _ in map_bounded(func, [chunk] * n, *args):
        pass
    cluster = (time.perf_counter() - t) / n
    return Calibration(
        machine=platform.node(),
        cores=os.cpu_count() or 1,
        sample_features=len(chunk),
        in_process_s=in_process,
        cluster_s=cluster,
        startup_s=startup,
        workers=workers,
        measured_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    )


def decide(
    n_chunks: int,
    calibration_file: Path | None,
    sample: Callable[[], tuple[Callable[..., Any], Any, tuple[Any, ...]]],
) -> Decision:
    """:func:`choose_engine` with this process's settings and this machine's calibration.

    The calibration is read from ``calibration_file``; when it is needed (a multi-chunk
    layer, no scheduler set, parallel work allowed) and missing or another machine's, it is
    measured with ``sample()`` (``(func, chunk, args)``) and cached there. Without a file
    (``None``) nothing is measured and the layer runs in-process unless a scheduler is set.
    """
    allowed, scheduler = parallel_enabled(), scheduler_address()
    calibration = None
    needs = allowed and not scheduler and n_chunks > 1 and calibration_file is not None
    if needs and calibration_file is not None:
        calibration = read_calibration(calibration_file)
        if calibration is None:
            func, chunk, args = sample()
            calibration = calibrate(func, chunk, *args)
            write_calibration(calibration_file, calibration)
    decision = choose_engine(
        n_chunks,
        parallel_allowed=allowed,
        scheduler=scheduler,
        calibration=calibration,
        cluster_running=local_cluster_running(),
    )
    if decision.engine == "in-process" and local_cluster_running():
        close_client()  # started for the calibration and not worth keeping
    return decision


def get_client() -> Any:
    """The shared ``distributed.Client`` (created on first call): to the cluster at
    ``LANDUSE_DASK_SCHEDULER`` when set, else to a LocalCluster started here."""
    global _client, _cluster
    address = scheduler_address()
    if _client is not None and _client.status == "running":
        if address and _cluster is None and _client.scheduler.address == address:
            return _client
        if not address and _cluster is not None:
            return _client
        close_client()  # the setting changed since the client was made
    from distributed import Client, LocalCluster

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
    """Close the shared client and the local cluster it started, if any (a cluster at
    ``LANDUSE_DASK_SCHEDULER`` is left running: it is not ours)."""
    global _client, _cluster
    if _client is not None:
        _client.close()
        _client = None
    if _cluster is not None:
        _cluster.close()
        _cluster = None


def map_bounded(func: Callable[..., Any], chunks: Sequence[Any], *args: Any) -> Iterator[Any]:
    """Run ``func(chunk, *args)`` for every chunk on the cluster; yield results in order.

    Each chunk is scattered to a worker and passed in its task (no shared files). At most
    ``2 × workers`` chunks are submitted at a time.
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
        data = client.scatter(chunks[i], direct=True, hash=False)
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
