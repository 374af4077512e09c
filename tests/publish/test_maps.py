"""The maps: PNG with the release id, HTML offline and alive in headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser import chromium_path, open_page
from PIL import Image

from pipeline.publish.maps import png_preview_markdown, png_release_id

needs_chromium = pytest.mark.skipif(
    chromium_path() is None,
    reason="headless check needs Debian's chromium (apt-get install chromium)",
)


def test_png_is_a_map_of_this_release(published) -> None:
    path = published.out_dir / "conflict_map.png"
    with Image.open(path) as image:
        assert image.width > 800 and image.height > 800
        colours = image.convert("RGB").getcolors(1 << 20) or []
    assert png_release_id(path) == published.release.release_id
    # the exclusion zone's dark red is drawn (alpha 0.85 over white)
    assert any(r > 130 and g < 50 and b < 50 for _, (r, g, b) in colours)
    assert png_preview_markdown(path).startswith("![conflict map](data:image/png;base64,")


def test_html_references_nothing_online(published) -> None:
    text = (published.out_dir / "conflict_map.html").read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", text)
    assert not re.search(r"<link[^>]+stylesheet", text)
    assert "Leaflet 1.9.4" in text and "url(images/" not in text
    assert len(text) < 2_000_000


@needs_chromium
def test_html_map_renders_without_errors(published) -> None:
    report = open_page(
        published.out_dir / "conflict_map.html",
        {
            "shapes": "document.querySelectorAll('path.leaflet-interactive').length",
            "toggles": "document.querySelectorAll('.leaflet-control-layers-overlays input').length",
            "labels": "[...document.querySelectorAll('.leaflet-control-layers-overlays span')]"
            ".map(e => e.textContent.trim()).join('|')",
        },
    )
    assert report.errors == []
    assert [u for u in report.requests if not u.startswith(("file:", "data:"))] == []
    assert report.values["shapes"] == 3 + 3  # three kommuner and three conflicts
    assert report.values["toggles"] == 1 + 3  # kommun borders and one per rule
    assert "Vindbruk i Natura 2000 (1)" in str(report.values["labels"])


@needs_chromium
def test_browser_check_sees_errors(tmp_path: Path) -> None:
    """Control: the same check fails on a page with a script error."""
    page = tmp_path / "broken.html"
    page.write_text("<html><body><script>undefinedFunction()</script></body></html>")
    report = open_page(page, {})
    assert any("undefinedFunction" in e for e in report.errors)
