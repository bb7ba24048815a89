"""The shipped templates work from an installed wheel, not only from a source checkout.

The wheel is built from a copy of the sources (so nothing in the work tree is touched),
installed into a throwaway venv with ``--no-deps`` (the dependencies are linked in from
the development venv, minus its editable veriseal), and the factory-line commands are
run from an empty directory: every shipped template is listed and labels are printed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD_INPUTS = ("src", "cli", "plugins", "printer_templates", "pyproject.toml", "setup.py",
                "MANIFEST.in", "README.md")  # fmt: skip


def _run(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    cmd = [str(a) for a in args]
    done = subprocess.run(
        cmd, check=False, cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{cmd}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _deps_dir(tmp: Path) -> Path:
    """The dev venv's packages, without its (editable) veriseal."""
    deps = tmp / "deps"
    deps.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not re.match(r"(_*editable_*|_?veriseal)", entry.name, re.I):
            (deps / entry.name).symlink_to(entry)
    return deps


@pytest.mark.slow
def test_installed_wheel_lists_and_prints_the_shipped_templates(tmp_path: Path) -> None:
    src = tmp_path / "src-copy"
    src.mkdir()
    for name in BUILD_INPUTS:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, src / name)
    wheels = tmp_path / "wheels"
    _run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", wheels, src)
    (wheel,) = wheels.glob("veriseal-*.whl")

    venv = tmp_path / "venv"
    _run(getattr(sys, "_base_executable", sys.executable), "-m", "venv", "--without-pip", venv)
    py = venv / "bin" / "python"
    _run(sys.executable, "-m", "pip", "--python", py, "install", "-q", "--no-deps", wheel)
    site = Path(_run(py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
    (site / "zz_deps.pth").write_text(f"{_deps_dir(tmp_path)}\n")

    work = tmp_path / "line"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VERISEAL_CONFIG")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    where = _run(py, "-c", "from veriseal.printing import templates; print(templates.BUILTIN_DIR)",
                 cwd=work, env=env)  # fmt: skip
    assert Path(where.strip()).is_relative_to(site), "templates must come from the wheel"

    cli = venv / "bin" / "veriseal"
    _run(cli, "init", "--brand", "acme", "--name", "Acme", "--resolver", "id.acme.example",
         cwd=work, env=env)  # fmt: skip
    _run(cli, "product", "add", "--gtin", "9506000134352", "--name", "Tea",
         "--shelf-life-days", "365", cwd=work, env=env)  # fmt: skip
    _run(cli, "batch", "create", "--product", "9506000134352", "--lot", "L1", "--size", "500",
         "--pin", cwd=work, env=env)  # fmt: skip
    listed = _run(cli, "print", "--list-templates", cwd=work, env=env)
    shipped = sorted(p.stem for p in (REPO / "printer_templates").glob("*.toml"))
    assert [line.split("\t")[0] for line in listed.splitlines()] == shipped

    _run(cli, "print", "1", "--template", "zpl-qr-203", "--to", "99", "-o", "roll.zpl",
         cwd=work, env=env)  # fmt: skip
    _run(cli, "batch", "codes", "1", "--format", "uri", "--to", "99", "-o", "codes.txt",
         cwd=work, env=env)  # fmt: skip
    zpl = (work / "roll.zpl").read_text("ascii")
    assert re.findall(r"\^FDMA,([^^]*)\^FS", zpl) == (work / "codes.txt").read_text().split()
    _run(cli, "print", "1", "--template", "a4-qr-3x8", "--from", "100", "--to", "147",
         "-o", "sheet.pdf", cwd=work, env=env)  # fmt: skip
    assert (work / "sheet.pdf").read_bytes().startswith(b"%PDF-")
