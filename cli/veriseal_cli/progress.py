"""Progress bars on stderr (rich), silent when stderr is not a terminal unless forced.

``VERISEAL_PROGRESS=1`` forces a bar (plain text lines when not a terminal) so that long
jobs in CI logs or over ssh still show life; ``=0`` silences it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


@contextmanager
def progress_bar(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n)``; draw a bar on stderr while the block runs."""
    wanted = os.environ.get("VERISEAL_PROGRESS")
    show = sys.stderr.isatty() if wanted is None else wanted == "1"
    if not show:
        yield lambda _n: None
        return
    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)
