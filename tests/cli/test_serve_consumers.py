"""``veriseal serve --no-consumers``: a server that answers scans and leaves the event
stream's reactions to ``veriseal events consume`` in another process (a fleet of servers,
one box reacting). Real processes on a real SQLite ledger; the lag is read with the CLI's
own ``events lag``, and the control is the same server with its consumers on."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from pathlib import Path

from tests.cli.conftest import cli_env, sh
from tests.conftest import veriseal_exe as _exe
from tests.server.live_process import free_port

CONSUMER = "analytics.scans"  # wants every scan event


def _lag(cwd: Path) -> int:
    done = sh(cwd, "events", "lag", "--json")
    assert done.returncode == 0, done.stderr
    return int(next(c["lag"] for c in json.loads(done.stdout) if c["consumer"] == CONSUMER))


def _serve(cwd: Path, *extra: str) -> tuple[subprocess.Popen[str], str, Path]:
    """The server, its base URL and the file its output goes to."""
    port = free_port()
    out = cwd / f"serve-{port}.log"
    with out.open("w") as log:
        server = subprocess.Popen(
            [_exe(), "serve", "--port", str(port), "--rate-limit", "0", *extra],
            cwd=cwd, env=cli_env(), stdout=log, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2).close()
            return server, base, out
        except OSError:
            assert server.poll() is None, out.read_text()
            assert time.monotonic() < deadline, out.read_text()
            time.sleep(0.3)


def _stop(server: subprocess.Popen[str]) -> None:
    server.terminate()
    try:
        assert server.wait(timeout=30) == 0
    finally:
        if server.poll() is None:
            server.kill()


def _scans(base: str, n: int, tag: str) -> None:
    for i in range(n):
        with urllib.request.urlopen(f"{base}/api/v1/verify?code=NOT{tag}{i}", timeout=10) as r:
            assert json.load(r)["outcome"] == "invalid"


def test_no_consumers_leaves_the_reactions_to_events_consume(acme_dir: Path) -> None:
    # the control: served as usual, the server's own consumers catch up
    server, base, control_log = _serve(acme_dir)
    try:
        started = time.monotonic()
        _scans(base, 5, "A")
        while _lag(acme_dir) > 0:
            assert time.monotonic() - started < 60, "the server's consumers never caught up"
            time.sleep(0.2)
        took = time.monotonic() - started
    finally:
        _stop(server)
    server, base, apart_log = _serve(acme_dir, "--no-consumers")
    try:
        _scans(base, 5, "B")
        time.sleep(max(2.0, 3 * took))  # three times what the control needed
        assert _lag(acme_dir) >= 5  # nobody reacted to the five scans
        done = sh(acme_dir, "events", "consume")  # beside the running server
        assert done.returncode == 0, done.stderr
        assert _lag(acme_dir) == 0
        _scans(base, 1, "C")  # the server still answers and records
        assert _lag(acme_dir) >= 1
    finally:
        _stop(server)
    said = "Event consumers are not run here: run `veriseal events consume --watch`"
    assert said in apart_log.read_text() and said not in control_log.read_text()


def test_a_bad_consumers_setting_is_refused(acme_dir: Path) -> None:
    with (acme_dir / "veriseal.toml").open("a") as f:
        f.write('\n[server]\nconsumers = "no"\n')
    done = sh(acme_dir, "serve", "--port", str(free_port()))
    assert done.returncode != 0
    assert "[server] consumers must be true or false" in done.stderr + done.stdout
