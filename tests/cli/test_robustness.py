"""The installed ``veriseal`` command under the mishaps of daily use: a pipe into
``head``, a port already taken, numbers past what the ledger can hold."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import veriseal_exe as _exe
from veriseal_cli.main import cli

GTIN = "9506000134352"
INT64_MAX = 2**63 - 1
Sh = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def sh(tmp_path: Path) -> Sh:
    exe = _exe()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERISEAL_")}
    env["LANG"] = "C"

    def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [exe, *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    return run


@pytest.fixture
def brand(sh: Sh) -> Sh:
    assert (
        sh("init", "--brand", "acme", "--name", "Acme", "--resolver", "x.example").returncode == 0
    )
    assert sh("product", "add", "--gtin", GTIN, "--name", "Tea").returncode == 0
    made = sh("batch", "create", "--product", GTIN, "--lot", "L1", "--size", "1000")
    assert made.returncode == 0, made.stderr
    return sh


def test_pipe_into_head_exits_quietly(brand: Sh, tmp_path: Path) -> None:
    made = brand("batch", "create", "--product", GTIN, "--lot", "BIG", "--size", "200000")
    assert made.returncode == 0, made.stderr  # more than a pipe's buffer holds
    exe = _exe()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERISEAL_")}
    # the shell's own pipeline, as a user types it; PIPESTATUS is veriseal's exit status
    script = f'"{exe}" batch codes 2 --format csv -o - | head -1; echo "rc=${{PIPESTATUS[0]}}" >&2'
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.stdout.startswith("index,serial,") and done.stdout.count("\n") == 1
    assert done.stderr.strip() == "rc=141", done.stderr  # 128 + SIGPIPE, and nothing said


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_on_a_taken_port_is_a_plain_bilingual_error(brand: Sh) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", _free_port()))
        taken.listen()
        port = taken.getsockname()[1]
        done = brand("serve", "--port", str(port), timeout=60)
    assert done.returncode == 71, done.stderr  # EX_OSERR
    assert "[listen_failed]" in done.stderr and "已被占用" in done.stderr
    assert "Internal error" not in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("port", ["0", "70000", "-1"])
def test_serve_port_out_of_range_is_a_usage_error(brand: Sh, port: str) -> None:
    done = brand("serve", "--port", port)
    assert done.returncode == 2 and "--port" in done.stderr
    assert "Internal error" not in done.stderr


def test_config_port_out_of_range_is_a_config_error(brand: Sh, tmp_path: Path) -> None:
    with (tmp_path / "veriseal.toml").open("a") as f:
        f.write("\n[server]\nport = 99999\n")
    done = brand("serve")
    assert done.returncode == 7 and "[config_invalid]" in done.stderr


# Every command that takes an id, a count or an index, with the number in its place.
_NUMBERED = [
    ("batch", "show", "{n}"),
    ("batch", "codes", "{n}", "-o", "-"),
    ("batch", "codes", "1", "--from", "{i}", "-o", "-"),
    ("batch", "states", "{n}"),
    ("batch", "recall", "{n}"),
    ("scans", "show", "{n}"),
    ("scans", "list", "--batch", "{n}"),
    ("scans", "export", "--limit", "{n}", "-o", "-"),
    ("users", "show", "{n}"),
    ("users", "add", "a@example.com", "--name", "A", "--role", "retailer", "--org", "{n}"),
    ("print", "{n}", "-o", "labels.pdf"),
    ("print-jobs", "{n}"),
    ("notify", "inbox", "--user", "{n}"),
    ("notify", "mark", "--user", "1", "{n}"),
]


@pytest.fixture
def invoke(brand: Sh, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """The same CLI in this process (click's runner): fast enough for many numbers."""
    monkeypatch.chdir(tmp_path)
    for var in [v for v in os.environ if v.startswith("VERISEAL_")]:
        monkeypatch.delenv(var)
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args), catch_exceptions=False)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(n=st.one_of(st.integers(min_value=INT64_MAX + 1), st.integers(max_value=0)))
def test_out_of_range_numbers_are_usage_errors(invoke: Callable[..., Result], n: int) -> None:
    for template in _NUMBERED:
        args = [a.format(n=n, i=n if n > 0 else n - 1) for a in template]
        done = invoke(*args)
        out = done.output + (done.stderr if done.stderr_bytes else "")
        assert done.exit_code == 2, (args, out)
        assert "Internal error" not in out and "Traceback" not in out, args


def test_scans_export_limit_must_be_positive(brand: Sh) -> None:
    for limit in ("0", "-1"):
        done = brand("scans", "export", "--limit", limit, "-o", "-")
        assert done.returncode == 2 and "--limit" in done.stderr
