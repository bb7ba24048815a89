"""Run ``veriseal serve --demo`` as a real process for tests (durability, fuzzing)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from veriseal.catalog.keys import create_key_file

#: pid -> (the thread reading a running server's output, the lines it read)
_READERS: dict[int, tuple[threading.Thread, list[str]]] = {}


def _keep_reading(proc: subprocess.Popen[str], lines: list[str]) -> None:
    """Read the server's output until it exits, in a thread: a pipe nobody reads fills
    up (64 KiB) and the server then blocks on its next log line, so it could neither
    serve nor stop when told (the intermittent 30 s timeouts of stop_server)."""

    def run() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)

    reader = threading.Thread(target=run, name=f"server-{proc.pid}-output", daemon=True)
    reader.start()
    _READERS[proc.pid] = (reader, lines)


def output_of(proc: subprocess.Popen[str]) -> str:
    """What the server printed so far (for a failing test's message)."""
    found = _READERS.get(proc.pid)
    return "".join(found[1]) if found else ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children_of(pid: int) -> list[int]:
    """The live child processes of ``pid`` (Linux: /proc/<pid>/task/<pid>/children)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def running(pid: int, port: int) -> bool:
    """``pid`` is still our server on ``port``: it exists, is not a zombie, and its
    command line is that server's (on a busy machine a freed pid is soon reused)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except FileNotFoundError:
        return False
    return fields[0] != "Z" and b"serve" in cmdline and str(port).encode() in cmdline


def start_server(
    tmp_path: Path, ledger_url: str, port: int, *extra: str
) -> tuple[subprocess.Popen[str], list[str]]:
    """Start a demo server on ``port`` over ``ledger_url``; return it and its demo links.
    Rate limiting is off: the tests are the only client."""
    key = tmp_path / "k.key"
    create_key_file(key)
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERISEAL_")}
    env |= {"VERISEAL_DB": ledger_url, "VERISEAL_KEY_FILE": str(key)}
    exe = Path(sys.executable).with_name("veriseal")
    proc = subprocess.Popen(
        [str(exe), "serve", "--demo", "--port", str(port), "--rate-limit", "0", *extra],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "Serving on" in line:
            urls = [
                m.group(0) for text in lines for m in [re.search(r"http://\S+/01/\S+", text)] if m
            ]
            _keep_reading(proc, lines)
            return proc, urls
    stop_server(proc)
    raise AssertionError("server did not start:\n" + "".join(lines))


def stop_server(proc: subprocess.Popen[str], kill: bool = False) -> None:
    if kill:
        proc.kill()
    else:
        proc.terminate()
    proc.wait(timeout=30)
    found = _READERS.pop(proc.pid, None)
    if found is not None:
        found[0].join(timeout=10)  # the pipe ends with the process
    if proc.stdout is not None:
        proc.stdout.close()
