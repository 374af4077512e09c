"""Benchmark of the H3 indexer against the GIS analyst's overlay (``make bench``).

Same seeded stress layer, same process, medians of ``--runs`` runs:

* ours: ``pipeline.index.cover_geometries`` (exact coverage), in-process and on a dask
  LocalCluster (started once before timing, its start-up reported apart);
* baseline: ``geopandas.overlay(layer, hexgrid, how="intersection")`` with the H3 hexagons
  projected to EPSG:3006 (the grid is the set of cells the layer touches, built outside the
  timing, which favours the baseline);
* baseline: h3ronpy centre containment (``h3ronpy.vector.wkb_to_cells`` with
  ``ContainmentMode.ContainsCentroid``) of the layer transformed to EPSG:4326 (transform
  included): cells only, no areas, and not exact (polygons smaller than a cell get none);
* incremental: ``index_layer`` with a cache, full run vs a run after 1 % of features changed;
* the embedded sample (``pipeline.sample.ensure_sample``) when that package exists;
* a line layer (seeded random walks, 20 vertices, about 2.4 km each): ours (exact length
  per cell) against ``geopandas.overlay`` of the lines with their hexagon grid.

Every approach runs once per round, rounds alternate (``--runs``), medians are reported.
CPU time is the process tree's (this process and its children, the dask workers included:
``psutil`` user + system times), so a loaded shared machine inflates wall time more than
CPU time. Peak memory is the largest summed RSS of this process and all its children,
sampled every 20 ms. Usage::

    .venv/bin/python bench/index_bench.py            # 50,000 polygons, res 9, 3 runs
    .venv/bin/python bench/index_bench.py --quick    # 5,000 polygons, for iteration
    .venv/bin/python bench/index_bench.py --write-docs   # also update docs/benchmarks.md
    .venv/bin/python bench/index_bench.py --profile      # also: where one chunk's time goes
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import psutil
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.index import (  # noqa: E402
    cover_geometries,
    coverage,
    engine,
    index_layer,
)
from pipeline.index.h3grid import (  # noqa: E402
    PROJECT_CRS,
    WGS84,
    cell_polygons,
    transformer,
    wkb_centroid_cells,
)
from pipeline.index.stress import stress_polygons  # noqa: E402


class PeakRSS:
    """Largest summed RSS (bytes) of this process tree while the context is open."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()

    def _sample(self) -> int:
        me = psutil.Process()
        total = 0
        for p in [me, *me.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                total += p.memory_info().rss
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            time.sleep(0.02)

    def __enter__(self) -> PeakRSS:
        self.peak = self._sample()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()


def tree_cpu() -> float:
    """User + system CPU seconds of this process and its live children so far."""
    me = psutil.Process()
    total = 0.0
    for p in [me, *me.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            t = p.cpu_times()
            total += t.user + t.system
    return total


def timed_cpu(fn: Callable[[], Any]) -> tuple[float, float, int, Any]:
    """One run of ``fn``: wall s, process-tree CPU s, peak RSS of the tree, result."""
    with PeakRSS() as mem:
        c = tree_cpu()
        t = time.perf_counter()
        out = fn()
        wall = time.perf_counter() - t
        cpu = tree_cpu() - c
    return wall, cpu, mem.peak, out


def h3ronpy_centroid(geoms: np.ndarray, res: int) -> tuple[np.ndarray, np.ndarray]:
    """h3ronpy centre containment of EPSG:3006 polygons: (position, cell)."""
    to_wgs = transformer(PROJECT_CRS, WGS84)
    g4326 = shapely.transform(
        geoms, lambda xy: np.column_stack(to_wgs.transform(xy[:, 0], xy[:, 1]))
    )
    return wkb_centroid_cells(shapely.to_wkb(g4326), res)


def timed(fn: Callable[[], Any], runs: int) -> tuple[list[float], int, Any]:
    times = []
    peak = 0
    out = None
    for _ in range(runs):
        with PeakRSS() as mem:
            t = time.perf_counter()
            out = fn()
            times.append(time.perf_counter() - t)
        peak = max(peak, mem.peak)
    return times, peak, out


def fmt_times(ts: list[float]) -> str:
    return f"{statistics.median(ts):.2f} s (runs: {', '.join(f'{t:.2f}' for t in ts)})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="5,000 polygons instead of 50,000")
    ap.add_argument("--n", type=int, default=None, help="number of stress polygons")
    ap.add_argument("--resolution", type=int, default=9)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--no-baseline", action="store_true", help="skip geopandas.overlay")
    ap.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    ap.add_argument(
        "--profile",
        action="store_true",
        help="also profile one in-process chunk (cProfile, CPU time) and report where it goes",
    )
    args = ap.parse_args()
    n = args.n or (5_000 if args.quick else 50_000)
    res = args.resolution
    cmd = "PYTHONPATH=. .venv/bin/python bench/index_bench.py " + " ".join(sys.argv[1:])
    lines: list[str] = []

    def say(s: str = "") -> None:
        print(s, flush=True)
        lines.append(s)

    t = time.perf_counter()
    geoms = stress_polygons(n, seed=args.seed)
    gen_s = time.perf_counter() - t
    nverts = shapely.get_num_coordinates(geoms)
    src_area = float(shapely.area(geoms).sum())
    say(
        f"Machine: {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, "
        f"{platform.python_implementation()} {platform.python_version()}; shared with other "
        "work, so expect ±10–20 %."
    )
    say(
        f"Stress layer: {n:,} polygons (seed {args.seed}), 0.01–5 km², vertices median "
        f"{int(np.median(nverts))} (min {nverts.min()}, max {nverts.max()}), "
        f"{(shapely.get_type_id(geoms) == 6).sum():,} multipart, "
        f"{(shapely.get_num_interior_rings(geoms) > 0).sum():,} with holes; "
        f"generated in {gen_s:.1f} s; resolution {res}."
    )

    # Warm-up: numba compile cache, the dask LocalCluster and its workers' kernels.
    cover_geometries(geoms[:50], res, parallel=False)
    load_before = os.getloadavg()
    t = time.perf_counter()
    client = engine.get_client()
    client.run(lambda: None)
    n_workers = len(client.scheduler_info()["workers"])
    say(
        f"dask LocalCluster start-up (once per process, not in the timings): "
        f"{time.perf_counter() - t:.2f} s, {n_workers} workers"
    )
    cover_geometries(geoms[: 2 * 5_000], res, parallel=True)  # compile in the workers too

    # The grid the analyst overlays: exactly the cells the layer touches, built outside the
    # timings (this favours the baseline); the untimed run also warms our indexer up.
    cells = np.unique(cover_geometries(geoms, res, parallel=False).h3)
    grid = gpd.GeoDataFrame({"h3": cells}, geometry=cell_polygons(cells), crs="EPSG:3006")
    layer = gpd.GeoDataFrame({"fid": np.arange(n)}, geometry=geoms, crs="EPSG:3006")
    h3ronpy_centroid(geoms[:50], res)

    approaches: dict[str, Callable[[], Any]] = {
        "in-process": lambda: cover_geometries(geoms, res, parallel=False),
        "dask": lambda: cover_geometries(geoms, res, parallel=True),
        "centre": lambda: h3ronpy_centroid(geoms, res),
    }
    if not args.no_baseline:
        approaches["overlay"] = lambda: gpd.overlay(
            layer, grid, how="intersection", keep_geom_type=True
        )
    # Every approach once per round, rounds alternating, so load changes on a shared
    # machine hit all alike.
    wall: dict[str, list[float]] = {k: [] for k in approaches}
    cpu: dict[str, list[float]] = {k: [] for k in approaches}
    peak: dict[str, int] = dict.fromkeys(approaches, 0)
    out: dict[str, Any] = {}
    for _ in range(args.runs):
        for name, fn in approaches.items():
            out.pop(name, None)  # free the previous result before measuring the next peak
            w, c, m, result = timed_cpu(fn)
            wall[name].append(w)
            cpu[name].append(c)
            peak[name] = max(peak[name], m)
            out[name] = result if name != "overlay" else result.geometry.area.to_numpy()
    load_after = os.getloadavg()
    med_w = {k: statistics.median(v) for k, v in wall.items()}
    med_c = {k: statistics.median(v) for k, v in cpu.items()}
    cov = out["in-process"]
    pairs = len(cov)
    ours_area = float(cov.area_m2.sum())
    dask_same = all(
        np.array_equal(getattr(cov, f), getattr(out["dask"], f))
        for f in ("feature_index", "h3", "area_m2", "coverage")
    )
    say(
        f"Load average (1, 5, 15 min) before: {', '.join(f'{x:.1f}' for x in load_before)}; "
        f"after: {', '.join(f'{x:.1f}' for x in load_after)} (2 cores; other helpers' work)."
    )
    say()
    say(
        "| approach | median wall s (runs) | median CPU s (runs) | pairs / cells | "
        "pairs/s (wall) | peak RSS (tree) |"
    )
    say("| --- | --- | --- | --- | --- | --- |")

    def row(label: str, key: str, count: int) -> None:
        say(
            f"| {label} | {fmt_times(wall[key])} | {fmt_times(cpu[key])} | {count:,} | "
            f"{count / med_w[key]:,.0f} | {peak[key] / 2**30:.2f} GiB |"
        )

    row("ours, in-process (`cover_geometries(parallel=False)`)", "in-process", pairs)
    row(f"ours, dask LocalCluster ({n_workers} workers)", "dask", len(out["dask"]))
    pos, centre_cells = out["centre"]
    row("h3ronpy centre containment (cells only, not exact)", "centre", len(centre_cells))
    if not args.no_baseline:
        ov_area = out["overlay"]
        row(
            f"`geopandas.overlay` with the hexagon grid ({len(cells):,} cells)",
            "overlay",
            int((ov_area > 1e-6).sum()),
        )
    say()
    best = min(("in-process", "dask"), key=lambda k: med_w[k])
    say(
        f"Ratios in this run (medians; wall / CPU): ours in-process vs h3ronpy centre "
        f"{med_w['in-process'] / med_w['centre']:.2f}× / "
        f"{med_c['in-process'] / med_c['centre']:.2f}× (target ≤ 1.5×); dask vs in-process "
        f"{med_w['dask'] / med_w['in-process']:.2f}× / {med_c['dask'] / med_c['in-process']:.2f}×."
    )
    no_cell = n - len(np.unique(pos))
    say(
        f"h3ronpy centre containment gives {no_cell:,} of the {n:,} polygons no cell; its "
        f"cells hold {len(centre_cells) / pairs:.1%} of our pairs. Dask cells equal the "
        f"in-process cells bit for bit: {dask_same}."
    )
    if not args.no_baseline:
        base_area = float(ov_area[ov_area > 1e-6].sum())
        say(
            f"**Speed-up over `geopandas.overlay` at resolution {res}** (ours best of "
            f"in-process/dask = {best}): wall {med_w['overlay'] / med_w[best]:.1f}×, CPU "
            f"{med_c['overlay'] / med_c[best]:.1f}×; in-process: wall "
            f"{med_w['overlay'] / med_w['in-process']:.1f}×, CPU "
            f"{med_c['overlay'] / med_c['in-process']:.1f}× (target ≥ 6×)."
        )
        say(
            f"Total area: ours {ours_area:,.1f} m², overlay {base_area:,.1f} m², source "
            f"{src_area:,.1f} m²; ours − overlay = {100 * (ours_area / base_area - 1):+.2e} %, "
            f"ours − source = {100 * (ours_area / src_area - 1):+.2e} % (target within 0.01 %)."
        )
    else:
        say(f"Total area: ours − source = {100 * (ours_area / src_area - 1):+.2e} %.")
    say()
    say_targets(wall, cpu, not args.no_baseline, say)
    out.clear()
    if args.profile:
        say()
        say(profile_chunk(geoms[: coverage.CHUNK_FEATURES], res))

    # Incremental re-index through the feature cache.
    ids = np.array([f"f{i}" for i in range(n)])
    frame = gpd.GeoDataFrame(
        {"feature_id": ids, "feature_hash": [f"h{i}" for i in range(n)]},
        geometry=geoms,
        crs="EPSG:3006",
    )
    rng = np.random.default_rng(args.seed + 1)
    changed = rng.choice(n, size=max(1, n // 100), replace=False)
    frame2 = frame.copy()
    frame2.loc[changed, "geometry"] = shapely.transform(
        frame2.geometry.to_numpy()[changed], lambda xy: xy + np.array([37.0, -11.0])
    )
    frame2.loc[changed, "feature_hash"] = [f"h{i}x" for i in changed]
    full_t, incr_t = [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as d:
            t = time.perf_counter()
            index_layer(
                frame, layer="stress", resolution=res, buffer_m=0, cache_stem=Path(d) / "stress"
            )
            full_t.append(time.perf_counter() - t)
            t = time.perf_counter()
            r2 = index_layer(
                frame2, layer="stress", resolution=res, buffer_m=0, cache_stem=Path(d) / "stress"
            )
            incr_t.append(time.perf_counter() - t)
            assert r2.stats.reindexed_features == len(changed), r2.stats
    say()
    say(
        f"Incremental (`index_layer` with cache, {len(changed):,} features = 1 % changed): "
        f"full {fmt_times(full_t)}, re-index {fmt_times(incr_t)}, "
        f"**{100 * statistics.median(incr_t) / statistics.median(full_t):.1f} % of full** "
        "(target < 10 %)."
    )

    # Embedded sample (another stage's package; optional).
    say()
    bench_sample(res, args.runs, say)
    bench_lines(n // 2, res, args.runs, args.seed, not args.no_baseline, say)

    say()
    say(
        "How to read this: the approaches run alternately, so load changes on the shared "
        "machine hit all alike; CPU is the whole process tree's (dask workers included). Peak "
        "RSS is the summed RSS of the process tree (always the caller, the idle or busy dask "
        "scheduler and workers) and includes the inputs the approaches share in the caller "
        "(the layer, and the hexagon grid built for the overlay). Ours "
        "validates every polygon; the overlay does not. The grid is exactly the cells the layer "
        "touches, built outside the timings, which favours the overlay."
    )
    if args.write_docs:
        write_docs(cmd, lines)
    engine.close_client()
    return 0


def say_targets(
    wall: dict[str, list[float]],
    cpu: dict[str, list[float]],
    baseline: bool,
    say: Callable[[str], None],
) -> None:
    """Issue 16's speed targets on both clocks, from this run's medians (and per round)."""

    def met(ok: bool) -> str:
        return "met" if ok else "**not met**"

    med = {
        clock: {k: statistics.median(v) for k, v in times.items()}
        for clock, times in (("wall", wall), ("CPU", cpu))
    }
    say("**Issue 16 speed targets in this run** (medians of the alternating rounds):")
    parts = []
    for clock, times in (("wall", wall), ("CPU", cpu)):
        r = med[clock]["in-process"] / med[clock]["centre"]
        rounds = ", ".join(
            f"{a / b:.2f}" for a, b in zip(times["in-process"], times["centre"], strict=True)
        )
        parts.append(f"{clock} {r:.2f}× ({met(r <= 1.5)}; rounds {rounds})")
    say(
        "* exact coverage in-process at most 1.5× h3ronpy centre containment: "
        + "; ".join(parts)
        + "."
    )
    if baseline:
        parts = []
        for clock, times in (("wall", wall), ("CPU", cpu)):
            m = med[clock]
            best = min(("in-process", "dask"), key=lambda k: m[k])
            r = m["overlay"] / m[best]
            rounds = ", ".join(
                f"{o / min(i, d):.1f}"
                for o, i, d in zip(
                    times["overlay"], times["in-process"], times["dask"], strict=True
                )
            )
            parts.append(
                f"{clock} {r:.1f}× with {best} ({met(r >= 6)}; in-process "
                f"{m['overlay'] / m['in-process']:.1f}×; rounds {rounds})"
            )
        say("* at least 6× `geopandas.overlay`: " + "; ".join(parts) + ".")


def profile_chunk(geoms: np.ndarray, res: int) -> str:
    """Where one in-process chunk's CPU time goes (cProfile with a CPU clock), as a line."""
    import cProfile
    import pstats

    cover_geometries(geoms[:50], res, parallel=False)  # imports and compiled kernels
    prof = cProfile.Profile(time.process_time)
    prof.enable()
    cover_geometries(geoms, res, parallel=False)
    prof.disable()
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    total = sum(tt for _, _, tt, _, _ in stats.values())
    top = sorted(stats.items(), key=lambda kv: -kv[1][2])[:9]

    def name(key: tuple[str, int, str]) -> str:
        file, _, func = key
        if file == "~" and func.startswith("<method '"):  # <method 'sort' of 'x.ndarray' ...
            method, owner = func.split("'")[1], func.split("'")[3]
            return f"{owner.split('.')[-1]}.{method}"
        if file == "~":  # <built-in method vector.cells_to_wkb_polygons>
            return func.strip("<>").split(" ")[-1]
        return f"{Path(file).stem}.{func}"

    items = ", ".join(f"{name(k)} {v[2]:.2f} s ({v[2] / total:.0%})" for k, v in top)
    return (
        f"Where the time goes (`--profile`: cProfile with a CPU clock, one in-process chunk of "
        f"{len(geoms):,} polygons, {total:.2f} s CPU): {items}."
    )


def random_lines(n: int, seed: int) -> np.ndarray:
    """``n`` seeded random-walk LineStrings of 20 vertices (steps ~N(0, 100 m)) over a
    150 km square of Västra Götaland, EPSG:3006."""
    rng = np.random.default_rng(seed)
    start = np.column_stack(
        [340_000.0 + rng.uniform(0, 150_000, n), 6_450_000.0 + rng.uniform(0, 150_000, n)]
    )
    return shapely.linestrings(start[:, None, :] + rng.normal(0, 100, (n, 20, 2)).cumsum(axis=1))


def bench_lines(
    n: int, res: int, runs: int, seed: int, baseline: bool, say: Callable[[str], None]
) -> None:
    """Exact length per cell of a line layer, ours against the overlay (medians)."""
    lines = random_lines(n, seed)
    src = float(shapely.length(lines).sum())
    cover_geometries(lines[:10], res)  # compile the kernels outside the timing
    ts, _, cov = timed(lambda: cover_geometries(lines, res, parallel=False), runs)
    text = (
        f"Line layer: {n:,} random-walk lines ({src / 1e3:,.0f} km) at resolution {res}: ours "
        f"{fmt_times(ts)}, {len(cov):,} (line, cell) pairs, |indexed − source| length "
        f"{100 * abs(cov.length_m.sum() / src - 1):.2e} %"
    )
    if baseline:
        grid = gpd.GeoDataFrame(
            {"h3": np.unique(cov.h3)}, geometry=cell_polygons(np.unique(cov.h3)), crs=3006
        )
        layer = gpd.GeoDataFrame({"i": np.arange(n)}, geometry=lines, crs=3006)
        tb, _, pieces = timed(
            lambda: gpd.overlay(layer, grid, how="intersection", keep_geom_type=True), runs
        )
        text += f"; `geopandas.overlay`: {fmt_times(tb)}, {len(pieces):,} pieces"
    say(text + ".")


def bench_sample(res: int, runs: int, say: Callable[[str], None]) -> None:
    """Index every layer of the embedded sample at every buffer the rules need (optional)."""
    try:
        from pipeline.config import layer_buffers, load_catalogue, load_rules
        from pipeline.config.settings import load_settings
        from pipeline.ingest import ingest_layer, read_staged
        from pipeline.layout import DataLayout
        from pipeline.sample import SAMPLE_DIR, ensure_sample
    except ImportError as exc:
        say(f"Embedded sample: skipped (`{exc.name}` not available yet).")
        return
    try:
        settings = load_settings()
        ensure_sample(SAMPLE_DIR)
        catalogue = load_catalogue(settings.catalogue_path)
        rules = load_rules(settings.rules_path, catalogue)
        with tempfile.TemporaryDirectory() as tmp:
            layout = DataLayout(Path(tmp))
            for spec in catalogue.layers:
                ingest_layer(spec, base_dir=catalogue.base_dir, layout=layout)
            jobs = []
            for name, buffers in layer_buffers(catalogue, rules).items():
                try:
                    feats = read_staged(layout, name)
                except FileNotFoundError:
                    continue
                jobs += [(name, feats, b) for b in buffers]
            n_feat = sum(len(f) for _, f, _ in jobs)
            times = []
            worst = 0.0
            pairs = 0
            for _ in range(runs):
                t = time.perf_counter()
                pairs = 0
                for name, feats, b in jobs:
                    r = index_layer(feats, layer=name, resolution=res, buffer_m=b, cache_stem=None)
                    pairs += r.stats.pairs
                    if r.stats.source_area_m2 > 0:
                        err = abs(r.stats.indexed_area_m2 / r.stats.source_area_m2 - 1)
                        worst = max(worst, err)
                times.append(time.perf_counter() - t)
        say(
            f"Embedded sample (`pipeline.sample.ensure_sample`, {len(jobs)} layer × buffer jobs, "
            f"{n_feat:,} features, {pairs:,} pairs at resolution {res}, no cache): "
            f"{fmt_times(times)} (target < 30 s); largest |indexed − source| area over the "
            f"layers: {100 * worst:.2e} %."
        )
    except Exception as exc:  # the sample belongs to another stage; report, do not fail
        say(f"Embedded sample: failed ({type(exc).__name__}: {exc}).")


def write_docs(cmd: str, lines: list[str]) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    section = "\n".join(
        [
            "## H3 indexing",
            "",
            f"Measured {time.strftime('%Y-%m-%d')} with:",
            "",
            "```",
            cmd.strip(),
            "```",
            "",
            *lines,
            "",
        ]
    )
    head, sep, rest = text.partition("## H3 indexing")
    if sep:
        nxt = rest.find("\n## ")
        tail = rest[nxt + 1 :] if nxt >= 0 else ""
        text = head + section + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


if __name__ == "__main__":
    raise SystemExit(main())
