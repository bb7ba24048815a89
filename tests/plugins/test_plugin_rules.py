"""Rule 3 of ARCHITECTURE.md, checked: plugins import only the core's public API."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import veriseal

ROOT = Path(__file__).resolve().parents[2]
#: plugin source folder -> the plugin's own top-level package
PLUGINS = {
    ROOT / "plugins" / "veriseal_territories": "veriseal_territories",
    ROOT / "examples" / "veriseal-hello": "veriseal_hello",
}
ALLOWED_CLI = {"veriseal_cli.context"}  # the CLI plumbing a plugin command may reuse


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
            if root == "veriseal":
                assert full == "veriseal", f"{path.name}: import from {full}: use veriseal"
                assert set(names) <= set(veriseal.__all__), (path.name, names)
            elif root.startswith("veriseal_") and not full.startswith(own):
                assert full in ALLOWED_CLI, f"{path.name} imports {full}"


def test_the_plugins_are_checked() -> None:
    assert len(plugin_files()) >= 7
