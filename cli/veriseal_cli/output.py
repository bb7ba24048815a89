"""Writing command output to a file (atomically) or to standard output."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import click

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
def open_output(path: Path) -> Iterator[BinaryIO]:
    """Binary output to ``path`` (or stdout for ``-``). A file is written as
    ``<name>.part``, fsynced and renamed only when the block succeeds: readers see a
    complete file or none, never half an export under the final name."""
    if is_stdout(path):
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    tmp = path.with_name(path.name + ".part")
    try:
        with tmp.open("wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
