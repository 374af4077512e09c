"""Install the spatial extension from its PyPI wheel into DuckDB's extension directory.

``make install`` runs ``python -m pipeline.extensions`` once, so that ``LOAD spatial`` works
offline in the DuckDB shell (``.venv/bin/duckdb``) and in a plain ``duckdb.connect()``, as
docs/analyst-guide.md shows, without ``INSTALL spatial`` ever reaching the network. The
binary comes from the ``duckdb-extension-spatial`` wheel of the pinned DuckDB version
(:func:`pipeline.db.spatial_extension_path`); DuckDB copies it into its extension directory
(default ``~/.duckdb/extensions/v<version>/<platform>/``, the one the shell and the Python
package of the same version share). The pipeline itself does not need this: it loads the
wheel's binary by path.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

from pipeline.db import spatial_extension_path, sql_literal


def install_spatial(extension_directory: Path | None = None) -> Path:
    """Install the wheel's spatial extension; return where DuckDB installed it.

    ``extension_directory`` overrides DuckDB's default directory (``SET
    extension_directory``); readers must then set the same directory.

    Raises
    ------
    RuntimeError
        When DuckDB does not report the extension installed afterwards.
    """
    with duckdb.connect(config={"autoinstall_known_extensions": False}) as con:
        if extension_directory is not None:
            con.execute(f"SET extension_directory = {sql_literal(str(extension_directory))}")
        con.execute(f"FORCE INSTALL {sql_literal(str(spatial_extension_path()))}")
        row = con.execute(
            "SELECT installed, install_path FROM duckdb_extensions() "
            "WHERE extension_name = 'spatial'"
        ).fetchone()
    if row is None or not row[0]:
        raise RuntimeError("DuckDB did not install the spatial extension from its wheel")
    return Path(row[1])


def main() -> int:
    path = install_spatial()
    print(f"DuckDB {duckdb.__version__}: spatial extension installed at {path} (LOAD spatial)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
