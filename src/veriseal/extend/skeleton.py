"""``veriseal plugin new NAME``: a plugin skeleton in the layout of ARCHITECTURE.md.

:func:`write_skeleton` writes ``veriseal-<name>/``: a distribution with the entry point,
``veriseal_<name>/`` (``plugin.py`` hookimpls only, ``models.py``, ``errors.py``,
``store.py``, ``service.py``, ``events.py``, ``api.py``, ``cli.py``, migrations for both
dialects) and tests that run on SQLite and PostgreSQL. The skeleton is a working plugin
(notes kept per brand) that uses every kind of SDK name once: an action, a message type,
an error code, a service, a route and a command, and the event stream (a note added
publishes ``<name>.note_added``; the plugin's own consumer tells the brand's admins,
idempotently). Its tests drive the consumer with ``drain_events``. The templates are
:mod:`veriseal.extend.skeleton_files`.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

from veriseal.errors import InvalidInput
from veriseal.extend.skeleton_files import FILES

_NAME = re.compile(r"[a-z][a-z0-9_]{1,30}")
_RESERVED = frozenset({"veriseal", "cli", "core", "extend", "test", "tests"})


def check_name(name: str) -> str:
    """``name`` if it can name a plugin: lower-case, digits and ``_``, 2-31 characters,
    not a core word (``invalid_input`` otherwise)."""
    if not _NAME.fullmatch(name) or name in _RESERVED:
        raise InvalidInput(
            f"{name!r} cannot name a plugin: use 2-31 lower-case letters, digits or _,"
            " starting with a letter (not veriseal, core, cli, extend, test)"
        )
    return name


def write_skeleton(name: str, parent: Path) -> Path:
    """Write the skeleton of plugin ``name`` into ``parent/veriseal-<name>`` and return
    that folder. Refuses (``invalid_input``) to write into an existing folder."""
    check_name(name)
    root = parent / f"veriseal-{name.replace('_', '-')}"
    if root.exists():
        raise InvalidInput(f"{root} exists already: choose another name or folder")
    values = {"name": name, "Name": "".join(p.capitalize() for p in name.split("_"))}
    for template_path, text in FILES.items():
        path = root / Template(template_path).substitute(values)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template(text).substitute(values), encoding="utf-8")
    return root
