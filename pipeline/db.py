"""DuckDB connections with the spatial extension, and the SQL files in ``sql/``.

The spatial extension is loaded from the ``duckdb-extension-spatial`` wheel, so nothing is
downloaded at run time (docs/decisions.md). DuckDB checks its signature (hashing the 80 MB
binary, about 0.3 s of CPU) once for each version of the file: connections load the same,
unchanged file without checking again, in this process and, through a memo in the user's
cache folder, in later ones (:func:`connect`).
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path

import duckdb
import duckdb_extension_spatial
import pandas as pd
import platformdirs

from pipeline.fileio import FileMemo, file_identity

SQL_DIR = Path(__file__).resolve().parents[1] / "sql"


def spatial_extension_path() -> Path:
    """Path of the spatial extension binary inside its PyPI wheel, for this duckdb version."""
    root = Path(duckdb_extension_spatial.__file__).parent / "extensions"
    path = root / f"v{duckdb.__version__}" / "spatial.duckdb_extension"
    if not path.exists():
        raise RuntimeError(
            f"DuckDB {duckdb.__version__} has no spatial extension in {root}: install "
            f"duckdb-extension-spatial=={duckdb.__version__} (constraints.txt pins both)"
        )
    return path


#: The spatial extension file whose signature DuckDB checked in this process, by its
#: :func:`~pipeline.fileio.file_identity`; None until the first connection.
_checked_extension: list[int] | None = None
_check_lock = threading.Lock()
#: Extension files whose signature DuckDB checked, by identity, for later processes.
CHECKED_EXTENSIONS = Path(platformdirs.user_cache_dir("landuse-conflicts")) / "checked.json"
#: The value :data:`CHECKED_EXTENSIONS` holds for a file that passed the check.
SIGNATURE_CHECKED = "signature checked by DuckDB"


def _check_signature(extension: Path) -> None:
    """Have DuckDB check ``extension``'s signature (a throwaway in-memory database with
    DuckDB's default, signed-only loading), unless this very file (same identity, not
    written since) was checked already, in this process or an earlier one
    (:data:`CHECKED_EXTENSIONS`); raise ``duckdb.Error`` when it is not signed, and then
    remember nothing."""
    global _checked_extension
    with _check_lock:
        identity = file_identity(extension)
        if identity == _checked_extension:
            return
        memo = FileMemo(CHECKED_EXTENSIONS)
        memo.value(extension, _signature_checked)
        memo.save()
        _checked_extension = identity


def _signature_checked(extension: Path) -> str:
    with duckdb.connect(config={"autoinstall_known_extensions": False}) as check:
        check.execute(f"LOAD {sql_literal(str(extension))}")
    return SIGNATURE_CHECKED


def connect(
    path: Path | str = ":memory:",
    *,
    read_only: bool = False,
    settings: dict[str, str] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open ``path`` with the spatial extension loaded and autoinstall switched off;
    ``settings`` are further DuckDB options (e.g. ``memory_limit``, ``temp_directory``).

    DuckDB checks the extension's signature once for each version of the file
    (:func:`_check_signature`: again whenever the file is not the one checked, in this
    process or an earlier one); every connection then loads that file
    with ``allow_unsigned_extensions``, so all connections to one database share one
    configuration (DuckDB refuses a second connection to an open file with another).
    """
    extension = spatial_extension_path()
    _check_signature(extension)
    con = duckdb.connect(
        str(path),
        read_only=read_only,
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "allow_unsigned_extensions": True,
            **(settings or {}),
        },
    )
    try:
        con.execute(f"LOAD {sql_literal(str(extension))}")
    except BaseException:
        con.close()
        raise
    return con


def sql_literal(text: str) -> str:
    """``text`` as a SQL string literal, for the few statements that take no parameters
    (``LOAD``, ``ATTACH``): quotes are doubled."""
    return "'" + text.replace("'", "''") + "'"


@cache
def sql(name: str) -> str:
    """The text of ``sql/<name>.sql``, e.g. ``sql("conflicts/candidate_cells")``."""
    path = SQL_DIR / f"{name}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"no SQL file {path}")
    return path.read_text(encoding="utf-8")


def run_sql(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, object]) -> None:
    """Run every statement of ``sql/<name>.sql``, binding the ``$name`` parameters it uses.

    DuckDB's own parser splits the file (:func:`duckdb.extract_statements`) and names each
    statement's parameters; values are always bound, never formatted.
    """
    for statement in duckdb.extract_statements(sql(name)):
        missing = statement.named_parameters - params.keys()
        if missing:
            raise KeyError(f"sql/{name}.sql needs parameters {sorted(missing)}")
        con.execute(statement, {k: params[k] for k in statement.named_parameters})


def create_table(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    """``CREATE OR REPLACE TABLE name`` from a pandas frame (``name`` is a fixed, trusted
    identifier of the caller's, never from configuration)."""
    con.register("_create_table_frame", frame)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _create_table_frame")
    finally:
        con.unregister("_create_table_frame")
