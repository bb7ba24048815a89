"""Mechanical checks of the house rules (ARCHITECTURE.md), beside import-linter's."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import veriseal

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "src" / "veriseal"
ALLOWED_IN_CODES = {"cryptography", "nacl", "numpy", "veriseal"}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_codes_is_pure() -> None:
    """codes/: standard library, cryptography, pynacl and numpy only; no I/O modules."""
    io_modules = {"asyncio", "socket", "sqlite3", "os", "subprocess", "threading", "io"}
    for path in (CORE / "codes").glob("*.py"):
        for name in imports_of(path):
            root = name.split(".")[0]
            assert root in ALLOWED_IN_CODES or root in sys.stdlib_module_names, (path.name, name)
            assert root not in io_modules, (path.name, name)
            if root == "veriseal":
                assert name.startswith(("veriseal.codes", "veriseal.errors")), (path.name, name)


def test_core_never_imports_cli_or_plugins() -> None:
    for path in CORE.rglob("*.py"):
        for name in imports_of(path):
            assert not name.startswith("veriseal_"), (path, name)


def test_public_api_is_exactly_all() -> None:
    assert sorted(dir(veriseal)) == sorted(veriseal.__all__)
    for name in veriseal.__all__:
        assert getattr(veriseal, name) is not None, name
    try:
        veriseal.not_a_public_name  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError:
        pass
    else:
        raise AssertionError("unknown names must raise AttributeError")


def test_importing_codes_loads_no_storage_or_server() -> None:
    code = (
        "import sys, veriseal.codes.compact, veriseal.codes.digital_link;"
        "heavy = ('aiosqlite', 'asyncpg', 'aiohttp', 'veriseal.engine');"
        "bad = [m for m in heavy if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


#: Names a dialect goes by: comparing a value with one of them is a dialect branch.
DIALECT_NAMES = {"sqlite", "postgres", "postgresql"}


def _names_dialect(node: ast.expr) -> bool:
    """True for ``dialect``, ``x.dialect``, ``x.dialect.name``, a dialect name literal, or a
    tuple / list / set of such literals."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and node.value.lower() in DIALECT_NAMES
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return any(_names_dialect(e) for e in node.elts)
    while isinstance(node, ast.Attribute):
        if node.attr == "dialect":
            return True
        node = node.value
    return isinstance(node, ast.Name) and node.id == "dialect"


def dialect_branches(source: str) -> list[int]:
    """Lines of ``source`` that compare a dialect (or a dialect's name) with anything."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare) and any(
            _names_dialect(side) for side in (node.left, *node.comparators)
        ):
            found.append(node.lineno)
    return found


def test_dialect_branch_checker_finds_branches() -> None:
    """The checker below can fail: each of these is a branch on the SQL dialect."""
    for branch in (
        'if ledger.dialect == "postgres": pass',
        "if self._ledger.dialect != 'sqlite': pass",
        'x = dialect == "postgres"',
        'x = "postgres" == tx.dialect.name',
        'x = name in ("sqlite", "postgres")',
        "x = tx.dialect is POSTGRES",
    ):
        assert dialect_branches(branch) == [1], branch
    assert dialect_branches('lock = tx.dialect.skip_locked\nif n == "post": pass') == []


def test_only_the_ledger_knows_sql_dialects() -> None:
    """Rule 2: SQL dialect differences live in veriseal.ledger (its dialects/ package);
    services, the CLI and plugins call the dialect's helpers and never branch on it."""
    ledger = CORE / "ledger"
    offenders = []
    for top in (ROOT / "src", ROOT / "cli", ROOT / "plugins"):
        for path in top.rglob("*.py"):
            if path.is_relative_to(ledger):
                continue
            for line in dialect_branches(path.read_text(encoding="utf-8")):
                offenders.append(f"{path.relative_to(ROOT)}:{line}")
    assert offenders == [], "branches on the SQL dialect outside veriseal.ledger"


#: A string literal that is an SQL statement: its first words, after whitespace, spell
#: one (any case). Asking for the statement's shape, not its first word alone, keeps
#: out English text that starts with the same word ("Create a user", the HTTP verb
#: "DELETE", "with extension 0").
SQL_STATEMENT = re.compile(
    r"""\s*(
        select\s+(.+\s)?from\s | select\s+[0-9*]
      | insert\s+(or\s+\w+\s+)?into\s | update\s+\w+\s+set\s | delete\s+from\s
      | with\s+(recursive\s+)?\w+(\s*\([^)]*\))?\s+as\s*\(
      | create\s+(unique\s+|virtual\s+|temp\s+|temporary\s+)*
        (table|index|view|trigger|sequence|extension|schema|function)\s
    )""",
    re.IGNORECASE | re.DOTALL | re.VERBOSE,
)

#: Modules outside the stores that may still hold SQL, each for a stated reason.
SQL_ALLOWED_ELSEWHERE = {
    # EventStore is the store of the events tables, kept beside the event records it
    # writes (NewEvent, BizStep, ...), which half the core imports from here.
    "lifecycle/events.py",
    # Not SQL the core runs: the text of the migration files ``veriseal plugin new`` writes.
    "extend/skeleton_files.py",
}


def sql_statement_lines(source: str) -> list[int]:
    """Lines of ``source`` holding a string literal (or an f-string, its fields aside)
    that is an SQL statement; docstrings are prose and never count."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(
                v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "x"
                for v in node.values
            )
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) in docstrings:
                continue
            text = node.value
        else:
            continue
        if SQL_STATEMENT.match(text):
            found.add(node.lineno)
    return sorted(found)


def test_sql_lives_in_stores() -> None:
    """Rule 2: in the core, SQL statements are written only in store modules
    (``store.py``, ``*_store.py``) and the ledger; services call the stores."""
    for sql in (
        '"SELECT * FROM scans WHERE id = ?"',
        "'select 1 as one'",
        '" INSERT INTO t (a) VALUES (?)"',
        'f"UPDATE {table} SET a = ?"',
        '"DELETE FROM packed_units WHERE child = ?"',
        '"WITH last AS (SELECT 1) SELECT * FROM last"',
        '"CREATE INDEX i ON t (a)"',
    ):
        assert sql_statement_lines(f"x = {sql}") == [1], sql
    prose = '"""Select the rows."""\nx = ("DELETE", "Create a user", "with extension 0")'
    assert sql_statement_lines(prose) == []
    offenders = []
    for path in CORE.rglob("*.py"):
        name = path.relative_to(CORE).as_posix()
        if (
            path.name == "store.py"
            or path.name.endswith("_store.py")
            or name.startswith("ledger/")
            or name in SQL_ALLOWED_ELSEWHERE
        ):
            continue
        for line in sql_statement_lines(path.read_text(encoding="utf-8")):
            offenders.append(f"{name}:{line}")
    assert offenders == [], "SQL outside the stores and the ledger"
