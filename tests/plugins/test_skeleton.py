"""``veriseal plugin new``: the skeleton has the layout of ARCHITECTURE.md, passes ruff,
and its own tests pass on SQLite and PostgreSQL (they exercise a permission, a message
type, a service, an event consumer and a route through SDK names only)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import tests.plugins.test_plugin_rules as rules
from veriseal.errors import InvalidInput
from veriseal.extend.skeleton import check_name
from veriseal_cli.main import cli

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
LAYOUT = {
    "pyproject.toml",
    "README.md",
    "tests/conftest.py",
    "tests/test_plugin.py",
    *(
        f"veriseal_acme_notes/{f}"
        for f in (
            "__init__.py", "plugin.py", "models.py", "errors.py", "store.py", "service.py",
            "events.py", "api.py", "cli.py", "migrations/__init__.py",
            "migrations/sqlite/0001_notes.sql", "migrations/postgres/0001_notes.sql",
        )
    ),
}  # fmt: skip


@pytest.fixture(scope="module")
def skeleton(tmp_path_factory: pytest.TempPathFactory) -> Path:
    parent = tmp_path_factory.mktemp("skeleton")
    done = CliRunner().invoke(cli, ["plugin", "new", "acme_notes", "--dir", str(parent)])
    assert done.exit_code == 0, done.output
    return parent / "veriseal-acme-notes"


def test_the_layout(skeleton: Path) -> None:
    found = {str(p.relative_to(skeleton)) for p in skeleton.rglob("*") if p.is_file()}
    assert found == LAYOUT


def test_it_imports_only_public_names(skeleton: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(rules.PLUGINS, skeleton, "veriseal_acme_notes")
    for path in skeleton.rglob("*.py"):
        rules.test_plugins_import_only_the_public_api(path)


def test_it_passes_the_projects_ruff(skeleton: Path) -> None:
    done = subprocess.run(
        [str(BIN / "ruff"), "check", "--no-cache", "--config", str(ROOT / "pyproject.toml"),
         "--config", 'lint.isort.known-first-party=["veriseal", "veriseal_acme_notes"]', "."],
        cwd=skeleton, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.postgres
def test_its_tests_pass_on_both_backends(skeleton: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERISEAL_")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=skeleton, capture_output=True, text=True, check=False, env=env, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "4 passed" in done.stdout


def test_it_refuses_bad_names_and_existing_folders(skeleton: Path) -> None:
    for bad in ("Hello", "x", "veriseal", "has-dash", "9lives"):
        with pytest.raises(InvalidInput):
            check_name(bad)
    done = CliRunner().invoke(cli, ["plugin", "new", "acme_notes", "--dir", str(skeleton.parent)])
    assert done.exit_code != 0 and "exists already" in done.output
