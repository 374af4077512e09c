"""The executor benchmark exists, compares within rounds, and its figures are in the docs
(the figures themselves are measured, not asserted: bench/ui_bench.py)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ui_bench", ROOT / "bench" / "ui_bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_ratios_are_medians_of_each_rounds_own_ratio() -> None:
    bench = _bench()
    m = bench.Measured
    results = {
        ("make run", "cold"): [m(10.0, 8.0, 9.0), m(20.0, 16.0, 18.0), m(30.0, 24.0, 27.0)],
        ("UI / schedule", "cold"): [m(12.0, 8.0, 9.0), m(40.0, 32.0, 36.0), m(33.0, 24.0, 27.0)],
        ("make run", "unchanged"): [m(2.0, 1.0, 1.0)] * 3,
        ("UI / schedule", "unchanged"): [m(3.0, 2.0, 1.5)] * 3,
    }
    text = bench.report(results, 3, "in_process", 1.0, 1.0)
    cold = next(line for line in text.splitlines() if line.startswith("| cold"))
    # per-round wall ratios 1.2, 2.0, 1.1 -> median 1.20 (not 28.3 / 20.0 = 1.42)
    assert cold.split(" | ")[3] == "1.20×"
    assert "| unchanged | 2.0 | 3.0 | 1.50× | 1.0 | 2.0 | 2.00× |" in text


def test_the_measured_table_is_in_the_benchmarks_page() -> None:
    bench = _bench()
    page = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    assert bench.HEADING in page
    section = page.split(bench.HEADING, 1)[1].split("\n## ", 1)[0]
    assert "bench/ui_bench.py" in section
    for night in bench.NIGHTS:
        assert re.search(rf"^\| {night} \| [0-9.]+ \| [0-9.]+ \| [0-9.]+×", section, re.M), night
