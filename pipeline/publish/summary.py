"""The run summary printed at the end of `make run`, read from the published DuckDB file."""

from __future__ import annotations

from pathlib import Path

from pipeline.db import connect


def run_summary(database: Path, outputs: list[Path], top: int = 10) -> str:
    """Top conflicts, counts per severity and kommunalförbund, and where every output is."""
    con = connect(database, read_only=True)
    try:
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
        for severity, n, area in con.execute(
            "SELECT severity, count(*), round(sum(area_m2) / 1e6, 2) FROM mart.conflicts "
            "GROUP BY severity ORDER BY min(CASE severity WHEN 'exclusion' THEN 0 "
            "WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END)"
        ).fetchall():
            lines.append(f"  {severity:<10} {n:>6} conflicts, {area:>10} km²")
        lines.append("")
        lines.append("Per kommunalförbund:")
        for name, n, area, status in con.execute(
            "SELECT kommunalforbund, conflicts, round(area_m2 / 1e6, 2), status "
            "FROM mart.kommunalforbund_summary ORDER BY kommunalforbund"
        ).fetchall():
            lines.append(f"  {name:<20} {n:>6} conflicts, {area:>10} km² ({status})")
        unknown = con.execute(
            "SELECT rule_id, missing_layers FROM mart.rule_summary WHERE status = 'unknown'"
        ).fetchall()
        for rule_id, missing in unknown:
            lines.append(f"  rule {rule_id} is UNKNOWN: layers missing {', '.join(missing)}")
        lines.append("")
        lines.append("Outputs:")
        lines.extend(f"  {path}" for path in outputs if path.exists())
        return "\n".join(lines)
    finally:
        con.close()
