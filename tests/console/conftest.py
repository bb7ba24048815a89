"""Fixtures of the console's tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from .browser import set_shots_dir


@pytest.fixture(autouse=True)
def shots_dir(tmp_path: Path) -> Iterator[Path]:
    """Where this test's screenshots go: $VERISEAL_SCREENSHOTS, else tmp_path/screenshots
    (browser.shot writes there)."""
    env = os.environ.get("VERISEAL_SCREENSHOTS")
    folder = Path(env) if env else tmp_path / "screenshots"
    set_shots_dir(folder)
    yield folder
    set_shots_dir(None)
