"""What a stage tells its caller: the one result type every stage entry point returns.

A Dagster asset turns a :class:`StageReport` into a ``MaterializeResult``; a test or the
command line reads the same fields. Nothing here knows Dagster.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class StageReport:
    """The outcome of one stage for one asset (a layer, the mart tables, a release).

    ``status`` is the stage's own word (ingest: fresh/unchanged/stale/failed; index:
    indexed/unchanged/missing; conflicts: built/unchanged; publish: published/unchanged).
    ``skipped`` says the stage found nothing changed and wrote nothing, and ``reason`` why.
    ``lines`` are plain-language progress lines, ``metadata`` the values an asset records,
    ``data_version`` the identity of what the stage's files now hold.
    """

    status: str
    skipped: bool = False
    reason: str = ""
    lines: list[str] = field(default_factory=list)
    metadata: dict[str, object] = field(default_factory=dict)
    data_version: str | None = None
    error: str | None = None
