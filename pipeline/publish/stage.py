"""The publish stage's entry point: this run's build published as one release.

Every output (:data:`pipeline.publish.outputs.OUTPUT_NAMES`) is written into a new release
folder, verified, and ``out`` is swapped to it; the run history is committed right after the
swap. The skip decision is the conflicts stage's: when it built nothing (no input, rule or
code changed) there is no build for this run and nothing is published.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.conflicts.stage import build_for_run, prune_run_builds
from pipeline.history.store import commit_history
from pipeline.layout import DataLayout
from pipeline.publish.outputs import Release, publish_outputs
from pipeline.publish.release import current_release
from pipeline.report import StageReport


@dataclass
class PublishReport(StageReport):
    """A :class:`StageReport` with the release it published (None when it skipped)."""

    release: Release | None = None


def run_publish(
    layout: DataLayout, *, h3_resolution: int, run_ids: list[str | None]
) -> PublishReport:
    """Publish the build of this run (``run_ids`` = run, parent, root for a re-execution).

    The caller holds the writer lock. An exception in the history commit leaves the new
    release published but fails the stage, so the next run reports the same changes again
    rather than losing them.
    """
    run_id, exists = build_for_run(layout, run_ids)
    if not exists:
        current = current_release(layout.out)
        return PublishReport(
            status="unchanged",
            skipped=True,
            reason="the conflicts stage built nothing new",
            lines=[f"publish: nothing new to publish; out/ stays at {current}"],
        )
    build = layout.run_build(run_id)
    lines: list[str] = []

    def record_history(release: Release) -> None:
        commit_history(build, layout.history_db, run_id=run_id)
        lines.append(f"history: run recorded with release {release.release_id}")

    release = publish_outputs(
        build,
        layout.out,
        h3_resolution=h3_resolution,
        run_token=run_ids[0],
        after_swap=record_history,
    )
    prune_run_builds(layout, keep=run_id)
    lines.append(f"publish: release {release.release_id} is now {layout.out}")
    return PublishReport(
        status="published",
        lines=lines,
        metadata={"release_id": release.release_id},
        data_version=release.release_id,
        release=release,
    )
