"""Text every ledger backend can store, checked before a value reaches a driver.

Both databases store UTF-8 text. A Python ``str`` can hold what that cannot: an unpaired
surrogate (U+D800..U+DFFF, e.g. from the JSON ``"\\ud800"``) is not encodable as UTF-8 at
all, and PostgreSQL refuses NUL (U+0000) in text. Such a value reaching a driver fails
the statement, and with it the whole transaction: for the scans' group commit, every
other request sharing it. So the backends refuse such text before the driver sees it
(:func:`check`, raising :class:`~veriseal.errors.TextInvalid`), and callers that must
record whatever a user typed (a fake code is evidence) store :func:`escape` of it.
"""

from __future__ import annotations

import re

from veriseal.errors import TextInvalid

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(value: str) -> bool:
    """True iff every backend can store ``value`` as text."""
    if value.isascii():  # O(1) in CPython, and nearly every value is ASCII
        return "\x00" not in value
    return _UNSTORABLE.search(value) is None


def check(value: str) -> str:
    """``value`` if it is :func:`storable`, else :class:`TextInvalid`. The message never
    repeats the value (it cannot be shown faithfully either)."""
    if not storable(value):
        raise TextInvalid("text holding NUL or an unpaired surrogate character cannot be stored")
    return value


def _escaped(match: re.Match[str]) -> str:
    point = ord(match.group())
    return f"\\x{point:02x}" if point < 0x100 else f"\\u{point:04x}"


def escape(value: str) -> str:
    """``value`` with each unstorable character written as a Python escape (``\\x00``,
    ``\\ud800``); storable text is returned unchanged. The result is always storable.
    Not reversible (a typed ``\\x00`` looks the same): for keeping evidence, not data."""
    return value if storable(value) else _UNSTORABLE.sub(_escaped, value)
