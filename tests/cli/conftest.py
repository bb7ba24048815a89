"""What the CLI tests that run the installed ``veriseal`` as a process share."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import veriseal_exe


def cli_env() -> dict[str, str]:
    """This environment without Veriseal's settings, in the C locale: a command reads
    only the ledger folder's own ``veriseal.toml``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERISEAL_")}
    env["LANG"] = "C"
    return env


def sh(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``veriseal ARGS`` run in ``cwd`` (at most 120 s), its output captured."""
    return subprocess.run(
        [veriseal_exe(), *args], cwd=cwd, env=cli_env(), capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip


@pytest.fixture
def acme_dir(tmp_path: Path) -> Path:
    """A folder with a new SQLite ledger and brand ``acme`` (``veriseal init``)."""
    done = sh(tmp_path, "init", "--brand", "acme", "--name", "Acme", "--resolver", "x.example")
    assert done.returncode == 0, done.stderr
    return tmp_path
