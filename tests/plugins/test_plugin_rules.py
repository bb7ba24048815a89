"""Rule 3 of ARCHITECTURE.md, checked: plugins import only the core's public API and
the SDK (``veriseal.extend``), never ``veriseal_cli`` and never each other (import-linter
checks the same in ``pyproject.toml``; this test names the offending file and name)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import veriseal
import veriseal.extend

ROOT = Path(__file__).resolve().parents[2]
#: plugin source folder -> the plugin's own top-level package
PLUGINS = {
    ROOT / "plugins" / "veriseal_territories": "veriseal_territories",
    ROOT / "examples" / "veriseal-hello": "veriseal_hello",
}


def plugin_files() -> list[Path]:
    return sorted(p for d in PLUGINS for p in d.rglob("*.py"))


@pytest.mark.parametrize("path", plugin_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_plugins_import_only_the_public_api(path: Path) -> None:
    own = next(pkg for folder, pkg in PLUGINS.items() if path.is_relative_to(folder))
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            module, names = node.module, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            module, names = "", [a.name for a in node.names]
        else:
            continue
        for full in [module] if module else names:
            root = full.split(".")[0]
            if full == "veriseal.extend":
                assert set(names) <= set(veriseal.extend.__all__), (path.name, names)
            elif root == "veriseal":
                assert full == "veriseal", f"{path.name}: import from {full}: use veriseal"
                assert set(names) <= set(veriseal.__all__), (path.name, names)
            else:
                assert not root.startswith("veriseal_") or full.startswith(own), (
                    f"{path.name} imports {full}"
                )


def test_the_plugins_are_checked() -> None:
    assert len(plugin_files()) >= 7
