"""The run summary: printed at the end of `make run`, and ``run_summary.json`` in a release.

Both name what makes a night less than complete: every layer that is ``stale`` (its last
good copy used) or ``failed``, with its source (secrets shown as ``***``) and the problem,
and every rule that is ``unknown`` or ``stale`` with the layers behind it. A run with growth
scenarios adds each scenario's totals (``mart.scenarios``) and the kommuner losing the most
high-class farmland under it; a run without them has no scenario lines and an empty
``scenarios`` list.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from pipeline.config.models import Catalogue
from pipeline.db import connect, sql
from pipeline.fileio import sha256_file
from pipeline.ingest import read_outcome
from pipeline.layout import DataLayout
from pipeline.publish.scenarios import scenario_rows

#: Layer states that make a night incomplete.
PROBLEM_STATES = ("stale", "failed")
#: Kommuner listed per scenario as losing the most farmland.
FARMLAND_KOMMUNER = 3
#: How a conflict in more than one kommun enters the totals (docs/study-area.md).
COUNTING = (
    "A conflict spanning two kommuner (or kommunalförbund) is counted once in each, so their "
    "counts can sum to more than the {conflicts} conflicts above; its area is split by share, "
    "so their areas sum to the {area_km2:.2f} km² above."
)


@dataclass(frozen=True)
class LayerProblem:
    """A layer that is not fresh in this run: ``status`` stale or failed, and why."""

    layer: str
    source: str
    status: str
    problem: str

    def line(self) -> str:
        """One plain line: layer, state, source and problem."""
        used = " (its last good copy is used)" if self.status == "stale" else ""
        return f"layer {self.layer} {self.status.upper()}{used}: {self.source}: {self.problem}"


@dataclass(frozen=True)
class RuleProblem:
    """A rule that is ``unknown`` (a layer it needs failed) or ``stale`` in this run."""

    rule_id: str
    status: str
    missing_layers: list[str]
    stale_layers: list[str]

    def line(self) -> str:
        """One plain line: rule, state and the layers behind it."""
        if self.status == "unknown":
            return f"rule {self.rule_id} UNKNOWN: layers missing {', '.join(self.missing_layers)}"
        return f"rule {self.rule_id} STALE: last good copies of {', '.join(self.stale_layers)}"


def problem_text(error: str | None, layer: str, source: str) -> str:
    """The cause in a layer error, without the ``layer '<name>' from <source>: `` prefix."""
    if not error:
        return "no error recorded"
    prefix = f"layer '{layer}' from {source}: "
    return error[len(prefix) :] if error.startswith(prefix) else error


def layer_problems(layout: DataLayout, catalogue: Catalogue) -> list[LayerProblem]:
    """Every catalogue layer whose last ingest left it stale or failed (or never ran)."""
    problems = []
    for spec in catalogue.layers:
        source = spec.source.location(catalogue.base_dir)
        outcome = read_outcome(layout, spec.name)
        if outcome is None:
            problems.append(
                LayerProblem(spec.name, source, "failed", "not ingested: the run stopped first")
            )
        elif outcome.state in PROBLEM_STATES:
            problem = problem_text(outcome.error, spec.name, source)
            problems.append(LayerProblem(spec.name, source, outcome.state, problem))
    return problems


def _layer_problems_in(con: duckdb.DuckDBPyConnection) -> list[LayerProblem]:
    rows = con.execute(sql("publish/summary_layers_not_fresh")).fetchall()
    return [
        LayerProblem(layer, source, status, problem_text(error, layer, source))
        for layer, source, status, error in rows
    ]


def _rule_problems_in(con: duckdb.DuckDBPyConnection) -> list[RuleProblem]:
    rows = con.execute(sql("publish/summary_rules_not_complete")).fetchall()
    return [RuleProblem(r, s, list(m or []), list(st or [])) for r, s, m, st in rows]


def rule_problems(database: Path) -> list[RuleProblem]:
    """Rules of ``database`` (a build or a release) that are unknown or stale."""
    with connect(database, read_only=True) as con:
        return _rule_problems_in(con)


@dataclass(frozen=True)
class RunSummary:
    """What `make run` prints after a night (:func:`run_summary`): ``text``, and the rules
    of the release that are not complete, for its closing lines."""

    text: str
    rules_not_complete: list[RuleProblem]


def run_summary(database: Path, outputs: list[Path], top: int = 10) -> RunSummary:
    """Top conflicts, counts per severity and kommunalförbund, where every output is, and
    the rules that are unknown or stale, from one read of the release ``database``."""
    with connect(database, read_only=True) as con:
        rules_not_complete = _rule_problems_in(con)
        lines = ["", f"Top {top} conflicts:"]
        rows = con.execute(
            "SELECT rank, severity, round(score, 2), array_to_string(kommun_names, ', '), reason "
            "FROM mart.conflicts ORDER BY rank LIMIT ?",
            [top],
        ).fetchall()
        for rank, severity, score, kommuner, reason in rows:
            lines.append(f"  {rank:>3}. [{severity}, score {score}] {kommuner}: {reason}")
        if not rows:
            lines.append("  (none)")
        lines.append("")
        lines.append("Conflicts per severity:")
        severities = con.execute(sql("publish/summary_severity")).fetchall()
        for severity, n, area in severities:
            lines.append(f"  {severity:<10} {n:>6} conflicts, {area:>10.2f} km²")
        total, total_km2 = sum(r[1] for r in severities), sum(r[2] for r in severities)
        lines.append(f"  {'all':<10} {total:>6} conflicts, {total_km2:>10.2f} km²")
        lines.append("")
        lines.append("Per kommunalförbund:")
        for name, n, area, _score, status in con.execute(
            sql("publish/summary_kommunalforbund")
        ).fetchall():
            lines.append(f"  {name:<20} {n:>6} conflicts, {area:>10.2f} km² ({status})")
        lines.append(counting_line(total, total_km2))
        lines.extend(scenario_lines(scenario_section(con)))
        lines.append(checked_line(con))
        lines.append("")
        lines.append("Outputs:")
        lines.extend(f"  {path}" for path in outputs if path.exists())
        return RunSummary("\n".join(lines), rules_not_complete)


def scenario_section(
    con: duckdb.DuckDBPyConnection, top: int = FARMLAND_KOMMUNER
) -> list[dict[str, Any]]:
    """Per scenario (name order): every column of its ``mart.scenarios`` row and
    ``most_farmland_taken``, the ``top`` kommuner losing the most high-class farmland
    (``kommun_code``, ``kommun_name``, ``farmland_taken_ha``); empty without scenarios."""
    scenarios = scenario_rows(con)
    if not scenarios:
        return []
    losers: dict[str, list[dict[str, Any]]] = {}
    for scenario, code, name, hectares in con.execute(
        sql("publish/summary_scenario_farmland"), {"top": top}
    ).fetchall():
        losers.setdefault(scenario, []).append(
            {"kommun_code": code, "kommun_name": name, "farmland_taken_ha": hectares}
        )
    return [{**s, "most_farmland_taken": losers.get(s["scenario"], [])} for s in scenarios]


def scenario_lines(section: list[dict[str, Any]]) -> list[str]:
    """The printed scenario section: per scenario its totals and the kommuner losing the most
    farmland; no lines without scenarios."""
    if not section:
        return []
    lines = ["", "Growth scenarios:"]
    for s in section:
        share = s["near_frequent_stop_share"]
        near = "n/a" if share is None else f"{100 * share:.0f} %"
        lines.append(
            f"  {s['scenario']} ({s['title']}): {s['new_inhabitants']:,.0f} new inhabitants "
            f"({s['unmet_inhabitants']:,.0f} unplaced) on {s['developed_ha']:,.1f} ha, "
            f"{s['farmland_taken_ha']:,.1f} ha high-class farmland taken, {near} near a "
            f"frequent stop, {s['conflicts']} conflicts, {s['wind_mw']:,.0f} of "
            f"{s['wind_target_mw']:,.0f} MW wind placed, {s['wind_eligible_ha']:,.0f} ha "
            "eligible for wind"
        )
        most = ", ".join(
            f"{k['kommun_name']} {k['farmland_taken_ha']:,.1f} ha" for k in s["most_farmland_taken"]
        )
        lines.append(f"    most farmland taken: {most or 'none'}")
    return lines


def checked_line(con: duckdb.DuckDBPyConnection) -> str:
    """When the data was last checked and last rebuilt, from ``mart.runs``."""
    row = con.execute(sql("publish/summary_runs")).fetchone()
    if row is None:  # an aggregate always gives one row
        raise RuntimeError("sql/publish/summary_runs.sql returned no row")
    checked, rebuilt, runs, quiet, failed = row
    return (
        f"Last checked: {checked} (last rebuilt {rebuilt}; {runs} "
        f"{'night' if runs == 1 else 'nights'} recorded: {quiet} quiet, {failed} failed)"
    )


def counting_line(conflicts: int, area_km2: float) -> str:
    """The one line that says how a conflict spanning kommuner enters the unit totals."""
    return COUNTING.format(conflicts=conflicts, area_km2=area_km2)


def output_files(output: Path) -> list[Path]:
    """The files of one output: the file itself, or every file in a folder (sorted)."""
    return sorted(p for p in output.rglob("*") if p.is_file()) if output.is_dir() else [output]


def file_entries(
    files: list[Path], digests: Mapping[Path, str] | None = None
) -> list[dict[str, object]]:
    """Name, size and SHA-256 of each file; a folder gives one entry per file in it, named
    ``<folder>/<file>`` (sorted). ``digests`` holds SHA-256s already taken (by path)."""
    known = digests or {}
    entries: list[dict[str, object]] = []
    for f in files:
        for path in output_files(f):
            name = path.relative_to(f.parent).as_posix()
            digest = known.get(path) or sha256_file(path)
            entries.append({"name": name, "bytes": path.stat().st_size, "sha256": digest})
    return entries


def summary_document(
    database: Path,
    files: list[Path],
    *,
    release_id: str,
    published_at: datetime,
    top: int = 10,
    digests: Mapping[Path, str] | None = None,
) -> dict[str, Any]:
    """The content of ``run_summary.json``: release, counts, top conflicts and the files.

    ``layers_not_fresh`` lists every stale or failed layer (``layer``, ``source``,
    ``status``, ``problem``); ``rules_not_complete`` every unknown or stale rule.

    ``files`` are the other outputs of the same release; each is listed with its size and
    SHA-256 so a reader can check that a set is whole (a folder such as ``reports`` file by
    file). ``counting`` says in one line how a conflict spanning kommuner is counted;
    ``runs`` when the data was last checked and last rebuilt, and how many nights (quiet and
    failed ones included) are recorded. ``scenarios`` lists each growth scenario's totals
    and the kommuner losing the most farmland under it (:func:`scenario_section`; empty
    without scenarios). ``digests``: SHA-256s of those files already taken, by path.
    """
    with connect(database, read_only=True) as con:

        def records(name: str, params: dict[str, object] | None = None) -> list[dict]:
            rel = con.execute(sql(name), params or {})
            columns = [d[0] for d in rel.description]
            return [dict(zip(columns, row, strict=True)) for row in rel.fetchall()]

        severity = records("publish/summary_severity")
        total = sum(int(r["conflicts"]) for r in severity)
        total_km2 = sum(float(r["area_km2"] or 0.0) for r in severity)
        return {
            "release_id": release_id,
            "published_at": published_at.isoformat(),
            "crs": "EPSG:3006",
            "severity": severity,
            "kommunalforbund": records("publish/summary_kommunalforbund"),
            "counting": counting_line(total, total_km2),
            "runs": records("publish/summary_runs")[0],
            "rules_unknown": records("publish/summary_rules_unknown"),
            "layers_not_fresh": [asdict(p) for p in _layer_problems_in(con)],
            "rules_not_complete": [asdict(p) for p in _rule_problems_in(con)],
            "top_conflicts": records("publish/summary_top", {"top": top}),
            "scenarios": scenario_section(con),
            "files": file_entries(files, digests),
        }


def write_summary_json(target: Path, document: dict[str, Any]) -> Path:
    """Write ``document`` as indented UTF-8 JSON."""
    target.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return target
