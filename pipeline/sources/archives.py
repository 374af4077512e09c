"""Zip archives checked before anything reads from them.

Publishers ship most layers as zips (Naturvårdsregistret, Skogsstyrelsen, Länsstyrelsen
ShapeExport). Archives are read in place through GDAL's ``/vsizip/``, never extracted, and
only after every member name and size has been checked: a member that would escape its
folder (``../x``, ``/etc/x``, ``C:\\x``), a symlink, an encrypted member, or sizes that look
like a zip bomb make the whole archive unreadable, with a message that names the member.
"""

from __future__ import annotations

import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

#: File name endings of datasets that may be read from inside an archive.
DATASET_SUFFIXES = (
    ".shp",
    ".gpkg",
    ".geojson",
    ".json",
    ".fgb",
    ".csv",
    ".parquet",
    ".geoparquet",
    ".gml",
    ".kml",
    ".gdb",
)

_DRIVE = re.compile(r"^[A-Za-z]:")


class ArchiveError(ValueError):
    """An archive is unsafe or does not hold the member asked for."""


@dataclass(frozen=True)
class ArchiveLimits:
    """Bounds that stop a zip bomb before GDAL inflates it.

    Parameters
    ----------
    max_members
        Most entries an archive may hold.
    max_total_bytes
        Most bytes all members may inflate to together.
    max_ratio
        Highest inflated/compressed ratio of a member larger than ``ratio_floor_bytes``.
        Shapefiles with blank-padded DBFs reach about 100; deflate bombs reach about 1,000.
    ratio_floor_bytes
        Members smaller than this are not ratio-checked (tiny files compress oddly).
    """

    max_members: int = 20_000
    max_total_bytes: int = 16 * 2**30
    max_ratio: float = 400.0
    ratio_floor_bytes: int = 1 << 20


DEFAULT_LIMITS = ArchiveLimits()


def unsafe_name_reason(name: str) -> str | None:
    """Why a member name is unsafe, or None when it stays inside the archive's folder.

    >>> unsafe_name_reason("NR/NR_polygon.shp") is None
    True
    >>> unsafe_name_reason("../evil.shp")
    "path traversal ('..')"
    """
    posix = name.replace("\\", "/")
    if posix.startswith("/") or _DRIVE.match(posix):
        return "absolute path"
    if ".." in PurePosixPath(posix).parts:
        return "path traversal ('..')"
    if "\x00" in posix:
        return "NUL byte in name"
    return None


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def checked_members(path: Path, limits: ArchiveLimits = DEFAULT_LIMITS) -> list[str]:
    """Names of the members of zip ``path`` after checking that reading it is safe.

    Raises
    ------
    ArchiveError
        When the file is not a zip, or a member is unsafe (traversal, absolute, symlink,
        encrypted) or the sizes exceed ``limits``.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise ArchiveError(f"not a valid zip archive ({exc})") from exc
    if len(infos) > limits.max_members:
        raise ArchiveError(f"archive has {len(infos)} members, more than {limits.max_members}")
    total = 0
    for info in infos:
        reason = unsafe_name_reason(info.filename)
        if reason:
            raise ArchiveError(f"unsafe archive member '{info.filename}': {reason}")
        if _is_symlink(info):
            raise ArchiveError(f"unsafe archive member '{info.filename}': symbolic link")
        if info.flag_bits & 0x1:
            raise ArchiveError(f"archive member '{info.filename}' is encrypted")
        total += info.file_size
        if info.file_size > limits.ratio_floor_bytes:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                raise ArchiveError(
                    f"archive member '{info.filename}' inflates {ratio:.0f}-fold "
                    f"(limit {limits.max_ratio:.0f}): refusing a possible zip bomb"
                )
    if total > limits.max_total_bytes:
        raise ArchiveError(
            f"archive inflates to {total} bytes, more than the limit of {limits.max_total_bytes}"
        )
    return [info.filename for info in infos]


def _is_dataset(name: str) -> bool:
    parts = PurePosixPath(name).parts
    if not parts or parts[0] == "__MACOSX" or parts[-1].startswith("."):
        return False
    return name.rstrip("/").lower().endswith(DATASET_SUFFIXES)


def choose_member(names: list[str], member: str | None) -> str:
    """The archive member to read: ``member`` if given, else the archive's only dataset.

    ``member`` matches a full member path or, when unique, a bare file name (``NR_polygon.shp``
    finds ``NR/NR_polygon.shp``), case-insensitively. A folder dataset (``x.gdb``) matches its
    folder. Nothing is guessed: several candidates without ``member`` is an error.
    """
    clean = [n.replace("\\", "/") for n in names]
    if member is not None:
        wanted = member.replace("\\", "/").strip("/").lower()
        exact = [n.rstrip("/") for n in clean if n.rstrip("/").lower() == wanted]
        if exact:
            return exact[0]
        folder = [n for n in clean if n.lower().startswith(wanted + "/")]
        if folder:
            return folder[0][: len(wanted)]
        by_name = [n for n in clean if PurePosixPath(n).name.lower() == wanted]
        if len(by_name) == 1:
            return by_name[0]
        if len(by_name) > 1:
            raise ArchiveError(
                f"member '{member}' matches several entries ({', '.join(by_name)}); "
                "give its full path inside the archive"
            )
        raise ArchiveError(f"member '{member}' is not in the archive; it holds: {_listing(clean)}")
    datasets = sorted({root for n in clean if (root := _dataset_root(n)) is not None})
    if len(datasets) == 1:
        return datasets[0]
    if not datasets:
        raise ArchiveError(f"archive holds no readable dataset; it holds: {_listing(clean)}")
    raise ArchiveError(
        f"archive holds several datasets ({', '.join(datasets)}); name one with 'member'"
    )


def _dataset_root(name: str) -> str | None:
    """The dataset a member belongs to: itself, or its enclosing ``.gdb`` folder."""
    parts = PurePosixPath(name).parts
    for i, part in enumerate(parts):
        if part.lower().endswith(".gdb"):
            return "/".join(parts[: i + 1])
    return name if _is_dataset(name) and not name.endswith("/") else None


def _listing(names: list[str], limit: int = 20) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", … ({len(names) - limit} more)" if len(names) > limit else "")


def has_sidecar(names: list[str], member: str, suffix: str) -> bool:
    """Whether the archive holds ``member`` with its suffix replaced (``.cpg`` for a ``.shp``)."""
    wanted = str(PurePosixPath(member).with_suffix(suffix)).lower()
    return any(n.replace("\\", "/").lower() == wanted for n in names)
