"""Files holding personal data are created readable by their owner only (0600): the
SQLite ledger with its -wal and -shm files, the config and the key file, whether
``veriseal init`` or the server creates them."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import veriseal_exe as _exe

GTIN = "9506000134352"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERISEAL_")}
    env["LANG"] = "C"
    return env


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The usual umask (022), under which these files used to come out 0644."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_init_creates_private_files(tmp_path: Path) -> None:
    done = subprocess.run(
        [_exe(), "init", "--brand", "acme", "--name", "Acme", "--resolver", "x.example"],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for name in ("veriseal.toml", "veriseal.key", "veriseal.sqlite3"):
        assert _mode(tmp_path / name) == 0o600, name


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_server_creates_a_private_ledger(tmp_path: Path) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [_exe(), "serve", "--demo", "--port", str(port)],
        cwd=tmp_path,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                assert server.poll() is None, "the server stopped"
                assert time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.3)
        folder = tmp_path / "veriseal-demo"
        ledger = folder / "veriseal.sqlite3"
        # the server is running: the WAL and its index exist now
        for path in (ledger, Path(f"{ledger}-wal"), Path(f"{ledger}-shm")):
            assert path.exists() and _mode(path) == 0o600, path
        assert _mode(folder / "veriseal.toml") == 0o600
        assert _mode(folder / "veriseal.key") == 0o600
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_exports_of_personal_data_are_private(tmp_path: Path) -> None:
    """A scan export holds scan locations: 0600 like the ledger; other exports (codes)
    keep the usual mode."""

    def run(*args: str) -> None:
        done = subprocess.run([_exe(), *args], cwd=tmp_path, env=_env(), capture_output=True,
                              text=True, timeout=120, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr

    run("init", "--brand", "acme", "--name", "Acme", "--resolver", "x.example")
    run("product", "add", "--gtin", GTIN, "--name", "Tea")
    run("batch", "create", "--product", GTIN, "--lot", "L1", "--size", "10")
    run("scans", "export", "--format", "csv", "-o", "scans.csv")
    run("batch", "codes", "1", "-o", "codes.txt")
    assert _mode(tmp_path / "scans.csv") == 0o600
    assert _mode(tmp_path / "codes.txt") == 0o644
