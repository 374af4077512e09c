"""What a Dagster step costs a night beyond its events: one asset per layer against one
multi-asset for all layers, with the same events.

The nightly job has one ingest and one index step per layer; on a night when a layer is
unchanged each of them only logs a line and records an observation (ingest also a check
result). Merging them into a multi-asset per stage would keep every asset and event but
drop the steps, so this measures, in the same process and alternating, an in-process run
of ``--layers`` such assets against one multi-asset that emits the same log lines,
observations and check results, on an ephemeral instance as ``make run`` uses, console
logging off as in ``assets_defs.cli``::

    .venv/bin/python bench/dagster_steps.py --layers 35 --repeats 7

prints the median wall and CPU seconds (``time.process_time``) of each and the difference.
"""

import argparse
import statistics
import time
from collections.abc import Iterator

import dagster as dg

QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def layer_events(
    context: dg.AssetExecutionContext, key: str
) -> Iterator[dg.AssetObservation | dg.AssetCheckResult]:
    """What an unchanged layer's ingest step emits: a line, an observation, a check."""
    context.log.info(f"ingest {key}: unchanged")
    yield dg.AssetObservation(asset_key=key, metadata={"status": "unchanged"})
    yield dg.AssetCheckResult(asset_key=key, check_name="source_read", passed=True)


def per_layer_assets(keys: list[str]) -> list[dg.AssetsDefinition]:
    """One asset (one step) per layer."""

    def build(key: str) -> dg.AssetsDefinition:
        @dg.asset(
            key=key,
            output_required=False,
            check_specs=[dg.AssetCheckSpec("source_read", asset=key)],
        )
        def layer(context: dg.AssetExecutionContext) -> Iterator[object]:
            yield from layer_events(context, key)

        return layer

    return [build(key) for key in keys]


def one_multi_asset(keys: list[str]) -> list[dg.AssetsDefinition]:
    """One multi-asset (one step) for all layers, the same assets and checks."""

    @dg.multi_asset(
        specs=[dg.AssetSpec(key, skippable=True) for key in keys],
        check_specs=[dg.AssetCheckSpec("source_read", asset=key) for key in keys],
        can_subset=True,
    )
    def layers(context: dg.AssetExecutionContext) -> Iterator[object]:
        for key in keys:
            yield from layer_events(context, key)

    return [layers]


def timed_run(job: dg.JobDefinition) -> tuple[float, float]:
    """Wall and CPU seconds of one in-process run on a new ephemeral instance."""
    instance = dg.DagsterInstance.ephemeral()
    wall, cpu = time.perf_counter(), time.process_time()
    result = job.execute_in_process(instance=instance, run_config=QUIET)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if not result.success:
        raise RuntimeError("the benchmark job failed")
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=35)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    keys = [f"layer_{i:02d}_features" for i in range(args.layers)]
    jobs = {
        "one step per layer": dg.Definitions(
            assets=per_layer_assets(keys), executor=dg.in_process_executor
        ).resolve_implicit_global_asset_job_def(),
        "one multi-asset": dg.Definitions(
            assets=one_multi_asset(keys), executor=dg.in_process_executor
        ).resolve_implicit_global_asset_job_def(),
    }
    for job in jobs.values():  # imports and caches outside the timed runs
        timed_run(job)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in jobs}
    for _ in range(args.repeats):
        for name, job in jobs.items():
            times[name].append(timed_run(job))
    medians = {
        name: (statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs))
        for name, runs in times.items()
    }
    for name, (wall, cpu) in medians.items():
        print(f"{name:<20} wall {wall:.3f} s  cpu {cpu:.3f} s  (median of {args.repeats})")
    (steps_wall, steps_cpu), (multi_wall, multi_cpu) = medians.values()
    print(
        f"{args.layers} steps merged into one save {steps_wall - multi_wall:.3f} s wall, "
        f"{steps_cpu - multi_cpu:.3f} s CPU"
    )


if __name__ == "__main__":
    main()
