"""The SQLite ledger's row factory (``_dict_row``): the dict ``Tx.fetch`` returns, built
from the statement's column names, must equal what ``dict(sqlite3.Row)`` gave for any
columns (a repeated name takes its first column's value, as it did), and stay right
when several threads build rows of different statements at once (the names are cached
per statement)."""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

from veriseal.ledger.sqlite import _dict_row

_NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)
_VALUES = st.one_of(
    st.none(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8),
    st.binary(max_size=8),
)


def _select(columns: list[tuple[str, Any]]) -> tuple[str, list[Any]]:
    return "SELECT " + ", ".join(f'? AS "{name}"' for name, _ in columns), [v for _, v in columns]


@given(st.lists(st.tuples(_NAMES, _VALUES), min_size=1, max_size=12))
def test_rows_equal_dicts_of_sqlite_rows(columns: list[tuple[str, Any]]) -> None:
    # Names equal but for case: sqlite3.Row answered the first such column for each of
    # them (its lookup ignores case); ours keeps them apart. No query of ours has any.
    names = [n for n, _ in columns]
    assume(len({n.lower() for n in names}) == len(set(names)))
    sql, args = _select(columns)
    ours, theirs = sqlite3.connect(":memory:"), sqlite3.connect(":memory:")
    ours.row_factory, theirs.row_factory = _dict_row, sqlite3.Row
    try:
        assert ours.execute(sql, args).fetchall() == [
            dict(r) for r in theirs.execute(sql, args).fetchall()
        ]
    finally:
        ours.close()
        theirs.close()


def test_threads_building_rows_of_different_statements_keep_their_names() -> None:
    wrong: list[object] = []

    def run(names: tuple[str, ...]) -> None:
        conn = sqlite3.connect(":memory:", check_same_thread=False)
        conn.row_factory = _dict_row
        sql = "SELECT " + ", ".join(f"{i} AS {n}" for i, n in enumerate(names))
        sql += " FROM (SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3)"
        expected = [dict(zip(names, range(len(names)), strict=True))] * 3
        for _ in range(3000):
            got = conn.execute(sql).fetchall()
            if got != expected:
                wrong.append(got)
                break
        conn.close()

    threads = [
        threading.Thread(target=run, args=(names,))
        for names in (("a", "b"), ("x", "y", "z"), ("only",), ("p", "q", "r", "s"))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not wrong, wrong[:1]
