"""Lazy public names for a package's ``__init__``: importing the package stays cheap (the
CLI's start-up and the verify server import it first), and each name's module is
imported on first use, then cached in the package's namespace."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any


def lazy_exports(
    namespace: dict[str, Any], exports: Mapping[str, tuple[str, str]], public: Sequence[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module-level ``__getattr__`` and ``__dir__`` of the package whose globals are
    ``namespace``: ``exports`` maps a public name to ``(module, attribute)``; an unknown
    name raises ``AttributeError`` as a missing module attribute does."""
    package = namespace["__name__"]

    def getattr_(name: str) -> Any:
        try:
            module, attr = exports[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module), attr)
        namespace[name] = value
        return value

    def dir_() -> list[str]:
        return sorted(public)

    return getattr_, dir_
