"""The CLI imports a command's module only when that command runs (issue 20).

Behavioural, not timed (timing lives in benchmarks/bench_cli_startup.py): a fresh
interpreter runs ``veriseal ...`` and reports which modules it imported; ``verify``
(its help, and an offline check of a real code) and the command list must not load the
server, the printing stack, the notifications, the engine, the lifecycle domain or any
plugin; the command list with the bundled plugins enabled reads their ``GROUPS`` tables
and imports neither pluggy, the plugin manager nor a plugin's hookimpls or commands.
The listing's summaries must read exactly as the commands' own help does.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from veriseal.extend.lazy_commands import LazyCommand, resolve
from veriseal.extend.manager import BUNDLED
from veriseal_cli.main import COMMANDS, cli

from .test_cli import setup_brand
from .test_verify_offline import first_uri

#: Modules a command that opens no ledger and runs no plugin must not import.
FORBIDDEN = (
    "veriseal.server",
    "veriseal.printing",
    "veriseal.notifications",
    "veriseal.engine",
    "veriseal.extend.manager",
    "veriseal.lifecycle",
    "veriseal.ledger",
    "pluggy",
    "aiohttp",
    "reportlab",
    "numpy",
    "veriseal_commerce",
    "veriseal_analytics",
    "veriseal_territories",
    "veriseal_inventory",
    "veriseal_logistics",
)

#: Runs the CLI like the installed script, then prints the forbidden modules it loaded.
PROBE = """
import json, sys
forbidden = tuple(sys.argv.pop(1).split(","))
from veriseal_cli.main import main
code = 0
try:
    main()
except SystemExit as exit:
    code = exit.code
found = sorted(m for m in sys.modules if m.startswith(forbidden))
print("\\n" + json.dumps({"exit": code, "imported": found}))
"""


def imported_by(cwd: Path, *args: str, plugins: str | None = None) -> tuple[int, list[str], str]:
    """Run ``veriseal ARGS`` in a fresh interpreter: its exit status, the forbidden
    modules it imported, its output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERISEAL_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    env["LANG"] = "C"
    if plugins is not None:
        env["VERISEAL_PLUGINS"] = plugins
    done = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(FORBIDDEN), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    *output, report = done.stdout.rstrip("\n").split("\n")
    result = json.loads(report)
    return result["exit"], result["imported"], "\n".join(output) + done.stderr


def test_verify_help_imports_nothing_heavy(tmp_path: Path) -> None:
    code, imported, out = imported_by(tmp_path, "verify", "--help")
    assert code == 0 and "Exit status" in out
    assert imported == []


