"""Code versions derived from the code itself, so they change whenever logic or SQL changes."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
#: Files whose contents are code: Python, SQL and the report templates (Jinja2 HTML).
CODE_SUFFIXES = (".py", ".sql", ".html")


@cache
def source_fingerprint(*paths: str) -> str:
    """Short hash of every code file (:data:`CODE_SUFFIXES`) at or under ``paths`` (folders
    or files, relative to the project).

    Used as Dagster ``code_version`` and in the skip keys: editing a stage's code or SQL
    makes its assets stale and forces the next run to rebuild them.
    """
    digest = hashlib.sha256()
    for relative in paths:
        root = PROJECT_ROOT / relative
        files = [root] if root.is_file() else sorted(root.rglob("*"))
        for path in files:
            if path.suffix in CODE_SUFFIXES and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]
