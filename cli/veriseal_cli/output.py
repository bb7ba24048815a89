"""Writing command output to a file (atomically) or to standard output."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import click

from veriseal.files import atomic_file

#: The ``-o/--output`` option shared by commands that export data.
output_option = click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Output file, or - for standard output.",
)


def is_stdout(path: Path) -> bool:
    return str(path) == "-"


@contextlib.contextmanager
def open_output(path: Path, private: bool = False) -> Iterator[BinaryIO]:
    """Binary output to ``path`` (or stdout for ``-``). A file is written as
    ``<name>.part``, fsynced and renamed only when the block succeeds: readers see a
    complete file or none, never half an export under the final name. ``private``:
    the file holds personal data (scan locations, identity documents) and is created
    readable by its owner only (0600), like the ledger it came from."""
    if is_stdout(path):
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    with atomic_file(path, private) as out:
        yield out
