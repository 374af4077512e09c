"""Small file helpers shared by the stages: hashing and the one atomic write."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

#: How long after a file's last change its SHA-256 must have been taken for
#: :class:`Sha256Memo` to trust it by the file's identity alone (ns): a write in the same
#: timestamp tick as the hash, or on a file system with coarse times (FAT: 2 s), could
#: leave the identity as it was.
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


class Sha256Memo:
    """SHA-256s of files remembered between processes, by file identity, in ``store`` (JSON).

    :meth:`sha256` returns the remembered digest when the file's :func:`file_identity`
    equals the one recorded with it and the digest was taken at least :data:`SETTLED_NS`
    after the file's last change; otherwise it hashes the file, and remembers the digest
    if the identity did not change while it was hashed. :meth:`save` writes the memo
    (atomically, dropping files that no longer exist). A memo that cannot be read is
    logged and started anew: it only ever saves time.
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
            log.warning("%s cannot be read (%s); every file is hashed again", store, exc)

    def sha256(self, path: Path) -> str:
        """Hex SHA-256 of ``path``'s bytes, as :func:`sha256_file` gives it."""
        key = str(path.resolve())
        identity = file_identity(path)
        entry = self._entries.get(key, {})
        hashed_ns = entry.get("hashed_ns")
        if (
            entry.get("identity") == identity
            and isinstance(hashed_ns, int)
            and hashed_ns - max(identity[3], identity[4]) >= SETTLED_NS
        ):
            return str(entry["sha256"])
        hashed_ns = time.time_ns()
        digest = sha256_file(path)
        if file_identity(path) == identity:
            self._entries[key] = {"identity": identity, "sha256": digest, "hashed_ns": hashed_ns}
            self._changed = True
        return digest

    def save(self) -> None:
        """Write the memo if it changed; a memo that cannot be written is logged (the next
        process hashes again)."""
        if not self._changed:
            return
        kept = {key: entry for key, entry in self._entries.items() if Path(key).exists()}
        try:
            write_text_atomic(self.store, json.dumps(kept, indent=0))
        except OSError as exc:
            log.warning("%s cannot be written (%s); the files are hashed again", self.store, exc)
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
