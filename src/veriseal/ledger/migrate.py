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

A file, once released, MUST NOT change: fix a schema with a new, higher-numbered file.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import NamedTuple

#: The dialects with a migrations folder; a backend names one of these.
DIALECTS = ("sqlite", "postgres")

_END_OF_STATEMENT = re.compile(r";[ \t]*(?:\r?\n|$)")


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