def test_offline_verify_imports_nothing_heavy(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    setup_brand(run)
    uri = first_uri(run, tmp_path, "--lot", "S1", "--size", "3", "--profile", "signed")
    run("keys", "export-public", "-o", "jwks.json")
    code, imported, out = imported_by(tmp_path, "verify", uri, "--jwks", "jwks.json")
    assert code == 0 and "offline check" in out, out
    assert imported == []
    # a forged code is refused the same way, with the same imports
    forged = uri.replace("/21/S", "/21/T", 1)
    code, imported, _ = imported_by(tmp_path, "verify", forged, "--jwks", "jwks.json")
    assert code == 1 and imported == []


def test_listing_imports_no_command(tmp_path: Path) -> None:
    """``veriseal --help`` lists every core command from the table; with no plugin
    enabled it imports none of them (enabled plugins are asked for their groups)."""
    code, imported, out = imported_by(tmp_path, "--help", plugins="")
    assert code == 0 and imported == []
    for name in COMMANDS:
        assert f"  {name} " in out


def test_listing_with_the_bundled_plugins_imports_no_plugin_module(tmp_path: Path) -> None:
    """With the default plugins enabled, ``veriseal --help`` lists their groups from the
    ``GROUPS`` tables in their ``commands`` modules: no pluggy, no plugin manager, no
    plugin module, no command module; a plugin left out of the config lists nothing."""
    code, imported, out = imported_by(tmp_path, "--help")
    assert code == 0, out
    allowed = {f"veriseal_{p}" for p in BUNDLED} | {f"veriseal_{p}.commands" for p in BUNDLED}
    assert [m for m in imported if m not in allowed] == []
    listed = {line.split()[0] for line in out.splitlines() if line.startswith("  ")}
    for _, (name, _target, _summary) in plugin_entries():
        assert name in listed
    code, imported, out = imported_by(tmp_path, "--help", plugins="commerce")
    assert code == 0 and [m for m in imported if m not in allowed] == []
    listed = {line.split()[0] for line in out.splitlines() if line.startswith("  ")}
    for plugin, (name, _target, _summary) in plugin_entries():
        assert (name in listed) == (plugin == "commerce"), name


def test_plugin_without_a_table_is_asked_through_its_hook(tmp_path: Path) -> None:
    """A plugin whose package has no ``commands.GROUPS`` (the hello example) still gets
    its groups through ``register_commands``; a plugin not installed is still refused."""
    from veriseal.extend.lazy_commands import declared_by_plugins  # noqa: PLC0415

    declared, rest = declared_by_plugins(["territories", "nowhere", "commerce"])
    assert rest == ["nowhere"]
    assert {"territory", "dealers", "orders", "returns"} <= set(declared)
    code, _, out = imported_by(tmp_path, "--help", plugins="nowhere")
    assert code != 0 and "plugin_not_found" in out


def test_bundled_hooks_declare_their_tables() -> None:
    """The bundled plugins' ``register_commands`` hooks (what an embedding app or an
    older CLI calls) declare exactly what their ``GROUPS`` tables do."""
    from veriseal.extend import manager  # noqa: PLC0415
    from veriseal.extend.lazy_commands import LazyGroup, declared_by_plugins  # noqa: PLC0415

    holder = LazyGroup()
    manager.load(BUNDLED).hook.register_commands(cli=holder)
    declared, rest = declared_by_plugins(BUNDLED)
    assert rest == [] and holder.commands == {} and holder.lazy == declared


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_summary_reads_as_the_command_help(name: str) -> None:
    """The table's summary gives the same short help as the imported command, at any
    terminal width (click cuts the first sentence to fit)."""
    entry: LazyCommand = COMMANDS[name]
    command = cli.get_command(click.Context(cli), name)
    assert command is not None
    stand_in = click.Command(name, help=entry.summary)
    for limit in (30, 45, 60, 80, 120, 200):
        assert stand_in.get_short_help_str(limit) == command.get_short_help_str(limit)


def plugin_entries() -> list[tuple[str, tuple[str, str, str]]]:
    """The bundled plugins' lazily declared groups: (plugin, (name, target, summary))."""
    tables = {p: importlib.import_module(f"veriseal_{p}.commands").GROUPS for p in BUNDLED}
    return [
        (plugin, (name, target, summary))
        for plugin, table in tables.items()
        for name, (target, summary, _) in table.items()
    ]


@pytest.mark.parametrize(("name", "target", "summary"), [e for _, e in plugin_entries()])
def test_plugin_summary_reads_as_the_group_help(name: str, target: str, summary: str) -> None:
    group = resolve(target)
    assert group.name == name
    stand_in = click.Command(name, help=summary)
    for limit in (30, 45, 60, 80, 120, 200):
        assert stand_in.get_short_help_str(limit) == group.get_short_help_str(limit)


def test_plugin_group_help_imports_no_other_plugin_command(tmp_path: Path) -> None:
    """``veriseal report --help`` imports the analytics commands, not the other lazily
    declared plugins' command modules."""
    code, _, out = imported_by(tmp_path, "report", "--help")
    assert code == 0 and "scans" in out and "dealers" in out
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERISEAL_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    script = (
        "import sys\nfrom veriseal_cli.main import main\ntry:\n    main()\nexcept SystemExit:\n"
        "    pass\nprint(sorted(m for m in sys.modules if '.cli_' in m))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "report", "--help"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = done.stdout.strip().splitlines()[-1]
    assert "veriseal_analytics.cli_report" in loaded
    for other in ("commerce", "inventory", "logistics"):
        assert f"veriseal_{other}.cli_" not in loaded
