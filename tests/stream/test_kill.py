"""SIGKILL of a consumer process in the middle of a batch loses and doubles nothing:
``veriseal events consume --watch`` runs as a real process with the probe plugin
(installed for it through a ``.dist-info`` folder on its PYTHONPATH), is killed with
SIGKILL while a batch's transaction is open, and a second run delivers the rest."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from collections import Counter
from pathlib import Path

from tests.conftest import veriseal_exe
from tests.stream.conftest import applied, tick
from veriseal.engine import Engine

ROOT = Path(__file__).resolve().parents[2]
EVENTS = 400


def _install_probe(folder: Path) -> None:
    """Make ``tests.stream.probe`` an installed plugin named ``probe`` for a subprocess."""
    info = folder / "veriseal_probe-0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: veriseal-probe\nVersion: 0\n")
    (info / "entry_points.txt").write_text("[veriseal.plugins]\nprobe = tests.stream.probe\n")


def _env(tmp_path: Path, ledger_url: str, key_file: Path, delay: float) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VERISEAL_", "PROBE_"))}
    env.update(
        PYTHONPATH=f"{tmp_path / 'site'}{os.pathsep}{ROOT}",
        VERISEAL_DB=ledger_url,
        VERISEAL_KEY_FILE=str(key_file),
        VERISEAL_PLUGINS="probe",
        PROBE_DELAY=str(delay),
        PROBE_BATCH="50",
    )
    return env


async def test_sigkill_mid_batch_loses_and_doubles_nothing(
    engine: Engine, ledger_url: str, key_file: Path, tmp_path: Path
) -> None:
    _install_probe(tmp_path / "site")
    positions = await tick(engine, EVENTS, per_tx=25)
    consumer = subprocess.Popen(
        [veriseal_exe(), "events", "consume", "--watch", "--consumer", "probe.apply"],
        env=_env(tmp_path, ledger_url, key_file, delay=0.01),  # ~0.5 s per batch of 50
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(600):  # until the first batches have committed
            if len(await applied(engine, "probe.apply")) >= 100 or consumer.poll() is not None:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # well inside the next batch's open transaction
        consumer.send_signal(signal.SIGKILL)
    finally:
        consumer.kill()
        _, err = consumer.communicate(timeout=30)
    assert consumer.returncode == -signal.SIGKILL, err.decode()
    before = await applied(engine, "probe.apply")
    assert 100 <= len(before) < EVENTS and len(before) % 50 == 0  # whole batches only
    again = subprocess.run(
        [veriseal_exe(), "events", "consume", "--consumer", "probe.apply"],
        env=_env(tmp_path, ledger_url, key_file, delay=0),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert again.returncode == 0, again.stderr.decode()
    assert f"Delivered {EVENTS - len(before)} events" in again.stdout.decode()
    after = await applied(engine, "probe.apply")
    assert after == positions  # each once, in order
    assert max(Counter(after).values()) == 1
