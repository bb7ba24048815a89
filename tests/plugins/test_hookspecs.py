"""The plugin contract is documented: every hook has a docstring and a docs section."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from veriseal.config import DEFAULT_PLUGINS
from veriseal.extend import hookspecs
from veriseal.extend.manager import BUNDLED

DOCS = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


def hook_names() -> list[str]:
    return sorted(
        name
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(fn, "veriseal_spec")
    )


def test_the_contract_covers_what_the_issue_asks() -> None:
    assert {
        "register_commands",
        "register_routes",
        "ledger_migrations",
        "scan_recorded",
        "ledger_event",
        "verdict_contribution",
        "scan_alerts",
        "epcis_events",
    } <= set(hook_names())


def test_every_hook_has_a_docstring() -> None:
    for name in hook_names():
        doc = inspect.getdoc(getattr(hookspecs, name))
        assert doc and len(doc) > 20, name


def test_every_hook_is_documented_in_docs() -> None:
    text = DOCS.read_text(encoding="utf-8")
    documented = set(re.findall(r"^### `(\w+)", text, flags=re.MULTILINE))
    assert documented == set(hook_names())


def test_bundled_plugins_are_the_default_config() -> None:
    assert BUNDLED == DEFAULT_PLUGINS
