"""Code versions change with every file that shapes an output, report templates included."""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeline.versioning as versioning


def test_a_template_edit_changes_the_fingerprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    templates = tmp_path / "pipeline" / "publish" / "templates"
    templates.mkdir(parents=True)
    (templates / "kommun.html").write_text("<h1>{{ name }}</h1>", encoding="utf-8")
    (templates / "notes.txt").write_text("not code", encoding="utf-8")
    monkeypatch.setattr(versioning, "PROJECT_ROOT", tmp_path)
    fingerprint = versioning.source_fingerprint.__wrapped__
    before = fingerprint("pipeline/publish")
    (templates / "notes.txt").write_text("still not code", encoding="utf-8")
    assert fingerprint("pipeline/publish") == before
    (templates / "kommun.html").write_text("<h2>{{ name }}</h2>", encoding="utf-8")
    assert fingerprint("pipeline/publish") != before
