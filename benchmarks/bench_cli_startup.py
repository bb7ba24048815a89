"""CLI start-up: ``veriseal --help``, an offline ``veriseal verify`` and a plugin group's
help, each a fresh process, against ``python -c pass`` measured in the same run.

Usage::

    PYTHONPATH=src:cli:plugins python benchmarks/bench_cli_startup.py [--rounds 15] [--top 12]

The ledger is a temporary SQLite file: the benchmark creates a brand, a product and a
signed batch through the CLI, exports the public keys (``keys export-public``) and takes
the batch's first code, so ``verify CODE --jwks FILE`` judges a real code offline.

Each round runs every command once, in an order rotated per round (so a slow spell of
this shared machine does not fall on one command only); the figures are MEDIANS of the
wall times. Each is printed with its ratio to ``python -c pass`` and its start-up cost
over it (the part Veriseal controls). The target (issue 20): ``--help`` and the offline
``verify`` within 0.3 s wall. Then, per command, the heaviest imports by cumulative time
(``python -X importtime``, one run), the first place to look when a figure grows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: The installed ``veriseal`` script's body, so the checkout on PYTHONPATH is measured.
ENTRY = "import sys; from veriseal_cli.main import main; sys.argv[0] = 'veriseal'; sys.exit(main())"
TARGET_S = 0.3
GTIN = "9506000134352"


def veriseal(*args: str) -> list[str]:
    return [sys.executable, "-c", ENTRY, *args]


def setup_ledger(tmp: Path, env: dict[str, str]) -> str:
    """A brand with one signed batch; returns its first code (a Digital Link URI)."""
    steps = [
        ("init", "--brand", "acme", "--name", "Acme", "--resolver", "id.acme.example"),
        ("product", "add", "--gtin", GTIN, "--name", "Green tea", "--shelf-life-days", "365"),
        ("batch", "create", "--product", GTIN, "--lot", "B1", "--size", "5", "--profile", "signed"),
        ("batch", "codes", "1", "--format", "uri", "-o", "codes.txt"),
        ("keys", "export-public", "-o", "jwks.json"),
    ]
    for step in steps:
        subprocess.run(veriseal(*step), cwd=tmp, env=env, check=True, capture_output=True)
    return (tmp / "codes.txt").read_text().splitlines()[0]


def wall(cmd: list[str], cwd: Path, env: dict[str, str], expect: int) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != expect:
        raise SystemExit(f"{cmd[3:]} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return elapsed


def top_imports(cmd: list[str], cwd: Path, env: dict[str, str], n: int) -> list[tuple[int, str]]:
    """The ``n`` imports with the largest cumulative time (µs) from one
    ``-X importtime`` run, each with its nesting (indentation) as Python prints it."""
    done = subprocess.run(
        [cmd[0], "-X", "importtime", *cmd[1:]],
        check=False,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    rows: list[tuple[int, str]] = []
    for line in done.stderr.splitlines():
        # "import time: self [us] | cumulative | imported package"
        parts = line.split("|")
        if not line.startswith("import time:") or len(parts) != 3 or "cumulative" in line:
            continue
        rows.append((int(parts[1]), parts[2].rstrip()))
    rows.sort(key=lambda r: -r[0])
    return rows[:n]


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--top", type=int, default=12, help="imports listed per command")
    args = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERISEAL_")}
    env["LANG"] = "C"
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        code = setup_ledger(tmp, env)
        commands: dict[str, tuple[list[str], int]] = {
            "python -c pass": ([sys.executable, "-c", "pass"], 0),
            "veriseal --help": (veriseal("--help"), 0),
            "veriseal verify CODE --jwks": (veriseal("verify", code, "--jwks", "jwks.json"), 0),
            "veriseal report --help": (veriseal("report", "--help"), 0),
        }
        names = list(commands)
        times: dict[str, list[float]] = {n: [] for n in names}
        for r in range(args.rounds):
            order = names[r % len(names) :] + names[: r % len(names)]
            for n in order:
                cmd, expect = commands[n]
                times[n].append(wall(cmd, tmp, env, expect))
        base = statistics.median(times["python -c pass"])
        print(f"{args.rounds} rounds, rotated; medians of wall time (target <= {TARGET_S} s)")
        print(f"{'command':32} {'median s':>9} {'x pass':>7} {'over pass s':>12}")
        for n in names:
            med = statistics.median(times[n])
            mark = ""
            if n in ("veriseal --help", "veriseal verify CODE --jwks"):
                mark = "  TARGET met" if med <= TARGET_S else "  TARGET missed"
            print(f"{n:32} {med:9.3f} {med / base:7.1f} {med - base:12.3f}{mark}")
        for n in names[1:]:
            cmd, _ = commands[n]
            print(f"\n{n}: top imports by cumulative time (-X importtime, one run)")
            for us, mod in top_imports(cmd, tmp, env, args.top):
                print(f"  {us / 1000:8.1f} ms {mod}")


if __name__ == "__main__":
    main()
