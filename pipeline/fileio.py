"""Small file helpers shared by the stages: hashing and the one atomic write."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

#: How long after a file's last change a value computed from it must have been computed
#: for :class:`FileMemo` to trust it by the file's identity alone (ns): a write in the same
#: timestamp tick as the computation, or on a file system with coarse times (FAT: 2 s),
#: could leave the identity as it was.
SETTLED_NS = 2_000_000_000


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes (streamed by :func:`hashlib.file_digest`)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def file_identity(path: Path) -> list[int]:
    """What changes whenever ``path``'s bytes may have: device, inode, size, and modification
    and status-change times in ns. A write or a rename into place sets the status-change
    time to now, and no user call sets it back (``touch``, ``cp -p`` and unpacking an
    archive set only the modification time)."""
    stat = path.stat()
    return [stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns]


class FileMemo:
    """Values computed from files' bytes, remembered between processes by file identity in
    ``store`` (JSON): a file's SHA-256 (:mod:`pipeline.sources.local`), or that DuckDB
    checked its signature (:mod:`pipeline.db`).

    :meth:`value` returns the remembered value when the file's :func:`file_identity`
    equals the one recorded with it and the value was computed at least :data:`SETTLED_NS`
    after the file's last change; otherwise it computes the value, and remembers it if the
    identity did not change meanwhile (a computation that raises is not remembered).
    :meth:`save` writes the memo (atomically, dropping files that no longer exist). A memo
    that cannot be read or written is logged and only costs the computing.
    """

    def __init__(self, store: Path) -> None:
        self.store = store
        self._entries: dict[str, dict[str, object]] = {}
        self._changed = False
        try:
            self._entries = dict(json.loads(store.read_text(encoding="utf-8")))
        except FileNotFoundError:
            pass
        except (OSError, ValueError, TypeError) as exc:
            log.warning("%s cannot be read (%s); every value is computed again", store, exc)

    def value(self, path: Path, compute: Callable[[Path], str]) -> str:
        """``compute(path)``, or what it gave for the same bytes before (class doc)."""
        key = str(path.resolve())
        identity = file_identity(path)
        entry = self._entries.get(key, {})
        computed_ns = entry.get("computed_ns")
        if (
            entry.get("identity") == identity
            and isinstance(computed_ns, int)
            and computed_ns - max(identity[3], identity[4]) >= SETTLED_NS
        ):
            return str(entry["value"])
        computed_ns = time.time_ns()
        value = compute(path)
        if file_identity(path) == identity:
            self._entries[key] = {"identity": identity, "value": value, "computed_ns": computed_ns}
            self._changed = True
        return value

    def save(self) -> None:
        """Write the memo if it changed; a memo that cannot be written is logged (the next
        process computes again)."""
        if not self._changed:
            return
        kept = {key: entry for key, entry in self._entries.items() if Path(key).exists()}
        try:
            write_text_atomic(self.store, json.dumps(kept, indent=0))
        except OSError as exc:
            log.warning("%s cannot be written (%s); values are computed again", self.store, exc)
        self._changed = False


@contextmanager
def atomic_write(path: Path, *, keep_suffix: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it over ``path``.

    The temporary name is hidden and unique (``.<name>.<uuid>.tmp``), so two writers never
    share it and a reader never sees a half-written file. On an exception the temporary
    file is removed and ``path`` is left as it was. The parent folder is created.
    ``keep_suffix`` ends the temporary name with ``path``'s suffix (``….tmp.gpkg``), for
    writers that choose the format by it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix if keep_suffix else ""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp{suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through :func:`atomic_write`."""
    with atomic_write(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
