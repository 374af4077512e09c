"""The kommunalförbund table is read by header names and checked against Sweden's kommuner."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import ConfigError
from pipeline.config.reporting import KOMMUNALFORBUND_COLUMNS, read_kommunalforbund
from pipeline.config.settings import PROJECT_ROOT

GOOD = (
    "kommun_code,kommun_name,lan_code,kommunalforbund\n"
    "1480,Göteborg,14,Göteborgsregionen\n"
    "1490,Borås,14,Sjuhärad\n"
)


def _table(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kommunalforbund.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_reordered_columns_give_the_same_table(tmp_path: Path) -> None:
    reordered = (
        "kommunalforbund,kommun_name,kommun_code,lan_code\n"
        "Göteborgsregionen,Göteborg,1480,14\n"
        "Sjuhärad,Borås,1490,14\n"
    )
    expected = read_kommunalforbund(_table(tmp_path, GOOD))
    frame = read_kommunalforbund(_table(tmp_path, reordered))
    assert list(frame.columns) == list(KOMMUNALFORBUND_COLUMNS)
    assert frame.to_dict("records") == expected.to_dict("records")
    assert frame.set_index("kommun_code")["kommunalforbund"].to_dict() == {
        "1480": "Göteborgsregionen",
        "1490": "Sjuhärad",
    }


def test_lan_code_is_derived_when_absent(tmp_path: Path) -> None:
    path = _table(tmp_path, "kommun_code,kommunalforbund,kommun_name\n1384,GR,Kungsbacka\n")
    assert read_kommunalforbund(path).to_dict("records") == [
        {
            "kommun_code": "1384",
            "kommun_name": "Kungsbacka",
            "lan_code": "13",
            "kommunalforbund": "GR",
        }
    ]


def test_the_shipped_table_is_valid() -> None:
    frame = read_kommunalforbund(PROJECT_ROOT / "config" / "kommunalforbund.csv")
    assert (frame["lan_code"] == "14").sum() == 49
    assert frame["kommunalforbund"].nunique() == 4


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        (
            "kommun_code,kommun_name\n1480,Göteborg\n",
            ["missing column 'kommunalforbund'"],
        ),
        (
            "kommun_code,kommun_name,kommunalforbund,region\n1480,Göteborg,GR,VG\n",
            ["unknown column 'region'"],
        ),
        (
            "kommun,namn,forbund\n1480,Göteborg,GR\n",
            ["missing column 'kommun_code'", "unknown column 'kommun'"],
        ),
        (
            "kommun_code,kommun_name,kommunalforbund\n1480,Göteborg,GR\n1480,Göteborg,GR\n",
            ["kommun_code 1480 occurs more than once (lines 2, 3)"],
        ),
        (
            "kommun_code,kommun_name,kommunalforbund\n148,Göteborg,GR\n",
            ["line 2: kommun_code '148' is not a four-digit kommun code"],
        ),
        (
            "kommun_code,kommun_name,kommunalforbund\n1480,Göteborg,GR\n1409,Nowhere,GR\n",
            ["line 3: kommun_code 1409 is not a kommun of Sweden"],
        ),
        (  # columns swapped in the data but not the header: names do not fit the codes
            "kommun_code,kommun_name,kommunalforbund\n1480,GR,Göteborg\n",
            ["line 2: kommun 1480 is Göteborg, not 'GR'"],
        ),
        (
            "kommun_code,kommun_name,lan_code,kommunalforbund\n1480,Göteborg,13,GR\n",
            ["line 2: kommun 1480 lies in län 14, not '13'"],
        ),
        (
            "kommun_code,kommun_name,kommunalforbund\n1480,Göteborg,\n",
            ["line 2: empty kommunalforbund"],
        ),
        ("kommun_code,kommun_name,kommunalforbund\n", ["the table has no rows"]),
    ],
)
def test_malformed_table_is_one_error_naming_file_and_problem(
    tmp_path: Path, text: str, problems: list[str]
) -> None:
    path = _table(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        read_kommunalforbund(path)
    assert err.value.path == path
    assert str(path) in str(err.value)
    for problem in problems:
        assert any(problem in line for line in err.value.problems), err.value.problems


def test_missing_table(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        read_kommunalforbund(tmp_path / "none.csv")
