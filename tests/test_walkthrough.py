"""docs/your-own-data.md, followed block by block as a new user would: own files, a catalogue,
two rules, a one-kommun study area, `make run`, and the result table the page shows."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "your-own-data.md"
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.S)


def _blocks(kind: str) -> list[str]:
    return [body for lang, body in BLOCK.findall(PAGE.read_text(encoding="utf-8")) if lang == kind]


def _shown_table() -> list[tuple[str, ...]]:
    """The result table the page shows, as text cells (header and rule lines left out)."""
    text = PAGE.read_text(encoding="utf-8").split("## 5. Read the result", 1)[1]
    lines = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    lines = lines[1:]
    return [tuple(cell.strip() for cell in line.strip("|").split("|")) for line in lines]


def _cell(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


@pytest.mark.slow
def test_the_walkthrough_runs_as_written(tmp_path: Path) -> None:
    (script,) = _blocks("python")
    subprocess.run([sys.executable, "-c", script], cwd=tmp_path, check=True)
    for body in _blocks("yaml"):
        first, _, rest = body.partition("\n")
        target = tmp_path / first.removeprefix("# ").strip()
        target.write_text(rest, encoding="utf-8")
    (commands,) = _blocks("sh")
    assert commands.rstrip().endswith("make run")
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "dagster_home")}
    for var in ("LANDUSE_CATALOGUE", "LANDUSE_RULES", "LANDUSE_DATA_DIR", "LANDUSE_SCENARIOS"):
        env.pop(var, None)
    run = subprocess.run(
        ["bash", "-ec", commands.replace("make run", f"make --no-print-directory -C {ROOT} run")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]

    database = tmp_path / "my-kommun" / "data" / "out" / "landuse.duckdb"
    (query,) = _blocks("sql")
    with duckdb.connect(str(database), read_only=True) as con:
        found = [tuple(_cell(v) for v in row) for row in con.execute(query).fetchall()]
        summary = con.execute(
            "SELECT kommun_code, kommun_name, conflicts, area_m2 FROM mart.kommun_summary"
        ).fetchall()
        layers = dict(con.execute("SELECT layer, status FROM mart.layer_status").fetchall())
    assert found == _shown_table()
    assert summary == [("1442", "Vårgårda", 2, pytest.approx(1_000_000.0))]
    assert layers == {
        "vindomraden": "fresh",
        "naturreservat": "fresh",
        "kraftledningar": "fresh",
        "kommuner": "fresh",
        "fa_regioner": "fresh",
    }
