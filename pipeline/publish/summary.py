"""The run summary: printed at the end of `make run`, and ``run_summary.json`` in a release."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from pipeline.db import connect, sql
from pipeline.fileio import sha256_file


def run_summary(database: Path, outputs: list[Path], top: int = 10) -> str:
    """Top conflicts, counts per severity and kommunalförbund, and where every output is."""
    with connect(database, read_only=True) as con:
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
        for severity, n, area in con.execute(sql("publish/summary_severity")).fetchall():
            lines.append(f"  {severity:<10} {n:>6} conflicts, {area:>10.2f} km²")
        lines.append("")
        lines.append("Per kommunalförbund:")
        for name, n, area, _score, status in con.execute(
            sql("publish/summary_kommunalforbund")
        ).fetchall():
            lines.append(f"  {name:<20} {n:>6} conflicts, {area:>10.2f} km² ({status})")
        for rule_id, missing in con.execute(sql("publish/summary_rules_unknown")).fetchall():
            lines.append(f"  rule {rule_id} is UNKNOWN: layers missing {', '.join(missing)}")
        lines.append("")
        lines.append("Outputs:")
        lines.extend(f"  {path}" for path in outputs if path.exists())
        return "\n".join(lines)


def summary_document(
    database: Path, files: list[Path], *, release_id: str, published_at: datetime, top: int = 10
) -> dict[str, Any]:
    """The content of ``run_summary.json``: release, counts, top conflicts and the files.

    ``files`` are the other outputs of the same release; each is listed with its size and
    SHA-256 so a reader can check that a set is whole.
    """
    with connect(database, read_only=True) as con:

        def records(name: str, params: dict[str, object] | None = None) -> list[dict]:
            rel = con.execute(sql(name), params or {})
            columns = [d[0] for d in rel.description]
            return [dict(zip(columns, row, strict=True)) for row in rel.fetchall()]

        return {
            "release_id": release_id,
            "published_at": published_at.isoformat(),
            "crs": "EPSG:3006",
            "severity": records("publish/summary_severity"),
            "kommunalforbund": records("publish/summary_kommunalforbund"),
            "rules_unknown": records("publish/summary_rules_unknown"),
            "top_conflicts": records("publish/summary_top", {"top": top}),
            "files": [
                {"name": f.name, "bytes": f.stat().st_size, "sha256": sha256_file(f)} for f in files
            ],
        }


def write_summary_json(target: Path, document: dict[str, Any]) -> Path:
    """Write ``document`` as indented UTF-8 JSON."""
    target.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return target
