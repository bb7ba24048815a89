"""Writing a file so that readers see all of it or none of it.

:func:`atomic_file` is the one way the project writes a file that must not be seen half
written: CLI exports (``veriseal_cli.output``) and ledger archives
(:mod:`veriseal.ledger.archive`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


@contextlib.contextmanager
def atomic_file(path: Path, private: bool = False) -> Iterator[BinaryIO]:
    """Binary output to ``path``, written as ``<name>.part``, fsynced, renamed only when
    the block succeeds, and the rename itself synced (the folder's entry): readers see a
    complete file or none, and a file reported written survives a crash. ``private``:
    the file holds personal data (scan locations, identity documents) and is created
    readable by its owner only (0600), like the ledger it came from."""
    tmp = path.with_name(path.name + ".part")
    mode = 0o600 if private else 0o666  # 0o666 is narrowed by the umask, as open() does
    try:
        tmp.unlink(missing_ok=True)  # a leftover part file keeps its old mode otherwise
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        tmp.replace(path)
        _sync_dir(path.parent)
    finally:
        tmp.unlink(missing_ok=True)


def _sync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (a no-op where a folder cannot be opened,
    as on Windows)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
