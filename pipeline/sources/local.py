"""``file`` sources: a local dataset checked, hashed and read in place.

A catalogue ``path`` must be a regular file (a dataset or an archive) or a FileGDB folder
(``.gdb``) of regular files: a device (``/dev/zero``), a FIFO, a socket or any other folder
is refused before anything opens it, since reading one would never end or means nothing.
The sha256 lets the caller recognise an unchanged source without reading it; a file not
written since a night hashed it keeps that night's sha256 (:class:`pipeline.fileio.FileMemo`
in ``<cache>/sha256.json``), so an unchanged national source costs a ``stat`` a night.
"""

from __future__ import annotations

import hashlib
import stat
from datetime import UTC, datetime
from pathlib import Path

from pipeline.config.errors import LayerError
from pipeline.config.models import FileSource, resolve_path
from pipeline.fileio import FileMemo, sha256_file
from pipeline.sources.fetched import FetchContext, FetchedSource

#: Files that belong to a shapefile and change its content.
SHAPEFILE_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
#: Folders read as one dataset.
FOLDER_DATASETS = (".gdb",)
#: The memo of local files' SHA-256s, in the source cache folder.
SHA256_MEMO = "sha256.json"


def sha256_of_files(
    paths: list[Path], root: Path | None = None, memo: FileMemo | None = None
) -> str:
    """SHA-256 identifying the bytes of ``paths``.

    One file: the plain SHA-256 of its bytes (what ``sha256sum`` prints). Several files (a
    shapefile's parts, a folder dataset): the SHA-256 of each file's name (relative to
    ``root`` when given) and SHA-256, in the given order. Each file's SHA-256 comes from
    ``memo`` when given.
    """

    def file_sha256(path: Path) -> str:
        return memo.value(path, sha256_file) if memo is not None else sha256_file(path)

    if len(paths) == 1 and root is None:
        return file_sha256(paths[0])
    digest = hashlib.sha256()
    for path in paths:
        name = path.relative_to(root).as_posix() if root else path.name
        digest.update(name.encode())
        digest.update(bytes.fromhex(file_sha256(path)))
    return digest.hexdigest()


def layer_files(path: Path) -> list[Path]:
    """The files whose bytes make up the dataset at ``path``.

    A shapefile is its ``.shp`` with the sidecars present; a folder dataset (``.gdb``) is all
    files below it in sorted order; anything else is the file itself.
    """
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file())
    if path.suffix.lower() == ".shp":
        return [part for part in _sidecars(path) if part.exists()]
    return [path]


def _sidecars(shp: Path) -> list[Path]:
    """The existing spelling (lower or upper case) of each sidecar, else the lower-case one."""
    found = []
    for ext in SHAPEFILE_SIDECARS:
        upper = shp.with_suffix(ext.upper())
        found.append(
            upper if not shp.with_suffix(ext).exists() and upper.exists() else shp.with_suffix(ext)
        )
    return found


def file_type(mode: int) -> str:
    """What a file of ``st_mode`` ``mode`` is, in words.

    >>> file_type(stat.S_IFCHR)
    'a character device'
    """
    kinds = (
        (stat.S_ISREG, "a regular file"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def unreadable_reason(path: Path) -> str | None:
    """Why ``path`` cannot be read as a dataset, or None when it can.

    Readable: a regular file (a shapefile's existing sidecars regular too), or a folder
    ending in ``.gdb`` holding only regular files and folders.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "file not found"
    except OSError as exc:
        return f"cannot read: {exc}"
    if stat.S_ISDIR(mode):
        if path.suffix.lower() not in FOLDER_DATASETS:
            return (
                "is a directory, not a file or an archive (only a FileGDB folder ending in "
                ".gdb is read as a folder)"
            )
        odd = next((p for p in path.rglob("*") if not (p.is_file() or p.is_dir())), None)
        return (
            None if odd is None else f"holds {odd.relative_to(path)}, which is not a regular file"
        )
    if not stat.S_ISREG(mode):
        return f"is {file_type(mode)}, not a regular file or an archive"
    if path.suffix.lower() == ".shp":
        odd = next((p for p in _sidecars(path) if p.exists() and not p.is_file()), None)
        return None if odd is None else f"its part {odd.name} is not a regular file"
    return None


def fetch_file(spec: FileSource, ctx: FetchContext) -> FetchedSource:
    """Check and hash a local dataset; it is read in place.

    Raises
    ------
    LayerError
        Naming the layer and the path: not found, not a regular file or ``.gdb`` folder, or
        unreadable.
    """
    path = resolve_path(spec.path, ctx.base_dir)
    reason = unreadable_reason(path)
    if reason is not None:
        raise LayerError(ctx.layer, str(path), reason)
    memo = FileMemo(ctx.cache_dir / SHA256_MEMO)
    try:
        digest = sha256_of_files(layer_files(path), path if path.is_dir() else None, memo)
    except OSError as exc:
        raise LayerError(ctx.layer, str(path), f"cannot read: {exc}") from exc
    memo.save()
    return FetchedSource(ctx.layer, path, digest, datetime.now(UTC), str(path))
