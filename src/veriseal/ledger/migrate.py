"""Versioned schema migrations: ``migrations/<dialect>/NNNN_name.sql``, applied in name order.

Files are found through :mod:`importlib.resources`, so an installed wheel (or a zipped
package) migrates exactly like a source checkout; ``pyproject.toml`` ships them as
package data (``ledger/migrations/*/*.sql``).

File format, kept deliberately simple so no SQL parser is needed:

- statements end with ``;`` at the end of a line;
- lines whose first non-blank characters are ``--`` are comments and are dropped;
- a migration MUST NOT contain its own ``BEGIN``/``COMMIT``: the backend applies each
  pending migration and its ``schema_migrations`` row in one transaction, so a failing
  migration leaves nothing half applied.

A core migration may have a **data step**: Python run right after the file's
statements, in the same transaction, for what SQL cannot do the same way on both
dialects (``0018_categories`` splits the old free-text category paths into tree nodes
and tokenizes every product for search). The steps are listed in
``veriseal.ledger.sql.DATA_STEPS``; like a file, a step runs once, with its migration.

A file, once released, MUST NOT change: fix a schema with a new, higher-numbered file.

Plugins ship their own folders (:class:`PluginMigrations`), applied after
the core's and recorded as ``<prefix>/NNNN_name``; :func:`plugin_migrations` refuses a
file that creates, alters or indexes a table not named ``<prefix>_...`` (rule 4).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from typing import NamedTuple

from veriseal.errors import ConfigError
from veriseal.i18n import register

#: The dialects with a migrations folder; a backend names one of these.
DIALECTS = ("sqlite", "postgres")

_END_OF_STATEMENT = re.compile(r";[ \t]*(?:\r?\n|$)")
# The object a statement creates or changes: CREATE [UNIQUE] INDEX [IF NOT EXISTS] x ON t,
# CREATE TABLE [IF NOT EXISTS] t, ALTER TABLE t, DROP TABLE/INDEX [IF EXISTS] t.
_OBJECTS = re.compile(
    r"\b(?:CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\s+ON\s+(\w+)"
    r"|CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)|ALTER\s+TABLE\s+(\w+)"
    r"|DROP\s+(?:TABLE|INDEX)\s+(?:IF\s+EXISTS\s+)?(\w+)|INSERT\s+INTO\s+(\w+)"
    r"|UPDATE\s+(\w+)|DELETE\s+FROM\s+(\w+))",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class PluginMigrations:
    """A plugin's own schema: ``<package>/<dialect>/NNNN_name.sql`` files (the same rules
    as the core's, see :mod:`veriseal.ledger.migrate`). Every table and index they create
    MUST be named ``<prefix>_...`` (rule 4: a plugin owns its tables and never writes the
    core's); they are recorded in ``schema_migrations`` as ``<prefix>/NNNN_name``."""

    prefix: str  # e.g. "territories"
    package: str  # an importable package holding the sqlite/ and postgres/ folders


class PluginMigrationInvalid(ConfigError):
    """A plugin migration touches a table that is not the plugin's own."""

    code = "plugin_migration_invalid"


register({"error.plugin_migration_invalid": ("Invalid plugin migration", "插件迁移文件无效")})


class Migration(NamedTuple):
    """One migration file: its name (file name without ``.sql``) and its statements."""

    name: str
    statements: list[str]


def split_statements(text: str) -> list[str]:
    """The statements of a migration file, without comment lines and trailing ``;``."""
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("--")]
    body = "\n".join(lines)
    return [s.strip() for s in _END_OF_STATEMENT.split(body) if s.strip()]


def migrations(dialect: str) -> list[Migration]:
    """Every migration of ``dialect``, in apply (file name) order.

    Raises ``ValueError`` for an unknown dialect: that is a programming error of a
    backend, not a user's configuration problem.
    """
    if dialect not in DIALECTS:
        raise ValueError(f"unknown migration dialect {dialect!r}")
    folder = resources.files("veriseal.ledger") / "migrations" / dialect
    found = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".sql")),
        key=lambda entry: entry.name,
    )
    return [
        Migration(entry.name.removesuffix(".sql"), split_statements(entry.read_text("utf-8")))
        for entry in found
    ]


def plugin_migrations(source: PluginMigrations, dialect: str) -> list[Migration]:
    """A plugin's migrations for ``dialect``, named ``<prefix>/NNNN_name``, in order.

    Raises :class:`PluginMigrationInvalid` when the folder is missing or a statement names
    an object outside the plugin's ``<prefix>_`` namespace.
    """
    if dialect not in DIALECTS:
        raise ValueError(f"unknown migration dialect {dialect!r}")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", source.prefix):
        raise PluginMigrationInvalid(f"plugin table prefix {source.prefix!r} is not a name")
    try:
        folder = resources.files(source.package) / dialect
        entries = sorted(
            (e for e in folder.iterdir() if e.name.endswith(".sql")), key=lambda e: e.name
        )
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError) as exc:
        raise PluginMigrationInvalid(
            f"plugin {source.prefix!r}: no {dialect} migrations in {source.package!r}: {exc}"
        ) from None
    found: list[Migration] = []
    for entry in entries:
        statements = split_statements(entry.read_text("utf-8"))
        for statement in statements:
            for match in _OBJECTS.finditer(statement):
                for name in filter(None, match.groups()):
                    if not name.lower().startswith(source.prefix + "_"):
                        raise PluginMigrationInvalid(
                            f"plugin {source.prefix!r}: {entry.name} touches {name!r}; a"
                            f" plugin's tables and indexes are named {source.prefix}_..."
                        )
        found.append(Migration(f"{source.prefix}/{entry.name.removesuffix('.sql')}", statements))
    return found
