"""One page of a list, as every JSON list route answers it.

``{<key>: [...], "next_cursor": "..." | null}``: a client asks again with
``?cursor=<next_cursor>`` until ``next_cursor`` is null. The cursor is the keyset
position after the last row of the page (see :class:`veriseal.server.inputs.Page`), so
a walk sees every row that existed when it started exactly once, in order, even when
rows are added between reads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from veriseal.server.inputs import Page, page_cursor

Schema = dict[str, Any]


class Keyed(Protocol):
    """A record paged by its row id."""

    @property
    def id(self) -> int: ...


K = TypeVar("K", bound=Keyed)


def listing(key: str, items: list[Any], page: Page, last_id: int | None) -> Schema:
    """One page: ``{key: items, "next_cursor": ...}``. ``last_id`` is the key of the
    page's last row; the cursor is null when the page is not full (the last page)."""
    full = len(items) >= page.limit
    return {key: items, "next_cursor": page_cursor(last_id) if full else None}


def records(
    key: str, found: Sequence[K], page: Page, render: Callable[[K], Any] | None = None
) -> Schema:
    """One page of records keyed by their ``id`` (the cursor is the last one's), each
    shown by ``render`` (default: its ``to_dict()``)."""
    show = render or (lambda r: r.to_dict())  # type: ignore[attr-defined]
    return listing(key, [show(r) for r in found], page, found[-1].id if found else None)


def page_schema(key: str, item: Schema, extra: Schema | None = None) -> Schema:
    """The JSON schema of a page of ``item`` s (``extra``: more properties, required)."""
    more = extra or {}
    return {
        "type": "object",
        "required": [key, "next_cursor", *more],
        "properties": {
            key: {"type": "array", "items": item},
            "next_cursor": {"type": ["string", "null"]},
            **more,
        },
    }
