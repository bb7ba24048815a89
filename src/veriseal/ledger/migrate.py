"""Versioned schema migrations: ``migrations/<dialect>/NNNN_name.sql``, applied in name order.

Files are found through importlib.resources so that an installed wheel migrates exactly
like a source checkout. Statements are separated by a line ending in ``;``.
"""

from __future__ import annotations

from importlib import resources


def migrations(dialect: str) -> list[tuple[str, list[str]]]:
    """``[(name, [statement, ...]), ...]`` for ``dialect`` in apply order."""
    folder = resources.files("veriseal.ledger") / "migrations" / dialect
    out = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".sql"):
            continue
        text = entry.read_text(encoding="utf-8")
        lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("--")]
        statements = [s.strip() for s in "\n".join(lines).split(";\n") if s.strip()]
        out.append((entry.name.removesuffix(".sql"), [s.rstrip(";") for s in statements]))
    return out
